import assert from "node:assert/strict";
import { Rng } from "../stages/data/random.ts";
import { loadFixture } from "./fixtures/load_fixture.ts";
import { type Bound, linprog, type LpOptimal, type LpResult } from "./linprog.ts";
import { fromRows, type Matrix, matvec } from "./matrix.ts";
import { gaussianMatrix } from "./random_orthogonal.ts";

/**
 * The brief's accuracy target for primal = dual; a simplex optimum is a vertex re-solved by LU, so
 * its rounding is κ(B)·ε, far below this for the well-scaled problems here.
 */
const TOL = 1e-9;

interface LpCase {
  name: string;
  c: number[];
  aUb?: number[][];
  bUb?: number[];
  aEq?: number[][];
  bEq?: number[];
  bounds: [number | null, number | null][];
  status: number;
  x?: number[];
  fun?: number;
  eqMarginals?: number[];
  ubMarginals?: number[];
  wasserstein?: number;
}

function optimal(r: LpResult): LpOptimal {
  assert.equal(r.status, "optimal", r.status === "optimal" ? "" : r.message);
  return r as LpOptimal;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** Primal feasibility, dual feasibility, complementary slackness and strong duality, to TOL. */
function assertOptimality(
  p: { c: ArrayLike<number>; aUb?: Matrix; bUb?: ArrayLike<number>; aEq?: Matrix; bEq?: ArrayLike<number> },
  bounds: readonly Bound[],
  r: LpOptimal,
  label: string,
) {
  const scale = 1 + Math.abs(r.fun);
  if (p.aUb) {
    const ax = matvec(p.aUb, r.x);
    ax.forEach((v, i) => {
      assert.ok(v <= p.bUb![i]! + TOL, `${label}: row ${i} violated`);
      assert.ok(r.ubMarginals[i]! <= TOL, `${label}: ≤ row ${i} has a positive dual`);
      // Complementary slackness: a slack row has a zero dual.
      assert.ok(Math.abs(r.ubMarginals[i]! * (p.bUb![i]! - v)) <= TOL * scale, `${label}: slackness ${i}`);
    });
  }
  if (p.aEq) {
    matvec(p.aEq, r.x).forEach((v, i) => assert.ok(Math.abs(v - p.bEq![i]!) <= TOL, `${label}: = row ${i}`));
  }
  r.x.forEach((v, j) => {
    const lo = bounds[j]![0] ?? -Infinity, hi = bounds[j]![1] ?? Infinity;
    assert.ok(v >= lo - TOL && v <= hi + TOL, `${label}: x[${j}] = ${v} outside [${lo}, ${hi}]`);
    const d = r.reducedCosts[j]!;
    // A reduced cost may be positive only at the lower bound and negative only at the upper one.
    if (d > TOL) assert.ok(Math.abs(v - lo) <= TOL, `${label}: x[${j}] has d = ${d} off its lower bound`);
    if (d < -TOL) assert.ok(Math.abs(v - hi) <= TOL, `${label}: x[${j}] has d = ${d} off its upper bound`);
  });
  assert.ok(
    Math.abs(r.fun - r.dualObjective) <= TOL * scale,
    `${label}: primal ${r.fun} ≠ dual ${r.dualObjective}`,
  );
}

Deno.test("the module example", () => {
  // max x + y subject to x + 2y ≤ 4, 3x + y ≤ 6, x, y ≥ 0
  const r = optimal(linprog({ c: [-1, -1], aUb: fromRows([[1, 2], [3, 1]]), bUb: [4, 6] }));
  // r.status "optimal", r.x [1.6, 1.2], r.fun −2.8, r.ubMarginals [−0.4, −0.2]
  assert.ok(maxDiff(r.x, [1.6, 1.2]) < 1e-15);
  assert.ok(Math.abs(r.fun + 2.8) < 1e-15);
  assert.ok(maxDiff(r.ubMarginals, [-0.4, -0.2]) < 1e-15);
});

Deno.test("linprog() matches scipy.optimize.linprog/HiGHS (linprog.json): x, fun and the duals", () => {
  for (const c of loadFixture<LpCase>("linprog")) {
    const problem = {
      c: c.c,
      bounds: c.bounds,
      ...(c.aUb ? { aUb: fromRows(c.aUb), bUb: c.bUb! } : {}),
      ...(c.aEq ? { aEq: fromRows(c.aEq), bEq: c.bEq! } : {}),
    };
    const r = linprog(problem);
    const expected = ({ 0: "optimal", 2: "infeasible", 3: "unbounded" } as Record<number, string>)[c.status];
    assert.equal(r.status, expected, c.name);
    if (r.status !== "optimal") continue;
    assert.ok(Math.abs(r.fun - c.fun!) <= TOL * (1 + Math.abs(c.fun!)), `${c.name}: fun`);
    assertOptimality(problem, c.bounds, r, c.name);
    if (c.wasserstein !== undefined) {
      // A transport problem: the plan and the potentials are not unique, the optimum is (the CDF formula).
      assert.ok(Math.abs(r.fun - c.wasserstein) <= TOL, `${c.name}: W₁`);
      continue;
    }
    // Random data: a unique, non-degenerate optimum, so x and both sets of duals are unique too.
    assert.ok(maxDiff(r.x, c.x!) <= TOL, `${c.name}: x`);
    assert.ok(maxDiff(r.eqMarginals, c.eqMarginals!) <= TOL, `${c.name}: eq marginals`);
    assert.ok(maxDiff(r.ubMarginals, c.ubMarginals!) <= TOL, `${c.name}: ub marginals`);
  }
});

Deno.test("linprog() on random feasible programmes: optimality conditions and strong duality", () => {
  const rng = new Rng(80);
  for (const [n, mUb, mEq] of [[3, 5, 0], [10, 15, 4], [30, 40, 10], [60, 20, 30]]) {
    const x0 = Float64Array.from({ length: n! }, () => rng.uniform(-1, 1));
    const aUb = gaussianMatrix(mUb!, n!, rng);
    const bUb = matvec(aUb, x0).map((v) => v + rng.uniform(0.1, 1));
    const aEq = gaussianMatrix(mEq!, n!, rng);
    const bEq = matvec(aEq, x0);
    const c = Float64Array.from({ length: n! }, () => rng.normal());
    const bounds: Bound[] = Array.from(
      { length: n! },
      (_, j) => (j % 3 === 0 ? [null, 2] : j % 3 === 1 ? [-2, 2] : [-2, null]),
    );
    const problem = { c, aUb, bUb, aEq, bEq, bounds };
    assertOptimality(problem, bounds, optimal(linprog(problem)), `${n} vars, ${mUb} ≤, ${mEq} =`);
  }
});

Deno.test("linprog() solves Beale's example, on which the textbook simplex cycles, with either pricing rule", () => {
  // min −¾x₄ + 150x₅ − x₆/50 + 6x₇ s.t. ¼x₄ − 60x₅ − x₆/25 + 9x₇ ≤ 0, ½x₄ − 90x₅ − x₆/50 + 3x₇ ≤ 0, x₆ ≤ 1:
  // the textbook simplex with Dantzig's rule cycles forever; the optimum is −1/20 at x = (1/25, 0, 1, 0).
  const problem = {
    c: [-0.75, 150, -0.02, 6],
    aUb: fromRows([[0.25, -60, -0.04, 9], [0.5, -90, -0.02, 3], [0, 0, 1, 0]]),
    bUb: [0, 0, 1],
  };
  for (const blandAfter of [50, 0]) {
    const r = optimal(linprog(problem, { blandAfter }));
    assert.ok(Math.abs(r.fun + 0.05) < 1e-15);
    assert.ok(maxDiff(r.x, [0.04, 0, 1, 0]) < 1e-15);
    assertOptimality(problem, [[0, null], [0, null], [0, null], [0, null]], r, "Beale");
  }
});

Deno.test("linprog() with Bland's rule throughout reaches the same optima as with Dantzig's", () => {
  for (const c of loadFixture<LpCase>("linprog")) {
    if (c.status !== 0) continue;
    const problem = {
      c: c.c,
      bounds: c.bounds,
      ...(c.aUb ? { aUb: fromRows(c.aUb), bUb: c.bUb! } : {}),
      ...(c.aEq ? { aEq: fromRows(c.aEq), bEq: c.bEq! } : {}),
    };
    const dantzig = optimal(linprog(problem));
    const bland = optimal(linprog(problem, { blandAfter: 0 }));
    assert.ok(Math.abs(bland.fun - c.fun!) <= TOL * (1 + Math.abs(c.fun!)), c.name);
    assertOptimality(problem, c.bounds, bland, `${c.name} (Bland)`);
    assert.ok(bland.iterations >= 1 && dantzig.iterations >= 1);
  }
});

Deno.test("linprog() handles redundant equalities, free variables and a programme with no rows", () => {
  // x + y = 1 stated twice, and 2x + 2y = 2: rank one.
  const r = optimal(linprog({ c: [1, 2], aEq: fromRows([[1, 1], [1, 1], [2, 2]]), bEq: [1, 1, 2] }));
  assert.ok(maxDiff(r.x, [1, 0]) < 1e-15);
  assert.ok(Math.abs(r.fun - r.dualObjective) < 1e-15);
  // A free variable: min |shape| via x ≥ −3 stated as a row.
  const free = optimal(linprog({ c: [1], aUb: fromRows([[-1]]), bUb: [3], bounds: [null, null] }));
  assert.ok(Math.abs(free.x[0]! + 3) < 1e-15);
  const boxOnly = optimal(linprog({ c: [1, -1], bounds: [[-1, 4], [2, 5]] }));
  assert.deepEqual([...boxOnly.x], [-1, 5]);
  assert.equal(boxOnly.dualObjective, boxOnly.fun);
});

Deno.test("linprog() reports infeasible and unbounded programmes, and rejects malformed ones by name", () => {
  const inf = linprog({ c: [1, 1], aUb: fromRows([[1, 1]]), bUb: [-1] });
  assert.equal(inf.status, "infeasible");
  assert.match((inf as { message: string }).message, /infeasible/);
  const unb = linprog({ c: [-1, 0], aUb: fromRows([[1, -1]]), bUb: [1] });
  assert.equal(unb.status, "unbounded");
  assert.equal(linprog({ c: [-1], bounds: [0, null] }).status, "unbounded");
  assert.throws(
    () => linprog({ c: [1, 2], aUb: fromRows([[1, 2, 3]]), bUb: [1] }),
    /aUb has 3 columns but c has 2/,
  );
  assert.throws(
    () => linprog({ c: [1, 2], aUb: fromRows([[1, 2]]), bUb: [1, 2] }),
    /bUb has 2 values, expected 1/,
  );
  assert.throws(() => linprog({ c: [1, NaN] }), /c\[1\] is NaN/);
  assert.throws(() => linprog({ c: [1], bounds: [2, 1] }), /bounds \[2, 1\] of x\[0\] are empty/);
  assert.throws(() => linprog({ c: [1, 1], bounds: [[0, 1]] }), /1 bounds for 2 variables/);
});
