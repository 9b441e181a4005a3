import Link from "next/link";
import { serverApi } from "~/trpc/server.ts";
import { NavLink } from "./nav-link.tsx";
import { SignOutButton } from "./sign-out-button.tsx";

export async function SiteHeader() {
  const me = await (await serverApi()).auth.me();
  const researcher = me?.role === "researcher";
  return (
    <header className="sticky top-0 z-20 border-b border-white/10 bg-space-950/75 backdrop-blur">
      <div className="mx-auto flex max-w-6xl items-center gap-3 px-4 py-3 sm:px-6">
        <Link href="/" className="flex shrink-0 items-center gap-2 font-semibold tracking-tight text-white">
          <span aria-hidden className="grid h-7 w-7 place-items-center rounded-full bg-gradient-to-br from-indigo-400 to-cyan-300 text-xs text-space-950">
            ✦
          </span>
          <span className="hidden sm:inline">HIWL Galaxy Zoo</span>
        </Link>
        <nav className="-mx-1 flex flex-1 items-center gap-1 overflow-x-auto text-sm">
          <NavLink href="/classify">Classify</NavLink>
          <NavLink href="/field-guide">Field guide</NavLink>
          <NavLink href="/gallery">Gallery</NavLink>
          <NavLink href="/history">History</NavLink>
          <NavLink href="/collections">Collections</NavLink>
          {researcher && <NavLink href="/dashboard">Dashboard</NavLink>}
          {researcher && <NavLink href="/volunteers">Volunteers</NavLink>}
        </nav>
        {me ? (
          <div className="flex shrink-0 items-center gap-2 text-sm">
            <span className="hidden text-slate-400 md:inline">{me.displayName ?? me.username}</span>
            <SignOutButton />
          </div>
        ) : (
          <Link href="/signin" className="shrink-0 text-sm text-slate-400 hover:text-white">
            <span className="hidden sm:inline">Researcher sign-in</span>
            <span className="sm:hidden">Sign in</span>
          </Link>
        )}
      </div>
    </header>
  );
}
