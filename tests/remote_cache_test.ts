/**
 * The shared remote cache through the CLI, against an S3 endpoint on 127.0.0.1 (s3rver, a test double:
 * tests/_s3_server.ts), on the toy project: write-through, a full rerun from an empty local store that
 * fetches everything and computes nothing, a corrupted remote object that is detected (never served,
 * recomputed, repaired on the remote), push and pull of run records so that query sees a teammate's
 * runs, a remote named in the config, and a remote that cannot be reached.
 */
import assert from "node:assert/strict";
import { cli, type CliResult, statuses } from "./_cli.ts";
import { startS3 } from "./_s3_server.ts";
import { makeToyProject } from "./_toy_project.ts";

const ok = (r: CliResult) => assert.equal(r.code, 0, r.stdout + r.stderr);
const ALL = ["source", "double", "total", "count"];
const every = (status: string) => Object.fromEntries(ALL.map((s) => [s, status]));

Deno.test("--remote s3://…: read-through, write-through, corruption, push and pull", async (t) => {
  const s3 = await startS3();
  const project = await makeToyProject();
  const env = { ...s3.env, REPRO_CONFIG: `${project.dir}/no-config.json` };
  const remote = ["--remote", "s3://cache/team"];
  const run = (data: string, ...args: string[]) =>
    cli({ data, reports: project.reports }, ["run", "--file", project.pipeline, ...remote, ...args], env);
  const remoteText = async (key: string) => await (await s3.client.getObject(`team/${key}`)).text();
  const keysOf = async (data: string, runId: string) => {
    const rows = (await Deno.readTextFile(`${data}/runs/${runId}/stages.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    return Object.fromEntries(
      rows.map((r) => [r.stage, { key: r.key as string, object: r.object as string }]),
    );
  };
  const runIdOf = (r: CliResult) => /· run (\S+)$/m.exec(r.stdout)![1]!;
  const a = `${project.dir}/store-a`;

  try {
    let keys: Record<string, { key: string; object: string }> = {};
    await t.step("a run uploads each computed output, then its key record", async () => {
      const r = await run(a);
      ok(r);
      assert.deepEqual(statuses(r), every("ran"));
      keys = await keysOf(a, runIdOf(r));
      for (const stage of ALL) {
        const record = JSON.parse(await remoteText(`ac/${keys[stage]!.key}`));
        assert.equal(record.object, keys[stage]!.object);
        const manifest = JSON.parse(await remoteText(`cas/${keys[stage]!.object}/manifest.json`));
        assert.equal(manifest.digest, keys[stage]!.object);
      }
      assert.equal(await remoteText(`cas/${keys.total!.object}/out/sum.txt`), "20");
    });

    await t.step("from an empty local store, a rerun fetches every stage and executes none", async () => {
      await Deno.remove(a, { recursive: true });
      const dry = await cli({ data: a, reports: project.reports }, [
        "run",
        "--file",
        project.pipeline,
        ...remote,
        "--dry-run",
      ], env);
      ok(dry);
      assert.match(dry.stdout, /source\s+cached\s+cached on the remote: would be fetched/);
      await assert.rejects(Deno.stat(`${a}/keys/${keys.source!.key.slice(0, 2)}/${keys.source!.key}.json`));
      const r = await run(a);
      ok(r);
      assert.deepEqual(statuses(r), every("cached"));
      assert.equal((r.stdout.match(/cached: fetched from the remote \(computed by run /g) ?? []).length, 4);
      assert.equal(
        await Deno.readTextFile(
          `${a}/objects/${keys.total!.object.slice(0, 2)}/${keys.total!.object}/out/sum.txt`,
        ),
        "20",
      );
      const q = await cli({ data: a, reports: project.reports }, [
        "query",
        "--json",
        `select count(*) as n from reasons where run_id = '${runIdOf(r)}' and kind = 'fetched'`,
      ], env);
      ok(q);
      assert.deepEqual(JSON.parse(q.stdout), [{ n: 4 }]);
    });

    await t.step("a corrupted remote object is detected, never served, recomputed and repaired", async () => {
      const path = `team/cas/${keys.double!.object}/out/nested/doubled.json`;
      const good = await (await s3.client.getObject(path)).text();
      const bad = good.replace("2", "3"); // same size, other bytes
      assert.notEqual(bad, good);
      await s3.client.putObject(path, bad);
      await Deno.remove(a, { recursive: true });
      const r = await run(a);
      ok(r);
      assert.deepEqual(statuses(r), { source: "cached", double: "ran", total: "cached", count: "cached" });
      assert.match(
        r.stdout,
        /▸ double\s+cached output was corrupted \(on the remote: file nested\/doubled\.json has sha256 \w+…, not \w+…\): recomputing/,
      );
      const local = `${a}/objects/${keys.double!.object.slice(0, 2)}/${
        keys.double!.object
      }/out/nested/doubled.json`;
      assert.equal(
        await Deno.readTextFile(local),
        good,
        "the recomputed output, not the remote's damaged copy",
      );
      assert.equal(
        await (await s3.client.getObject(path)).text(),
        good,
        "the write-through repaired the remote",
      );
      await Deno.remove(a, { recursive: true });
      const again = await run(a);
      ok(again);
      assert.deepEqual(statuses(again), every("cached"));
    });

    await t.step("push and pull move the run records, so query sees a teammate's runs", async () => {
      const pushed = await cli({ data: a, reports: project.reports }, ["push", ...remote], env);
      ok(pushed);
      assert.match(pushed.stdout, /toy: pushed 0 outputs \(4 already there\), 1 run records/);
      const b = `${project.dir}/store-b`;
      const pulled = await cli({ data: b, reports: project.reports }, ["pull", ...remote], env);
      ok(pulled);
      assert.match(pulled.stdout, /toy: pulled 4 outputs \(0 already there\), 1 run records/);
      const q = await cli({ data: b, reports: project.reports }, [
        "query",
        "--json",
        "select pipeline, status from runs",
      ], env);
      ok(q);
      assert.deepEqual(JSON.parse(q.stdout), [{ pipeline: "toy", status: "ok" }]);
      // The pulled run is the latest here: a run without the remote finds everything in its own store.
      const local = await cli({ data: b, reports: project.reports }, [
        "run",
        "--file",
        project.pipeline,
        "--remote",
        "none",
      ], env);
      ok(local);
      assert.deepEqual(statuses(local), every("cached"));
      assert.doesNotMatch(local.stdout, /fetched/);
      const again = await cli({ data: b, reports: project.reports }, ["pull", ...remote], env);
      ok(again);
      assert.match(again.stdout, /pulled 0 outputs \(4 already there\), 0 run records \(1 already there\)/);
    });

    await t.step("a remote named in the config works, and a config holding a secret is refused", async () => {
      const config = `${project.dir}/config.json`;
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          remote: "team",
          remotes: { team: { url: "s3://cache/team", endpoint: s3.endpoint } },
        }),
      );
      const c = `${project.dir}/store-c`;
      const withConfig = { ...s3.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9", REPRO_CONFIG: config };
      const r = await cli(
        { data: c, reports: project.reports },
        ["run", "--file", project.pipeline],
        withConfig,
      );
      ok(r);
      assert.deepEqual(statuses(r), every("cached"), "the config's endpoint wins over AWS_ENDPOINT_URL");
      await Deno.writeTextFile(
        config,
        JSON.stringify({ remotes: { team: { url: "s3://cache/team", secretAccessKey: "S3RVER" } } }),
      );
      const refused = await cli(
        { data: c, reports: project.reports },
        ["run", "--file", project.pipeline],
        withConfig,
      );
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /holds 'remotes\.team\.secretAccessKey': credentials never go into the config/,
      );
      const noCreds = await cli({ data: c, reports: project.reports }, [
        "run",
        "--file",
        project.pipeline,
        ...remote,
      ], {
        REPRO_CONFIG: `${project.dir}/no-config.json`,
        AWS_ACCESS_KEY_ID: "",
      });
      assert.equal(noCreds.code, 2);
      assert.match(noCreds.stderr, /needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    });

    await t.step("a remote that cannot be reached costs one warning; the run goes on locally", async () => {
      const d = `${project.dir}/store-d`;
      const r = await cli({ data: d, reports: project.reports }, [
        "run",
        "--file",
        project.pipeline,
        ...remote,
      ], {
        ...env,
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
      });
      ok(r);
      assert.deepEqual(statuses(r), every("ran"));
      assert.equal(
        (r.stderr.match(/warning: the remote s3:\/\/cache\/team failed/g) ?? []).length,
        1,
        r.stderr,
      );
    });
  } finally {
    await s3.stop();
    await Deno.remove(project.dir, { recursive: true }).catch(() => {});
  }
});
