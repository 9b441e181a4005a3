-- Exactly one active model version, enforced by the database: a second active row is a unique
-- violation, whichever process or server activates it. Prisma's schema cannot declare a
-- partial index; prisma/postgres's init migration creates the same one.
CREATE UNIQUE INDEX "ModelVersion_one_active" ON "ModelVersion"("active") WHERE "active";
