-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "workerId" TEXT NOT NULL PRIMARY KEY,
    "startedAt" DATETIME NOT NULL,
    "seenAt" DATETIME NOT NULL,
    "stoppedAt" DATETIME,
    "state" TEXT NOT NULL
);

