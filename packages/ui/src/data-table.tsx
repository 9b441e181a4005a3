import type { ReactNode, TableHTMLAttributes } from "react";

export interface DataColumn {
  label: string;
  /** Numbers: right-aligned. */
  numeric?: boolean;
  /** Read by screen readers only (a column of buttons, say). */
  hidden?: boolean;
}

export interface DataTableProps extends TableHTMLAttributes<HTMLTableElement> {
  columns: readonly DataColumn[];
  /** The body's rows. */
  children: ReactNode;
}

/** A wide table of records that scrolls sideways on narrow screens, one row per record. */
export function DataTable({ columns, children, ...table }: DataTableProps) {
  return (
    <div className="-mx-4 overflow-x-auto px-4">
      <table className="w-full min-w-[36rem] text-left text-sm" {...table}>
        <thead className="text-xs tracking-wide text-slate-400 uppercase">
          <tr>
            {columns.map((c, i) => (
              <th key={c.label} className={`py-2 font-medium ${i < columns.length - 1 ? "pr-3" : ""} ${c.numeric ? "text-right" : ""}`}>
                {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-white/5">{children}</tbody>
      </table>
    </div>
  );
}
