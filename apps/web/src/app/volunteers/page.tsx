import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { VolunteerSkills } from "~/components/volunteers/volunteer-skills.tsx";
import { serverApi } from "~/trpc/server.ts";

export const metadata: Metadata = { title: "Volunteers" };

export default async function VolunteersPage() {
  // The data behind it is guarded by the API itself; this only spares a visitor an empty page.
  const me = await (await serverApi()).auth.me();
  if (me?.role !== "researcher") redirect("/signin");
  return <VolunteerSkills />;
}
