import { Card } from "@hiwl/ui";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "~/components/sign-in-form.tsx";
import { serverApi } from "~/trpc/server.ts";

export const metadata: Metadata = { title: "Researcher sign-in" };

export default async function SignInPage() {
  const me = await (await serverApi()).auth.me();
  if (me?.role === "researcher") redirect("/dashboard");
  return (
    <div className="mx-auto max-w-sm pt-6 sm:pt-12">
      <Card title="Researcher sign-in">
        <p className="mb-4 text-sm text-slate-400">
          Researchers retrain the model and export the data. Volunteers need no account.
        </p>
        <SignInForm />
      </Card>
    </div>
  );
}
