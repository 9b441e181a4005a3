import { getAnswer } from "@hiwl/model";

/** A walk through the tree as a row of answer labels. */
export function AnswerChips({ answers, label }: { answers: readonly string[]; label?: string }) {
  return (
    <ol className="flex flex-wrap items-center gap-1.5 text-xs" aria-label={label}>
      {answers.map((id, i) => (
        <li key={`${i}-${id}`} className="rounded-full border border-white/10 bg-white/5 px-2 py-0.5 text-slate-300">
          {getAnswer(id).label}
        </li>
      ))}
    </ol>
  );
}
