export interface ProbabilityItem {
  id: string;
  label: string;
  /** In [0, 1]. */
  value: number;
}

export interface ProbabilityBarsProps {
  items: readonly ProbabilityItem[];
  /** Item drawn in the accent colour, e.g. the consensus or predicted class. */
  highlight?: string | null;
}

const percent = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

export function ProbabilityBars({ items, highlight }: ProbabilityBarsProps) {
  return (
    <ul className="space-y-2">
      {items.map((item) => {
        const on = item.id === highlight;
        return (
          <li key={item.id} data-id={item.id}>
            <div className="flex items-baseline justify-between gap-3 text-sm">
              <span className={on ? "font-semibold text-white" : "text-slate-300"}>{item.label}</span>
              <span className="tabular-nums text-slate-400">{percent(item.value)}</span>
            </div>
            <div className="mt-1 h-2 overflow-hidden rounded-full bg-white/10">
              <div
                className={`h-full rounded-full ${on ? "bg-gradient-to-r from-indigo-400 to-cyan-300" : "bg-slate-400/60"}`}
                style={{ width: `${Math.max(0, Math.min(1, item.value)) * 100}%` }}
              />
            </div>
          </li>
        );
      })}
    </ul>
  );
}
