"use client";

import { getQuestion, ROOT_QUESTION } from "@hiwl/model";
import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useTRPC } from "~/trpc/react.tsx";
import { primaryButton as primary, secondaryButton as secondary } from "../button-styles.ts";
import { AnswerExamples } from "../field-guide/answer-examples.tsx";

/** Set once a volunteer has finished or skipped the tutorial; the classify page opens it until then. */
export const TUTORIAL_SEEN = "hiwl.tutorial.seen";

export function tutorialSeen(): boolean {
  try {
    return localStorage.getItem(TUTORIAL_SEEN) !== null;
  } catch {
    return true;
  }
}

/** A few pages on what to do, the first question's answers with real examples, and how to walk the tree. */
export function Tutorial({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const examples = useQuery(trpc.galaxy.fieldGuide.queryOptions());
  const [page, setPage] = useState(0);
  const first = getQuestion(ROOT_QUESTION);
  const pages: { title: string; body: ReactNode }[] = [
    {
      title: "Welcome, and thank you",
      body: (
        <p>
          You will see one galaxy at a time and answer a few questions about its shape, one after another. Your answers,
          with those of other volunteers, decide each galaxy&apos;s class and teach a model that learns to classify the
          rest. No expertise needed: many volunteers see every galaxy.
        </p>
      ),
    },
    {
      title: `The first question: ${first.text}`,
      body: (
        <dl className="space-y-4">
          {first.answers.map((a) => (
            <div key={a.id} className="space-y-1">
              <dt className="font-medium text-white">{a.label}</dt>
              <dd className="space-y-2 text-sm">
                <p>{a.help}</p>
                <AnswerExamples label={a.label} examples={examples.data?.[a.id]} />
              </dd>
            </div>
          ))}
        </dl>
      ),
    },
    {
      title: "Walking the tree",
      body: (
        <ul className="list-disc space-y-2 pl-5">
          <li>Each answer leads to the next question; a classification takes 1 to 9 of them.</li>
          <li>Click an answer or press its number key; Back or Backspace changes the previous one.</li>
          <li>Not sure? Pick the answer that fits best. The field guide shows what every answer looks like.</li>
          <li>
            After the last answer you see what the other volunteers said and what the model thinks. Your answers are
            kept until they are saved, even if your connection drops.
          </li>
        </ul>
      ),
    },
  ];
  const last = page === pages.length - 1;
  const close = () => {
    try {
      localStorage.setItem(TUTORIAL_SEEN, "1");
    } catch {
      // Private mode: the tutorial opens again next time, which does no harm.
    }
    onClose();
  };
  return (
    <div className="fixed inset-0 z-30 grid place-items-center bg-space-950/80 p-4" role="presentation">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="tutorial-title"
        className="max-h-[90vh] w-full max-w-xl space-y-4 overflow-y-auto rounded-2xl border border-white/10 bg-space-900 p-6 text-slate-300 shadow-2xl"
      >
        <p className="text-xs text-slate-400">
          Tutorial · {page + 1} of {pages.length}
        </p>
        <h2 id="tutorial-title" className="text-xl font-semibold text-balance text-white">
          {pages[page]!.title}
        </h2>
        {pages[page]!.body}
        <div className="flex flex-wrap items-center gap-2 pt-2">
          <button type="button" className={secondary} onClick={close}>
            Skip
          </button>
          <span className="flex-1" />
          {page > 0 && (
            <button type="button" className={secondary} onClick={() => setPage(page - 1)}>
              Previous
            </button>
          )}
          <button type="button" autoFocus className={primary} onClick={last ? close : () => setPage(page + 1)}>
            {last ? "Start classifying" : "Next"}
          </button>
        </div>
      </div>
    </div>
  );
}
