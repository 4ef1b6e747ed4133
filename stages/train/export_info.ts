/**
 * What a graph stage may write beside its train step: export.json, describing export.onnx (the model
 * to publish, with its weights as graph inputs). `train.run` bakes the trained weights into it and
 * copies both into its output, where evaluation stages read them. Its own module, so that editing the
 * training loop does not rerun the stages that only read exports.
 *
 * @module
 */

/**
 * What a graph stage may write beside the train step (export.json, with export.onnx: the model to
 * publish, its weights as graph inputs). The training stage bakes the trained weights into it.
 */
export type ExportInfo = SamplerExport | FeaturesExport;

/** A generator: noise in, samples out. */
export interface SamplerExport {
  role: "sampler";
  /** Noise input name and shape, e.g. "z", [64, 100]. */
  input: string;
  inputShape: number[];
  noise: "normal" | "uniform";
  output: string;
  /** Shape of one sample, e.g. [1, 28, 28], and the range of its values. */
  sampleShape: number[];
  range: [number, number];
  /** Prefix of the parameter names the model takes as inputs, e.g. "generator/". */
  paramPrefix: string;
  /**
   * Take the weights from carried state named `<weightsFrom><param name>` instead of the parameters
   * themselves, e.g. "ema/" for an exponential moving average kept by the train step.
   */
  weightsFrom?: string;
}

/** A classifier: images in, logits and penultimate features out (for classifier-FID). */
export interface FeaturesExport {
  role: "features";
  input: string;
  /** [batch, channels, height, width]. */
  inputShape: number[];
  /** The value range the classifier was trained on, e.g. [0, 1]. */
  inputRange: [number, number];
  logits: string;
  features: string;
  featureDim: number;
  classes: number;
  paramPrefix: string;
}

/** The graph's export description, or null when it has none. */
export async function readExport(dir: string): Promise<ExportInfo | null> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/export.json`)) as ExportInfo;
  } catch {
    return null;
  }
}
