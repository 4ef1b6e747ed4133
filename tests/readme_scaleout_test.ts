/**
 * The README's cluster and shared-cache examples (its ```sh scaleout block) run for real: against a
 * one-node Slurm cluster on loopback and an S3 endpoint on 127.0.0.1 that this test starts, with the
 * config the README describes naming the remote `team`. tests/readme_test.ts runs the README's other
 * command lines, which need neither.
 */
import assert from "node:assert/strict";
import { cli } from "./_cli.ts";
import { startLoopbackCluster } from "./_slurm_cluster.ts";
import { startS3 } from "./_s3_server.ts";

/** The `deno task …` lines of the README's ```sh scaleout blocks, as arguments after `task`. */
function scaleoutCommands(markdown: string): string[][] {
  const commands: string[][] = [];
  for (const block of markdown.matchAll(/```sh scaleout\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split("\n")) {
      const words = line.replace(/#.*$/, "").trim().split(/\s+/).filter(Boolean);
      if (words[0] === "deno" && words[1] === "task") commands.push(words.slice(2));
    }
  }
  return commands;
}

Deno.test("the README's cluster and shared-cache command lines run on loopback Slurm and S3", async () => {
  const commands = scaleoutCommands(await Deno.readTextFile(new URL("../README.md", import.meta.url)));
  assert.ok(commands.length >= 6, `${commands.length} commands`);
  assert.ok(commands.some((c) => c.includes("--executor")) && commands.some((c) => c[0] === "pull"));
  const dir = await Deno.makeTempDir({ prefix: "readme-scaleout-" });
  const cluster = await startLoopbackCluster();
  const s3 = await startS3("lab-cache");
  try {
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ remotes: { team: { url: "s3://lab-cache/repro", endpoint: s3.endpoint } } }),
    );
    const env = { ...cluster.env, ...s3.env, REPRO_CONFIG: config };
    const store = { data: `${dir}/data`, reports: `${dir}/reports` };
    for (const args of commands) {
      const r = await cli(store, args, env);
      assert.equal(r.code, 0, `deno task ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /warning: the remote/, `deno task ${args.join(" ")}: ${r.stderr}`);
    }
    // Slurm and the remote together: what the jobs compute, the driver uploads once it verified it.
    const fresh = await cli(store, [
      "run",
      "gillespie",
      "--executor",
      "slurm",
      "--remote",
      "team",
      "--set",
      "simulate.seed=7",
    ], env);
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, /✓ simulate/);
    const runId = /· run (\S+)$/m.exec(fresh.stdout)![1]!;
    const rows = (await Deno.readTextFile(`${store.data}/runs/${runId}/stages.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((r) => r.status === "ran");
    for (const row of rows) {
      const record = JSON.parse(await (await s3.client.getObject(`repro/ac/${row.key}`)).text());
      assert.equal(record.object, row.object, `${row.stage} uploaded`);
    }
    // What they did: stages ran as Slurm jobs, and the bucket holds the outputs and the run records.
    const jobs = await new Deno.Command("squeue", { args: ["-h", "-t", "all", "-o", "%j"], env: cluster.env })
      .output();
    assert.match(new TextDecoder().decode(jobs.stdout), /^repro-[0-9a-f]{12}-simulate$/m);
    const keys: string[] = [];
    for await (const o of s3.client.listObjects({ prefix: "repro/" })) keys.push(o.key);
    assert.ok(keys.some((k) => /^repro\/ac\/[0-9a-f]{64}$/.test(k)), "key records uploaded");
    assert.ok(
      keys.some((k) => /^repro\/runs\/gillespie\/[^/]+\/manifest\.json$/.test(k)),
      "run records pushed",
    );
  } finally {
    await s3.stop();
    await cluster.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
