/**
 * The exports of a VQ-VAE graph stage (vq-vae.graph and vqgan.graph share them): the decoder at code grids
 * drawn from the MADE prior as the sampler (for eval.generator), the same decoder at uniformly random code
 * grids (`uniform`, the untrained-prior baseline) and the reconstructions with their code indices (`recon`).
 * Imported inside `build`, with the model module, so that loading a pipeline stays fast.
 *
 * @module
 */
import {
  POSITIONS,
  type VqVaeConfig,
  vqVaeReconModel,
  vqVaeSamplerModel,
} from "../../models/onnx/models/vq_vae.ts";

/** The sampler and the further exports of a VQ-VAE of `cfg`, each taking `evalBatch` records per call. */
export function vqVaeExports(cfg: VqVaeConfig, evalBatch: number) {
  const sampler = (prior: "made" | "uniform") => ({
    bytes: vqVaeSamplerModel(cfg, evalBatch, prior),
    info: {
      input: "z",
      inputShape: [evalBatch, POSITIONS * cfg.codes],
      noise: "uniform" as const,
      output: "image",
      sampleShape: [1, 28, 28],
      range: [0, 1] as [number, number],
      paramPrefix: "vq/",
    },
  });
  const uniform = sampler("uniform");
  return {
    sampler: sampler("made"),
    exports: {
      uniform: { bytes: uniform.bytes, info: { role: "sampler", ...uniform.info } },
      recon: {
        bytes: vqVaeReconModel(cfg, evalBatch),
        info: {
          role: "recon",
          input: "x",
          inputShape: [evalBatch, 784],
          outputs: { recon: "recon", index: "index" },
          codes: cfg.codes,
          positions: POSITIONS,
          paramPrefix: "vq/",
        },
      },
    },
  };
}
