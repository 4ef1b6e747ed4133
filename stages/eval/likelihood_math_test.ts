import assert from "node:assert/strict";
import { dataJacobian, LogMeanExp, meanAndError, selectSnapshot, summarizeNll } from "./likelihood_math.ts";

Deno.test("dataJacobian(): D·log a for each scale of dequantised levels; none for float or discrete models", () => {
  const pixels = { dtype: "uint8" as const, shape: [28, 28, 1], levels: 256 };
  assert.equal(dataJacobian(pixels, { dequantize: true }, false).logJacobian, 784 * Math.log(1 / 256));
  assert.equal(
    dataJacobian(pixels, { dequantize: true, scale: "symmetric" }, false).logJacobian,
    784 * Math.log(2 / 256),
  );
  assert.equal(dataJacobian(pixels, { dequantize: true, scale: "levels" }, false).logJacobian, 0);
  assert.equal(dataJacobian(pixels, { binarize: "dynamic" }, true).kind, "discrete");
  assert.equal(dataJacobian({ dtype: "float32", shape: [2] }, {}, false).kind, "continuous");
  assert.throws(() => dataJacobian(pixels, { scale: "symmetric", addNoise: 1 / 256 }, false), /addNoise/);
  assert.throws(() => dataJacobian(pixels, { binarize: "fixed" }, false), /log-probabilities/);
});

Deno.test("summarizeNll(): nats and bits per dimension with the Jacobian, standard error of the mean", () => {
  const j = dataJacobian({ dtype: "uint8", shape: [2], levels: 256 }, { dequantize: true }, false);
  const s = summarizeNll([0, 2], j);
  // −log q = 0 and −2; NLL of the levels adds 2·log 256.
  assert.ok(Math.abs(s.nll - (-1 + 2 * Math.log(256))) < 1e-12);
  assert.ok(Math.abs(s.bpd - s.nll / (2 * Math.LN2)) < 1e-15);
  assert.ok(Math.abs(s.nllSe - 1) < 1e-12); // sd √2 over √2 records
  assert.deepEqual(meanAndError([3, 3, 3]), { mean: 3, se: 0 });
});

Deno.test("LogMeanExp over chunks equals log-mean-exp of all the weights at once, without overflow", () => {
  const w = [1000, 1001, -5, 3, 999.5, 1002];
  const acc = new LogMeanExp(2);
  acc.add([w[0]!, w[1]!, w[2]!, w[3]!], 2); // records [0: 1000, 1001], [1: −5, 3]
  acc.add([w[4]!, w[5]!], 1); // one more draw each
  const direct = (xs: number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0) / xs.length);
  };
  const [a, b] = acc.result();
  assert.ok(Math.abs(a! - direct([1000, 1001, 999.5])) < 1e-12);
  assert.ok(Math.abs(b! - direct([-5, 3, 1002])) < 1e-12);
});

Deno.test("selectSnapshot(): lowest NLL on the selection split, the last without one, never the test split", () => {
  const rows = [
    { step: 0, split: "validation", nll: 3 },
    { step: 5, split: "validation", nll: 1 },
    { step: 9, split: "validation", nll: 2 },
    { step: 0, split: "test", nll: 0 },
  ];
  assert.equal(selectSnapshot(rows, "validation"), 5);
  assert.equal(selectSnapshot(rows, null), 9);
  assert.throws(() => selectSnapshot(rows, "test"), /test split/);
  assert.throws(() => selectSnapshot(rows, "train"), /No NLL on split 'train'/);
});
