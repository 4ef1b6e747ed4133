/**
 * `custom-loss.triplet`: the article's FAQ-retrieval triplet loss, max(0, m + cos(q, a_wrong) −
 * cos(q, a_right)) ("put the loss inside the model as a layer"), on a synthetic paired dataset where each
 * question and its answer are two different noisy random projections of one latent vector:
 * q = A·s + σε, a = B·s + σε′ with s ~ N(0, I_k), so that matching them needs learnt encoders (raw
 * cosines of q and a are at chance). Two encoders (dense → ReLU → dense, one for questions, one for
 * answers) are trained with Adam on random batches, the wrong answer of each question being the next
 * pair's answer in the batch.
 *
 * Judged on held-out pairs: top-1 retrieval accuracy (is the right answer the most cosine-similar of all
 * held-out answers?) of the trained encoders against the same encoders at initialisation; chance is
 * 1/`test`. Metrics: `top1-trained`, `top1-untrained`, `chance`, `test-loss` (the held-out triplet loss).
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const triplet = defineStage({
  kind: "custom-loss.triplet",
  module: import.meta.url,
  description: "Triplet loss with cosine similarity on synthetic question/answer pairs: retrieval accuracy",
  params: z.object({
    train: z.number().int().min(2).default(4000),
    test: z.number().int().min(2).default(500),
    dim: z.number().int().min(1).default(32),
    latent: z.number().int().min(1).default(8),
    noise: z.number().min(0).default(0.3),
    hidden: z.number().int().min(1).default(64),
    embed: z.number().int().min(1).default(16),
    /** The margin m (not given in the article). */
    margin: z.number().positive().default(0.3),
    batch: z.number().int().min(2).default(64),
    lr: z.number().positive().default(1e-3),
    steps: z.number().int().min(1).default(1500),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const { Rng } = await import("../../stages/data/random.ts");
    const { buildTrainStep } = await import("../../models/onnx/train_step.ts");
    const { TrainRunner } = await import("../../models/onnx/runner.ts");
    const { adam } = await import("../../models/onnx/optimizers.ts");
    const { dense } = await import("../../models/onnx/layers.ts");
    const { relu } = await import("../../models/onnx/ops_elementwise.ts");
    const { scope } = await import("../../models/onnx/graph.ts");
    const { slice } = await import("../../models/onnx/ops_shape.ts");
    const { concat } = await import("../../models/onnx/ops_shape.ts");
    const { tripletLoss } = await import("./losses.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");

    const rng = new Rng(p.seed);
    const matrix = (rows: number, cols: number) =>
      Float64Array.from({ length: rows * cols }, () => rng.normal() / Math.sqrt(cols));
    const A = matrix(p.dim, p.latent), B = matrix(p.dim, p.latent);
    /** n pairs: questions and answers [n, dim], row i of each from the same latent s_i. */
    const pairs = (n: number) => {
      const q = new Float32Array(n * p.dim), a = new Float32Array(n * p.dim);
      for (let i = 0; i < n; i++) {
        const s = Array.from({ length: p.latent }, () => rng.normal());
        for (let r = 0; r < p.dim; r++) {
          let u = 0, v = 0;
          for (let k = 0; k < p.latent; k++) {
            u += A[r * p.latent + k]! * s[k]!;
            v += B[r * p.latent + k]! * s[k]!;
          }
          q[i * p.dim + r] = u + p.noise * rng.normal();
          a[i * p.dim + r] = v + p.noise * rng.normal();
        }
      }
      return { q, a };
    };
    const train = pairs(p.train), test = pairs(p.test);
    const encode = (
      ps: import("../../models/onnx/params.ts").ParamSource,
      x: import("../../models/onnx/graph.ts").Tensor,
      name: string,
    ) => scope(`/${name}`, () => dense(ps, "fc2", relu(dense(ps, "fc1", x, p.hidden)), p.embed));
    const step = buildTrainStep({
      name: "triplet",
      batch: {
        q: { dtype: "float32", shape: [p.batch, p.dim] },
        a: { dtype: "float32", shape: [p.batch, p.dim] },
      },
      build(sctx) {
        const fq = encode(sctx.params, sctx.batch.q!, "question");
        const fa = encode(sctx.params, sctx.batch.a!, "answer");
        // The wrong answer of question b: the answer of pair b + 1 (mod batch), another random pair.
        const wrong = concat([slice(fa, [1], [p.batch], [0]), slice(fa, [0], [1], [0])], 0);
        const loss = tripletLoss(fq, fa, wrong, p.margin);
        sctx.minimize("net", loss, adam({ lr: p.lr }));
        return { loss };
      },
    });
    const runner = await TrainRunner.create(step, { seed: p.seed, intraOpNumThreads: ctx.threads });

    /** Host forward of one encoder from the runner's weights, rows of x [n, dim] → [n, embed]. */
    const embed = (w: Record<string, Float32Array | Float64Array>, name: string, x: Float32Array) => {
      const n = x.length / p.dim;
      const layer = (
        input: ArrayLike<number>,
        inDim: number,
        W: ArrayLike<number>,
        b: ArrayLike<number>,
        out: number,
        act: boolean,
      ) => {
        const y = new Float64Array(n * out);
        for (let i = 0; i < n; i++) {
          for (let o = 0; o < out; o++) {
            let s = b[o]!;
            for (let k = 0; k < inDim; k++) s += input[i * inDim + k]! * W[k * out + o]!;
            y[i * out + o] = act ? Math.max(0, s) : s;
          }
        }
        return y;
      };
      const h = layer(x, p.dim, w[`${name}/fc1/W`]!, w[`${name}/fc1/b`]!, p.hidden, true);
      return layer(h, p.hidden, w[`${name}/fc2/W`]!, w[`${name}/fc2/b`]!, p.embed, false);
    };
    /** Top-1 accuracy and the held-out triplet loss (wrong answer: the next pair's) of the weights. */
    const judge = (w: Record<string, Float32Array | Float64Array>) => {
      const fq = embed(w, "question", test.q), fa = embed(w, "answer", test.a);
      const n = p.test, e = p.embed;
      const unit = (v: Float64Array) => {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < e; k++) s += v[i * e + k]! ** 2;
          const r = 1 / (Math.sqrt(s) + 1e-12);
          for (let k = 0; k < e; k++) v[i * e + k]! *= r;
        }
        return v;
      };
      unit(fq);
      unit(fa);
      const cos = (i: number, j: number) => {
        let s = 0;
        for (let k = 0; k < e; k++) s += fq[i * e + k]! * fa[j * e + k]!;
        return s;
      };
      let hits = 0, loss = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < n; j++) if (cos(i, j) > cos(i, best)) best = j;
        if (best === i) hits++;
        loss += Math.max(0, p.margin + cos(i, (i + 1) % n) - cos(i, i));
      }
      return { top1: hits / n, loss: loss / n };
    };
    const before = judge(runner.params());
    const order = new Rng(p.seed + 1);
    const q = new Float32Array(p.batch * p.dim), a = new Float32Array(p.batch * p.dim);
    const curve: { step: number; loss: number }[] = [];
    let window = 0;
    for (let s = 0; s < p.steps; s++) {
      ctx.signal.throwIfAborted();
      for (let b = 0; b < p.batch; b++) {
        const i = order.below(p.train);
        q.set(train.q.subarray(i * p.dim, (i + 1) * p.dim), b * p.dim);
        a.set(train.a.subarray(i * p.dim, (i + 1) * p.dim), b * p.dim);
      }
      window += (await runner.step({ q, a })).loss!;
      if ((s + 1) % 50 === 0) {
        curve.push({ step: s + 1, loss: window / 50 });
        ctx.metrics(s + 1, { "train-loss": window / 50 });
        window = 0;
        ctx.progress({ done: s + 1, total: p.steps, text: `loss ${curve.at(-1)!.loss.toFixed(4)}` });
      }
    }
    const after = judge(runner.params());
    await runner.release();
    ctx.metrics(p.steps, {
      "top1-trained": after.top1,
      "top1-untrained": before.top1,
      chance: 1 / p.test,
      "test-loss": after.loss,
    });
    await writeReportSections(ctx.outDir, [{
      title: "Triplet loss on question/answer pairs",
      fragments: [
        {
          kind: "prose",
          text:
            `Each of ${p.train.toLocaleString("en")} training and ${p.test} held-out pairs is a question ` +
            `q = A·s + ${p.noise}ε and its answer a = B·s + ${p.noise}ε′ in ${p.dim} dimensions, from one latent ` +
            `s ~ N(0, I_${p.latent}) and two fixed random projections A, B. Two encoders (${p.dim} → ${p.hidden} → ` +
            `${p.embed}) are trained with Adam (${p.lr}, batch ${p.batch}, ${p.steps} steps) on max(0, ${p.margin} ` +
            `+ cos(q, a_wrong) − cos(q, a_right)). Retrieval: for each held-out question, is its answer the most ` +
            `similar of all ${p.test} held-out answers?`,
        },
        {
          kind: "table",
          rows: [
            {
              encoders: "at initialisation",
              "top-1 accuracy": before.top1,
              "held-out triplet loss": before.loss,
            },
            { encoders: "trained", "top-1 accuracy": after.top1, "held-out triplet loss": after.loss },
            { encoders: "chance", "top-1 accuracy": 1 / p.test, "held-out triplet loss": null },
          ],
        },
        {
          kind: "line",
          series: [{
            name: "training triplet loss",
            x: curve.map((c) => c.step),
            y: curve.map((c) => c.loss),
          }],
          options: { title: "Triplet loss during training", subtitle: "mean over 50 steps", xLabel: "step" },
        },
      ],
    }]);
  },
});
