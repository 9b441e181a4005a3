-- CreateTable
CREATE TABLE "FeaturePoint" (
    "modelVersionId" INTEGER NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "x" REAL NOT NULL,
    "y" REAL NOT NULL,

    PRIMARY KEY ("modelVersionId", "galaxyId"),
    CONSTRAINT "FeaturePoint_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "FeaturePoint_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Prediction" (
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
    "uncertainty" REAL NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Prediction_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Prediction_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Existing predictions get their uncertainty as upsertPredictions computes it: the entropy
-- (0 log 0 = 0) over ln 5. SQLite's ln() needs the math functions, which better-sqlite3 builds in.
INSERT INTO "new_Prediction" ("acquisition", "createdAt", "galaxyId", "id", "modelVersionId", "pCigar", "pEdgeOn", "pInBetween", "pRound", "pSpiral", "predictedClass", "uncertainty") SELECT "acquisition", "createdAt", "galaxyId", "id", "modelVersionId", "pCigar", "pEdgeOn", "pInBetween", "pRound", "pSpiral", "predictedClass",
    -(CASE WHEN "pRound" > 0 THEN "pRound" * ln("pRound") ELSE 0 END
      + CASE WHEN "pInBetween" > 0 THEN "pInBetween" * ln("pInBetween") ELSE 0 END
      + CASE WHEN "pCigar" > 0 THEN "pCigar" * ln("pCigar") ELSE 0 END
      + CASE WHEN "pEdgeOn" > 0 THEN "pEdgeOn" * ln("pEdgeOn") ELSE 0 END
      + CASE WHEN "pSpiral" > 0 THEN "pSpiral" * ln("pSpiral") ELSE 0 END) / ln(5)
    FROM "Prediction";
DROP TABLE "Prediction";
ALTER TABLE "new_Prediction" RENAME TO "Prediction";
CREATE INDEX "Prediction_modelVersionId_predictedClass_idx" ON "Prediction"("modelVersionId", "predictedClass");
CREATE INDEX "Prediction_modelVersionId_uncertainty_idx" ON "Prediction"("modelVersionId", "uncertainty");
CREATE UNIQUE INDEX "Prediction_galaxyId_modelVersionId_key" ON "Prediction"("galaxyId", "modelVersionId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "FeaturePoint_galaxyId_idx" ON "FeaturePoint"("galaxyId");

