/** A volunteer's favourite galaxies: their collection, in the order they kept them. */
import type { Db } from "./client.ts";
import { NotFoundError } from "./errors.ts";

export interface FavouriteGalaxy {
  galaxyId: number;
  imageHash: string | null;
  createdAt: Date;
}

/** Adds (`on`) or removes a favourite; idempotent either way. */
export async function setFavourite(db: Db, volunteerId: string, galaxyId: number, on: boolean): Promise<void> {
  if (!on) {
    await db.favourite.deleteMany({ where: { volunteerId, galaxyId } });
    return;
  }
  if (!(await db.galaxy.findUnique({ where: { id: galaxyId }, select: { id: true } }))) {
    throw new NotFoundError(`galaxy ${galaxyId} does not exist`);
  }
  await db.favourite.upsert({ where: { volunteerId_galaxyId: { volunteerId, galaxyId } }, create: { volunteerId, galaxyId }, update: {} });
}

export async function isFavourite(db: Db, volunteerId: string, galaxyId: number): Promise<boolean> {
  return (await db.favourite.count({ where: { volunteerId, galaxyId } })) > 0;
}

/** The newest first. */
export async function listFavourites(db: Db, volunteerId: string): Promise<FavouriteGalaxy[]> {
  const rows = await db.favourite.findMany({
    where: { volunteerId },
    orderBy: [{ createdAt: "desc" }, { galaxyId: "desc" }],
    select: { galaxyId: true, createdAt: true, galaxy: { select: { imageHash: true } } },
  });
  return rows.map((r) => ({ galaxyId: r.galaxyId, imageHash: r.galaxy.imageHash, createdAt: r.createdAt }));
}
