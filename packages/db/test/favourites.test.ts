import { describe, expect, it } from "vitest";
import { deleteVolunteer, ensureVolunteer, isFavourite, listFavourites, NotFoundError, setFavourite } from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb } from "./helpers.ts";

const t = useTestDb();

describe("favourites", () => {
  it("are kept once per volunteer, newest first, removed on request and with the volunteer", async () => {
    const [g1, g2] = await addGalaxies(t.db, galaxyRows(2));
    await ensureVolunteer(t.db, "v");
    await ensureVolunteer(t.db, "w");
    await setFavourite(t.db, "v", g1!, true);
    await setFavourite(t.db, "v", g1!, true);
    await setFavourite(t.db, "v", g2!, true);
    await setFavourite(t.db, "w", g2!, true);
    expect((await listFavourites(t.db, "v")).map((f) => f.galaxyId)).toEqual([g2, g1]);
    expect(await isFavourite(t.db, "v", g1!)).toBe(true);

    await setFavourite(t.db, "v", g1!, false);
    await setFavourite(t.db, "v", g1!, false);
    expect((await listFavourites(t.db, "v")).map((f) => f.galaxyId)).toEqual([g2]);
    await expect(setFavourite(t.db, "v", 999_999, true)).rejects.toThrow(NotFoundError);

    await deleteVolunteer(t.db, "w");
    expect(await t.db.favourite.count({ where: { volunteerId: "w" } })).toBe(0);
    expect(await listFavourites(t.db, "v")).toHaveLength(1);
  });
});
