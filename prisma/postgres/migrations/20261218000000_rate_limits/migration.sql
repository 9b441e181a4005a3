-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "granted" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "RateLimit_at_idx" ON "RateLimit"("at");

