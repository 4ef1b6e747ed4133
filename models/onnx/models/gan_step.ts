/**
 * The GAN train step: any loss of the registry (gan_losses.ts) × any network (gan_networks.ts) ×
 * a schedule of `nCritic` critic steps per generator step × an optimiser (Adam with its betas,
 * RMSprop, SGD with momentum), in one ONNX graph. One call of the step is one generator iteration.
 *
 * Batch inputs, so that every critic step sees its own data and noise:
 * - `x` float32 [(nCritic + r)·B, …image]: real images in [−1, 1], consecutive blocks of B for the
 *   critic steps, and with r = 1 one more block for the generator step when its loss reads real
 *   images (GAN-QP). It is the first input, so the training stage reads that many records per step.
 * - `z_d` float32 [nCritic·B, zDim], `z_g` float32 [B, zDim]: the generator's noise.
 * Interpolation weights (WGAN-GP) come from the in-graph RNG, keyed by (seed, step).
 *
 * Hyper: `lr_d`, `lr_g`. Metrics: `loss_d` and the loss's terms (means over the critic steps),
 * `loss_g`.
 *
 * With `schedule: "single-loss"` (Su, kexue.fm/archives/6387) there are no alternating steps: one
 * optimiser step (learning rate `lr_d`) on all parameters minimises
 *   L_D(x_r, sg(G(z))) + λ·(L_G(G(z)) − L_G(sg(G(z)))),   sg = stop-gradient,
 * whose last term is zero in value and whose gradient is (0 for the critic, λ·∇L_G for the generator):
 * simultaneous updates from a single loss, λ the generator's learning-rate ratio. Batch inputs are then
 * `x` [B, …image] and one noise batch `z` [B, zDim].
 *
 * @module
 */
import type { TypedArray } from "../dtype.ts";
import type { ParamSource } from "../params.ts";
import { exportModel } from "../export.ts";
import { scope, type Tensor } from "../graph.ts";
import { add, equal, mask, mul, stopGradient, sub } from "../ops_elementwise.ts";
import { slice } from "../ops_shape.ts";
import { adam, type Optimizer, rmsprop, sgd } from "../optimizers.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import {
  criticLoss,
  type GanLoss,
  generatorLoss,
  generatorReadsReal,
  needsInterpolation,
} from "./gan_losses.ts";
import { ganCritic, ganGenerator, type GanNetwork, perSampleCritic } from "./gan_networks.ts";

/** The optimiser of both players (their learning rates are the step's hyperparameters). */
export type GanOptimiser =
  | { kind: "adam"; b1: number; b2: number }
  | { kind: "rmsprop"; rho: number }
  | { kind: "sgd"; momentum: number };

export interface GanStepConfig {
  loss: GanLoss;
  network: GanNetwork;
  /** [C, H, W] of the images. */
  image: readonly [number, number, number];
  /** Critic steps per generator step (WGAN-GP 5, GAN-QP 2, WGAN-div 1). */
  nCritic: number;
  optimiser: GanOptimiser;
  lrD: number;
  lrG: number;
  /** Decay of a moving average of the generator's weights (`ema/generator/...`; 0: none). */
  ema: number;
  /** Alternating critic and generator steps (default), or Su's single loss (nCritic must be 1). */
  schedule?: "alternating" | "single-loss";
  /** λ of the single loss: the generator's gradient scale (Su: 1). */
  singleLossLambda?: number;
}

/** The single loss of Su's stop-gradient trick and its terms: see the module header. */
export function singleLoss(
  cfg: Pick<GanStepConfig, "loss" | "network" | "image" | "singleLossLambda">,
  critic: (x: Tensor) => Tensor,
  ps: ParamSource,
  xr: Tensor,
  z: Tensor,
  eps?: Tensor,
): { total: Tensor; lossD: Tensor; lossG: Tensor; metrics: Record<string, Tensor> } {
  const perSample = perSampleCritic(cfg.network);
  const xf = ganGenerator(ps, z, cfg.network, cfg.image);
  const stopped = stopGradient(xf);
  const terms = criticLoss(cfg.loss, { critic, xr, xf: stopped, perSample, ...(eps ? { eps } : {}) });
  const real = generatorReadsReal(cfg.loss) ? { xr } : {};
  const lossG = generatorLoss(cfg.loss, { critic, xf, perSample, ...real });
  const zero = sub(lossG, generatorLoss(cfg.loss, { critic, xf: stopped, perSample, ...real }));
  const total = scope("single_loss", () => add(terms.lossD, mul(zero, cfg.singleLossLambda ?? 1)));
  return { total, lossD: terms.lossD, lossG, metrics: terms.metrics };
}

function optimiser(o: GanOptimiser, lr: Tensor): Optimizer {
  if (o.kind === "adam") return adam({ lr, b1: o.b1, b2: o.b2 });
  if (o.kind === "rmsprop") return rmsprop({ lr, alpha: o.rho });
  return sgd({ lr, momentum: o.momentum });
}

/** The optimiser `o` at learning rate `lr` (a graph input), for other GAN steps (energy_gan.ts). */
export const ganOptimiser = optimiser;

/** The number of image blocks of B in `x`: one per critic step, plus one for a generator that reads real data. */
export const realBlocks = (cfg: Pick<GanStepConfig, "loss" | "nCritic">): number =>
  cfg.nCritic + (generatorReadsReal(cfg.loss) ? 1 : 0);

/** The GAN train step for batches of `batch` images. */
export function ganStep(batch: number, cfg: GanStepConfig): TrainStep {
  if (cfg.schedule === "single-loss") return singleLossStep(batch, cfg);
  const n = cfg.nCritic;
  const zDim = cfg.network.zDim;
  const f32 = "float32" as const;
  const perSample = perSampleCritic(cfg.network);
  return buildTrainStep({
    name: `gan_${cfg.loss.name.replaceAll("-", "_")}`,
    batch: {
      x: { dtype: f32, shape: [realBlocks(cfg) * batch, ...cfg.image] },
      z_d: { dtype: f32, shape: [n * batch, zDim] },
      z_g: { dtype: f32, shape: [batch, zDim] },
    },
    hyper: { lr_d: cfg.lrD, lr_g: cfg.lrG },
    build(ctx) {
      const ps = ctx.params;
      const block = (t: Tensor, i: number) => slice(t, [i * batch], [(i + 1) * batch]);
      const critic = (x: Tensor) => ganCritic(ps, x, cfg.network);
      const sums: Record<string, Tensor> = {};
      for (let i = 0; i < n; i++) {
        const xr = block(ctx.batch.x!, i);
        const xf = stopGradient(ganGenerator(ps, block(ctx.batch.z_d!, i), cfg.network, cfg.image));
        const eps = needsInterpolation(cfg.loss) ? ctx.rng.uniform([batch, 1, 1, 1]) : undefined;
        const terms = criticLoss(cfg.loss, { critic, xr, xf, perSample, ...(eps ? { eps } : {}) });
        ctx.minimize("critic", terms.lossD, optimiser(cfg.optimiser, ctx.hyper.lr_d!), "critic/");
        for (const [name, t] of Object.entries({ loss_d: terms.lossD, ...terms.metrics })) {
          sums[name] = sums[name] ? add(sums[name]!, t) : t;
        }
      }
      // The generator step goes through the updated critic (ctx.params returns its new weights).
      const lossG = generatorLoss(cfg.loss, {
        critic,
        xf: ganGenerator(ps, ctx.batch.z_g!, cfg.network, cfg.image),
        perSample,
        ...(generatorReadsReal(cfg.loss) ? { xr: block(ctx.batch.x!, n) } : {}),
      });
      ctx.minimize("generator", lossG, optimiser(cfg.optimiser, ctx.hyper.lr_g!), "generator/");
      if (cfg.ema > 0) {
        scope("/ema", () => {
          // The average starts at the weights after the first update: its decay is 0 at step 0.
          const decay = mul(sub(1, mask(equal(ctx.step, 0), f32)), cfg.ema);
          for (const [name, value] of Object.entries(ctx.paramsOf("generator/"))) {
            const previous = ctx.carry(`ema/${name}`, value.shape, 0);
            ctx.setCarry(`ema/${name}`, add(mul(previous, decay), mul(value, sub(1, decay))));
          }
        });
      }
      const means = Object.fromEntries(
        Object.entries(sums).map(([name, t]) => [name, n === 1 ? t : mul(t, 1 / n)]),
      );
      return { ...means, loss_g: lossG };
    },
  });
}

/** The single-loss step: one optimiser step on all parameters (see the module header). */
function singleLossStep(batch: number, cfg: GanStepConfig): TrainStep {
  if (cfg.nCritic !== 1) {
    throw new Error(`The single-loss schedule takes one step per iteration, not nCritic ${cfg.nCritic}`);
  }
  if (cfg.ema > 0) {
    throw new Error("The single-loss schedule keeps no moving average of the generator (ema 0)");
  }
  const f32 = "float32" as const;
  return buildTrainStep({
    name: `gan_single_${cfg.loss.name.replaceAll("-", "_")}`,
    batch: {
      x: { dtype: f32, shape: [batch, ...cfg.image] },
      z: { dtype: f32, shape: [batch, cfg.network.zDim] },
    },
    hyper: { lr_d: cfg.lrD },
    build(ctx) {
      const ps = ctx.params;
      const critic = (x: Tensor) => ganCritic(ps, x, cfg.network);
      const eps = needsInterpolation(cfg.loss) ? ctx.rng.uniform([batch, 1, 1, 1]) : undefined;
      const s = singleLoss(cfg, critic, ps, ctx.batch.x!, ctx.batch.z!, eps);
      ctx.minimize("gan", s.total, optimiser(cfg.optimiser, ctx.hyper.lr_d!));
      return { loss_d: s.lossD, ...s.metrics, loss_g: s.lossG };
    },
  });
}

/**
 * The generator alone: input `z` float32 [batch, zDim], output `image` float32 [batch, …image]. With
 * `values` the weights are baked in; without, they are graph inputs named by layer path.
 */
export function ganSampler(
  network: GanNetwork,
  image: readonly [number, number, number],
  batch: number,
  values?: Readonly<Record<string, TypedArray>>,
): Uint8Array {
  return exportModel({
    name: "gan_generator",
    inputs: { z: { dtype: "float32", shape: [batch, network.zDim] } },
    ...(values ? { values } : {}),
    docString: `GAN generator (${network.kind}): z → ${image.join("×")} image in (−1, 1)`,
    metadata: { network: JSON.stringify(network) },
    build: (ps, { z }) => ({ image: ganGenerator(ps, z!, network, image) }),
  }).bytes;
}
