/**
 * In-graph counter-based random numbers, reproducible from (seed, step): the noise of a train step is
 * a pure function of the graph inputs, so a checkpoint resumes with the same noise and fused Scan steps
 * draw fresh noise per iteration. ORT's RandomNormal is never used: its hidden state cannot be
 * checkpointed (onnx-training.md §5).
 *
 * Generator: Widynski's "Squares" (arXiv:2004.06278), `squares32(counter, key)`, four rounds of
 * square-add-swap on uint64 — only Mul, Add and BitShift, which opset 17 has for uint64 (the xor-based
 * hashes of §5 need BitwiseXor, an opset-18 op). Each call site gets a 64-bit base counter
 * `squares32(2c) << 32 | squares32(2c + 1)` with `c = seed·2³² + step·2⁸ + stream`, and element i uses
 * counter `base + i`. Uniforms take the top 24 bits: `(h >> 8 + 0.5)·2⁻²⁴ ∈ (0, 1)`. Normals use
 * Box–Muller on pairs.
 *
 * Limits: seed in [0, 2³¹), step in [0, 2²⁴) (steps are carried as floats), at most 256 streams
 * (call sites) per graph.
 *
 * {@link hostUniform} computes the same uniforms on the host, bit for bit.
 *
 * @module
 */
import type { FloatDType } from "./dtype.ts";
import { numel } from "./dtype.ts";
import { apply, attr, type Emitter, type OpDef, type Tensor } from "./graph.ts";
import { cos, log, mul, sin, sqrt } from "./ops_elementwise.ts";
import { concat, reshape, slice } from "./ops_shape.ts";

/** The Squares key (an irregular 64-bit pattern, as the paper asks). */
export const SQUARES_KEY = 0xc8e4fd154ce32f6dn;

const M64 = (1n << 64n) - 1n;

/** squares32 on the host (BigInt), the reference for the in-graph version. */
export function squares32(ctr: bigint, key = SQUARES_KEY): number {
  let x = (ctr * key) & M64;
  const y = x;
  const z = (y + key) & M64;
  const swap = (v: bigint) => ((v >> 32n) | (v << 32n)) & M64;
  x = swap((x * x + y) & M64);
  x = swap((x * x + z) & M64);
  x = swap((x * x + y) & M64);
  return Number(((x * x + z) & M64) >> 32n);
}

function baseCounter(seed: number, step: number, stream: number): bigint {
  const c = (BigInt(seed) << 32n) + (BigInt(step) << 8n) + BigInt(stream);
  return (BigInt(squares32(2n * c)) << 32n) | BigInt(squares32(2n * c + 1n));
}

/** The uniforms that stream `stream` of a graph yields for (seed, step), computed on the host. */
export function hostUniform(seed: number, step: number, stream: number, n: number): Float64Array {
  const base = baseCounter(seed, step, stream);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((squares32((base + BigInt(i)) & M64) >>> 8) + 0.5) / 16777216;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The in-graph op

function emitSquares(e: Emitter, ctr: string): string {
  const key = e.constant(new BigUint64Array([SQUARES_KEY]), "uint64", []);
  const s32 = e.constant(new BigUint64Array([32n]), "uint64", []);
  const shift = (v: string, dir: "LEFT" | "RIGHT") =>
    e.node("BitShift", [v, s32], { direction: attr.s(dir) });
  const swap = (v: string) => e.node("Add", [shift(v, "RIGHT"), shift(v, "LEFT")]);
  const sqAdd = (v: string, w: string) => e.node("Add", [e.node("Mul", [v, v]), w]);
  const y = e.node("Mul", [ctr, key]);
  const z = e.node("Add", [y, key]);
  let x = swap(sqAdd(y, y));
  x = swap(sqAdd(x, z));
  x = swap(sqAdd(x, y));
  return shift(sqAdd(x, z), "RIGHT");
}

const UniformOp: OpDef = {
  name: "RandomUniformCounter",
  infer(inputs, attrs) {
    const [seed, step] = inputs as [Tensor, Tensor];
    if (seed.dtype !== "int32" || seed.rank !== 0) {
      throw new Error(`the seed must be an int32 scalar, got ${seed}`);
    }
    if (step.size !== 1 || (step.dtype !== "float32" && step.dtype !== "float64")) {
      throw new Error(`the step must be a float scalar, got ${step}`);
    }
    return { dtype: attrs.dtype as FloatDType, shape: attrs.shape as number[] };
  },
  emit(e, t, ins, out) {
    const u64 = (v: bigint) => e.constant(new BigUint64Array([v]), "uint64", []);
    const toU64 = (v: string) => e.node("Cast", [v], { to: attr.i(13) });
    const n = numel(t.shape);
    const stream = t.attrs.stream as number;
    // c = seed·2³² + step·2⁸ + stream, then base = squares32(2c) << 32 | squares32(2c + 1)
    const seed = toU64(ins[0]!);
    const step = toU64(
      e.node("Cast", [e.node("Reshape", [ins[1]!, e.constant(new BigInt64Array([]), "int64", [0])])], {
        to: attr.i(7),
      }),
    );
    const c = e.node("Add", [
      e.node("Add", [e.node("Mul", [seed, u64(1n << 32n)]), e.node("Mul", [step, u64(256n)])]),
      u64(BigInt(stream)),
    ]);
    const c2 = e.node("Mul", [c, u64(2n)]);
    const hi = emitSquares(e, c2);
    const lo = emitSquares(e, e.node("Add", [c2, u64(1n)]));
    const s32 = u64(32n);
    const base = e.node("Add", [e.node("BitShift", [hi, s32], { direction: attr.s("LEFT") }), lo]);
    const range = e.node("Cast", [e.node("Range", [
      e.constant(new BigInt64Array([0n]), "int64", []),
      e.constant(new BigInt64Array([BigInt(n)]), "int64", []),
      e.constant(new BigInt64Array([1n]), "int64", []),
    ])], { to: attr.i(13) });
    const h = emitSquares(e, e.node("Add", [base, range]));
    const top24 = e.node("Cast", [e.node("BitShift", [h, u64(8n)], { direction: attr.s("RIGHT") })], {
      to: attr.i(t.dtype === "float64" ? 11 : 1),
    });
    const fl = (v: number) =>
      t.dtype === "float64"
        ? e.constant(new Float64Array([v]), "float64", [])
        : e.constant(new Float32Array([v]), "float32", []);
    const u = e.node("Add", [e.node("Mul", [top24, fl(2 ** -24)]), fl(2 ** -25)]);
    e.node("Reshape", [u, e.constant(BigInt64Array.from(t.shape, BigInt), "int64", [t.rank])], {}, out);
  },
  vjp: () => [null, null],
};

/**
 * A source of in-graph noise for one graph: every {@link uniform} or {@link normal} call is a new
 * stream, numbered in call order, so the same build code gives the same streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { input } from "./graph.ts";
 * import { GraphRng } from "./rng.ts";
 * import { evaluate } from "./testing.ts";
 *
 * const seed = input("seed", "int32", []), step = input("step", "float32", []);
 * const rng = new GraphRng(seed, step);
 * const z = rng.normal([64, 100]); // N(0, 1), fresh per (seed, step)
 * const draw = async (s: number) =>
 *   (await evaluate({ z }, { seed: Int32Array.of(0), step: Float32Array.of(s) })).z as Float32Array;
 * const [a, again, next] = [await draw(3), await draw(3), await draw(4)];
 * assert.deepEqual(again, a); // reproducible from (seed, step)
 * assert.notDeepEqual(next, a);
 * const mean = a.reduce((sum, v) => sum + v, 0) / a.length;
 * assert.ok(Math.abs(mean) < 0.05); // 6400 draws: standard error 0.0125
 * ```
 */
export class GraphRng {
  #stream = 0;
  constructor(readonly seed: Tensor, readonly step: Tensor, readonly dtype: FloatDType = "float32") {}

  #next(): number {
    if (this.#stream >= 256) throw new Error("GraphRng: more than 256 random streams in one graph");
    return this.#stream++;
  }

  /** Uniform draws in (0, 1). */
  uniform(shape: readonly number[]): Tensor {
    return apply(UniformOp, [this.seed, this.step], {
      shape: [...shape],
      dtype: this.dtype,
      stream: this.#next(),
    });
  }

  /** Standard normal draws (Box–Muller on pairs of uniforms). */
  normal(shape: readonly number[]): Tensor {
    const n = numel(shape);
    const m = Math.ceil(n / 2);
    const u = this.uniform([2 * m]);
    const r = sqrt(mul(log(slice(u, [0], [m])), -2));
    const theta = mul(slice(u, [m], [2 * m]), 2 * Math.PI);
    const z = concat([mul(r, cos(theta)), mul(r, sin(theta))], 0);
    return reshape(slice(z, [0], [n]), shape);
  }
}
