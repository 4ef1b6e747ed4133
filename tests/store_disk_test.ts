/**
 * A full disk, a read-only store and a read-only reports folder, made real with small tmpfs and
 * read-only bind mounts (no mocks: the engine sees the kernel's ENOSPC and EROFS). Mounting needs root
 * (or CAP_SYS_ADMIN); where it is not allowed these tests are skipped, and say so.
 */
import assert from "node:assert/strict";
import { cli, cliCommand, type CliResult, statuses } from "./_cli.ts";
import { makeToyProject, type ToyProject } from "./_toy_project.ts";

function sh(...args: string[]): boolean {
  return new Deno.Command(args[0]!, { args: args.slice(1), stdout: "null", stderr: "null" }).outputSync()
    .success;
}

/** Whether this process may mount file systems (tried once, on a throwaway folder). */
const canMount = (() => {
  if (Deno.build.os !== "linux") return false;
  const dir = Deno.makeTempDirSync({ prefix: "mount-probe-" });
  const ok = sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
  if (ok) sh("umount", dir);
  Deno.removeSync(dir);
  return ok;
})();
const ignore = !canMount;
if (ignore) console.warn("store_disk_test: skipped, this process may not mount file systems (run as root)");

/** Mounts a tmpfs of `bytes` at `dir` (created), and returns how to unmount it. */
function tmpfs(dir: string, bytes: number): () => void {
  Deno.mkdirSync(dir, { recursive: true });
  assert.ok(sh("mount", "-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir), `mount tmpfs at ${dir}`);
  return () => void sh("umount", "-l", dir);
}

/** Shows `source` read-only at `target` (a bind mount), and returns how to unmount it. */
function readOnlyView(source: string, target: string): () => void {
  Deno.mkdirSync(target, { recursive: true });
  assert.ok(sh("mount", "--bind", source, target), `bind ${source}`);
  assert.ok(sh("mount", "-o", "remount,bind,ro", target), `remount ${target} read-only`);
  return () => void sh("umount", "-l", target);
}

/** Fills the file system of `dir` to the last byte. Returns the filler's path. */
function fill(dir: string): string {
  const path = `${dir}/filler.bin`;
  using file = Deno.openSync(path, { write: true, create: true });
  const block = new Uint8Array(64 * 1024);
  for (let size = block.length; size >= 1;) {
    try {
      file.writeSync(block.subarray(0, size));
    } catch {
      size = Math.floor(size / 2); // ENOSPC: top up with smaller writes
    }
  }
  return path;
}

const run = (p: ToyProject, ...args: string[]) => cli(p, ["run", "--file", p.pipeline, ...args]);
const ALL_CACHED = { source: "cached", double: "cached", total: "cached", count: "cached" };

function assertOneLine(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 3, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m, `${what}: no stack trace\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `${what}: one line\n${r.stderr}`);
  assert.match(lines[0]!, pattern, what);
}

const leftoverTemps = (p: ToyProject) =>
  ["locks", "cache", "active"].flatMap((d) => {
    try {
      return [...Deno.readDirSync(`${p.data}/${d}`)].map((e) => `${d}/${e.name}`)
        .filter((n) => /\.\d+\.[0-9a-f-]{8,}/.test(n));
    } catch {
      return [];
    }
  });

Deno.test({
  name: "a disk that fills up mid-run: one line with the path and what to do, exit 3, nothing computed lost",
  ignore,
  async fn() {
    const p = await makeToyProject();
    const unmount = tmpfs(p.data, 4 * 1024 * 1024);
    try {
      assert.equal((await run(p)).code, 0);
      const marker = `${p.dir}/started`;
      const child = cliCommand(p, [
        "run",
        "--file",
        p.pipeline,
        "--set",
        "source.seed=5",
        "--set",
        "source.sleepMs=3000",
      ], {
        TOY_MARKER: marker,
      }).spawn();
      while (!(await Deno.stat(marker).then(() => true, () => false))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const filler = fill(p.data); // source is sleeping: its own write and the engine's after it fail
      const out = await child.output();
      const d = new TextDecoder();
      const mid: CliResult = { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
      assertOneLine(
        mid,
        new RegExp(`error: the disk is full: cannot write ${p.data}/\\S+\\. Free some space`),
        "mid-run",
      );

      for (let i = 0; i < 3; i++) {
        const full = await run(p, "--set", "count.offset=9");
        assertOneLine(
          full,
          /error: the disk is full: cannot write .*deno task gc/,
          `attempt ${i} on a full disk`,
        );
      }
      assert.deepEqual(leftoverTemps(p), [], "no attempt leaves a temp file behind");
      // The remedy the message names works on the full disk: gc gives up the store's reserve for its lock.
      const gc = await cli(p, ["gc"]);
      assert.equal(gc.code, 0, gc.stdout + gc.stderr);
      assert.match(gc.stdout, /^removed \d+ cached outputs/);

      await Deno.remove(filler);
      const cached = await run(p);
      assert.equal(cached.code, 0, cached.stdout + cached.stderr);
      assert.deepEqual(statuses(cached), ALL_CACHED, "what was computed before the disk filled is all there");
      const again = await run(p, "--set", "source.seed=5");
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(statuses(again).source, "ran");
      const q = await cli(p, ["query", "--json", "select status from runs order by started_at"]);
      assert.ok(
        JSON.parse(q.stdout).every((row: { status: string }) => row.status !== "running"),
        "the run cut short is recorded as interrupted",
      );
      const v = await cli(p, ["verify"]);
      assert.equal(v.code, 0, v.stdout);
    } finally {
      unmount();
    }
  },
});

Deno.test({
  name:
    "a read-only store serves a fully cached run (and status, list, query, verify); what is not cached is one clear error",
  ignore,
  async fn() {
    const p = await makeToyProject();
    assert.equal((await run(p)).code, 0);
    const ro = { ...p, data: `${p.dir}/ro-data`, reports: `${p.dir}/ro-reports` };
    const unmount = readOnlyView(p.data, ro.data);
    try {
      const r = await run(ro);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(statuses(r), ALL_CACHED);
      assert.match(r.stdout, /read-only store .*this run is not recorded/);
      for (const args of [["status"], ["list"], ["query", "select count(*) from runs"], ["verify"]]) {
        const c = await cli(ro, args);
        assert.equal(c.code, 0, `${args[0]}: ${c.stdout}${c.stderr}`);
        assert.doesNotMatch(c.stderr, /Uncaught|^\s+at /m);
      }
      const missing = await run(ro, "--set", "count.offset=1");
      assertOneLine(
        missing,
        /error: Cannot run toy: the store .*ro-data is read-only, so only cached results can be served, and this stage is not cached: count \(params changed: count\.offset 0 → 1\)/,
        "a stage to compute",
      );
      assertOneLine(await cli(ro, ["gc"]), /error: Cannot gc .*ro-data: the store is read-only/, "gc");
    } finally {
      unmount();
    }
  },
});

Deno.test({
  name:
    "a read-only reports folder: the run still succeeds (exit 0) and says in one line why there is no report",
  ignore,
  async fn() {
    const p = await makeToyProject();
    const backing = `${p.dir}/reports-backing`;
    Deno.mkdirSync(backing);
    const unmount = readOnlyView(backing, p.reports);
    try {
      const r = await run(p);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(statuses(r), { source: "ran", double: "ran", total: "ran", count: "ran" });
      assert.match(
        r.stderr,
        new RegExp(`^warning: the report was not published: ${p.reports}\\S* is on a read-only file system`),
      );
      assert.equal(r.stderr.trim().split("\n").length, 1);
    } finally {
      unmount();
    }
  },
});
