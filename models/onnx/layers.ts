/**
 * Layers: functions that take a {@link ParamSource}, an input and hyperparameters, open a layer scope
 * and return the output. Parameters are named `<scope>/<layer>/W`, `<scope>/<layer>/b`, ...
 *
 * Default initialisation follows PyTorch (U(±1/√fanIn) for weights and biases); pass `init` for
 * others, e.g. DCGAN's `inits.normal(0.02)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { input, scope } from "./graph.ts";
 * import { conv2dLayer } from "./layers.ts";
 * import { leakyRelu } from "./ops_elementwise.ts";
 * import { ParamInputs } from "./params.ts";
 *
 * const ps = new ParamInputs(); // weights as graph inputs; their specs are recorded for initialisation
 * const x = input("x", "float32", [8, 1, 28, 28]);
 * const h = scope("critic", () => leakyRelu(conv2dLayer(ps, "conv1", x, 64, 4, { stride: 2, pad: 1 }), 0.2));
 * assert.deepEqual(h.shape, [8, 64, 14, 14]);
 * assert.deepEqual(ps.specs.map((s) => s.name), ["critic/conv1/W", "critic/conv1/b"]);
 * ```
 *
 * @module
 */
import { scope, type Tensor } from "./graph.ts";
import { type Init, inits } from "./init.ts";
import { conv2d, type ConvOptions, convTranspose2d, type ConvTransposeOptions } from "./ops_conv.ts";
import { gemm } from "./ops_linalg.ts";
import { batchNorm, layerNorm } from "./ops_nn.ts";
import type { ParamSource } from "./params.ts";

/** Initialisation options shared by the layers. */
export interface LayerInit {
  /** Weight initialiser; default PyTorch's U(±1/√fanIn). */
  init?: Init;
  /** Bias initialiser; default PyTorch's U(±1/√fanIn) (zeros when `init` is given). */
  biasInit?: Init;
  /** Add a bias (default true). */
  bias?: boolean;
}

function biasInit(o: LayerInit, fanIn: number): Init {
  return o.biasInit ?? (o.init ? inits.zeros() : inits.torchDefault(fanIn));
}

/** Fully connected layer `x·W + b` for `x` [N, in]; `W` is [in, out]. */
export function dense(ps: ParamSource, name: string, x: Tensor, out: number, o: LayerInit = {}): Tensor {
  if (x.rank !== 2) {
    throw new Error(`dense '${name}': input must be [N, features], got ${x} (flatten it first)`);
  }
  const fanIn = x.shape[1]!;
  return scope(name, () => {
    const w = ps.param("W", [fanIn, out], o.init ?? inits.torchDefault(fanIn));
    const b = o.bias === false ? undefined : ps.param("b", [out], biasInit(o, fanIn));
    return gemm(x, w, b);
  });
}

/** 2-D convolution layer: `W` [out, in, k, k], `b` [out]. */
export function conv2dLayer(
  ps: ParamSource,
  name: string,
  x: Tensor,
  out: number,
  kernel: number,
  o: ConvOptions & LayerInit = {},
): Tensor {
  const cin = x.shape[1]!;
  const fanIn = cin * kernel * kernel;
  return scope(name, () => {
    const w = ps.param("W", [out, cin, kernel, kernel], o.init ?? inits.torchDefault(fanIn));
    const b = o.bias === false ? undefined : ps.param("b", [out], biasInit(o, fanIn));
    return conv2d(x, w, b, o);
  });
}

/** Transposed 2-D convolution layer: `W` [in, out, k, k] (PyTorch layout), `b` [out]. */
export function convTranspose2dLayer(
  ps: ParamSource,
  name: string,
  x: Tensor,
  out: number,
  kernel: number,
  o: ConvTransposeOptions & LayerInit = {},
): Tensor {
  const cin = x.shape[1]!;
  // PyTorch computes the fan-in of a ConvTranspose weight from its dim 1 (out channels).
  const fanIn = out * kernel * kernel;
  return scope(name, () => {
    const w = ps.param("W", [cin, out, kernel, kernel], o.init ?? inits.torchDefault(fanIn));
    const b = o.bias === false ? undefined : ps.param("b", [out], biasInit(o, fanIn));
    return convTranspose2d(x, w, b, o);
  });
}

/** Batch norm with batch statistics and learnable `gamma` (ones) and `beta` (zeros) per channel. */
export function batchNormLayer(ps: ParamSource, name: string, x: Tensor, eps = 1e-5): Tensor {
  const c = x.shape[1]!;
  return scope(
    name,
    () => batchNorm(x, ps.param("gamma", [c], inits.ones()), ps.param("beta", [c], inits.zeros()), eps),
  );
}

/** Layer norm over the last axis with learnable `gamma` (ones) and `beta` (zeros). */
export function layerNormLayer(ps: ParamSource, name: string, x: Tensor, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1]!;
  return scope(
    name,
    () => layerNorm(x, ps.param("gamma", [d], inits.ones()), ps.param("beta", [d], inits.zeros()), -1, eps),
  );
}
