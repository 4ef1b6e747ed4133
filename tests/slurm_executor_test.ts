/**
 * `--executor slurm` on a real one-node Slurm cluster on loopback (tests/_slurm_cluster.ts: Debian's
 * slurmctld and slurmd, started here and stopped by pid), through the CLI, on a throwaway pipeline:
 *
 * ```
 *   prepare ──► work ──► total          work checkpoints every step into its work folder
 * ```
 *
 * Every stage runs as a Slurm job (each records the SLURM_JOB_ID it saw); a failing stage fails the run
 * with its own message; a job cancelled with scancel is reported as killed by Slurm and the next run
 * resumes it from its checkpoint; a node failure is retried once and resumes; Ctrl-C cancels the job; a
 * sweep runs its points at once.
 */
import assert from "node:assert/strict";
import { cli, cliCommand, type CliResult, statuses } from "./_cli.ts";
import { jobs, type LoopbackCluster, startLoopbackCluster } from "./_slurm_cluster.ts";

const ENGINE = new URL("../engine/", import.meta.url).href;

const STAGES = `import { z } from "zod";
import { defineStage } from "${ENGINE}stage.ts";

const job = () => Number(Deno.env.get("SLURM_JOB_ID") ?? 0);

export const prepare = defineStage({
  kind: "slurmtoy.prepare",
  module: import.meta.url,
  description: "numbers",
  params: z.object({ seed: z.number().int().default(1) }).strict(),
  inputs: [],
  async run(ctx) {
    ctx.metrics(0, { slurm_job: job() });
    await Deno.writeTextFile(ctx.outDir + "/numbers.json", JSON.stringify([1, 2, 3].map((x) => x * ctx.params.seed)));
  },
});

export const work = defineStage({
  kind: "slurmtoy.work",
  module: import.meta.url,
  description: "a long loop that checkpoints every step",
  params: z.object({ steps: z.number().int().default(3), stepMs: z.number().default(0), fail: z.boolean().default(false) }).strict(),
  inputs: ["numbers"],
  resources: () => ({ cpus: 1, memoryMB: 100 }),
  async run(ctx) {
    if (ctx.params.fail) throw new Error("boom: asked to fail");
    const xs: number[] = JSON.parse(await Deno.readTextFile(ctx.inputs.numbers + "/numbers.json"));
    const ckpt = ctx.workDir + "/ckpt.json";
    let state = { step: 0, acc: 0 };
    try {
      state = JSON.parse(await Deno.readTextFile(ckpt));
    } catch {
      // a fresh start
    }
    ctx.metrics(0, { slurm_job: job(), resumed_from: state.step });
    for (let step = state.step; step < ctx.params.steps; step++) {
      await new Promise((r) => setTimeout(r, ctx.params.stepMs));
      ctx.signal.throwIfAborted();
      state = { step: step + 1, acc: state.acc + xs[step % xs.length]! * (step + 1) };
      await Deno.writeTextFile(ckpt + ".tmp", JSON.stringify(state));
      await Deno.rename(ckpt + ".tmp", ckpt);
    }
    await Deno.writeTextFile(ctx.outDir + "/acc.txt", String(state.acc));
  },
});

export const total = defineStage({
  kind: "slurmtoy.total",
  module: import.meta.url,
  description: "reads the result",
  params: z.object({}).strict(),
  inputs: ["acc"],
  async run(ctx) {
    const acc = Number(await Deno.readTextFile(ctx.inputs.acc + "/acc.txt"));
    ctx.metrics(0, { slurm_job: job(), acc });
    await Deno.writeTextFile(ctx.outDir + "/total.txt", String(acc));
  },
});
`;

const PIPELINE = `import { z } from "zod";
import { definePipeline, use } from "${ENGINE}pipeline.ts";
import { prepare, total, work } from "./stages.ts";

export const pipeline = definePipeline({
  name: "slurmtoy",
  description: "a throwaway pipeline for the Slurm executor",
  article: { title: "none", url: "https://example.org" },
  params: z.object({}).strict(),
  stages: () => ({
    prepare: use(prepare),
    work: use(work, { inputs: { numbers: "prepare" } }),
    total: use(total, { inputs: { acc: "work" } }),
  }),
});
`;

/** What `work` computes for `steps` steps on seed 1: the sum of xs[i % 3] · (i + 1). */
const expectedAcc = (steps: number, seed = 1) =>
  Array.from({ length: steps }, (_, i) => [1, 2, 3][i % 3]! * seed * (i + 1)).reduce((a, b) => a + b, 0);

const ok = (r: CliResult) => assert.equal(r.code, 0, r.stdout + r.stderr);

interface KeyRecordLike {
  key: string;
  lastMetrics: Record<string, number>;
}

Deno.test("--executor slurm on a loopback cluster: jobs, failures, scancel, node failure, Ctrl-C, sweeps", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "slurm-test-" });
  await Deno.writeTextFile(`${dir}/stages.ts`, STAGES);
  await Deno.writeTextFile(`${dir}/pipeline.ts`, PIPELINE);
  const store = { data: `${dir}/data`, reports: `${dir}/reports` };
  const cluster: LoopbackCluster = await startLoopbackCluster();
  const env = cluster.env;
  const run = (...args: string[]) =>
    cli(store, ["run", "--file", `${dir}/pipeline.ts`, "--executor", "slurm", ...args], env);
  const spawn = (...args: string[]) =>
    cliCommand(store, ["run", "--file", `${dir}/pipeline.ts`, "--executor", "slurm", ...args], env).spawn();
  const keyRecord = async (runId: string, stage: string): Promise<KeyRecordLike> => {
    const rows = (await Deno.readTextFile(`${store.data}/runs/${runId}/stages.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((r) => r.stage === stage);
    const key = rows.at(-1).key as string;
    return JSON.parse(await Deno.readTextFile(`${store.data}/keys/${key.slice(0, 2)}/${key}.json`));
  };
  const runIdOf = (r: CliResult) => /· run (\S+)$/m.exec(r.stdout)![1]!;
  /** Waits until `work`'s checkpoint (in the only work folder) reached `step`. */
  const checkpointAt = async (step: number) => {
    for (let i = 0; i < 300; i++) {
      const names: string[] = [];
      try {
        for await (const e of Deno.readDir(`${store.data}/work`)) names.push(e.name);
      } catch {
        // no work folder yet
      }
      for (const name of names) {
        try {
          const s = JSON.parse(await Deno.readTextFile(`${store.data}/work/${name}/ckpt.json`));
          if (s.step >= step) return name;
        } catch {
          // not written yet
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`work never checkpointed step ${step}`);
  };
  const runningJob = async (suffix: string) => {
    for (let i = 0; i < 100; i++) {
      const job = (await jobs(cluster)).find((j) => j.name.endsWith(suffix) && j.state === "RUNNING");
      if (job) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no running job named *${suffix}`);
  };
  const slurm = (cmd: string, ...args: string[]) =>
    new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped" }).output();

  try {
    await t.step(
      "every stage runs as its own Slurm job; the driver trusts the committed entries",
      async () => {
        const r = await run();
        ok(r);
        assert.deepEqual(statuses(r), { prepare: "ran", work: "ran", total: "ran" });
        const id = runIdOf(r);
        const records = await Promise.all(["prepare", "work", "total"].map((s) => keyRecord(id, s)));
        const jobIds = records.map((k) => k.lastMetrics.slurm_job!);
        assert.ok(jobIds.every((j) => j > 0), `each stage saw a SLURM_JOB_ID: ${jobIds}`);
        assert.equal(new Set(jobIds).size, 3, "one job per stage");
        assert.equal(records[2]!.lastMetrics.acc, expectedAcc(3));
        // The job names carry the stage key; the stage kind's resources reach srun; logs land in the run.
        const known = await jobs(cluster);
        for (const [i, stage] of ["prepare", "work", "total"].entries()) {
          const name = `repro-${records[i]!.key.slice(0, 12)}-${stage}`;
          assert.ok(
            known.some((j) => j.name === name && j.state === "COMPLETED"),
            `${name} in ${JSON.stringify(known)}`,
          );
          const log = await Deno.readTextFile(`${store.data}/runs/${id}/logs/${stage}.slurm.log`);
          assert.match(log, new RegExp(`--job-name=${name}`));
          assert.match(log, stage === "work" ? /--mem=100 / : /--mem=2000 /);
        }
        const again = await run();
        ok(again);
        assert.deepEqual(statuses(again), { prepare: "cached", work: "cached", total: "cached" });
        assert.equal((await jobs(cluster)).length, known.length, "a cached run submits no job");
      },
    );

    await t.step(
      "a failing stage fails the run with its own message, and nothing is committed for it",
      async () => {
        const r = await run("--set", "work.fail=true");
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /✗ work\s+failed after .*: boom: asked to fail/);
        assert.deepEqual(statuses(r), { prepare: "cached", work: "failed", total: "skipped" });
        const rows = (await Deno.readTextFile(`${store.data}/runs/${runIdOf(r)}/stages.jsonl`)).trim().split(
          "\n",
        )
          .map((l) => JSON.parse(l));
        const key = rows.findLast((row) => row.stage === "work").key as string;
        await assert.rejects(Deno.stat(`${store.data}/keys/${key.slice(0, 2)}/${key}.json`));
      },
    );

    await t.step(
      "a job cancelled with scancel is reported as killed by Slurm; the next run resumes it",
      async () => {
        const sets = ["--set", "work.steps=40", "--set", "work.stepMs=100"];
        const child = spawn(...sets);
        await checkpointAt(3);
        const job = await runningJob("-work");
        const scancel = await slurm("scancel", job.id);
        assert.ok(scancel.success, new TextDecoder().decode(scancel.stderr));
        const output = await child.output();
        const r = {
          code: output.code,
          stdout: new TextDecoder().decode(output.stdout),
          stderr: new TextDecoder().decode(output.stderr),
        };
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(
          r.stdout,
          new RegExp(
            `✗ work .*killed by Slurm: Slurm job ${job.id} was cancelled .*\\(CANCELLED\\); its work folder work/\\w+… is kept, so the next run resumes from its checkpoint`,
          ),
        );
        assert.match(r.stdout, /– total\s+skipped: work failed/);
        const resumed = await run(...sets);
        ok(resumed);
        assert.match(resumed.stdout, /▸ work\s+previous attempt failed/);
        const record = await keyRecord(runIdOf(resumed), "total");
        assert.equal(record.lastMetrics.acc, expectedAcc(40), "the resumed result is the uninterrupted one");
        const workRecord = await keyRecord(runIdOf(resumed), "work");
        assert.ok(
          workRecord.lastMetrics.resumed_from! >= 3,
          `resumed from step ${workRecord.lastMetrics.resumed_from}`,
        );
      },
    );

    await t.step("a job whose node fails is retried once and resumes from its checkpoint", async () => {
      const sets = ["--set", "work.steps=30", "--set", "work.stepMs=100"];
      const child = spawn(...sets);
      await checkpointAt(3);
      const job = await runningJob("-work");
      const host = Deno.hostname().split(".")[0]!;
      await slurm("scontrol", "update", `nodename=${host}`, "state=down", "reason=node-failure-test");
      // ReturnToService=2 brings the node back when slurmd registers again; resume it if it has not.
      await new Promise((r) => setTimeout(r, 1500));
      await slurm("scontrol", "update", `nodename=${host}`, "state=resume");
      const output = await child.output();
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stdout + stderr);
      assert.match(
        stderr,
        new RegExp(`work: killed by Slurm: Slurm job ${job.id} lost its node \\(NODE_FAIL\\); retrying once`),
      );
      const record = await keyRecord(/· run (\S+)$/m.exec(stdout)![1]!, "work");
      assert.ok(
        record.lastMetrics.resumed_from! >= 3,
        `resumed from step ${record.lastMetrics.resumed_from}`,
      );
      assert.notEqual(String(record.lastMetrics.slurm_job), job.id, "the retry is a new job");
      assert.equal(
        (await keyRecord(/· run (\S+)$/m.exec(stdout)![1]!, "total")).lastMetrics.acc,
        expectedAcc(30),
      );
    });

    await t.step("Ctrl-C cancels the running job and the run ends as interrupted", async () => {
      const child = spawn("--set", "work.steps=200", "--set", "work.stepMs=100");
      await checkpointAt(2);
      const job = await runningJob("-work");
      child.kill("SIGINT");
      const output = await child.output();
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 130, stdout + new TextDecoder().decode(output.stderr));
      assert.match(stdout, /✗ work\s+interrupted after .*its Slurm job was cancelled/);
      let state: string | undefined;
      for (let i = 0; i < 100; i++) { // COMPLETING until slurmd reports the job's end
        state = (await jobs(cluster)).find((j) => j.id === job.id)?.state;
        if (state !== "COMPLETING") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(state, "CANCELLED");
    });

    await t.step("a sweep on slurm runs as many points at once as the cluster has idle CPUs", async () => {
      const r = await cli(store, [
        "run",
        "--file",
        `${dir}/pipeline.ts`,
        "--executor",
        "slurm",
        "--sweep",
        "prepare.seed=2,3,4",
      ], env);
      ok(r);
      assert.match(r.stdout, new RegExp(`sweep of 3 points, ${Math.min(3, cluster.cpus)} at a time`));
      const rows = r.stdout.split("\n").filter((l) => /^\d /.test(l));
      assert.deepEqual(rows.map((l) => l.split(/\s+/).slice(0, 3)), [["1", "2", "ok"], ["2", "3", "ok"], [
        "3",
        "4",
        "ok",
      ]]);
      const named = (await jobs(cluster)).filter((j) => j.name.endsWith("-prepare"));
      assert.ok(named.length >= 4, "each point's prepare ran as a job");
    });
  } finally {
    await cluster.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
