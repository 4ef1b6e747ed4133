/**
 * A run against a store that cannot be written (a read-only mount, a shared results folder): every
 * stage must come from the cache, since nothing can be computed into the store, and nothing is recorded
 * (no run record, lock, pointer or cache update). The results are still served: the report is
 * published to the reports folder, which may be writable.
 *
 * It is the runner's dry run (which only reads, and verifies every object it would serve) followed by
 * what a cached run prints; a stage that is not cached is an error naming it and why it would run.
 *
 * @module
 */
import { formatDuration, makeStyle } from "./progress.ts";
import { type RunOptions, runPipeline, type RunSummary } from "./runner.ts";

/** Thrown when a read-only store lacks a result the run needs. */
export class ReadOnlyStoreError extends Error {
  override name = "ReadOnlyStoreError";
}

/** Runs `options.pipeline` from the cache of the read-only store `options.store`. */
export async function runFromReadOnlyStore(options: RunOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const style = options.style ?? makeStyle(false);
  const out = options.out ?? ((line: string) => console.log(line));
  const { store, pipeline } = options;
  const summary = await runPipeline({ ...options, dryRun: true, out: () => {} });
  const missing = summary.plan.filter((line) => line.action !== "cached");
  if (missing.length > 0) {
    const listed = missing.map((l) => `${l.stage} (${l.reason})`).join("; ");
    throw new ReadOnlyStoreError(
      `Cannot run ${pipeline.name}: the store ${store.root} is read-only, so only cached results can be ` +
        `served, and ${missing.length === 1 ? "this stage is" : "these stages are"} not cached: ${listed}. ` +
        `Run it with --data-dir pointing at a writable store, or where this store is writable`,
    );
  }
  const width = Math.max(...summary.plan.map((l) => l.stage.length));
  out(
    `${style.bold(pipeline.name)} · param set ${summary.paramSet} · ` +
      style.dim(`read-only store ${store.root}: results served from the cache, this run is not recorded`),
  );
  for (const line of summary.plan) {
    out(`  ${style.dim("·")} ${line.stage.padEnd(width)}  ${style.dim("cached")}`);
  }
  summary.durationMs = performance.now() - t0;
  await options.onFinished?.(summary);
  out(`${style.ok("done")} in ${formatDuration(summary.durationMs)} · 0 ran, ${summary.plan.length} cached`);
  return summary;
}
