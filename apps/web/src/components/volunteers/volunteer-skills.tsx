"use client";

import { getQuestion } from "@hiwl/model";
import { Card, DataTable } from "@hiwl/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import type { RouterOutputs } from "~/trpc/types.ts";
import { AnswerChips } from "../answer-chips.tsx";
import { secondaryButton } from "../button-styles.ts";

type Volunteer = RouterOutputs["volunteer"]["skills"]["volunteers"][number];

const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "–");
const when = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ") + " UTC";

const SKILL_COLUMNS = [
  { label: "Volunteer" },
  { label: "Classifications", numeric: true },
  { label: "Gold agreed", numeric: true },
  { label: "Consensus agreement", numeric: true },
  { label: "Reliability", numeric: true },
];

/** Researchers' view of the crowd: each volunteer's skill estimate, and the gold standard behind it. */
export function VolunteerSkills() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const skills = useQuery(trpc.volunteer.skills.queryOptions({ page }));
  const gold = useQuery(trpc.gold.list.queryOptions());
  const refresh = useMutation(
    trpc.volunteer.refreshSkills.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.volunteer.skills.queryKey() }),
    }),
  );
  const pages = skills.data ? Math.max(1, Math.ceil(skills.data.total / skills.data.pageSize)) : 1;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold text-white">Volunteers</h1>
          <p className="max-w-3xl text-sm text-slate-400">
            Each volunteer&apos;s agreement with the gold standard and with the other volunteers, question by question, and
            the reliability estimated from both (one-coin Dawid–Skene). The worker estimates it afresh before every training
            and weights each volunteer&apos;s answers by it in the vote fractions the model learns from.
          </p>
        </div>
        <div className="flex items-center gap-3 text-sm">
          {skills.data && (
            <span className="text-slate-400">{skills.data.updatedAt ? `estimated ${when(skills.data.updatedAt)}` : "not estimated yet"}</span>
          )}
          <button type="button" className={secondaryButton} disabled={refresh.isPending} onClick={() => refresh.mutate()}>
            {refresh.isPending ? "Estimating…" : "Estimate now"}
          </button>
        </div>
      </div>
      {refresh.isError && <p className="text-sm text-rose-300">{refresh.error.message}</p>}

      <Card title="Skill estimates">
        {skills.isPending ? (
          <p className="text-sm text-slate-400">Loading…</p>
        ) : skills.isError ? (
          <p className="text-sm text-rose-300">{skills.error.message}</p>
        ) : skills.data.volunteers.length === 0 ? (
          <p className="text-sm text-slate-400">No estimates yet: they come with the first classifications and an estimate.</p>
        ) : (
          <>
            <DataTable columns={SKILL_COLUMNS} data-testid="volunteer-skills">
              {skills.data.volunteers.map((v) => (
                <SkillRow key={v.volunteerId} volunteer={v} />
              ))}
            </DataTable>
            {pages > 1 && (
              <div className="mt-3 flex items-center gap-3 text-sm text-slate-400">
                <button type="button" className={secondaryButton} disabled={page <= 1} onClick={() => setPage(page - 1)}>
                  Previous
                </button>
                <span>
                  page {page} of {pages}
                </span>
                <button type="button" className={secondaryButton} disabled={page >= pages} onClick={() => setPage(page + 1)}>
                  Next
                </button>
              </div>
            )}
          </>
        )}
      </Card>

      <Card title="Gold standard">
        {gold.isPending ? (
          <p className="text-sm text-slate-400">Loading…</p>
        ) : gold.isError ? (
          <p className="text-sm text-rose-300">{gold.error.message}</p>
        ) : gold.data.length === 0 ? (
          <p className="text-sm text-slate-400">
            No gold galaxies yet: mark one on its galaxy page, or import expert answers with <code>hiwl gold import</code>.
          </p>
        ) : (
          <DataTable
            columns={[{ label: "Galaxy" }, { label: "Expert answers" }, { label: "From" }, { label: "Classified", numeric: true }, { label: "Agreed", numeric: true }]}
            data-testid="gold-standards"
          >
            {gold.data.map((g) => (
              <tr key={g.galaxyId} className="align-top text-slate-300">
                <td className="py-2 pr-3">
                  <Link href={`/galaxies/${g.galaxyId}`} className="text-indigo-300 underline">
                    Galaxy {g.galaxyId}
                  </Link>
                </td>
                <td className="py-2 pr-3">
                  <AnswerChips answers={g.answers} />
                </td>
                <td className="py-2 pr-3">{g.markedBy ?? g.origin}</td>
                <td className="py-2 pr-3 text-right">{g.classifications}</td>
                <td className="py-2 text-right">{percent(g.agreed, g.classifications)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Card>
    </div>
  );
}

function SkillRow({ volunteer: v }: { volunteer: Volunteer }) {
  return (
    <tr className="align-top text-slate-300" data-volunteer-id={v.volunteerId}>
      <td className="py-2 pr-3">
        <details>
          <summary className="cursor-pointer text-white">
            {v.displayName ?? v.volunteerId.slice(0, 8)}
            {v.simulated && <span className="ml-2 text-xs text-slate-500">simulated</span>}
          </summary>
          <ul className="mt-2 space-y-0.5 text-xs text-slate-400">
            {v.questions.map((q) => (
              <li key={q.questionId}>
                {getQuestion(q.questionId).text} {q.answers} answered · gold {q.goldAgreement}/{q.goldAnswers} · consensus{" "}
                {percent(q.consensusAgreement, q.consensusAnswers)} · reliability {q.reliability === null ? "–" : q.reliability.toFixed(2)}
              </li>
            ))}
          </ul>
        </details>
      </td>
      <td className="py-2 pr-3 text-right">{v.classifications}</td>
      <td className="py-2 pr-3 text-right">
        {v.goldAgreement}/{v.goldAnswers}
      </td>
      <td className="py-2 pr-3 text-right">{percent(v.consensusAgreement, v.consensusAnswers)}</td>
      <td className="py-2 text-right">{v.reliability === null ? "–" : v.reliability.toFixed(2)}</td>
    </tr>
  );
}
