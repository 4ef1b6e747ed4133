/**
 * The data of the em-gmm pipeline, as pure functions so that the dev-time scikit-learn fixture script
 * (fixtures/make_sklearn_fixture.ts) builds exactly the arrays and starts the stages use: a 2-D
 * synthetic mixture with known parameters, and the 8×8 digits projected on their first principal
 * components. A digest of each (data and start) ties the fixture to them.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { symmetricEigen } from "../../numerics/sym_eigen.ts";
import { mixSeed, Rng } from "../../stages/data/random.ts";
import { dataMoments, type Gmm, initialGmm, sampleGmm } from "./gmm.ts";

/** The synthetic mixture: three 2-D Gaussians of unequal weights, shapes and orientations. */
export const SYNTHETIC_TRUTH = {
  weights: [0.5, 0.3, 0.2],
  means: [[0, 0], [3, 1], [-1, 3]],
  covs: [[[1, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 0.8]], [[0.4, 0], [0, 1.2]]],
};

export type MixtureSpec = typeof SYNTHETIC_TRUTH;

/** A mixture spec as a Gmm. */
export function gmmOf(spec: { weights: number[]; means: number[][]; covs: number[][][] }): Gmm {
  const k = spec.weights.length, d = spec.means[0]!.length;
  return {
    k,
    d,
    weights: Float64Array.from(spec.weights),
    means: Float64Array.from(spec.means.flat()),
    covs: Float64Array.from(spec.covs.flat(2)),
  };
}

/** `n` samples of the mixture (seed `seed`) and the start of EM (k-means++ from `initSeed`). */
export function syntheticData(
  truth: { weights: number[]; means: number[][]; covs: number[][][] },
  n: number,
  seed: number,
  initSeed: number,
): { x: Float64Array; component: Int32Array; start: Gmm; truth: Gmm } {
  const g = gmmOf(truth);
  const { x, component } = sampleGmm(g, n, new Rng(mixSeed(seed, 1)));
  return { x, component, start: initialGmm(x, g.d, g.k, new Rng(mixSeed(initSeed, 2))), truth: g };
}

/**
 * The first `dims` principal components of `train` (rows of `width` values), fitted on train and
 * applied to both: centred, projected on the eigenvectors of the covariance with the largest
 * eigenvalues (sign fixed so that each component's largest loading is positive).
 */
export function pcaProject(
  train: Float64Array,
  test: Float64Array,
  width: number,
  dims: number,
): { train: Float64Array; test: Float64Array; explained: number } {
  const { mean, cov } = dataMoments(train, width);
  const eig = symmetricEigen(cov, width, { vectors: true });
  const values = Array.from(eig.values);
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!).slice(0, dims);
  const vectors = eig.vectors!;
  const basis = new Float64Array(dims * width);
  order.forEach((col, j) => {
    let big = 0;
    for (let a = 0; a < width; a++) {
      if (Math.abs(vectors[a * width + col]!) > Math.abs(big)) big = vectors[a * width + col]!;
    }
    const sign = big < 0 ? -1 : 1;
    for (let a = 0; a < width; a++) basis[j * width + a] = sign * vectors[a * width + col]!;
  });
  const project = (x: Float64Array) => {
    const n = x.length / width;
    const out = new Float64Array(n * dims);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dims; j++) {
        let s = 0;
        for (let a = 0; a < width; a++) s += (x[i * width + a]! - mean[a]!) * basis[j * width + a]!;
        out[i * dims + j] = s;
      }
    }
    return out;
  };
  const total = values.reduce((a, b) => a + b, 0);
  const explained = order.reduce((s, i) => s + values[i]!, 0) / total;
  return { train: project(train), test: project(test), explained };
}

/** sha256 of the data and the start's parameters as float64 bytes: what the fixture was computed on. */
export function dataDigest(x: Float64Array, start: Gmm): string {
  const h = createHash("sha256");
  for (const a of [x, start.weights, start.means, start.covs]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest("hex");
}

/**
 * The digits as EM sees them: train and test splits of a `data.sklearn-digits` shard set as pixel
 * levels 0..16, projected on the train split's first `dims` principal components, and the start of EM
 * (k-means++ from `initSeed` on the projected train split).
 */
export async function digitsData(
  shardsDir: string,
  options: { dims: number; components: number; initSeed: number },
): Promise<
  { train: Float64Array; test: Float64Array; trainLabels: Int32Array; explained: number; start: Gmm }
> {
  const { openShards } = await import("../../stages/data/shard_reader.ts");
  const shards = await openShards(shardsDir);
  const read = async (split: string) => {
    const all = await shards.readAll(split, { transform: { scale: "levels" } });
    return { x: Float64Array.from(all.x as Float32Array), y: all.y as Int32Array };
  };
  const train = await read("train"), test = await read("test");
  const pca = pcaProject(train.x, test.x, 64, options.dims);
  const start = initialGmm(
    pca.train,
    options.dims,
    options.components,
    new Rng(mixSeed(options.initSeed, 2)),
  );
  return { train: pca.train, test: pca.test, trainLabels: train.y, explained: pca.explained, start };
}
