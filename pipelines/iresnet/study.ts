/**
 * `iresnet.study`: the trained i-ResNet's two numerical claims, on held-out points, in float64 with the
 * exported model's weights (W / max(1, σ̂/c), σ̂ by the export's power iterations); inputs: the graph
 * stage's output (the model config), the training's (the weights) and the data (the points):
 *
 * - **the log-determinant estimator** per block: the exact log |det(I + J_g)| of the 2×2 Jacobian, the
 *   n-term series with exact traces T(n) = Σ_{k≤n} (−1)^{k+1}/k·Tr(J_gᵏ) (the truncation alone), and
 *   Hutchinson's estimate with `probes` fresh v ~ N(0, I) per point and block, for n = 1 … `maxTerms`.
 *   The bound (Behrmann et al. 2019, Thm. 3): |T(n) − log det| ≤ d·Σ_{k>n} Lip^k/k
 *   = −d·(ln(1 − Lip) + Σ_{k≤n} Lip^k/k), d = 2, with Lip = Π_l ‖Ŵ_l‖₂ (exact SVD of each normalised
 *   weight; ELU is 1-Lipschitz, so this bounds Lip(g)). Hutchinson's estimate is unbiased for T(n), so
 *   its bias against the exact value is the truncation.
 * - **the fixed-point inverse** per block: ‖x_k − x‖ after k iterations x_{k+1} = y − g(x_k) from
 *   x₀ = y, against Lip^k/(1 − Lip)·‖x₁ − x₀‖; and the whole model's round trip through the sampler's
 *   inverse (`inverseIterations` per block).
 *
 * Metrics: per n `bias_n<n>` (mean over points and probes of the total estimate over blocks minus the
 * exact total), `bias_se_n<n>`, `sd_n<n>` (the estimate's standard deviation per point, over probes),
 * `truncation_n<n>` and `truncation_abs_n<n>` (mean T(n) − exact and mean |T(n) − exact|), `bound_n<n>`
 * (the bound summed over blocks); `bias_excess_z` (worst (|bias| − bound)⁺/s.e. over n); and
 * `truncation_bound_ratio` (worst |T(n) − exact|/bound over blocks, points, n), `hutchinson_z` (worst
 * |mean(estimate − T(n))|/s.e. over n), `inverse_bound_ratio` (worst error/bound over blocks, points, k),
 * `roundtrip_error`, `lip_max`, `lip_mean`.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";

export const study = defineStage({
  kind: "iresnet.study",
  module: import.meta.url,
  description:
    "i-ResNet: log-det estimator bias and variance vs series terms; fixed-point inverse vs its bound",
  params: z.object({
    maxTerms: z.number().int().min(1).max(30).default(10),
    points: z.number().int().min(1).default(128),
    probes: z.number().int().min(2).default(32),
    inverseSteps: z.number().int().min(1).default(40),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: ["graph", "trained", "data"],
  async run(ctx) {
    const p = ctx.params;
    const m = await import("../../models/onnx/models/iresnet.ts");
    const { actnorm } = await import("../../models/onnx/flow_layers.ts");
    const { input, scope } = await import("../../models/onnx/graph.ts");
    const ops = await import("../../models/onnx/ops_elementwise.ts");
    const { reduceSum } = await import("../../models/onnx/ops_reduce.ts");
    const { ParamInputs } = await import("../../models/onnx/params.ts");
    const { inits } = await import("../../models/onnx/init.ts");
    const { emitModel } = await import("../../models/onnx/emit.ts");
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, tensorsToState } = await import("../../models/onnx/safetensors.ts");
    const { openShards } = await import("../../stages/data/shard_reader.ts");
    const { mixSeed, Rng } = await import("../../stages/data/random.ts");
    const { matrix } = await import("../../numerics/matrix.ts");
    const { singularValues } = await import("../../numerics/svd.ts");
    const { writeReportSections } = await import("../../stages/report/fragments.ts");
    type Tensor = import("../../models/onnx/graph.ts").Tensor;

    const c = JSON.parse(
      await Deno.readTextFile(`${ctx.inputs.graph}/config.json`),
    ) as import("../../models/onnx/models/iresnet.ts").IResNetConfig;
    if (c.dim !== 2) {
      throw new Error(`iresnet.study needs a 2-D model (exact 2×2 log-dets); this one has dim ${c.dim}`);
    }
    const P = p.points, S = p.probes, N = p.maxTerms, K = p.inverseSteps, B = c.blocks;
    const path = `${ctx.inputs.trained}/final.safetensors`;
    const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors) as Record<
      string,
      Float32Array
    >;
    const test = await (await openShards(ctx.inputs.data)).readAll("test", { labels: "none" });
    if (test.count < P) throw new Error(`points (${P}) exceeds the ${test.count} test records`);
    const x64 = Float64Array.from((test.x as Float32Array).subarray(0, 2 * P));

    // ---- the float64 graph ----
    const ps = new ParamInputs("float64");
    const x = input("x", "float64", [P, 2]);
    const xr = input("xr", "float64", [P * S, 2]);
    const vs = Array.from({ length: B }, (_, b) => input(`v${b}`, "float64", [P * S, 2]));
    const outputs: Record<string, Tensor> = {};
    const norm = (t: Tensor) => ops.sqrt(reduceSum(ops.square(t), [1]));
    scope("/iresnet", () => {
      let h = x, hr = xr;
      for (let b = 0; b < B; b++) {
        if (c.actnorm) {
          const an = actnorm(`actnorm${b}`);
          h = an.forward({ ps }, h).y;
          hr = an.forward({ ps }, hr).y;
        }
        scope(`block${b}`, () => {
          const fc = { ps };
          const gx = m.residual(fc, h, c);
          outputs[`exact${b}`] = m.exactLogdet2d(gx, h);
          const t0 = m.powerSeriesTerms(gx, h, m.unitProbe(h, 0), N);
          const t1 = m.powerSeriesTerms(gx, h, m.unitProbe(h, 1), N);
          t0.forEach((t, k) => outputs[`trace${b}_${k}`] = ops.add(t, t1[k]!));
          const gr = m.residual(fc, hr, c);
          m.powerSeriesTerms(gr, hr, vs[b]!, N).forEach((t, k) => outputs[`hutch${b}_${k}`] = t);
          scope("g", () => {
            const dims = [2, c.hidden[0], c.hidden[1], 2];
            for (let l = 0; l < 3; l++) {
              scope(`fc${l + 1}`, () => {
                const w = ps.param("W", [dims[l]!, dims[l + 1]!], inits.zeros());
                outputs[`weff${b}_${l}`] = m.spectralNormalise({ ps }, w, c);
              });
            }
          });
          const y = ops.add(h, gx);
          const iterates = m.fixedPointInverse(fc, y, c, K);
          outputs[`step1_${b}`] = norm(ops.sub(iterates[0]!, y));
          iterates.forEach((xk, k) => outputs[`inv${b}_${k}`] = norm(ops.sub(xk, h)));
          h = y;
          hr = ops.add(hr, gr);
        });
      }
    });
    const flow = m.iresnetFlow(c);
    const z = flow.forward({ ps, logdet: { kind: "series", terms: 1, probes: "trace" } } as never, x).y;
    outputs.roundtrip = norm(ops.sub(flow.inverse({ ps }, z), x));

    // ---- feeds ----
    const rng = new Rng(mixSeed(p.seed, 1));
    const feeds: Record<string, Float64Array> = {
      x: x64,
      xr: Float64Array.from({ length: 2 * P * S }, (_, i) => x64[2 * Math.floor(i / (2 * S)) + (i % 2)]!),
    };
    for (let b = 0; b < B; b++) feeds[`v${b}`] = Float64Array.from({ length: 2 * P * S }, () => rng.normal());
    for (const s of ps.specs) {
      const w = weights[s.name];
      if (!w) {
        throw new Error(`the trained output has no parameter '${s.name}': was it trained with these params?`);
      }
      feeds[s.name] = Float64Array.from(w);
    }
    ctx.progress({
      done: 0,
      total: 1,
      text: `float64 graph: ${P} points × ${S} probes, ${N} terms, ${B} blocks`,
    });
    const t0 = performance.now();
    const session = await createSession(emitModel({ name: "iresnet_study", outputs }), {
      intraOpNumThreads: ctx.threads,
    });
    const all = Object.fromEntries(
      Object.entries(await runSession(session, filterFeeds(feeds, outputs))).map(([k, v]) => [k, v.data]),
    );
    await session.release();
    ctx.log(`float64 graph evaluated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const get = (name: string) => all[name] as Float64Array;

    // ---- Lipschitz constants from the normalised weights ----
    const lip = Array.from({ length: B }, (_, b) =>
      [0, 1, 2].reduce((acc, l) => {
        const dims = [2, c.hidden[0], c.hidden[1], 2];
        return acc * singularValues(matrix(dims[l]!, dims[l + 1]!, get(`weff${b}_${l}`)))[0]!;
      }, 1));
    /** d·Σ_{k>n} L^k/k. */
    const tail = (L: number, n: number) => {
      let s = -Math.log1p(-L);
      for (let k = 1; k <= n; k++) s -= L ** k / k;
      return 2 * Math.max(s, 0);
    };

    // ---- the estimator ----
    const rows = [];
    let worstTruncation = 0, worstZ = 0, worstExcess = 0;
    const exactTotal = new Float64Array(P);
    for (let b = 0; b < B; b++) get(`exact${b}`).forEach((v, i) => exactTotal[i]! += v);
    const traceSum = Array.from({ length: B }, () => new Float64Array(P));
    const hutchSum = Array.from({ length: B }, () => new Float64Array(P * S));
    for (let n = 1; n <= N; n++) {
      const trace = new Float64Array(P), hutch = new Float64Array(P * S);
      let bound = 0;
      for (let b = 0; b < B; b++) {
        const tb = get(`trace${b}_${n - 1}`), hb = get(`hutch${b}_${n - 1}`), eb = get(`exact${b}`);
        const bb = tail(lip[b]!, n);
        bound += bb;
        for (let i = 0; i < P; i++) {
          traceSum[b]![i]! += tb[i]!;
          trace[i]! += traceSum[b]![i]!;
          const r = Math.abs(traceSum[b]![i]! - eb[i]!) / bb;
          worstTruncation = Math.max(worstTruncation, Number.isNaN(r) ? Infinity : r);
        }
        for (let j = 0; j < P * S; j++) {
          hutchSum[b]![j]! += hb[j]!;
          hutch[j]! += hutchSum[b]![j]!;
        }
      }
      let bias = 0, resid = 0, resid2 = 0, variance = 0, truncation = 0, truncationAbs = 0;
      for (let i = 0; i < P; i++) {
        let mean = 0;
        for (let s = 0; s < S; s++) mean += hutch[i * S + s]! / S;
        let v = 0;
        for (let s = 0; s < S; s++) {
          const e = hutch[i * S + s]!;
          v += (e - mean) ** 2 / (S - 1);
          bias += (e - exactTotal[i]!) / (P * S);
          resid += (e - trace[i]!) / (P * S);
          resid2 += (e - trace[i]!) ** 2 / (P * S);
        }
        variance += v / P;
        truncation += (trace[i]! - exactTotal[i]!) / P;
        truncationAbs += Math.abs(trace[i]! - exactTotal[i]!) / P;
      }
      const residSe = Math.sqrt(Math.max(resid2 - resid * resid, 0) / (P * S - 1));
      worstZ = Math.max(worstZ, Math.abs(resid) / residSe);
      worstExcess = Math.max(worstExcess, Math.max(0, Math.abs(bias) - bound) / residSe);
      rows.push({ n, bias, biasSe: residSe, sd: Math.sqrt(variance), truncation, truncationAbs, bound });
    }

    // ---- the inverse ----
    let worstInverse = 0, worstFinal = 0;
    const curves: { block: number; ratio: number[]; bound: number[] }[] = [];
    for (let b = 0; b < B; b++) {
      const L = lip[b]!;
      const step1 = get(`step1_${b}`);
      const ratio: number[] = [], bound: number[] = [];
      for (let k = 1; k <= K; k++) {
        const err = get(`inv${b}_${k - 1}`);
        let worst = 0;
        for (let i = 0; i < P; i++) {
          const limit = (L ** k / (1 - L)) * step1[i]!;
          if (limit > 0) worstInverse = Math.max(worstInverse, err[i]! / limit);
          worst = Math.max(worst, step1[i]! > 0 ? err[i]! / step1[i]! : 0);
          if (k === K) worstFinal = Math.max(worstFinal, err[i]!);
        }
        ratio.push(worst);
        bound.push(L ** k / (1 - L));
      }
      curves.push({ block: b, ratio, bound });
    }
    const roundtrip = Math.max(...get("roundtrip"));

    const metrics: Record<string, number> = {
      truncation_bound_ratio: worstTruncation,
      hutchinson_z: worstZ,
      bias_excess_z: worstExcess,
      inverse_bound_ratio: worstInverse,
      inverse_error_final: worstFinal,
      roundtrip_error: roundtrip,
      lip_max: Math.max(...lip),
      lip_mean: lip.reduce((a, b) => a + b, 0) / B,
    };
    for (const r of rows) {
      metrics[`bias_n${r.n}`] = r.bias;
      metrics[`bias_se_n${r.n}`] = r.biasSe;
      metrics[`sd_n${r.n}`] = r.sd;
      metrics[`truncation_n${r.n}`] = r.truncation;
      metrics[`truncation_abs_n${r.n}`] = r.truncationAbs;
      metrics[`bound_n${r.n}`] = r.bound;
    }
    ctx.metrics(0, metrics);
    await Deno.writeTextFile(`${ctx.outDir}/study.json`, JSON.stringify({ lip, rows, curves, metrics }));

    const top = curves[lip.indexOf(Math.max(...lip))]!;
    const ks = Array.from({ length: K }, (_, i) => i + 1);
    const ns = rows.map((r) => r.n);
    await writeReportSections(ctx.outDir, [{
      title: "The log-determinant estimator and the fixed-point inverse",
      fragments: [
        {
          kind: "prose",
          text:
            `On ${P} test points, in float64 with the trained weights as the density export normalises them ` +
            `(measured Lip(g) ≤ Π‖Ŵ‖₂ between ${Math.min(...lip).toFixed(3)} and ${
              Math.max(...lip).toFixed(3)
            } over the ` +
            `${B} blocks; c³ = ${
              (c.coeff ** 3).toFixed(3)
            }, which Π‖Ŵ‖₂ may exceed a little since power iteration's σ̂ is a lower bound of ‖W‖₂). ` +
            `Each block's log-determinant is computed exactly from its ` +
            `2×2 Jacobian, by the n-term series with exact traces (the truncation alone), and by Hutchinson's ` +
            `estimator with ${S} probes per point, for n = 1 … ${N}. The bound is the paper's Theorem 3: ` +
            "|T(n) − ln det(I + J_g)| ≤ −d·(ln(1 − Lip) + Σ_{k≤n} Lip^k/k) = d·Σ_{k>n} Lip^k/k with d = 2, " +
            "summed over the blocks. Hutchinson's vᵀJᵏv is unbiased for Tr(Jᵏ), so the estimator's bias against " +
            "the exact log-det is the truncation, and shrinks as the bound does.",
        },
        {
          kind: "line",
          series: [
            { name: "|bias| measured (Hutchinson − exact)", x: ns, y: rows.map((r) => Math.abs(r.bias)) },
            { name: "its s.e.", x: ns, y: rows.map((r) => r.biasSe) },
            { name: "mean |truncation| (exact traces)", x: ns, y: rows.map((r) => r.truncationAbs) },
            { name: "bound d·Σ_{k>n} Lip^k/k", x: ns, y: rows.map((r) => r.bound) },
            { name: "s.d. of the estimate", x: ns, y: rows.map((r) => r.sd) },
          ],
          options: {
            title: "Log-det estimator: bias, spread and the bound against series terms",
            subtitle: `total over ${B} blocks, mean over ${P} test points`,
            xLabel: "series terms n",
            yLabel: "nats",
            logY: true,
          },
        },
        {
          kind: "table",
          caption:
            "Per n: the estimator's mean bias against the exact log-det (± s.e. of its difference to the " +
            "exact-trace series), its standard deviation over probes, the mean truncation of the exact-trace " +
            "series, and the bound (totals over blocks).",
          rows: rows.map((r) => ({
            n: r.n,
            bias: r.bias,
            "s.e.": r.biasSe,
            "s.d.": r.sd,
            truncation: r.truncation,
            "|truncation|": r.truncationAbs,
            bound: r.bound,
          })),
          columns: [
            "n",
            { key: "bias", significant: 3 },
            { key: "s.e.", significant: 2 },
            { key: "s.d.", significant: 3 },
            { key: "truncation", significant: 3 },
            { key: "|truncation|", significant: 3 },
            { key: "bound", significant: 3 },
          ],
        },
        {
          kind: "line",
          series: [
            { name: "worst ‖x_k − x‖/‖x₁ − x₀‖", x: ks, y: top.ratio },
            { name: "Lip^k/(1 − Lip)", x: ks, y: top.bound },
          ],
          options: {
            title: `Fixed-point inverse of block ${top.block} (the largest Lip, ${
              lip[top.block]!.toFixed(3)
            })`,
            subtitle: "error after k iterations x_{k+1} = y − g(x_k), relative to the first step",
            xLabel: "iterations k",
            yLabel: "relative error",
            logY: true,
          },
        },
        {
          kind: "facts",
          facts: {
            "worst error / bound (inverse, all blocks, points, k)": metrics.inverse_bound_ratio!.toPrecision(
              3,
            ),
            [`worst ‖x_k − x‖ at k = ${K}`]: metrics.inverse_error_final!.toExponential(2),
            [`round trip through the sampler's inverse (${c.inverseIterations} iterations per block)`]:
              roundtrip
                .toExponential(2),
            "worst |truncation| / bound (all blocks, points, n)": worstTruncation.toPrecision(3),
            "worst |Hutchinson − exact-trace series| in s.e.": worstZ.toFixed(2),
            "worst excess of the measured |bias| over the bound, in s.e.": worstExcess.toFixed(2),
          },
        },
      ],
    }]);
  },
});

/** The feeds that are inputs of the graph of `outputs` (the evaluator refuses others). */
function filterFeeds(
  feeds: Record<string, Float64Array>,
  outputs: Record<string, import("../../models/onnx/graph.ts").Tensor>,
): Record<string, Float64Array> {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const stack = Object.values(outputs);
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.op.name === "Input") names.add(t.attrs.name as string);
    stack.push(...t.inputs);
  }
  return Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k)));
}
