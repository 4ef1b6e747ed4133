import assert from "node:assert/strict";
import {
  currentProcess,
  describeHolder,
  HeldLock,
  lock,
  type LockOwner,
  LockWaitInterrupted,
  processState,
  readLockOwner,
  tryLock,
} from "./process_lock.ts";

const LOCK_MODULE = new URL("./process_lock.ts", import.meta.url).href;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

Deno.test("8 processes taking and releasing one lock 2,000 times each never crash", async () => {
  // The race this pins: a lock found held, whose holder releases it before its owner can be read, was
  // stat'ed and died with NotFound (~1% of concurrent runs). A released lock means "try again".
  const dir = await Deno.makeTempDir({ prefix: "lock-hammer-" });
  const script = `${dir}/hammer.ts`;
  await Deno.writeTextFile(
    script,
    `import { HeldLock, tryLock } from ${JSON.stringify(LOCK_MODULE)};
let taken = 0;
for (let i = 0; i < 2000; i++) {
  const held = tryLock(Deno.args[0], "hammer");
  if (held instanceof HeldLock) { taken++; held.release(); }
}
console.log(taken);`,
  );
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", "--config", CONFIG, script, `${dir}/x.lock`],
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  for (const r of results) assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const taken = results.map((r) => Number(new TextDecoder().decode(r.stdout)));
  assert.ok(taken.every((n) => n > 0), `every process got the lock at some point: ${taken}`);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "hammer.ts");
  assert.deepEqual(left, [], "no lock and no temp file is left behind");
  await Deno.remove(dir, { recursive: true });
});

/** Starts a child that exits at once under a parent that never waits: a zombie until the parent ends. */
async function makeZombie(): Promise<{ pid: number; start: number; parent: Deno.ChildProcess }> {
  const parent = new Deno.Command("sh", {
    // The child outlives the fork by a moment, so that the parent has become `sleep` when it exits.
    args: ["-c", "sleep 0.2 & echo $!; exec sleep 60"],
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const pid = Number(new TextDecoder().decode(value).trim());
  for (let i = 0; i < 250; i++) {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return { pid, start: Number(fields[19]), parent };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} did not become a zombie`);
}

Deno.test("a zombie (killed, never reaped) is dead, so its locks are stale and get broken", async () => {
  const zombie = await makeZombie();
  try {
    const owner = { pid: zombie.pid, start: zombie.start, host: currentProcess().host };
    assert.equal(processState(owner), "dead");
    const dir = await Deno.makeTempDir({ prefix: "lock-zombie-" });
    const path = `${dir}/x.lock`;
    await Deno.writeTextFile(path, JSON.stringify({ ...owner, purpose: "killed run", since: "" }));
    const held = tryLock(path, "next run");
    assert.ok(held instanceof HeldLock, `the zombie's lock is broken, got ${JSON.stringify(held)}`);
    assert.equal(readLockOwner(path)?.pid, Deno.pid);
    held.release();
    await Deno.remove(dir, { recursive: true });
  } finally {
    zombie.parent.kill("SIGKILL");
    await zombie.parent.status;
    await zombie.parent.stdout.cancel().catch(() => {});
  }
});

Deno.test("processState: this process is alive, a gone pid or a reused start time is dead, another host unknown", () => {
  const me = currentProcess();
  assert.equal(processState(me), "alive");
  assert.equal(processState({ ...me, start: me.start + 1 }), "dead", "pid reused by another process");
  assert.equal(processState({ ...me, pid: 2 ** 22 + 12345 }), "dead", "no such pid");
  assert.equal(processState({ ...me, host: "elsewhere" }), "unknown");
});

Deno.test("a lock held on another host is waited on, and the message names the host and `deno task unlock`", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock-host-" });
  const path = `${dir}/x.lock`;
  const foreign: LockOwner = {
    pid: 4242,
    start: 1,
    host: "elsewhere",
    purpose: "run r1: computing a/b",
    since: "",
  };
  await Deno.writeTextFile(path, JSON.stringify(foreign));
  const held = tryLock(path, "here");
  assert.ok(!(held instanceof HeldLock) && held !== null);
  assert.equal(
    describeHolder(held),
    "pid 4242 on host elsewhere (run r1: computing a/b), which this host cannot check; if that host is " +
      "gone or its run was killed, break its locks with `deno task unlock --host elsewhere`",
  );
  assert.equal(
    describeHolder({ ...foreign, ...currentProcess() }),
    `pid ${Deno.pid} (run r1: computing a/b)`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock files of the wrong shape are no owner; once old they are broken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock-shape-" });
  const path = `${dir}/x.lock`;
  for (const text of ["{}", "null", "42", '{"pid":"x"}']) {
    await Deno.writeTextFile(path, text);
    assert.equal(readLockOwner(path), null, text);
    assert.equal(tryLock(path, "here"), null, `${text}: a fresh unreadable lock may be in the making`);
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(path, old, old);
    const held = tryLock(path, "here");
    assert.ok(held instanceof HeldLock, `${text}: an old unreadable lock is broken`);
    held.release();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock(): an abort while waiting throws LockWaitInterrupted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock-abort-" });
  const path = `${dir}/x.lock`;
  const mine = tryLock(path, "holder") as HeldLock;
  const controller = new AbortController();
  let waitedFor: LockOwner | undefined;
  const waiting = lock(path, "waiter", {
    pollMs: 10,
    signal: controller.signal,
    onWait: (h) => (waitedFor = h),
  });
  await new Promise((r) => setTimeout(r, 50));
  controller.abort(new Error("interrupted"));
  await assert.rejects(waiting, LockWaitInterrupted);
  assert.equal(waitedFor?.purpose, "holder");
  mine.release();
  await Deno.remove(dir, { recursive: true });
});
