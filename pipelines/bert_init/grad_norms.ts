/**
 * `bert-init.grad-norms`: the gradient norm of each layer of a Transformer encoder at initialisation,
 * Post-Norm against Pre-Norm, for several depths and init stds (kexue.fm/archives/8747).
 *
 * The article's argument: at initialisation a Post-Norm block is x ← Norm(x + F(x)) ≈ (x + F(x))/√2 when
 * F(x) is as large as x, so the path from layer l's output to the top is weighted 2^(−(L−l)/2) and
 * gradients fall toward the input ("residual in name only"); a small init std keeps F small, so that
 * Norm ≈ divide by √(1 + σ²·…) and the block stays close to the identity; Pre-Norm, x ← x + F(Norm(x)),
 * keeps an identity path and no such fall.
 *
 * For each (depth L, Post/Pre, std) the stage draws `repeats` initialisations and batches of random
 * tokens with random targets (at init the model knows no task, so any targets do), and computes, per
 * layer l, ‖∂loss/∂W_l‖ over the layer's six weight matrices (models/onnx autodiff, float32). The
 * summary is the least-squares slope of log₂‖g_l‖ against l, per draw, then its mean and standard
 * error over the draws: the article's 2^(−l/2) is a slope of +0.5 (norms grow by √2 per layer toward the
 * output), no fall is a slope of 0.
 *
 * Metrics (one per configuration; `std176` is std 0.0176): `slope-<post|pre>-std176-L12` and its
 * `…_se`, `fall-<…>` = log₂(‖g_L‖/‖g_1‖) (the whole fall over the stack).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

/** The metric label of an init std: `std176` for 0.0176. */
export const stdLabel = (std: number) => `std${Math.round(std * 1e4)}`;

/** Least-squares slope of y against x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Mean and standard error of the mean. */
export function meanSe(v: readonly number[]): { mean: number; se: number } {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

export const gradNorms = defineStage({
  kind: "bert-init.grad-norms",
  module: import.meta.url,
  description: "Per-layer gradient norms at init of Post-Norm and Pre-Norm encoders, by depth and init std",
  params: z.object({
    depths: z.array(z.number().int().min(2)).min(1).default([12, 24]),
    /** Weight stds after truncation: BERT's 0.02 → 0.0176, Xavier's 1/√768 = 0.036, 1/√d for d = 128. */
    stds: z.array(z.number().positive()).min(1).default([0.0176, 0.036, 0.0884]),
    d: z.number().int().min(2).default(128),
    heads: z.number().int().min(1).default(4),
    seq: z.number().int().min(1).default(32),
    vocab: z.number().int().min(2).default(256),
    batch: z.number().int().min(1).default(8),
    /** Initialisations (and batches) per configuration. */
    repeats: z.number().int().min(2).default(8),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { input } = await import("../../models/onnx/graph.ts");
    const { grad } = await import("../../models/onnx/autodiff.ts");
    const { emitModel } = await import("../../models/onnx/emit.ts");
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { initParams } = await import("../../models/onnx/init.ts");
    const { ParamInputs } = await import("../../models/onnx/params.ts");
    const { add, sqrt, mul } = await import("../../models/onnx/ops_elementwise.ts");
    const { reduceSum } = await import("../../models/onnx/ops_reduce.ts");
    const { softmaxCrossEntropy } = await import("../../models/onnx/ops_nn.ts");
    const { layerMatrices, transformerEncoder } = await import(
      "../../models/onnx/models/transformer_encoder.ts"
    );
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    type Fragment = import("../../stages/report/fragments.ts").Fragment;

    interface Result {
      depth: number;
      norm: "post" | "pre";
      std: number;
      /** Mean log₂‖g_l‖ over the draws, l = 1…L. */
      profile: number[];
      slope: { mean: number; se: number };
      fall: number;
    }
    const results: Result[] = [];
    const total = p.depths.length * 2 * p.stds.length;
    for (const depth of p.depths) {
      for (const norm of ["post", "pre"] as const) {
        for (const std of p.stds) {
          ctx.signal.throwIfAborted();
          const cfg = { vocab: p.vocab, seq: p.seq, d: p.d, heads: p.heads, layers: depth, norm, std };
          const ps = new ParamInputs("float32");
          const tokens = input("tokens", "int32", [p.batch, p.seq]);
          const labels = input("labels", "int32", [p.batch * p.seq]);
          const { logits } = transformerEncoder(ps, tokens, cfg);
          const loss = softmaxCrossEntropy(logits, labels);
          const byName = Object.fromEntries(ps.specs.map((s) => [s.name, s]));
          const layers = Array.from({ length: depth }, (_, i) => layerMatrices(i + 1));
          const weights = layers.flat().map((n) => input(n, "float32", byName[n]!.shape));
          const grads = grad(loss, weights);
          const outputs: Record<string, ReturnType<typeof sqrt>> = {};
          layers.forEach((names, i) => {
            const sq = names.map((_, j) => {
              const g = grads[i * names.length + j]!;
              return reduceSum(mul(g, g));
            });
            outputs[`g${i + 1}`] = sqrt(sq.reduce((a, b) => add(a, b)));
          });
          const session = await createSession(
            emitModel({ name: `grad_norms_${norm}_${depth}`, outputs }),
            { intraOpNumThreads: ctx.threads },
          );
          const logs: number[][] = [];
          for (let r = 0; r < p.repeats; r++) {
            const rng = new Rng(mixSeed(p.seed, depth, r));
            const feeds = {
              ...initParams(ps.specs, mixSeed(p.seed, r)),
              tokens: Int32Array.from({ length: p.batch * p.seq }, () => rng.below(p.vocab)),
              labels: Int32Array.from({ length: p.batch * p.seq }, () => rng.below(p.vocab)),
            };
            const out = await runSession(session, feeds);
            logs.push(layers.map((_, i) => Math.log2(out[`g${i + 1}`]!.data[0] as number)));
          }
          await session.release();
          const ls = Array.from({ length: depth }, (_, i) => i + 1);
          const profile = ls.map((_, i) => logs.reduce((a, l) => a + l[i]!, 0) / logs.length);
          const s = meanSe(logs.map((l) => slope(ls, l)));
          const fall = profile.at(-1)! - profile[0]!;
          results.push({ depth, norm, std, profile, slope: s, fall });
          const name = `${norm}-${stdLabel(std)}-L${depth}`;
          ctx.metrics(0, { [`slope-${name}`]: s.mean, [`slope-${name}_se`]: s.se, [`fall-${name}`]: fall });
          ctx.progress({
            done: results.length,
            total,
            text: `${name}: slope ${s.mean.toFixed(3)} ± ${s.se.toFixed(3)}`,
          });
        }
      }
    }
    await Deno.writeTextFile(`${ctx.outDir}/grad_norms.json`, JSON.stringify(results, null, 1));
    const fragments: Fragment[] = [
      {
        kind: "prose",
        text:
          `A ${p.d}-wide encoder (${p.heads} heads, FFN ${
            4 * p.d
          }, ReLU, truncated-normal weights, zero biases) ` +
          `on ${p.batch}×${p.seq} random tokens of a ${p.vocab}-token vocabulary with random targets; ${p.repeats} ` +
          `initialisations per configuration. The gradient norm of layer l is over its six weight matrices (Q, K, ` +
          `V, O, FFN in and out). The article's 2^(−l/2) toward the input is a slope of +0.5 in log₂ per layer; ` +
          `the dashed line of each plot has that slope.`,
      },
      {
        kind: "table",
        rows: results.map((r) => ({
          layers: r.depth,
          norm: r.norm === "post" ? "Post-Norm" : "Pre-Norm",
          "init std": r.std,
          "slope (log₂ per layer)": r.slope.mean,
          "± s.e.": r.slope.se,
          "log₂ ‖g_L‖/‖g_1‖": r.fall,
        })),
        columns: [
          "layers",
          "norm",
          "init std",
          { key: "slope (log₂ per layer)", digits: 3 },
          { key: "± s.e.", digits: 3 },
          { key: "log₂ ‖g_L‖/‖g_1‖", digits: 2 },
        ],
        caption: "Slope of log₂ of the gradient norm against the layer index (1 = next to the embeddings).",
      },
    ];
    for (const depth of p.depths) {
      const of = results.filter((r) => r.depth === depth);
      const ls = Array.from({ length: depth }, (_, i) => i + 1);
      const top = Math.max(...of.filter((r) => r.norm === "post").map((r) => r.profile.at(-1)!));
      fragments.push({
        kind: "line",
        series: [
          ...of.map((r) => ({
            name: `${r.norm === "post" ? "Post" : "Pre"}-Norm, std ${r.std}`,
            x: ls,
            y: r.profile,
          })),
          { name: "2^(−(L−l)/2)", x: ls, y: ls.map((l) => top - (depth - l) / 2) },
        ],
        options: {
          title: `${depth} layers: log₂ gradient norm per layer at initialisation`,
          subtitle:
            `mean over ${p.repeats} initialisations; the reference line ends at Post-Norm's top layer`,
          xLabel: "layer (1 = input side)",
          yLabel: "log₂ ‖∂loss/∂W_l‖",
          dots: true,
        },
      });
    }
    await writeReportSections(ctx.outDir, [{ title: "Gradient norms at initialisation", fragments }]);
  },
});
