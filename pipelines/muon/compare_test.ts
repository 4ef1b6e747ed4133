import assert from "node:assert/strict";
import { compareTuned, type SweepRun, trailingMean } from "./compare.ts";

Deno.test("trailingMean averages the windows ending in (s − span, s]", () => {
  assert.deepEqual(trailingMean([10, 20, 30, 40], [4, 2, 6, 0], 20), [4, 3, 4, 3]);
  assert.deepEqual(trailingMean([10, 20], [4, 2], 1), [4, 2]);
});

const run = (optimizer: "adamw" | "muon", lr: number, loss: number[]): SweepRun => ({
  variant: `${optimizer}-${lr}`,
  model: "mlp",
  optimizer,
  lr,
  steps: loss.map((_, i) => 100 * (i + 1)),
  loss,
  accuracy: 0.8,
});

Deno.test("compareTuned tunes each optimizer on its own and interpolates Muon's step to AdamW's final loss", () => {
  const c = compareTuned([
    run("adamw", 1e-3, [2, 1.5, 1.2, 1.0]),
    run("adamw", 3e-3, [2, 1.4, 1.1, 0.9]), // tuned: final 0.9
    run("muon", 0.005, [2, 1.6, 1.3, 1.1]),
    run("muon", 0.02, [1.5, 1.0, 0.8, 0.7]), // tuned; crosses 0.9 half way between steps 200 and 300
  ]);
  assert.equal(c.adamw.lr, 3e-3);
  assert.equal(c.muon.lr, 0.02);
  assert.equal(c.target, 0.9);
  assert.ok(Math.abs(c.muonSteps! - 250) < 1e-9);
  assert.equal(c.adamwSteps, 400);
});

Deno.test("compareTuned: a Muon that never reaches AdamW's loss has no step; a missing optimizer is an error", () => {
  const c = compareTuned([run("adamw", 1e-3, [2, 1]), run("muon", 0.02, [2, 1.5])]);
  assert.equal(c.muonSteps, null);
  assert.throws(() => compareTuned([run("adamw", 1e-3, [2, 1])]), /no muon run/);
});
