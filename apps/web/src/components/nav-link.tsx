"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

export function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const active = usePathname().startsWith(href);
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={`rounded-lg px-3 py-1.5 whitespace-nowrap transition ${active ? "bg-white/10 text-white" : "text-slate-400 hover:text-white"}`}
    >
      {children}
    </Link>
  );
}
