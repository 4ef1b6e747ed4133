import assert from "node:assert/strict";
import { nearestNeighbors } from "./nearest.ts";
import { seededRandom } from "./_test_random.ts";

/** The obvious O(Q·N·D) search, for comparison. */
function naive(queries: Float32Array, train: Float32Array, dim: number) {
  const index: number[] = [];
  const distance: number[] = [];
  for (let i = 0; i < queries.length / dim; i++) {
    let best = Infinity, at = -1;
    for (let t = 0; t < train.length / dim; t++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (queries[i * dim + j]! - train[t * dim + j]!) ** 2;
      if (s < best) [best, at] = [s, t];
    }
    index.push(at);
    distance.push(Math.sqrt(best));
  }
  return { index, distance };
}

function images(count: number, dim: number, seed: number, background: number): Float32Array {
  const rng = seededRandom(seed);
  const out = new Float32Array(count * dim);
  for (let k = 0; k < out.length; k++) out[k] = rng.uniform() < 0.7 ? background : rng.uniform() * 2 - 1;
  return out;
}

Deno.test("nearestNeighbors() agrees with a naive search", async (t) => {
  for (const background of [0, -1, 0.25]) {
    await t.step(`background ${background}`, () => {
      const dim = 20;
      const train = images(300, dim, 1, background);
      const queries = images(7, dim, 2, background);
      const ours = nearestNeighbors(queries, train, dim);
      const ref = naive(queries, train, dim);
      assert.deepEqual([...ours.index], ref.index);
      for (let i = 0; i < ref.distance.length; i++) {
        assert.ok(Math.abs(ours.distance[i]! - ref.distance[i]!) < 1e-12);
      }
    });
  }
});

Deno.test("nearestNeighbors() finds exact copies at distance 0 and breaks ties to the lower index", () => {
  const dim = 784;
  const train = images(500, dim, 3, -1);
  train.copyWithin(400 * dim, 123 * dim, 124 * dim); // row 400 duplicates row 123
  const queries = new Float32Array(3 * dim);
  queries.set(train.subarray(400 * dim, 401 * dim), 0); // a copy of rows 123 and 400
  queries.set(train.subarray(7 * dim, 8 * dim), dim);
  queries.set(train.subarray(7 * dim, 8 * dim).map((v) => v + 1e-3), 2 * dim); // almost a copy
  const { index, distance } = nearestNeighbors(queries, train, dim);
  assert.deepEqual([...index], [123, 7, 7]);
  assert.equal(distance[0], 0);
  assert.equal(distance[1], 0);
  assert.ok(Math.abs(distance[2]! - 1e-3 * Math.sqrt(dim)) < 1e-6);
});

Deno.test("nearestNeighbors() on MNIST-sized input matches the naive search on sampled queries", () => {
  const dim = 784;
  const train = images(10_000, dim, 4, 0);
  const queries = images(64, dim, 5, 0);
  const ours = nearestNeighbors(queries, train, dim);
  const some = new Float32Array([...queries.subarray(0, dim), ...queries.subarray(63 * dim)]);
  const ref = naive(some, train, dim);
  assert.deepEqual([ours.index[0], ours.index[63]], ref.index);
  assert.ok(Math.abs(ours.distance[63]! - ref.distance[1]!) < 1e-12);
});

Deno.test("nearestNeighbors() names bad input", () => {
  assert.throws(
    () => nearestNeighbors(new Float32Array(3), new Float32Array(4), 2),
    /3 query values is not a whole number/,
  );
  assert.throws(
    () => nearestNeighbors(new Float32Array(2), new Float32Array([0, 1, NaN, 0]), 2),
    /training row 1 has pixel 0 = NaN/,
  );
});
