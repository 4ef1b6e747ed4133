/**
 * The names and constants of the GAN losses (gan_losses.ts), free of graph code, so that a pipeline
 * can read them when it is loaded without loading the graph builder.
 *
 * @module
 */

/** The losses of the registry, by name. */
export const GAN_LOSSES = [
  "wgan-div",
  "wgan-gp",
  "wgan-gp-two-sided",
  "qp-l1",
  "qp-l2",
  "hinge",
  "standard",
  "energy",
] as const;
export type GanLossName = typeof GAN_LOSSES[number];

/** A loss and its constants. */
export interface GanLoss {
  name: GanLossName;
  /** λ of wgan-gp (penalty weight), qp (scale of the quadratic term) and energy (penalty weight). */
  lambda: number;
  /** k, p of wgan-div's penalty (k/2)·E‖∇D‖^p. */
  k: number;
  p: number;
}

/** The article's constants of each loss (λ = 10 for WGAN-GP and GAN-QP, 0.1 for MEG's toy energy). */
export const GAN_LOSS_DEFAULTS: Readonly<Record<GanLossName, Omit<GanLoss, "name">>> = {
  "wgan-div": { lambda: 0, k: 2, p: 6 },
  "wgan-gp": { lambda: 10, k: 0, p: 0 },
  "wgan-gp-two-sided": { lambda: 10, k: 0, p: 0 },
  "qp-l1": { lambda: 10, k: 0, p: 0 },
  "qp-l2": { lambda: 10, k: 0, p: 0 },
  hinge: { lambda: 0, k: 0, p: 0 },
  standard: { lambda: 0, k: 0, p: 0 },
  energy: { lambda: 0.1, k: 0, p: 0 },
};

/** The loss `name` with its defaults, overridden by `over`. */
export function ganLoss(name: GanLossName, over: Partial<Omit<GanLoss, "name">> = {}): GanLoss {
  return { name, ...GAN_LOSS_DEFAULTS[name], ...over };
}
