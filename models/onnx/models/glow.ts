/**
 * Glow (Kingma & Dhariwal 2018) for small images, as kexue.fm/archives/5807 explains it and
 * openai/glow's code builds it: L levels of [squeeze → K × (actnorm → permutation → coupling)], each
 * level but the last factoring half of its channels out with a learned, zero-initialised conditional
 * prior (`factorOut`). The permutation is a reversal, a fixed random shuffle or the invertible 1×1
 * convolution in LU form (the article's ablation); the coupling is additive or affine with Glow's
 * σ(h + 2) scale. The coupling net is Glow's: 3×3 conv → ReLU → 1×1 conv → ReLU → zero-initialised
 * 3×3 conv, so every coupling starts near the identity. On 28×28 MNIST: 4×14×14, then 8×7×7.
 *
 * @module
 */
import {
  actnorm,
  additiveCoupling,
  affineCoupling,
  type Bijection,
  chain,
  type CouplingNet,
  factorOut,
  gaussianPrior,
  invertibleConv1x1,
  reverse,
  shuffle,
  squeeze,
} from "../flow_layers.ts";
import { inits } from "../init.ts";
import { conv2dLayer } from "../layers.ts";
import { relu } from "../ops_elementwise.ts";
import type { ImageFlow } from "./image_flow.ts";

/** Glow's shape and the ablation's choices. */
export interface GlowConfig {
  /** Levels L and steps per level K. */
  levels: number;
  depth: number;
  /** Channels of the coupling nets' hidden layers. */
  hidden: number;
  coupling: "affine" | "additive";
  permutation: "reverse" | "shuffle" | "conv1x1";
  /** Seed of the shuffles and of the 1×1 convolutions' orthogonal initialisation. */
  seed: number;
  /**
   * Squeeze at the start of each level (default true). False for a flow on a latent that is already
   * squeezed (f-VAE's F on the encoder's 16×7×7, whose odd sides cannot be squeezed again): each level
   * keeps its spatial size and the split halves the channels only.
   */
  squeeze?: boolean;
}

/** Glow's coupling net, with a zero-initialised last convolution. */
function glowNet(hidden: number): CouplingNet {
  return (ps, x1, channels) => {
    const h1 = relu(conv2dLayer(ps, "conv1", x1, hidden, 3, { pad: 1 }));
    const h2 = relu(conv2dLayer(ps, "conv2", h1, hidden, 1));
    return conv2dLayer(ps, "out", h2, channels, 3, { pad: 1, init: inits.zeros() });
  };
}

/** One step of flow on `channels` channels. */
function flowStepLayer(c: GlowConfig, name: string, channels: number, seed: number): Bijection {
  const permutation = c.permutation === "reverse"
    ? reverse("reverse")
    : c.permutation === "shuffle"
    ? shuffle("shuffle", channels, seed)
    : invertibleConv1x1("invconv", channels, seed);
  const net = glowNet(c.hidden);
  const coupling = c.coupling === "affine"
    ? affineCoupling("coupling", { net })
    : additiveCoupling("coupling", { net });
  return chain(name, [actnorm("actnorm"), permutation, coupling]);
}

/** Level `l` on [C, H, W] inputs; returns the bijection and its output shape per sample. */
function level(c: GlowConfig, l: number, shape: readonly [number, number, number]): {
  flow: Bijection;
  out: number[];
} {
  const [ch, h, w] = shape;
  const squeezing = c.squeeze ?? true;
  if (squeezing && (h % 2 !== 0 || w % 2 !== 0)) {
    throw new Error(
      `Glow level ${l} squeezes ${ch}×${h}×${w}: height and width must be even (pad the images)`,
    );
  }
  const squeezed = squeezing ? [4 * ch, h / 2, w / 2] as const : [ch, h, w] as const;
  const steps = Array.from(
    { length: c.depth },
    (_, k) => flowStepLayer(c, `step${k}`, squeezed[0], c.seed * 1000 + l * 100 + k),
  );
  const layers: Bijection[] = squeezing ? [squeeze("squeeze"), ...steps] : steps;
  if (l === c.levels - 1) return { flow: chain(`level${l}`, layers), out: [...squeezed] };
  const rest = level(c, l + 1, [squeezed[0] / 2, squeezed[1], squeezed[2]]);
  layers.push(factorOut("factor", rest.flow, rest.out));
  return { flow: chain(`level${l}`, layers), out: [squeezed.reduce((a, b) => a * b, 1)] };
}

/** Glow as an {@link ImageFlow} on [C, H, W] images; `scope` names its parameters (`/glow/…`). */
export function glowModel(
  c: GlowConfig,
  image: readonly [number, number, number],
  scope = "/glow",
): ImageFlow {
  if (c.levels < 1 || c.depth < 1) throw new Error("Glow needs at least one level and one step");
  const top = level(c, 0, image);
  return {
    flow: chain(scope, [top.flow]),
    prior: gaussianPrior,
    record: [...image],
    sampleShape: [...image],
  };
}

/** Trainable reals of the model (counted from the built graph by the caller's ParamSource). */
export const GLOW_ARTICLE_SMALL: GlowConfig = {
  levels: 2,
  depth: 4,
  hidden: 64,
  coupling: "affine",
  permutation: "conv1x1",
  seed: 0,
};
