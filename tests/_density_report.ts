/**
 * What the density pipelines' end-to-end tests share: run a pipeline through the CLI on a store of the
 * test's own, then check its report in Chromium at 1280 px (plots drawn, images loaded, no console
 * errors, no table wider than its column) and read back its claims' verdicts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { browserCheck, type BrowserCheckResult } from "../stages/report/browser_check.ts";
import { cli, type CliResult, type TestStore } from "./_cli.ts";

/** A fresh store in a temp folder. */
export async function tempStore(prefix: string): Promise<TestStore & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix });
  return { dir, data: `${dir}/data`, reports: `${dir}/reports` };
}

/** `deno task run <pipeline> --set …` against `store`; fails the test when the run fails. */
export async function runPipeline(store: TestStore, pipeline: string, sets: string[]): Promise<CliResult> {
  const r = await cli(store, ["run", pipeline, ...sets.flatMap((s) => ["--set", s])]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r;
}

/** The report of `pipeline` in Chromium at 1280 px, with the checks every report must pass. */
export async function checkReport(store: TestStore, pipeline: string): Promise<BrowserCheckResult> {
  const seen = await browserCheck(`${store.reports}/${pipeline}/index.html`, {
    viewport: { width: 1280, height: 900 },
  });
  assert.equal(seen.headings[1], "Claims", "the report opens with its claims");
  assert.deepEqual(seen.consoleErrors, []);
  assert.deepEqual(seen.failedRequests, []);
  assert.deepEqual(seen.cutTables, []);
  assert.ok(seen.plots.length > 0 && seen.plots.every((p) => p.rendered), JSON.stringify(seen.plots));
  assert.ok(seen.images.every((i) => i.loaded && i.naturalWidth > 0), JSON.stringify(seen.images));
  return seen;
}

/** claim id → verdict of the latest run of `pipeline`. */
export async function verdicts(store: TestStore, pipeline: string): Promise<Record<string, string>> {
  const r = await cli(store, [
    "query",
    "--json",
    // The newest run only: latest_claims has one latest run per param set, and a test that ran two
    // param sets asks about the second.
    `select claim_id, verdict from claims where run_id = (select run_id from runs where pipeline = '${pipeline}' ` +
    `order by started_at desc limit 1) order by claim_id`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(
    (JSON.parse(r.stdout) as { claim_id: string; verdict: string }[]).map((c) => [c.claim_id, c.verdict]),
  );
}
