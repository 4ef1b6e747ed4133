/**
 * The wgan-div pipeline end to end through the CLI, shrunk by --set so that it runs in seconds: the
 * report in a real browser, caching, a training-length change, and kill -9 during training.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli as runCli, cliCommand, statuses, type TestStore } from "./_cli.ts";

const cli = (store: TestStore, ...args: string[]) => runCli(store, args);

/** A model and budget small enough for a test; everything else is the real pipeline. */
const TINY = [
  "graph.gChannels=[8,8]",
  "graph.dChannels=[8,8]",
  "graph.zDim=16",
  "train.steps=100",
  "train.snapshotEvery=50",
  "train.checkpointEvery=20",
  "classifier.steps=40",
  "evaluate.samples=200",
  "evaluate.realSamples=200",
].flatMap((s) => ["--set", s]);

const store: TestStore = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "wgan-div-test-" });
  return { data: `${dir}/data`, reports: `${dir}/reports` };
})();

Deno.test("wgan-div runs end to end and its report shows plots, samples and both FIDs in Chromium", async () => {
  const r = await cli(store, "run", "wgan-div", ...TINY);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(Object.values(statuses(r)).filter((s) => s !== "ran"), []);
  const page = `${store.reports}/wgan-div/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /classifier-FID/);
  assert.match(html, /untrained generator \(step 0\)/);
  // 1280 px: a common laptop width, at which no table may be cut.
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.title, "WGAN-div on MNIST");
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.failedRequests, []);
  assert.ok(seen.plots.length >= 3 && seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.equal(seen.images.length, 2);
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0));
  const index = await browserCheck(`${store.reports}/index.html`);
  assert.equal(index.title, "Reproductions");

  // Even 100 steps of a tiny generator move far from the untrained one.
  const q = await cli(
    store,
    "query",
    "--json",
    "select name, value from metrics where stage = 'evaluate' and name like '%fid' order by name",
  );
  const fid = Object.fromEntries(
    (JSON.parse(q.stdout) as { name: string; value: number }[]).map((m) => [m.name, m.value]),
  );
  assert.ok(fid.final_fid! < fid.untrained_fid! / 2, JSON.stringify(fid));
  // The metric itself: real training images against test images score near zero, noise far away.
  assert.ok(fid.train_vs_test_fid! < fid.noise_fid! / 20, JSON.stringify(fid));
  assert.ok(fid.train_vs_test_fid! < fid.untrained_fid! / 20, JSON.stringify(fid));

  const claims = await cli(store, "claims", "wgan-div");
  assert.equal(claims.code, 0, claims.stderr);
  for (const id of ["fid-below-untrained", "fid-below-noise", "all-classes", "not-memorised", "paper-fid"]) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }
  assert.match(claims.stdout, /○ paper-fid\s+not comparable: no Inception weights offline/);
});

Deno.test("wgan-div: a second run executes nothing; a new train.steps reruns training and what follows only", async () => {
  const again = await cli(store, "run", "wgan-div", ...TINY);
  assert.ok(Object.values(statuses(again)).every((s) => s === "cached"), again.stdout);
  const longer = await cli(store, "run", "wgan-div", ...TINY, "--set", "train.steps=120");
  assert.equal(longer.code, 0, longer.stdout + longer.stderr);
  assert.deepEqual(statuses(longer), {
    data: "cached",
    graph: "cached",
    train: "ran",
    "classifier-graph": "cached",
    classifier: "cached",
    evaluate: "ran",
    report: "ran",
  });
  assert.match(
    longer.stdout,
    /train\s+params changed: train\.steps 100 → 120; continues from step 100 of [0-9a-f]{12}/,
  );
});

Deno.test("wgan-div: a longer training continues the cached one and ends bit-identical to a fresh run", async () => {
  // The store above holds 100 and 120 steps; 200 continues from 120 (the longest prefix).
  const longer = await cli(store, "run", "wgan-div", ...TINY, "--set", "train.steps=200");
  assert.equal(longer.code, 0, longer.stdout + longer.stderr);
  assert.match(longer.stdout, /train\s+params changed: train\.steps 120 → 200; continues from step 120 of/);
  assert.match(longer.stderr, /train: continuing from step 120 of/);
  const fresh: TestStore = { data: `${store.data}-fresh`, reports: `${store.reports}-fresh` };
  const scratch = await cli(fresh, "run", "wgan-div", ...TINY, "--set", "train.steps=200");
  assert.equal(scratch.code, 0, scratch.stdout + scratch.stderr);
  assert.doesNotMatch(scratch.stdout, /continues from/);
  const objects = async (s: TestStore) =>
    JSON.parse(
      (await cli(
        s,
        "query",
        "--json",
        `select stage, object from stages where stage in ('train', 'evaluate')
        and run_id = (select run_id from runs order by started_at desc limit 1) order by stage`,
      )).stdout,
    );
  // Same objects: the continued training's weights, optimizer state, snapshots and metrics are the fresh
  // run's, byte for byte, and so is everything evaluated from them.
  assert.deepEqual(await objects(store), await objects(fresh));
  const reasons = JSON.parse(
    (await cli(
      store,
      "query",
      "--json",
      `select subject, before from reasons where kind = 'continues'
      order by run_id desc limit 1`,
    )).stdout,
  );
  assert.equal(reasons[0].before, "120");
});

Deno.test("wgan-div: kill -9 during training, then rerun, resumes from the checkpoint", async () => {
  const long = [...TINY, "--set", "train.steps=400"];
  const child = cliCommand(store, ["run", "wgan-div", ...long]).spawn();
  // Wait until training has written a checkpoint, then kill the whole process at once.
  const work = `${store.data}/work`;
  let checkpointed = false;
  for (let i = 0; i < 600 && !checkpointed; i++) {
    await new Promise((r) => setTimeout(r, 100));
    for (const e of Deno.readDirSync(work)) {
      try {
        const ckpt = JSON.parse(Deno.readTextFileSync(`${work}/${e.name}/checkpoint.json`));
        if (ckpt.step >= 40) checkpointed = true;
      } catch { /* not yet */ }
    }
  }
  assert.ok(checkpointed, "training wrote a checkpoint");
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  const resumed = await cli(store, "run", "wgan-div", ...long);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  // Stage log lines go to stderr, beside the live progress lines.
  assert.match(resumed.stderr, /train: resuming from the checkpoint at step \d+ of 400/);
  assert.equal(statuses(resumed).train, "ran");
});
