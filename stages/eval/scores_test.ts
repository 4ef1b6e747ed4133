import assert from "node:assert/strict";
import { classCoverage, inceptionScore, predictedClasses } from "./scores.ts";

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);

function oneHot(labels: number[], classes: number): Float64Array {
  const out = new Float64Array(labels.length * classes);
  labels.forEach((label, r) => (out[r * classes + label] = 1));
  return out;
}

Deno.test("inceptionScore() is 1 for uniform predictions", () => {
  const probs = new Float64Array(50 * 10).fill(0.1);
  close(inceptionScore(probs, 10).score, 1);
});

Deno.test("inceptionScore() equals K for confident predictions balanced over K classes", () => {
  const labels = Array.from({ length: 40 }, (_, i) => i % 10);
  close(inceptionScore(oneHot(labels, 10), 10).score, 10);
  const split = inceptionScore(oneHot(labels, 10), 10, { splits: 4 }); // each split holds every class once
  assert.deepEqual(split.splits.map((s) => Math.round(s * 1e9) / 1e9), [10, 10, 10, 10]);
  close(split.std, 0);
});

Deno.test("inceptionScore() is 1 when every sample is the same class, however confident", () => {
  close(inceptionScore(oneHot([3, 3, 3], 5), 5).score, 1);
});

Deno.test("inceptionScore() matches a hand computation with soft predictions", () => {
  // p(y) = (0.5, 0.5); KL of each row = 0.9 ln 1.8 + 0.1 ln 0.2.
  const kl = 0.9 * Math.log(1.8) + 0.1 * Math.log(0.2);
  close(inceptionScore([0.9, 0.1, 0.1, 0.9], 2).score, Math.exp(kl));
  // Unequal splits: [one-hot a, one-hot b] → 2; [uniform] → 1; mean 1.5, std 0.5.
  const s = inceptionScore([1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5], 2, { splits: 2 });
  close(s.splits[0]!, 2);
  close(s.splits[1]!, 1);
  close(s.score, 1.5);
  close(s.std, 0.5);
});

Deno.test("inceptionScore() rejects logits and misshapen input by name", () => {
  assert.throws(
    () => inceptionScore([2, -1], 2),
    /row 0 has probability -1; pass softmax outputs, not logits/,
  );
  assert.throws(() => inceptionScore([0.5, 0.2], 2), /row 0 sums to 0.7/);
  assert.throws(() => inceptionScore([1, 0, 0], 2), /3 values is not a whole number of rows of 2 classes/);
  assert.throws(() => inceptionScore([1, 0], 2, { splits: 2 }), /into 2 parts: use an integer in 1..1/);
});

Deno.test("predictedClasses() takes the argmax, ties to the lower index", () => {
  assert.deepEqual([...predictedClasses([0.1, 0.7, 0.2, 0.5, 0.5, 0, -1, -3, 4], 3)], [1, 0, 2]);
});

Deno.test("classCoverage() counts classes and the KL of the histogram from uniform", async (t) => {
  await t.step("balanced → KL 0, all covered", () => {
    const c = classCoverage([0, 1, 2, 3, 3, 2, 1, 0], 4);
    assert.equal(c.covered, 4);
    close(c.klFromUniform, 0);
    assert.deepEqual(c.histogram, [0.25, 0.25, 0.25, 0.25]);
  });
  await t.step("one class → KL ln K", () => {
    const c = classCoverage([7, 7, 7], 10);
    assert.equal(c.covered, 1);
    close(c.klFromUniform, Math.log(10));
  });
  await t.step("hand computation and minCount", () => {
    // histogram (1/2, 1/4, 1/4, 0): KL = ½ ln 2 + ¼ ln 1 + ¼ ln 1.
    const c = classCoverage([0, 0, 1, 2], 4);
    assert.deepEqual(c.counts, [2, 1, 1, 0]);
    assert.equal(c.covered, 3);
    close(c.klFromUniform, 0.5 * Math.LN2);
    assert.equal(classCoverage([0, 0, 1, 2], 4, { minCount: 2 }).covered, 1);
  });
  await t.step("bad labels are named", () => {
    assert.throws(() => classCoverage([0, 10], 10), /label 10 at index 1: labels must be integers in 0..9/);
  });
});
