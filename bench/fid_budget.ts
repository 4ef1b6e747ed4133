/**
 * The classifier-FID that wgan-div reaches in a fixed wall-clock budget of training, ours (the pipeline on
 * onnxruntime) against PyTorch CPU eager on the same model, loss, optimiser, batch and training images
 * (bench/torch/wgan_div_budget.py), both scored by the pipeline's own evaluation stage (`eval.generator`,
 * the same classifier, samples and noise) at fifths of the budget.
 *
 * Ours: a short calibration run measures steps per second (and builds the data and the classifier); the
 * pipeline then trains budget × that rate steps with a snapshot every fifth, from an empty train stage,
 * and its `evaluate` stage scores every snapshot; a snapshot's time is its step ÷ the run's measured
 * steps per second. PyTorch: trains for the budget of wall time, writing the generator's weights at each
 * fifth under our parameter names, which the evaluation stage then scores through our exported sampler.
 *
 * Run: `deno task bench fid-budget [--budget=600] [--threads=2]` (the budget is 10 minutes; the
 * whole bench takes about twice the budget plus the data, classifier and evaluations).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { ganGraphParams, ganNetwork } from "../families/gan_graph.ts";
import { Store } from "../engine/store.ts";
import { runStageForTest } from "../engine/testing.ts";
import { ganSampler } from "../models/onnx/models/gan_step.ts";
import { decodeSafetensors, tensorsToState } from "../models/onnx/safetensors.ts";
import { generatorEval } from "../stages/eval/generator_eval.ts";
import { openShards } from "../stages/data/shard_reader.ts";
import { torchAvailable } from "./_passes.ts";
import { denoOutput, fmt, printLoad, printTable } from "./_report.ts";

const args = parseArgs({
  options: { budget: { type: "string", default: "600" }, threads: { type: "string", default: "2" } },
});
const budget = Number(args.values.budget);
const threads = Number(args.values.threads);
if (!(budget > 0) || !(threads >= 1)) {
  console.error("--budget (seconds) and --threads must be positive numbers");
  Deno.exit(2);
}

const tmp = await Deno.makeTempDir({ prefix: "bench-fid-budget-" });
const env = { NO_COLOR: "1", REPRO_DATA_DIR: `${tmp}/data`, REPRO_REPORTS_DIR: `${tmp}/reports` };
const run = (...sets: string[]) =>
  denoOutput([
    "task",
    "--quiet",
    "run",
    "wgan-div",
    "--threads",
    String(threads),
    ...sets.flatMap((s) => ["--set", s]),
  ], env);
const query = async <T>(sql: string) =>
  JSON.parse(await denoOutput(["task", "--quiet", "query", "--json", sql], env)) as T[];
const latest = "(select max(run_id) from runs)";
/** A stage's params of the latest run, as values (numbers, strings, arrays). */
const paramsOf = async (stage: string) =>
  Object.fromEntries(
    (await query<{ name: string; value: string }>(
      `select name, value from params where run_id = ${latest} and stage = '${stage}'`,
    )).map((r) => {
      try {
        return [r.name, JSON.parse(r.value)];
      } catch {
        return [r.name, r.value];
      }
    }),
  );

await printLoad("load before");
// Calibration: data, classifier, and our steps per second at the default model.
await run("train.steps=60", "train.snapshotEvery=60");
/** The latest run's training throughput. */
const stepsPerSecond = async () =>
  (await query<{ value: number }>(
    `select value from metrics where run_id = ${latest} and stage = 'train' and name = 'steps_per_second'`,
  ))[0]!.value;
const rate = await stepsPerSecond();
const every = Math.max(1, Math.round((budget * rate) / 5));
console.log(
  `calibration: ${fmt(rate)} steps/s → ${5 * every} steps in ${budget} s, a snapshot every ${every}`,
);
await run(`train.steps=${5 * every}`, `train.snapshotEvery=${every}`);

const ours = await query<{ step: number; fid: number }>(
  `select step, value as fid from metrics where run_id = ${latest} and stage = 'evaluate' and name = 'fid' order by step`,
);
const oursRate = await stepsPerSecond();
const objects = Object.fromEntries(
  (await query<{ stage: string; object: string }>(
    `select stage, object from stages where run_id = ${latest}`,
  ))
    .map((r) => [r.stage, r.object]),
);
const graph = await paramsOf("graph");
const evalParams = await paramsOf("evaluate");
const store = Store.open(env.REPRO_DATA_DIR);
const out = (stage: string) => store.objectOut(objects[stage]!);

let torch: { step: number; seconds: number; fid: number }[] = [];
if (torchAvailable()) {
  // The same training images, as train.run feeds them: [−1, 1], NCHW.
  const shards = await openShards(out("data"));
  const train = await shards.readAll("train", { transform: { scale: "symmetric", layout: "nchw" } });
  const images = `${tmp}/train.f32`;
  const x = train.x as Float32Array;
  await Deno.writeFile(images, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const trained = `${tmp}/torch`;
  await Deno.mkdir(`${trained}/snapshots`, { recursive: true });
  for (const f of ["export.json", "export.onnx"]) {
    await Deno.copyFile(`${out("train")}/${f}`, `${trained}/${f}`);
  }
  // The network as the graph stage resolved it (unset params take the dcgan28 defaults).
  const { network } = ganNetwork(z.object(ganGraphParams).parse(graph));
  if (network.kind !== "dcgan28") throw new Error(`wgan-div's network is ${network.kind}, not dcgan28`);
  const [g0, g1] = network.gChannels;
  const [d0, d1] = network.dChannels;
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./torch/wgan_div_budget.py", import.meta.url).pathname,
      images,
      String(train.count),
      String(budget),
      trained,
      String(threads),
      ...[network.zDim, g0, g1, d0, d1, graph.batch].map(String),
    ],
    env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (py.code !== 0) {
    throw new Error(`wgan_div_budget.py failed: ${new TextDecoder().decode(py.stderr).slice(-800)}`);
  }
  const result = JSON.parse(new TextDecoder().decode(py.stdout).trim().split("\n").pop()!) as {
    snapshots: { step: number; seconds: number }[];
  };
  // The standalone model (the evaluation's pictures) with PyTorch's final weights baked in.
  const last = result.snapshots.at(-1)!.step;
  const path = `${trained}/snapshots/step-${String(last).padStart(6, "0")}.safetensors`;
  const weights = tensorsToState(decodeSafetensors(await Deno.readFile(path), path).tensors);
  await Deno.writeFile(`${trained}/model.onnx`, ganSampler(network, [1, 28, 28], graph.batch, weights));
  const scored = await runStageForTest(generatorEval, {
    params: evalParams,
    inputs: { trained, classifier: out("classifier"), data: out("data") },
    threads,
  });
  const fidAt = new Map(scored.metrics.filter((m) => m.name === "fid").map((m) => [m.step, m.value]));
  torch = result.snapshots.map((s) => ({ ...s, fid: fidAt.get(s.step)! }));
} else console.log("PyTorch not available: ours only.");
await printLoad("load after");

printTable(
  `wgan-div classifier-FID within a ${budget} s training budget, ${threads} thread(s) each`,
  ["share of budget", "ours: step", "ours: s", "ours: FID", "PyTorch: step", "PyTorch: s", "PyTorch: FID"],
  ours.map((o, i) => {
    const t = torch[i];
    return [`${(100 * i) / 5}%`, o.step, o.step / oursRate, o.fid, t?.step, t?.seconds, t?.fid];
  }),
  "Ours: the wgan-div pipeline's default model (its seconds = step ÷ the run's measured steps/s); PyTorch 1.13 " +
    "eager on the same model and images (wall seconds). Both scored by eval.generator with the same classifier, " +
    "sample count and noise.",
);
await Deno.remove(tmp, { recursive: true });
