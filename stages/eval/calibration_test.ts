import assert from "node:assert/strict";
import { Rng } from "../data/random.ts";
import { calibration, featureRatio, meanConfidence, stepsToReach } from "./calibration.ts";

Deno.test("calibration: a classifier whose confidence is its accuracy has ECE near zero, within sampling error", () => {
  // Confidence c ~ U(0.5, 1) over 2 classes, right with probability c: calibrated by construction.
  const rng = new Rng(3);
  const n = 200_000;
  const logits = new Float64Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = 0.5 + 0.5 * rng.float();
    logits[2 * i] = Math.log(c / (1 - c));
    labels[i] = rng.float() < c ? 0 : 1;
  }
  const r = calibration(logits, labels, 2, 10);
  // Each bin's accuracy has s.e. ≤ √(0.25/(n/5)) ≈ 0.0022; |error| summed with weights stays below 4 s.e.
  assert.ok(r.ece < 0.009, `ECE ${r.ece}`);
  assert.ok(Math.abs(r.confidence - 0.75) < 0.003);
  assert.ok(Math.abs(r.accuracy - 0.75) < 0.005);
});

Deno.test("calibration: an overconfident classifier's ECE is its confidence minus its accuracy", () => {
  // Always 0.99 sure, right 80% of the time: one bin, ECE = 0.19, loss = −0.8 log 0.99 − 0.2 log 0.01.
  const n = 1000;
  const logits = new Float64Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    logits[2 * i] = Math.log(99);
    labels[i] = i % 5 === 0 ? 1 : 0;
  }
  const r = calibration(logits, labels, 2, 15);
  assert.ok(Math.abs(r.ece - 0.19) < 1e-12, `${r.ece}`);
  assert.ok(Math.abs(r.loss - (-0.8 * Math.log(0.99) - 0.2 * Math.log(0.01))) < 1e-12);
  assert.equal(r.bins.filter((b) => b.count > 0).length, 1);
  assert.equal(r.bins.at(-1)!.count, n);
  assert.throws(() => calibration(logits, labels.subarray(1), 2), /logits/);
});

Deno.test("meanConfidence: uniform logits give 1/classes", () => {
  assert.ok(Math.abs(meanConfidence(new Float64Array(40), 10) - 0.1) < 1e-15);
});

Deno.test("featureRatio: two clusters at distance 10 with points 1 from their centres give 0.1, whatever the scale", () => {
  const f = Float64Array.of(-5, 1, -5, -1, 5, 1, 5, -1);
  const y = Int32Array.of(0, 0, 1, 1);
  const r = featureRatio(f, y, 2, 2);
  assert.ok(
    Math.abs(r.intra - 1) < 1e-15 && Math.abs(r.inter - 10) < 1e-15 && Math.abs(r.ratio - 0.1) < 1e-15,
  );
  const scaled = featureRatio(f.map((v) => 0.01 * v), y, 2, 2);
  assert.ok(Math.abs(scaled.ratio - 0.1) < 1e-14);
  // A class missing from the sample leaves the pairs of the others.
  assert.ok(Math.abs(featureRatio(f, y, 2, 3).ratio - 0.1) < 1e-15);
});

Deno.test("stepsToReach interpolates between the snapshots around the crossing", () => {
  assert.equal(stepsToReach([0, 100, 200], [0.1, 0.5, 0.9], 0.7), 150);
  assert.equal(stepsToReach([0, 100, 200], [0.1, 0.5, 0.9], 0.95), null);
  assert.equal(stepsToReach([10, 20], [2, 1], 1.5, true), 15);
  assert.equal(stepsToReach([10, 20], [2, 1], 3, true), 10);
});
