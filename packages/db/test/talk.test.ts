import { describe, expect, it } from "vitest";
import {
  canTalk,
  ConflictError,
  ensureVolunteer,
  galaxiesTagged,
  InvalidInputError,
  listComments,
  postComment,
  retireGalaxy,
  setCommentHidden,
  setVolunteerBlocked,
  submitClassification,
} from "../src/index.ts";
import { addGalaxies, galaxyRows, useTestDb, WALKS } from "./helpers.ts";

const t = useTestDb();

describe("Talk", () => {
  it("opens a discussion to those who classified the galaxy, everyone once it retires, and researchers always", async () => {
    const [active, retired] = await addGalaxies(t.db, galaxyRows(2));
    await ensureVolunteer(t.db, "done");
    await ensureVolunteer(t.db, "new");
    await submitClassification(
      t.db,
      { volunteerId: "done", galaxyId: active!, answers: [...WALKS.round], startedAt: new Date(), finishedAt: new Date() },
      { requireHandout: false },
    );
    await retireGalaxy(t.db, retired!, "count");
    expect(await canTalk(t.db, "done", active!)).toBe(true);
    expect(await canTalk(t.db, "new", active!)).toBe(false);
    expect(await canTalk(t.db, null, active!)).toBe(false);
    expect(await canTalk(t.db, null, active!, true)).toBe(true);
    expect(await canTalk(t.db, "new", retired!)).toBe(true);

    await expect(postComment(t.db, { volunteerId: "new", galaxyId: active!, body: "spiral?", tags: [] })).rejects.toThrow(ConflictError);
    const posted = await postComment(t.db, { volunteerId: "done", galaxyId: active!, body: "  Look at the #ring  ", tags: ["ring"] });
    expect(posted).toMatchObject({ body: "Look at the #ring", author: "A volunteer", hidden: false });
    await postComment(t.db, { volunteerId: "new", galaxyId: retired!, body: "also a #ring", tags: ["ring"] });

    // The tag page lists what each viewer may see the discussion of.
    expect((await galaxiesTagged(t.db, "RING", { volunteerId: "new", researcher: false })).map((g) => g.galaxyId)).toEqual([retired]);
    expect((await galaxiesTagged(t.db, "ring", { volunteerId: "done", researcher: false })).map((g) => g.galaxyId)).toEqual([retired, active]);
    expect((await galaxiesTagged(t.db, "ring", { volunteerId: null, researcher: true })).map((g) => g.galaxyId)).toEqual([retired, active]);

    await setCommentHidden(t.db, posted.id, true);
    expect(await listComments(t.db, active!, { includeHidden: false })).toEqual([]);
    expect((await listComments(t.db, active!, { includeHidden: true })).map((c) => c.hidden)).toEqual([true]);
    expect((await galaxiesTagged(t.db, "ring", { volunteerId: "done", researcher: false })).map((g) => g.galaxyId)).toEqual([retired]);
  });

  it("refuses empty, overlong and control-character comments, and blocked volunteers", async () => {
    const [g] = await addGalaxies(t.db, galaxyRows(1));
    await retireGalaxy(t.db, g!, "count");
    await ensureVolunteer(t.db, "v");
    const post = (body: string) => postComment(t.db, { volunteerId: "v", galaxyId: g!, body, tags: [] });
    await expect(post("   ")).rejects.toThrow(InvalidInputError);
    await expect(post("x".repeat(2001))).rejects.toThrow(/1 to 2000 characters, this one 2001/);
    await expect(post("evil\u202Etxt.exe")).rejects.toThrow(/control characters/);
    expect((await post("two\nlines\tand a tab")).body).toBe("two\nlines\tand a tab");
    await setVolunteerBlocked(t.db, "v", true);
    await expect(post("again")).rejects.toThrow(/no longer post/);
    await setVolunteerBlocked(t.db, "v", false);
    expect((await post("back")).body).toBe("back");
  });
});
