-- Stored JSON in JSON columns, closed sets as enums, and what names a galaxy outside the
-- database: its image's content hash, and the share of its consensus class.
--
-- JSON: SQLite's json() copies each value, so text that is not JSON stops the migration here
-- (`hiwl db migrate` names such rows before it starts) instead of failing every later read.
-- Enums are TEXT in SQLite; Classification.flag's values lose their hyphens (a Prisma enum value
-- is an identifier). Galaxy.imageHash and Galaxy.consensusShare are computed by `hiwl db
-- migrate` (backfillImageHashes, backfillConsensus): SQL cannot read image files or walk the
-- decision tree.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Galaxy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "externalId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "imagePath" TEXT NOT NULL,
    "ra" REAL,
    "dec" REAL,
    "catalogLabel" TEXT,
    "metadata" JSONB,
    "priorFractions" JSONB,
    "imageHash" TEXT,
    "classificationCount" INTEGER NOT NULL DEFAULT 0,
    "retiredAt" DATETIME,
    "retirementReason" TEXT,
    "priority" REAL NOT NULL DEFAULT 0,
    "consensus" TEXT,
    "consensusShare" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Galaxy" ("catalogLabel", "classificationCount", "consensus", "createdAt", "dec", "externalId", "id", "imagePath", "metadata", "priorFractions", "priority", "ra", "retiredAt", "retirementReason", "source") SELECT "catalogLabel", "classificationCount", "consensus", "createdAt", "dec", "externalId", "id", "imagePath", json("metadata"), json("priorFractions"), "priority", "ra", "retiredAt", "retirementReason", "source" FROM "Galaxy";
DROP TABLE "Galaxy";
ALTER TABLE "new_Galaxy" RENAME TO "Galaxy";
CREATE INDEX "Galaxy_retiredAt_priority_idx" ON "Galaxy"("retiredAt", "priority");
CREATE INDEX "Galaxy_source_idx" ON "Galaxy"("source");
CREATE INDEX "Galaxy_consensus_idx" ON "Galaxy"("consensus");
CREATE UNIQUE INDEX "Galaxy_source_externalId_key" ON "Galaxy"("source", "externalId");
CREATE TABLE "new_Classification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "answers" JSONB NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "userAgent" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "flag" TEXT,
    "clientKey" TEXT,
    CONSTRAINT "Classification_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Classification_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Classification" ("answers", "clientKey", "finishedAt", "flag", "galaxyId", "id", "idempotencyKey", "startedAt", "userAgent", "volunteerId") SELECT json("answers"), "clientKey", "finishedAt",
    CASE "flag" WHEN 'after-retirement' THEN 'after_retirement' WHEN 'same-address' THEN 'same_address' ELSE "flag" END, "galaxyId", "id", "idempotencyKey", "startedAt", "userAgent", "volunteerId" FROM "Classification";
DROP TABLE "Classification";
ALTER TABLE "new_Classification" RENAME TO "Classification";
CREATE UNIQUE INDEX "Classification_idempotencyKey_key" ON "Classification"("idempotencyKey");
CREATE INDEX "Classification_galaxyId_clientKey_idx" ON "Classification"("galaxyId", "clientKey");
CREATE INDEX "Classification_finishedAt_idx" ON "Classification"("finishedAt");
CREATE UNIQUE INDEX "Classification_volunteerId_galaxyId_key" ON "Classification"("volunteerId", "galaxyId");
CREATE TABLE "new_TrainingJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" JSONB NOT NULL,
    "reason" TEXT,
    "requestedById" TEXT,
    "workerId" TEXT,
    "heartbeatAt" DATETIME,
    "progress" JSONB,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "TrainingJob_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "Volunteer" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_TrainingJob" ("config", "createdAt", "error", "finishedAt", "heartbeatAt", "id", "progress", "reason", "requestedById", "startedAt", "status", "workerId") SELECT json("config"), "createdAt", "error", "finishedAt", "heartbeatAt", "id", json("progress"), "reason", "requestedById", "startedAt", "status", "workerId" FROM "TrainingJob";
DROP TABLE "TrainingJob";
ALTER TABLE "new_TrainingJob" RENAME TO "TrainingJob";
CREATE INDEX "TrainingJob_status_createdAt_idx" ON "TrainingJob"("status", "createdAt");
CREATE TABLE "new_ModelVersion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "version" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "metrics" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "trainingJobId" INTEGER,
    CONSTRAINT "ModelVersion_trainingJobId_fkey" FOREIGN KEY ("trainingJobId") REFERENCES "TrainingJob" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_ModelVersion" ("active", "config", "createdAt", "id", "metrics", "path", "trainingJobId", "version") SELECT "active", json("config"), "createdAt", "id", json("metrics"), "path", "trainingJobId", "version" FROM "ModelVersion";
DROP TABLE "ModelVersion";
ALTER TABLE "new_ModelVersion" RENAME TO "ModelVersion";
CREATE UNIQUE INDEX "ModelVersion_version_key" ON "ModelVersion"("version");
CREATE UNIQUE INDEX "ModelVersion_trainingJobId_key" ON "ModelVersion"("trainingJobId");
CREATE INDEX "ModelVersion_active_idx" ON "ModelVersion"("active");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

