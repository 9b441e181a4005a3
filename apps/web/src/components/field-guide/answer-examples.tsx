import type { AnswerExample } from "@hiwl/db";
import { galaxyImageUrl } from "~/lib/urls.ts";

/** Thumbnails of galaxies the crowd agreed show an answer, each linking to its page. */
export function AnswerExamples({ label, examples }: { label: string; examples: readonly AnswerExample[] | undefined }) {
  if (!examples?.length) return <p className="text-xs text-slate-500">No example yet: they appear as galaxies retire.</p>;
  return (
    <ul className="flex flex-wrap gap-2" aria-label={`Examples of ${label}`}>
      {examples.map((e) => (
        <li key={e.galaxyId}>
          <a href={`/galaxies/${e.galaxyId}`} title={`${Math.round(e.share * 100)}% of ${e.votes} volunteers`}>
            {/* eslint-disable-next-line @next/next/no-img-element -- see GalaxyViewer */}
            <img
              src={galaxyImageUrl({ id: e.galaxyId, imageHash: e.imageHash })}
              alt={`Galaxy ${e.galaxyId}, an example of ${label}`}
              width={96}
              height={96}
              className="h-24 w-24 rounded-lg object-cover"
            />
          </a>
        </li>
      ))}
    </ul>
  );
}
