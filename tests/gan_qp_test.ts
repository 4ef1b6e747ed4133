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

  // The cross-pipeline GAN page, from SQL over the runs: one row per GAN, FID curves, the claims, the SQL.
  const gans = `${store.reports}/gans.html`;
  const ganHtml = await Deno.readTextFile(gans);
  for (const v of ["qp-l2", "qp-l1", "wgan-gp", "wgan-div", "hinge", "qp-lam1", "qp-lam100"]) {
    assert.ok(ganHtml.includes(`<td>gan-qp · ${v}</td>`), v);
  }
  assert.match(ganHtml, /GAN-QP-L2 reaches a classifier-FID no worse than WGAN-GP/);
  const ganPage = await browserCheck(gans, { viewport: { width: 1280, height: 900 } });
  assert.equal(ganPage.title, "GAN comparison");
  assert.deepEqual(ganPage.cutTables, []);
  assert.deepEqual(ganPage.consoleErrors, []);
  assert.equal(ganPage.plots.length, 2);
  assert.ok(ganPage.plots.every((p) => p.rendered), JSON.stringify(ganPage.plots));
  assert.match(await Deno.readTextFile(`${store.reports}/index.html`), /href="gans.html"/);
  // Each of its queries runs as it stands in `deno task query`, with the page's numbers.
  const { GAN_SQL } = await import("../stages/report/gan_comparison.ts");
  const table = JSON.parse((await cli(store, ["query", "--json", GAN_SQL.table])).stdout) as {
    variant: string;
    loss: string;
    fid: number;
    steps: number;
  }[];
  assert.equal(table.length, 7);
  const qpL1 = table.find((t) => t.variant === "qp-l1")!;
  assert.equal(qpL1.loss, "qp-l1");
  assert.equal(qpL1.steps, 40);
  assert.equal(qpL1.fid, m["evaluate@qp-l1:final_fid"]);
  const curves = JSON.parse((await cli(store, ["query", "--json", GAN_SQL.curves])).stdout) as unknown[];
  assert.ok(curves.length >= 14, `two FID points per GAN at least, got ${curves.length}`);
  await Deno.remove(dir, { recursive: true });
});
