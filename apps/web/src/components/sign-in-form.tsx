"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { useTRPC } from "~/trpc/react.tsx";

const field =
  "w-full rounded-lg border border-white/15 bg-white/5 px-3 py-2 text-white placeholder:text-slate-500 focus:border-indigo-300 focus:outline-none";

export function SignInForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: () => {
        router.push("/dashboard");
        // The header (server-rendered) shows who is signed in.
        router.refresh();
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === "string" ? value : "";
    };
    signIn.mutate({ username: field("username"), password: field("password") });
  };
  return (
    <form onSubmit={submit} className="space-y-4">
      <label className="block space-y-1.5 text-sm">
        <span className="text-slate-300">Username</span>
        <input name="username" autoComplete="username" required className={field} />
      </label>
      <label className="block space-y-1.5 text-sm">
        <span className="text-slate-300">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className={field} />
      </label>
      {signIn.isError && (
        <p role="alert" className="text-sm text-rose-300">
          {signIn.error.message}
        </p>
      )}
      <button
        type="submit"
        disabled={signIn.isPending}
        className="w-full rounded-xl bg-gradient-to-r from-indigo-500 to-cyan-500 px-5 py-2.5 font-semibold text-white hover:from-indigo-400 hover:to-cyan-400 disabled:opacity-60"
      >
        {signIn.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
