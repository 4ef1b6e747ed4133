/**
 * Density pipelines benchmark: each of fourier-density, em-gmm, nce and master-equation run with its
 * default config from an empty store, as `deno task run <name>` (target: at most 10 minutes each on this
 * 2-core machine, most well under one), with the slowest stages, the claims verdict line, and
 * fourier-density's training throughput (30,000 FBDM steps per variant, fused 1,000 per call).
 *
 * @module
 */
import { fmt, printLoad, printTable } from "./_report.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PIPELINES = ["fourier-density", "em-gmm", "nce", "master-equation"];
const deno = Deno.execPath();

async function sh(args: string[], env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(deno, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(`deno ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(stderr)}`);
  }
  return text;
}

await printLoad("machine load before");
const rows = [];
const rates: { stage: string; value: number; steps: number }[] = [];
for (const name of PIPELINES) {
  const tmp = await Deno.makeTempDir({ prefix: `bench-${name}-` });
  const env = { NO_COLOR: "1", REPRO_DATA_DIR: `${tmp}/data`, REPRO_REPORTS_DIR: `${tmp}/reports` };
  const query = async <T>(sql: string) =>
    JSON.parse(await sh(["task", "--quiet", "query", "--json", sql], env)) as T[];
  const started = performance.now();
  const out = await sh(["task", "--quiet", "run", name], env);
  const wall = (performance.now() - started) / 1000;
  const stages = await query<{ stage: string; duration_ms: number }>(
    "select stage, duration_ms from stages order by duration_ms desc limit 3",
  );
  if (name === "fourier-density") {
    rates.push(
      ...await query<{ stage: string; value: number; steps: number }>(
        "select stage, value, step as steps from metrics where name = 'steps_per_second' order by stage",
      ),
    );
  }
  rows.push([
    name,
    wall,
    wall <= 600 ? "yes" : "NO",
    stages.map((s) => `${s.stage} ${fmt(s.duration_ms / 1000, 2)} s`).join(", "),
    /(\d+ of \d+ claims? reproduced[^\n]*)/.exec(out)?.[1] ?? "?",
  ]);
  await Deno.remove(tmp, { recursive: true });
}
await printLoad("machine load after");
printTable(
  "Default run of each density pipeline from an empty store (whole command, startup included)",
  ["pipeline", "seconds", "≤ 10 min", "slowest stages", "claims"],
  rows,
);
printTable(
  "fourier-density training throughput (train.run, Scan-fused 1,000 steps per call, batch 32)",
  ["stage", "steps", "steps/s", "µs/step"],
  rates.map((r) => [r.stage, r.steps, r.value, 1e6 / r.value]),
);
