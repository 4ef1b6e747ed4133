/**
 * `bert-init.warmup`: a small Transformer encoder trained with Adam on a synthetic task, Post-Norm with
 * and without learning-rate warmup, and Pre-Norm without, from the same initialisation and batches
 * (kexue.fm/archives/8747: without warmup a Post-Norm model's "loss drops quickly to a constant, then
 * later diverges to NaN"; warmup, or Pre-Norm, avoids it).
 *
 * The task: reverse a sequence of random tokens (target_t = token_{T−1−t}), which a per-position model
 * cannot do without attention; chance is log V nats per token. Tokens come from a seeded host generator,
 * a pure function of (seed, step), the same for every run. Each run is one train step graph
 * (models/onnx/train_step.ts) with Adam and the schedule of models/onnx/schedules.ts (linear warmup to
 * `lr`, then constant), run for `steps` steps in fused calls; a non-finite loss ends that run, and the
 * step is recorded.
 *
 * Metrics per run r (`post`, `post-warmup`, `pre`): `loss-r` per call, `final-r` (the mean loss of the
 * last tenth of the steps; for a run that diverged, chance, log V, so that a claim can still compare it),
 * `min-r`, `diverged-r` (0 or 1), and `chance` (log V).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

const runSchema = z.object({
  /** The metric label of the run. */
  name: z.string().regex(/^[a-z0-9-]+$/),
  norm: z.enum(["post", "pre"]),
  /** Linear warmup steps (0: none). */
  warmup: z.number().int().min(0),
}).strict();

export const warmup = defineStage({
  kind: "bert-init.warmup",
  module: import.meta.url,
  description: "Post-Norm with and without warmup, and Pre-Norm, trained with Adam on sequence reversal",
  params: z.object({
    runs: z.array(runSchema).min(1).default([
      { name: "post", norm: "post", warmup: 0 },
      { name: "post-warmup", norm: "post", warmup: 200 },
      { name: "pre", norm: "pre", warmup: 0 },
    ]),
    layers: z.number().int().min(1).default(6),
    d: z.number().int().min(2).default(64),
    heads: z.number().int().min(1).default(4),
    seq: z.number().int().min(2).default(16),
    vocab: z.number().int().min(2).default(32),
    batch: z.number().int().min(1).default(32),
    /** BERT's init: 0.02 truncated at ±2σ, std 0.0176. */
    std: z.number().positive().default(0.0176),
    /** Adam's learning rate (§D2: 1e-3) and β₂ (BERT's 0.999). */
    lr: z.number().positive().default(1e-3),
    steps: z.number().int().min(10).default(1000),
    /** Steps per onnxruntime call; steps must be a multiple. */
    fuse: z.number().int().min(1).default(10),
    seed: z.number().int().min(0).default(0),
  }).strict().refine((p) => p.steps % p.fuse === 0, {
    message: "steps must be a multiple of fuse",
    path: ["steps"],
  }),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { buildTrainStep } = await import("../../models/onnx/train_step.ts");
    const { TrainRunner } = await import("../../models/onnx/runner.ts");
    const { buildOptimizer } = await import("../../models/onnx/optimizer_choice.ts");
    const { softmaxCrossEntropy } = await import("../../models/onnx/ops_nn.ts");
    const { transformerEncoder } = await import("../../models/onnx/models/transformer_encoder.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");

    const chance = Math.log(p.vocab);
    const n = p.batch * p.seq;
    /** K batches of tokens for the call starting at `step`, and their reversals as targets. */
    const batches = (step: number, k: number) => {
      const x = new Int32Array(k * n), y = new Int32Array(k * n);
      for (let j = 0; j < k; j++) {
        const rng = new Rng(mixSeed(p.seed, step + j));
        for (let b = 0; b < p.batch; b++) {
          for (let t = 0; t < p.seq; t++) x[j * n + b * p.seq + t] = rng.below(p.vocab);
          for (let t = 0; t < p.seq; t++) {
            y[j * n + b * p.seq + t] = x[j * n + b * p.seq + (p.seq - 1 - t)]!;
          }
        }
      }
      return { tokens: x, targets: y };
    };
    interface Curve {
      name: string;
      norm: "post" | "pre";
      warmup: number;
      steps: number[];
      loss: number[];
      divergedAt: number | null;
    }
    const curves: Curve[] = [];
    const calls = p.steps / p.fuse;
    for (const [ri, run] of p.runs.entries()) {
      const cfg = {
        vocab: p.vocab,
        seq: p.seq,
        d: p.d,
        heads: p.heads,
        layers: p.layers,
        norm: run.norm,
        std: p.std,
      };
      const step = buildTrainStep({
        name: `reverse_${run.norm}`,
        batch: {
          tokens: { dtype: "int32", shape: [p.batch, p.seq] },
          targets: { dtype: "int32", shape: [n] },
        },
        build(sctx) {
          const { logits } = transformerEncoder(sctx.params, sctx.batch.tokens!, cfg);
          const loss = softmaxCrossEntropy(logits, sctx.batch.targets!);
          const opt = buildOptimizer(
            { kind: "adam", lr: p.lr, schedule: { kind: "constant", warmup: run.warmup } },
            sctx.step,
          );
          sctx.minimize("net", loss, opt);
          return { loss };
        },
      });
      // The same initial weights for every run of a norm (the seed, not the run, draws them).
      const runner = await TrainRunner.create(step, { seed: p.seed, intraOpNumThreads: ctx.threads });
      const curve: Curve = {
        name: run.name,
        norm: run.norm,
        warmup: run.warmup,
        steps: [],
        loss: [],
        divergedAt: null,
      };
      for (let c = 0; c < calls; c++) {
        ctx.signal.throwIfAborted();
        const at = c * p.fuse;
        const out = p.fuse === 1
          ? { loss: Float32Array.of((await runner.step(batches(at, 1))).loss!) }
          : await runner.steps(batches(at, p.fuse), p.fuse);
        const losses = Array.from(out.loss!);
        const bad = losses.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          curve.divergedAt = at + bad + 1;
          ctx.log(`${run.name}: the loss is ${losses[bad]} at step ${curve.divergedAt}; the run stops there`);
          break;
        }
        const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
        curve.steps.push(at + p.fuse);
        curve.loss.push(mean);
        ctx.metrics(at + p.fuse, { [`loss-${run.name}`]: mean });
        if (c % 10 === 0) {
          ctx.progress({
            done: ri * calls + c + 1,
            total: p.runs.length * calls,
            text: `${run.name}: step ${at + p.fuse} loss ${mean.toFixed(3)}`,
          });
        }
      }
      await runner.release();
      curves.push(curve);
      const tail = curve.loss.slice(Math.floor(curve.loss.length * 0.9));
      const final = curve.divergedAt !== null || tail.length === 0
        ? chance
        : tail.reduce((a, b) => a + b, 0) / tail.length;
      ctx.metrics(p.steps, {
        [`final-${run.name}`]: final,
        [`min-${run.name}`]: curve.loss.length ? Math.min(...curve.loss) : chance,
        [`diverged-${run.name}`]: curve.divergedAt === null ? 0 : 1,
      });
    }
    ctx.metrics(p.steps, { chance });
    await Deno.writeTextFile(`${ctx.outDir}/warmup.json`, JSON.stringify(curves, null, 1));
    const label = (c: Curve) =>
      `${c.norm === "post" ? "Post" : "Pre"}-Norm, ${c.warmup > 0 ? `warmup ${c.warmup}` : "no warmup"}`;
    await writeReportSections(ctx.outDir, [{
      title: "Training with and without warmup",
      fragments: [
        {
          kind: "prose",
          text:
            `A ${p.layers}-layer, ${p.d}-wide encoder (${p.heads} heads, init std ${p.std}) learns to reverse ` +
            `sequences of ${p.seq} random tokens out of ${p.vocab} (chance: log ${p.vocab} = ${
              chance.toFixed(3)
            } nats per token), with Adam at learning rate ${p.lr}, batch ${p.batch}, ${p.steps} steps; every ` +
            `run starts from the same weights and sees the same batches. Warmup: the learning rate rises ` +
            `linearly over the first steps, then stays constant.`,
        },
        {
          kind: "table",
          rows: curves.map((c) => {
            const tail = c.loss.slice(Math.floor(c.loss.length * 0.9));
            return {
              run: label(c),
              "lowest loss": c.loss.length ? Math.min(...c.loss) : null,
              "final loss (last tenth)": c.divergedAt === null && tail.length
                ? tail.reduce((a, b) => a + b, 0) / tail.length
                : null,
              "diverged at step": c.divergedAt,
            };
          }),
          columns: [
            "run",
            { key: "lowest loss", digits: 4 },
            { key: "final loss (last tenth)", digits: 4 },
            "diverged at step",
          ],
        },
        {
          kind: "line",
          series: [
            ...curves.map((c) => ({ name: label(c), x: c.steps, y: c.loss })),
            { name: "chance (log V)", x: [0, p.steps], y: [chance, chance] },
          ],
          options: {
            title: "Training loss",
            subtitle: `mean over each call of ${p.fuse} steps`,
            xLabel: "step",
            yLabel: "cross-entropy (nats per token)",
          },
        },
      ],
    }]);
  },
});
