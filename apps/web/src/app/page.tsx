import { CLASS_LABELS, HIWL_CLASSES, SELECTION_RULES, getAnswer, type HiwlClass } from "@hiwl/model";
import { AnswerIcon, Card } from "@hiwl/ui";
import Link from "next/link";
import { DisplayNameForm } from "~/components/display-name-form.tsx";

/** A class is drawn with the pictogram of the last (most specific) answer its selection rule asks for. */
const classIcon = (c: HiwlClass) => getAnswer(SELECTION_RULES[c].at(-1)![0]).icon;

export default function Home() {
  return (
    <div className="space-y-10 sm:space-y-14">
      <section className="pt-6 text-center sm:pt-12">
        <p className="text-xs font-medium tracking-[0.3em] text-indigo-300 uppercase">Citizen science</p>
        <h1 className="mx-auto mt-3 max-w-3xl text-4xl font-bold tracking-tight text-balance text-white sm:text-6xl">
          Help sort the galaxies of the Sloan sky
        </h1>
        <p className="mx-auto mt-5 max-w-2xl text-base text-pretty text-slate-300 sm:text-lg">
          Look at a galaxy, answer a few questions about its shape, and your answers train a classifier that learns to tell
          round, cigar-shaped, edge-on and spiral galaxies apart.
        </p>
        <div className="mt-8 flex flex-wrap justify-center gap-3">
          <Link
            href="/classify"
            className="rounded-xl bg-gradient-to-r from-indigo-500 to-cyan-500 px-6 py-3 font-semibold text-white shadow-lg shadow-indigo-900/40 hover:from-indigo-400 hover:to-cyan-400"
          >
            Start classifying
          </Link>
          <Link href="/gallery" className="rounded-xl border border-white/15 px-6 py-3 font-medium text-slate-200 hover:bg-white/5">
            Browse the gallery
          </Link>
        </div>
      </section>

      <section className="grid grid-cols-2 gap-3 sm:grid-cols-5">
        {HIWL_CLASSES.map((c) => (
          <div
            key={c}
            className="flex flex-col items-center gap-2 rounded-2xl border border-white/10 bg-white/5 p-4 text-center last:col-span-2 sm:last:col-span-1"
          >
            <AnswerIcon name={classIcon(c)} className="h-12 w-12 text-indigo-200" />
            <span className="text-sm text-slate-300">{CLASS_LABELS[c]}</span>
          </div>
        ))}
      </section>

      <Card title="Who you are here" className="mx-auto max-w-2xl">
        <p className="mb-3 text-sm text-slate-400">
          No account needed: this browser keeps an anonymous volunteer id. Pick a name if you like.
        </p>
        <DisplayNameForm />
      </Card>
    </div>
  );
}
