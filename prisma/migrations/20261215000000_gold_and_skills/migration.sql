-- CreateTable
CREATE TABLE "GoldStandard" (
    "galaxyId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "answers" JSONB NOT NULL,
    "markedById" TEXT,
    "origin" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GoldStandard_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "GoldStandard_markedById_fkey" FOREIGN KEY ("markedById") REFERENCES "Volunteer" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VolunteerSkill" (
    "volunteerId" TEXT NOT NULL,
    "questionId" TEXT NOT NULL,
    "answers" INTEGER NOT NULL,
    "goldAnswers" INTEGER NOT NULL,
    "goldAgreement" INTEGER NOT NULL,
    "consensusAnswers" INTEGER NOT NULL,
    "consensusAgreement" REAL NOT NULL,
    "reliability" REAL,
    "weight" REAL NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("volunteerId", "questionId"),
    CONSTRAINT "VolunteerSkill_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

