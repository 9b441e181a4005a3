import type { ReactNode, SVGProps } from "react";

/**
 * Pictograms for the answers of the decision tree, keyed by the `icon` name each answer
 * carries in @hiwl/model. They are drawn in a 48x48 box with `currentColor`, so a button's
 * text colour themes them.
 */

const C = 24;

/** A logarithmic spiral arm from near the centre outwards, as an SVG path. */
function arm(rotation: number, pitch: number, turns: number, r0 = 3, rMax = 20): string {
  const b = Math.tan((pitch * Math.PI) / 180);
  const steps = 40;
  const thetaMax = Math.min(turns * 2 * Math.PI, Math.log(rMax / r0) / b);
  let d = "";
  for (let i = 0; i <= steps; i++) {
    const t = (thetaMax * i) / steps;
    const r = r0 * Math.exp(b * t);
    const x = C + r * Math.cos(t + rotation);
    const y = C + r * Math.sin(t + rotation);
    d += `${i === 0 ? "M" : "L"}${x.toFixed(2)} ${y.toFixed(2)}`;
  }
  return d;
}

function arms(n: number, pitch = 18, turns = 1.2): ReactNode {
  return (
    <>
      <circle cx={C} cy={C} r={3.2} fill="currentColor" stroke="none" />
      {Array.from({ length: n }, (_, i) => (
        <path key={i} d={arm((2 * Math.PI * i) / n, pitch, turns)} />
      ))}
    </>
  );
}

const glow = (r: number, rx = r, ry = r, rotate = 0): ReactNode => (
  <g transform={`rotate(${rotate} ${C} ${C})`} stroke="none" fill="currentColor">
    <ellipse cx={C} cy={C} rx={rx} ry={ry} opacity={0.18} />
    <ellipse cx={C} cy={C} rx={rx * 0.7} ry={ry * 0.7} opacity={0.3} />
    <ellipse cx={C} cy={C} rx={rx * 0.4} ry={ry * 0.4} opacity={0.7} />
  </g>
);

const edgeOnDisk = <ellipse cx={C} cy={C} rx={20} ry={3.5} />;

const bulge = (r: number): ReactNode => (
  <>
    <ellipse cx={C} cy={C} rx={20} ry={5} opacity={0.6} />
    {r > 0 && <circle cx={C} cy={C} r={r} fill="currentColor" stroke="none" />}
  </>
);

const text = (s: string, size = 14): ReactNode => (
  <text
    x={C}
    y={C + size * 0.36}
    textAnchor="middle"
    fontSize={size}
    fontWeight={700}
    fill="currentColor"
    stroke="none"
    fontFamily="system-ui, sans-serif"
  >
    {s}
  </text>
);

const PICTOGRAMS: Record<string, ReactNode> = {
  smooth: glow(18),
  features: (
    <>
      <ellipse cx={C} cy={C} rx={19} ry={12} opacity={0.45} />
      {arms(2, 20, 1)}
    </>
  ),
  star: (
    <>
      <path d="M24 6V42M6 24H42" strokeWidth={1.5} />
      <circle cx={C} cy={C} r={5} fill="currentColor" stroke="none" />
    </>
  ),
  "edge-on": (
    <>
      {edgeOnDisk}
      <ellipse cx={C} cy={C} rx={6} ry={4} fill="currentColor" stroke="none" />
    </>
  ),
  "face-on": (
    <>
      <circle cx={C} cy={C} r={19} opacity={0.4} />
      <circle cx={C} cy={C} r={12} opacity={0.6} />
      <circle cx={C} cy={C} r={4} fill="currentColor" stroke="none" />
    </>
  ),
  bar: (
    <>
      <circle cx={C} cy={C} r={19} opacity={0.4} />
      <rect x={10} y={21} width={28} height={6} rx={3} fill="currentColor" stroke="none" />
    </>
  ),
  "no-bar": (
    <>
      <circle cx={C} cy={C} r={19} opacity={0.4} />
      <circle cx={C} cy={C} r={5} fill="currentColor" stroke="none" />
    </>
  ),
  spiral: arms(2, 16, 1.4),
  "no-spiral": (
    <>
      {glow(19)}
      <circle cx={C} cy={C} r={19} opacity={0.4} />
    </>
  ),
  "bulge-none": bulge(0),
  "bulge-noticeable": bulge(3.5),
  "bulge-obvious": bulge(6.5),
  "bulge-dominant": bulge(10),
  "bulge-round": (
    <>
      {edgeOnDisk}
      <circle cx={C} cy={C} r={7} fill="currentColor" stroke="none" />
    </>
  ),
  "bulge-boxy": (
    <>
      {edgeOnDisk}
      <rect x={17} y={17} width={14} height={14} rx={2} fill="currentColor" stroke="none" />
    </>
  ),
  odd: text("!", 26),
  "not-odd": <path d="M12 25L20 33L36 15" strokeWidth={3} />,
  round: glow(17),
  "in-between": glow(17, 19, 12, -25),
  cigar: glow(17, 21, 5, -25),
  ring: (
    <>
      <circle cx={C} cy={C} r={16} strokeWidth={3} />
      <circle cx={C} cy={C} r={4} fill="currentColor" stroke="none" />
    </>
  ),
  lens: (
    <>
      <circle cx={C} cy={C} r={5} fill="currentColor" stroke="none" />
      <path d="M8 30A18 18 0 0 1 40 30" strokeWidth={3} />
    </>
  ),
  disturbed: (
    <>
      <path d="M10 26C8 14 22 8 30 12C40 16 42 28 34 34C26 40 22 30 16 36C12 38 11 32 10 26Z" opacity={0.7} />
      <circle cx={25} cy={23} r={4} fill="currentColor" stroke="none" />
    </>
  ),
  irregular: (
    <g fill="currentColor" stroke="none">
      <circle cx={16} cy={18} r={5} opacity={0.8} />
      <circle cx={29} cy={15} r={3.5} opacity={0.6} />
      <circle cx={26} cy={28} r={6} opacity={0.9} />
      <circle cx={14} cy={32} r={3} opacity={0.5} />
      <circle cx={36} cy={32} r={2.5} opacity={0.6} />
    </g>
  ),
  other: text("?", 26),
  merger: (
    <>
      {glow(9, 9, 9)}
      <g transform="translate(-8 -6)">{glow(7)}</g>
      <g transform="translate(9 7)">{glow(7)}</g>
      <path d="M10 14C4 26 14 36 22 30M38 34C44 22 34 12 26 18" opacity={0.6} />
    </>
  ),
  "dust-lane": (
    <>
      {glow(18, 20, 10)}
      <path d="M5 24H43" strokeWidth={3} stroke="#020617" opacity={0.8} />
    </>
  ),
  "arms-tight": arms(2, 9, 2),
  "arms-medium": arms(2, 17, 1.4),
  "arms-loose": arms(2, 30, 1),
  "arms-1": arms(1),
  "arms-2": arms(2),
  "arms-3": arms(3),
  "arms-4": arms(4),
  "arms-many": arms(6, 20, 0.9),
  "arms-unknown": (
    <>
      <g opacity={0.35}>{arms(2)}</g>
      {text("?", 22)}
    </>
  ),
};

export interface AnswerIconProps extends Omit<SVGProps<SVGSVGElement>, "name"> {
  name: string;
}

/** An unknown name draws a plain dot rather than nothing, so a new answer still gets a button. */
export function AnswerIcon({ name, ...svg }: AnswerIconProps) {
  return (
    <svg
      viewBox="0 0 48 48"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      {...svg}
    >
      {PICTOGRAMS[name] ?? <circle cx={C} cy={C} r={6} fill="currentColor" stroke="none" />}
    </svg>
  );
}
