import Link from "next/link";
import { galaxyImageUrl } from "~/lib/urls.ts";

/** A galaxy's picture and name, linking to its page (collections, hashtag pages). */
export function GalaxyTile({ galaxyId, imageHash, href = `/galaxies/${galaxyId}` }: { galaxyId: number; imageHash: string | null; href?: string }) {
  return (
    <Link href={href} className="block space-y-1 text-sm text-slate-300 hover:text-white">
      {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
      <img src={galaxyImageUrl({ id: galaxyId, imageHash })} alt={`Galaxy ${galaxyId}`} className="aspect-square w-full rounded-xl object-cover" />
      <span>Galaxy {galaxyId}</span>
    </Link>
  );
}
