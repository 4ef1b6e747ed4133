/**
 * reports/gans.html: every GAN trained by any pipeline, side by side, built from SQL over the store's run
 * records alone, the same views `deno task query` gives a user. A GAN is a `gan.graph` stage of a
 * pipeline's latest run (one per variant: `graph@qp-l1` trains as `train@qp-l1`, is judged by
 * `evaluate@qp-l1`). The page shows
 *
 * - one row per GAN: loss, dataset, schedule, steps, classifier-FID, IS, classes covered and the measured
 *   time per iteration;
 * - classifier-FID against training steps and against training seconds (steps ÷ the run's steps/s);
 * - the claims of those pipelines with the article's numbers beside ours;
 *
 * and the SQL of each, to copy into `deno task query`. The engine rewrites it after every run of a
 * pipeline with a GAN graph stage (engine/publish.ts).
 *
 * @module
 */
import { openResults, query, type Results } from "../../engine/query.ts";
import { figure, table } from "./blocks.ts";
import { markup, type SafeHtml } from "./markup.ts";
import { documentHtml } from "./page.ts";
import { linePlot, type Series } from "./svg_plot.ts";

/** The page's file under reports/. */
export const GAN_PAGE = "gans.html";

/** The stage kind that makes a run part of the page. */
export const GAN_GRAPH_KIND = "gan.graph";

/** Every GAN of the latest runs: its run, pipeline and stage suffix ('' or '@<variant>'). */
const GANS = `with gans as (
  select s.run_id, s.pipeline, regexp_replace(s.stage, '^graph', '') as at
  from latest_runs r join stages s using (run_id)
  where s.kind = '${GAN_GRAPH_KIND}'
)`;

/** The SQL of the page, by section; each runs as it stands in `deno task query`. */
export const GAN_SQL = {
  table: `${GANS},
last as (  -- each metric's value at its last step
  select latest_run_id as run_id, stage, name, arg_max(value, step) as value
  from latest_metrics group by all
)
select g.pipeline, nullif(ltrim(g.at, '@'), '') as variant,
  any_value(p.value) filter (where p.stage = 'graph' || g.at and p.name = 'loss') as loss,
  any_value(replace(d.kind, 'data.', '')) as dataset,
  any_value(p.value_num) filter (where p.stage = 'graph' || g.at and p.name = 'nCritic') as n_critic,
  any_value(p.value) filter (where p.stage = 'graph' || g.at and p.name = 'optimiser') as optimiser,
  any_value(p.value_num) filter (where p.stage = 'train' || g.at and p.name = 'steps') as steps,
  any_value(m.value) filter (where m.stage = 'evaluate' || g.at and m.name = 'final_fid') as fid,
  any_value(m.value) filter (where m.stage = 'evaluate' || g.at and m.name = 'untrained_fid') as untrained_fid,
  any_value(m.value) filter (where m.stage = 'evaluate' || g.at and m.name = 'inception_score') as inception_score,
  any_value(m.value) filter (where m.stage = 'evaluate' || g.at and m.name = 'classes_covered') as classes_covered,
  1000 / any_value(m.value) filter (where m.stage = 'train' || g.at and m.name = 'steps_per_second') as ms_per_iteration
from gans g
join params p using (run_id)
join stages d on d.run_id = g.run_id and d.stage = 'data'
left join last m on m.run_id = g.run_id
group by g.pipeline, g.at
order by g.pipeline, fid`,
  curves: `${GANS}
select g.pipeline, nullif(ltrim(g.at, '@'), '') as variant, m.step, m.value as fid,
  m.step / sps.value as seconds
from gans g
join latest_metrics m on m.latest_run_id = g.run_id and m.stage = 'evaluate' || g.at and m.name = 'fid'
join latest_metrics sps on sps.latest_run_id = g.run_id and sps.stage = 'train' || g.at
  and sps.name = 'steps_per_second'
order by g.pipeline, variant, m.step`,
  claims: `${GANS}
select c.pipeline, c.claim, c.ours, c.reference, c.reference_source, c.verdict
from latest_claims c
where c.run_id in (select run_id from gans)
order by c.pipeline, c.claim_id`,
} as const;

type Row = Record<string, unknown>;

async function rowsOf(results: Results, sql: string): Promise<Row[]> {
  const r = await query(results, sql);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}

const label = (r: Row) => (r.variant ? `${r.pipeline} · ${r.variant}` : String(r.pipeline));

/** One series per GAN of `rows`, x from `x`. */
function curves(rows: readonly Row[], x: "step" | "seconds"): Series[] {
  const by = new Map<string, { x: number[]; y: number[] }>();
  for (const r of rows) {
    const s = by.get(label(r)) ?? { x: [], y: [] };
    s.x.push(Number(r[x]));
    s.y.push(Number(r.fid));
    by.set(label(r), s);
  }
  return [...by].map(([name, s]) => ({ name, ...s }));
}

const sqlBlock = (sql: string): SafeHtml =>
  markup`<details><summary class="small">SQL (paste into <code>deno task query "…"</code>)</summary><pre>${sql}</pre></details>`;

/** The page's HTML from the store's results. */
export async function renderGanComparison(results: Results): Promise<string> {
  const gans = await rowsOf(results, GAN_SQL.table);
  const points = await rowsOf(results, GAN_SQL.curves);
  const claims = await rowsOf(results, GAN_SQL.claims);
  const pipelines = new Set(gans.map((g) => g.pipeline)).size;
  const verdict = (v: unknown) =>
    markup`<span class="verdict ${String(v).replaceAll(" ", "-")}">${String(v).replaceAll("-", " ")}</span>`;
  const plots = points.length > 0
    ? markup`${
      figure(linePlot(curves(points, "step"), {
        title: "Classifier-FID against training steps",
        xLabel: "generator iterations",
        yLabel: "classifier-FID",
        logY: true,
        dots: true,
      }))
    }${
      figure(linePlot(curves(points, "seconds"), {
        title: "Classifier-FID against training time",
        subtitle: "seconds = steps ÷ the run's measured steps per second",
        xLabel: "training seconds",
        yLabel: "classifier-FID",
        logY: true,
        dots: true,
      }))
    }`
    : markup`<p class="muted small">No FID curves yet.</p>`;
  const body = markup`<main>
<header>
<p class="eyebrow">Reproductions · comparison</p>
<h1>GAN comparison</h1>
<p class="byline">${gans.length} GANs of ${pipelines} pipeline${
    pipelines === 1 ? "" : "s"
  }, latest run of each · <a href="index.html">all pipelines</a></p>
</header>
<section class="claim" aria-label="Summary"><p class="label">Summary</p><p>Every GAN trained by a pipeline of the GAN family, from the store's run records: the same numbers <code>deno task query</code> returns, with the SQL under each part. Classifier-FIDs compare within one dataset and one evaluation classifier; time per iteration is one generator iteration (its critic steps included) as measured in that run, on whatever machine ran it.</p></section>
<section id="gans">
<h2>Every GAN</h2>
${
    table(gans, {
      columns: [
        { key: "pipeline", label: "GAN", align: "left", format: (_, r) => label(r) },
        { key: "loss", align: "left" },
        { key: "dataset", label: "data", align: "left" },
        {
          key: "n_critic",
          label: "schedule",
          align: "left",
          format: (n, r) => `${n} : 1, ${r.optimiser}`,
        },
        { key: "steps" },
        { key: "fid", label: "FID", significant: 4 },
        { key: "untrained_fid", label: "untrained", significant: 4 },
        { key: "inception_score", label: "IS", significant: 3 },
        { key: "classes_covered", label: "classes" },
        { key: "ms_per_iteration", label: "ms / iter.", significant: 3 },
      ],
      caption: "FID: classifier-FID of the final samples; untrained: the same generator at step 0",
      empty: "No GAN has been trained yet: run e.g. deno task run gan-qp.",
    })
  }
${sqlBlock(GAN_SQL.table)}
</section>
<section id="curves">
<h2>Classifier-FID over training</h2>
${plots}
${sqlBlock(GAN_SQL.curves)}
</section>
<section id="claims">
<h2>The articles' claims and numbers</h2>
${
    table(claims, {
      columns: [
        { key: "pipeline", align: "left" },
        { key: "claim", align: "left" },
        { key: "ours", significant: 4 },
        { key: "reference", significant: 4 },
        { key: "reference_source", label: "reference from", align: "left" },
        { key: "verdict", align: "left", format: verdict },
      ],
      empty: "No claims recorded yet.",
    })
  }
${sqlBlock(GAN_SQL.claims)}
</section>
<footer>Self-contained page: no scripts, no network. Rewritten after every run of a GAN pipeline.</footer>
</main>`;
  return documentHtml("GAN comparison", body);
}

/**
 * Writes reports/gans.html from the store at `storeRoot`, or removes it when no GAN has run. Returns the
 * page's path, or null.
 */
export async function writeGanComparison(storeRoot: string, reportsDir: string): Promise<string | null> {
  const results = await openResults(storeRoot);
  try {
    const html = await renderGanComparison(results);
    const path = `${reportsDir}/${GAN_PAGE}`;
    const tmp = `${reportsDir}/.gans.${crypto.randomUUID().slice(0, 8)}.html`;
    await Deno.writeTextFile(tmp, html);
    await Deno.rename(tmp, path);
    return path;
  } finally {
    results.connection.closeSync();
  }
}

/** The page as the engine publishes it (engine/publish.ts's CrossPage). */
export const ganComparisonPage = {
  file: GAN_PAGE,
  title: "GAN comparison",
  kinds: [GAN_GRAPH_KIND],
  write: writeGanComparison,
} as const;
