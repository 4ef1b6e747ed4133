import assert from "node:assert/strict";
import { StatCache, statKey } from "./stat_cache.ts";

Deno.test("StatCache serves a value while the stat is unchanged and persists it", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/a.txt`;
  await Deno.writeTextFile(file, "one");
  const later = () => Date.now() + 10_000;
  const cache = new StatCache<string>(`${dir}/cache.json`, { now: later });
  const stat = statKey(Deno.statSync(file));
  cache.set(file, stat, "digest-1");
  assert.equal(cache.get(file, stat), "digest-1");
  cache.save();
  const reloaded = new StatCache<string>(`${dir}/cache.json`, { now: later });
  assert.equal(reloaded.get(file, stat), "digest-1");
  // Another size: two writes within one clock tick can share an mtime, so the size must tell them apart.
  await Deno.writeTextFile(file, "two, longer");
  assert.equal(reloaded.get(file, statKey(Deno.statSync(file))), undefined, "an edit changes the stat");
  assert.equal(reloaded.get(file, { ...stat, ino: stat.ino + 1 }), undefined, "so does a replaced file");
});

Deno.test("StatCache does not keep racy entries, and drops an old entry when its file turns racy", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/a.txt`;
  await Deno.writeTextFile(file, "one");
  const stat = statKey(Deno.statSync(file));
  const now = new StatCache<string>();
  now.set(file, stat, "fresh");
  assert.equal(
    now.get(file, stat),
    undefined,
    "a file written within 2 s may change without its stat changing",
  );
  // Both times must be old: a recent ctime alone (cp -p keeps mtime) is enough to distrust the entry.
  const copied = { ...stat, mtimeMs: stat.mtimeMs - 60_000 };
  now.set(file, copied, "copied");
  assert.equal(now.get(file, copied), undefined);
  const later = new StatCache<string>(undefined, { now: () => Date.now() + 10_000 });
  later.set(file, copied, "kept");
  assert.equal(later.get(file, copied), "kept");
});
