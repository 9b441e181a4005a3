-- CreateEnum
CREATE TYPE "VolunteerRole" AS ENUM ('volunteer', 'researcher');

-- CreateEnum
CREATE TYPE "ClassificationFlag" AS ENUM ('after_retirement', 'same_address', 'gold');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "Galaxy" (
    "id" SERIAL NOT NULL,
    "externalId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "imagePath" TEXT NOT NULL,
    "ra" DOUBLE PRECISION,
    "dec" DOUBLE PRECISION,
    "catalogLabel" TEXT,
    "metadata" JSONB,
    "priorFractions" JSONB,
    "imageHash" TEXT,
    "classificationCount" INTEGER NOT NULL DEFAULT 0,
    "retiredAt" TIMESTAMP(3),
    "retirementReason" TEXT,
    "priority" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "consensus" TEXT,
    "consensusShare" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Galaxy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VoteTally" (
    "galaxyId" INTEGER NOT NULL,
    "answerId" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "VoteTally_pkey" PRIMARY KEY ("galaxyId","answerId")
);

-- CreateTable
CREATE TABLE "Volunteer" (
    "id" TEXT NOT NULL,
    "displayName" TEXT,
    "blockedAt" TIMESTAMP(3),
    "role" "VolunteerRole" NOT NULL DEFAULT 'volunteer',
    "username" TEXT,
    "passwordHash" TEXT,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "disabledAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Volunteer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "tokenHash" TEXT NOT NULL,
    "volunteerId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("tokenHash")
);

-- CreateTable
CREATE TABLE "Handout" (
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Handout_pkey" PRIMARY KEY ("volunteerId","galaxyId")
);

-- CreateTable
CREATE TABLE "Classification" (
    "id" SERIAL NOT NULL,
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "answers" JSONB NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "userAgent" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "flag" "ClassificationFlag",
    "clientKey" TEXT,

    CONSTRAINT "Classification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingJob" (
    "id" SERIAL NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "config" JSONB NOT NULL,
    "reason" TEXT,
    "requestedById" TEXT,
    "workerId" TEXT,
    "heartbeatAt" TIMESTAMP(3),
    "progress" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "TrainingJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "workerId" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,
    "stoppedAt" TIMESTAMP(3),
    "state" TEXT NOT NULL,

    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("workerId")
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" SERIAL NOT NULL,
    "version" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "metrics" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "trainingJobId" INTEGER,

    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Prediction" (
    "id" SERIAL NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "modelVersionId" INTEGER NOT NULL,
    "pRound" DOUBLE PRECISION NOT NULL,
    "pInBetween" DOUBLE PRECISION NOT NULL,
    "pCigar" DOUBLE PRECISION NOT NULL,
    "pEdgeOn" DOUBLE PRECISION NOT NULL,
    "pSpiral" DOUBLE PRECISION NOT NULL,
    "predictedClass" TEXT NOT NULL,
    "acquisition" DOUBLE PRECISION,
    "uncertainty" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Prediction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FeaturePoint" (
    "modelVersionId" INTEGER NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "x" DOUBLE PRECISION NOT NULL,
    "y" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "FeaturePoint_pkey" PRIMARY KEY ("modelVersionId","galaxyId")
);

-- CreateTable
CREATE TABLE "Favourite" (
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Favourite_pkey" PRIMARY KEY ("volunteerId","galaxyId")
);

-- CreateTable
CREATE TABLE "Comment" (
    "id" SERIAL NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "volunteerId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hiddenAt" TIMESTAMP(3),

    CONSTRAINT "Comment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CommentTag" (
    "commentId" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,

    CONSTRAINT "CommentTag_pkey" PRIMARY KEY ("commentId","tag")
);

-- CreateTable
CREATE TABLE "GoldStandard" (
    "galaxyId" INTEGER NOT NULL,
    "answers" JSONB NOT NULL,
    "markedById" TEXT,
    "origin" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GoldStandard_pkey" PRIMARY KEY ("galaxyId")
);

-- CreateTable
CREATE TABLE "VolunteerSkill" (
    "volunteerId" TEXT NOT NULL,
    "questionId" TEXT NOT NULL,
    "answers" INTEGER NOT NULL,
    "goldAnswers" INTEGER NOT NULL,
    "goldAgreement" INTEGER NOT NULL,
    "consensusAnswers" INTEGER NOT NULL,
    "consensusAgreement" DOUBLE PRECISION NOT NULL,
    "reliability" DOUBLE PRECISION,
    "weight" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VolunteerSkill_pkey" PRIMARY KEY ("volunteerId","questionId")
);

-- CreateIndex
CREATE INDEX "Galaxy_retiredAt_priority_idx" ON "Galaxy"("retiredAt", "priority");

-- CreateIndex
CREATE INDEX "Galaxy_source_idx" ON "Galaxy"("source");

-- CreateIndex
CREATE INDEX "Galaxy_consensus_idx" ON "Galaxy"("consensus");

-- CreateIndex
CREATE UNIQUE INDEX "Galaxy_source_externalId_key" ON "Galaxy"("source", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Volunteer_username_key" ON "Volunteer"("username");

-- CreateIndex
CREATE INDEX "Session_volunteerId_idx" ON "Session"("volunteerId");

-- CreateIndex
CREATE INDEX "Handout_galaxyId_idx" ON "Handout"("galaxyId");

-- CreateIndex
CREATE INDEX "Handout_expiresAt_idx" ON "Handout"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Classification_idempotencyKey_key" ON "Classification"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Classification_galaxyId_clientKey_idx" ON "Classification"("galaxyId", "clientKey");

-- CreateIndex
CREATE INDEX "Classification_finishedAt_idx" ON "Classification"("finishedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Classification_volunteerId_galaxyId_key" ON "Classification"("volunteerId", "galaxyId");

-- CreateIndex
CREATE INDEX "TrainingJob_status_createdAt_idx" ON "TrainingJob"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_version_key" ON "ModelVersion"("version");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_trainingJobId_key" ON "ModelVersion"("trainingJobId");

-- CreateIndex
CREATE INDEX "ModelVersion_active_idx" ON "ModelVersion"("active");

-- CreateIndex
CREATE INDEX "Prediction_modelVersionId_predictedClass_idx" ON "Prediction"("modelVersionId", "predictedClass");

-- CreateIndex
CREATE INDEX "Prediction_modelVersionId_uncertainty_idx" ON "Prediction"("modelVersionId", "uncertainty");

-- CreateIndex
CREATE UNIQUE INDEX "Prediction_galaxyId_modelVersionId_key" ON "Prediction"("galaxyId", "modelVersionId");

-- CreateIndex
CREATE INDEX "FeaturePoint_galaxyId_idx" ON "FeaturePoint"("galaxyId");

-- CreateIndex
CREATE INDEX "Favourite_volunteerId_createdAt_idx" ON "Favourite"("volunteerId", "createdAt");

-- CreateIndex
CREATE INDEX "Comment_galaxyId_createdAt_idx" ON "Comment"("galaxyId", "createdAt");

-- CreateIndex
CREATE INDEX "CommentTag_tag_idx" ON "CommentTag"("tag");

-- AddForeignKey
ALTER TABLE "VoteTally" ADD CONSTRAINT "VoteTally_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handout" ADD CONSTRAINT "Handout_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Handout" ADD CONSTRAINT "Handout_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Classification" ADD CONSTRAINT "Classification_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Classification" ADD CONSTRAINT "Classification_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingJob" ADD CONSTRAINT "TrainingJob_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "Volunteer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelVersion" ADD CONSTRAINT "ModelVersion_trainingJobId_fkey" FOREIGN KEY ("trainingJobId") REFERENCES "TrainingJob"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FeaturePoint" ADD CONSTRAINT "FeaturePoint_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FeaturePoint" ADD CONSTRAINT "FeaturePoint_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Favourite" ADD CONSTRAINT "Favourite_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Favourite" ADD CONSTRAINT "Favourite_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CommentTag" ADD CONSTRAINT "CommentTag_commentId_fkey" FOREIGN KEY ("commentId") REFERENCES "Comment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldStandard" ADD CONSTRAINT "GoldStandard_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoldStandard" ADD CONSTRAINT "GoldStandard_markedById_fkey" FOREIGN KEY ("markedById") REFERENCES "Volunteer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VolunteerSkill" ADD CONSTRAINT "VolunteerSkill_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Exactly one active model version (prisma/migrations/20261217000000_one_active_model).
CREATE UNIQUE INDEX "ModelVersion_one_active" ON "ModelVersion"("active") WHERE "active";
