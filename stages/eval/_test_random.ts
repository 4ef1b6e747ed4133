/**
 * Seeded random numbers for the eval tests: deterministic across runs and machines.
 *
 * @module
 */

/** A seeded generator with uniform and standard-normal draws (mulberry32 + Box–Muller). */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** A random n×n orthogonal matrix (Gram–Schmidt on Gaussian columns), row-major. */
export function randomRotation(n: number, seed: number): Float64Array {
  const rng = seededRandom(seed);
  const q = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (let p = 0; p < c; p++) {
      let d = 0;
      for (let r = 0; r < n; r++) d += v[r]! * q[r * n + p]!;
      for (let r = 0; r < n; r++) v[r] = v[r]! - d * q[r * n + p]!;
    }
    const norm = Math.hypot(...v);
    for (let r = 0; r < n; r++) q[r * n + c] = v[r]! / norm;
  }
  return q;
}

/** A random symmetric positive-definite n×n matrix A Aᵀ / n + εI. */
export function randomSpd(n: number, seed: number, epsilon = 0.1): Float64Array {
  const rng = seededRandom(seed);
  const a = Float64Array.from({ length: n * n }, () => rng.normal());
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * a[j * n + k]!;
      out[i * n + j] = s / n + (i === j ? epsilon : 0);
    }
  }
  return out;
}

/** Row-major n×n product. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + a[i * n + k]! * b[k * n + j]!;
    }
  }
  return out;
}

/** Row-major transpose. */
export function transpose(a: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = a[i * n + j]!;
  return out;
}

/** Largest absolute entry of a − b. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
