/**
 * The models of «非对抗式生成模型GLANN的简单介绍» (kexue.fm/archives/6394) on one generator: the decoder of
 * models/onnx/models/vae.ts (parameters `vae/decoder/…`, output 2σ(·) − 1 for images in [−1, 1]), so
 * that every method trains a network of exactly the same size. One train step per method:
 *
 * - `imle`: IMLE (imle.ts), G(z) against the batch, z ~ N(0, I) fed as `z`.
 * - `imle-repulsion`: Su's variant, two fake batches `z` and `z2`, margin m.
 * - `glann`: GLO then IMLE in latent space (Hoshen, Li & Malik, arXiv:1812.08985), in one training of
 *   `gloSteps + …` steps. A code table `glo/codes` [records, L] holds one latent per training image,
 *   gathered by the batch's record indices (train feed `indices` as `idx`) and used normalised,
 *   ẑ_i = c_i/‖c_i‖ (GLO's unit sphere). Steps below `gloSteps` train G and the codes on the
 *   Laplacian-pyramid L1 loss (GLO's perceptual loss; no VGG weights offline); from `gloSteps` on, G and
 *   the codes are frozen and an MLP T (`vae/mapper/…`) learns z → ẑ by IMLE in latent space,
 *   (1/M) Σ_i min_j ‖ẑ_i − T(z_j)‖²/L. The phases are gated by learning rates of 0 (RMSprop moves nothing
 *   at lr 0, and T's state is untouched until its phase, so it starts as a fresh RMSprop would). The
 *   sampler is G(T(z)).
 * - `vae`: the VAE of vae.ts (Bernoulli decoder on grayscale, one draw), its encoder beside the shared
 *   decoder; the sampler is the decoder's mean.
 *
 * Metrics are named `loss_…` (the family's loss plot): `loss_imle`; `loss_repulsion` with its terms
 * `attract` and `repel`; `loss_glo` and `loss_latent_imle` (T's, computed in both phases, trained in the
 * second); `loss_vae` (−ELBO) with `recon`, `kl`, `mse`.
 *
 * Every method uses RMSprop as Keras's (ρ = 0.9, ε = 10⁻⁷), as Su's imle.py and vae_keras.py.
 *
 * @module
 */
import type { TypedArray } from "../dtype.ts";
import { exportModel } from "../export.ts";
import { constant, scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { dense } from "../layers.ts";
import { abs, add, cast, div, less, mask, mul, relu, sigmoid, sqrt, sub } from "../ops_elementwise.ts";
import { conv2d } from "../ops_conv.ts";
import { gather } from "../ops_index.ts";
import { reduceMean, reduceSum } from "../ops_reduce.ts";
import { reshape } from "../ops_shape.ts";
import { rmsprop } from "../optimizers.ts";
import type { ParamSource } from "../params.ts";
import { buildTrainStep, type TrainStep } from "../train_step.ts";
import type { GlannMethod } from "./glann_config.ts";
import { imleLoss, repulsionLoss } from "./imle.ts";
import { type VaeConfig, vaeDecoder, vaeEncoder, vaeNegativeElbo } from "./vae.ts";

export { GLANN_METHODS, type GlannMethod } from "./glann_config.ts";

export interface GlannConfig {
  method: GlannMethod;
  /** [C, H, W] of the images. */
  image: readonly [number, number, number];
  /** Decoder widths from the latent up (the VAE's encoder uses them reversed). */
  hidden: readonly number[];
  /** Latent dimensions L (z of IMLE, GLO's codes, the VAE's latent). */
  latent: number;
  batch: number;
  lr: number;
  /** Margin m of the repulsion variant (on the per-value squared distance). */
  margin: number;
  /** GLANN: training images (rows of the code table), steps of the GLO phase, T's widths, the codes' lr. */
  records: number;
  gloSteps: number;
  mapperHidden: readonly number[];
  codesLr: number;
  /** Levels of the Laplacian pyramid (band-pass levels; the low-pass residual is one more). */
  pyramidLevels: number;
}

const values = (c: Pick<GlannConfig, "image">) => c.image[0] * c.image[1] * c.image[2];

/** vae.ts's shape for this config: its encoder widths are the decoder's reversed. */
export function vaeConfig(c: Pick<GlannConfig, "image" | "hidden" | "latent">): VaeConfig {
  return {
    inputDim: values(c),
    hidden: [...c.hidden].reverse(),
    latent: c.latent,
    activation: "relu",
    decoder: { kind: "bernoulli" },
  };
}

/** G: latents [N, L] → images [N, C, H, W] in (−1, 1), the VAE's decoder mean rescaled. */
export function glannGenerator(ps: ParamSource, z: Tensor, c: GlannConfig): Tensor {
  const { out } = vaeDecoder(ps, z, vaeConfig(c));
  return reshape(sub(mul(sigmoid(out), 2), 1), [z.shape[0]!, ...c.image]);
}

/** T: noise [N, L] → latent codes [N, L], an MLP with ReLU (Glorot-uniform weights, zero biases). */
export function glannMapper(ps: ParamSource, z: Tensor, c: GlannConfig): Tensor {
  const layer = (name: string, h: Tensor, out: number) =>
    dense(ps, name, h, out, { init: inits.glorotUniform(h.shape[1]!, out), biasInit: inits.zeros() });
  return scope("/vae/mapper", () => {
    let h = z;
    c.mapperHidden.forEach((w, i) => (h = relu(layer(`fc${i + 1}`, h, w))));
    return layer("out", h, c.latent);
  });
}

/** The rows of `table` at `idx` [N] (int32 or int64), normalised onto the unit sphere. */
export function unitRows(table: Tensor, idx: Tensor): Tensor {
  const rows = gather(table, cast(idx, "int64"));
  const norm = sqrt(add(reduceSum(mul(rows, rows), 1, true), 1e-12));
  return div(rows, norm);
}

/** The 5-tap binomial kernel (1 4 6 4 1)/16 of Burt & Adelson's pyramid along one axis, [1, 1, 5, 1] or [1, 1, 1, 5]. */
function tap(dtype: Tensor["dtype"], vertical: boolean): Tensor {
  const k = [1, 4, 6, 4, 1].map((v) => v / 16);
  const data = dtype === "float64" ? Float64Array.from(k) : Float32Array.from(k);
  return constant(data, dtype, vertical ? [1, 1, 5, 1] : [1, 1, 1, 5]);
}

/** The 5×5 binomial blur with zero padding, subsampled by `stride`: two 1-D passes (the kernel is separable). */
function blur(g: Tensor, stride: number): Tensor {
  const across = conv2d(g, tap(g.dtype, false), undefined, { pads: [0, 2, 0, 2], stride: [1, stride] });
  return conv2d(across, tap(g.dtype, true), undefined, { pads: [2, 0, 2, 0], stride: [stride, 1] });
}

/**
 * GLO's Laplacian-pyramid L1 distance per record, Σ_j 2^(−2j)·mean|L^j(a) − L^j(b)| over the levels j = 0
 * (finest) … J − 1 and the low-pass residual at j = J. The bands are differences of Gaussians,
 * L^j = G^j − blur(G^j) with G^(j+1) = blur(G^j) subsampled by 2 (zero padding): linear in the image,
 * so the pyramid of a − b is taken once. Channels are filtered alike. Returns [N].
 */
export function laplacianL1(a: Tensor, b: Tensor, levels: number): Tensor {
  const [n, ch, h, w] = a.shape as [number, number, number, number];
  let g = reshape(sub(a, b), [n * ch, 1, h, w]);
  let total: Tensor | undefined;
  const term = (t: Tensor, j: number) => {
    const v = mul(reshape(reduceMean(abs(reshape(t, [n, t.size / n])), 1), [n]), 2 ** (-2 * j));
    total = total ? add(total, v) : v;
  };
  for (let j = 0; j < levels; j++) {
    term(sub(g, blur(g, 1)), j);
    g = blur(g, 2);
  }
  term(g, levels);
  return total!;
}

/** Keras's RMSprop (Su's code), at learning rate `lr`. */
const keras = (lr: Tensor) => rmsprop({ lr, alpha: 0.9, eps: 1e-7 });

/** The batch inputs of each method (the train feeds must name the same). */
export function glannBatch(c: GlannConfig): Record<string, { dtype: "float32" | "int32"; shape: number[] }> {
  const x = { dtype: "float32" as const, shape: [c.batch, ...c.image] };
  const z = { dtype: "float32" as const, shape: [c.batch, c.latent] };
  if (c.method === "imle") return { x, z };
  if (c.method === "imle-repulsion") return { x, z, z2: z };
  if (c.method === "glann") return { x, idx: { dtype: "int32", shape: [c.batch] }, z };
  return { x };
}

/** The train step of `c.method` (see the module header). */
export function glannStep(c: GlannConfig): TrainStep {
  return buildTrainStep({
    name: `glann_${c.method.replaceAll("-", "_")}`,
    batch: glannBatch(c),
    hyper: c.method === "glann" ? { lr: c.lr, lr_codes: c.codesLr } : { lr: c.lr },
    build(ctx) {
      const ps = ctx.params;
      const x = ctx.batch.x!;
      const lr = ctx.hyper.lr!;
      if (c.method === "imle") {
        const loss = imleLoss(x, glannGenerator(ps, ctx.batch.z!, c));
        ctx.minimize("generator", loss, keras(lr));
        return { loss_imle: loss };
      }
      if (c.method === "imle-repulsion") {
        const r = repulsionLoss(
          x,
          glannGenerator(ps, ctx.batch.z!, c),
          glannGenerator(ps, ctx.batch.z2!, c),
          c.margin,
        );
        ctx.minimize("generator", r.loss, keras(lr));
        return { loss_repulsion: r.loss, attract: r.attract, repel: r.repel };
      }
      if (c.method === "vae") {
        const unit = reshape(mul(add(x, 1), 0.5), [c.batch, values(c)]);
        const m = vaeNegativeElbo(ps, unit, ctx.rng.normal([c.batch, c.latent]), vaeConfig(c));
        ctx.minimize("vae", m.loss, keras(lr));
        return { loss_vae: m.loss, recon: m.recon, kl: m.kl, mse: m.mse };
      }
      // GLANN: phase 1 (GLO) while step < gloSteps, then phase 2 (T by IMLE on the frozen codes).
      const glo = mask(less(ctx.step, c.gloSteps), ps.dtype);
      const imle = sub(1, glo);
      const table = ps.param("glo/codes", [c.records, c.latent], inits.normal(1 / Math.sqrt(c.latent)));
      const codes = unitRows(table, ctx.batch.idx!);
      const recon = reduceMean(laplacianL1(x, glannGenerator(ps, codes, c), c.pyramidLevels));
      ctx.minimize("generator", recon, keras(mul(lr, glo)), "vae/decoder/");
      ctx.minimize("codes", recon, keras(mul(ctx.hyper.lr_codes!, glo)), "glo/");
      // The codes after this step's update (frozen in phase 2), as GLANN fits T to GLO's final codes.
      const target = unitRows(ps.param("glo/codes", table.shape, inits.zeros()), ctx.batch.idx!);
      const latentImle = imleLoss(target, glannMapper(ps, ctx.batch.z!, c));
      ctx.minimize("mapper", mul(latentImle, imle), keras(mul(lr, imle)), "vae/mapper/");
      return { loss_glo: recon, loss_latent_imle: latentImle };
    },
  });
}

/**
 * The sampler: `z` [batch, L] → `image` [batch, C, H, W] in (−1, 1), weights as inputs: every `vae/`
 * parameter of the method (the snapshots hold all of them), the encoder's included for `vae`.
 */
export function glannSampler(
  c: GlannConfig,
  batch: number,
  weights?: Readonly<Record<string, TypedArray>>,
): Uint8Array {
  return exportModel({
    name: `glann_${c.method.replaceAll("-", "_")}_sampler`,
    inputs: { z: { dtype: "float32", shape: [batch, c.latent] } },
    ...(weights ? { values: weights } : {}),
    docString: c.method === "glann" ? "GLANN sampler G(T(z))" : `${c.method} generator G(z)`,
    metadata: { config: JSON.stringify(c) },
    build: (ps, { z }) => {
      if (c.method === "vae") {
        vaeEncoder(ps, constant(new Float32Array(values(c)), "float32", [1, values(c)]), vaeConfig(c));
      }
      const latent = c.method === "glann" ? glannMapper(ps, z!, c) : z!;
      return { image: glannGenerator(ps, latent, c) };
    },
  }).bytes;
}
