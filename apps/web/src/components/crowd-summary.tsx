import { CLASS_LABELS, classDistribution, selectClass } from "@hiwl/model";
import { ProbabilityBars, VoteFractionTable } from "@hiwl/ui";
import { classItems, voteGroups } from "~/lib/votes.ts";

export interface CrowdSummaryProps {
  classificationCount: number;
  /** The 37 cumulative fractions. */
  voteFractions: readonly number[];
  voteCounts: Readonly<Record<string, number>>;
  /** Show every question of the tree, the unanswered ones too, without folding the table. */
  full?: boolean;
}

/** What the volunteers said about a galaxy: the 5-class distribution, the consensus, the 37 fractions. */
export function CrowdSummary({ classificationCount, voteFractions, voteCounts, full = false }: CrowdSummaryProps) {
  const n = classificationCount;
  if (n === 0) return <p className="text-sm text-slate-400">Nobody has classified this galaxy yet.</p>;
  const distribution = classDistribution(voteFractions);
  const consensus = selectClass(voteFractions);
  const table = <VoteFractionTable groups={voteGroups(voteFractions, voteCounts)} showEmpty={full} />;
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-300">
        {n} {n === 1 ? "classification" : "classifications"} so far.{" "}
        {consensus ? (
          <>
            Consensus: <strong className="text-white">{CLASS_LABELS[consensus]}</strong>.
          </>
        ) : (
          "No class passes the selection rules yet."
        )}
      </p>
      {distribution ? (
        <ProbabilityBars items={classItems(distribution)} highlight={consensus} />
      ) : (
        <p className="text-sm text-slate-400">Everyone so far saw a star or an artifact.</p>
      )}
      {full ? (
        table
      ) : (
        <details className="group rounded-xl border border-white/10 px-3 py-2">
          <summary className="cursor-pointer text-sm text-slate-300 select-none">All answers (Kaggle vote fractions)</summary>
          <div className="mt-2">{table}</div>
        </details>
      )}
    </div>
  );
}
