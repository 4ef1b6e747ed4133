/**
 * `eval.likelihood`: the likelihood of held-out data under a trained density model, at every weight
 * snapshot of its training, with the conventions that make the numbers comparable across papers.
 *
 * Input `trained` is a `train.run` output whose graph stage wrote a density export
 * (likelihood_export.ts: records → log q per record, weights as inputs; stages/eval/likelihood_graph.ts
 * writes one); input `data` is the shard set it was trained on.
 *
 * - **Every record of each split in `splits`**, at every snapshot: NLL in nats per record with its
 *   standard error; for discrete data, bits per dimension with the Jacobian of the data transform
 *   (uniform dequantisation and scaling; likelihood_math.ts). The records are transformed as in
 *   training (`transform`), with dequantisation noise seeded by `seed`, the same at every snapshot.
 * - **Importance-weighted estimates**: when the export takes a noise input, each record's
 *   log (1/K) Σ_k w_k over `importance` = K draws (IWAE-K), the draws common to all snapshots.
 * - **The snapshot reported**: the one with the lowest NLL on `select` (a validation split), or the
 *   last one (`select: null`); never chosen on the test split (refused).
 * - **Known targets** (likelihood_targets.ts: 1-D mixtures of synthetic-1d, 2-D toys of toy-2d): the
 *   target's entropy, the cross-entropy and KL(p ‖ q) by quadrature (exact up to the stated error),
 *   modes counted on a grid, and a density plot: 1-D the model's curve over the held-out histogram and
 *   beside the target's; 2-D heatmaps of model and target (PNG).
 *
 * Metrics: per snapshot `<split>_nll_curve` (and `<split>_bpd_curve`); for the reported snapshot
 * `<split>_nll`, `<split>_nll_se`, `<split>_bpd`, `<split>_bpd_se`, `selected_step`; with a known target
 * `entropy`, `cross_entropy`, `kl`, `kl_error`, `entropy_error`, `target_mass_outside` and (1-D)
 * `modes_model`, `modes_target`. Output: likelihood.json, report.json (sections for the report),
 * density.png for 2-D targets.
 *
 * @example
 * ```ts
 * import { use } from "../../engine/pipeline.ts";
 * import { likelihood } from "./likelihood.ts";
 *
 * // In a pipeline: the test split of the data the model trained on, at its last snapshot.
 * const evaluate = use(likelihood, {
 *   params: { splits: ["test"], select: null },
 *   inputs: { trained: "train", data: "data" },
 * });
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { transformSchema } from "../data/transforms.ts";

export const likelihoodParams = z.object({
  /** Splits evaluated at every snapshot, all of their records. */
  splits: z.array(z.string().min(1)).min(1).default(["test"]),
  /** The split whose lowest NLL picks the snapshot reported (never "test"); null: the last snapshot. */
  select: z.string().min(1).nullable().default(null),
  /** How records become the model's input: the training transform (stages/data/transforms.ts). */
  transform: transformSchema.default({}),
  /** Seed of the dequantisation noise and of the importance draws. */
  seed: z.number().int().min(0).default(0),
  /** Importance draws K per record, for models with a noise input (a multiple of its samples per call). */
  importance: z.number().int().min(1).optional(),
  /** Simpson intervals of the 1-D quadrature (a multiple of 4). */
  intervals: z.number().int().min(16).multipleOf(4).default(16384),
  /** Nodes per side of the 2-D quadrature grid (odd). */
  grid: z.number().int().min(5).default(401),
  /** Points of the 1-D density plot and mode count. */
  plotPoints: z.number().int().min(11).default(1201),
  /** A mode must rise this share of the density's maximum above the minima around it. */
  modeProminence: z.number().min(0).max(1).default(0.02),
  /** Evaluate every snapshot (the NLL curve); false: the last one only (needs select: null), for costly K. */
  curve: z.boolean().default(true),
  /** Read the density from the trained output's further export `exports/<export>/` (e.g. a VAE's "density"). */
  export: z.string().min(1).optional(),
  /** Title of this evaluation's sections in the report; "none" writes no sections. */
  title: z.string().min(1).default("Likelihood"),
}).strict();

export type LikelihoodParams = z.output<typeof likelihoodParams>;

/** What likelihood.json holds. */
export interface LikelihoodResult {
  jacobian: { kind: string; dims: number; logJacobian: number; note: string };
  importance: number | null;
  /** bpd and bpdSe are null for continuous data. */
  rows: {
    step: number;
    split: string;
    nll: number;
    nllSe: number;
    bpd: number | null;
    bpdSe: number | null;
  }[];
  selectedStep: number;
  selectedBy: string;
  final: Record<
    string,
    { nll: number; nllSe: number; bpd: number | null; bpdSe: number | null; records: number }
  >;
  target: null | {
    describe: string;
    dim: number;
    entropy: number;
    crossEntropy: number;
    kl: number;
    klError: number;
    entropyError: number;
    massOutside: number;
    modesModel?: number;
    modesTarget?: number;
  };
  /** 1-D: the plot grid with both densities. */
  curve?: { x: number[]; model: number[]; target: number[] };
}

const snapshotStep = (name: string) => Number(/step-(\d+)\.safetensors$/.exec(name)?.[1]);

export const likelihood = defineStage({
  kind: "eval.likelihood",
  module: import.meta.url,
  description:
    "NLL (nats, bits/dim) of held-out splits at every snapshot; exact KL and entropy for known targets",
  params: likelihoodParams,
  inputs: ["trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../data/shard_reader.ts");
    const { mixSeed } = await import("../data/random.ts");
    const { fillNoise } = await import("../train/noise.ts");
    const { readDensityExport } = await import("./likelihood_export.ts");
    const { dataJacobian, LogMeanExp, selectSnapshot, summarizeNll } = await import("./likelihood_math.ts");
    const targets = await import("./likelihood_targets.ts");

    if (p.select === "test") selectSnapshot([], "test"); // the refusal, before any work
    const exportDir = p.export === undefined
      ? ctx.inputs.trained
      : `${ctx.inputs.trained}/exports/${p.export}`;
    const info = await readDensityExport(exportDir);
    const shards = await openShards(ctx.inputs.data);
    const manifest = shards.manifest;
    const feature = shards.feature(manifest.input);
    const jacobian = dataJacobian(feature, p.transform, info.discrete === true);
    const batch = info.inputShape[0]!;
    const recordSize = info.inputShape.slice(1).reduce((a, b) => a * b, 1);
    if (recordSize !== jacobian.dims) {
      throw new Error(
        `The model reads records of ${recordSize} values ([${info.inputShape.slice(1)}]) but feature ` +
          `'${manifest.input}' has ${jacobian.dims} ([${feature.shape}])`,
      );
    }
    if (p.select !== null && !p.splits.includes(p.select)) {
      throw new Error(`select '${p.select}' is not among the evaluated splits (${p.splits.join(", ")})`);
    }
    const noise = info.noise;
    const perCall = noise ? noise.shape[1]! : 1;
    const draws = noise ? p.importance ?? perCall : 1;
    if (!noise && p.importance !== undefined) {
      throw new Error("importance: the model has no noise input, so it gives log q exactly (drop the param)");
    }
    if (draws % perCall !== 0) {
      throw new Error(
        `importance (${draws}) must be a multiple of the ${perCall} draws the model takes per call`,
      );
    }

    const data = [];
    for (const [i, split] of p.splits.entries()) {
      const all = await shards.readAll(split, {
        transform: p.transform,
        seed: mixSeed(p.seed, i),
        labels: "none",
      });
      data.push({ split, count: all.count, x: all.x as Float32Array });
    }

    const session = await createSession(await Deno.readFile(`${exportDir}/export.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const input = new Float32Array(batch * recordSize);
    const noiseBuffer = noise ? new Float32Array(noise.shape.reduce((a, b) => a * b, 1)) : undefined;
    /** log q (or the IWAE-K estimate) of `count` records laid out flat in `x`. */
    const logDensities = async (weights: Record<string, Float32Array>, x: Float32Array, count: number) => {
      const out = new Float64Array(count);
      for (let start = 0, b = 0; start < count; start += batch, b++) {
        const take = Math.min(batch, count - start);
        input.set(x.subarray(start * recordSize, (start + take) * recordSize));
        // A partial last batch is padded with its first record; the padding's outputs are dropped.
        for (let r = take; r < batch; r++) input.copyWithin(r * recordSize, 0, recordSize);
        if (!noise) {
          const result = await runSession(session, { ...weights, [info.input]: input });
          const values = result[info.output]!.data as Float32Array;
          for (let r = 0; r < take; r++) out[start + r] = values[r]!;
          continue;
        }
        const acc = new LogMeanExp(batch);
        for (let c = 0; c < draws / perCall; c++) {
          fillNoise(noiseBuffer!, noise.kind, p.seed, b, 1 + c);
          const result = await runSession(session, {
            ...weights,
            [info.input]: input,
            [noise.input]: noiseBuffer!,
          });
          acc.add(result[info.output]!.data as Float32Array, perCall);
        }
        out.set(acc.result().subarray(0, take), start);
      }
      return out;
    };

    // ---- every snapshot, every split ----
    const snapshotDir = `${ctx.inputs.trained}/snapshots`;
    let files: string[];
    try {
      files = [...Deno.readDirSync(snapshotDir)].map((e) => e.name).filter((n) => n.endsWith(".safetensors"));
    } catch {
      files = [];
    }
    files.sort((a, b) => snapshotStep(a) - snapshotStep(b));
    if (!p.curve) {
      if (p.select !== null) {
        throw new Error("curve: false evaluates the last snapshot only, so select must be null");
      }
      files = files.slice(-1);
    }
    if (files.length === 0) {
      throw new Error(`No snapshots in ${snapshotDir}: train with train.snapshotEvery > 0`);
    }
    const loadWeights = async (file: string) => {
      const path = `${snapshotDir}/${file}`;
      return tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors) as Record<
        string,
        Float32Array
      >;
    };
    const rows: LikelihoodResult["rows"] = [];
    for (const [i, file] of files.entries()) {
      ctx.signal.throwIfAborted();
      const step = snapshotStep(file);
      const weights = await loadWeights(file);
      const values: Record<string, number> = {};
      for (const d of data) {
        const s = summarizeNll(await logDensities(weights, d.x, d.count), jacobian);
        const discrete = jacobian.kind !== "continuous";
        rows.push({
          step,
          split: d.split,
          nll: s.nll,
          nllSe: s.nllSe,
          bpd: discrete ? s.bpd : null,
          bpdSe: discrete ? s.bpdSe : null,
        });
        values[`${d.split}_nll_curve`] = s.nll;
        if (jacobian.kind !== "continuous") values[`${d.split}_bpd_curve`] = s.bpd;
      }
      ctx.metrics(step, values);
      ctx.progress({
        done: i + 1,
        total: files.length,
        text: `step ${step}: ${data[0]!.split} NLL ${values[`${data[0]!.split}_nll_curve`]!.toFixed(4)}`,
      });
    }
    const selectedStep = selectSnapshot(rows, p.select);
    const final: LikelihoodResult["final"] = {};
    const finalMetrics: Record<string, number> = { selected_step: selectedStep };
    for (const d of data) {
      const r = rows.find((x) => x.step === selectedStep && x.split === d.split)!;
      final[d.split] = { nll: r.nll, nllSe: r.nllSe, bpd: r.bpd, bpdSe: r.bpdSe, records: d.count };
      finalMetrics[`${d.split}_nll`] = r.nll;
      finalMetrics[`${d.split}_nll_se`] = r.nllSe;
      if (r.bpd !== null && r.bpdSe !== null) {
        finalMetrics[`${d.split}_bpd`] = r.bpd;
        finalMetrics[`${d.split}_bpd_se`] = r.bpdSe;
      }
    }
    const selectedBy = p.select === null ? "the last snapshot" : `the lowest NLL on '${p.select}'`;
    ctx.log(`reporting the snapshot at step ${selectedStep} (${selectedBy})`);

    // ---- known targets: divergences by quadrature, density plots ----
    const selectedFile = files.find((f) => snapshotStep(f) === selectedStep)!;
    const selectedWeights = await loadWeights(selectedFile);
    const target = targets.knownDensity(manifest);
    let targetResult: LikelihoodResult["target"] = null;
    let curve: LikelihoodResult["curve"];
    let heatmap = false;
    const modelAt = async (points: Float64Array) =>
      await logDensities(selectedWeights, Float32Array.from(points), points.length / recordSize);
    if (target && !noise && jacobian.kind === "continuous" && target.dim === recordSize) {
      if (target.dim === 1) {
        const support = info.support?.[0];
        const rule = targets.quadrature1d(target, {
          intervals: p.intervals,
          ...(support ? { support } : {}),
        });
        const logp = rule.x.map((x) => target.logPdf(x));
        const div = targets.divergences(rule, logp, await modelAt(rule.x));
        // With a bounded support, the target's mass beyond it is mass the model cannot have: KL = ∞.
        const massOutside = Math.max(0, 1 - div.mass);
        const infinite = support !== undefined && massOutside > 1e-9;
        const [lo, hi] = support
          ? [Math.max(support[0], target.range[0]), Math.min(support[1], target.range[1])]
          : target.range;
        const xs = Float64Array.from(
          { length: p.plotPoints },
          (_, i) => lo + ((hi - lo) * i) / (p.plotPoints - 1),
        );
        const model = Array.from(await modelAt(xs), Math.exp);
        const truth = Array.from(xs, (x) => Math.exp(target.logPdf(x)));
        curve = { x: Array.from(xs), model, target: truth };
        targetResult = {
          describe: target.describe,
          dim: 1,
          entropy: div.entropy,
          crossEntropy: infinite ? Infinity : div.crossEntropy,
          kl: infinite ? Infinity : div.kl,
          klError: div.klError,
          entropyError: div.entropyError,
          massOutside,
          modesModel: targets.countModes(model, p.modeProminence),
          modesTarget: targets.countModes(truth, p.modeProminence),
        };
      } else {
        const rule = targets.quadrature2d(target.box, p.grid);
        const logp = rule.x.map((x, i) => target.logPdf(x, rule.y[i]!));
        const points = new Float64Array(2 * rule.x.length);
        rule.x.forEach((x, i) => (points[2 * i] = x, points[2 * i + 1] = rule.y[i]!));
        const logq = await modelAt(points);
        const div = targets.divergences(rule, logp, logq);
        targetResult = {
          describe: target.describe,
          dim: 2,
          entropy: div.entropy,
          crossEntropy: div.crossEntropy,
          kl: div.kl,
          klError: div.klError,
          entropyError: div.entropyError,
          massOutside: Math.max(0, 1 - div.mass),
        };
        const { densityHeatmapPng } = await import("./likelihood_heatmap.ts");
        const n = rule.n;
        const stride = Math.max(1, Math.floor(n / 200));
        const m = Math.floor((n - 1) / stride) + 1;
        const pick = (v: ArrayLike<number>) => {
          const out = new Float64Array(m * m);
          for (let j = 0; j < m; j++) {
            for (let i = 0; i < m; i++) out[j * m + i] = Math.exp(v[j * stride * n + i * stride]!);
          }
          return out;
        };
        await Deno.writeFile(
          `${ctx.outDir}/density.png`,
          await densityHeatmapPng([pick(logq), pick(logp)], m, { scale: Math.max(1, Math.floor(300 / m)) }),
        );
        heatmap = true;
      }
      const t = targetResult;
      finalMetrics.entropy = t.entropy;
      finalMetrics.cross_entropy = t.crossEntropy;
      finalMetrics.kl = t.kl;
      finalMetrics.kl_error = t.klError;
      finalMetrics.entropy_error = t.entropyError;
      finalMetrics.target_mass_outside = t.massOutside;
      if (t.modesModel !== undefined) finalMetrics.modes_model = t.modesModel;
      if (t.modesTarget !== undefined) finalMetrics.modes_target = t.modesTarget;
    }
    ctx.metrics(selectedStep, finalMetrics);
    await session.release();

    const result: LikelihoodResult = {
      jacobian,
      importance: noise ? draws : null,
      rows,
      selectedStep,
      selectedBy,
      final,
      target: targetResult,
      ...(curve ? { curve } : {}),
    };
    await Deno.writeTextFile(`${ctx.outDir}/likelihood.json`, JSON.stringify(result));
    if (p.title !== "none") {
      const { likelihoodSections } = await import("./likelihood_report.ts");
      const { writeReportSections } = await import("../report/fragments.ts");
      await writeReportSections(
        ctx.outDir,
        likelihoodSections(result, { title: p.title, heldOut: data[0]!, heatmap }),
      );
    }
  },
});
