/**
 * `train.data-init`: data-dependent initialisation (Glow's actnorm): the graph stage's output with the
 * initial values of some parameters replaced by what its init model computes on a batch of training
 * data, so that training, every snapshot and every export start from them.
 *
 * The graph stage writes `data_init.onnx` (the model's forward pass in init mode: records in, the
 * recorded parameter values out, every other parameter as an input) and `data_init.json` (its input
 * name and shape, and the names it outputs). This stage copies the graph's output, runs the init model
 * once on `inputShape[0]` training records spread evenly over the split (transformed as in training,
 * noise seeded), with the other parameters at their initial values, and writes the results into
 * `step/init.safetensors`. A graph without `data_init.json` is refused: nothing would change.
 *
 * @module
 */
import { z } from "zod";
import { defineStage } from "../../engine/stage.ts";
import { transformSchema } from "../data/transforms.ts";

/** What a graph stage writes as data_init.json beside data_init.onnx. */
export interface DataInitInfo {
  input: string;
  /** [records, …record dims]. */
  inputShape: number[];
  /** The parameters the init model outputs, by name. */
  outputs: string[];
}

export const dataInit = defineStage({
  kind: "train.data-init",
  module: import.meta.url,
  description:
    "Data-dependent initialisation (actnorm): the graph with initial values computed on training data",
  params: z.object({
    /** The training transform, so that the init batch looks like the training batches. */
    transform: transformSchema.default({}),
    split: z.string().default("train"),
    seed: z.number().int().min(0).default(0),
  }).strict(),
  inputs: ["graph", "data"],
  async run(ctx) {
    const p = ctx.params;
    const { createSession, runSession } = await import("../../models/onnx/session.ts");
    const { decodeSafetensors, encodeSafetensors, stateToTensors, tensorsToState } = await import(
      "../../models/onnx/safetensors.ts"
    );
    const { openShards } = await import("../data/shard_reader.ts");
    const graph = ctx.inputs.graph;
    let info: DataInitInfo;
    try {
      info = JSON.parse(await Deno.readTextFile(`${graph}/data_init.json`));
    } catch (error) {
      throw new Error(
        `Input 'graph' (${graph}) has no readable data_init.json (${(error as Error).message}): its model ` +
          `has no data-dependent initialisation, so drop this stage and train the graph directly`,
      );
    }
    const copy = async (from: string, to: string) => {
      for await (const e of Deno.readDir(from)) {
        if (e.isDirectory) {
          await Deno.mkdir(`${to}/${e.name}`);
          await copy(`${from}/${e.name}`, `${to}/${e.name}`);
        } else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
      }
    };
    await copy(graph, ctx.outDir);

    const records = info.inputShape[0]!;
    const all = await (await openShards(ctx.inputs.data)).readAll(p.split, {
      transform: p.transform,
      seed: p.seed,
      labels: "none",
    });
    if (all.count < records) {
      throw new Error(`The init model reads ${records} records but split '${p.split}' has ${all.count}`);
    }
    const size = info.inputShape.slice(1).reduce((a, b) => a * b, 1);
    if (all.x.length !== all.count * size) {
      throw new Error(
        `The init model reads records of [${info.inputShape.slice(1)}] but the data gives [${
          all.dims.slice(1)
        }]: ` +
          `check the transform's layout`,
      );
    }
    // Records spread evenly over the split: its stored order may be grouped by class.
    const batch = new Float32Array(records * size);
    const stride = all.count / records;
    for (let i = 0; i < records; i++) {
      const j = Math.floor(i * stride);
      batch.set((all.x as Float32Array).subarray(j * size, (j + 1) * size), i * size);
    }

    const initFile = `${ctx.outDir}/step/init.safetensors`;
    const state = tensorsToState(decodeSafetensors(await Deno.readFile(initFile), initFile).tensors);
    const session = await createSession(await Deno.readFile(`${graph}/data_init.onnx`), {
      intraOpNumThreads: ctx.threads,
    });
    const feeds: Record<string, Float32Array> = { [info.input]: batch };
    for (const name of session.inputNames) {
      if (name === info.input) continue;
      if (!(name in state)) {
        throw new Error(`The init model reads '${name}', which the train step does not carry`);
      }
      feeds[name] = state[name] as Float32Array;
    }
    const out = await runSession(session, feeds);
    for (const name of info.outputs) {
      const value = out[name]!.data as Float32Array;
      if (!(name in state)) {
        throw new Error(`The init model sets '${name}', which the train step does not carry`);
      }
      if (!value.every(Number.isFinite)) {
        throw new Error(`The data-dependent init of '${name}' is not finite`);
      }
      state[name] = value;
    }
    const signature = JSON.parse(await Deno.readTextFile(`${ctx.outDir}/step/signature.json`)) as {
      carried: { name: string; shape: number[] }[];
    };
    const shapes = Object.fromEntries(signature.carried.map((c) => [c.name, c.shape]));
    await Deno.writeFile(initFile, encodeSafetensors(stateToTensors(state, shapes)));
    ctx.log(`${info.outputs.length} parameters initialised from ${records} training records`);
  },
});
