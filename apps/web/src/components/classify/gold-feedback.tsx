import { getAnswer, getQuestion } from "@hiwl/model";
import type { RouterOutputs } from "~/trpc/types.ts";

type Feedback = NonNullable<RouterOutputs["classification"]["submit"]["gold"]>;

/** After a gold-standard galaxy: where the volunteer agreed with the expert, and where to read up on the rest. */
export function GoldFeedback({ feedback }: { feedback: Feedback }) {
  const agreed = feedback.filter((f) => f.agreed).length;
  return (
    <div role="status" data-testid="gold-feedback" className="space-y-2 rounded-xl border border-amber-300/30 bg-amber-300/5 p-3 text-sm">
      <p className="font-semibold text-amber-100">
        {agreed === feedback.length
          ? `An expert classified this galaxy too, and you agreed on every question (${agreed} of ${feedback.length}). Well spotted!`
          : `An expert classified this galaxy too: you agreed on ${agreed} of ${feedback.length} questions.`}
      </p>
      <ul className="space-y-1 text-slate-300">
        {feedback.map((f) => (
          <li key={f.questionId} data-agreed={f.agreed}>
            <span className="text-slate-400">{getQuestion(f.questionId).text}</span>{" "}
            {f.agreed ? (
              <span className="text-emerald-300">✓ {getAnswer(f.given).label}</span>
            ) : (
              <>
                <span className="text-rose-300">you: {getAnswer(f.given).label}</span>
                {" · "}
                <span className="text-amber-100">expert: {getAnswer(f.expected).label}</span>{" "}
                <a href={`/field-guide#question-${f.questionId}`} target="_blank" rel="noopener" className="text-indigo-300 underline">
                  field guide ↗
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
