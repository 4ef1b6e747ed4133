import assert from "node:assert/strict";
import { caseTable, EPS, errorPlots, expmSteps, worstRatio } from "./error_plots.ts";

Deno.test("expmSteps counts the degree-13 products, the solve and the squarings", () => {
  assert.equal(expmSteps(1), 7);
  assert.equal(expmSteps(5.371920351148152), 7);
  assert.equal(expmSteps(6), 8); // one squaring brings ‖A‖₁ = 6 under θ₁₃
  assert.equal(expmSteps(5.371920351148152 * 1024), 17);
});

Deno.test("worstRatio and the fragments: one series per family plus the floor line", () => {
  const cases = [
    { family: "a", n: 2, kappa: 10, error: 1e-15, floor: 2 * 10 * EPS },
    { family: "a", n: 4, kappa: 10, error: 0, floor: 4 * 10 * EPS },
    { family: "b", n: 2, kappa: 1e3, error: 1e-13, floor: 2 * 1e3 * EPS },
  ];
  assert.equal(worstRatio(cases), 1e-15 / (20 * EPS));
  const [byN, byFloor] = errorPlots(cases, "x");
  assert.ok(byN?.kind === "line" && byN.series.length === 2);
  assert.ok(byFloor?.kind === "line" && byFloor.series.length === 3);
  assert.match(byN.options?.subtitle ?? "", /1 exact \(error 0\) not shown/);
  const table = caseTable(cases, "c");
  assert.ok(table.kind === "table" && table.rows.length === 3);
});
