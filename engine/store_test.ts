import assert from "node:assert/strict";
import { sameStat, statKey } from "./stat_cache.ts";
import { Store } from "./store.ts";

async function commitOne(store: Store, text: string): Promise<{ digest: string; file: string }> {
  const staging = store.makeStaging();
  await Deno.writeTextFile(`${staging}/out/result.txt`, text);
  const digest = await store.commitObject(staging);
  return { digest, file: `${store.objectOut(digest)}/result.txt` };
}

Deno.test("a byte changed within the same second, its mtime put back, is caught: a fresh stat is not trusted", async () => {
  // Deno reports ctime in whole seconds: a change within the second of the commit, with the mtime restored
  // (as cp -p or tar do), leaves the stat exactly as recorded. Such "racy" stats must not vouch for a file.
  const root = await Deno.makeTempDir({ prefix: "store-racy-" });
  const store = Store.open(root);
  let reproduced = false;
  for (let attempt = 0; attempt < 20 && !reproduced; attempt++) {
    const { digest, file } = await commitOne(store, `result ${attempt}: 12345\n`);
    const before = statKey(await Deno.stat(file));
    const mtime = (await Deno.stat(file)).mtime!;
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace("12345", "12346"));
    await Deno.utime(file, mtime, mtime);
    if (!sameStat(before, statKey(await Deno.stat(file)))) continue; // crossed a second: try again
    reproduced = true;
    const check = await store.verifyObject(digest);
    assert.deepEqual(check, { ok: false, problem: "file result.txt changed on disk" });
  }
  assert.ok(reproduced, "a change within one ctime second was made");
  await Deno.remove(root, { recursive: true });
});

Deno.test("stats are recorded once they are no longer racy, and then spare the re-hash", async () => {
  const root = await Deno.makeTempDir({ prefix: "store-racy-" });
  const store = Store.open(root);
  const { digest, file } = await commitOne(store, "fresh\n");
  const statPath = `${store.objectDir(digest)}/stat.json`;
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(statPath)),
    {},
    "nothing trusted right after the commit",
  );
  const old = new Date(Date.now() - 10_000);
  await Deno.utime(file, old, old); // as if written long ago; ctime is now, but the file is intact
  await new Promise((r) => setTimeout(r, 2100)); // let ctime age past the racy window
  assert.deepEqual(await store.verifyObject(digest), { ok: true });
  const stats = JSON.parse(await Deno.readTextFile(statPath));
  assert.deepEqual(Object.keys(stats), ["result.txt"], "recorded by the first check after the window");
  assert.ok(sameStat(stats["result.txt"], statKey(await Deno.stat(file))));
  await Deno.remove(root, { recursive: true });
});

Deno.test("lookupKey: a record must parse, have the shape of a key record and name its own key", async () => {
  const root = await Deno.makeTempDir({ prefix: "store-keys-" });
  const store = Store.open(root);
  const key = "ab".padEnd(64, "0");
  assert.deepEqual(store.lookupKey(key), { ok: false, missing: true, problem: "it is missing" });
  await Deno.mkdir(`${root}/keys/ab`, { recursive: true });
  const path = `${root}/keys/ab/${key}.json`;
  await Deno.writeTextFile(path, "{}");
  const wrong = store.lookupKey(key);
  assert.ok(
    !wrong.ok && !wrong.missing && /wrong shape \(at key:/.test(wrong.problem),
    JSON.stringify(wrong),
  );
  const record = {
    key: "cd".padEnd(64, "0"),
    object: "ef".padEnd(64, "0"),
    pipeline: "p",
    stage: "s",
    kind: "k",
    codeDigest: "c",
    codeFiles: [],
    params: {},
    inputs: {},
    runtime: {},
    producedBy: { runId: "r", startedAt: "", durationMs: 1, host: "h" },
    lastMetrics: {},
  };
  await Deno.writeTextFile(path, JSON.stringify(record));
  const other = store.lookupKey(key);
  assert.ok(!other.ok && /names another key \(cd0000000000…\)/.test(other.problem), JSON.stringify(other));
  await Deno.writeTextFile(path, JSON.stringify({ ...record, key }));
  assert.equal(store.readKey(key)?.object, record.object);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cleanLeftovers removes the temp files that dead processes (or full disks) left, not live ones", async () => {
  const root = await Deno.makeTempDir({ prefix: "store-leftovers-" });
  const store = Store.open(root);
  const dead = 2 ** 22 + 4321; // above the kernel's pid_max: never a live pid
  const leftovers = [
    `locks/store.lock.${dead}.0b6e5a4e-1f5e-4c0e-9d7a-2f5b1d3c4e6f`,
    `cache/code-digests.json.${dead}.1a2b3c4d.tmp`,
    `active/20260101-000000-abcd.json.${dead}.1a2b3c4d.tmp`,
  ];
  const live = `locks/store.lock.${Deno.pid}.0b6e5a4e-1f5e-4c0e-9d7a-2f5b1d3c4e6f`;
  for (const path of [...leftovers, live]) await Deno.writeTextFile(`${root}/${path}`, "");
  const removed = await store.cleanLeftovers();
  assert.deepEqual(removed.sort(), [...leftovers].sort());
  assert.ok(await Deno.stat(`${root}/${live}`).then(() => true), "a live process's temp file stays");
  await Deno.remove(root, { recursive: true });
});
