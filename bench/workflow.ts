/**
 * Workflow benchmark: how long a longer training takes when it continues a cached shorter one (target:
 * the time of the extra steps only), against the same training from scratch; and a 4-point sweep with
 * `--jobs 1` against `--jobs 2`. Every run goes through the CLI in a fresh store, like a user's.
 *
 * `--full` uses wgan-div's default 2,400 steps and 3,933 (≈ 20 min on 2 cores); by default the same
 * ratio at 600 → 983 steps.
 *
 * @module
 */
import { fmt, printLoad, printTable } from "./_report.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const full = Deno.args.includes("--full");
const [before, after] = full ? [2400, 3933] : [600, 983];

async function cli(store: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}/engine/cli.ts`, ...args, "--data-dir", `${store}/data`],
    env: { NO_COLOR: "1", REPRO_REPORTS_DIR: `${store}/reports` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`${args.join(" ")} failed:\n${text}${new TextDecoder().decode(stderr)}`);
  return { seconds: (performance.now() - started) / 1000, stdout: text };
}

const stageSeconds = (stdout: string, stage: string) => {
  const m = new RegExp(`✓ ${stage}\\s+([\\d.]+) (ms|s)\\b|✓ ${stage}\\s+(\\d+)m(\\d+)s`).exec(stdout);
  if (!m) return NaN;
  if (m[3]) return Number(m[3]) * 60 + Number(m[4]);
  return Number(m[1]) / (m[2] === "ms" ? 1000 : 1);
};

await printLoad("machine load before");
const tmp = await Deno.makeTempDir({ prefix: "bench-workflow-" });

// ---- a longer training continues -----------------------------------------------------------------
const continued = `${tmp}/continued`, fresh = `${tmp}/fresh`;
await cli(continued, ["run", "wgan-div", "--set", `train.steps=${before}`]);
const longer = await cli(continued, ["run", "wgan-div", "--set", `train.steps=${after}`]);
if (!/continues from step/.test(longer.stdout)) {
  throw new Error(`the longer run did not continue:\n${longer.stdout}`);
}
const scratch = await cli(fresh, ["run", "wgan-div", "--set", `train.steps=${after}`]);
const objectOf = async (store: string) =>
  JSON.parse(
    (await cli(store, [
      "query",
      "--json",
      `select object from latest_runs r join stages s using (run_id)
      where s.stage = 'train'`,
    ])).stdout,
  )[0].object as string;
const same = (await objectOf(continued)) === (await objectOf(fresh));
const trainContinued = stageSeconds(longer.stdout, "train");
const trainFresh = stageSeconds(scratch.stdout, "train");
printTable(
  `wgan-div: --set train.steps=${after} after a cached ${before}-step run, against ${after} steps from scratch`,
  ["", "train stage (s)", "whole command (s)"],
  [
    [`continued (${after - before} steps)`, trainContinued, longer.seconds],
    [`from scratch (${after} steps)`, trainFresh, scratch.seconds],
    ["ratio", trainContinued / trainFresh, longer.seconds / scratch.seconds],
  ],
  `Target ratio: the extra steps' share, ${fmt((after - before) / after, 3)}. ` +
    `Same train output as from scratch: ${same ? "yes (identical object digest)" : "NO"}.`,
);

// ---- a 4-point sweep, one job against two ---------------------------------------------------------
const sweep = ["--sweep", "simulate.seed=1,2,3,4", "--set", "simulate.trajectories=256"];
const rows = [];
for (const jobs of [1, 2]) {
  const r = await cli(`${tmp}/sweep-${jobs}`, ["run", "gillespie", ...sweep, "--jobs", String(jobs)]);
  rows.push([`--jobs ${jobs}`, r.seconds]);
}
printTable(
  "gillespie: a 4-point sweep (256 trajectories a point) from an empty store",
  ["", "seconds"],
  [...rows, ["speed-up", (rows[0]![1] as number) / (rows[1]![1] as number)]],
  "The exact stage is the same in every point and executes once; with --jobs 2 each point gets one core.",
);
await printLoad("machine load after");
await Deno.remove(tmp, { recursive: true });
