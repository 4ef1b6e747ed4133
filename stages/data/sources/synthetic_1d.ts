/**
 * `data.synthetic-1d`: seeded samples of the 1-D mixtures of the Fourier-density article
 * (kexue.fm/archives/10007, after google/codex's Fourier_Basis_Density_Estimation_Demo).
 *
 * The demo's target is a mixture of K = 10 equally weighted Gaussians with locs ~ U(−0.5, 0.3) and
 * scales ~ U(0.25·σmax, 0.35·σmax), σmax = 10 / (6K), where locs and scales come from the *same* uniform
 * draws (the demo reuses one JAX key), so a larger loc goes with a larger scale. `sharedDraws` keeps that
 * coupling. Our generator is not JAX's, so the mixture for a given `mixtureSeed` differs from the demo's
 * (its reference NLL −0.41 is specific to its draws), unless `draws: "jax"` asks for JAX's own uniforms
 * (stages/data/jax_random.ts), which give the demo's mixture exactly; the samples are always ours. The
 * manifest records the exact mixture (weights, locs, scales) so that evaluation can compute densities,
 * entropy and KL by quadrature.
 *
 * `family: "student-t"` gives the heavy-tailed variant for the real-line model (same locs and scales,
 * Student-t components with `dof` degrees of freedom).
 *
 * Defaults follow the demo: 30,000 steps × batch 32 of fresh samples = 960,000 training samples (one
 * epoch sees each once), and a validation set of 1,024.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import { jaxKey, jaxUniform } from "../jax_random.ts";
import { mixSeed, Rng } from "../random.ts";
import { writeShards } from "../shard_writer.ts";

/** The params of `data.synthetic-1d`. */
export const synthetic1dParams = z.object({
  family: z.enum(["gaussian", "student-t"]).default("gaussian").describe("component distribution"),
  components: z.number().int().min(1).max(1000).default(10).describe("number of mixture components K"),
  dof: z.number().positive().default(3).describe("degrees of freedom of student-t components"),
  locRange: z.tuple([z.number(), z.number()]).default([-0.5, 0.3]).describe("locs ~ U(locRange)"),
  scaleRange: z.tuple([z.number().positive(), z.number().positive()]).default([0.25, 0.35])
    .describe("scales ~ U(scaleRange) × σmax, σmax = 10 / (6K)"),
  sharedDraws: z.boolean().default(true).describe(
    "draw loc and scale of a component from one uniform, as the demo",
  ),
  mixtureSeed: z.number().int().nonnegative().default(42).describe("seed of the mixture's locs and scales"),
  draws: z.enum(["sfc32", "jax"]).optional().describe(
    "generator of the locs and scales: sfc32 (default), or jax.random.uniform with key mixtureSeed, as the demo",
  ),
  seed: z.number().int().nonnegative().default(0).describe("seed of the samples"),
  trainSize: z.number().int().min(1).max(50_000_000).default(960_000),
  testSize: z.number().int().min(1).max(50_000_000).default(1024),
  recordsPerShard: z.number().int().min(1).max(10_000_000).default(100_000).describe(
    "maximum records per shard file",
  ),
}).strict();

/** The params after defaults. */
export type Synthetic1dParams = z.output<typeof synthetic1dParams>;

/** A 1-D mixture: equal weights, one loc and scale per component. */
export interface Mixture1d {
  family: "gaussian" | "student-t";
  weights: number[];
  locs: number[];
  scales: number[];
  dof?: number;
}

/** The mixture that `params` describe (deterministic in `mixtureSeed`). */
export function mixture1d(params: Synthetic1dParams): Mixture1d {
  const k = params.components;
  const rng = new Rng(mixSeed(params.mixtureSeed, 1));
  const sigmaMax = 10 / (6 * k);
  const [l0, l1] = params.locRange;
  const [s0, s1] = params.scaleRange;
  if (params.draws === "jax") {
    // The demo's draws exactly: both arrays from jax.random.uniform with the same key (float32).
    if (!params.sharedDraws) {
      throw new RangeError("draws 'jax' reproduces the demo, whose locs and scales share draws");
    }
    const key = jaxKey(params.mixtureSeed);
    return {
      family: params.family,
      weights: new Array<number>(k).fill(1 / k),
      locs: Array.from(jaxUniform(key, k, l0, l1)),
      scales: Array.from(jaxUniform(key, k, s0 * sigmaMax, s1 * sigmaMax)),
      ...(params.family === "student-t" ? { dof: params.dof } : {}),
    };
  }
  const u = Array.from({ length: k }, () => rng.float());
  const v = params.sharedDraws ? u : Array.from({ length: k }, () => rng.float());
  return {
    family: params.family,
    weights: new Array<number>(k).fill(1 / k),
    locs: u.map((x) => l0 + (l1 - l0) * x),
    scales: v.map((x) => sigmaMax * (s0 + (s1 - s0) * x)),
    ...(params.family === "student-t" ? { dof: params.dof } : {}),
  };
}

/** `n` samples of a mixture and the component each came from. */
export function sampleMixture1d(
  mixture: Mixture1d,
  n: number,
  seed: number,
): { x: Float32Array; component: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  const component = new Int32Array(n);
  const k = mixture.locs.length;
  for (let i = 0; i < n; i++) {
    const c = rng.below(k);
    const z = mixture.family === "gaussian" ? rng.normal() : rng.studentT(mixture.dof!);
    x[i] = mixture.locs[c]! + mixture.scales[c]! * z;
    component[i] = c;
  }
  return { x, component };
}

/** `data.synthetic-1d` stage kind. */
export const synthetic1dStage = defineStage({
  kind: "data.synthetic-1d",
  module: import.meta.url,
  description:
    "Seeded samples of a 1-D mixture (the Fourier-density article's 10-Gaussian target by default)",
  params: synthetic1dParams,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const mixture = mixture1d(p);
    const split = (name: string, n: number, stream: number) => {
      const { x, component } = sampleMixture1d(mixture, n, mixSeed(p.seed, stream));
      return [name, {
        count: n,
        columns: { x, component },
        definition: { method: "sampled", seed: p.seed, stream },
      }] as const;
    };
    await writeShards(ctx.outDir, {
      name: "synthetic-1d",
      description: `${mixture.locs.length}-component ${p.family} mixture on the real line, equal weights`,
      source: {
        kind: "data.synthetic-1d",
        origin: "seeded generator (stages/data/random.ts), after google/codex's Fourier density demo",
        distribution: mixture,
      },
      license: "CC0-1.0 (generated)",
      params: p,
      features: {
        x: { dtype: "float32", shape: [], description: "sample" },
        component: { dtype: "int32", shape: [], description: "mixture component the sample was drawn from" },
      },
      input: "x",
      notes: [
        "The density is Σ_k w_k · p(x; loc_k, scale_k) with source.distribution's values (student-t: location-scale t).",
        "Our RNG is not JAX's: the mixture differs from the demo's for the same seed; compare NLL with the entropy bound.",
      ],
      splits: Object.fromEntries([split("train", p.trainSize, 1), split("test", p.testSize, 2)]),
    }, {
      recordsPerShard: p.recordsPerShard,
      onProgress: (done, total) => ctx.progress({ done, total, text: "shards written" }),
    });
  },
});
