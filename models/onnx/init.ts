/**
 * Deterministic host-side randomness: a seeded PRNG and parameter initialisation.
 *
 * Every parameter draws from its own stream, keyed by (seed, parameter name), so a run is reproducible
 * from its seed and adding or reordering parameters does not change the others' initial values.
 * The generator is xoshiro128** seeded through splitmix32; normals use Box–Muller in float64.
 *
 * @module
 */
import { type FloatDType, numel } from "./dtype.ts";

/** A seeded pseudo-random generator (xoshiro128**), reproducible across platforms. */
export class Rng {
  #s: Uint32Array;
  #spare: number | null = null;

  /** `seed` is any integer; `stream` (e.g. a parameter name) selects an independent stream. */
  constructor(seed: number, stream = "") {
    let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    h = mix32(h + hashString(stream));
    this.#s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      h = (h + 0x9e3779b9) >>> 0; // splitmix32
      this.#s[i] = mix32(h);
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  uint32(): number {
    const s = this.#s;
    let [s0, s1, s2, s3] = [s[0]!, s[1]!, s[2]!, s[3]!];
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.uint32() >>> 5;
    const lo = this.uint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fills a new Float32Array with N(mean, std²) draws. */
  normalArray(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A 32-bit finaliser (lowbias32, Chris Wellons). */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How a parameter is initialised. */
export type Init =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; std: number; mean?: number }
  | { kind: "uniform"; low: number; high: number }
  /** N(0, std²) with draws beyond ±bound·std redrawn (TensorFlow's truncated_normal, BERT's initializer). */
  | { kind: "truncatedNormal"; std: number; bound: number };

/** Initialisers. */
export const inits = {
  zeros: (): Init => ({ kind: "zeros" }),
  ones: (): Init => ({ kind: "ones" }),
  constant: (value: number): Init => ({ kind: "constant", value }),
  /** N(mean, std²), e.g. DCGAN's N(0, 0.02). */
  normal: (std: number, mean = 0): Init => ({ kind: "normal", std, mean }),
  uniform: (low: number, high: number): Init => ({ kind: "uniform", low, high }),
  /** N(0, std²) redrawn beyond ±bound·std (default 2, as TensorFlow); its std is 0.8796·std at bound 2. */
  truncatedNormal: (std: number, bound = 2): Init => ({ kind: "truncatedNormal", std, bound }),
  /** PyTorch's default for Linear/Conv weights and biases: U(±1/√fanIn). */
  torchDefault: (fanIn: number): Init => ({
    kind: "uniform",
    low: -1 / Math.sqrt(fanIn),
    high: 1 / Math.sqrt(fanIn),
  }),
  /** Glorot/Xavier uniform: U(±√(6/(fanIn+fanOut))). */
  glorotUniform: (fanIn: number, fanOut: number): Init => {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    return { kind: "uniform", low: -a, high: a };
  },
} as const;

/** A trainable parameter: name (its layer path), shape, dtype and initialiser. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly init: Init;
}

/** Draws one parameter's initial values from the stream (seed, spec.name). */
export function initParam(spec: ParamSpec, seed: number): Float32Array | Float64Array {
  const n = numel(spec.shape);
  const out = spec.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  const init = spec.init;
  switch (init.kind) {
    case "zeros":
      break;
    case "ones":
      out.fill(1);
      break;
    case "constant":
      out.fill(init.value);
      break;
    case "normal": {
      const rng = new Rng(seed, spec.name);
      const mean = init.mean ?? 0;
      for (let i = 0; i < n; i++) out[i] = mean + init.std * rng.normal();
      break;
    }
    case "uniform": {
      const rng = new Rng(seed, spec.name);
      for (let i = 0; i < n; i++) out[i] = init.low + (init.high - init.low) * rng.uniform();
      break;
    }
    case "truncatedNormal": {
      const rng = new Rng(seed, spec.name);
      for (let i = 0; i < n; i++) {
        let z = rng.normal();
        while (Math.abs(z) > init.bound) z = rng.normal();
        out[i] = init.std * z;
      }
      break;
    }
  }
  return out;
}

/**
 * Initial values of all parameters from one seed, keyed by name. Deterministic: the same specs and
 * seed give bit-identical arrays on every machine.
 */
export function initParams(
  specs: readonly ParamSpec[],
  seed: number,
): Record<string, Float32Array | Float64Array> {
  return Object.fromEntries(specs.map((s) => [s.name, initParam(s, seed)]));
}
