/**
 * NICE as Su's Keras code builds it for MNIST (bojone/flow nice.py, kexue.fm/archives/5776): four
 * blocks of [reverse the 784 dimensions → split even/odd → additive coupling h₂ = x₂ − m(x₁)], then the
 * diagonal scaling z = e^{s} ⊙ h. The coupling net m is `depth` Dense(`hidden`, ReLU) layers and a final
 * Dense(392, ReLU) (the final ReLU is in his code, so the generator only ever adds to x₂); Keras'
 * glorot-uniform kernels with zero biases, and s drawn from glorot-normal (std √(2/(1 + 784))).
 *
 * @module
 */
import {
  additiveCoupling,
  type Bijection,
  chain,
  type CouplingNet,
  diagonalScaling,
  priorOf,
  reverse,
} from "../flow_layers.ts";
import { inits } from "../init.ts";
import { dense } from "../layers.ts";
import { relu } from "../ops_elementwise.ts";
import type { ImageFlow } from "./image_flow.ts";

/** NICE's shape. */
export interface NiceConfig {
  /** Coupling blocks (the article's 4). */
  couplings: number;
  /** Hidden ReLU layers per coupling net and their width (the article's 5 × 1000). */
  depth: number;
  hidden: number;
  /** The prior: Su's Gaussian, or the paper's logistic. */
  prior: "gaussian" | "logistic";
}

/** The article's model. */
export const NICE_ARTICLE: NiceConfig = { couplings: 4, depth: 5, hidden: 1000, prior: "gaussian" };

/** Trainable reals: per coupling (D/2)·h + (depth − 1)·h² + h·(D/2) weights and their biases, plus D scales. */
export function niceParameterCount(c: NiceConfig, dims = 784): number {
  const half = dims / 2;
  const net = half * c.hidden + c.hidden + (c.depth - 1) * (c.hidden * c.hidden + c.hidden) +
    c.hidden * half + half;
  return c.couplings * net + dims;
}

/** The coupling net m: `depth` × Dense(hidden, ReLU), then Dense(channels, ReLU), Keras' initialisation. */
function niceNet(c: NiceConfig): CouplingNet {
  return (ps, x1, channels) => {
    let h = x1;
    for (let i = 0; i < c.depth; i++) {
      const fanIn = h.shape[1]!;
      h = relu(dense(ps, `fc${i}`, h, c.hidden, { init: inits.glorotUniform(fanIn, c.hidden) }));
    }
    return relu(dense(ps, "out", h, channels, { init: inits.glorotUniform(c.hidden, channels) }));
  };
}

/** NICE on flat records of `dims` values (784 for MNIST). */
export function niceFlow(c: NiceConfig, dims = 784): Bijection {
  const net = niceNet(c);
  const layers: Bijection[] = [];
  for (let i = 0; i < c.couplings; i++) {
    layers.push(reverse(`reverse${i}`));
    layers.push(additiveCoupling(`coupling${i}`, { net, split: "evenOdd", sign: -1 }));
  }
  layers.push(diagonalScaling("scale", inits.normal(Math.sqrt(2 / (1 + dims)))));
  return chain("/nice", layers);
}

/** NICE as an {@link ImageFlow} on [C, H, W] images, read flat. */
export function niceModel(c: NiceConfig, image: readonly [number, number, number]): ImageFlow {
  const dims = image[0] * image[1] * image[2];
  return { flow: niceFlow(c, dims), prior: priorOf(c.prior), record: [dims], sampleShape: [...image] };
}
