/**
 * `eval.likelihood` on densities with known answers: hand-built density exports (a Gaussian, a uniform
 * box, an importance-weighted model whose weights average to the density, an 8-Gaussian mixture) with
 * snapshots written as `train.run` would, on data whose density is known.
 */
import assert from "node:assert/strict";
import { runStageForTest } from "../../engine/testing.ts";
import { exportModel } from "../../models/onnx/export.ts";
import { scope, type Tensor } from "../../models/onnx/graph.ts";
import { inits } from "../../models/onnx/init.ts";
import { add, exp, mul, neg, square, sub } from "../../models/onnx/ops_elementwise.ts";
import { logsumexp, reduceSum } from "../../models/onnx/ops_reduce.ts";
import { reshape } from "../../models/onnx/ops_shape.ts";
import { encodeSafetensors, stateToTensors } from "../../models/onnx/safetensors.ts";
import type { ParamSource } from "../../models/onnx/params.ts";
import { mixSeed, Rng } from "../data/random.ts";
import { writeShards } from "../data/shard_writer.ts";
import { synthetic1dStage } from "../data/sources/synthetic_1d.ts";
import { toy2dStage } from "../data/sources/toy_2d.ts";
import { readReportSections } from "../report/fragments.ts";
import { likelihood, type LikelihoodResult } from "./likelihood.ts";
import type { DensityExport } from "./likelihood_export.ts";

/** Temp folders of the running test, removed when it ends. */
const temps: string[] = [];
const temp = async () => {
  const dir = await Deno.makeTempDir({ prefix: "likelihood-test-" });
  temps.push(dir);
  return dir;
};
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test(name, async () => {
    try {
      await fn();
    } finally {
      for (const dir of temps.splice(0)) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });

/** A `train.run`-like output: the export, its description and one snapshot per entry of `snapshots`. */
async function trainedFolder(
  model: Uint8Array,
  info: Omit<DensityExport, "role">,
  snapshots: Record<number, Record<string, Float32Array>>,
): Promise<string> {
  const dir = await temp();
  await Deno.writeFile(`${dir}/export.onnx`, model);
  await Deno.writeTextFile(`${dir}/export.json`, JSON.stringify({ role: "density", ...info }));
  await Deno.mkdir(`${dir}/snapshots`);
  for (const [step, weights] of Object.entries(snapshots)) {
    await Deno.writeFile(
      `${dir}/snapshots/step-${step.padStart(6, "0")}.safetensors`,
      encodeSafetensors(stateToTensors(weights)),
    );
  }
  return dir;
}

/** log N(x; mean, exp(logstd)²) summed over the D values of a record: [B, D] → [B]. */
function gaussianLogDensity(ps: ParamSource, x: Tensor): Tensor {
  return scope("/gauss", () => {
    const d = x.shape[1]!;
    const mean = ps.param("mean", [d], inits.zeros());
    const logstd = ps.param("logstd", [d], inits.zeros());
    const z = mul(sub(x, mean), exp(neg(logstd)));
    const perDim = sub(mul(square(z), -0.5), add(logstd, 0.5 * Math.log(2 * Math.PI)));
    return reduceSum(perDim, [1]);
  });
}

const gaussianModel = (batch: number, d: number) =>
  exportModel({
    name: "gaussian",
    inputs: { x: { dtype: "float32", shape: [batch, d] } },
    build: (ps, { x }) => ({ log_prob: gaussianLogDensity(ps, x!) }),
  }).bytes;

const gaussianWeights = (mean: number[], std: number[]) => ({
  "gauss/mean": Float32Array.from(mean),
  "gauss/logstd": Float32Array.from(std, Math.log),
});

async function run(params: Record<string, unknown>, trained: string, data: string) {
  const r = await runStageForTest(likelihood, { params, inputs: { trained, data } });
  temps.push(r.outDir);
  const result: LikelihoodResult = JSON.parse(await Deno.readTextFile(`${r.outDir}/likelihood.json`));
  const metric = (name: string) => r.metrics.filter((m) => m.name === name).at(-1)?.value;
  return { result, metric, outDir: r.outDir, logs: r.logs };
}

test("a Gaussian's NLL is its entropy within sampling error; KL by quadrature is δ²/2σ² exactly", async () => {
  // One component: a Gaussian N(loc, scale²) whose parameters the manifest records.
  const data = await runStageForTest(synthetic1dStage, {
    params: { components: 1, trainSize: 10, testSize: 20_000, mixtureSeed: 3 },
  });
  temps.push(data.outDir);
  const manifest = JSON.parse(await Deno.readTextFile(`${data.outDir}/manifest.json`));
  const { locs: [loc], scales: [scale] } = manifest.source.distribution;
  const delta = 0.3 * scale;
  const trained = await trainedFolder(
    gaussianModel(1000, 1),
    { input: "x", inputShape: [1000, 1], output: "log_prob", paramPrefix: "gauss/" },
    { 0: gaussianWeights([loc + delta], [scale]), 100: gaussianWeights([loc], [scale]) },
  );
  const { metric, result } = await run({ splits: ["test"], intervals: 4096 }, trained, data.outDir);
  const entropy = 0.5 * Math.log(2 * Math.PI * Math.E * scale * scale);
  assert.equal(metric("selected_step"), 100, "the last snapshot, with select: null");
  assert.ok(Math.abs(metric("entropy")! - entropy) < 1e-9, `entropy ${metric("entropy")} vs ${entropy}`);
  // The model computes in float32: its log-density carries ~1e-7 relative rounding, the floor of KL.
  assert.ok(Math.abs(metric("kl")!) < 1e-7, `KL of the exact model ${metric("kl")}`);
  const se = metric("test_nll_se")!;
  assert.ok(se > 0 && Math.abs(metric("test_nll")! - entropy) < 4 * se, `NLL ${metric("test_nll")} ± ${se}`);
  assert.equal(result.rows[0]!.bpd, null, "continuous data has no bits per dimension");
  // The shifted snapshot: KL = δ²/(2σ²) = 0.045, and its NLL is higher by about that much.
  const shifted = await trainedFolder(
    gaussianModel(1000, 1),
    { input: "x", inputShape: [1000, 1], output: "log_prob", paramPrefix: "gauss/" },
    { 7: gaussianWeights([loc + delta], [scale]) },
  );
  const off = await run({ splits: ["test"], intervals: 4096 }, shifted, data.outDir);
  assert.ok(Math.abs(off.metric("kl")! - 0.045) < 1e-7, `KL ${off.metric("kl")}`);
  assert.ok(Math.abs(off.metric("cross_entropy")! - entropy - 0.045) < 1e-7);
  assert.equal(off.metric("modes_model"), 1);
});

test("the snapshot is picked by the lowest NLL on the selection split, and never on the test split", async () => {
  const data = await runStageForTest(synthetic1dStage, {
    params: { components: 1, trainSize: 3000, testSize: 3000, mixtureSeed: 3 },
  });
  temps.push(data.outDir);
  const { locs: [loc], scales: [scale] } =
    JSON.parse(await Deno.readTextFile(`${data.outDir}/manifest.json`)).source.distribution;
  const info = { input: "x", inputShape: [500, 1], output: "log_prob", paramPrefix: "gauss/" };
  const trained = await trainedFolder(gaussianModel(500, 1), info, {
    0: gaussianWeights([loc + 3 * scale], [scale]),
    10: gaussianWeights([loc], [scale]),
    20: gaussianWeights([loc + scale], [2 * scale]),
  });
  const picked = await run({ splits: ["train", "test"], select: "train" }, trained, data.outDir);
  assert.equal(picked.metric("selected_step"), 10);
  assert.equal(picked.result.rows.length, 6, "3 snapshots × 2 splits, every record");
  assert.ok(
    picked.metric("train_nll")! < picked.result.rows.find((r) => r.step === 20 && r.split === "train")!.nll,
  );
  await assert.rejects(
    () =>
      runStageForTest(likelihood, {
        params: { splits: ["test"], select: "test" },
        inputs: { trained, data: data.outDir },
      }),
    /Cannot choose the snapshot on the test split/,
  );
});

/** A uint8 dataset of `count` records of `d` random levels (0..levels−1). */
async function levelsDataset(count: number, d: number, levels: number, values?: (i: number) => number) {
  const dir = await temp();
  const rng = new Rng(mixSeed(7, levels));
  const x = Uint8Array.from({ length: count * d }, (_, i) => values ? values(i) : rng.below(levels));
  await writeShards(dir, {
    name: "levels",
    description: "random levels",
    source: { kind: "test.levels", origin: "a test" },
    license: "CC0-1.0",
    params: {},
    features: { x: { dtype: "uint8", shape: [d], description: "levels", levels } },
    input: "x",
    splits: { test: { count, columns: { x }, definition: { method: "generated" } } },
  }, { recordsPerShard: 10_000 });
  return dir;
}

/** The uniform density on [lo, hi]^D: log q = −D·log(hi − lo), whatever the input. */
const uniformModel = (batch: number, d: number, lo: number, hi: number) =>
  exportModel({
    name: "uniform",
    inputs: { x: { dtype: "float32", shape: [batch, d] } },
    build: (ps, { x }) => ({
      log_prob: add(
        mul(reduceSum(x!, [1]), mul(ps.param("u/zero", [1], inits.zeros()), 0)),
        -d * Math.log(hi - lo),
      ),
    }),
  }).bytes;

test("uniform dequantisation: the uniform density on the data's range is 8 bits/dim for 256 levels, on either scale", async () => {
  const data = await levelsDataset(1000, 6, 256);
  for (const [scale, lo, hi] of [["unit", 0, 1], ["symmetric", -1, 1]] as const) {
    const trained = await trainedFolder(
      uniformModel(256, 6, lo, hi),
      { input: "x", inputShape: [256, 6], output: "log_prob", paramPrefix: "u/" },
      { 0: { "u/zero": Float32Array.of(0) } },
    );
    const { metric, result } = await run({ transform: { dequantize: true, scale } }, trained, data);
    // Exact up to the float32 rounding of the model's constant output (~1e-7 relative).
    assert.ok(Math.abs(metric("test_bpd")! - 8) < 1e-6, `${scale}: ${metric("test_bpd")} bits/dim`);
    assert.ok(Math.abs(metric("test_nll")! - 6 * Math.log(256)) < 1e-5);
    assert.equal(result.jacobian.kind, "dequantized");
  }
  // 17 levels (sklearn digits): log2(17) bits per dimension.
  const digits = await levelsDataset(500, 4, 17);
  const trained = await trainedFolder(
    uniformModel(100, 4, 0, 1),
    { input: "x", inputShape: [100, 4], output: "log_prob", paramPrefix: "u/" },
    { 0: { "u/zero": Float32Array.of(0) } },
  );
  const { metric } = await run({ transform: { dequantize: true } }, trained, digits);
  assert.ok(Math.abs(metric("test_bpd")! - Math.log2(17)) < 1e-6);
});

test("a Gaussian's bits/dim under the symmetric dequantised transform equal the closed-form expectation", async () => {
  // Levels of a discretised Gaussian; the model is a Gaussian on x = 2(v + u)/256 − 1 with mean m, std s.
  // E_u[−log q(x)] = ½log(2πs²) + ((c − m)² + a²/12)/(2s²) with c = a(v + ½) − 1, a = 2/256.
  const d = 3, count = 4000, m = 0.1, s = 0.3;
  const rng = new Rng(11);
  const v = Array.from(
    { length: count * d },
    () => Math.min(255, Math.max(0, Math.round(127.5 * (1 + m + s * rng.normal())))),
  );
  const data = await levelsDataset(count, d, 256, (i) => v[i]!);
  const a = 2 / 256;
  let expected = 0;
  for (const level of v) {
    const c = a * (level + 0.5) - 1;
    expected += 0.5 * Math.log(2 * Math.PI * s * s) + ((c - m) ** 2 + (a * a) / 12) / (2 * s * s) -
      Math.log(a);
  }
  expected /= count * d * Math.LN2; // bits per dimension
  const trained = await trainedFolder(
    gaussianModel(500, d),
    { input: "x", inputShape: [500, d], output: "log_prob", paramPrefix: "gauss/" },
    { 0: gaussianWeights([m, m, m], [s, s, s]) },
  );
  const { metric, result } = await run(
    { transform: { dequantize: true, scale: "symmetric" } },
    trained,
    data,
  );
  // Only the dequantisation noise separates the two; the record-level s.e. bounds it from above.
  const se = metric("test_bpd_se")!;
  assert.ok(
    Math.abs(metric("test_bpd")! - expected) < 2 * se,
    `${metric("test_bpd")} vs ${expected} ± ${se}`,
  );
  assert.match(result.jacobian.note, /2\(v \+ u\)\/256 − 1/);
  await assert.rejects(
    () => run({ transform: { addNoise: 1 / 256, scale: "symmetric" } }, trained, data),
    /addNoise .* spans less than one bin/,
  );
  await assert.rejects(() => run({ transform: { scale: "symmetric" } }, trained, data), /dequantize: true/);
});

test("importance-weighted estimates: log-mean-exp over K draws rises from E log w toward log p as K grows", async () => {
  // log w = log N(x; 0, 1) + τε − τ²/2 with ε ~ N(0, 1): E w = p(x), E log w = log p − τ²/2, and the
  // IWAE-K bound's gap falls like (e^{τ²} − 1)/(2K).
  const tau = 0.8, batch = 250, samples = 50;
  const model = exportModel({
    name: "iw",
    inputs: {
      x: { dtype: "float32", shape: [batch, 1] },
      eps: { dtype: "float32", shape: [batch, samples] },
    },
    build: (ps, { x, eps }) => {
      const logp = add(mul(square(x!), -0.5), -0.5 * Math.log(2 * Math.PI)); // [B, 1]
      const noise = add(mul(eps!, tau), -0.5 * tau * tau);
      const zero = mul(ps.param("iw/zero", [1], inits.zeros()), 0);
      return { log_w: add(add(logp, noise), zero) };
    },
  }).bytes;
  const dir = await temp();
  const rng = new Rng(5);
  const x = Float32Array.from({ length: 2000 }, () => rng.normal());
  await writeShards(dir, {
    name: "normal",
    description: "N(0, 1)",
    source: { kind: "test.normal", origin: "a test" },
    license: "CC0-1.0",
    params: {},
    features: { x: { dtype: "float32", shape: [1], description: "x" } },
    input: "x",
    splits: { test: { count: 2000, columns: { x }, definition: { method: "generated" } } },
  }, { recordsPerShard: 10_000 });
  const trained = await trainedFolder(model, {
    input: "x",
    inputShape: [batch, 1],
    output: "log_w",
    paramPrefix: "iw/",
    noise: { input: "eps", shape: [batch, samples], kind: "normal" },
  }, { 0: { "iw/zero": Float32Array.of(0) } });
  let logp = 0;
  for (const v of x) logp += -0.5 * v * v - 0.5 * Math.log(2 * Math.PI);
  logp /= x.length;
  const nll = async (k: number) => (await run({ importance: k }, trained, dir)).metric("test_nll")!;
  const [k50, k1000] = [await nll(50), await nll(1000)];
  const gap = (k: number) => (Math.exp(tau * tau) - 1) / (2 * k);
  // Noise of the estimate: per record sd of log-mean-exp ≈ √((e^{τ²} − 1)/K), averaged over 2000 records.
  const se = (k: number) => Math.sqrt((Math.exp(tau * tau) - 1) / k / 2000);
  assert.ok(
    Math.abs(k50 - (-logp + gap(50))) < 4 * se(50) + gap(50) ** 2 * 4,
    `K=50: ${k50} vs ${-logp + gap(50)}`,
  );
  assert.ok(Math.abs(k1000 - (-logp + gap(1000))) < 4 * se(1000) + 1e-4, `K=1000: ${k1000}`);
  assert.ok(k1000 < k50, "more draws, tighter bound");
  await assert.rejects(() => run({ importance: 75 }, trained, dir), /multiple of the 50 draws/);
});

test("2-D: the exact 8-Gaussian mixture has KL 0 and the target's entropy; a heatmap is drawn", async () => {
  const data = await runStageForTest(toy2dStage, { params: { trainSize: 10, testSize: 5000 } });
  temps.push(data.outDir);
  const dist = JSON.parse(await Deno.readTextFile(`${data.outDir}/manifest.json`)).source.distribution;
  const centers: number[][] = dist.centers;
  const sd = dist.noise / 1.414;
  const batch = 1000;
  const model = exportModel({
    name: "mixture",
    inputs: { x: { dtype: "float32", shape: [batch, 2] } },
    build: (ps, { x }) => {
      const c = ps.param("mix/centers", [8, 2], inits.zeros()); // [8, 2]
      const diff = sub(reshape(x!, [batch, 1, 2]), reshape(c, [1, 8, 2]));
      const logc = add(
        mul(reduceSum(square(diff), [2]), -0.5 / (sd * sd)),
        -Math.log(2 * Math.PI * sd * sd * 8),
      );
      return { log_prob: logsumexp(logc, [1]) };
    },
  }).bytes;
  const trained = await trainedFolder(
    model,
    { input: "x", inputShape: [batch, 2], output: "log_prob", paramPrefix: "mix/" },
    { 0: { "mix/centers": Float32Array.from(centers.flat()) } },
  );
  const { metric, outDir } = await run({ grid: 601 }, trained, data.outDir);
  // Each of 8 well-separated Gaussians: H = log 8 + log(2πe·sd²).
  const entropy = Math.log(8) + Math.log(2 * Math.PI * Math.E * sd * sd);
  assert.ok(Math.abs(metric("entropy")! - entropy) < 1e-3, `entropy ${metric("entropy")} vs ${entropy}`);
  assert.ok(
    Math.abs(metric("kl")!) < 1e-4 + metric("kl_error")!,
    `KL ${metric("kl")} ± ${metric("kl_error")}`,
  );
  const se = metric("test_nll_se")!;
  assert.ok(Math.abs(metric("test_nll")! - entropy) < 4 * se);
  const png = await Deno.readFile(`${outDir}/density.png`);
  assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]); // "PNG"
  const sections = await readReportSections(outDir);
  assert.ok(sections.some((s) => s.fragments.some((f) => f.kind === "image")));
});

test("a further export of the trained output (export), evaluated at the last snapshot only (curve: false)", async () => {
  const data = await runStageForTest(synthetic1dStage, {
    params: { components: 1, trainSize: 10, testSize: 2000, mixtureSeed: 3 },
  });
  temps.push(data.outDir);
  const manifest = JSON.parse(await Deno.readTextFile(`${data.outDir}/manifest.json`));
  const { locs: [loc], scales: [scale] } = manifest.source.distribution;
  // The top-level export names an output the model lacks (reading it would fail); the Gaussian's own
  // description sits in exports/gauss/.
  const info = { input: "x", inputShape: [500, 1], output: "log_prob", paramPrefix: "gauss/" };
  const trained = await trainedFolder(
    gaussianModel(500, 1),
    { ...info, output: "no_such_output" },
    { 0: gaussianWeights([loc + 5 * scale], [scale]), 10: gaussianWeights([loc], [scale]) },
  );
  await Deno.mkdir(`${trained}/exports/gauss`, { recursive: true });
  await Deno.writeFile(`${trained}/exports/gauss/export.onnx`, gaussianModel(250, 1));
  await Deno.writeTextFile(
    `${trained}/exports/gauss/export.json`,
    JSON.stringify({ role: "density", ...info, inputShape: [250, 1] }),
  );
  const all = await run({ export: "gauss", intervals: 4096 }, trained, data.outDir);
  const last = await run({ export: "gauss", intervals: 4096, curve: false }, trained, data.outDir);
  assert.deepEqual(all.result.rows.map((r) => r.step), [0, 10]);
  assert.deepEqual(last.result.rows.map((r) => r.step), [10], "only the last snapshot");
  assert.equal(last.metric("test_nll"), all.metric("test_nll"), "the same number for the reported snapshot");
  await assert.rejects(
    () => run({ curve: false, select: "train", splits: ["train", "test"] }, trained, data.outDir),
    /curve: false evaluates the last snapshot only, so select must be null/,
  );
  await assert.rejects(
    () => run({ export: "missing" }, trained, data.outDir),
    /exports\/missing\) has no readable export\.json/,
  );
});
