/**
 * Procedural SDSS-like colour cutouts of a synthetic galaxy.
 *
 * The Galaxy Zoo cutouts are SDSS gri images resampled so that the galaxy fills a fixed share
 * of the frame: a distant galaxy is a few 0.396" pixels, blurred by ~1.4" seeing, blown up
 * several times. The renderer follows the same path, which is also what makes it fast: it
 * draws analytic light profiles, the PSF, stars and noise on the coarse "native" SDSS grid
 * (often under 150 x 150 pixels), applies the Lupton et al. (2004) asinh colour stretch there,
 * and only then interpolates up to the output size. Noise therefore comes out grainy at the
 * native pixel scale and stars as soft discs, as in the real cutouts.
 */
import { SDSS_PIXEL_ARCSEC, type DiskTruth, type GalaxyTruth, type Rgb } from "./truth.ts";
import { clamp, createNoise, createRng, gaussian, logUniform, pickWeighted, poisson, sigmoid, uniform, type Rng } from "./random.ts";

export const DEFAULT_SIZE = 424;

/** Three colour planes (red = i, green = r, blue = g band) on the native grid, in sky-noise units. */
interface Canvas {
  readonly n: number;
  readonly planes: readonly [Float32Array, Float32Array, Float32Array];
}

/** Where a galaxy sits and how large it is, in native pixels. */
interface Placement {
  readonly cx: number;
  readonly cy: number;
  readonly radius: number;
}

/**
 * Renders the truth as a size x size RGB image (row-major, 3 bytes a pixel). The same truth,
 * seed and size always give identical bytes; the seed draws everything the truth leaves open
 * (sky, seeing, stars, neighbours, the phase of the arms, clump positions).
 */
export function render(truth: GalaxyTruth, seed: string | number, size = DEFAULT_SIZE): Uint8ClampedArray {
  const rng = createRng(`render:${seed}`);
  const radiusOut = (truth.radius * size) / DEFAULT_SIZE;
  // Output pixels per SDSS pixel; large nearby galaxies are not shown finer than the survey took them.
  const zoom = Math.max(1.25, radiusOut / (truth.angularRadius / SDSS_PIXEL_ARCSEC));
  const n = Math.ceil(size / zoom) + 3;
  const canvas: Canvas = { n, planes: [new Float32Array(n * n), new Float32Array(n * n), new Float32Array(n * n)] };
  const toNative = (out: number) => out / zoom + 1;
  const main: Placement = {
    cx: toNative(size / 2 + uniform(rng, -1.5, 1.5)),
    cy: toNative(size / 2 + uniform(rng, -1.5, 1.5)),
    radius: radiusOut / zoom,
  };

  if (truth.disk) drawDisk(canvas, truth, truth.disk, main, rng);
  else drawSmooth(canvas, truth, main, rng);
  drawOddFeature(canvas, truth, main, rng);
  drawNeighbours(canvas, main, rng);

  const seeing = logUniform(rng, 1.0, 1.8);
  const psfSigma = seeing / SDSS_PIXEL_ARCSEC / 2.355;
  for (const plane of canvas.planes) gaussianBlur(plane, n, psfSigma);
  drawStars(canvas, main, psfSigma, rng);
  addSkyNoise(canvas, rng);
  stretch(canvas, rng);
  return upsample(canvas, size, zoom);
}

/** Sérsic b_n (Ciotti & Bertin 1999): the profile encloses half its light at the effective radius. */
const sersicB = (n: number) => 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n);

/** Total flux of a Sérsic profile with unit surface brightness at its effective radius. */
function sersicFlux(n: number, re: number, q: number): number {
  const b = sersicB(n);
  return 2 * Math.PI * n * re * re * q * Math.exp(b + lnGamma(2 * n) - 2 * n * Math.log(b));
}

/** Lanczos approximation (g = 7) of ln Γ(x) for x > 0.5. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Pixel window [x0, x1) x [y0, y1) of a square around a point, clipped to the canvas. */
function window(c: Canvas, cx: number, cy: number, half: number): [number, number, number, number] {
  return [
    Math.max(0, Math.floor(cx - half)),
    Math.min(c.n, Math.ceil(cx + half)),
    Math.max(0, Math.floor(cy - half)),
    Math.min(c.n, Math.ceil(cy + half)),
  ];
}

interface SersicShape {
  readonly cx: number;
  readonly cy: number;
  /** Effective radius along the major axis, native pixels. */
  readonly re: number;
  readonly n: number;
  readonly q: number;
  readonly pa: number;
  /** Surface brightness at the effective radius. */
  readonly ie: number;
  readonly inner: Rgb;
  readonly outer: Rgb;
  /** Exponent of the generalised ellipse |u|^c + |v|^c: 2 elliptical, larger boxy. */
  readonly boxiness: number;
  /** Displacement of the outskirts relative to the centre (a lopsided, disturbed galaxy). */
  readonly skewX: number;
  readonly skewY: number;
}

/** A Sérsic spheroid whose colour drifts from `inner` to `outer` with radius (ellipticals are bluer outside). */
function drawSersic(c: Canvas, s: SersicShape): void {
  const [pr, pg, pb] = c.planes;
  const b = sersicB(s.n);
  const halfExp = 0.5 / s.n;
  const invRe2 = 1 / (s.re * s.re);
  const cos = Math.cos(s.pa);
  const sin = Math.sin(s.pa);
  const invQ = 1 / s.q;
  const boxy = s.boxiness !== 2;
  // A softened centre stands for the light of a whole pixel rather than the cusp at its middle.
  const soften = 0.1 * s.re * s.re;
  const [x0, x1, y0, y1] = window(c, s.cx, s.cy, 9 * s.re + Math.hypot(s.skewX, s.skewY));
  for (let y = y0; y < y1; y++) {
    const dy0 = y + 0.5 - s.cy;
    for (let x = x0; x < x1; x++) {
      const dx0 = x + 0.5 - s.cx;
      const outward = Math.sqrt(dx0 * dx0 + dy0 * dy0) / (Math.sqrt(dx0 * dx0 + dy0 * dy0) + s.re);
      const dx = dx0 - s.skewX * outward;
      const dy = dy0 - s.skewY * outward;
      const u = dx * cos + dy * sin;
      const v = (dy * cos - dx * sin) * invQ;
      let r2: number;
      if (boxy) {
        const r = Math.pow(Math.pow(Math.abs(u), s.boxiness) + Math.pow(Math.abs(v), s.boxiness), 1 / s.boxiness);
        r2 = r * r;
      } else r2 = u * u + v * v;
      const light = s.ie * Math.exp(-b * (Math.pow((r2 + soften) * invRe2, halfExp) - 1));
      const t = Math.sqrt(r2 * invRe2) / (Math.sqrt(r2 * invRe2) + 2);
      const i = y * c.n + x;
      pr[i]! += light * (s.inner[0] + (s.outer[0] - s.inner[0]) * t);
      pg[i]! += light * (s.inner[1] + (s.outer[1] - s.inner[1]) * t);
      pb[i]! += light * (s.inner[2] + (s.outer[2] - s.inner[2]) * t);
    }
  }
}

const noSkew = { skewX: 0, skewY: 0 };

/** Lopsided outskirts for disturbed and irregular galaxies and mergers, none otherwise. */
function skewOf(truth: GalaxyTruth, radius: number, rng: Rng): { skewX: number; skewY: number } {
  if (truth.oddFeature === "none" || truth.oddFeature === "ring") return noSkew;
  const angle = rng() * 2 * Math.PI;
  const shift = truth.oddStrength * radius * 0.45;
  return { skewX: shift * Math.cos(angle), skewY: shift * Math.sin(angle) };
}

function drawSmooth(c: Canvas, truth: GalaxyTruth, at: Placement, rng: Rng): void {
  drawSersic(c, {
    cx: at.cx,
    cy: at.cy,
    re: at.radius,
    n: truth.sersicIndex,
    q: truth.axisRatio,
    pa: truth.positionAngle,
    ie: truth.brightness,
    inner: truth.coreColour,
    outer: truth.outerColour,
    boxiness: truth.bulgeShape === "boxy" ? 2.6 : 2,
    ...skewOf(truth, at.radius, rng),
  });
}

/** Mean of ((1 + cos x) / 2)^p over a period, p = 1, 2, 3: keeps the arms' share of the disk light fixed. */
const ARM_PROFILE_MEAN = [1, 0.5, 0.375, 0.3125];

/** Extinction per unit optical depth in the i, r, g bands: dust reddens what it does not hide. */
const DUST_EXTINCTION = [0.65, 0.85, 1.2];

function smoothstep(lo: number, hi: number, x: number): number {
  const t = clamp((x - lo) / (hi - lo), 0, 1);
  return t * t * (3 - 2 * t);
}

/**
 * An inclined exponential disk with a Sérsic bulge, logarithmic spiral arms, a bar, an optional
 * ring and a mid-plane dust lane, evaluated pixel by pixel in the disk plane.
 */
function drawDisk(c: Canvas, truth: GalaxyTruth, disk: DiskTruth, at: Placement, rng: Rng): void {
  const [pr, pg, pb] = c.planes;
  const h = at.radius / 1.678;
  const q = truth.axisRatio;
  const cosI = Math.cos(disk.inclination);
  const cos = Math.cos(truth.positionAngle);
  const sin = Math.sin(truth.positionAngle);
  // A disk seen at an angle packs its light into a narrower ellipse; dust keeps the surface
  // brightness from growing as fast as for a transparent disk.
  const i0 = (truth.brightness * Math.exp(1.678)) / Math.pow(q, 0.85);

  const bulgeFraction = Math.min(truth.bulgeFraction, 0.8);
  const reB = h * (0.25 + 0.3 * bulgeFraction) * uniform(rng, 0.85, 1.15);
  const qB = truth.bulgeAxisRatio;
  const nB = truth.sersicIndex;
  const bB = sersicB(nB);
  const diskFlux = 2 * Math.PI * h * h * q * i0;
  const ieB = ((bulgeFraction / (1 - bulgeFraction)) * diskFlux) / sersicFlux(nB, reB, qB);
  const boxy = truth.bulgeShape === "boxy";

  const m = disk.armCount;
  const winding = 1 / Math.tan((disk.pitchAngle * Math.PI) / 180);
  const handedness = rng() < 0.5 ? 1 : -1;
  const armPhase = rng() * 2 * Math.PI;
  const knotPhase = rng() * 2 * Math.PI;
  const armPower = m <= 2 ? 3 : m <= 4 ? 2 : 1;
  const armMean = ARM_PROFILE_MEAN[armPower]!;

  const barLength = h * (0.7 + 0.9 * disk.bar);
  const barWidth = h * 0.28;
  const barAngle = rng() * Math.PI;
  const barCos = Math.cos(barAngle);
  const barSin = Math.sin(barAngle);
  const barPeak = disk.bar * 0.45 * i0;
  // Arms start where the bulge or the bar ends.
  const armStart = Math.max(2 * reB, disk.bar > 0.25 ? barLength : 0) / h;

  const ring = truth.oddFeature === "ring";
  const ringRadius = ring ? Math.max(armStart * h, h) * uniform(rng, 1.3, 2) : 0;
  const ringWidth = 0.22 * ringRadius;
  const ringPeak = ring ? truth.oddStrength * 3 * i0 * Math.exp(-ringRadius / h) : 0;

  const tau = 1.6 * disk.dustLane * sigmoid((0.45 - cosI) / 0.08);
  const laneWidth = Math.max(0.45, 0.3 * h * q);
  const laneOffset = handedness * 0.5 * laneWidth;

  const core = truth.coreColour;
  const outer = truth.outerColour;
  const arm = [outer[0] * 0.85, outer[1] * 0.95, outer[2] * 1.2] as const;
  const barColour = [(core[0] + outer[0]) / 2, (core[1] + outer[1]) / 2, (core[2] + outer[2]) / 2] as const;
  const { skewX, skewY } = skewOf(truth, at.radius, rng);
  const clumps = truth.oddFeature === "irregular" ? irregularClumps(truth, h, rng) : [];

  const [x0, x1, y0, y1] = window(c, at.cx, at.cy, 7.5 * h + Math.hypot(skewX, skewY));
  for (let y = y0; y < y1; y++) {
    const dy0 = y + 0.5 - at.cy;
    for (let x = x0; x < x1; x++) {
      const dx0 = x + 0.5 - at.cx;
      const distance = Math.sqrt(dx0 * dx0 + dy0 * dy0);
      const outward = distance / (distance + at.radius);
      const dx = dx0 - skewX * outward;
      const dy = dy0 - skewY * outward;
      const u = dx * cos + dy * sin;
      const v = dy * cos - dx * sin;
      const w = v / q;
      const rh = Math.sqrt(u * u + w * w) / h;
      const exp = i0 * Math.exp(-rh);

      let smooth = exp;
      let arms = 0;
      const contrast = disk.armContrast * smoothstep(armStart, armStart + 1, rh) * (1 - smoothstep(3.5, 6, rh));
      if (contrast > 0) {
        const theta = handedness * Math.atan2(w, u);
        const lnR = Math.log(rh);
        const a = 0.5 + 0.5 * Math.cos(m * (theta - winding * lnR) + armPhase);
        const profile = armPower === 1 ? a : armPower === 2 ? a * a : a * a * a;
        // Star-forming knots: two incommensurate waves beat into a patchy lattice along the arms.
        const knots = (1 + Math.sin(5 * theta + 9 * lnR + knotPhase)) * (1 + Math.sin(13 * lnR - 3 * theta - knotPhase));
        smooth = exp * (1 - contrast);
        arms = (exp * contrast * profile * (0.5 + 0.5 * knots)) / armMean;
      }

      let bulge = 0;
      if (ieB > 0) {
        const vb = v / qB;
        const rb2 = boxy ? Math.pow(Math.pow(Math.abs(u), 2.6) + Math.pow(Math.abs(vb), 2.6), 2 / 2.6) : u * u + vb * vb;
        bulge = ieB * Math.exp(-bB * (Math.pow((rb2 + 0.1 * reB * reB) / (reB * reB), 0.5 / nB) - 1));
      }

      let bar = 0;
      if (barPeak > 0) {
        const ub = (u * barCos + w * barSin) / barLength;
        const wb = (w * barCos - u * barSin) / barWidth;
        bar = barPeak * Math.exp(-ub * ub * ub * ub - wb * wb);
      }

      let young = 0;
      if (ringPeak > 0) {
        const d = (rh * h - ringRadius) / ringWidth;
        young = ringPeak * Math.exp(-0.5 * d * d);
      }
      for (const k of clumps) {
        const du = u - k.u;
        const dw = w - k.w;
        young += k.peak * Math.exp(-(du * du + dw * dw) * k.invTwoSigma2);
      }

      let tr = 1;
      let tg = 1;
      let tb = 1;
      if (tau > 0.01) {
        const across = (v - laneOffset) / laneWidth;
        const along = u / (4 * h);
        const depth = tau * Math.exp(-across * across - along * along);
        tr = Math.exp(-depth * DUST_EXTINCTION[0]!);
        tg = Math.exp(-depth * DUST_EXTINCTION[1]!);
        tb = Math.exp(-depth * DUST_EXTINCTION[2]!);
      }

      const i = y * c.n + x;
      pr[i]! += tr * (bulge * core[0] + smooth * outer[0] + (arms + young) * arm[0] + bar * barColour[0]);
      pg[i]! += tg * (bulge * core[1] + smooth * outer[1] + (arms + young) * arm[1] + bar * barColour[1]);
      pb[i]! += tb * (bulge * core[2] + smooth * outer[2] + (arms + young) * arm[2] + bar * barColour[2]);
    }
  }
}

interface Clump {
  readonly u: number;
  readonly w: number;
  readonly peak: number;
  readonly invTwoSigma2: number;
}

/** Bright star-forming knots scattered over an irregular galaxy, in disk-plane coordinates. */
function irregularClumps(truth: GalaxyTruth, h: number, rng: Rng): Clump[] {
  const count = 4 + Math.floor(rng() * 7);
  return Array.from({ length: count }, () => {
    const r = Math.abs(gaussian(rng, 0, 1.3 * h));
    const angle = rng() * 2 * Math.PI;
    const sigma = h * uniform(rng, 0.12, 0.3);
    return {
      u: r * Math.cos(angle),
      w: r * Math.sin(angle),
      peak: truth.oddStrength * uniform(rng, 0.8, 2.5) * truth.brightness * Math.exp(1.678 - r / h),
      invTwoSigma2: 1 / (2 * sigma * sigma),
    };
  });
}

/** A round Gaussian blob: star-forming knots and the beads of tidal tails. */
function drawBlob(c: Canvas, cx: number, cy: number, sigma: number, peak: number, colour: Rgb): void {
  const [pr, pg, pb] = c.planes;
  const inv = 1 / (2 * sigma * sigma);
  const [x0, x1, y0, y1] = window(c, cx, cy, 3.5 * sigma);
  for (let y = y0; y < y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const light = peak * Math.exp(-(dx * dx + dy * dy) * inv);
      const i = y * c.n + x;
      pr[i]! += light * colour[0];
      pg[i]! += light * colour[1];
      pb[i]! += light * colour[2];
    }
  }
}

/** A merger's companion and tidal tails; a disturbed galaxy's faint plume. */
function drawOddFeature(c: Canvas, truth: GalaxyTruth, at: Placement, rng: Rng): void {
  const s = truth.oddStrength;
  if (truth.oddFeature === "merger") {
    const angle = rng() * 2 * Math.PI;
    const separation = at.radius * uniform(rng, 0.9, 2.2);
    const companion = {
      cx: at.cx + separation * Math.cos(angle),
      cy: at.cy + separation * Math.sin(angle),
      re: at.radius * uniform(rng, 0.45, 0.9),
      n: uniform(rng, 1, 4),
      q: uniform(rng, 0.5, 1),
      pa: rng() * Math.PI,
      ie: truth.brightness * uniform(rng, 0.6, 1.4),
      inner: truth.coreColour,
      outer: truth.outerColour,
      boxiness: 2,
      ...noSkew,
    };
    drawSersic(c, companion);
    // Tails leave both galaxies on opposite sides and curl the same way.
    for (const [x, y, start] of [
      [at.cx, at.cy, angle + Math.PI * 0.6],
      [companion.cx, companion.cy, angle - Math.PI * 0.4],
    ] as const) {
      drawTail(c, x, y, start, at.radius, truth.brightness * 0.1 * s, truth.outerColour);
    }
  } else if (truth.oddFeature === "disturbed") {
    drawTail(c, at.cx, at.cy, rng() * 2 * Math.PI, at.radius * 0.8, truth.brightness * 0.08 * s, truth.outerColour);
  }
}

function drawTail(c: Canvas, cx: number, cy: number, start: number, radius: number, peak: number, colour: Rgb): void {
  const beads = 30;
  for (let k = 0; k < beads; k++) {
    const t = k / (beads - 1);
    const r = radius * (0.7 + 1.8 * t);
    const angle = start + 1.1 * t;
    drawBlob(c, cx + r * Math.cos(angle), cy + r * Math.sin(angle), radius * (0.2 + 0.25 * t), peak * (1 - 0.75 * t), colour);
  }
}

/** Galaxy colours (i, r, g), normalised to mean 1: distant red ellipticals, orange, bluish disks. */
const NEIGHBOUR_COLOURS: readonly Rgb[] = [
  [1.45, 0.97, 0.58],
  [1.28, 0.99, 0.73],
  [1.02, 0.97, 1.01],
];

/** Smaller, mostly background galaxies elsewhere in the frame. */
function drawNeighbours(c: Canvas, main: Placement, rng: Rng): void {
  const count = poisson(rng, 1.8 * (c.n / 150) ** 2);
  for (let k = 0; k < count; k++) {
    const cx = rng() * c.n;
    const cy = rng() * c.n;
    if (Math.hypot(cx - main.cx, cy - main.cy) < 3.5 * main.radius) continue;
    const colour = NEIGHBOUR_COLOURS[pickWeighted(rng, [0.45, 0.35, 0.2])]!;
    drawSersic(c, {
      cx,
      cy,
      re: main.radius * logUniform(rng, 0.08, 0.5),
      n: uniform(rng, 1, 4),
      q: uniform(rng, 0.3, 1),
      pa: rng() * Math.PI,
      ie: logUniform(rng, 1.5, 12),
      inner: colour,
      outer: colour,
      boxiness: 2,
      ...noSkew,
    });
  }
}

/**
 * Gaussian convolution in place, approximated by three successive box blurs per axis
 * (running sums: the cost does not grow with the seeing). Edges are clamped.
 */
function gaussianBlur(plane: Float32Array, n: number, sigma: number): void {
  const widths = boxWidthsForGaussian(sigma);
  const pad = (Math.max(...widths) - 1) / 2;
  const a = new Float32Array(n + 2 * pad);
  const b = new Float32Array(n + 2 * pad);
  for (let pass = 0; pass < 2; pass++) {
    // Pass 0 blurs rows, pass 1 columns: element j of line l is plane[l * step + j * stride].
    const stride = pass === 0 ? 1 : n;
    const step = pass === 0 ? n : 1;
    for (let l = 0; l < n; l++) {
      const base = l * step;
      for (let j = 0; j < n; j++) a[pad + j] = plane[base + j * stride]!;
      let src = a;
      let dst = b;
      for (const w of widths) {
        const r = (w - 1) / 2;
        src.fill(src[pad]!, pad - r, pad);
        src.fill(src[pad + n - 1]!, pad + n, pad + n + r);
        let acc = 0;
        for (let k = pad - r; k <= pad + r; k++) acc += src[k]!;
        const inv = 1 / w;
        dst[pad] = acc * inv;
        for (let j = pad + 1; j < pad + n; j++) {
          acc += src[j + r]! - src[j - r - 1]!;
          dst[j] = acc * inv;
        }
        [src, dst] = [dst, src];
      }
      for (let j = 0; j < n; j++) plane[base + j * stride] = src[pad + j]!;
    }
  }
}

/** Odd widths of three boxes whose successive blurs have the variance of a Gaussian (Kutskir's rule). */
function boxWidthsForGaussian(sigma: number): number[] {
  const ideal = Math.sqrt(4 * sigma * sigma + 1);
  const lower = Math.floor(ideal) % 2 === 0 ? Math.floor(ideal) - 1 : Math.floor(ideal);
  const lowerCount = Math.round((12 * sigma * sigma - 3 * lower * lower - 12 * lower - 9) / (-4 * lower - 4));
  return [0, 1, 2].map((i) => (i < lowerCount ? lower : lower + 2));
}

/** Star colours (i, r, g), mean 1: hot blue-white, solar, K and M dwarfs. */
const STAR_COLOURS: readonly Rgb[] = [
  [0.8, 0.95, 1.25],
  [1.07, 1.0, 0.93],
  [1.35, 1.0, 0.65],
  [1.65, 0.95, 0.4],
];

/**
 * Foreground stars drawn already seeing-convolved: a Gaussian core with Moffat-like wings,
 * round (the cutouts show no diffraction spikes at this scale). Counts follow the steep number
 * counts of faint stars; a rare bright one saturates into a wide disc.
 */
function drawStars(c: Canvas, main: Placement, psfSigma: number, rng: Rng): void {
  const [pr, pg, pb] = c.planes;
  const count = poisson(rng, 3.5 * (c.n / 150) ** 2);
  const inv = 1 / (2 * psfSigma * psfSigma);
  const wingScale = 1 / (4 * psfSigma * psfSigma);
  for (let k = 0; k < count; k++) {
    const cx = rng() * c.n;
    const cy = rng() * c.n;
    if (Math.hypot(cx - main.cx, cy - main.cy) < 2.5 * main.radius) continue;
    const peak = Math.min(3e4, 2 * Math.pow(1 - rng(), -1 / 0.6));
    const colour = STAR_COLOURS[pickWeighted(rng, [0.2, 0.3, 0.3, 0.2])]!;
    // Out to where the wings fade below a tenth of the sky noise.
    const reach = psfSigma * Math.max(4, 2 * Math.pow(peak, 0.2));
    const [x0, x1, y0, y1] = window(c, cx, cy, reach);
    for (let y = y0; y < y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - cx;
        const r2 = dx * dx + dy * dy;
        const wing = 1 / (1 + r2 * wingScale);
        const light = peak * (0.9 * Math.exp(-r2 * inv) + 0.1 * wing * wing * Math.sqrt(wing));
        const i = y * c.n + x;
        pr[i]! += light * colour[0];
        pg[i]! += light * colour[1];
        pb[i]! += light * colour[2];
      }
    }
  }
}

/**
 * Sky-subtracted noise: unit sky noise plus the photon noise of the sources. In the cutouts it
 * is mostly grey and a little coarser than a pixel (the bands share the resampling, and JPEG
 * keeps little colour detail), so a smoothed common field dominates the per-band part.
 */
function addSkyNoise(c: Canvas, rng: Rng): void {
  const noise = createNoise(rng);
  const n = c.n;
  const [pr, pg, pb] = c.planes;
  const common = new Float32Array(n * n);
  for (let i = 0; i < common.length; i++) common[i] = noise();
  smooth121(common, n);
  const gainInv = 1 / 40;
  // SDSS skies are not perfectly subtracted: a faint residual lifts the black, least in g.
  const skyR = uniform(rng, 0.2, 0.8);
  const skyG = uniform(rng, 0.2, 0.7);
  const skyB = uniform(rng, 0, 0.35);
  for (let i = 0; i < common.length; i++) {
    const r = pr[i]!;
    const g = pg[i]!;
    const b = pb[i]!;
    const mean = (r + g + b) / 3;
    const sigma = Math.sqrt(1 + (mean > 0 ? mean * gainInv : 0));
    const shared = 0.95 * common[i]!;
    pr[i] = r + skyR + sigma * (shared + 0.3 * noise());
    pg[i] = g + skyG + sigma * (shared + 0.3 * noise());
    pb[i] = b + skyB + sigma * (shared + 0.3 * noise());
  }
}

/** [1 2 1] smoothing along both axes, rescaled to keep unit variance for white noise. */
function smooth121(field: Float32Array, n: number): void {
  // Each 1-D pass keeps (1 + 4 + 1) / 16 of the variance.
  const gain = 0.25 / Math.sqrt(6 / 16);
  const line = new Float32Array(n + 2);
  for (let pass = 0; pass < 2; pass++) {
    const stride = pass === 0 ? 1 : n;
    const step = pass === 0 ? n : 1;
    for (let l = 0; l < n; l++) {
      const base = l * step;
      for (let j = 0; j < n; j++) line[j + 1] = field[base + j * stride]!;
      line[0] = line[1]!;
      line[n + 1] = line[n]!;
      for (let j = 0; j < n; j++) field[base + j * stride] = gain * (line[j]! + 2 * line[j + 1]! + line[j + 2]!);
    }
  }
}

/**
 * Lupton et al. (2004) asinh stretch on the mean intensity, applied to all bands alike so
 * faint colours survive. Each band then clips on its own, so bright star cores burn out white
 * as in the SDSS cutouts. Writes display values in [0, 1] back into the planes (negative
 * noise shows as black).
 */
function stretch(c: Canvas, rng: Rng): void {
  const [pr, pg, pb] = c.planes;
  const beta = 0.12 * uniform(rng, 0.85, 1.15);
  const k = 0.2 * uniform(rng, 0.9, 1.1);
  for (let i = 0; i < pr.length; i++) {
    const r = pr[i]!;
    const g = pg[i]!;
    const b = pb[i]!;
    const mean = (r + g + b) / 3;
    const f = mean === 0 ? k * beta : (k * Math.asinh(beta * mean)) / mean;
    const sr = r * f;
    const sg = g * f;
    const sb = b * f;
    pr[i] = sr < 0 ? 0 : sr > 1 ? 1 : sr;
    pg[i] = sg < 0 ? 0 : sg > 1 ? 1 : sg;
    pb[i] = sb < 0 ? 0 : sb > 1 ? 1 : sb;
  }
}

/** Bilinear interpolation from the native grid to size x size RGB bytes, rows first. */
function upsample(c: Canvas, size: number, zoom: number): Uint8ClampedArray {
  const out = new Uint8Array(size * size * 3);
  const n = c.n;
  const first = new Int32Array(size);
  const frac = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const s = (x + 0.5) / zoom + 0.5;
    first[x] = Math.floor(s);
    frac[x] = s - Math.floor(s);
  }
  const rows = first[size - 1]! + 2;
  const wide = c.planes.map((plane) => {
    const w = new Float32Array(rows * size);
    for (let i = 0; i < rows; i++) {
      const row = i * n;
      const o = i * size;
      for (let x = 0; x < size; x++) {
        const j = row + first[x]!;
        w[o + x] = plane[j]! + (plane[j + 1]! - plane[j]!) * frac[x]!;
      }
    }
    return w;
  });
  const [wr, wg, wb] = wide as [Float32Array, Float32Array, Float32Array];
  let o = 0;
  for (let y = 0; y < size; y++) {
    const top = first[y]! * size;
    const bottom = top + size;
    // Display values lie in [0, 1], so 255 t + 0.5 rounds into a byte without overflow.
    const t = 255 * frac[y]!;
    const s = 255 - t;
    for (let x = 0; x < size; x++) {
      out[o++] = (s * wr[top + x]! + t * wr[bottom + x]! + 0.5) | 0;
      out[o++] = (s * wg[top + x]! + t * wg[bottom + x]! + 0.5) | 0;
      out[o++] = (s * wb[top + x]! + t * wb[bottom + x]! + 0.5) | 0;
    }
  }
  return new Uint8ClampedArray(out.buffer);
}
