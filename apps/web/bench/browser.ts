/**
 * Browser prediction latency: the site's model code (bench/page.ts) in headless Chromium on
 * galaxy images, for EfficientNet variants at 64 px with random weights (latency does not
 * depend on the weights), predicting from the central view or from the 8 rotations and flips
 * (a model's metadata `views`). Prints, per variant, views and backend, the first prediction
 * (backend start, model download, warm-up and one galaxy) and the median and p95 of the next ones.
 *
 *   npm run bench:browser [-- --runs 50 --variants nano,tiny,b0 --views 1,8]
 */
import { createReadStream } from "node:fs";
import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { HIWL_CLASSES, LEVEL_CLASSES, NETWORKS } from "@hiwl/model";
import { buildEfficientNet, EFFICIENTNET_VARIANT_NAMES, METADATA_FILE, PREPROCESSING, type EfficientNetVariantName, type ModelMetadata } from "@hiwl/model/network";
import { VIEW_COUNTS, type ViewCount } from "@hiwl/model/inference";
import { chromium } from "@playwright/test";
import { build } from "esbuild";
import { BACKENDS } from "../src/lib/model/backend.ts";
import { writeNetwork } from "../e2e/models.ts";
import type { BenchOptions, BenchResult } from "./page.ts";

const INPUT_SIZE = 64;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const here = dirname(fileURLToPath(import.meta.url));
const GZ1_IMAGES = resolve(here, "../../../../shared/data/gz1/images");
const WASM_DIR = join(dirname(fileURLToPath(import.meta.resolve("@tensorflow/tfjs-backend-wasm/package.json"))), "dist");

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "50" },
    variants: { type: "string", default: "nano,tiny,b0" },
    views: { type: "string", default: VIEW_COUNTS.join(",") },
  },
});
const runs = Number(args.runs);
const variants = args.variants.split(",") as EfficientNetVariantName[];
for (const v of variants) if (!EFFICIENTNET_VARIANT_NAMES.includes(v)) throw new Error(`unknown variant ${v}`);
const viewCounts = args.views.split(",").map(Number) as ViewCount[];
for (const v of viewCounts) if (!VIEW_COUNTS.includes(v)) throw new Error(`--views: each must be one of ${VIEW_COUNTS.join(", ")}, got ${v}`);

/** A hierarchical model version (level 1 and level 2), the layout the trainer writes by default. */
async function writeModel(root: string, variant: EfficientNetVariantName, views: ViewCount): Promise<void> {
  const dir = join(root, `${variant}-${views}`);
  for (const level of NETWORKS.hierarchical) {
    const network = buildEfficientNet({ variant, numClasses: LEVEL_CLASSES[level].length, inputSize: INPUT_SIZE, seed: 1 });
    await writeNetwork(dir, level, network);
  }
  const metadata: ModelMetadata = {
    formatVersion: 1,
    version: variant,
    createdAt: new Date().toISOString(),
    classes: [...HIWL_CLASSES],
    hierarchy: "hierarchical",
    variant,
    inputSize: INPUT_SIZE,
    preprocessing: PREPROCESSING,
    views,
    metrics: {},
    trainingData: {
      galaxies: 0,
      perClass: { round: 0, "in-between": 0, cigar: 0, "edge-on": 0, spiral: 0 },
      labelMode: "hard",
      weightedSampling: false,
      sources: ["bench"],
    },
  };
  await writeFile(join(dir, METADATA_FILE), JSON.stringify(metadata));
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".json": "application/json",
  ".bin": "application/octet-stream",
  ".wasm": "application/wasm",
  ".jpg": "image/jpeg",
};

/** Serves the page, its script, the wasm binaries, the models and the images. */
function serve(routes: Record<string, string>): Promise<{ server: Server; url: string }> {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url!, "http://localhost").pathname).replace(/\/$/, "/index.html");
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    const file = prefix && resolve(routes[prefix]!, `.${sep}${path.slice(prefix.length)}`);
    const ok = file && file.startsWith(routes[prefix]!) && (await stat(file).catch(() => null))?.isFile();
    if (!ok) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(response);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => response.writeHead(500).end(error.message));
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => done({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main() {
  const root = await mkdtemp(join(tmpdir(), "hiwl-bench-"));
  try {
    await tf.setBackend("cpu");
    await mkdir(join(root, "models"));
    for (const variant of variants) for (const views of viewCounts) await writeModel(join(root, "models"), variant, views);
    await mkdir(join(root, "page"));
    await writeFile(join(root, "page", "index.html"), '<!doctype html><meta charset="utf-8"><script src="bench.js"></script>');
    await build({
      entryPoints: [join(here, "page.ts")],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "chrome120",
      outfile: join(root, "page", "bench.js"),
      tsconfig: join(here, "..", "tsconfig.json"),
      logLevel: "warning",
    });
    const images = (await readdir(GZ1_IMAGES)).filter((f) => f.endsWith(".jpg")).slice(0, 10);
    const { server, url } = await serve({
      "/tfjs/": WASM_DIR,
      "/models/": join(root, "models"),
      "/images/": GZ1_IMAGES,
      "/": join(root, "page"),
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const probe = await browser.newPage();
      await probe.goto(`${url}/`);
      const renderer = await probe.evaluate(() => {
        const gl = document.createElement("canvas").getContext("webgl2");
        const info = gl?.getExtension("WEBGL_debug_renderer_info");
        return gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : "none";
      });
      await probe.close();
      console.log(`machine: ${cpus()[0]?.model ?? "?"} (${cpus().length} cores); Chromium ${browser.version()}; WebGL renderer: ${renderer}`);
      console.log(`${runs} predictions after the first, ${INPUT_SIZE} px, hierarchical (level 1 + level 2), random weights\n`);
      const rows: string[][] = [["model", "views", "backend", "first (ms)", "median (ms)", "p95 (ms)"]];
      for (const variant of variants) {
        for (const [views, backend] of viewCounts.flatMap((v) => BACKENDS.map((b) => [v, b] as const))) {
          // A fresh page each time: nothing compiled or cached by the previous run.
          const page = await browser.newPage();
          await page.goto(`${url}/`);
          const options: BenchOptions = { backend, modelUrl: `/models/${variant}-${views}/`, imageUrls: images.map((f) => `/images/${f}`), runs };
          const result = await page.evaluate(
            (o) => (window as unknown as { bench: (o: BenchOptions) => Promise<BenchResult> }).bench(o),
            options,
          );
          await page.close();
          const sorted = [...result.runsMs].sort((a, b) => a - b);
          rows.push([variant, String(views), result.backend, result.firstMs.toFixed(0), quantile(sorted, 0.5).toFixed(1), quantile(sorted, 0.95).toFixed(1)]);
        }
      }
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
      console.log([line(rows[0]!), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n"));
    } finally {
      await browser.close();
      server.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
