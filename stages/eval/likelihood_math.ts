/**
 * The arithmetic of likelihood evaluation, kept pure so that it is tested on known answers:
 *
 * - **The data transform's Jacobian.** A model sees x = a·(v + u) + b, where v are a record's discrete
 *   levels (0..L−1), u ~ U[0, 1)^D the dequantisation noise, and a = 1/L (`scale: "unit"`), 2/L
 *   (`"symmetric"`) or 1 (`"levels"`). Its density in level units is q(x)·a^D, so
 *   −log P(v) ≤ E_u[−log q(x)] − D·log a (uniform dequantisation is a variational bound, Theis et al.
 *   2016), and bits per dimension are that over D·ln 2. Only a whole bin of noise (`dequantize: true`)
 *   gives a bound; the reference code's U(0, 1/256) after scaling to [−1, 1] (`addNoise`) spans half a
 *   bin and has no bits/dim. A model that outputs log P(v) itself (`discrete`) needs no Jacobian.
 * - **Means with their standard errors**, per record (records are independent).
 * - **Log-mean-exp** over K importance weights, accumulated in chunks (IWAE-K).
 * - **Choosing the snapshot**: the lowest NLL on a validation split, never on the test split.
 *
 * @module
 */
import type { FeatureSpec } from "../data/manifest.ts";
import type { TransformSpec } from "../data/transforms.ts";

/** How a record's log-density converts to a log-probability of the stored data. */
export interface DataJacobian {
  /** continuous: float data, NLL in nats of the density; dequantized / discrete: also bits per dimension. */
  kind: "continuous" | "dequantized" | "discrete";
  /** Values per record (D). */
  dims: number;
  /** D·log a: add −this to −log q(x) to get the NLL of the levels (0 when none applies). */
  logJacobian: number;
  /** The convention in words, for the report. */
  note: string;
}

/** The Jacobian of `transform` applied to `feature` (see the module doc), or an error saying why there is none. */
export function dataJacobian(
  feature: Pick<FeatureSpec, "dtype" | "shape" | "levels">,
  transform: TransformSpec,
  discreteModel: boolean,
): DataJacobian {
  const dims = feature.shape.reduce((a, b) => a * b, 1);
  if (discreteModel) {
    return {
      kind: "discrete",
      dims,
      logJacobian: 0,
      note: "the model gives the log-probability of each record's discrete values; no Jacobian applies",
    };
  }
  if (feature.dtype !== "uint8") {
    return { kind: "continuous", dims, logJacobian: 0, note: "continuous data: NLL in nats of the density" };
  }
  const levels = feature.levels ?? 256;
  if (transform.dequantize !== true) {
    const why = transform.addNoise !== undefined
      ? `addNoise (${transform.addNoise}) spans less than one bin of the ${levels} levels, so −log q is no bound ` +
        `on −log P; use transform.dequantize: true`
      : transform.binarize !== undefined && transform.binarize !== "none"
      ? "binarised data needs a model that outputs log-probabilities (export discrete: true)"
      : `a density on the ${levels} discrete levels is unbounded without dequantisation; use transform.dequantize: true`;
    throw new Error(`Cannot give a likelihood of discrete data this way: ${why}`);
  }
  const scale = transform.scale ?? "unit";
  const a = scale === "unit" ? 1 / levels : scale === "symmetric" ? 2 / levels : 1;
  const formula = scale === "unit"
    ? `(v + u)/${levels}`
    : scale === "symmetric"
    ? `2(v + u)/${levels} − 1`
    : "v + u";
  return {
    kind: "dequantized",
    dims,
    logJacobian: dims * Math.log(a),
    note: `uniform dequantisation x = ${formula}, u ~ U[0, 1)^${dims}: −log P(v) ≤ −log q(x) − ${dims}·log(${
      Number(a.toPrecision(6))
    })`,
  };
}

/** Mean and standard error of the mean of per-record values. */
export function meanAndError(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i]! - mean) ** 2;
  return { mean, se: n > 1 ? Math.sqrt(sq / (n - 1) / n) : NaN };
}

/** NLL of records in nats (mean, s.e.) and, for discrete data, in bits per dimension. */
export interface NllSummary {
  nll: number;
  nllSe: number;
  /** NaN for continuous data. */
  bpd: number;
  bpdSe: number;
}

/** Summarises per-record log-densities `logq` under the data's Jacobian. */
export function summarizeNll(logq: ArrayLike<number>, jacobian: DataJacobian): NllSummary {
  const n = logq.length;
  const nll = new Float64Array(n);
  for (let i = 0; i < n; i++) nll[i] = -logq[i]! - jacobian.logJacobian;
  const { mean, se } = meanAndError(nll);
  const perBit = jacobian.kind === "continuous" ? NaN : 1 / (jacobian.dims * Math.LN2);
  return { nll: mean, nllSe: se, bpd: mean * perBit, bpdSe: se * perBit };
}

/** Running log-sum-exp of importance weights per record, for log (1/K) Σ_k w_k over chunks of draws. */
export class LogMeanExp {
  readonly #max: Float64Array;
  readonly #sum: Float64Array;
  #count = 0;

  constructor(readonly records: number) {
    this.#max = new Float64Array(records).fill(-Infinity);
    this.#sum = new Float64Array(records);
  }

  /** Adds `samples` log-weights per record, record-major ([records, samples]). */
  add(logw: ArrayLike<number>, samples: number): void {
    for (let r = 0; r < this.records; r++) {
      for (let s = 0; s < samples; s++) {
        const v = logw[r * samples + s]!;
        if (v > this.#max[r]!) {
          this.#sum[r] = this.#sum[r]! * Math.exp(this.#max[r]! - v) + 1;
          this.#max[r] = v;
        } else this.#sum[r]! += Math.exp(v - this.#max[r]!);
      }
    }
    this.#count += samples;
  }

  /** log (1/K) Σ w per record, K = the draws added so far. */
  result(): Float64Array {
    const out = new Float64Array(this.records);
    for (let r = 0; r < this.records; r++) {
      out[r] = this.#max[r]! + Math.log(this.#sum[r]!) - Math.log(this.#count);
    }
    return out;
  }
}

/** One snapshot's NLL on one split. */
export interface SnapshotNll {
  step: number;
  split: string;
  nll: number;
}

/**
 * The snapshot to report: the lowest NLL on `select` (a validation split), or the last one when
 * `select` is null. Refuses to select on the split named "test": the test split must stay unseen.
 */
export function selectSnapshot(rows: readonly SnapshotNll[], select: string | null): number {
  if (select === "test") {
    throw new Error(
      "Cannot choose the snapshot on the test split: pick it on a validation split (select: 'validation') " +
        "or take the last one (select: null)",
    );
  }
  const steps = [...new Set(rows.map((r) => r.step))].sort((a, b) => a - b);
  if (steps.length === 0) throw new Error("No snapshots were evaluated");
  if (select === null) return steps.at(-1)!;
  const candidates = rows.filter((r) => r.split === select);
  if (candidates.length === 0) throw new Error(`No NLL on split '${select}' to choose a snapshot with`);
  let best = candidates[0]!;
  for (const r of candidates) if (r.nll < best.nll) best = r;
  return best.step;
}
