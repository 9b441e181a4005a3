-- Votes that can be trusted: hand-outs, idempotency keys, flagged votes, the stored consensus
-- (filled in by `hiwl db migrate` for galaxies that have votes), session idle time, disabled researchers.
-- AlterTable
ALTER TABLE "Galaxy" ADD COLUMN "consensus" TEXT;

-- AlterTable
ALTER TABLE "Volunteer" ADD COLUMN "disabledAt" DATETIME;

-- CreateTable
CREATE TABLE "Handout" (
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,

    PRIMARY KEY ("volunteerId", "galaxyId"),
    CONSTRAINT "Handout_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Handout_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Session" (
    "tokenHash" TEXT NOT NULL PRIMARY KEY,
    "volunteerId" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Session_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Session" ("createdAt", "expiresAt", "tokenHash", "volunteerId") SELECT "createdAt", "expiresAt", "tokenHash", "volunteerId" FROM "Session";
DROP TABLE "Session";
ALTER TABLE "new_Session" RENAME TO "Session";
CREATE INDEX "Session_volunteerId_idx" ON "Session"("volunteerId");
CREATE TABLE "new_Classification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "answers" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "userAgent" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "flag" TEXT,
    "clientKey" TEXT,
    CONSTRAINT "Classification_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Classification_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Classifications stored before idempotency keys get one derived from their id.
INSERT INTO "new_Classification" ("answers", "finishedAt", "galaxyId", "id", "startedAt", "userAgent", "volunteerId", "idempotencyKey") SELECT "answers", "finishedAt", "galaxyId", "id", "startedAt", "userAgent", "volunteerId", 'migrated-' || "id" FROM "Classification";
DROP TABLE "Classification";
ALTER TABLE "new_Classification" RENAME TO "Classification";
CREATE UNIQUE INDEX "Classification_idempotencyKey_key" ON "Classification"("idempotencyKey");
CREATE INDEX "Classification_galaxyId_clientKey_idx" ON "Classification"("galaxyId", "clientKey");
CREATE INDEX "Classification_finishedAt_idx" ON "Classification"("finishedAt");
CREATE UNIQUE INDEX "Classification_volunteerId_galaxyId_key" ON "Classification"("volunteerId", "galaxyId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Handout_galaxyId_idx" ON "Handout"("galaxyId");

-- CreateIndex
CREATE INDEX "Handout_expiresAt_idx" ON "Handout"("expiresAt");

-- CreateIndex
CREATE INDEX "Galaxy_consensus_idx" ON "Galaxy"("consensus");

