"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { splitHashtags } from "~/lib/hashtags.ts";
import { useTRPC } from "~/trpc/react.tsx";

/** A comment's text with its #hashtags linked; plain text, never HTML. */
function CommentBody({ body }: { body: string }) {
  return (
    <p className="text-sm whitespace-pre-wrap text-slate-200">
      {splitHashtags(body).map((part, i) =>
        "tag" in part ? (
          <Link key={i} href={`/talk/tags/${encodeURIComponent(part.tag.toLowerCase())}`} className="text-indigo-300 hover:underline">
            #{part.tag}
          </Link>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </p>
  );
}

/** A galaxy's discussion: the comments, a form to add one, and for researchers hide and block. */
export function Talk({ galaxyId }: { galaxyId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const comments = useQuery(trpc.talk.comments.queryOptions({ galaxyId }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.talk.comments.queryKey({ galaxyId }) });
  const [body, setBody] = useState("");
  const post = useMutation(
    trpc.talk.post.mutationOptions({
      onSuccess: () => {
        setBody("");
        void refresh();
      },
    }),
  );
  const hide = useMutation(trpc.talk.hide.mutationOptions({ onSuccess: () => void refresh() }));
  const block = useMutation(trpc.talk.block.mutationOptions());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body.trim()) post.mutate({ galaxyId, body });
  };
  return (
    <section id="talk" aria-labelledby="talk-title" className="scroll-mt-24 space-y-4 rounded-2xl border border-white/10 bg-white/[0.03] p-5">
      <h2 id="talk-title" className="text-lg font-semibold text-white">
        Talk
      </h2>
      {comments.isPending && <p className="text-sm text-slate-400">Loading the discussion…</p>}
      {comments.isError && <p className="text-sm text-rose-300">Could not load the discussion: {comments.error.message}</p>}
      {comments.data && !comments.data.open && (
        <p className="text-sm text-slate-300">
          The discussion of this galaxy opens once you have classified it, so that nobody&apos;s answer is swayed by it.
        </p>
      )}
      {comments.data?.open && (
        <>
          {comments.data.comments.length === 0 ? (
            <p className="text-sm text-slate-400">No comments yet. What did you notice?</p>
          ) : (
            <ol className="space-y-3" data-testid="comments">
              {comments.data.comments.map((c) => (
                <li key={c.id} data-comment-id={c.id} className={`space-y-1 ${c.hidden ? "opacity-60" : ""}`}>
                  <div className="flex flex-wrap items-baseline gap-2 text-xs text-slate-400">
                    <span className="font-medium text-slate-200">{c.author}</span>
                    <time dateTime={c.createdAt.toISOString()}>{c.createdAt.toLocaleString()}</time>
                    {c.hidden && <span className="text-amber-300">hidden</span>}
                    {comments.data.researcher && (
                      <>
                        <button type="button" className="underline hover:text-white" onClick={() => hide.mutate({ commentId: c.id, hidden: !c.hidden })}>
                          {c.hidden ? "Show" : "Hide"}
                        </button>
                        {c.volunteerId && (
                          <button type="button" className="underline hover:text-white" onClick={() => block.mutate({ volunteerId: c.volunteerId!, blocked: true })}>
                            Block author
                          </button>
                        )}
                      </>
                    )}
                  </div>
                  <CommentBody body={c.body} />
                </li>
              ))}
            </ol>
          )}
          {block.isSuccess && <p className="text-xs text-slate-400">The author can no longer post.</p>}
          <form onSubmit={submit} className="space-y-2">
            <label className="block text-sm text-slate-300" htmlFor="talk-body">
              Add a comment (#hashtags link galaxies together)
            </label>
            <textarea
              id="talk-body"
              value={body}
              onChange={(e) => setBody(e.target.value)}
              rows={3}
              maxLength={2000}
              className="w-full rounded-xl border border-white/15 bg-black/30 p-3 text-sm text-slate-100"
            />
            {post.isError && <p className="text-sm text-rose-300">Could not post: {post.error.message}</p>}
            <button
              type="submit"
              disabled={post.isPending || !body.trim()}
              className="rounded-xl bg-indigo-500 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-400 disabled:opacity-50"
            >
              Post
            </button>
          </form>
        </>
      )}
    </section>
  );
}
