import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TAG_PATTERN } from "~/lib/hashtags.ts";
import { GalaxyTile } from "~/components/galaxy-tile.tsx";
import { serverApi } from "~/trpc/server.ts";

type Props = { params: Promise<{ tag: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `#${decodeURIComponent((await params).tag)}` };
}

export const dynamic = "force-dynamic";

/** The galaxies whose discussion carries a hashtag (those this visitor may see the discussion of). */
export default async function TagPage({ params }: Props) {
  const tag = decodeURIComponent((await params).tag).toLowerCase();
  if (!TAG_PATTERN.test(tag)) notFound();
  const galaxies = await (await serverApi()).talk.tagged({ tag });
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <h1 className="text-2xl font-semibold text-white">#{tag}</h1>
      {galaxies.length === 0 ? (
        <p className="text-slate-300">No galaxy you can see the discussion of carries this tag yet.</p>
      ) : (
        <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="tagged">
          {galaxies.map((g) => (
            <li key={g.galaxyId}>
              <GalaxyTile galaxyId={g.galaxyId} imageHash={g.imageHash} href={`/galaxies/${g.galaxyId}#talk`} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
