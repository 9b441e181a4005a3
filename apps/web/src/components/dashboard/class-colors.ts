import type { HiwlClass } from "@hiwl/model";

/** One colour per class wherever the dashboard draws classes, readable on its dark cards. */
export const CLASS_COLORS: Record<HiwlClass | "none", string> = {
  round: "#f472b6",
  "in-between": "#fbbf24",
  cigar: "#34d399",
  "edge-on": "#22d3ee",
  spiral: "#a78bfa",
  none: "#64748b",
};
