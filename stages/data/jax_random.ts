/**
 * The part of JAX's default random number generator that the Fourier-density demo's target depends on
 * (google/codex, tutorial/Fourier_Basis_Density_Estimation_Demo.ipynb): `jax.random.key(seed)` and
 * `jax.random.uniform(key, shape, minval, maxval)` in float32, with the threefry2x32 generator and
 * `jax_threefry_partitionable` off (the default of the JAX releases of 2024, when the demo ran).
 *
 * The demo draws the locs and the scales of its 10 components with the *same* key, so both come from
 * the same 10 uniforms; reproducing them bit for bit gives the demo's exact target density
 * (`data.synthetic-1d` with `draws: "jax"`; the demo's plotted curve is checked in jax_random_test.ts).
 * The demo's samples come through distrax's mixture sampler and are not reproduced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jaxKey, jaxUniform } from "./jax_random.ts";
 *
 * const u = jaxUniform(jaxKey(42), 10, -0.5, 0.3); // jax.random.uniform(random.key(42), (10,), minval=-0.5, maxval=0.3)
 * assert.equal(u[0], Math.fround(0.015150189399719238)); // the demo's first component's loc
 * ```
 *
 * @module
 */

const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;

/** Threefry-2x32 with 20 rounds (Salmon et al. 2011), as `jax.random.threefry_2x32` on one block. */
export function threefry2x32Block(
  key: readonly [number, number],
  x: readonly [number, number],
): [number, number] {
  const ks = [key[0] >>> 0, key[1] >>> 0, (key[0] ^ key[1] ^ 0x1bd11bda) >>> 0];
  const rotations = [[13, 15, 26, 6], [17, 29, 16, 24]];
  let x0 = (x[0] + ks[0]!) >>> 0;
  let x1 = (x[1] + ks[1]!) >>> 0;
  for (let i = 0; i < 5; i++) {
    for (const r of rotations[i % 2]!) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, r) ^ x0;
    }
    x0 = (x0 + ks[(i + 1) % 3]!) >>> 0;
    x1 = (x1 + ks[(i + 2) % 3]! + i + 1) >>> 0;
  }
  return [x0, x1];
}

/**
 * `jax.random.threefry_2x32(key, count)` over a vector of counters: the counters are split into two
 * halves (padded with one zero when odd), each pair (first half[i], second half[i]) is one block, and
 * the outputs are concatenated back in that order.
 */
export function threefry2x32(key: readonly [number, number], count: Uint32Array): Uint32Array {
  const odd = count.length % 2;
  const padded = new Uint32Array(count.length + odd);
  padded.set(count);
  const half = padded.length / 2;
  const out = new Uint32Array(padded.length);
  for (let i = 0; i < half; i++) {
    const [a, b] = threefry2x32Block(key, [padded[i]!, padded[half + i]!]);
    out[i] = a;
    out[half + i] = b;
  }
  return out.subarray(0, count.length);
}

/** `jax.random.key(seed)` for a seed below 2³²: the key data [0, seed]. */
export function jaxKey(seed: number): [number, number] {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`jaxKey: seed ${seed} must be an integer in [0, 2^32)`);
  }
  return [0, seed];
}

/** `jax.random.uniform(key, (n,), float32, minval, maxval)`, value for value (float32 arithmetic). */
export function jaxUniform(
  key: readonly [number, number],
  n: number,
  minval: number,
  maxval: number,
): Float32Array {
  const bits = threefry2x32(key, Uint32Array.from({ length: n }, (_, i) => i));
  const f = Math.fround;
  const lo = f(minval);
  const span = f(f(maxval) - lo);
  const view = new DataView(new ArrayBuffer(4));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // 23 random mantissa bits under the exponent of 1.0: a float in [1, 2), minus one.
    view.setUint32(0, ((bits[i]! >>> 9) | 0x3f800000) >>> 0);
    const unit = f(view.getFloat32(0) - 1);
    out[i] = Math.max(lo, f(f(unit * span) + lo));
  }
  return out;
}
