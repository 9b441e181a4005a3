-- AlterTable
ALTER TABLE "Volunteer" ADD COLUMN "blockedAt" DATETIME;

-- CreateTable
CREATE TABLE "Comment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "galaxyId" INTEGER NOT NULL,
    "volunteerId" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hiddenAt" DATETIME,
    CONSTRAINT "Comment_galaxyId_fkey" FOREIGN KEY ("galaxyId") REFERENCES "Galaxy" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Comment_volunteerId_fkey" FOREIGN KEY ("volunteerId") REFERENCES "Volunteer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "CommentTag" (
    "commentId" INTEGER NOT NULL,
    "tag" TEXT NOT NULL,

    PRIMARY KEY ("commentId", "tag"),
    CONSTRAINT "CommentTag_commentId_fkey" FOREIGN KEY ("commentId") REFERENCES "Comment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Comment_galaxyId_createdAt_idx" ON "Comment"("galaxyId", "createdAt");

-- CreateIndex
CREATE INDEX "CommentTag_tag_idx" ON "CommentTag"("tag");

