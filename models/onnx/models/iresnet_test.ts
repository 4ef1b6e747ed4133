/**
 * The i-ResNet (iresnet.ts): the training loss's gradient through the second-order log-determinant
 * series against float64 finite differences; the series with many terms against the exact 2×2
 * log |det(I + J_g)| of the autodiff Jacobian; Hutchinson's estimator unbiased for the truncated
 * series; the fixed-point inverse; the carried power-iteration vectors converging to ‖W‖₂.
 */
import assert from "node:assert/strict";
import { singularValues } from "../../../numerics/svd.ts";
import { matrix } from "../../../numerics/matrix.ts";
import type { FlowCarry } from "../flow_layers.ts";
import { checkBijection } from "../flow_testing.ts";
import { constant, input, type Tensor } from "../graph.ts";
import { Rng } from "../init.ts";
import { add, mul, sin } from "../ops_elementwise.ts";
import { reduceSum } from "../ops_reduce.ts";
import { ParamInputs } from "../params.ts";
import { TrainRunner } from "../runner.ts";
import { checkGradients, evaluate } from "../testing.ts";
import {
  exactLogdet2d,
  IRESNET_TOY,
  iresnetBlock,
  type IResNetConfig,
  type IResNetContext,
  iresnetFlow,
  iresnetLogProb,
  iresnetParameterCount,
  iresnetStep,
  powerSeriesLogdet,
  residual,
} from "./iresnet.ts";

const TINY: IResNetConfig = {
  ...IRESNET_TOY,
  blocks: 1,
  hidden: [3, 3],
  seriesTerms: 3,
  powerIterations: 0,
  exportPowerIterations: 40,
};

/** Carried state as constants: what a train step's carry gives, without updates (0 power iterations). */
function fixedCarry(values: Record<string, number[]>): FlowCarry {
  return {
    carry: (name, shape) =>
      constant(values[name] ?? new Array<number>(shape[0]!).fill(1 / Math.sqrt(shape[0]!)), "float64", shape),
    setCarry: () => {},
  };
}

Deno.test("the training loss's gradient (through the vᵀJᵏv series: second order) equals float64 finite differences", async () => {
  // Weights of scale 1 on 3 units have ‖W‖₂ > c, so the normalisation W·c/σ̂ is active, with σ̂ = ‖W u‖.
  const ps0 = new ParamInputs("float64");
  iresnetFlow(TINY).forward(
    { ps: ps0, state: fixedCarry({}), logdet: { kind: "exact" } } as IResNetContext,
    input("x", "float64", [4, 2]),
  );
  const inputs: Record<string, { shape: number[]; scale?: number }> = {
    x: { shape: [4, 2] },
    v: { shape: [4, 2] },
  };
  for (const s of ps0.specs) inputs[s.name] = { shape: [...s.shape], scale: s.name.endsWith("/W") ? 1 : 0.3 };
  const r = await checkGradients("iresnet-loss", inputs, (xs) => {
    const ps = new ParamInputs("float64");
    const fc: IResNetContext = {
      ps,
      state: fixedCarry({}),
      logdet: { kind: "series", terms: TINY.seriesTerms, probes: () => xs.v! },
    };
    const logq = iresnetLogProb(fc, xs.x!, TINY);
    return add(reduceSum(logq), reduceSum(sin(logq))); // a loss that is not linear in log q
  }, { rtol: 1e-5 });
  assert.ok(r.checked > 30, `${r.checked} entries checked`);
});

Deno.test("the log-det series with 60 terms (exact traces) equals log |det(I + J_g)| of the autodiff Jacobian; the inverse converges", async () => {
  const c: IResNetConfig = { ...TINY, hidden: [8, 8] };
  const exact = await checkBijection(iresnetBlock("block", 0, c), {
    shape: [5, 2],
    paramScale: 0.5,
    context: (ps) => ({ ps, logdet: { kind: "exact" } }) as IResNetContext,
  });
  assert.ok(exact.logdetError < 1e-10, `exact 2×2: ${exact.logdetError}`);
  assert.ok(exact.inverseError64 < 1e-10 && exact.inverseError32 < 2e-5, JSON.stringify(exact));
  assert.ok(exact.logdets.some((v) => Math.abs(v) > 0.05), `non-trivial log-dets ${exact.logdets}`);
  // Lip(g) ≤ c³ = 0.729: the truncation error after 60 terms is ≤ 2·Σ_{k>60} 0.729^k/k < 1e-9.
  const series = await checkBijection(iresnetBlock("block", 0, c), {
    shape: [5, 2],
    paramScale: 0.5,
    context: (ps) => ({ ps, logdet: { kind: "series", terms: 60, probes: "trace" } }) as IResNetContext,
  });
  assert.ok(series.logdetError < 1e-8, `60-term series: ${series.logdetError}`);
  // With 2 terms it is visibly off, so the check above can fail.
  const short = await checkBijection(iresnetBlock("block", 0, c), {
    shape: [5, 2],
    paramScale: 0.5,
    context: (ps) => ({ ps, logdet: { kind: "series", terms: 2, probes: "trace" } }) as IResNetContext,
  });
  assert.ok(short.logdetError > 1e-5, `2-term series: ${short.logdetError}`);
});

Deno.test("Hutchinson's vᵀJᵏv series is unbiased for the truncated trace series (mean of 20,000 probes within 4 s.e.)", async () => {
  const c: IResNetConfig = { ...TINY, hidden: [8, 8] };
  const n = 20_000;
  const rng = new Rng(5, "hutchinson");
  const ps = new ParamInputs("float64");
  const x = input("x", "float64", [n, 2]);
  const v = input("v", "float64", [n, 2]);
  const gx = residual({ ps }, x, c);
  const outs: Record<string, Tensor> = {
    hutchinson: powerSeriesLogdet(gx, x, v, 4),
    trace: add(powerSeriesLogdet(gx, x, unitBatch(n, 0), 4), powerSeriesLogdet(gx, x, unitBatch(n, 1), 4)),
    exact: exactLogdet2d(gx, x),
  };
  const point = [0.3, -0.7];
  const feeds: Record<string, Float64Array> = {
    x: Float64Array.from({ length: 2 * n }, (_, i) => point[i % 2]!),
    v: Float64Array.from({ length: 2 * n }, () => rng.normal()),
  };
  // The last bias does not reach the Jacobian, so it is no input of these outputs.
  for (const s of ps.specs.filter((s) => !s.name.endsWith("fc3/b"))) {
    feeds[s.name] = Float64Array.from(
      { length: s.shape.reduce((a, b) => a * b, 1) },
      () => 2 * rng.normal(),
    );
  }
  const out = await evaluate(outs, feeds);
  const h = out.hutchinson as Float64Array;
  const mean = h.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(h.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const trace = (out.trace as Float64Array)[0]!;
  assert.ok(
    Math.abs(mean - trace) < 4 * sd / Math.sqrt(n),
    `mean ${mean} vs trace series ${trace} (sd ${sd})`,
  );
  assert.ok(sd > 1e-3, "the probes do vary the estimate");
  // Four terms leave a truncation error, within the bound d·Σ_{k>4} Lip^k/k, Lip ≤ c³.
  const lip = c.coeff ** 3;
  let bound = 0;
  for (let k = 5; k < 400; k++) bound += (2 * lip ** k) / k;
  const truncation = Math.abs(trace - (out.exact as Float64Array)[0]!);
  assert.ok(truncation > 0 && truncation <= bound, `|truncation| ${truncation}, bound ${bound}`);
});

function unitBatch(n: number, i: number): Tensor {
  const e = [0, 0];
  e[i] = 1;
  return mul(constant(e, "float64", [1, 2]), constant(new Array<number>(n * 2).fill(1), "float64", [n, 2]));
}

Deno.test("the train step carries the power-iteration vectors: σ̂ converges to ‖W‖₂ and the loss is finite", async () => {
  const c: IResNetConfig = { ...IRESNET_TOY, blocks: 2, hidden: [16, 16] };
  const step = iresnetStep(c, { batch: 32, lr: 1e-3 });
  assert.equal(
    step.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
    iresnetParameterCount(c),
  );
  const runner = await TrainRunner.create(step, { seed: 0 });
  const rng = new Rng(1, "batch");
  const x = Float32Array.from({ length: 64 }, () => rng.normal());
  const first = await runner.step({ x }, { lr: 0 });
  assert.ok(Number.isFinite(first.nll!), `nll ${first.nll}`);
  for (let i = 0; i < 40; i++) await runner.step({ x }, { lr: 0 });
  const state = runner.state();
  const name = "iresnet/block0/g/fc2";
  const w = state[`${name}/W`]!;
  const u = state[`sn/${name}/u`]!;
  const wm = matrix(16, 16, Float64Array.from(w));
  const sigma = singularValues(wm)[0]!;
  let s2 = 0;
  for (let i = 0; i < 16; i++) {
    let r = 0;
    for (let j = 0; j < 16; j++) r += w[i * 16 + j]! * u[j]!;
    s2 += r * r;
  }
  assert.ok(Math.abs(Math.sqrt(s2) - sigma) < 1e-4 * sigma, `σ̂ ${Math.sqrt(s2)} vs σ ${sigma}`);
  await runner.release();
});

Deno.test("the series density export for records of any size: finite, and on 2-D records within the bound of the exact one", async () => {
  const { createSession, runSession } = await import("../session.ts");
  const { iresnetDensityModel, iresnetSeriesDensityModel } = await import("./iresnet.ts");
  const c: IResNetConfig = { ...IRESNET_TOY, blocks: 2, hidden: [8, 8] };
  const ps = new ParamInputs();
  iresnetFlow(c).forward({ ps, logdet: { kind: "exact" } } as IResNetContext, input("x", "float32", [1, 2]));
  const rng = new Rng(2, "series-export");
  const weights = Object.fromEntries(
    ps.specs.map((
      s,
    ) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal())]),
  );
  const x = Float32Array.from({ length: 16 }, () => rng.normal());
  const run = async (bytes: Uint8Array) => {
    const session = await createSession(bytes);
    const out = (await runSession(session, { ...weights, x })).log_prob!.data as Float32Array;
    await session.release();
    return out;
  };
  const exact = await run(iresnetDensityModel(c, 8));
  const series = await run(iresnetSeriesDensityModel(c, 8, { terms: 10, probes: 256 }));
  // 256 probes of a 2×2 trace: the estimate's spread is ≈ 0.1·|J|/16; the truncation after 10 terms < 1e-2.
  for (let i = 0; i < 8; i++) {
    assert.ok(Math.abs(series[i]! - exact[i]!) < 0.05, `${series[i]} vs ${exact[i]}`);
  }
  // An MNIST-size model builds and runs (scale=full's config, at a tiny width).
  const big: IResNetConfig = { ...c, dim: 784, hidden: [4, 4] };
  const bytes = iresnetSeriesDensityModel(big, 2, { terms: 2, probes: 1 });
  const session = await createSession(bytes);
  const psBig = new ParamInputs();
  const probe = input("v", "float32", [1, 784]);
  iresnetFlow(big).forward(
    { ps: psBig, logdet: { kind: "series", terms: 1, probes: () => probe } } as IResNetContext,
    input("x", "float32", [1, 784]),
  );
  const feeds = Object.fromEntries(
    psBig.specs.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.01)]),
  );
  const lp = (await runSession(session, { ...feeds, x: new Float32Array(2 * 784).fill(0.5) })).log_prob!.data;
  assert.ok(Number.isFinite(lp[0]) && Number.isFinite(lp[1]), `${lp}`);
  await session.release();
});
