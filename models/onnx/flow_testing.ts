/**
 * The check every flow layer is held to (flow_layers_test.ts, flow_iresnet_test.ts): on a small input
 * with random parameters,
 *
 * - inverse(forward(x)) = x, in float64 to ~1e-10 and in float32 to float32 precision;
 * - the log-determinant the layer reports equals log |det J| of its Jacobian, where J is computed by
 *   reverse-mode autodiff of the forward map (one vector-Jacobian product per output coordinate, all
 *   samples at once since a flow acts on each sample alone) and its log |det| by LU on the host, in
 *   float64;
 * - the gradients of a loss through forward, log-determinant and inverse, with respect to the input
 *   and every parameter, equal central finite differences in float64 ({@link checkLayerGradients}).
 *
 * @module
 */
import { slogdet } from "../../numerics/lu.ts";
import { matrix } from "../../numerics/matrix.ts";
import { grad } from "./autodiff.ts";
import type { FloatDType } from "./dtype.ts";
import type { Bijection, FlowContext } from "./flow_layers.ts";
import { constant, input, type Tensor } from "./graph.ts";
import { Rng } from "./init.ts";
import { add, cos, mul, sin } from "./ops_elementwise.ts";
import { reduceSum } from "./ops_reduce.ts";
import { reshape } from "./ops_shape.ts";
import { ParamInputs } from "./params.ts";
import { checkGradients, evaluate } from "./testing.ts";

/** What a check measured. */
export interface BijectionCheck {
  /** max |x − inverse(forward(x))| / (1 + max |x|), float64 and float32. */
  inverseError64: number;
  inverseError32: number;
  /** max over samples of |logdet − log|det J|| / (1 + |log|det J||). */
  logdetError: number;
  /** The log-determinants of the samples (float64), to assert they are not all zero when they should not be. */
  logdets: number[];
  /** Parameter values used (float64), by name. */
  params: Record<string, Float64Array>;
}

/** Options of {@link checkBijection}. */
export interface CheckOptions {
  /** Input shape, batch first. */
  shape: number[];
  /** Std of the random parameter values (default 0.3); the input is N(0, 1)·`inputScale`. */
  paramScale?: number;
  inputScale?: number;
  seed?: number;
  /** Parameter values to use instead of random ones (the rest stay random). */
  values?: Record<string, number[]>;
  /** The context beyond the parameters (e.g. data-dependent init), given the ParamSource. */
  context?: (ps: ParamInputs) => FlowContext;
}

function build(layer: Bijection, dtype: FloatDType, o: CheckOptions, jacobian: boolean) {
  const ps = new ParamInputs(dtype);
  const fc = o.context ? o.context(ps) : { ps };
  const x = input("x", dtype, o.shape);
  const { y, logdet } = layer.forward(fc, x);
  const xr = layer.inverse(fc, y);
  if (y.size !== x.size) throw new Error(`${layer.name}: forward changes the size (${x} → ${y})`);
  const outputs: Record<string, Tensor> = { y, logdet, xr };
  if (jacobian) {
    const n = o.shape[0]!;
    const d = x.size / n;
    for (let i = 0; i < d; i++) {
      const e = new Float64Array(x.size);
      for (let s = 0; s < n; s++) e[s * d + i] = 1;
      const seed = reshape(constant(e, "float64", [x.size]), y.shape);
      outputs[`row${i}`] = grad(y, [x], seed)[0]!;
    }
  }
  return { ps, outputs };
}

/** Runs the checks on `layer` (see the module doc) and returns what they measured. */
export async function checkBijection(layer: Bijection, o: CheckOptions): Promise<BijectionCheck> {
  const rng = new Rng(o.seed ?? 0, layer.name);
  const n = o.shape[0]!;
  const size = o.shape.reduce((a, b) => a * b, 1);
  const d = size / n;
  const x64 = Float64Array.from({ length: size }, () => (o.inputScale ?? 1) * rng.normal());

  const f64 = build(layer, "float64", o, true);
  const params: Record<string, Float64Array> = {};
  for (const spec of f64.ps.specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const given = o.values?.[spec.name];
    params[spec.name] = given
      ? Float64Array.from(given)
      : Float64Array.from({ length: count }, () => (o.paramScale ?? 0.3) * rng.normal());
  }
  const out = await evaluate(f64.outputs, { x: x64, ...params });
  const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = 1 + maxAbs(x64);
  const inverseError = (xr: ArrayLike<number>, x: ArrayLike<number>) => {
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const e = Math.abs(xr[i]! - x[i]!);
      worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
    }
    return worst / scale;
  };
  const logdets = Array.from(out.logdet as Float64Array);
  let logdetError = 0;
  for (let s = 0; s < n; s++) {
    const j = matrix(d, d);
    for (let i = 0; i < d; i++) {
      const row = out[`row${i}`] as Float64Array;
      for (let k = 0; k < d; k++) j.data[i * d + k] = row[s * d + k]!;
    }
    const exact = slogdet(j).logAbsDet;
    const err = Math.abs(logdets[s]! - exact) / (1 + Math.abs(exact));
    logdetError = Number.isNaN(err) ? Infinity : Math.max(logdetError, err);
  }

  const f32 = build(layer, "float32", o, false);
  const params32 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
  const x32 = Float32Array.from(x64);
  const out32 = await evaluate(f32.outputs, { x: x32, ...params32 });
  return {
    inverseError64: inverseError(out.xr as Float64Array, x64),
    inverseError32: inverseError(out32.xr as Float32Array, x32),
    logdetError,
    logdets,
    params,
  };
}

/**
 * Checks the gradients of a layer against central finite differences in float64 (testing.ts
 * `checkGradients`), with respect to its input and every parameter, through a loss that reads the
 * output, the log-determinant and the inverse map (applied to an independent input, so that the
 * inverse's own parameter gradients are checked, not those of the identity inverse∘forward):
 * Σ w ⊙ sin(y) + ½ Σ logdet + Σ cos(inverse(x′)).
 */
export async function checkLayerGradients(
  layer: Bijection,
  o: { shape: number[]; paramScale?: number; seed?: number },
): Promise<void> {
  const probe = new ParamInputs("float64");
  const x0 = input("x", "float64", o.shape);
  const r0 = layer.forward({ ps: probe }, x0);
  layer.inverse({ ps: probe }, r0.y);
  const inputs: Record<string, { shape: number[]; scale?: number }> = {
    x: { shape: o.shape },
    x2: { shape: [...r0.y.shape] },
    w: { shape: [...r0.y.shape] },
  };
  for (const spec of probe.specs) inputs[spec.name] = { shape: [...spec.shape], scale: o.paramScale ?? 0.3 };
  await checkGradients(`${layer.name}-grad`, inputs, (xs) => {
    const ps = new ParamInputs("float64");
    const { y, logdet } = layer.forward({ ps }, xs.x!);
    const back = layer.inverse({ ps }, xs.x2!);
    return add(add(reduceSum(mul(sin(y), xs.w!)), mul(reduceSum(logdet), 0.5)), reduceSum(cos(back)));
  }, { seed: o.seed ?? 3 });
}
