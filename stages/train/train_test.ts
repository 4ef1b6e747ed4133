import assert from "node:assert/strict";
import { runStageForTest } from "../../engine/testing.ts";
import { mlpClassifierStep } from "../../models/onnx/models/mlp.ts";
import { decodeSafetensors } from "../../models/onnx/safetensors.ts";
import { saveTrainStep } from "../../models/onnx/saved_step.ts";
import { createSession, runSession } from "../../models/onnx/session.ts";
import { ganGraph } from "../../families/gan_graph.ts";
import { mnistStage } from "../data/sources/mnist.ts";
import { autoFuse, train } from "./train.ts";

// One MNIST shard set and one tiny WGAN-div graph, shared by the tests below.
const data = (await runStageForTest(mnistStage, { params: {} })).outDir;
const tinyGan = (await runStageForTest(ganGraph, {
  params: { loss: "wgan-div", batch: 8, zDim: 8, gChannels: [8, 4], dChannels: [4, 8], fuse: [2] },
})).outDir;

async function metricsOf(dir: string): Promise<{ step: number; name: string; value: number }[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const c = await (await DuckDBInstance.create(":memory:")).connect();
  const r = await c.runAndReadAll(
    `select step::int as step, name, value from '${dir}/metrics.parquet' order by step, name`,
  );
  return r.getRowObjectsJS() as { step: number; name: string; value: number }[];
}

const GAN_FEEDS = { x: "images", z_d: "normal", z_g: "normal" } as const;

Deno.test("train.run trains a GAN, logs window means, snapshots and exports a standalone sampler", async () => {
  const { outDir, metrics, progress } = await runStageForTest(train, {
    params: { steps: 20, feeds: GAN_FEEDS, logEvery: 5, checkpointEvery: 10, snapshotEvery: 10 },
    inputs: { graph: tinyGan, data },
  });
  const rows = await metricsOf(outDir);
  assert.deepEqual([...new Set(rows.map((r) => r.step))], [5, 10, 15, 20]);
  assert.deepEqual([...new Set(rows.map((r) => r.name))].sort(), ["loss_d", "loss_g", "penalty", "wdist"]);
  assert.ok(rows.every((r) => Number.isFinite(r.value)));
  assert.equal(
    metrics.filter((m) => m.name === "loss_d").length,
    4,
    "the same means go to the run's metrics",
  );
  assert.equal(progress.at(-1)!.done, 20);
  const snapshots = [...Deno.readDirSync(`${outDir}/snapshots`)].map((e) => e.name).sort();
  assert.deepEqual(snapshots, [
    "step-000000.safetensors",
    "step-000010.safetensors",
    "step-000020.safetensors",
  ]);
  const snap = decodeSafetensors(Deno.readFileSync(`${outDir}/snapshots/step-000020.safetensors`));
  assert.ok(Object.keys(snap.tensors).every((n) => n.startsWith("generator/")));
  // The exported model needs nothing but z.
  const session = await createSession(Deno.readFileSync(`${outDir}/model.onnx`));
  assert.deepEqual(session.inputNames, ["z"]);
  const z = new Float32Array(8 * 8).map((_, i) => Math.sin(i));
  const image = (await runSession(session, { z })).image!;
  assert.deepEqual(image.dims, [8, 1, 28, 28]);
  assert.ok(Array.from(image.data as Float32Array).every((v) => v > -1 && v < 1));
});

Deno.test("train.run resumes a killed training from its checkpoint and ends bit-identical", async () => {
  // One step per call, so that the kill below (timed by the checkpoint file's appearance) lands mid-run.
  const params = {
    steps: 20,
    feeds: GAN_FEEDS,
    logEvery: 5,
    checkpointEvery: 10,
    snapshotEvery: 10,
    fuse: 1,
  };
  const whole = await runStageForTest(train, { params, inputs: { graph: tinyGan, data } });

  // Interrupt after the checkpoint at step 10, as a kill would, then run again with the same work folder.
  const workDir = await Deno.makeTempDir();
  const controller = new AbortController();
  const stop = setInterval(() => {
    try {
      if (Deno.statSync(`${workDir}/checkpoint.json`).isFile) controller.abort(new Error("killed"));
    } catch { /* not yet */ }
  }, 1);
  await assert.rejects(
    runStageForTest(train, { params, inputs: { graph: tinyGan, data }, workDir, signal: controller.signal }),
  );
  clearInterval(stop);
  const checkpoint = JSON.parse(Deno.readTextFileSync(`${workDir}/checkpoint.json`));
  assert.equal(checkpoint.step, 10);
  const resumed = await runStageForTest(train, { params, inputs: { graph: tinyGan, data }, workDir });
  assert.ok(resumed.logs.some((l) => l.includes("resuming from the checkpoint at step 10")));
  for (
    const file of [
      "final.safetensors",
      "metrics.parquet",
      "model.onnx",
      "train.json",
      "snapshots/step-000020.safetensors",
    ]
  ) {
    assert.deepEqual(
      Deno.readFileSync(`${resumed.outDir}/${file}`),
      Deno.readFileSync(`${whole.outDir}/${file}`),
      file,
    );
  }
});

Deno.test("train.run fused steps give the host loop's result", async () => {
  const base = { steps: 10, feeds: GAN_FEEDS, logEvery: 2, checkpointEvery: 0, snapshotEvery: 0 };
  const host = await runStageForTest(train, {
    params: { ...base, fuse: 1 },
    inputs: { graph: tinyGan, data },
  });
  const fused = await runStageForTest(train, {
    params: { ...base, fuse: 2 },
    inputs: { graph: tinyGan, data },
  });
  assert.deepEqual(
    Deno.readFileSync(`${fused.outDir}/final.safetensors`),
    Deno.readFileSync(`${host.outDir}/final.safetensors`),
  );
});

Deno.test("train.run: calls never cross a log, checkpoint or snapshot step, so fusing changes nothing a user sees", async () => {
  // K = 4 does not divide the intervals (the graph stage built only K = 2: K = 4 is derived on load).
  const base = { steps: 22, feeds: GAN_FEEDS, logEvery: 5, checkpointEvery: 10, snapshotEvery: 6 };
  const host = await runStageForTest(train, {
    params: { ...base, fuse: 1 },
    inputs: { graph: tinyGan, data },
  });
  const fused = await runStageForTest(train, {
    params: { ...base, fuse: 4 },
    inputs: { graph: tinyGan, data },
  });
  for (
    const file of ["final.safetensors", "metrics.parquet", "train.json", "snapshots/step-000018.safetensors"]
  ) {
    assert.deepEqual(
      Deno.readFileSync(`${fused.outDir}/${file}`),
      Deno.readFileSync(`${host.outDir}/${file}`),
      file,
    );
  }
  assert.deepEqual(
    [...Deno.readDirSync(`${fused.outDir}/snapshots`)].map((e) => e.name).sort(),
    ["step-000000", "step-000006", "step-000012", "step-000018"].map((n) => `${n}.safetensors`),
  );
  assert.deepEqual(fused.progress.map((p) => p.done), [5, 10, 15, 20, 22]);
  assert.deepEqual(fused.progress, host.progress);
});

Deno.test("fuse: auto takes the largest K up to 8 that divides the log, checkpoint and snapshot intervals", () => {
  assert.equal(autoFuse({ logEvery: 10, checkpointEvery: 250, snapshotEvery: 200 }), 5);
  assert.equal(autoFuse({ logEvery: 20, checkpointEvery: 0, snapshotEvery: 0 }), 5);
  assert.equal(autoFuse({ logEvery: 16, checkpointEvery: 320, snapshotEvery: 0 }), 8);
  assert.equal(autoFuse({ logEvery: 1, checkpointEvery: 10, snapshotEvery: 0 }), 1);
  assert.equal(train.params.parse({}).fuse, "auto");
});

Deno.test("train.run stops at the first non-finite metric, naming it and the step", async () => {
  const dir = await Deno.makeTempDir();
  await saveTrainStep(
    mlpClassifierStep({ inputDim: 784, hidden: [16], classes: 10, batch: 16, lr: 1e30 }),
    `${dir}/step`,
    { seed: 0 },
  );
  const diverge = async (fuse: "auto" | number, logEvery: number) => {
    const result = runStageForTest(train, {
      params: { steps: 50, feeds: { x: "images", y: "labels" }, transform: {}, logEvery, fuse },
      inputs: { graph: dir, data },
    });
    let message = "";
    await assert.rejects(result, (err: Error) => {
      message = err.message;
      return /Training diverged: (loss|accuracy) is (NaN|Infinity|-Infinity) at step \d+\. The metrics logged up to step \d+ are kept/
        .test(err.message);
    });
    return message;
  };
  // Fused steps name the same step as single steps.
  assert.equal(await diverge(5, 10), await diverge(1, 10));
});

Deno.test("train.run rejects feeds and hyperparameters the graph does not have", async () => {
  await assert.rejects(
    runStageForTest(train, {
      params: { steps: 2, feeds: { x: "images" } },
      inputs: { graph: tinyGan, data },
    }),
    /The graph's batch input 'z_d' has no feed: set train\.feeds\.z_d/,
  );
  await assert.rejects(
    runStageForTest(train, {
      params: { steps: 2, feeds: GAN_FEEDS, hyper: { lr: 1 } },
      inputs: { graph: tinyGan, data },
    }),
    /train\.hyper\.lr: the graph has no hyperparameter 'lr' \(it has lr_d, lr_g\)/,
  );
  assert.throws(() => train.params.parse({ fuse: 0 }), /fuse/);
});

Deno.test("train.run exports the generator's moving average when the graph keeps one", async () => {
  const emaGan = (await runStageForTest(ganGraph, {
    params: { loss: "wgan-div", batch: 8, zDim: 8, gChannels: [8, 4], dChannels: [4, 8], ema: 0.9 },
  })).outDir;
  const { outDir } = await runStageForTest(train, {
    params: { steps: 10, feeds: GAN_FEEDS, logEvery: 5, checkpointEvery: 0, snapshotEvery: 10 },
    inputs: { graph: emaGan, data },
  });
  const snapshot =
    decodeSafetensors(Deno.readFileSync(`${outDir}/snapshots/step-000010.safetensors`)).tensors;
  const raw = decodeSafetensors(Deno.readFileSync(`${outDir}/final.safetensors`)).tensors;
  const name = "generator/fc/W";
  assert.notDeepEqual(
    snapshot[name]!.data,
    raw[name]!.data,
    "the snapshot holds the average, not the raw weights",
  );
  const z = new Float32Array(8 * 8).map((_, i) => Math.cos(i));
  const weights = Object.fromEntries(Object.entries(snapshot).map(([n, t]) => [n, t.data as Float32Array]));
  const viaSnapshot = await runSession(await createSession(Deno.readFileSync(`${outDir}/export.onnx`)), {
    ...weights,
    z,
  });
  const baked = await runSession(await createSession(Deno.readFileSync(`${outDir}/model.onnx`)), { z });
  assert.deepEqual(baked.image!.data, viaSnapshot.image!.data, "model.onnx bakes the same averaged weights");
});

Deno.test("train.run continues a shorter training and ends bit-identical to a run from scratch", async () => {
  const params = (steps: number) => ({
    steps,
    feeds: GAN_FEEDS,
    logEvery: 5,
    checkpointEvery: 10,
    snapshotEvery: 10,
  });
  const inputs = { graph: tinyGan, data };
  const short = await runStageForTest(train, { params: params(20), inputs });
  const longer = await runStageForTest(train, {
    params: params(35),
    inputs,
    continueFrom: { dir: short.outDir, key: "a".repeat(64), params: train.params.parse(params(20)) },
  });
  const fresh = await runStageForTest(train, { params: params(35), inputs });
  assert.ok(
    longer.logs.some((l) => /continuing from step 20 of aaaaaaaaaaaa/.test(l)),
    longer.logs.join("\n"),
  );
  const files = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(files(longer.outDir), files(fresh.outDir));
  for (
    const f of [
      ...files(fresh.outDir),
      ...files(`${fresh.outDir}/snapshots`).map((s) => `snapshots/${s}`),
    ]
  ) {
    if (Deno.statSync(`${fresh.outDir}/${f}`).isDirectory) continue;
    assert.deepEqual(
      Deno.readFileSync(`${longer.outDir}/${f}`),
      Deno.readFileSync(`${fresh.outDir}/${f}`),
      f,
    );
  }
  // It also reports the whole history, as the fresh run does.
  const steps = (m: { step: number; name: string }[]) =>
    m.filter((r) => r.name === "loss_d").map((r) => r.step);
  assert.deepEqual(steps(longer.metrics), steps(fresh.metrics));
  // A prefix that ends inside a metrics window is not continued: the run starts over, still exact.
  const odd = await runStageForTest(train, {
    params: { ...params(22), logEvery: 11, checkpointEvery: 11 },
    inputs,
  });
  const fromOdd = await runStageForTest(train, {
    params: params(35),
    inputs,
    continueFrom: {
      dir: odd.outDir,
      key: "b".repeat(64),
      params: train.params.parse({ ...params(22), logEvery: 11, checkpointEvery: 11 }),
    },
  });
  assert.ok(fromOdd.logs.some((l) => /not continuing bbbbbbbbbbbb/.test(l)), fromOdd.logs.join("\n"));
  assert.deepEqual(
    Deno.readFileSync(`${fromOdd.outDir}/final.safetensors`),
    Deno.readFileSync(`${fresh.outDir}/final.safetensors`),
  );
  for (const r of [short, longer, fresh, odd, fromOdd]) await Deno.remove(r.outDir, { recursive: true });
});

Deno.test("train.run copies the graph's further exports (exports/<name>/) beside its own", async () => {
  const graph = await Deno.makeTempDir({ prefix: "train-exports-" });
  for (const e of Deno.readDirSync(tinyGan)) {
    if (e.isFile) await Deno.copyFile(`${tinyGan}/${e.name}`, `${graph}/${e.name}`);
  }
  await Deno.mkdir(`${graph}/step`);
  for (const e of Deno.readDirSync(`${tinyGan}/step`)) {
    await Deno.copyFile(`${tinyGan}/step/${e.name}`, `${graph}/step/${e.name}`);
  }
  await Deno.mkdir(`${graph}/exports/critic`, { recursive: true });
  await Deno.copyFile(`${tinyGan}/export.onnx`, `${graph}/exports/critic/export.onnx`);
  await Deno.writeTextFile(
    `${graph}/exports/critic/export.json`,
    '{"role":"critic","paramPrefix":"generator/"}',
  );
  const { outDir } = await runStageForTest(train, {
    params: { steps: 4, feeds: GAN_FEEDS, logEvery: 2, checkpointEvery: 0, snapshotEvery: 0 },
    inputs: { graph, data },
  });
  assert.deepEqual([...Deno.readDirSync(`${outDir}/exports`)].map((e) => e.name), ["critic"]);
  assert.deepEqual(
    Deno.readFileSync(`${outDir}/exports/critic/export.onnx`),
    Deno.readFileSync(`${tinyGan}/export.onnx`),
  );
  assert.equal(JSON.parse(Deno.readTextFileSync(`${outDir}/exports/critic/export.json`)).role, "critic");
  await Deno.remove(graph, { recursive: true });
});

Deno.test("train.run feeds the records' indices: they match the batch's images across shuffled epochs, and per-record parameters continue exactly", async () => {
  const { writeTinyDataset } = await import("../data/_test_util.ts");
  const { openShards } = await import("../data/shard_reader.ts");
  const { buildTrainStep } = await import("../../models/onnx/train_step.ts");
  const { constant } = await import("../../models/onnx/graph.ts");
  const { gather } = await import("../../models/onnx/ops_index.ts");
  const { abs, cast, mul, sub } = await import("../../models/onnx/ops_elementwise.ts");
  const { reduceMax, reduceSum } = await import("../../models/onnx/ops_reduce.ts");
  const { reshape, slice } = await import("../../models/onnx/ops_shape.ts");
  const { inits } = await import("../../models/onnx/init.ts");
  const { sgd } = await import("../../models/onnx/optimizers.ts");
  // Ten 2×3 images, four per batch: two batches per epoch (dropLast), eight of the ten records each epoch.
  const tiny = await Deno.makeTempDir({ prefix: "train-indices-" });
  await writeTinyDataset(tiny, { train: 10 });
  const stored = await (await openShards(tiny)).readAll("train", { transform: {}, labels: "none" });
  const b = 4, n = 10, d = 6;
  const graph = await Deno.makeTempDir({ prefix: "train-indices-graph-" });
  const step = buildTrainStep({
    name: "per_record_table",
    batch: { x: { dtype: "float32", shape: [b, d] }, idx: { dtype: "int32", shape: [b] } },
    hyper: { lr: 0.5 },
    build(ctx) {
      // int64 for Gather's gradient (ONNX ScatterND takes int64 indices only).
      const idx = cast(ctx.batch.idx!, "int64");
      const x = ctx.batch.x!;
      // A table row per record (as GLO's latent codes), pulled halfway to its record's image per visit.
      const table = ctx.params.param("codes/table", [n, d], inits.zeros());
      const diff = sub(gather(table, idx), x);
      ctx.minimize("codes", mul(reduceSum(mul(diff, diff)), 0.5), sgd({ lr: ctx.hyper.lr! }));
      // 0 exactly when every fed index names the record whose image was fed beside it.
      const mismatch = reduceMax(abs(sub(gather(constant(stored.x, "float32", [n, d]), idx), x)));
      const picks = Object.fromEntries(
        Array.from(
          { length: b },
          (_, i) => [`i${i}`, reshape(cast(slice(idx, [i], [i + 1]), "float32"), [])],
        ),
      );
      return { mismatch, ...picks };
    },
  });
  await saveTrainStep(step, `${graph}/step`, { seed: 0 });
  const params = (steps: number) => ({
    steps,
    feeds: { x: "images", idx: "indices" } as const,
    transform: {},
    logEvery: 1,
    checkpointEvery: 0,
    snapshotEvery: 0,
  });
  const inputs = { graph, data: tiny };
  const fresh = await runStageForTest(train, { params: params(12), inputs });
  const at = (name: string) => fresh.metrics.filter((m) => m.name === name).map((m) => m.value);
  assert.deepEqual(at("mismatch"), new Array(12).fill(0));
  const fed = at("i0").map((_, s) => [0, 1, 2, 3].map((i) => at(`i${i}`)[s]!));
  const epochs = Array.from({ length: 6 }, (_, e) => [...fed[2 * e]!, ...fed[2 * e + 1]!]);
  for (const e of epochs) assert.equal(new Set(e).size, 8, `an epoch visits 8 distinct records: ${e}`);
  assert.notDeepEqual(epochs[0], epochs[1], "each epoch is shuffled anew");
  // Each record's row moved halfway to its image on each visit, and no other row moved.
  const visits = new Array(n).fill(0);
  for (const i of epochs.flat()) visits[i]++;
  const table = decodeSafetensors(Deno.readFileSync(`${fresh.outDir}/final.safetensors`))
    .tensors["codes/table"]!
    .data as Float32Array;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const want = stored.x[r * d + j]! * (1 - 0.5 ** visits[r]);
      assert.ok(Math.abs(table[r * d + j]! - want) < 1e-6, `row ${r} (${visits[r]} visits)`);
    }
  }
  // A longer run continues a shorter one byte for byte, indices included.
  const short = await runStageForTest(train, { params: params(5), inputs });
  const longer = await runStageForTest(train, {
    params: params(12),
    inputs,
    continueFrom: { dir: short.outDir, key: "c".repeat(64), params: train.params.parse(params(5)) },
  });
  assert.ok(longer.logs.some((l) => /continuing from step 5/.test(l)), longer.logs.join("\n"));
  for (const f of ["final.safetensors", "optimizer.safetensors", "metrics.parquet", "train.json"]) {
    assert.deepEqual(
      Deno.readFileSync(`${longer.outDir}/${f}`),
      Deno.readFileSync(`${fresh.outDir}/${f}`),
      f,
    );
  }
  // Indices go to int32 inputs only.
  const wrong = await Deno.makeTempDir({ prefix: "train-indices-wrong-" });
  await saveTrainStep(
    buildTrainStep({
      name: "float_idx",
      batch: { x: { dtype: "float32", shape: [b, d] }, idx: { dtype: "float32", shape: [b] } },
      build(ctx) {
        const w = ctx.params.param("w", [1], inits.zeros());
        const loss = reduceSum(mul(w, reduceSum(ctx.batch.idx!)));
        ctx.minimize("w", loss, sgd({ lr: 0.1 }));
        return { loss };
      },
    }),
    `${wrong}/step`,
    { seed: 0 },
  );
  await assert.rejects(
    runStageForTest(train, { params: params(1), inputs: { graph: wrong, data: tiny } }),
    /train\.feeds\.idx: indices are int32, but the graph's batch input 'idx' is float32/,
  );
  for (const dir of [tiny, graph, wrong, fresh.outDir, short.outDir, longer.outDir]) {
    await Deno.remove(dir, { recursive: true });
  }
});
