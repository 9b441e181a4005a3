-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" REAL NOT NULL,
    "at" REAL NOT NULL,
    "granted" BOOLEAN NOT NULL DEFAULT true
);

-- CreateIndex
CREATE INDEX "RateLimit_at_idx" ON "RateLimit"("at");

