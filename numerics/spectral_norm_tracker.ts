/**
 * The spectral norm as spectral normalisation keeps it during training (Miyato et al. 2018; the Keras
 * wrapper of kexue.fm/archives/6311; i-ResNet's Lipschitz constraint): a left vector u persists between
 * steps and each step runs one power iteration on the current weights, v = Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖,
 * σ̃ = ‖Wv‖. As a pure init/update pair; and the bound on how far such a tracked estimate can lag.
 *
 * The bound. For unit u at angle α to W's top left singular vector u₁, Wᵀu lies at angle γ with
 * tan γ ≤ r·tan α from v₁ (r = σ₂/σ₁; the rest of u maps into v₁'s complement with gain ≤ σ₂), and
 * ‖Wv‖ ≥ σ₁·cos γ. One iteration thus leaves u at tan β ≤ r²·tan α and σ̃ within 1 − cos γ of σ₁ (from
 * below). When W moves and its u₁ turns by φ, the next step starts from α ≤ β + φ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows } from "./matrix.ts";
 * import { spectralNormInit, spectralNormUpdate } from "./spectral_norm_tracker.ts";
 *
 * let state = spectralNormInit(2); // u = ones/√2, as the Keras wrapper starts
 * let sigma = 0;
 * for (let step = 0; step < 30; step++) ({ sigma, state } = spectralNormUpdate(state, fromRows([[3, 0], [4, 5]])));
 * assert.ok(Math.abs(sigma - Math.sqrt(45)) < 1e-12);
 * ```
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";
import { largestSingularValue } from "./power_iteration.ts";

export interface SpectralNormState {
  /** The persistent left vector (unit). */
  readonly u: Float64Array;
}

/** The initial state: u = ones/√rows unless a start vector is given. */
export function spectralNormInit(rows: number, start?: ArrayLike<number>): SpectralNormState {
  const u = start ? Float64Array.from(start) : new Float64Array(rows).fill(1);
  let s = 0;
  for (const x of u) s += x * x;
  const norm = Math.sqrt(s);
  if (!(norm > 0)) throw new RangeError("Cannot start spectral normalisation from a zero vector");
  return { u: u.map((x) => x / norm) };
}

/** `iterations` power iterations on `w` from the state's u: the estimate σ̃ ≤ σ₁ and the next state. */
export function spectralNormUpdate(
  state: SpectralNormState,
  w: Matrix,
  iterations = 1,
): { sigma: number; state: SpectralNormState } {
  const r = largestSingularValue(w, { start: state.u, iterations, tolerance: 0 });
  return { sigma: r.sigma, state: { u: r.u } };
}

/**
 * The bound on the tracked estimate's relative error 1 − σ̃_t/σ₁(t), step by step, from the gap ratios
 * r_t = σ₂/σ₁ of W_t, the angles φ_t by which W_t's top left singular vector moved since the previous step
 * (φ₁: from the start vector to u₁(W₁)), with one iteration per step. Angles in radians.
 */
export function trackingErrorBound(gapRatios: ArrayLike<number>, turns: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gapRatios.length);
  let beta = 0;
  for (let t = 0; t < gapRatios.length; t++) {
    const alpha = beta + turns[t]!;
    const r = gapRatios[t]!;
    if (alpha >= Math.PI / 2) {
      out[t] = 1; // no information: u may be orthogonal to u₁
      beta = Math.PI / 2;
      continue;
    }
    const gamma = Math.atan(r * Math.tan(alpha));
    out[t] = 1 - Math.cos(gamma);
    beta = Math.atan(r * r * Math.tan(alpha));
  }
  return out;
}
