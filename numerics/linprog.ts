/**
 * A dense two-phase simplex solver for linear programmes in SciPy's form,
 *
 *     minimise cᵀx  subject to  A_ub·x ≤ b_ub,  A_eq·x = b_eq,  lᵢ ≤ xᵢ ≤ uᵢ,
 *
 * returning the primal solution and the dual one (marginals ∂f/∂b, as `scipy.optimize.linprog`
 * reports them). Written for checks that need exact optima of small problems (optimal transport on
 * grids of a few hundred points, Farkas certificates), not for large sparse ones.
 *
 * How it stays robust:
 * - rows are scaled to unit max-norm, costs and right-hand sides to unit max, so the tolerances (1e-9)
 *   are relative;
 * - phase 1 minimises the sum of artificial variables; artificials left basic at zero are pivoted out,
 *   and rows where that is impossible are redundant (e.g. the last marginal constraint of a transport
 *   problem) and stay inert;
 * - pricing is Dantzig's rule with a Harris-style ratio test (largest pivot among near-ties); after 50
 *   degenerate pivots in a row it switches to Bland's rule, which cannot cycle, until progress resumes;
 * - the optimal basis is then re-solved from the original data by LU (x_B = B⁻¹b, y = B⁻ᵀc_B), so the
 *   answer carries no rounding accumulated over the pivots: primal and dual objectives agree to ~1e-15.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linprog } from "./linprog.ts";
 * import { fromRows } from "./matrix.ts";
 *
 * // max x + y subject to x + 2y ≤ 4, 3x + y ≤ 6, x, y ≥ 0 (linprog minimises, so c = −(1, 1))
 * const r = linprog({ c: [-1, -1], aUb: fromRows([[1, 2], [3, 1]]), bUb: [4, 6] });
 * assert.ok(r.status === "optimal");
 * const close = (x: ArrayLike<number>, y: number[]) => y.every((v, i) => Math.abs(x[i]! - v) < 1e-12);
 * assert.ok(close(r.x, [1.6, 1.2]) && Math.abs(r.fun + 2.8) < 1e-12);
 * assert.ok(close(r.ubMarginals, [-0.4, -0.2])); // ∂fun/∂bUb: what one more unit of each budget is worth
 * ```
 *
 * @module
 */
import { lu, luSolve } from "./lu.ts";
import { type Matrix, matrix } from "./matrix.ts";

/** A bound pair [lower, upper]; null (or ±Infinity) for none. */
export type Bound = readonly [number | null, number | null];

/** The programme: minimise cᵀx subject to the constraints given (all optional). */
export interface LinearProgram {
  c: ArrayLike<number>;
  /** A_ub·x ≤ b_ub */
  aUb?: Matrix;
  bUb?: ArrayLike<number>;
  /** A_eq·x = b_eq */
  aEq?: Matrix;
  bEq?: ArrayLike<number>;
  /** One pair for every variable, or one per variable. Default [0, ∞), as in SciPy. */
  bounds?: Bound | readonly Bound[];
}

export interface LpOptimal {
  status: "optimal";
  x: Float64Array;
  /** cᵀx */
  fun: number;
  /** ∂fun/∂b_eq: the dual values of the equality rows. */
  eqMarginals: Float64Array;
  /** ∂fun/∂b_ub ≤ 0: the dual values of the inequality rows. */
  ubMarginals: Float64Array;
  /** c − A_ubᵀ·y_ub − A_eqᵀ·y_eq: ≥ 0 where x sits at its lower bound, ≤ 0 at its upper bound. */
  reducedCosts: Float64Array;
  /** The dual objective b_ubᵀy_ub + b_eqᵀy_eq + Σ (bound × reduced cost), equal to fun at an optimum. */
  dualObjective: number;
  iterations: number;
}

export interface LpFailure {
  status: "infeasible" | "unbounded" | "iteration-limit";
  message: string;
  iterations: number;
}

export type LpResult = LpOptimal | LpFailure;

export interface LpOptions {
  /** Relative tolerance for pivots, reduced costs and feasibility (default 1e-9). */
  tolerance?: number;
  /** Default 50·(rows + columns) + 1000. */
  maxIterations?: number;
  /** Degenerate pivots in a row before switching to Bland's rule (default 50; 0: Bland's rule throughout). */
  blandAfter?: number;
}

/** Solves the linear programme; throws only for malformed input (shapes, NaN, crossed bounds). */
export function linprog(problem: LinearProgram, options: LpOptions = {}): LpResult {
  const std = standardForm(problem);
  const tol = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 50 * (std.rows + std.cols) + 1000;
  const outcome = simplex(std, tol, maxIterations, options.blandAfter ?? 50);
  if (outcome.status !== "optimal") return outcome;
  return recover(problem, std, outcome.basis, outcome.iterations, tol);
}

// ---------------------------------------------------------------------------------------------------
// Standard form: min c'ᵀz, A'z = b', z ≥ 0, with each xⱼ = shiftⱼ + Σ signₖ·z_k over its columns.

interface StandardForm {
  rows: number;
  /** Structural and slack columns (artificials are added by the simplex). */
  cols: number;
  /** rows×cols, row-major */
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  /** For each row, its slack column (coefficient +1), or −1 for an equality row. */
  slack: Int32Array;
  /** For each structural column: the variable and the sign it enters with. */
  variable: Int32Array;
  sign: Float64Array;
  structural: number;
  shift: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  mUb: number;
  mEq: number;
}

function vectorOf(values: ArrayLike<number> | undefined, length: number, what: string): Float64Array {
  const v = Float64Array.from(values ?? []);
  if (v.length !== length) {
    throw new RangeError(
      `Cannot solve the linear programme: ${what} has ${v.length} values, expected ${length}`,
    );
  }
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      throw new RangeError(`Cannot solve the linear programme: ${what}[${i}] is ${v[i]}`);
    }
  }
  return v;
}

function constraintMatrix(a: Matrix | undefined, n: number, what: string): Matrix {
  if (!a) return matrix(0, n);
  if (a.cols !== n) {
    throw new RangeError(
      `Cannot solve the linear programme: ${what} has ${a.cols} columns but c has ${n} entries`,
    );
  }
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i]!)) {
      throw new RangeError(
        `Cannot solve the linear programme: ${what} entry (${Math.floor(i / n)}, ${i % n}) is ${a.data[i]}`,
      );
    }
  }
  return a;
}

function standardForm(p: LinearProgram): StandardForm {
  const n = p.c.length;
  const c = vectorOf(p.c, n, "c");
  const aUb = constraintMatrix(p.aUb, n, "aUb");
  const aEq = constraintMatrix(p.aEq, n, "aEq");
  const bUb = vectorOf(p.bUb, aUb.rows, "bUb");
  const bEq = vectorOf(p.bEq, aEq.rows, "bEq");
  const lower = new Float64Array(n);
  const upper = new Float64Array(n).fill(Infinity);
  const bounds = p.bounds;
  const perVariable = Array.isArray(bounds) && bounds.length > 0 && Array.isArray(bounds[0]);
  if (perVariable && bounds.length !== n) {
    throw new RangeError(`Cannot solve the linear programme: ${bounds.length} bounds for ${n} variables`);
  }
  for (let j = 0; j < n; j++) {
    const pair: Bound = bounds === undefined
      ? [0, null]
      : perVariable
      ? (bounds as readonly Bound[])[j]!
      : bounds as Bound;
    const lo = pair[0] ?? -Infinity;
    const hi = pair[1] ?? Infinity;
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi || lo === Infinity || hi === -Infinity) {
      throw new RangeError(
        `Cannot solve the linear programme: bounds [${lo}, ${hi}] of x[${j}] are empty or NaN`,
      );
    }
    lower[j] = lo;
    upper[j] = hi;
  }
  // Columns for each variable.
  const variable: number[] = [];
  const sign: number[] = [];
  const shift = new Float64Array(n);
  const boxed: { col: number; width: number }[] = [];
  for (let j = 0; j < n; j++) {
    const lo = lower[j]!, hi = upper[j]!;
    if (Number.isFinite(lo)) {
      shift[j] = lo;
      if (Number.isFinite(hi)) boxed.push({ col: variable.length, width: hi - lo });
      variable.push(j);
      sign.push(1);
    } else if (Number.isFinite(hi)) {
      shift[j] = hi;
      variable.push(j);
      sign.push(-1);
    } else {
      variable.push(j, j);
      sign.push(1, -1);
    }
  }
  const structural = variable.length;
  const mUb = aUb.rows, mEq = aEq.rows;
  const rows = mUb + mEq + boxed.length;
  const slacks = mUb + boxed.length;
  const cols = structural + slacks;
  const a = new Float64Array(rows * cols);
  const b = new Float64Array(rows);
  const slack = new Int32Array(rows).fill(-1);
  for (let r = 0; r < mUb + mEq; r++) {
    // Rows 0…mUb−1 come from A_ub, the next mEq from A_eq; their right-hand sides absorb the shifts.
    const [m, i, rhs] = r < mUb ? [aUb, r, bUb[r]!] : [aEq, r - mUb, bEq[r - mUb]!];
    let shifted = rhs;
    for (let j = 0; j < n; j++) shifted -= m.data[i * n + j]! * shift[j]!;
    for (let k = 0; k < structural; k++) a[r * cols + k] = sign[k]! * m.data[i * n + variable[k]!]!;
    b[r] = shifted;
  }
  boxed.forEach(({ col, width }, t) => {
    const r = mUb + mEq + t;
    a[r * cols + col] = 1;
    b[r] = width;
  });
  let s = structural;
  for (let r = 0; r < rows; r++) {
    if (r < mUb || r >= mUb + mEq) {
      a[r * cols + s] = 1;
      slack[r] = s++;
    }
  }
  const cStd = new Float64Array(cols);
  for (let k = 0; k < structural; k++) cStd[k] = sign[k]! * c[variable[k]!]!;
  return {
    rows,
    cols,
    a,
    b,
    c: cStd,
    slack,
    variable: Int32Array.from(variable),
    sign: Float64Array.from(sign),
    structural,
    shift,
    lower,
    upper,
    mUb,
    mEq,
  };
}

// ---------------------------------------------------------------------------------------------------
// The tableau simplex on the scaled standard form.

type SimplexOutcome = { status: "optimal"; basis: Int32Array; iterations: number } | LpFailure;

function simplex(std: StandardForm, tol: number, maxIterations: number, blandAfter: number): SimplexOutcome {
  const { rows: m, cols: n } = std;
  // Columns: n structural/slack, then m artificials, then the right-hand side.
  const width = n + m + 1;
  const rhs = n + m;
  const T = new Float64Array((m + 1) * width);
  const basis = new Int32Array(m);
  let bMax = 0;
  for (let r = 0; r < m; r++) bMax = Math.max(bMax, Math.abs(std.b[r]!));
  const bScale = bMax > 0 ? bMax : 1;
  let cMax = 0;
  for (let j = 0; j < n; j++) cMax = Math.max(cMax, Math.abs(std.c[j]!));
  const cScale = cMax > 0 ? cMax : 1;
  let needPhase1 = false;
  for (let r = 0; r < m; r++) {
    let rowMax = 0;
    for (let j = 0; j < n; j++) rowMax = Math.max(rowMax, Math.abs(std.a[r * n + j]!));
    const flip = std.b[r]! < 0 ? -1 : 1;
    const f = flip / (rowMax > 0 ? rowMax : 1);
    const row = r * width;
    for (let j = 0; j < n; j++) T[row + j] = std.a[r * n + j]! * f;
    T[row + n + r] = 1;
    T[row + rhs] = (std.b[r]! / bScale) * f;
    if (std.slack[r]! >= 0 && flip > 0) {
      basis[r] = std.slack[r]!;
    } else {
      basis[r] = n + r;
      needPhase1 = true;
    }
  }
  const obj = m * width;
  let iterations = 0;
  const state = { T, basis, m, width, rhs, tol, blandAfter };
  if (needPhase1) {
    // Phase 1: minimise the sum of basic artificials; its reduced costs are minus their rows' sums.
    for (let r = 0; r < m; r++) {
      if (basis[r]! < n) continue;
      for (let j = 0; j < n; j++) T[obj + j] = T[obj + j]! - T[r * width + j]!;
      T[obj + rhs] = T[obj + rhs]! - T[r * width + rhs]!;
    }
    const phase1 = iterate(state, n, maxIterations);
    iterations += phase1.iterations;
    if (phase1.status === "iteration-limit") return iterationLimit(iterations);
    if (-T[obj + rhs]! > tol * Math.max(1, m)) {
      return {
        status: "infeasible",
        message: `The linear programme is infeasible: the constraints cannot all hold (phase 1 residual ${
          (-T[obj + rhs]! * bScale).toExponential(2)
        })`,
        iterations,
      };
    }
    // Pivot artificials out of the basis where any real column can replace them.
    for (let r = 0; r < m; r++) {
      if (basis[r]! < n) continue;
      let best = -1, bestAbs = tol;
      for (let j = 0; j < n; j++) {
        const v = Math.abs(T[r * width + j]!);
        if (v > bestAbs) {
          bestAbs = v;
          best = j;
        }
      }
      if (best >= 0) pivot(state, r, best);
      // A redundant row: what is left in it is rounding; clear it so that it stays inert.
      else for (let j = 0; j < n; j++) T[r * width + j] = 0;
    }
  }
  // Phase 2: the real costs, priced out over the basis.
  for (let j = 0; j < width; j++) T[obj + j] = j < n ? std.c[j]! / cScale : 0;
  for (let r = 0; r < m; r++) {
    const cb = basis[r]! < n ? std.c[basis[r]!]! / cScale : 0;
    if (cb === 0) continue;
    for (let j = 0; j < width; j++) T[obj + j] = T[obj + j]! - cb * T[r * width + j]!;
  }
  const phase2 = iterate(state, n, maxIterations - iterations);
  iterations += phase2.iterations;
  if (phase2.status === "iteration-limit") return iterationLimit(iterations);
  if (phase2.status === "unbounded") {
    return {
      status: "unbounded",
      message:
        "The linear programme is unbounded: the objective decreases without limit along a feasible ray",
      iterations,
    };
  }
  return { status: "optimal", basis, iterations };
}

function iterationLimit(iterations: number): LpFailure {
  return {
    status: "iteration-limit",
    message:
      `The simplex stopped after ${iterations} pivots without reaching an optimum; raise maxIterations`,
    iterations,
  };
}

interface Tableau {
  T: Float64Array;
  basis: Int32Array;
  m: number;
  width: number;
  rhs: number;
  tol: number;
  blandAfter: number;
}

/** Pivots until no column among the first `enterable` has a negative reduced cost. */
function iterate(
  t: Tableau,
  enterable: number,
  maxIterations: number,
): { status: "optimal" | "unbounded" | "iteration-limit"; iterations: number } {
  const { T, basis, m, width, rhs, tol, blandAfter } = t;
  const obj = m * width;
  let iterations = 0;
  let degenerate = 0;
  for (;;) {
    const bland = degenerate >= blandAfter;
    let enter = -1;
    let most = -tol;
    for (let j = 0; j < enterable; j++) {
      const d = T[obj + j]!;
      if (d < most) {
        enter = j;
        if (bland) break;
        most = d;
      }
    }
    if (enter < 0) return { status: "optimal", iterations };
    if (iterations >= maxIterations) return { status: "iteration-limit", iterations };
    // Harris' ratio test: the largest step any row allows with a tolerance, then among the rows
    // within it the largest pivot (in Bland's mode: the smallest basic index among exact ties).
    let bound = Infinity;
    for (let r = 0; r < m; r++) {
      const a = T[r * width + enter]!;
      if (a > tol) bound = Math.min(bound, (Math.max(T[r * width + rhs]!, 0) + tol) / a);
    }
    if (bound === Infinity) return { status: "unbounded", iterations };
    let leave = -1;
    if (bland) {
      let best = Infinity;
      for (let r = 0; r < m; r++) {
        const a = T[r * width + enter]!;
        if (a > tol) best = Math.min(best, Math.max(T[r * width + rhs]!, 0) / a);
      }
      for (let r = 0; r < m; r++) {
        const a = T[r * width + enter]!;
        if (a <= tol || Math.max(T[r * width + rhs]!, 0) / a > best * (1 + 1e-12) + 1e-15) continue;
        if (leave < 0 || basis[r]! < basis[leave]!) leave = r;
      }
    } else {
      let bestPivot = 0;
      for (let r = 0; r < m; r++) {
        const a = T[r * width + enter]!;
        if (a > tol && Math.max(T[r * width + rhs]!, 0) / a <= bound && a > bestPivot) {
          bestPivot = a;
          leave = r;
        }
      }
    }
    const step = Math.max(T[leave * width + rhs]!, 0) / T[leave * width + enter]!;
    degenerate = step <= tol ? degenerate + 1 : 0;
    pivot(t, leave, enter);
    iterations++;
  }
}

function pivot(t: Tableau, r: number, e: number): void {
  const { T, basis, m, width } = t;
  const pr = r * width;
  const inv = 1 / T[pr + e]!;
  for (let j = 0; j < width; j++) T[pr + j] = T[pr + j]! * inv;
  T[pr + e] = 1;
  for (let i = 0; i <= m; i++) {
    if (i === r) continue;
    const row = i * width;
    const f = T[row + e]!;
    if (f === 0) continue;
    for (let j = 0; j < width; j++) T[row + j] = T[row + j]! - f * T[pr + j]!;
    T[row + e] = 0;
  }
  basis[r] = e;
}

// ---------------------------------------------------------------------------------------------------
// Re-solving the optimal basis from the original data, and mapping back.

function recover(
  p: LinearProgram,
  std: StandardForm,
  basis: Int32Array,
  iterations: number,
  tol: number,
): LpOptimal {
  const { rows: m, cols: n } = std;
  const B = matrix(m, m);
  const cB = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const col = basis[k]!;
    if (col < n) {
      for (let r = 0; r < m; r++) B.data[r * m + k] = std.a[r * n + col]!;
      cB[k] = std.c[col]!;
    } else {
      // An artificial left basic at zero in a redundant row: its column is the unit vector.
      B.data[(col - n) * m + k] = 1;
    }
  }
  const f = lu(B);
  const zB = m > 0 ? luSolve(f, std.b) : new Float64Array(0);
  const y = m > 0 ? luSolve(f, cB, { transpose: true }) : new Float64Array(0);
  const z = new Float64Array(n);
  for (let k = 0; k < m; k++) if (basis[k]! < n) z[basis[k]!] = Math.max(zB[k]!, 0);
  const nVars = p.c.length;
  const x = Float64Array.from(std.shift);
  for (let k = 0; k < std.structural; k++) x[std.variable[k]!] = x[std.variable[k]!]! + std.sign[k]! * z[k]!;
  for (let j = 0; j < nVars; j++) x[j] = Math.min(Math.max(x[j]!, std.lower[j]!), std.upper[j]!);
  const ubMarginals = y.slice(0, std.mUb);
  const eqMarginals = y.slice(std.mUb, std.mUb + std.mEq);
  const c = Float64Array.from(p.c);
  const reducedCosts = Float64Array.from(c);
  let dualObjective = 0;
  for (const [mat, b, duals] of [[p.aUb, p.bUb, ubMarginals], [p.aEq, p.bEq, eqMarginals]] as const) {
    if (!mat || !b) continue;
    for (let i = 0; i < mat.rows; i++) {
      const yi = duals[i]!;
      dualObjective += b[i]! * yi;
      if (yi === 0) continue;
      for (let j = 0; j < nVars; j++) reducedCosts[j] = reducedCosts[j]! - mat.data[i * nVars + j]! * yi;
    }
  }
  let cMax = 0;
  for (let j = 0; j < nVars; j++) cMax = Math.max(cMax, Math.abs(c[j]!));
  for (let j = 0; j < nVars; j++) {
    const d = reducedCosts[j]!;
    const bound = d > 0 ? std.lower[j]! : std.upper[j]!;
    if (d === 0) continue;
    if (Number.isFinite(bound)) dualObjective += bound * d;
    else if (Math.abs(d) > tol * Math.max(1, cMax)) dualObjective = -Infinity; // dual infeasible
  }
  let fun = 0;
  for (let j = 0; j < nVars; j++) fun += c[j]! * x[j]!;
  return { status: "optimal", x, fun, eqMarginals, ubMarginals, reducedCosts, dualObjective, iterations };
}
