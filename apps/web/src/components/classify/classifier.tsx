"use client";

import { remainingQuestions, walk, type Question } from "@hiwl/model";
import { AnswerButton, Card } from "@hiwl/ui";
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useEffectEvent, useRef, useState, type ReactNode } from "react";
import { flushOutbox, isRetryable, outbox, retryDelay, type Submission } from "~/lib/outbox.ts";
import { galaxyImageUrl } from "~/lib/urls.ts";
import { useTRPC, useTRPCClient } from "~/trpc/react.tsx";
import type { RouterOutputs } from "~/trpc/types.ts";
import { AnswerChips } from "../answer-chips.tsx";
import { CrowdSummary } from "../crowd-summary.tsx";
import { FavouriteButton } from "../favourite-button.tsx";
import { ModelPrediction } from "../model-prediction.tsx";
import { secondaryButton as secondary } from "../button-styles.ts";
import { GalaxyViewer } from "./galaxy-viewer.tsx";
import { GoldFeedback } from "./gold-feedback.tsx";
import { Tutorial, tutorialSeen } from "./tutorial.tsx";

type Galaxy = NonNullable<RouterOutputs["classification"]["next"]>;

/** The classify page: one galaxy after another from the queue, walked through the decision tree. */
export function Classifier() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  // Classifications kept from an earlier visit go first: the queue would otherwise hand out a
  // galaxy past them, and their hand-outs could expire.
  const [flushed, setFlushed] = useState(false);
  useEffect(() => {
    void flushOutbox((s) => client.classification.submit.mutate(s)).finally(() => setFlushed(true));
  }, [client]);
  // Always asked afresh: a cached answer could be a galaxy this volunteer has done since.
  const next = useQuery({ ...trpc.classification.next.queryOptions(), staleTime: 0, gcTime: 0, enabled: flushed });
  const queryClient = useQueryClient();
  // A stored classification's answer names the galaxy handed out next: shown at once, with no
  // request to wait for. Without one (a refused submission) the page asks.
  const showNext = (handedOut: Galaxy | null | undefined) => {
    if (handedOut === undefined) void next.refetch();
    else queryClient.setQueryData(trpc.classification.next.queryKey(), handedOut);
  };
  // Read on the client only: nothing below renders before the outbox is flushed (an effect).
  const [tutorial, setTutorial] = useState(() => typeof window !== "undefined" && !tutorialSeen());
  if (!flushed || next.isPending) return <Placeholder>Finding a galaxy…</Placeholder>;
  return (
    <>
      {tutorial && <Tutorial onClose={() => setTutorial(false)} />}
      <div className="mb-3 flex justify-end gap-4 text-sm">
        <button type="button" className="text-slate-400 hover:text-white" onClick={() => setTutorial(true)}>
          Tutorial
        </button>
        <a href="/field-guide" target="_blank" rel="noopener" className="text-slate-400 hover:text-white">
          Field guide ↗
        </a>
      </div>
      <NextGalaxy next={next} onNext={showNext} />
    </>
  );
}

type OnNext = (handedOut: Galaxy | null | undefined) => void;

function NextGalaxy({ next, onNext }: { next: UseQueryResult<Galaxy | null, { message: string }>; onNext: OnNext }) {
  if (next.isError) return <Placeholder>Could not load a galaxy: {next.error.message}</Placeholder>;
  if (!next.data) {
    return (
      <Placeholder>
        <p className="mb-2 font-semibold text-white">No galaxy is waiting for you right now.</p>
        <p>
          Every galaxy still being classified either has your classification already or has all the votes it needs.
          Thank you! New galaxies come when the researchers add them: come back later, or look at what you and others
          found in your{" "}
          <Link className="text-indigo-300 underline" href="/history">
            history
          </Link>{" "}
          and the{" "}
          <Link className="text-indigo-300 underline" href="/gallery">
            gallery
          </Link>
          .
        </p>
      </Placeholder>
    );
  }
  return (
    <GalaxyClassification
      key={next.data.id}
      galaxy={next.data}
      loadingNext={next.isFetching}
      onNext={onNext}
    />
  );
}

/** 32 random hex digits (crypto.randomUUID exists only on HTTPS or localhost pages). */
const randomKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

function Placeholder({ children }: { children: ReactNode }) {
  return <Card className="mx-auto max-w-xl text-center text-slate-300">{children}</Card>;
}

function GalaxyClassification({ galaxy, loadingNext, onNext }: { galaxy: Galaxy; loadingNext: boolean; onNext: OnNext }) {
  const trpc = useTRPC();
  // A walk of this galaxy the server has not acknowledged (the page was closed while offline)
  // comes back as it was, to be sent again.
  const [kept] = useState(() => outbox.forGalaxy(galaxy.id));
  const [answers, setAnswers] = useState<string[]>(() => kept?.answers ?? []);
  const [startedAt] = useState(() => kept?.startedAt ?? new Date());
  // "always": offline, React Query would pause the mutation where the page cannot tell the
  // volunteer; failing lets the outbox below keep it and retry it.
  const submit = useMutation({ ...trpc.classification.submit.mutationOptions(), networkMode: "always" });
  const [attempt, setAttempt] = useState(0);
  const handedOut = submit.data?.next;
  const goNext = () => onNext(handedOut);
  // The next galaxy's image loads while the volunteer reads this one's answer.
  useEffect(() => {
    if (handedOut) new Image().src = galaxyImageUrl(handedOut);
  }, [handedOut]);
  const state = walk(answers);
  // One submission per walk, kept until the server answers: every retry resends it with its
  // idempotency key, so the server stores the walk once.
  const pending = useRef<Submission | null>(kept ?? null);

  const sendPending = () => {
    const submission = pending.current;
    if (!submission) return;
    submit.mutate(submission, {
      onSuccess: () => outbox.drop(submission.idempotencyKey),
      onError: (error) => {
        if (isRetryable(error)) setAttempt((n) => n + 1);
        else outbox.drop(submission.idempotencyKey);
      },
    });
  };
  const send = (walked: string[]) => {
    if (pending.current?.answers.join(",") !== walked.join(",")) {
      pending.current = { galaxyId: galaxy.id, answers: walked, startedAt, finishedAt: new Date(), idempotencyKey: randomKey() };
      outbox.keep(pending.current);
    }
    sendPending();
  };
  const resend = useEffectEvent(sendPending);
  useEffect(() => {
    if (kept) resend();
  }, [kept]);
  const retryable = submit.isError && isRetryable(submit.error);
  // Retries by themselves, backing off, and at once when the browser comes back online.
  useEffect(() => {
    if (!retryable) return;
    const timer = setTimeout(resend, retryDelay(attempt - 1));
    const online = () => resend();
    window.addEventListener("online", online);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("online", online);
    };
  }, [retryable, attempt]);
  // A refusal that a retry cannot change (the hand-out expired, the galaxy was already done).
  const final = submit.error?.data?.code === "CONFLICT" || submit.error?.data?.code === "NOT_FOUND";

  const choose = (answerId: string) => {
    if (state.status !== "in-progress") return;
    const walked = [...answers, answerId];
    setAnswers(walked);
    if (walk(walked).status === "complete") send(walked);
  };

  // Back is open until the classification is stored (or while a failed one waits for a retry).
  const canGoBack = answers.length > 0 && !submit.isPending && !submit.isSuccess;
  const back = () => {
    if (!canGoBack) return;
    // A changed walk is another classification: the unsent one is withdrawn.
    if (pending.current) outbox.drop(pending.current.idempotencyKey);
    pending.current = null;
    submit.reset();
    setAnswers((a) => a.slice(0, -1));
  };

  const onKey = useEffectEvent((e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key === "Backspace") {
      e.preventDefault();
      back();
    } else if (/^[1-9]$/.test(e.key) && state.status === "in-progress") {
      const answer = state.question.answers[Number(e.key) - 1];
      if (answer) choose(answer.id);
    } else if (e.key === "Enter" && submit.isSuccess && !loadingNext && !target?.closest("button, a")) {
      // A focused button or link handles Enter itself ("Next galaxy" has the focus after saving).
      goNext();
    }
  });
  useEffect(() => {
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div
      className="grid gap-4 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)] lg:grid-rows-[auto_1fr] lg:gap-x-6"
      data-testid="classifier"
      data-galaxy-id={galaxy.id}
    >
      <GalaxyViewer src={galaxyImageUrl(galaxy)} alt={`Galaxy ${galaxy.id}`} />
      {/* Beside the image on wide screens; on a phone straight under it, before the model's guess. */}
      <div className="space-y-4 lg:col-start-2 lg:row-span-2 lg:row-start-1">
        {answers.length > 0 && <AnswerChips answers={answers} label="Your answers" />}
        {state.status === "in-progress" && (
          <QuestionPanel question={state.question} answered={answers.length} canGoBack={canGoBack} onChoose={choose} onBack={back} />
        )}
        {state.status === "complete" && (
          <Card title={submit.isSuccess ? "Saved, thank you!" : "Your classification"}>
            {submit.isPending && <p className="text-sm text-slate-400">Saving…</p>}
            {submit.isError && (
              <div className="space-y-3 text-sm" role="status">
                {retryable ? (
                  <p className="text-amber-300">
                    Not saved yet: {navigator.onLine ? "the server did not answer" : "you seem to be offline"}. Your
                    answers are kept in this browser and sent again automatically, even if you close the page.
                  </p>
                ) : (
                  <p className="text-rose-300">Could not save: {submit.error.message}</p>
                )}
                <div className="flex gap-2">
                  {final ? (
                    <button type="button" className={secondary} disabled={loadingNext} onClick={goNext}>
                      Next galaxy
                    </button>
                  ) : (
                    <>
                      <button type="button" className={secondary} onClick={() => send(answers)}>
                        {retryable ? "Retry now" : "Try again"}
                      </button>
                      <button type="button" className={secondary} onClick={back}>
                        Back
                      </button>
                    </>
                  )}
                </div>
              </div>
            )}
            {submit.data?.galaxy && (
              <div className="space-y-5">
                {submit.data.gold && submit.data.gold.length > 0 && <GoldFeedback feedback={submit.data.gold} />}
                <CrowdSummary
                  classificationCount={submit.data.galaxy.classificationCount}
                  voteFractions={submit.data.galaxy.voteFractions}
                  voteCounts={submit.data.galaxy.voteCounts}
                />
                <div className="flex flex-wrap items-center gap-3">
                  <button type="button" autoFocus className={primary} disabled={loadingNext} onClick={goNext}>
                    {loadingNext ? "Loading…" : "Next galaxy"}
                  </button>
                  <Link href={`/galaxies/${galaxy.id}#talk`} className="text-sm text-slate-400 hover:text-white">
                    Done &amp; Talk
                  </Link>
                  <FavouriteButton galaxyId={galaxy.id} />
                  <span className="ml-auto hidden text-xs text-slate-500 sm:inline">Enter: next galaxy</span>
                </div>
              </div>
            )}
          </Card>
        )}
        {state.status === "invalid" && <Card className="text-rose-300">{state.error}</Card>}
      </div>
      <div className="lg:col-start-1 lg:row-start-2">
        <ModelPrediction imageUrl={galaxyImageUrl(galaxy)} revealed={state.status === "complete"} />
      </div>
    </div>
  );
}

function QuestionPanel(props: {
  question: Question;
  answered: number;
  canGoBack: boolean;
  onChoose: (answerId: string) => void;
  onBack: () => void;
}) {
  const { question, answered, canGoBack, onChoose, onBack } = props;
  const { min, max } = remainingQuestions(question.id);
  const toGo = min === max ? `${min}` : `${min}–${max}`;
  const share = answered / (answered + (min + max) / 2);
  return (
    <Card>
      <div className="mb-4 space-y-2">
        <div className="flex items-baseline justify-between text-xs text-slate-400">
          <span>
            Question {answered + 1} · {toGo} to go
          </span>
          <span className="hidden sm:inline">Keys 1–{question.answers.length} answer · Backspace goes back</span>
        </div>
        <div className="h-1 overflow-hidden rounded-full bg-white/10" role="progressbar" aria-label="Progress through the questions" aria-valuenow={Math.round(share * 100)}>
          <div className="h-full rounded-full bg-gradient-to-r from-indigo-400 to-cyan-300 transition-all" style={{ width: `${share * 100}%` }} />
        </div>
      </div>
      <h1 className="mb-5 text-xl font-semibold text-balance text-white sm:text-2xl">{question.text}</h1>
      <div className={`grid gap-3 ${ANSWER_COLUMNS[question.answers.length] ?? "grid-cols-2 sm:grid-cols-3"}`}>
        {question.answers.map((a, i) => (
          <AnswerButton
            key={a.id}
            label={a.label}
            icon={a.icon}
            shortcut={String(i + 1)}
            onClick={() => onChoose(a.id)}
          />
        ))}
      </div>
      <div className="mt-5 flex items-center justify-between">
        <button type="button" className={secondary} disabled={!canGoBack} onClick={onBack}>
          ← Back
        </button>
        <a
          href={`/field-guide#question-${question.id}`}
          target="_blank"
          rel="noopener"
          className="text-sm text-slate-400 hover:text-white"
        >
          What do these answers mean? ↗
        </a>
      </div>
    </Card>
  );
}

// Rows that fill up: two answers side by side, four in a row (two on a phone), else threes.
const ANSWER_COLUMNS: Record<number, string> = { 2: "grid-cols-2", 3: "grid-cols-3", 4: "grid-cols-2 sm:grid-cols-4" };

const primary =
  "rounded-xl bg-gradient-to-r from-indigo-500 to-cyan-500 px-5 py-2.5 font-semibold text-white shadow-lg shadow-indigo-900/40 hover:from-indigo-400 hover:to-cyan-400 disabled:opacity-60";
