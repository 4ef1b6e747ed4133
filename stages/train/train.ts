/**
 * The training stage kind: runs a train-step graph built by another stage (`graph` input, see
 * models/onnx/saved_step.ts) on batches from a shard set (`data` input), for a number of steps.
 *
 * - Feeds: each batch input of the graph is fed from the data (`images`, `labels`, or `indices`: each
 *   record's position in the split's stored order, int32, for per-record state such as GLO's latent
 *   codes) or from seeded host noise (`normal`, `uniform`), a pure function of (seed, step), so nothing
 *   about noise needs checkpointing.
 * - Metrics: the mean of each metric over every `logEvery` steps, recorded to the run (queryable) and
 *   written to the output's metrics.parquet. A non-finite metric stops the training at once, naming
 *   the step and the metric; what was logged is kept.
 * - Checkpoints every `checkpointEvery` steps in the stage's work folder: a killed training resumes
 *   from its last checkpoint and ends bit-identical to an uninterrupted one on CPU (same data order,
 *   same noise, same arithmetic).
 * - Snapshots of the exported model's weights every `snapshotEvery` steps (step 0 included), for
 *   evaluation over the course of training.
 * - Export: when the graph stage wrote export.onnx (a model whose weights are inputs) and export.json
 *   (export_info.ts: a sampler or a feature extractor), the trained weights are baked into
 *   model.onnx, a standalone model any ONNX runtime can load.
 *
 * Output: final.safetensors (all parameters), metrics.parquet, snapshots/step-NNNNNN.safetensors,
 * model.onnx + export.onnx + export.json (when the graph has an export), exports/<name>/ (the graph's
 * further exports of the same weights, copied), train.json.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { transformSchema } from "../data/transforms.ts";
import { loadCheckpoint, type LoopState, type MetricRow, saveCheckpoint } from "./checkpoint.ts";
import { readExport } from "./export_info.ts";
import { fillNoise } from "./noise.ts";

const every = z.number().int().min(0);

export const trainParams = z.object({
  steps: z.number().int().min(1).default(2000),
  /** Seed of the data order and of the host noise (the model's initial weights come from the graph stage). */
  seed: z.number().int().min(0).default(0),
  /** Values of the graph's hyperparameter inputs (e.g. learning rates); unset ones keep the graph's defaults. */
  hyper: z.record(z.string(), z.number()).default({}),
  /** Where each batch input of the graph comes from. */
  feeds: z.record(z.string(), z.enum(["images", "labels", "indices", "normal", "uniform"])).default({
    x: "images",
  }),
  /** The shard split to train on. */
  split: z.string().default("train"),
  /** How images are turned into the graph's input (see stages/data/transforms.ts). */
  transform: transformSchema.default({ scale: "symmetric", layout: "nchw" }),
  device: z.enum(["cpu", "cuda"]).default("cpu"),
  /** onnxruntime's intra-op threads (default: the stage's share of the cores, StageContext.threads). */
  threads: z.number().int().min(1).optional(),
  /**
   * Steps per onnxruntime call: K > 1 runs K steps fused in one Scan call (the same arithmetic as K single
   * steps, without copying the whole state out K times), 1 runs one step per call, "auto" picks K (see
   * {@link autoFuse}). Calls never cross a log, checkpoint or snapshot step or the end: near one the loop
   * takes single steps.
   */
  fuse: z.union([z.literal("auto"), z.number().int().min(1)]).default("auto"),
  logEvery: z.number().int().min(1).default(10),
  checkpointEvery: every.default(250),
  /** 0: no snapshots. */
  snapshotEvery: every.default(250),
}).strict().superRefine((p, ctx) => {
  if (p.checkpointEvery % p.logEvery !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["checkpointEvery"],
      message:
        `must be a multiple of logEvery (${p.logEvery}) so that a resume starts on a fresh metrics window`,
    });
  }
});

export type TrainParams = z.output<typeof trainParams>;

/** The most steps "auto" fuses into one call (measured on the WGAN-div step: see bench/onnx.ts). */
export const AUTO_FUSE_MAX = 8;

/**
 * The steps per call that `fuse: "auto"` runs: the largest K ≤ {@link AUTO_FUSE_MAX} that divides every
 * log, checkpoint and snapshot interval, so that no call has to be split near them.
 */
export function autoFuse(p: Pick<TrainParams, "logEvery" | "checkpointEvery" | "snapshotEvery">): number {
  const intervals = [p.logEvery, p.checkpointEvery, p.snapshotEvery].filter((v) => v > 0);
  for (let k = AUTO_FUSE_MAX; k > 1; k--) if (intervals.every((v) => v % k === 0)) return k;
  return 1;
}

/** Beside final.safetensors: the carried state that is not parameters. */
const OPTIMIZER_FILE = "optimizer.safetensors";
/** Beside the state: the step it is at and where the data iterator stands. */
const RESUME_FILE = "resume.json";

interface ResumePoint {
  step: number;
  data: LoopState["data"];
}

/**
 * The state to continue a cached shorter training from (`ctx.continueFrom`), or null (with a log line)
 * when this one cannot end exactly as a run from scratch would: its last metrics window was cut short,
 * or the output is from before trainings kept their optimizer state.
 */
async function continuation(
  from: { dir: string; key: string; params: unknown },
  p: TrainParams,
  snapshots: string,
  log: (message: string) => void,
): Promise<{ state: Record<string, Float32Array | Float64Array>; loop: LoopState } | null> {
  const { decodeSafetensors } = await import("../../models/onnx/safetensors.ts");
  const { readMetricsParquet } = await import("./metrics_file.ts");
  const before = (from.params as TrainParams).steps;
  const short = from.key.slice(0, 12);
  if (before % p.logEvery !== 0) {
    log(
      `not continuing ${short}: its ${before} steps end inside a ${p.logEvery}-step metrics window; from step 0`,
    );
    return null;
  }
  let resume: ResumePoint;
  const tensors: Record<string, Float32Array | Float64Array> = {};
  try {
    resume = JSON.parse(await Deno.readTextFile(`${from.dir}/${RESUME_FILE}`));
    for (const file of ["final.safetensors", OPTIMIZER_FILE]) {
      const path = `${from.dir}/${file}`;
      for (const [name, t] of Object.entries(decodeSafetensors(await Deno.readFile(path), path).tensors)) {
        tensors[name] = t.data as Float32Array | Float64Array;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    log(`not continuing ${short}: it kept no optimizer state (an older output); from step 0`);
    return null;
  }
  if (resume.step !== before) {
    throw new Error(`${from.dir}/${RESUME_FILE} says step ${resume.step}, not ${before}`);
  }
  const metrics = await readMetricsParquet(`${from.dir}/metrics.parquet`);
  try {
    for (const e of Deno.readDirSync(`${from.dir}/snapshots`)) {
      await Deno.copyFile(`${from.dir}/snapshots/${e.name}`, `${snapshots}/${e.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error; // trained without snapshots
  }
  log(`continuing from step ${before} of ${short}`);
  return { state: tensors, loop: { step: before, data: resume.data, metrics, elapsedMs: 0 } };
}

/** Copies the folder of further exports (`exports/<name>/export.{onnx,json}`), when the graph wrote one. */
async function copyExports(from: string, to: string): Promise<void> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(from)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const name of names) {
    await Deno.mkdir(`${to}/${name}`, { recursive: true });
    for (const file of ["export.onnx", "export.json"]) {
      await Deno.copyFile(`${from}/${name}/${file}`, `${to}/${name}/${file}`);
    }
  }
}

const snapshotName = (step: number) => `step-${String(step).padStart(6, "0")}.safetensors`;

export const train = defineStage({
  kind: "train.run",
  module: import.meta.url,
  description: "Trains a train-step graph on shard batches, with checkpoints, snapshots and export",
  params: trainParams,
  inputs: ["graph", "data"],
  // A longer training continues the cached shorter one (engine: StageKind.extendsRun) and ends exactly
  // as a run from scratch would: the state, data position and noise at step N are the same either way.
  extendsRun: ["steps"],
  async run(ctx) {
    const p = ctx.params;
    const { SavedTrainStep } = await import("../../models/onnx/saved_step.ts");
    const { TrainRunner } = await import("../../models/onnx/runner.ts");
    const { encodeSafetensors, stateToTensors } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../data/shard_reader.ts");
    const { writeMetricsParquet } = await import("./metrics_file.ts");

    const step = await SavedTrainStep.load(`${ctx.inputs.graph}/step`);
    const exported = await readExport(ctx.inputs.graph);
    const feeds = Object.entries(step.batch);
    for (const [name] of feeds) {
      if (!p.feeds[name]) {
        throw new Error(
          `The graph's batch input '${name}' has no feed: set train.feeds.${name} to images, labels, indices, normal or uniform ` +
            `(graph inputs: ${feeds.map(([n]) => n).join(", ")})`,
        );
      }
    }
    for (const name of Object.keys(p.feeds)) {
      if (!step.batch[name]) {
        throw new Error(
          `train.feeds.${name}: the graph has no batch input '${name}' (it has ${
            feeds.map(([n]) => n).join(", ")
          })`,
        );
      }
    }
    for (const [name, feed] of Object.entries(p.feeds)) {
      if (feed === "indices" && step.batch[name]!.dtype !== "int32") {
        throw new Error(
          `train.feeds.${name}: indices are int32, but the graph's batch input '${name}' is ${
            step.batch[name]!.dtype
          }`,
        );
      }
    }
    for (const name of Object.keys(p.hyper)) {
      if (!(name in step.hyper)) {
        throw new Error(
          `train.hyper.${name}: the graph has no hyperparameter '${name}' (it has ${
            Object.keys(step.hyper).join(", ") || "none"
          })`,
        );
      }
    }
    const batchSize = feeds[0]![1].shape[0]!;
    const fuse = p.fuse === "auto" ? autoFuse(p) : p.fuse;
    /** Steps the next call takes: `fuse`, unless that would cross a log/checkpoint/snapshot step or the end. */
    const stepsAt = (at: number) => {
      const next = [p.logEvery, p.checkpointEvery, p.snapshotEvery].filter((v) => v > 0)
        .reduce((m, v) => Math.min(m, (Math.floor(at / v) + 1) * v), p.steps);
      return next - at >= fuse ? fuse : 1;
    };
    const snapshotPrefix = exported?.paramPrefix ?? "";
    const snapshots = `${ctx.workDir}/snapshots`;
    await Deno.mkdir(snapshots, { recursive: true });

    // Where to start: a checkpoint of this very training, else a cached shorter training of the same
    // key prefix (a longer run continues it), else step 0.
    const checkpoint = await loadCheckpoint(ctx.workDir);
    const start = checkpoint ??
      (ctx.continueFrom ? await continuation(ctx.continueFrom, p, snapshots, ctx.log) : null);
    const loop: LoopState = start?.loop ??
      { step: 0, data: { epoch: 0, offset: 0 }, metrics: [], elapsedMs: 0 };
    if (checkpoint) ctx.log(`resuming from the checkpoint at step ${loop.step} of ${p.steps}`);
    // The run that finishes the training records the whole history, not only what it computed.
    for (const r of loop.metrics) ctx.metrics(r.step, { [r.name]: r.value });
    const runner = await TrainRunner.create(step, {
      seed: step.seed,
      executionProviders: [p.device],
      intraOpNumThreads: p.threads ?? ctx.threads,
      ...(start ? { state: start.state } : {}),
    });
    const shards = await openShards(ctx.inputs.data);
    const needsLabels = Object.values(p.feeds).includes("labels");
    const batches = shards.batches(p.split, {
      batchSize,
      seed: p.seed,
      dropLast: true,
      transform: p.transform,
      labels: needsLabels ? "int32" : "none",
      position: loop.data,
    });

    /** The weights of the exported model: parameters, or the carried tensors the export names. */
    const exportWeights = () => {
      const from = exported?.role === "sampler" ? exported.weightsFrom : undefined;
      if (!from) return runner.params(snapshotPrefix);
      const state = runner.state();
      return Object.fromEntries(
        Object.keys(runner.params(snapshotPrefix)).map((name) => [name, state[`${from}${name}`]!]),
      );
    };
    const saveSnapshot = async (at: number) =>
      await Deno.writeFile(
        `${snapshots}/${snapshotName(at)}`,
        encodeSafetensors(stateToTensors(exportWeights())),
      );
    if (p.snapshotEvery > 0 && loop.step === 0) await saveSnapshot(0);

    // Fixed for the whole run: each batch input's size, and whether any input reads the data.
    const sizes = Object.fromEntries(
      feeds.map(([name, spec]) => [name, spec.shape.reduce((a, b) => a * b, 1)]),
    );
    const needsData = Object.values(p.feeds).some((f) => f === "images" || f === "labels" || f === "indices");
    const window = new Map<string, number>();
    const started = performance.now();
    const startStep = loop.step;
    let calls = 0;
    try {
      while (loop.step < p.steps) {
        ctx.signal.throwIfAborted();
        const k = stepsAt(loop.step);
        // Gather k batches (and their noise) into stacked inputs.
        const inputs: Record<string, Float32Array | Int32Array> = {};
        for (const [name, spec] of feeds) {
          inputs[name] = spec.dtype === "int32"
            ? new Int32Array(sizes[name]! * k)
            : new Float32Array(sizes[name]! * k);
        }
        for (let i = 0; i < k; i++) {
          const batch = needsData ? await batches.nextBatch() : undefined;
          feeds.forEach(([name, spec], stream) => {
            const size = sizes[name]!;
            const into = inputs[name]!.subarray(i * size, (i + 1) * size);
            const feed = p.feeds[name]!;
            if (feed === "images") {
              if (batch!.x.length !== size) {
                throw new Error(
                  `Batch input '${name}' expects ${spec.dtype}[${spec.shape}] but the data gives [${
                    batch!.dims
                  }]: ` +
                    `check train.transform (layout) against the graph`,
                );
              }
              into.set(batch!.x as Float32Array);
            } else if (feed === "labels") into.set(batch!.y as Int32Array);
            else if (feed === "indices") into.set(batch!.indices);
            else fillNoise(into as Float32Array, feed, p.seed, loop.step + i, stream);
          });
        }
        const out = k === 1
          ? Object.fromEntries(Object.entries(await runner.step(inputs, p.hyper)).map(([n, v]) => [n, [v]]))
          : await runner.steps(inputs, k, p.hyper);
        for (let i = 0; i < k; i++) {
          const at = loop.step + i + 1;
          for (const name of step.metrics) {
            const value = Number((out[name] as ArrayLike<number>)[i]);
            if (!Number.isFinite(value)) {
              ctx.metrics(at, { [name]: value });
              throw new Error(
                `Training diverged: ${name} is ${value} at step ${at}. The metrics logged up to step ${
                  loop.metrics.at(-1)?.step ?? 0
                } ` +
                  `are kept (deno task query "select * from metrics where stage = '${ctx.stage}'"); a lower learning ` +
                  `rate (train.hyper) or another seed may help`,
              );
            }
            window.set(name, (window.get(name) ?? 0) + value);
          }
        }
        loop.step += k;
        if (loop.step % p.logEvery === 0 || loop.step === p.steps) {
          const span = loop.step % p.logEvery === 0 ? p.logEvery : loop.step % p.logEvery;
          const means = Object.fromEntries([...window].map(([n, v]) => [n, v / span]));
          for (const [name, value] of Object.entries(means)) {
            loop.metrics.push({ step: loop.step, name, value });
          }
          ctx.metrics(loop.step, means);
          window.clear();
          const shown = Object.entries(means).slice(0, 3).map(([n, v]) => `${n} ${v.toPrecision(3)}`).join(
            "  ",
          );
          ctx.progress({ done: loop.step, total: p.steps, text: shown });
        }
        if (p.snapshotEvery > 0 && loop.step % p.snapshotEvery === 0) await saveSnapshot(loop.step);
        if (p.checkpointEvery > 0 && loop.step % p.checkpointEvery === 0 && loop.step < p.steps) {
          loop.data = batches.position();
          await saveCheckpoint(ctx.workDir, runner.state(), {
            ...loop,
            elapsedMs: loop.elapsedMs + performance.now() - started,
          });
        }
        // Let the event loop breathe (progress, signals) without slowing the loop measurably.
        if (++calls % 8 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      loop.data = batches.position();
    } finally {
      await batches.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = (loop.step - startStep) / seconds;
    ctx.log(`${loop.step - startStep} steps in ${seconds.toFixed(1)} s (${rate.toFixed(2)} steps/s)`);
    ctx.metrics(loop.step, { steps_per_second: rate });

    // ---- outputs ----
    const shapes = Object.fromEntries(step.carried.map((q) => [q.name, q.shape]));
    await Deno.writeFile(
      `${ctx.outDir}/final.safetensors`,
      encodeSafetensors(stateToTensors(runner.params(), shapes)),
    );
    // The rest of the state (optimizer moments, step counter, …) and where the data stands: what a
    // longer training needs to continue this one. The parameters are not stored twice.
    const params = new Set(step.params.map((q) => q.name));
    const rest = Object.fromEntries(Object.entries(runner.state()).filter(([name]) => !params.has(name)));
    await Deno.writeFile(`${ctx.outDir}/${OPTIMIZER_FILE}`, encodeSafetensors(stateToTensors(rest, shapes)));
    await Deno.writeTextFile(
      `${ctx.outDir}/${RESUME_FILE}`,
      JSON.stringify({ step: loop.step, data: loop.data } satisfies ResumePoint),
    );
    writeMetricsParquet(`${ctx.outDir}/metrics.parquet`, loop.metrics);
    if (p.snapshotEvery > 0) {
      await Deno.mkdir(`${ctx.outDir}/snapshots`);
      for await (const e of Deno.readDir(snapshots)) {
        await Deno.copyFile(`${snapshots}/${e.name}`, `${ctx.outDir}/snapshots/${e.name}`);
      }
    }
    if (exported) {
      const { bakeWeights } = await import("../../models/onnx/export.ts");
      const exportBytes = await Deno.readFile(`${ctx.inputs.graph}/export.onnx`);
      await Deno.writeFile(
        `${ctx.outDir}/model.onnx`,
        bakeWeights(exportBytes, exportWeights()),
      );
      await Deno.writeFile(`${ctx.outDir}/export.onnx`, exportBytes);
      await Deno.writeTextFile(`${ctx.outDir}/export.json`, JSON.stringify(exported, null, 1));
    }
    // Further exports of the same weights (a VAE's density beside its sampler), for the stages that read
    // them by name (e.g. eval.likelihood's `export`); the snapshots serve them all.
    await copyExports(`${ctx.inputs.graph}/exports`, `${ctx.outDir}/exports`);
    // Deterministic content only (no timings), so identical training gives an identical output.
    const finalMetrics = Object.fromEntries(
      step.metrics.map((m) => [m, loop.metrics.filter((r: MetricRow) => r.name === m).at(-1)?.value ?? null]),
    );
    await Deno.writeTextFile(
      `${ctx.outDir}/train.json`,
      JSON.stringify(
        { steps: loop.step, batchSize, device: p.device, graph: step.name, final: finalMetrics },
        null,
        1,
      ),
    );
    await runner.release();
  },
});
