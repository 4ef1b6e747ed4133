import assert from "node:assert/strict";
import { meanSe, slope, stdLabel } from "./grad_norms.ts";

Deno.test("slope is the least-squares slope; a 2^(l/2) profile in log₂ has slope 0.5", () => {
  const l = [1, 2, 3, 4, 5];
  assert.ok(Math.abs(slope(l, l.map((x) => Math.log2(2 ** (x / 2)))) - 0.5) < 1e-15);
  assert.ok(Math.abs(slope([0, 1, 2], [1, 0, 2]) - 0.5) < 1e-15); // (−1·1 + 0 + 1·2)/2
});

Deno.test("meanSe gives the mean and the standard error of the mean", () => {
  const { mean, se } = meanSe([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(se - Math.sqrt(5 / 3 / 4)) < 1e-15); // sample variance 5/3
});

Deno.test("stdLabel names an init std by its first four decimals", () => {
  assert.equal(stdLabel(0.0176), "std176");
  assert.equal(stdLabel(0.0884), "std884");
});
