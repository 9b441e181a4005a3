/**
 * The write half shared by every import: skip galaxies already in the database (running an
 * import twice adds nothing), store and check the new images, then insert every galaxy in
 * one transaction. Any bad image aborts the whole import before the database is touched, and
 * the files this run wrote are removed again.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type Db, type GalaxyMetadata, dataDir, findGalaxyIds, insertGalaxies } from "@hiwl/db";
import type { CatalogLabel } from "@hiwl/model";
import { imageDir, mapLimited, storeImage } from "../images.ts";
import { ImportError } from "./import-error.ts";

export interface ImportEntry {
  readonly externalId: string;
  /** Image file to import. */
  readonly imageFile: string;
  readonly catalogLabel: CatalogLabel | null;
  readonly priorFractions?: readonly number[];
  readonly metadata?: GalaxyMetadata;
}

export interface ImportResult {
  readonly source: string;
  readonly added: number;
  readonly skipped: number;
}

export type ImportProgress = (phase: "images" | "database", done: number, total: number) => void;

export async function commitImport(
  db: Db,
  source: string,
  entries: readonly ImportEntry[],
  onProgress?: ImportProgress,
  root = dataDir(),
): Promise<ImportResult> {
  const existing = await findGalaxyIds(db, source, entries.map((e) => e.externalId));
  const fresh = entries.filter((e) => !existing.has(e.externalId));
  // The folders this run creates go again on failure, so a refused import leaves no trace.
  const folders = [join(root, "images"), imageDir(source, root)].filter((dir) => !existsSync(dir));
  const stored = await mapLimited(
    fresh,
    (e) => storeImage(e.imageFile, source, e.externalId, root),
    (done, total) => onProgress?.("images", done, total),
  );
  const failures = stored.flatMap((r, i) => (r.ok ? [] : [`${fresh[i]!.imageFile}: ${r.error.message}`]));
  const removeWritten = async () => {
    await Promise.all(
      stored.flatMap((r) => (r.ok ? [rm(join(root, r.value.imagePath), { force: true })] : [])),
    );
    for (const dir of folders.reverse()) await rm(dir, { recursive: true, force: true });
  };
  if (failures.length > 0) {
    await removeWritten();
    throw new ImportError(source, failures.map((f) => `corrupt or unreadable image ${f}`));
  }
  onProgress?.("database", 0, fresh.length);
  try {
    await insertGalaxies(
      db,
      fresh.map((e, i) => {
        const image = stored[i]!;
        if (!image.ok) throw image.error;
        return {
          source,
          externalId: e.externalId,
          imagePath: image.value.imagePath,
          catalogLabel: e.catalogLabel,
          priorFractions: e.priorFractions,
          metadata: e.metadata,
        };
      }),
      { dataDir: root },
    );
  } catch (err) {
    await removeWritten();
    throw err;
  }
  onProgress?.("database", fresh.length, fresh.length);
  return { source, added: fresh.length, skipped: entries.length - fresh.length };
}
