/**
 * Rendering speed of the synthetic galaxies on one core (this script is single-threaded).
 *
 *   npx tsx bench/synthetic.ts [images=500]
 *
 * Prints wall-clock and CPU time: on a shared machine the CPU figure is the one that says
 * what a core can do.
 */
import os from "node:os";
import { generateGalaxy } from "../src/synthetic/index.ts";

const images = Number(process.argv[2] ?? 500);
if (!Number.isInteger(images) || images <= 0) throw new Error(`expected a positive number of images, got "${process.argv[2]}"`);

// Warm up the JIT so the figure is the steady state a seeder sees.
for (let i = 0; i < 30; i++) generateGalaxy(`warm-up:${i}`);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < images; i++) generateGalaxy(`bench:${i}`);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

const cpus = os.cpus();
console.table([
  {
    machine: `${cpus[0]?.model.trim() ?? "unknown CPU"} (${cpus.length} cores)`,
    images,
    seconds: Number(seconds.toFixed(2)),
    "images/s": Number((images / seconds).toFixed(1)),
    "cpu seconds": Number(cpuSeconds.toFixed(2)),
    "images/cpu s": Number((images / cpuSeconds).toFixed(1)),
  },
]);
console.log(`424x424 RGB, seeds bench:0..${images - 1}, load average ${os.loadavg()[0]!.toFixed(2)}`);
