/**
 * The networks of the GAN family: a generator and a critic for each, by kind.
 *
 * - `dcgan28`: the 28×28 DCGAN of wgan-div (models/onnx/models/wgan_div.ts, reused as is).
 * - `mlp`: Su's WGAN-GP MLPs (bojone/gan mnist_gangp.py): G z → 32 → 128 → C·H·W (ReLU, then a
 *   sigmoid), D C·H·W → 128 → 32 → 1 (ReLU), every weight and bias drawn from U(−0.05, 0.05). The
 *   sigmoid is rescaled to (−1, 1), 2σ(h) − 1, because the family feeds images in [−1, 1]; the
 *   article's [0, 1] images and this are the same model up to that affine map of the data.
 *
 * Parameter names are absolute (`generator/...`, `critic/...`), whatever the caller's scope.
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { dense } from "../layers.ts";
import { mul, relu, sigmoid, sub } from "../ops_elementwise.ts";
import { flatten, reshape } from "../ops_shape.ts";
import type { ParamSource } from "../params.ts";
import { critic as dcganCritic, generator as dcganGenerator } from "./wgan_div.ts";

/** The 28×28 DCGAN of wgan-div. */
export interface Dcgan28Network {
  kind: "dcgan28";
  zDim: number;
  gChannels: readonly [number, number];
  dChannels: readonly [number, number];
  gBatchNorm: boolean;
  dBatchNorm: boolean;
  initStd: number;
}

/** Su's WGAN-GP MLPs. */
export interface MlpNetwork {
  kind: "mlp";
  zDim: number;
  /** Generator hidden widths (Su: [32, 128]). */
  gHidden: readonly number[];
  /** Critic hidden widths (Su: [128, 32]). */
  dHidden: readonly number[];
  /** Weights and biases from U(−initRange, initRange) (Su: 0.05). */
  initRange: number;
}

export type GanNetwork = Dcgan28Network | MlpNetwork;

/** Whether the critic scores each sample on its own (no batch norm across the batch). */
export const perSampleCritic = (net: GanNetwork): boolean => net.kind === "mlp" || !net.dBatchNorm;

/** The generator: z [N, zDim] → images [N, …image] in (−1, 1). */
export function ganGenerator(
  ps: ParamSource,
  z: Tensor,
  net: GanNetwork,
  image: readonly [number, number, number],
): Tensor {
  if (net.kind === "dcgan28") {
    if (image.join() !== "1,28,28") {
      throw new Error(`The dcgan28 network makes 1×28×28 images, not ${image.join("×")}`);
    }
    return dcganGenerator(ps, z, net);
  }
  const init = { init: inits.uniform(-net.initRange, net.initRange), biasInit: uniform(net) };
  return scope("/generator", () => {
    let h = z;
    net.gHidden.forEach((width, i) => (h = relu(dense(ps, `fc${i + 1}`, h, width, init))));
    const out = dense(ps, `fc${net.gHidden.length + 1}`, h, image[0] * image[1] * image[2], init);
    return reshape(sub(mul(sigmoid(out), 2), 1), [z.shape[0]!, ...image]);
  });
}

const uniform = (net: MlpNetwork) => inits.uniform(-net.initRange, net.initRange);

/** The critic: images [N, …] → scores [N, 1]. */
export function ganCritic(ps: ParamSource, x: Tensor, net: GanNetwork): Tensor {
  if (net.kind === "dcgan28") return dcganCritic(ps, x, net);
  const init = { init: uniform(net), biasInit: uniform(net) };
  return scope("/critic", () => {
    let h = flatten(x);
    net.dHidden.forEach((width, i) => (h = relu(dense(ps, `fc${i + 1}`, h, width, init))));
    return dense(ps, `fc${net.dHidden.length + 1}`, h, 1, init);
  });
}

/** One line per network for the report, e.g. `z ∈ U(−1, 1)^10 → Dense(32) → ReLU → …`. */
export function describeNetwork(net: GanNetwork, noise: "normal" | "uniform"): {
  generator: string;
  critic: string;
} {
  const z = `z ∈ ${noise === "uniform" ? "U(−1, 1)" : "N(0, I)"}^${net.zDim}`;
  if (net.kind === "dcgan28") {
    const bn = (on: boolean) => (on ? " → BN" : "");
    const [c0, c1] = net.gChannels;
    const [d0, d1] = net.dChannels;
    return {
      generator: `${z} → Dense(${c0}·7·7)${bn(net.gBatchNorm)} → ReLU → ConvT(${c1})${
        bn(net.gBatchNorm)
      } → ReLU → ConvT(1) → tanh`,
      critic: `Conv(${d0}) → LeakyReLU 0.2 → Conv(${d1})${bn(net.dBatchNorm)} → LeakyReLU 0.2 → Dense(1)`,
    };
  }
  const chain = (widths: readonly number[]) => widths.map((w) => `Dense(${w}) → ReLU`).join(" → ");
  return {
    generator: `${z} → ${chain(net.gHidden)} → Dense → 2σ − 1; init U(±${net.initRange})`,
    critic: `${chain(net.dHidden)} → Dense(1); init U(±${net.initRange})`,
  };
}
