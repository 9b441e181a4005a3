"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "~/trpc/react.tsx";

/** Ends this session, or with `everywhere` every session of this researcher (a lost laptop). */
export function SignOutButton({ everywhere = false }: { everywhere?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const onSuccess = () => {
    router.push("/");
    router.refresh();
  };
  const signOut = useMutation(trpc.auth.signOut.mutationOptions({ onSuccess }));
  const signOutEverywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions({ onSuccess }));
  const pending = signOut.isPending || signOutEverywhere.isPending;
  return (
    <button
      type="button"
      onClick={() => (everywhere ? signOutEverywhere.mutate() : signOut.mutate())}
      disabled={pending}
      className="rounded-lg border border-white/15 px-3 py-1.5 text-slate-300 hover:border-white/30 hover:text-white"
    >
      {everywhere ? "Sign out everywhere" : "Sign out"}
    </button>
  );
}
