/**
 * A small VQGAN (Esser, Rombach & Ommer 2021, «Taming Transformers»; the seed-002 post reading its paper
 * and code): the VQ-VAE of vq_vae.ts (same encoder, codebook, decoder, loss and MADE prior) plus
 *
 * - a perceptual reconstruction term instead of VGG's LPIPS: the frozen evaluation classifier's two
 *   convolution layers (cnn_classifier.ts, the image-generator family's classifier), each position's
 *   channel vector normalised to unit length as LPIPS does, the squared difference summed over channels
 *   and averaged over positions and layers (no learned channel weights). The penultimate features, the
 *   ones classifier-FID is computed on, stay out of the loss;
 * - a PatchGAN discriminator with the hinge loss (gan_losses.ts's `hinge`, whose sign convention pushes
 *   D(real) down): conv 4×4/2 → LeakyReLU 0.2 → conv 4×4/2 → LeakyReLU 0.2 → conv 3×3 (1), one logit
 *   per 7×7 patch position, no normalisation;
 * - the adaptive weight of the GAN term at the decoder's last layer G_L, computed in the step's graph
 *   from the two gradients with respect to that layer's weight,
 *     λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_GAN‖ + δ),  δ = 10⁻⁶,
 *   clipped to [0, 10⁴] and stop-gradiented, as taming's `calculate_adaptive_weight`.
 *
 * Generator loss: L_rec + β‖sg[z] − z_q‖² + γ‖z − sg[z_q]‖² + on·w·λ·L_GAN, L_rec = MSE + p·L_perc,
 * L_GAN = mean D(x̂); `on` is 0 before step `ganStart` and 1 from then (taming's `disc_start`: the GAN
 * joins once the autoencoder reconstructs), w the fixed `ganWeight` (taming's `disc_weight`). The
 * discriminator's step (its own Adam, β = (0.5, 0.9)) comes first, on real images and the detached
 * reconstructions, scaled by `on`; the generator's GAN term then goes through the updated
 * discriminator, as gan_step.ts's alternation.
 *
 * Every VQ-VAE parameter lives under `vq/` as in vq_vae.ts, so its sampler and reconstruction exports
 * serve this model unchanged; the discriminator's under `disc/` (not in the snapshots).
 *
 * @module
 */
import { grad } from "../autodiff.ts";
import { scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { conv2dLayer } from "../layers.ts";
import {
  add,
  clip,
  div,
  greaterEqual,
  leakyRelu,
  mask,
  mul,
  relu,
  sqrt,
  stopGradient,
  sub,
} from "../ops_elementwise.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { reshape } from "../ops_shape.ts";
import { adam } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import { criticLoss, ganLoss, generatorLoss } from "./gan_losses.ts";
import {
  isPriorParam,
  perplexity,
  trainPrior,
  type VqVaeConfig,
  vqVaeForward,
  type VqVaeStepConfig,
} from "./vq_vae.ts";

/** δ of the adaptive weight's denominator (taming). */
export const ADAPTIVE_DELTA = 1e-6;
/** The adaptive weight's upper clip (taming's `clamp(d_weight, 0.0, 1e4)`). */
export const ADAPTIVE_MAX = 1e4;

const HINGE = ganLoss("hinge");

/** Shape of the VQGAN beside the VQ-VAE's. */
export interface VqganConfig extends VqVaeConfig {
  /** The PatchGAN's channels at 14×14 and 7×7. */
  discChannels: readonly [number, number];
}

/** The frozen classifier of the perceptual term: its weights (cnn/…) and conv channels. */
export interface PerceptualNet {
  params: ParamSource;
  channels: readonly [number, number];
}

/** Training settings. */
export interface VqganStepConfig extends VqganConfig, Omit<VqVaeStepConfig, keyof VqVaeConfig> {
  /** Weight p of the perceptual term in L_rec. */
  perceptualWeight: number;
  /** The fixed factor w of the adaptive GAN term (taming's `disc_weight`); 0: no GAN term. */
  ganWeight: number;
  /** The step from which the discriminator trains and the GAN term counts. */
  ganStart: number;
  /** The discriminator's learning rate (graph input `lr_d`). */
  lrD?: number;
}

/** Patch logits [N, 49] of images `img` [N, 1, 28, 28] in [0, 1]. */
export function patchDiscriminator(ps: ParamSource, img: Tensor, cfg: VqganConfig): Tensor {
  const n = img.shape[0]!;
  return scope("/disc", () => {
    const x = sub(mul(img, 2), 1);
    const h1 = leakyRelu(conv2dLayer(ps, "conv1", x, cfg.discChannels[0], 4, { stride: 2, pad: 1 }), 0.2);
    const h2 = leakyRelu(conv2dLayer(ps, "conv2", h1, cfg.discChannels[1], 4, { stride: 2, pad: 1 }), 0.2);
    return reshape(conv2dLayer(ps, "out", h2, 1, 3, { pad: 1 }), [n, 49]);
  });
}

/**
 * The classifier's two convolution activations of `img` [N, 1, 28, 28] in [0, 1]: the layers of
 * cnn_classifier.ts's `cnnClassifier` under the same names (`cnn/conv1`, `cnn/conv2`), so that its
 * trained weights feed them (a test checks the names and shapes against it).
 */
export function classifierActivations(net: PerceptualNet, img: Tensor): Tensor[] {
  return scope("/cnn", () => {
    const h1 = relu(conv2dLayer(net.params, "conv1", img, net.channels[0], 4, { stride: 2, pad: 1 }));
    const h2 = relu(conv2dLayer(net.params, "conv2", h1, net.channels[1], 4, { stride: 2, pad: 1 }));
    return [h1, h2];
  });
}

/** Each position's channel vector of `a` [N, C, H, W] scaled to unit length (LPIPS's normalisation). */
function unitChannels(a: Tensor): Tensor {
  return div(a, sqrt(add(reduceSum(mul(a, a), [1], true), 1e-10)));
}

/** The perceptual distance of reconstructions `xh` to images `x` (both [N, 1, 28, 28] in [0, 1]). */
export function perceptualLoss(net: PerceptualNet, x: Tensor, xh: Tensor): Tensor {
  const real = classifierActivations(net, x);
  const fake = classifierActivations(net, xh);
  const perLayer = real.map((r, i) => {
    const d = sub(unitChannels(stopGradient(r)), unitChannels(fake[i]!));
    return reduceMean(reduceSum(mul(d, d), [1]));
  });
  return mul(perLayer.reduce((a, b) => add(a, b)), 1 / perLayer.length);
}

/** The decoder's last layer's weight G_L (vq_vae.ts's `deconv2`), as the decoder requested it. */
export function lastLayerWeight(ps: ParamSource, cfg: VqVaeConfig): Tensor {
  return scope("/vq/decoder/deconv2", () => ps.param("W", [cfg.channels[0], 1, 4, 4], inits.zeros()));
}

/** λ = ‖∇_w rec‖ / (‖∇_w gan‖ + δ), clipped to [0, 10⁴], as a constant (no gradient flows through it). */
export function adaptiveWeight(rec: Tensor, gan: Tensor, w: Tensor): Tensor {
  const norm = (g: Tensor) => sqrt(reduceSum(mul(g, g)));
  const [gRec] = grad(rec, [w]);
  const [gGan] = grad(gan, [w]);
  return stopGradient(clip(div(norm(gRec!), add(norm(gGan!), ADAPTIVE_DELTA)), 0, ADAPTIVE_MAX));
}

/** The generator side of one step: its loss and the terms worth logging. */
export interface VqganGeneratorSide {
  total: Tensor;
  /** L_rec = MSE + p·L_perc. */
  rec: Tensor;
  perceptual: Tensor;
  /** L_GAN = mean D(x̂) (hinge, generator side). */
  gan: Tensor;
  /** The adaptive weight (given, or computed from the two gradients). */
  lambda: Tensor;
  forward: ReturnType<typeof vqVaeForward>;
}

/**
 * The generator's loss on images `x` [N, 784] in [0, 1] (see the module header). `opts.lambda` holds λ
 * fixed (the gradient check); without it λ is the adaptive weight at the decoder's last layer. `opts.on`
 * (0 or 1) switches the GAN term (default on); `opts.forward` reuses a forward pass of the same `x`.
 */
export function vqganGeneratorLoss(
  ps: ParamSource,
  x: Tensor,
  cfg: VqganStepConfig,
  net: PerceptualNet,
  opts: { lambda?: Tensor; on?: Tensor; forward?: ReturnType<typeof vqVaeForward> } = {},
): VqganGeneratorSide {
  const n = x.shape[0]!;
  const image = (t: Tensor) => reshape(t, [n, 1, 28, 28]);
  const f = opts.forward ?? vqVaeForward(ps, x, cfg);
  const xh = image(f.recon);
  const perceptual = perceptualLoss(net, image(x), xh);
  const rec = add(f.mseX, mul(perceptual, cfg.perceptualWeight));
  const gan = generatorLoss(HINGE, {
    critic: (t) => patchDiscriminator(ps, t, cfg),
    xf: xh,
    perSample: true,
  });
  const lambda = opts.lambda ?? adaptiveWeight(rec, gan, lastLayerWeight(ps, cfg));
  const weight = mul(opts.on ? mul(lambda, opts.on) : lambda, cfg.ganWeight);
  const codebookTerms = add(mul(f.mseE, cfg.beta ?? 1), mul(f.mseZ, cfg.gamma ?? 0.25));
  const total = add(add(rec, codebookTerms), mul(gan, weight));
  return { total, rec, perceptual, gan, lambda, forward: f };
}

/**
 * The train step. Batch `x` [batch, 784] in [0, 1]; hyper `lr` (the VQ-VAE's and the prior's Adam),
 * `lr_d` (the discriminator's). Metrics: `loss` (the generator's total), `mse_x`, `perceptual`,
 * `loss_gan` (mean D(x̂)), `lambda`, `loss_d` (hinge, before the step), `gan_on`, `perplexity` of the
 * batch's codes and `prior_nll`.
 */
export function vqganStep(cfg: VqganStepConfig, net: PerceptualNet): TrainStep {
  const b = cfg.batch;
  return buildTrainStep({
    name: "vqgan",
    batch: { x: { dtype: "float32", shape: [b, 28 * 28] } },
    hyper: { lr: cfg.lr ?? 1e-3, lr_d: cfg.lrD ?? 4e-4 },
    build(ctx) {
      const ps = ctx.params;
      const x = ctx.batch.x!;
      const on = mask(greaterEqual(ctx.step, cfg.ganStart), "float32");
      // The discriminator's step first, on the current reconstructions (detached).
      const f = vqVaeForward(ps, x, cfg);
      const image = (t: Tensor) => reshape(t, [b, 1, 28, 28]);
      const d = criticLoss(HINGE, {
        critic: (t) => patchDiscriminator(ps, t, cfg),
        xr: image(x),
        xf: image(stopGradient(f.recon)),
        perSample: true,
      });
      ctx.minimize("disc", mul(d.lossD, on), adam({ lr: ctx.hyper.lr_d!, b1: 0.5, b2: 0.9 }), "disc/");
      // The generator's, through the updated discriminator.
      const g = vqganGeneratorLoss(ps, x, cfg, net, { on, forward: f });
      ctx.minimize(
        "vq",
        g.total,
        adam({ lr: ctx.hyper.lr! }),
        (name) => name.startsWith("vq/") && !isPriorParam(name),
      );
      const priorNll = trainPrior(ctx, g.forward.onehot, cfg);
      return {
        loss: g.total,
        mse_x: g.forward.mseX,
        perceptual: g.perceptual,
        loss_gan: g.gan,
        lambda: g.lambda,
        loss_d: d.lossD,
        gan_on: on,
        perplexity: perplexity(g.forward.onehot),
        prior_nll: priorNll,
      };
    },
  });
}
