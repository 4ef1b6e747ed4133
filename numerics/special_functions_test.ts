import assert from "node:assert/strict";
import {
  chiSquareSurvival,
  erf,
  erfc,
  logGamma,
  normalCdf,
  normalPdf,
  regularizedGammaP,
  regularizedGammaQ,
} from "./special_functions.ts";

// Reference values from SciPy 1.10 (scipy.special.erf/erfc/gammaln, scipy.stats.norm.cdf, chi2.sf).
const close = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: ${got} vs ${want}`);

Deno.test("erf and erfc match SciPy to 1e-15 relative, far into the tail", () => {
  const table: [number, number, number][] = [
    [0, 0, 1],
    [1e-10, 1.1283791670955126e-10, 0.999999999887162],
    [0.1, 0.1124629160182849, 0.8875370839817152],
    [0.5, 0.5204998778130465, 0.4795001221869535],
    [1, 0.8427007929497148, 0.15729920705028516],
    [Math.SQRT2, 0.9544997361036416, 0.04550026389635839],
    [2, 0.9953222650189527, 0.004677734981047266],
    [3, 0.9999779095030014, 2.2090496998585445e-05],
    [5, 0.9999999999984626, 1.5374597944280347e-12],
    [6.5, 1, 3.842148327120647e-20],
  ];
  for (const [x, e, c] of table) {
    close(erf(x), e, 2e-15, `erf(${x})`);
    close(erf(-x), -e, 2e-15, `erf(−${x})`);
    // 1 − erf loses relative accuracy below x = 2 in proportion to 1/erfc (x = 1.9: ×140).
    close(erfc(x), c, x < 2 ? 4e-16 / c : 2e-15, `erfc(${x})`);
  }
  assert.ok(Number.isNaN(erf(NaN)));
});

Deno.test("normalCdf matches SciPy in both tails; normalPdf integrates to Φ", () => {
  const table: [number, number][] = [
    [-8, 6.22096057427174e-16],
    [-2, 0.022750131948179195],
    [-1, 0.15865525393145707],
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [2, 0.9772498680518208],
    [8, 0.9999999999999993],
  ];
  // Rounding x/√2 moves e^(−x²/2) by a relative x²·ε: the tail's own conditioning.
  for (const [x, p] of table) close(normalCdf(x), p, 4e-15 + x * x * 2 ** -52, `Φ(${x})`);
  // Simpson's rule on φ over [0, 2] (h = 1e-3, error ≈ h⁴·max|φ⁗|/180 < 1e-14) gives Φ(2) − ½.
  const h = 1e-3;
  let s = normalPdf(0) + normalPdf(2);
  for (let i = 1; i < 2000; i++) s += (i % 2 ? 4 : 2) * normalPdf(i * h);
  close((s * h) / 3, normalCdf(2) - 0.5, 1e-13, "∫₀² φ");
});

Deno.test("logGamma matches SciPy and the recurrence Γ(x+1) = xΓ(x)", () => {
  const table: [number, number][] = [
    [0.5, 0.5723649429247],
    [1, 0],
    [2.5, 0.2846828704729192],
    [10, 12.801827480081469],
    [100.5, 361.43554046777757],
  ];
  for (const [x, v] of table) assert.ok(Math.abs(logGamma(x) - v) <= 1e-14 * Math.max(1, v), `lnΓ(${x})`);
  for (const x of [0.1, 0.7, 3.3, 20]) {
    assert.ok(Math.abs(logGamma(x + 1) - logGamma(x) - Math.log(x)) < 1e-13, `recurrence at ${x}`);
  }
  assert.throws(() => logGamma(0), /must be positive/);
});

Deno.test("the χ² survival function matches SciPy, including its 5% points and tiny p-values", () => {
  const table: [number, number, number][] = [
    [3.841458820694124, 1, 0.04999999999999989],
    [9.487729036781154, 4, 0.05000000000000006],
    [2, 9, 0.9914676066288135],
    [70, 49, 0.026054770413323585],
    [1e-4, 1, 0.9920212873707368],
    [150, 99, 0.0007204453957169282],
    [0, 3, 1],
    [40, 2, 2.0611536224385566e-09],
  ];
  for (const [x, k, p] of table) close(chiSquareSurvival(x, k), p, 1e-13, `χ²_${k} sf(${x})`);
  // χ²₂ is exponential: P(χ² ≥ x) = e^(−x/2) exactly.
  for (const x of [0.3, 5, 60]) close(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-14, `χ²₂ at ${x}`);
  for (const [a, x] of [[0.5, 0.2], [3, 1], [3, 7], [40, 35]] as const) {
    assert.ok(Math.abs(regularizedGammaP(a, x) + regularizedGammaQ(a, x) - 1) < 1e-15, `P + Q at ${a}, ${x}`);
  }
  assert.throws(() => chiSquareSurvival(1, 0), /degrees of freedom/);
});
