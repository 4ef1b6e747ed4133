/**
 * What a density model's graph stage writes beside its train step (export.json, with export.onnx whose
 * weights are graph inputs), and what `eval.likelihood` reads: `train.run` copies both into its output
 * and bakes the trained weights into model.onnx, as for any export. Its own module, so that the
 * training loop and the evaluation do not share code digests with the graph stages.
 *
 * @module
 */

/** A density model: records in, the log-density (or log-probability) of each out. */
export interface DensityExport {
  role: "density";
  /** Input name and shape [batch, …record dims], fed the records as the evaluation's transform gives them. */
  input: string;
  inputShape: number[];
  /**
   * Output name. Shape [batch]: log q(x) in nats, the density of the transformed record (or, with
   * `discrete`, the log-probability of the record's levels). With `noise`: [batch, samples], log
   * importance weights log p(x, z)/q(z | x) whose log-mean-exp over K draws is a lower bound (IWAE-K).
   */
  output: string;
  /** Prefix of the parameter names the model takes as inputs. */
  paramPrefix: string;
  /** The output is a log-probability mass of the record's discrete values: no Jacobian applies. */
  discrete?: boolean;
  /** Per dimension, [lo, hi] outside which the model has no mass (a density of period 2 on [−1, 1]). */
  support?: [number, number][];
  /** Noise input of importance-weighted estimates: name, shape [batch, samples, …], distribution. */
  noise?: { input: string; shape: number[]; kind: "normal" | "uniform" };
}

/** The density export of a `train.run` output (or a graph stage's), with a clear error when there is none. */
export async function readDensityExport(dir: string, what = "input 'trained'"): Promise<DensityExport> {
  let info: { role?: string } & Partial<DensityExport>;
  try {
    info = JSON.parse(await Deno.readTextFile(`${dir}/export.json`));
  } catch (error) {
    throw new Error(
      `${what} (${dir}) has no readable export.json (${(error as Error).message}): ` +
        `train a graph whose stage writes a density export (stages/eval/likelihood_graph.ts)`,
    );
  }
  if (info.role !== "density") {
    throw new Error(
      `${what} (${dir}) exports a '${info.role}', not a density: eval.likelihood needs a model ` +
        `x → log p(x) (role "density")`,
    );
  }
  return info as DensityExport;
}
