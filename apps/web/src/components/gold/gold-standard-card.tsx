"use client";

import { walk } from "@hiwl/model";
import { AnswerButton, Card } from "@hiwl/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { AnswerChips } from "../answer-chips.tsx";
import { primaryButton as primary, secondaryButton as secondary } from "../button-styles.ts";

/**
 * For researchers on a galaxy's page: its expert answers, or a walk of the tree that makes it
 * gold. Volunteers then get it mixed into their queue and are told how they did.
 */
export function GoldStandardCard({ galaxyId }: { galaxyId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const gold = useQuery(trpc.gold.byGalaxy.queryOptions({ galaxyId }));
  const [answers, setAnswers] = useState<string[] | null>(null);
  const refresh = () => {
    setAnswers(null);
    void queryClient.invalidateQueries({ queryKey: trpc.gold.byGalaxy.queryKey({ galaxyId }) });
    void queryClient.invalidateQueries({ queryKey: trpc.gold.list.queryKey() });
  };
  const mark = useMutation(trpc.gold.mark.mutationOptions({ onSuccess: refresh }));
  const unmark = useMutation(trpc.gold.unmark.mutationOptions({ onSuccess: refresh }));
  const error = mark.error ?? unmark.error;

  if (answers !== null) {
    const state = walk(answers);
    return (
      <Card title="Gold standard: your answers" data-testid="gold-standard">
        <div className="space-y-3">
          {answers.length > 0 && <AnswerChips answers={answers} label="Expert answers so far" />}
          {state.status === "in-progress" && (
            <fieldset className="space-y-2">
              <legend className="text-sm text-white">{state.question.text}</legend>
              <div className="grid grid-cols-2 gap-2 sm:grid-cols-3">
                {state.question.answers.map((a) => (
                  <AnswerButton key={a.id} label={a.label} icon={a.icon} className="min-h-20" onClick={() => setAnswers([...answers, a.id])} />
                ))}
              </div>
            </fieldset>
          )}
          <div className="flex flex-wrap gap-2">
            {state.status === "complete" && (
              <button type="button" className={primary} disabled={mark.isPending} onClick={() => mark.mutate({ galaxyId, answers })}>
                Save as gold standard
              </button>
            )}
            <button type="button" className={secondary} disabled={answers.length === 0} onClick={() => setAnswers(answers.slice(0, -1))}>
              ← Back
            </button>
            <button type="button" className={secondary} onClick={() => setAnswers(null)}>
              Cancel
            </button>
          </div>
          {error && <p className="text-sm text-rose-300">{error.message}</p>}
        </div>
      </Card>
    );
  }
  return (
    <Card title="Gold standard" data-testid="gold-standard">
      {gold.isPending ? (
        <p className="text-sm text-slate-400">Loading…</p>
      ) : gold.data ? (
        <div className="space-y-3 text-sm text-slate-300">
          <p>Volunteers get this galaxy mixed into their queue and see these answers after theirs; their votes never retire it.</p>
          <AnswerChips answers={gold.data} label="Expert answers" />
          <div className="flex flex-wrap gap-2">
            <button type="button" className={secondary} onClick={() => setAnswers([])}>
              Answer again
            </button>
            <button type="button" className={secondary} disabled={unmark.isPending} onClick={() => unmark.mutate({ galaxyId })}>
              Remove from the gold standard
            </button>
          </div>
        </div>
      ) : (
        <div className="space-y-3 text-sm text-slate-300">
          <p>Not gold. Classify it as an expert to make it one: volunteers then learn from your answers.</p>
          <button type="button" className={secondary} onClick={() => setAnswers([])}>
            Mark as gold standard
          </button>
        </div>
      )}
      {error && <p className="mt-2 text-sm text-rose-300">{error.message}</p>}
    </Card>
  );
}
