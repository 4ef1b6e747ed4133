/**
 * Publishing after a run: the report stage's output is copied to reports/<pipeline>/ (swapped in
 * whole, so a reader never sees half a report), and reports/index.html is rewritten from the run
 * records of every pipeline.
 *
 * @module
 */
import type { Article } from "./pipeline.ts";
import { type ClaimTally, tallyClaims } from "./claims.ts";
import { readPointer, readRun, readStageRows } from "./history.ts";
import type { PipelineDef } from "./pipeline.ts";
import { loadPipeline, pipelineNames } from "./registry.ts";
import { PROJECT_ROOT } from "./paths.ts";
import type { RunSummary } from "./runner.ts";
import { type Store, writeAtomic } from "./store.ts";
import { pipelineMetaCacheSchema, readStoreFileOr } from "./store_schema.ts";
import { isStoreWriteError } from "./fs_errors.ts";

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else {
      await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
      await Deno.chmod(`${to}/${e.name}`, 0o644);
    }
  }
}

/**
 * A page of reports/ built from the results of several pipelines (e.g. reports/gans.html), rewritten
 * after a run that has a stage of one of its kinds, and linked from the index.
 */
export interface CrossPage {
  /** File name under reports/. */
  file: string;
  title: string;
  /** Stage kinds whose runs the page shows. */
  kinds: readonly string[];
  write(storeRoot: string, reportsDir: string): Promise<unknown>;
}

/**
 * Publishes the report of `summary` (if the pipeline has one and it was produced), rewrites the cross
 * pages that show its stages' kinds, and rewrites the index with `renderIndex`. Returns the path of the
 * pipeline's page, or null.
 */
export async function publishRun(
  store: Store,
  reportsDir: string,
  pipeline: PipelineDef,
  summary: RunSummary,
  renderIndex: IndexRenderer,
  pages: readonly CrossPage[] = [],
): Promise<string | null> {
  await Deno.mkdir(reportsDir, { recursive: true });
  let page: string | null = null;
  const object = pipeline.report ? summary.objects[pipeline.report] : undefined;
  if (object) {
    const target = `${reportsDir}/${pipeline.name}`;
    const marker = `${target}/.published.json`;
    let current: string | null = null;
    try {
      current = JSON.parse(await Deno.readTextFile(marker)).object;
    } catch {
      // nothing published yet
    }
    if (current !== object) {
      const staging = `${reportsDir}/.${pipeline.name}.${crypto.randomUUID().slice(0, 8)}`;
      await copyTree(store.objectOut(object), staging);
      // Sweep pages live beside the report and outlast it.
      const sweeps = await Deno.stat(`${target}/sweeps`).then((i) => i.isDirectory, () => false);
      if (sweeps) await copyTree(`${target}/sweeps`, `${staging}/sweeps`);
      await Deno.writeTextFile(
        `${staging}/.published.json`,
        JSON.stringify({ object, runId: summary.runId }),
      );
      const old = `${staging}.old`;
      await Deno.rename(target, old).catch(() => {});
      await Deno.rename(staging, target);
      await Deno.remove(old, { recursive: true }).catch(() => {});
    }
    page = `${target}/index.html`;
  }
  const kinds = new Set(summary.stages.map((s) => s.kind));
  for (const cross of pages) {
    if (cross.kinds.some((k) => kinds.has(k))) await cross.write(store.root, reportsDir);
  }
  await writeIndex(store, reportsDir, renderIndex, pages);
  return page;
}

/**
 * Publishes a sweep's page at reports/<pipeline>/sweeps/<id>.html and refreshes the index. Returns the
 * page's path.
 */
export async function publishSweep(
  store: Store,
  reportsDir: string,
  sweep: { id: string; pipeline: string },
  html: string,
  renderIndex: IndexRenderer,
  pages: readonly CrossPage[] = [],
): Promise<string> {
  const dir = `${reportsDir}/${sweep.pipeline}/sweeps`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${sweep.id}.html`;
  await writeAtomic(path, html);
  await writeIndex(store, reportsDir, renderIndex, pages);
  return path;
}

/** One pipeline on reports/index.html, as the engine knows it from its latest run record. */
export interface IndexEntry {
  /** The pipeline's CLI name, e.g. "wgan-div". */
  name: string;
  /** Its report page, relative to the index; default `<name>/index.html`, and no link when never run. */
  href?: string;
  /** One line: what it reproduces. */
  description: string;
  article: Article;
  status: "ok" | "failed" | "never run";
  /** Why the last run failed, one line; shown under the status. */
  error?: string;
  /** The pipeline's headline metric from its last run. */
  headline?: { label: string; value: number | null; digits?: number; unit?: string };
  /** How many of its claims the last run reproduced. */
  claims?: ClaimTally;
  /** When the last run ended (ISO time). */
  endedAt?: string;
}

/** Renders the index page from its entries (stages/report/index_page.ts's `renderIndex`). */
export type IndexRenderer = (
  entries: readonly IndexEntry[],
  options: { intro?: string; pages?: readonly { href: string; title: string }[] },
) => string;

interface PipelineMeta {
  description: string;
  article: PipelineDef["article"];
  mtimeMs: number;
}

/**
 * Description and article of a pipeline that has never run. Importing a pipeline module costs time, so
 * what was read is kept in the store's cache, keyed by the module file's mtime.
 */
async function pipelineMeta(name: string, cache: Record<string, PipelineMeta>): Promise<PipelineMeta | null> {
  const snake = name.replaceAll("-", "_");
  let path = `${PROJECT_ROOT}/pipelines/${snake}.ts`;
  let mtimeMs = 0;
  try {
    mtimeMs = Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    path = `${PROJECT_ROOT}/pipelines/${snake}/pipeline.ts`;
    mtimeMs = Deno.statSync(path).mtime?.getTime() ?? 0;
  }
  const cached = cache[name];
  if (cached && cached.mtimeMs === mtimeMs) return cached;
  try {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
    cache[name] = { description: pipeline.description, article: pipeline.article, mtimeMs };
    return cache[name];
  } catch {
    return null; // a broken pipeline module shows on the index by name only
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Rewrites reports/index.html from the latest run record of every pipeline, linking the cross pages. */
export async function writeIndex(
  store: Store,
  reportsDir: string,
  renderIndex: IndexRenderer,
  pages: readonly CrossPage[] = [],
): Promise<void> {
  const cachePath = `${store.root}/cache/pipelines.json`;
  // Missing the first time; of the wrong shape (null, 42) it is dropped and rebuilt.
  const cache: Record<string, PipelineMeta> = readStoreFileOr(cachePath, pipelineMetaCacheSchema, {});
  const before = JSON.stringify(cache);
  const entries: IndexEntry[] = [];
  for (const name of pipelineNames(PROJECT_ROOT)) {
    const pointer = readPointer(store, name);
    const run = pointer ? readRun(store, pointer.runId) : null;
    let hasPage = false;
    try {
      hasPage = Deno.statSync(`${reportsDir}/${name}/index.html`).isFile;
    } catch {
      // not published yet
    }
    const meta = run ?? (await pipelineMeta(name, cache));
    const entry: IndexEntry = {
      name,
      description: meta?.description ?? "(the pipeline module failed to load)",
      article: meta?.article ?? { title: "—", url: "#" },
      status: !run ? "never run" : run.status === "ok" ? "ok" : "failed",
    };
    if (hasPage) entry.href = `${name}/index.html`;
    if (run?.endedAt) entry.endedAt = run.endedAt;
    if (run?.headline) entry.headline = { label: run.headline.label, value: run.headline.value, digits: 4 };
    if (run?.claims?.length) entry.claims = tallyClaims(run.claims);
    if (run && run.status !== "ok") {
      const failed = readStageRows(store, run.runId).find((r) =>
        r.status === "failed" || r.status === "interrupted"
      );
      entry.error = failed ? `${failed.stage}: ${failed.error ?? failed.status}` : run.status;
    }
    entries.push(entry);
  }
  if (JSON.stringify(cache) !== before) {
    // Only a cache: a read-only or full store still gets its reports published.
    await writeAtomic(cachePath, JSON.stringify(cache)).catch((e) => {
      if (!isStoreWriteError(e)) throw e;
    });
  }
  const tmp = `${reportsDir}/.index.${crypto.randomUUID().slice(0, 8)}.html`;
  await Deno.writeTextFile(
    tmp,
    renderIndex(entries, {
      intro: "Each pipeline reproduces the experiment of an article. Run one with `deno task run NAME`.",
      pages: pages.filter((c) => existsFile(`${reportsDir}/${c.file}`)).map((c) => ({
        href: c.file,
        title: c.title,
      })),
    }),
  );
  await Deno.rename(tmp, `${reportsDir}/index.html`);
}
