/**
 * The gan-qp pipeline end to end through the CLI at a tiny size: seven losses on one DCGAN, their
 * table, the timing, the claims and the report in a real browser.
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
].flatMap((s) => ["--set", s]);

Deno.test("gan-qp runs seven losses at equal steps end to end; its report shows them side by side in Chromium", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gan-qp-test-" });
  const store: TestStore = { data: `${dir}/data`, reports: `${dir}/reports` };
  const r = await cli(store, ["run", "gan-qp", ...TINY]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const ran = statuses(r);
  assert.deepEqual(Object.values(ran).filter((s) => s !== "ran"), []);
  for (const v of ["qp-l2", "qp-l1", "wgan-gp", "wgan-div", "hinge", "qp-lam1", "qp-lam100"]) {
    assert.equal(ran[`train@${v}`], "ran", v);
  }
  // --set train.steps reached every variant: equal steps.
  const steps = JSON.parse(
    (await cli(store, [
      "query",
      "--json",
      "select distinct value from params where stage like 'train@%' and name = 'steps'",
    ]))
      .stdout,
  );
  assert.deepEqual(steps, [{ value: "40" }]);

  const q = await cli(store, [
    "query",
    "--json",
    "select stage, name, value from latest_metrics where name in ('final_fid', 'untrained_fid', 'time_ratio')",
  ]);
  const m = Object.fromEntries(
    (JSON.parse(q.stdout) as { stage: string; name: string; value: number }[]).map((
      x,
    ) => [`${x.stage}:${x.name}`, x.value]),
  );
  // Even 40 steps of a tiny GAN-QP move far from the untrained generator.
  assert.ok(m["evaluate@qp-l2:final_fid"]! < 0.8 * m["evaluate@qp-l2:untrained_fid"]!, JSON.stringify(m));
  // The timing stage measured both steps. Which is faster is a measurement, not a test: at this tiny size on a
  // busy CI machine it came out 0.76 once; the claim judges it at the default size (bench territory).
  const ratio = m["timing:time_ratio"]!;
  assert.ok(Number.isFinite(ratio) && ratio > 0, JSON.stringify(m));

  const claims = await cli(store, ["claims", "gan-qp"]);
  for (
    const id of ["qp-l2-vs-wgan-gp", "qp-l1-vs-wgan-gp", "lambda-1", "lambda-100", "time-ratio", "paper-fid"]
  ) {
    assert.match(claims.stdout, new RegExp(`[✓✗○] ${id}`));
  }

  const page = `${store.reports}/gan-qp/index.html`;
  const html = await Deno.readTextFile(page);
  assert.match(html, /Variants at equal steps/);
  for (
    const label of [
      "GAN-QP-L1 (λ = 10)",
      "WGAN-GP (λ = 10, two-sided)",
      "WGAN-div (k = 2, p = 6)",
      "GAN-QP-L2 (λ = 100)",
    ]
  ) {
    assert.ok(html.includes(label), label);
  }
  const seen = await browserCheck(page, { viewport: { width: 1280, height: 900 } });
  assert.equal(seen.title, "GAN-QP against WGAN-GP, WGAN-div and hinge on MNIST");
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.cutTables, []);
  assert.deepEqual(seen.consoleErrors, []);
  assert.ok(seen.plots.length >= 4 && seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0));
  await Deno.remove(dir, { recursive: true });
});
