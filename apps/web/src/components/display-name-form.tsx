"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "~/trpc/react.tsx";

/** Lets an anonymous volunteer pick the name shown with their classifications. */
export function DisplayNameForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.volunteer.me.queryOptions());
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation(
    trpc.volunteer.setDisplayName.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.volunteer.me.queryKey(), data);
        setDraft(null);
      },
    }),
  );
  const value = draft ?? me.data?.displayName ?? "";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ name: value.trim() || null });
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-center gap-2 text-sm">
      <label htmlFor="display-name" className="text-slate-400">
        Your name
      </label>
      <input
        id="display-name"
        value={value}
        maxLength={40}
        placeholder="Anonymous volunteer"
        disabled={me.isPending}
        onChange={(e) => setDraft(e.target.value)}
        className="min-w-0 flex-1 rounded-lg border border-white/15 bg-white/5 px-3 py-1.5 text-white placeholder:text-slate-500 focus:border-indigo-300 focus:outline-none sm:max-w-56"
      />
      <button
        type="submit"
        disabled={save.isPending || draft === null}
        className="rounded-lg border border-white/15 px-3 py-1.5 text-slate-200 hover:bg-white/5 disabled:opacity-40"
      >
        Save
      </button>
      {save.isSuccess && draft === null && <span className="text-emerald-300">Saved</span>}
      {save.isError && <span className="text-rose-300">{save.error.message}</span>}
    </form>
  );
}
