import { describe, expect, it } from "vitest";
import { createModelVersion, ensureVolunteer, handOutGalaxy, Prisma, submitClassification, upsertPredictions } from "../src/index.ts";
import { isPrismaError } from "../src/prisma-errors.ts";
import { sqlOf } from "../src/sql.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("raw SQL on the driver adapter (sqlOf)", () => {
  it("returns every table's rows and expressions exactly as $queryRaw does", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(3, { source: "sql" }));
    await t.db.galaxy.update({ where: { id: g2! }, data: { metadata: { survey: "SDSS", z: 0.05 }, priorFractions: Array(37).fill(0.5), retiredAt: new Date() } });
    await ensureVolunteer(t.db, "vera", { simulated: true });
    await submitClassification(t.db, { volunteerId: "vera", galaxyId: g1!, answers: [...WALKS.spiral], startedAt: new Date(), finishedAt: new Date() }, { requireHandout: false });
    expect(await handOutGalaxy(t.db, "vera", { minutes: 5 })).not.toBeNull();
    const version = await createModelVersion(t.db, { version: "v1", path: "models/v1", config: { variant: "nano" }, metrics: { accuracy: 0.9 } });
    await upsertPredictions(t.db, version.id, [
      { galaxyId: g1!, probabilities: { round: 0.1, "in-between": 0.2, cigar: 0.3, "edge-on": 0.2, spiral: 0.2 }, predictedClass: "cigar", acquisition: 0.5 },
    ]);
    const sql = await sqlOf(t.db);
    for (const statement of [
      Prisma.sql`SELECT * FROM "Galaxy" ORDER BY "id"`,
      Prisma.sql`SELECT * FROM "Classification"`,
      Prisma.sql`SELECT * FROM "Volunteer"`,
      Prisma.sql`SELECT * FROM "Handout"`,
      Prisma.sql`SELECT * FROM "Prediction"`,
      Prisma.sql`SELECT * FROM "ModelVersion"`,
      Prisma.sql`SELECT COUNT(*) AS "n", EXISTS (SELECT 1 FROM "Galaxy" WHERE "id" = ${g2!}) AS "there", MAX("ra") AS "ra" FROM "Galaxy"`,
      Prisma.sql`SELECT "id" FROM "Galaxy" WHERE "retiredAt" < ${new Date(Date.now() + 60_000)} AND "id" IN (${Prisma.join([g1!, g2!])})`,
    ]) {
      const ours = await sql.query(statement);
      expect(ours.length, statement.sql).toBeGreaterThan(0);
      expect(ours, statement.sql).toEqual(await t.db.$queryRaw(statement));
    }
  });

  it("commits a transaction's statements together, rolls them back on a throw, and reports constraint failures as Prisma's errors do", async () => {
    const sql = await sqlOf(t.db);
    await sql.transaction(async (tx) => {
      await tx.execute(Prisma.sql`INSERT INTO "Volunteer" ("id", "role", "simulated", "createdAt") VALUES ('kept', 'volunteer', FALSE, ${new Date()})`);
      expect(await tx.query(Prisma.sql`SELECT "id" FROM "Volunteer" WHERE "id" = 'kept'`)).toEqual([{ id: "kept" }]);
    });
    const failed = sql.transaction(async (tx) => {
      await tx.execute(Prisma.sql`INSERT INTO "Volunteer" ("id", "role", "simulated", "createdAt") VALUES ('dropped', 'volunteer', FALSE, ${new Date()})`);
      await tx.execute(Prisma.sql`INSERT INTO "Volunteer" ("id", "role", "simulated", "createdAt") VALUES ('kept', 'volunteer', FALSE, ${new Date()})`);
    });
    const error = await failed.catch((e: unknown) => e);
    expect(isPrismaError(error, "unique")).toBe(true);
    const ids = async () => (await t.db.volunteer.findMany({ where: { id: { in: ["kept", "dropped", "prisma"] } }, orderBy: { id: "asc" } })).map((v) => v.id);
    expect(await ids()).toEqual(["kept"]);
    // Prisma's own queries and transactions go on after ours, on the same connection.
    await t.db.$transaction(async (tx) => void (await tx.volunteer.create({ data: { id: "prisma" } })));
    expect(await ids()).toEqual(["kept", "prisma"]);
  });
});
