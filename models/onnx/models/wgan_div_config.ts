/**
 * The configuration of the WGAN-div model (wgan_div.ts) and its defaults: the article's settings at
 * DCGAN size. Its own module, free of graph code, so that a pipeline can read the defaults when it is
 * loaded without loading the model builder.
 *
 * @module
 */

/** Configuration of the WGAN-div model and its train step. */
export interface WganDivConfig {
  /** Latent size (default 100). */
  zDim?: number;
  /** Generator channels [c0 at 7×7, c1 at 14×14] (default [128, 64]: DCGAN size). */
  gChannels?: readonly [number, number];
  /** Critic channels [d0 at 14×14, d1 at 7×7] (default [64, 128]). */
  dChannels?: readonly [number, number];
  /** Batch norm in the generator (default true). */
  gBatchNorm?: boolean;
  /** Batch norm in the critic (default false; the critic then runs real and fake separately). */
  dBatchNorm?: boolean;
  /** Penalty weight k (default 2). */
  k?: number;
  /** Penalty power p (default 6). */
  p?: number;
  /** Adam settings of both players (defaults 2e-4, 0.5, 0.999); the learning rates are graph inputs. */
  lrD?: number;
  lrG?: number;
  b1?: number;
  b2?: number;
  /** Weight init std (default 0.02). */
  initStd?: number;
  /**
   * Where z comes from: "input" (default) — batch inputs `z_d` and `z_g` [batch, zDim] (host noise);
   * "graph" — the in-graph counter-based RNG keyed by (seed, step).
   */
  noise?: "input" | "graph";
  /**
   * Decay of an exponential moving average of the generator's weights, kept as carried state
   * `ema/generator/...` and updated after every generator step (0 = off, the default). Sampling from the
   * average smooths the oscillation of short GAN trainings; the training itself is unchanged.
   */
  ema?: number;
}

/** The defaults, resolved. */
export const WGAN_DIV_DEFAULTS: Required<WganDivConfig> = {
  zDim: 100,
  gChannels: [128, 64],
  dChannels: [64, 128],
  gBatchNorm: true,
  dBatchNorm: false,
  k: 2,
  p: 6,
  lrD: 2e-4,
  lrG: 2e-4,
  b1: 0.5,
  b2: 0.999,
  initStd: 0.02,
  noise: "input",
  ema: 0,
};

/** Resolves defaults. */
export function wganDivConfig(cfg: WganDivConfig = {}): Required<WganDivConfig> {
  return { ...WGAN_DIV_DEFAULTS, ...cfg };
}
