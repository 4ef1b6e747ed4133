/**
 * Numeric pipelines benchmark (`deno task bench numeric`): each numeric-check pipeline's default run from
 * an empty store (its own temp folder), timed end to end through the CLI, with the machine's load before
 * and after; then the muon-ns coefficient table beside the article's, read from that run's output.
 *
 * The targets: math-checks, spectral-norm and bert-init under a minute each on two cores, muon-ns under
 * five (its 12 fits of 100,000 full-batch descent steps and 15 exact SVDs).
 *
 * @module
 */
import { fmt, printLoad, printTable } from "./_report.ts";
import { ARTICLE_TABLE } from "../pipelines/muon_ns/article_table.ts";
import type { StudyRow } from "../pipelines/muon_ns/coefficients.ts";

const PIPELINES = ["math-checks", "spectral-norm", "bert-init", "muon-ns"];
const CLI = new URL("../engine/cli.ts", import.meta.url).pathname;
// Flags (`deno task bench --profile`, meant for other areas) are not pipeline names.
const names = Deno.args.filter((a) => !a.startsWith("--"));
const wanted = names.length ? names : PIPELINES;

async function cli(store: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      CLI,
      ...args,
      "--data-dir",
      `${store}/data`,
      ...(args[0] === "run" ? ["--reports-dir", `${store}/reports`] : []),
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const loadavg = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);

await printLoad("before");
const rows: (string | number)[][] = [];
let muonStore: string | null = null;
for (const name of wanted) {
  const store = await Deno.makeTempDir({ prefix: `bench-${name}-` });
  const before = loadavg();
  const start = performance.now();
  const r = await cli(store, ["run", name]);
  const seconds = (performance.now() - start) / 1000;
  if (r.code !== 0) {
    console.error(`${name} failed:\n${r.stdout}\n${r.stderr}`);
    Deno.exit(1);
  }
  const tally = /(\d+ of \d+ claims? reproduced[^\n]*)/.exec(r.stdout)?.[1] ?? "?";
  rows.push([name, seconds, before, loadavg(), tally]);
  if (name === "muon-ns") muonStore = store;
  else await Deno.remove(store, { recursive: true });
}
printTable(
  "Default run from an empty store (wall time through the CLI)",
  ["pipeline", "seconds", "load before", "load after", "claims"],
  rows,
  `Target: under 60 s each, muon-ns under 300 s; ${navigator.hardwareConcurrency} cores.`,
);

if (muonStore) {
  const q = await cli(muonStore, [
    "query",
    "--json",
    "select object from stages where pipeline = 'muon-ns' and stage = 'fit' order by started_at desc limit 1",
  ]);
  const object = (JSON.parse(q.stdout) as { object: string }[])[0]!.object;
  const table = JSON.parse(
    await Deno.readTextFile(`${muonStore}/data/objects/${object.slice(0, 2)}/${object}/out/table.json`),
  ) as { rows: StudyRow[] };
  const pct = (ours: number, ref: number) => `${((ours / ref - 1) * 100).toFixed(2)}%`;
  printTable(
    "muon-ns: mse (fitted) and mse_o (official) beside the article's table",
    ["n×m", "T", "σ from", "mse", "article", "Δ", "mse_o", "article", "Δ", "continued"],
    table.rows.map((r) => {
      const a = ARTICLE_TABLE.find((x) => x.n === r.n && x.m === r.m && x.steps === r.steps)!;
      return [
        `${r.n}×${r.m}`,
        r.steps,
        r.source === "svd" ? `svd ×${r.matrices}` : "law",
        fmt(r.mse, 4),
        String(a.mse), // as printed in the article, not rounded again
        pct(r.mse, a.mse),
        fmt(r.mseOfficial, 4),
        String(a.mseOfficial),
        pct(r.mseOfficial, a.mseOfficial),
        r.extended ? `${fmt(r.extended.mse, 4)} at ${r.extended.steps / 1000}k` : "",
      ];
    }),
  );
  await Deno.remove(muonStore, { recursive: true });
}
await printLoad("after");
