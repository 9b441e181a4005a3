export interface VoteFractionRow {
  id: string;
  label: string;
  /** Cumulative (Kaggle) fraction in [0, 1]. */
  value: number;
  /** Votes for this answer, when known. */
  count?: number;
}

export interface VoteFractionGroup {
  id: string;
  title: string;
  rows: readonly VoteFractionRow[];
}

export interface VoteFractionTableProps {
  groups: readonly VoteFractionGroup[];
  /** Groups whose answers are all zero are folded away unless asked for. */
  showEmpty?: boolean;
}

export function VoteFractionTable({ groups, showEmpty = false }: VoteFractionTableProps) {
  const shown = showEmpty ? groups : groups.filter((g) => g.rows.some((r) => r.value > 0));
  const withCounts = groups.some((g) => g.rows.some((r) => r.count !== undefined));
  return (
    <table className="w-full text-left text-sm">
      <thead className="text-xs uppercase tracking-wide text-slate-400">
        <tr>
          <th className="py-1 pr-2 font-medium">Answer</th>
          <th className="py-1 pr-2 font-medium">Column</th>
          {withCounts && <th className="py-1 pr-2 text-right font-medium">Votes</th>}
          <th className="py-1 text-right font-medium">Fraction</th>
        </tr>
      </thead>
      {shown.map((g) => (
        <tbody key={g.id} className="border-t border-white/10">
          <tr>
            <th colSpan={withCounts ? 4 : 3} className="pt-3 pb-1 font-medium text-slate-200">
              {g.title}
            </th>
          </tr>
          {g.rows.map((r) => (
            <tr key={r.id} className="text-slate-300">
              <td className="py-0.5 pr-2">{r.label}</td>
              <td className="py-0.5 pr-2 font-mono text-xs text-slate-500">{r.id}</td>
              {withCounts && <td className="py-0.5 pr-2 text-right tabular-nums">{r.count ?? ""}</td>}
              <td className="py-0.5 text-right tabular-nums">
                <span className="inline-flex items-center gap-2">
                  <span className="hidden h-1.5 w-16 overflow-hidden rounded-full bg-white/10 sm:inline-block">
                    <span className="block h-full bg-indigo-300/80" style={{ width: `${r.value * 100}%` }} />
                  </span>
                  {r.value.toFixed(3)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}
