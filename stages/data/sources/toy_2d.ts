/**
 * `data.toy-2d`: seeded samples of the usual 2-D toy distributions of GAN, flow and energy-model papers.
 *
 * | distribution | construction (defaults) | after |
 * |---|---|---|
 * | 8gaussians | 8 centers at radius 2, angles k·45°, std `noise` = 0.02, then ÷ 1.414 | WGAN-GP `gan_toy.py` (also MEG) |
 * | 25gaussians | centers (2i, 2j), i, j ∈ −2..2, std `noise` = 0.05, then ÷ 2.828 | WGAN-GP, MEG `data/toy.py` |
 * | swissroll | t = 1.5π(1 + 2u); (t cos t, t sin t) + `noise`·N(0, I), noise = 0.25, then ÷ 7.5 | WGAN-GP (sklearn make_swiss_roll, dims 0 and 2) |
 * | moons | a half circle (cos θ, sin θ) or (1 − cos θ, 0.5 − sin θ), θ ~ U(0, π), + `noise`·N(0, I), noise = 0.1, then × 2 + (−1, −0.2) | FFJORD (sklearn make_moons) |
 * | checkerboard | x1 ~ U(−2, 2), x2 ~ U(0, 1) − 2·Bernoulli(½) + (⌊x1⌋ mod 2), then × 2 | FFJORD `toy_data.py` |
 * | ring | radius 1 + `noise`·N(0, 1), noise = 0.05, angle ~ U(0, 2π) | a continuous ring |
 * | 2spirals | t = 3π·√u; ±(−t cos t + u₁/2, t sin t + u₂/2)/3 + `noise`·N(0, I), noise = 0.1 | FFJORD `toy_data.py` (i-ResNet's toys) |
 *
 * (The "2-D ring" of mode-collapse papers, 8 Gaussians on a circle, is `8gaussians`.) Where samples
 * come from discrete modes (8gaussians, 25gaussians, moons), a `component` feature records which; the
 * manifest records the centers, so evaluation can count covered modes.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../../engine/stage.ts";
import type { FeatureSpec } from "../manifest.ts";
import { mixSeed, Rng } from "../random.ts";
import { writeShards } from "../shard_writer.ts";

/** The distributions of `data.toy-2d`. */
export const TOY_2D_DISTRIBUTIONS = [
  "8gaussians",
  "25gaussians",
  "swissroll",
  "moons",
  "checkerboard",
  "ring",
  "2spirals",
] as const;

/** One of {@linkcode TOY_2D_DISTRIBUTIONS}. */
export type Toy2dDistribution = typeof TOY_2D_DISTRIBUTIONS[number];

const DEFAULT_NOISE: Record<Toy2dDistribution, number> = {
  "8gaussians": 0.02,
  "25gaussians": 0.05,
  swissroll: 0.25,
  moons: 0.1,
  checkerboard: 0,
  ring: 0.05,
  "2spirals": 0.1,
};

/** The params of `data.toy-2d`. */
export const toy2dParams = z.object({
  distribution: z.enum(TOY_2D_DISTRIBUTIONS).default("8gaussians"),
  noise: z.number().nonnegative().optional().describe(
    "noise std (default per distribution; see the module doc)",
  ),
  seed: z.number().int().nonnegative().default(0).describe("seed of the samples"),
  trainSize: z.number().int().min(1).max(50_000_000).default(100_000),
  testSize: z.number().int().min(1).max(50_000_000).default(10_000),
  recordsPerShard: z.number().int().min(1).max(10_000_000).default(100_000).describe(
    "maximum records per shard file",
  ),
}).strict();

/** Mode centers of the discrete distributions, in their final (normalized) coordinates. */
export function toy2dCenters(distribution: Toy2dDistribution): number[][] | undefined {
  if (distribution === "8gaussians") {
    const s = 1 / Math.sqrt(2);
    const unit = [[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [s, -s], [-s, s], [-s, -s]];
    return unit.map(([x, y]) => [(2 * x!) / 1.414, (2 * y!) / 1.414]);
  }
  if (distribution === "25gaussians") {
    const centers: number[][] = [];
    for (let i = -2; i <= 2; i++) {
      for (let j = -2; j <= 2; j++) centers.push([(2 * i) / 2.828, (2 * j) / 2.828]);
    }
    return centers;
  }
  return undefined;
}

/** `n` samples (interleaved x, y) and their mode, when the distribution has modes. */
export function sampleToy2d(
  distribution: Toy2dDistribution,
  options: { n: number; seed: number; noise?: number },
): { points: Float32Array; component: Int32Array | undefined } {
  const { n } = options;
  const noise = options.noise ?? DEFAULT_NOISE[distribution];
  const rng = new Rng(options.seed);
  const points = new Float32Array(2 * n);
  const centers = toy2dCenters(distribution);
  const hasModes = centers !== undefined || distribution === "moons";
  const component = hasModes ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    let x: number;
    let y: number;
    switch (distribution) {
      case "8gaussians":
      case "25gaussians": {
        const c = rng.below(centers!.length);
        const div = distribution === "8gaussians" ? 1.414 : 2.828;
        x = centers![c]![0]! + (noise * rng.normal()) / div;
        y = centers![c]![1]! + (noise * rng.normal()) / div;
        component![i] = c;
        break;
      }
      case "swissroll": {
        const t = 1.5 * Math.PI * (1 + 2 * rng.float());
        x = (t * Math.cos(t) + noise * rng.normal()) / 7.5;
        y = (t * Math.sin(t) + noise * rng.normal()) / 7.5;
        break;
      }
      case "moons": {
        const c = rng.below(2);
        const theta = Math.PI * rng.float();
        const bx = c === 0 ? Math.cos(theta) : 1 - Math.cos(theta);
        const by = c === 0 ? Math.sin(theta) : 0.5 - Math.sin(theta);
        x = (bx + noise * rng.normal()) * 2 - 1;
        y = (by + noise * rng.normal()) * 2 - 0.2;
        component![i] = c;
        break;
      }
      case "checkerboard": {
        const x1 = rng.uniform(-2, 2);
        const x2 = rng.float() - 2 * rng.below(2) + (((Math.floor(x1) % 2) + 2) % 2);
        x = x1 * 2;
        y = x2 * 2;
        break;
      }
      case "2spirals": {
        // FFJORD draws t = √u·540·2π/360 (a turn and a half), shifts by U(0, ½)² and picks a spiral by sign.
        const t = Math.sqrt(rng.float()) * 3 * Math.PI;
        const sx = -Math.cos(t) * t + rng.float() * 0.5;
        const sy = Math.sin(t) * t + rng.float() * 0.5;
        const sign = rng.below(2) === 0 ? 1 : -1;
        x = (sign * sx) / 3 + noise * rng.normal();
        y = (sign * sy) / 3 + noise * rng.normal();
        break;
      }
      case "ring": {
        const angle = 2 * Math.PI * rng.float();
        const r = 1 + noise * rng.normal();
        x = r * Math.cos(angle);
        y = r * Math.sin(angle);
        break;
      }
    }
    points[2 * i] = x;
    points[2 * i + 1] = y;
  }
  return { points, component };
}

/** `data.toy-2d` stage kind. */
export const toy2dStage = defineStage({
  kind: "data.toy-2d",
  module: import.meta.url,
  description:
    "Seeded 2-D toy distributions: 8/25 gaussians, swiss roll, two moons, checkerboard, ring, two spirals",
  params: toy2dParams,
  inputs: [],
  async run(ctx) {
    const p = ctx.params;
    const noise = p.noise ?? DEFAULT_NOISE[p.distribution];
    const features: Record<string, FeatureSpec> = {
      x: { dtype: "float32", shape: [2], description: "point (x, y)" },
    };
    const split = (name: string, n: number, stream: number) => {
      const { points, component } = sampleToy2d(p.distribution, { n, seed: mixSeed(p.seed, stream), noise });
      return [name, {
        count: n,
        columns: component === undefined ? { x: points } : { x: points, component },
        definition: { method: "sampled", seed: p.seed, stream },
      }] as const;
    };
    const splits = Object.fromEntries([split("train", p.trainSize, 1), split("test", p.testSize, 2)]);
    if (splits.train!.columns.component !== undefined) {
      features.component = { dtype: "int32", shape: [], description: "mode the point was drawn from" };
    }
    const centers = toy2dCenters(p.distribution);
    await writeShards(ctx.outDir, {
      name: `toy-2d-${p.distribution}`,
      description: `2-D toy distribution '${p.distribution}' (noise ${noise})`,
      source: {
        kind: "data.toy-2d",
        origin: "seeded generator (stages/data/sources/toy_2d.ts)",
        distribution: { name: p.distribution, noise, ...(centers === undefined ? {} : { centers }) },
      },
      license: "CC0-1.0 (generated)",
      params: p,
      features,
      input: "x",
      splits,
    }, {
      recordsPerShard: p.recordsPerShard,
      onProgress: (done, total) => ctx.progress({ done, total, text: "shards written" }),
    });
  },
});
