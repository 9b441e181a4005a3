-- CreateTable
CREATE TABLE "Galaxy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "externalId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "imagePath" TEXT NOT NULL,
    "ra" REAL,
    "dec" REAL,
    "catalogLabel" TEXT,
    "metadata" TEXT,
    "priorFractions" TEXT,
    "classificationCount" INTEGER NOT NULL DEFAULT 0,
    "retiredAt" DATETIME,
    "retirementReason" TEXT,
    "priority" REAL NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "VoteTally" (
    "galaxyId" INTEGER NOT NULL,
    "answerId" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("galaxyId", "answerId"),
    CONSTRAINT "VoteTally_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Volunteer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "displayName" TEXT,
    "role" TEXT NOT NULL DEFAULT 'volunteer',
    "username" TEXT,
    "passwordHash" TEXT,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Session" (
    "tokenHash" TEXT NOT NULL PRIMARY KEY,
    "volunteerId" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Session_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Classification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "answers" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "userAgent" TEXT,
    CONSTRAINT "Classification_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Classification_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TrainingJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" TEXT NOT NULL DEFAULT '{}',
    "reason" TEXT,
    "requestedById" TEXT,
    "workerId" TEXT,
    "heartbeatAt" DATETIME,
    "progress" TEXT,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "TrainingJob_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "Volunteer" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "version" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "config" TEXT NOT NULL,
    "metrics" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "trainingJobId" INTEGER,
    CONSTRAINT "ModelVersion_trainingJobId_fkey" FOREIGN KEY ("trainingJobId") REFERENCES "TrainingJob" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Prediction" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "galaxyId" INTEGER NOT NULL,
    "modelVersionId" INTEGER NOT NULL,
    "pRound" REAL NOT NULL,
    "pInBetween" REAL NOT NULL,
    "pCigar" REAL NOT NULL,
    "pEdgeOn" REAL NOT NULL,
    "pSpiral" REAL NOT NULL,
    "predictedClass" TEXT NOT NULL,
    "acquisition" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Prediction_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Prediction_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Galaxy_retiredAt_priority_idx" ON "Galaxy"("retiredAt", "priority");

-- CreateIndex
CREATE INDEX "Galaxy_source_idx" ON "Galaxy"("source");

-- CreateIndex
CREATE UNIQUE INDEX "Galaxy_source_externalId_key" ON "Galaxy"("source", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Volunteer_username_key" ON "Volunteer"("username");

-- CreateIndex
CREATE INDEX "Session_volunteerId_idx" ON "Session"("volunteerId");

-- CreateIndex
CREATE INDEX "Classification_galaxyId_idx" ON "Classification"("galaxyId");

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
CREATE UNIQUE INDEX "Prediction_galaxyId_modelVersionId_key" ON "Prediction"("galaxyId", "modelVersionId");

