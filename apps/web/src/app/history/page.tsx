import type { Metadata } from "next";
import { DisplayNameForm } from "~/components/display-name-form.tsx";
import { HistoryList } from "~/components/history-list.tsx";

export const metadata: Metadata = { title: "Your classifications" };

export default function HistoryPage() {
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-semibold text-white">Your classifications</h1>
        <DisplayNameForm />
      </div>
      <HistoryList />
    </div>
  );
}
