import type { ButtonHTMLAttributes } from "react";
import { AnswerIcon } from "./icons.tsx";

export interface AnswerButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, "children"> {
  label: string;
  /** Pictogram name from the decision tree (`Answer.icon`). */
  icon: string;
  /** Keyboard key that also chooses this answer, shown as a hint. */
  shortcut?: string;
}

export function AnswerButton({ label, icon, shortcut, className = "", ...button }: AnswerButtonProps) {
  return (
    <button
      type="button"
      aria-keyshortcuts={shortcut}
      className={`group relative flex min-h-28 flex-col items-center justify-center gap-2 rounded-2xl border border-white/10 bg-white/5 px-3 py-4 text-slate-100 shadow-sm transition hover:-translate-y-0.5 hover:border-indigo-300/60 hover:bg-indigo-400/10 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-300 active:translate-y-0 disabled:pointer-events-none disabled:opacity-40 ${className}`}
      {...button}
    >
      <AnswerIcon name={icon} className="h-12 w-12 text-indigo-200 transition group-hover:text-white sm:h-14 sm:w-14" />
      <span className="text-center text-sm font-medium leading-tight sm:text-base">{label}</span>
      {shortcut && (
        <kbd aria-hidden="true" className="absolute top-2 right-2 hidden rounded-md border border-white/15 px-1.5 font-mono text-[11px] text-slate-400 sm:block">
          {shortcut}
        </kbd>
      )}
    </button>
  );
}
