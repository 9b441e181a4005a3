import { CLASS_LABELS, HIWL_CLASSES, type HiwlClass } from "@hiwl/model";
import { Card, ProbabilityBars, VoteFractionTable } from "@hiwl/ui";
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { GalaxyViewer } from "~/components/classify/galaxy-viewer.tsx";
import { CrowdSummary } from "~/components/crowd-summary.tsx";
import { ModelExplanation } from "~/components/model-explanation.tsx";
import { GoldStandardCard } from "~/components/gold/gold-standard-card.tsx";
import { Talk } from "~/components/talk/talk.tsx";
import { galaxyImageUrl } from "~/lib/urls.ts";
import { classItems, voteGroups } from "~/lib/votes.ts";
import { serverApi } from "~/trpc/server.ts";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Galaxy ${(await params).id}` };
}

async function load(idParam: string) {
  const id = Number(idParam);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  try {
    return await (await serverApi()).galaxy.byId({ id });
  } catch (e) {
    if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
    throw e;
  }
}

const isClass = (c: string): c is HiwlClass => (HIWL_CLASSES as readonly string[]).includes(c);

/** Why a galaxy stopped being served, in a volunteer's words. */
function retiredBecause(reason: string | null): string {
  switch (reason) {
    case "count":
      return "it has all the classifications it needs";
    case "consensus":
      return "the volunteers agreed on what it is";
    case "model-confident":
      return "the volunteers and the model agreed on what it is";
    default:
      return "the researchers took it out of the queue";
  }
}

const day = (d: Date) => d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** A volunteer back on a galaxy they classified, or one that retired: why they cannot classify it, and what to do next. */
function YourStatus({ retiredAt, reason, classifiedByYouAt }: { retiredAt: Date | null; reason: string | null; classifiedByYouAt: Date | null }) {
  if (retiredAt === null && classifiedByYouAt === null) return null;
  return (
    <div role="status" data-testid="your-status" className="flex flex-wrap items-center gap-x-4 gap-y-2 rounded-2xl border border-indigo-300/30 bg-indigo-400/10 px-4 py-3 text-sm text-slate-200">
      <p className="flex-1">
        {classifiedByYouAt && <>You classified this galaxy on {day(classifiedByYouAt)}: thank you! </>}
        {retiredAt ? (
          <>It is no longer being classified: {retiredBecause(reason)}.</>
        ) : (
          <>Each volunteer classifies a galaxy once; what everyone said is shown here when it retires.</>
        )}
      </p>
      <Link href="/classify" className="font-semibold text-indigo-200 underline">
        Classify the next galaxy →
      </Link>
    </div>
  );
}

export default async function GalaxyPage({ params }: Props) {
  const g = await load((await params).id);
  if (!g.revealed) return <ActiveGalaxy galaxy={g} />;
  const researcher = (await (await serverApi()).auth.me())?.role === "researcher";
  const prediction = g.prediction;
  const facts: [string, string][] = [
    ["Catalogue id", g.externalId],
    ["Source", g.source],
    ...(g.ra !== null && g.dec !== null ? [["RA, Dec", `${g.ra.toFixed(5)}°, ${g.dec.toFixed(5)}°`] as [string, string]] : []),
    ...(g.catalogLabel ? [["Catalogue label", g.catalogLabel] as [string, string]] : []),
    ["Status", g.retiredAt ? `retired (${g.retirementReason ?? "no reason given"})` : "active: still being classified"],
  ];
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold text-white">Galaxy {g.externalId}</h1>
        <Link href="/gallery" className="text-sm text-slate-400 hover:text-white">
          ← Gallery
        </Link>
      </div>
      {!researcher && <YourStatus retiredAt={g.retiredAt} reason={g.retirementReason} classifiedByYouAt={g.classifiedByYouAt} />}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <div className="space-y-4">
          <GalaxyViewer src={galaxyImageUrl(g)} alt={`Galaxy ${g.externalId}`} />
          <Card title="About">
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
              {facts.map(([k, v]) => (
                <div key={k} className="contents">
                  <dt className="text-slate-400">{k}</dt>
                  <dd className="text-slate-200">{v}</dd>
                </div>
              ))}
            </dl>
          </Card>
          <Card title="Model prediction">
            {prediction ? (
              <div className="space-y-3">
                <p className="text-sm text-slate-300">
                  Model version #{prediction.modelVersionId} says{" "}
                  <strong className="text-white">
                    {isClass(prediction.predictedClass) ? CLASS_LABELS[prediction.predictedClass] : prediction.predictedClass}
                  </strong>
                  .
                </p>
                <ProbabilityBars items={classItems(prediction.probabilities)} highlight={prediction.predictedClass} />
              </div>
            ) : (
              <p className="text-sm text-slate-400">No prediction yet.</p>
            )}
          </Card>
          {researcher && <GoldStandardCard galaxyId={g.id} />}
        </div>
        <div className="space-y-4">
          <ModelExplanation imageUrl={galaxyImageUrl(g)} alt={`Galaxy ${g.externalId} with the model's attention`} />
          <Card title="What the volunteers said">
            <CrowdSummary classificationCount={g.classificationCount} voteFractions={g.voteFractions} voteCounts={g.voteCounts} full />
          </Card>
          {g.priorFractions && (
            <Card title="The catalogue's vote fractions">
              <VoteFractionTable groups={voteGroups(g.priorFractions)} />
            </Card>
          )}
        </div>
      </div>
      <Talk galaxyId={g.id} />
    </div>
  );
}

/**
 * A galaxy still being classified, as volunteers see it: the image and how many have looked,
 * nothing that could sway their answers.
 */
function ActiveGalaxy({
  galaxy,
}: {
  galaxy: { id: number; imageHash: string | null; classificationCount: number; classifiedByYouAt: Date | null };
}) {
  const { id, classificationCount, classifiedByYouAt } = galaxy;
  return (
    <div className="space-y-6" data-testid="active-galaxy">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold text-white">Galaxy {id}</h1>
        <Link href="/gallery" className="text-sm text-slate-400 hover:text-white">
          ← Gallery
        </Link>
      </div>
      <YourStatus retiredAt={null} reason={null} classifiedByYouAt={classifiedByYouAt} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <GalaxyViewer src={galaxyImageUrl(galaxy)} alt={`Galaxy ${id}`} />
        <Card title="Still being classified">
          <div className="space-y-3 text-sm text-slate-300">
            <p>
              {classificationCount} {classificationCount === 1 ? "volunteer has" : "volunteers have"} classified this galaxy so far.
              What they said, the catalogue&apos;s label and the model&apos;s guess are shown here once it retires, so that
              nobody&apos;s answer is swayed by them.
            </p>
            <Link href="/classify" className="inline-block text-indigo-300 underline">
              Classify galaxies
            </Link>
          </div>
        </Card>
      </div>
      <Talk galaxyId={id} />
    </div>
  );
}
