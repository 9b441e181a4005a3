-- CreateTable
CREATE TABLE "Favourite" (
    "volunteerId" TEXT NOT NULL,
    "galaxyId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("volunteerId", "galaxyId"),
    CONSTRAINT "Favourite_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Favourite_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Favourite_volunteerId_createdAt_idx" ON "Favourite"("volunteerId", "createdAt");

