/**
 * The energy view of GANs on 2-D toys (Su, kexue.fm/archives/6316 and 6331, after MEG: Kumar et al.,
 * arXiv:1901.08508, ritheshkumar95/energy_based_generative_models): an energy model U and a generator
 * G, MLPs as MEG's `networks/toy.py` (G: z → 3 × [Dense, ReLU] → 2; U: x → 3 × [Dense, LeakyReLU 0.2] →
 * 1; PyTorch's default init), trained as
 *
 *   U = argmin E_p U(x) − E_z U(G(z)) + λ·E_p‖∇ₓU(x)‖²      (gan_losses.ts's `energy`, λ = 0.1 as MEG's toy)
 *   G = argmin E_z U(G(z)) + entropy term
 *
 * with `nCritic` energy steps per generator step, each on its own data, and the entropy term one of
 * - `none`: the plain energy GAN (6316);
 * - `encoder`: Su's λ₂·E‖z − E(G(z))‖² (6331), an encoder E trained with G: maximising a lower bound of
 *   the mutual information I(x; z) of x = G(z), hence of G's entropy;
 * - `mi`: MEG's DeepInfoMax-style estimator, a statistics network T(x, z) trained with G on the binary
 *   cross-entropy of (G(z), z) pairs (label 1) against (G(z), z̄) (label 0), z̄ the batch's z shifted by
 *   one row (independent of G(z) for i.i.d. z; MEG draws a fresh z̄), weight λ_MI.
 *
 * Batch inputs: `x` [nCritic·B, 2] real points, `z_d` [nCritic·B, zDim], `z_g` [B, zDim] (N(0, I)).
 * Metrics: `loss_d`, `penalty`, `wdist` (means over the energy steps), `loss_g` (= E U(G(z))) and
 * `entropy` (the entropy term's value before its weight; 0 for `none`).
 *
 * {@link langevinSampler} is the post-hoc sampler of 6331: K steps of Langevin dynamics in latent space,
 * z ← z − (ε/2)∇_z E(z) + √ε·α, α ~ N(0, I), with E(z) = U(G(z)) as in the article, or
 * U(G(z)) + ‖z‖²/2 (`prior`), the latent energy of p(z)·e^{−U(G(z))} that MEG's sampler targets.
 *
 * @module
 */
import { exportModel } from "../export.ts";
import { grad } from "../autodiff.ts";
import { scope, type Tensor } from "../graph.ts";
import { dense } from "../layers.ts";
import { add, leakyRelu, mul, neg, relu, softplus, stopGradient, sub } from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { concat, slice } from "../ops_shape.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { criticLoss, ganLoss } from "./gan_losses.ts";
import { type GanOptimiser, ganOptimiser } from "./gan_step.ts";

/** MEG's toy MLPs: `depth` hidden layers of `width` (MEG: 3 × 512, z ∈ R²). */
export interface ToyNetwork {
  zDim: number;
  width: number;
  depth: number;
}

export type EntropyTerm =
  | { kind: "none" }
  | { kind: "encoder"; lambda: number }
  | { kind: "mi"; lambda: number };

export interface EnergyGanConfig {
  network: ToyNetwork;
  /** λ of the zero-centred penalty on real samples. */
  penalty: number;
  nCritic: number;
  optimiser: GanOptimiser;
  lrD: number;
  lrG: number;
  entropy: EntropyTerm;
}

const mlp = (ps: ParamSource, h: Tensor, net: ToyNetwork, out: number, act: (t: Tensor) => Tensor) => {
  for (let i = 0; i < net.depth; i++) h = act(dense(ps, `fc${i + 1}`, h, net.width));
  return dense(ps, `fc${net.depth + 1}`, h, out);
};
const leaky = (t: Tensor) => leakyRelu(t, 0.2);

/** G: z [N, zDim] → points [N, 2]. */
export const toyGenerator = (ps: ParamSource, z: Tensor, net: ToyNetwork): Tensor =>
  scope("/generator", () => mlp(ps, z, net, 2, relu));

/** U: points [N, 2] → energies [N, 1] (parameters `critic/…`, the registry's name for the critic). */
export const toyEnergy = (ps: ParamSource, x: Tensor, net: ToyNetwork): Tensor =>
  scope("/critic", () => mlp(ps, x, net, 1, leaky));

/** Su's encoder E: points [N, 2] → z [N, zDim]. */
export const toyEncoder = (ps: ParamSource, x: Tensor, net: ToyNetwork): Tensor =>
  scope("/encoder", () => mlp(ps, x, net, net.zDim, leaky));

/** MEG's statistics network T: (points, z) → logits [N, 1]. */
export const toyStatistics = (ps: ParamSource, x: Tensor, z: Tensor, net: ToyNetwork): Tensor =>
  scope("/statistics", () => mlp(ps, concat([x, z], 1), net, 1, leaky));

/** The entropy term of the generator's loss on fakes `xf` = G(z), before its weight. */
export function entropyTerm(
  ps: ParamSource,
  kind: EntropyTerm["kind"],
  xf: Tensor,
  z: Tensor,
  net: ToyNetwork,
) {
  if (kind === "encoder") {
    const d = sub(z, toyEncoder(ps, xf, net));
    return scope("entropy", () => reduceMean(reduceSum(mul(d, d), [1])));
  }
  if (kind === "mi") {
    const b = z.shape[0]!;
    const shifted = concat([slice(z, [1], [b]), slice(z, [0], [1])], 0);
    const joint = toyStatistics(ps, xf, z, net);
    const marginal = toyStatistics(ps, xf, shifted, net);
    // BCE with logits: −log σ(T) = softplus(−T) on joint pairs, −log(1 − σ(T)) = softplus(T) on shuffled.
    return scope(
      "entropy",
      () => mul(add(reduceMean(softplus(neg(joint))), reduceMean(softplus(marginal))), 0.5),
    );
  }
  throw new Error(`entropyTerm: no term '${kind}'`);
}

/** The energy-GAN train step for batches of `batch` points (see the module header). */
export function energyGanStep(batch: number, cfg: EnergyGanConfig): TrainStep {
  const n = cfg.nCritic;
  const net = cfg.network;
  const f32 = "float32" as const;
  const loss = ganLoss("energy", { lambda: cfg.penalty });
  return buildTrainStep({
    name: `energy_gan_${cfg.entropy.kind}`,
    batch: {
      x: { dtype: f32, shape: [n * batch, 2] },
      z_d: { dtype: f32, shape: [n * batch, net.zDim] },
      z_g: { dtype: f32, shape: [batch, net.zDim] },
    },
    hyper: { lr_d: cfg.lrD, lr_g: cfg.lrG },
    build(ctx) {
      const ps = ctx.params;
      const block = (t: Tensor, i: number) => slice(t, [i * batch], [(i + 1) * batch]);
      const critic = (x: Tensor) => toyEnergy(ps, x, net);
      const sums: Record<string, Tensor> = {};
      for (let i = 0; i < n; i++) {
        const xf = stopGradient(toyGenerator(ps, block(ctx.batch.z_d!, i), net));
        const terms = criticLoss(loss, { critic, xr: block(ctx.batch.x!, i), xf, perSample: true });
        ctx.minimize("critic", terms.lossD, ganOptimiser(cfg.optimiser, ctx.hyper.lr_d!), "critic/");
        for (const [name, t] of Object.entries({ loss_d: terms.lossD, ...terms.metrics })) {
          sums[name] = sums[name] ? add(sums[name]!, t) : t;
        }
      }
      const z = ctx.batch.z_g!;
      const xf = toyGenerator(ps, z, net);
      const lossG = scope("loss_g", () => reduceMean(critic(xf)));
      const e = cfg.entropy;
      const entropy = e.kind === "none" ? undefined : entropyTerm(ps, e.kind, xf, z, net);
      const total = entropy && e.kind !== "none" ? add(lossG, mul(entropy, e.lambda)) : lossG;
      // The encoder or statistics network learns with G, on G's optimiser (as MEG's optimizerH).
      const players = (name: string) => !name.startsWith("critic/");
      ctx.minimize("generator", total, ganOptimiser(cfg.optimiser, ctx.hyper.lr_g!), players);
      const means = Object.fromEntries(
        Object.entries(sums).map(([name, t]) => [name, n === 1 ? t : mul(t, 1 / n)]),
      );
      return { ...means, loss_g: lossG, entropy: entropy ?? mul(lossG, 0) };
    },
  });
}

/** The generator alone: `z` [batch, zDim] → `image` [batch, 2], weights as inputs. */
export const toySampler = (net: ToyNetwork, batch: number): Uint8Array =>
  exportModel({
    name: "toy_generator",
    inputs: { z: { dtype: "float32", shape: [batch, net.zDim] } },
    docString: "energy-GAN generator: z → 2-D point",
    build: (ps, { z }) => ({ image: toyGenerator(ps, z!, net) }),
  }).bytes;

/** Settings of the latent Langevin sampler. */
export interface LangevinConfig {
  /** Steps K. */
  steps: number;
  /** Step size ε. */
  epsilon: number;
  /** Add the N(0, I) prior's energy ‖z‖²/2 to U(G(z)). */
  prior: boolean;
}

/**
 * Latent Langevin sampling as one exported graph: input `z` [batch, (1 + K)·zDim] ~ N(0, I) holds the
 * start z₀ and the K noise draws α_t; output `image` = G(z_K) [batch, 2]. Weights (G's and U's) are
 * inputs.
 */
export function langevinSampler(net: ToyNetwork, batch: number, cfg: LangevinConfig): Uint8Array {
  const d = net.zDim;
  return exportModel({
    name: "toy_langevin",
    inputs: { z: { dtype: "float32", shape: [batch, (1 + cfg.steps) * d] } },
    docString: `latent Langevin: ${cfg.steps} steps of ε = ${cfg.epsilon}, then G`,
    build: (ps, { z: noise }) => {
      let z = slice(noise!, [0], [d], [1]);
      for (let t = 1; t <= cfg.steps; t++) {
        const energy = reduceSum(toyEnergy(ps, toyGenerator(ps, z, net), net));
        const latent = cfg.prior ? add(energy, mul(reduceSum(mul(z, z)), 0.5)) : energy;
        const [g] = grad(latent, [z]);
        const alpha = slice(noise!, [t * d], [(t + 1) * d], [1]);
        z = add(sub(z, mul(g!, cfg.epsilon / 2)), mul(alpha, Math.sqrt(cfg.epsilon)));
      }
      return { image: toyGenerator(ps, z, net) };
    },
  }).bytes;
}
