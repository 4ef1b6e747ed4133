/**
 * The gan-single-loss pipeline end to end through the CLI at a tiny size: the single loss and the
 * alternating schedule on one DCGAN, the float64 gradient check, the timing, the claims and the report.
 */
import assert from "node:assert/strict";
import { browserCheck } from "../stages/report/browser_check.ts";
import { cli, statuses, type TestStore } from "./_cli.ts";

/** A model and budget small enough for a test; everything else is the real pipeline. */
const TINY = [
  "graph.gChannels=[8,8]",
  "graph.dChannels=[8,8]",
  "graph.zDim=16",
  "graph.batch=16",
  "train.steps=40",
  "train.snapshotEvery=20",
  "train.checkpointEvery=20",
  "classifier.steps=40",
  "evaluate.samples=100",
  "evaluate.realSamples=100",
  "timing.rounds=3",
  "gradient-check.batch=2",
].flatMap((s) => ["--set", s]);

Deno.test("gan-single-loss trains both schedules at equal steps, checks the gradient identity, times both; the report renders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gan-single-loss-test-" });
  const store: TestStore = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "gan-single-loss", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const ran = statuses(r);
  assert.deepEqual(Object.values(ran).filter((s) => s !== "ran"), []);
  for (const v of ["one-loss", "two-step"]) assert.equal(ran[`train@${v}`], "ran", v);

  const q = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from latest_metrics where name in ('final_fid', 'untrained_fid', 'grad_gap', 'ms_one-loss', 'ms_two-step', 'time_ratio')",
  ]);
  const m = Object.fromEntries(
    (JSON.parse(q.stdout) as { stage: string; name: string; value: number }[]).map((x) => [
      `${x.stage}:${x.name}`,
      x.value,
    ]),
  );
  assert.ok(m["gradient-check:grad_gap"]! < 1e-12, JSON.stringify(m));
  for (const k of ["timing:ms_one-loss", "timing:ms_two-step", "timing:time_ratio"]) {
    assert.ok(Number.isFinite(m[k]) && m[k]! > 0, k);
  }
  assert.ok(Number.isFinite(m["evaluate@one-loss:final_fid"]), JSON.stringify(m));
  assert.ok(Number.isFinite(m["evaluate@two-step:final_fid"]), JSON.stringify(m));

  const claims = await cli(store, ["claims", "gan-single-loss"]);
  for (const id of ["gradient-identity", "fid-within-10", "time-per-step", "fid-below-untrained"]) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }
  assert.match(claims.stdout, /✓ gradient-identity/);

  const page = `${store.reports}/gan-single-loss/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /Variants at equal steps/);
  assert.match(html, /checked in float64/);
  for (
    const label of ["single loss (stop-gradient, λ = 1)", "alternating critic and generator steps (1 : 1)"]
  ) {
    assert.ok(html.includes(label), label);
  }
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(
    seen.title,
    "One loss for both players: the stop-gradient GAN against alternating updates on MNIST",
  );
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.ok(seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0));
  await Deno.remove(dir, { recursive: true });
});
