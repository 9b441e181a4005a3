import { QUESTIONS } from "@hiwl/model";
import { Card } from "@hiwl/ui";
import type { Metadata } from "next";
import { AnswerExamples } from "~/components/field-guide/answer-examples.tsx";
import { serverApi } from "~/trpc/server.ts";

export const metadata: Metadata = { title: "Field guide" };
export const dynamic = "force-dynamic";

/** Every question of the tree with what each answer looks like, from the tree's own data and retired galaxies. */
export default async function FieldGuidePage() {
  const examples = await (await serverApi()).galaxy.fieldGuide();
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <header className="space-y-2">
        <h1 className="text-2xl font-semibold text-white">Field guide</h1>
        <p className="text-slate-300">
          What each answer means, with galaxies on which the volunteers agreed. Unsure? Pick the answer that fits best: every
          galaxy is seen by many volunteers.
        </p>
      </header>
      {QUESTIONS.map((q) => (
        <Card key={q.id}>
          <section id={`question-${q.id}`} aria-labelledby={`question-${q.id}-title`} className="scroll-mt-24 space-y-4">
            <h2 id={`question-${q.id}-title`} className="text-lg font-semibold text-white">
              {q.text}
            </h2>
            <dl className="space-y-4">
              {q.answers.map((a) => (
                <div key={a.id} data-answer={a.id} className="grid gap-2 sm:grid-cols-[12rem_1fr]">
                  <dt className="font-medium text-slate-100">{a.label}</dt>
                  <dd className="space-y-2 text-sm text-slate-300">
                    <p>{a.help}</p>
                    <AnswerExamples label={a.label} examples={examples[a.id]} />
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        </Card>
      ))}
    </div>
  );
}
