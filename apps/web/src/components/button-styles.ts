/** The site's two plain button looks (the classify page's "Next galaxy" has its own). */
export const primaryButton = "rounded-xl bg-indigo-500 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-400 disabled:opacity-60";
export const secondaryButton =
  "rounded-xl border border-white/15 px-4 py-2 text-sm text-slate-200 hover:border-white/30 hover:bg-white/5 disabled:opacity-40";
