import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";
import { sha256Hex } from "./hash.ts";
import { parseS3Url, resolveRemote, S3RemoteCache, safeRelativePath } from "./remote_cache.ts";
import { type KeyRecord, Store } from "./store.ts";
import { startS3 } from "../tests/_s3_server.ts";

Deno.test("parseS3Url splits bucket and prefix, and refuses what is not s3://bucket/…", () => {
  assert.deepEqual(parseS3Url("s3://lab-cache"), { bucket: "lab-cache", prefix: "" });
  assert.deepEqual(parseS3Url("s3://lab-cache/team/repro/"), { bucket: "lab-cache", prefix: "team/repro" });
  for (const bad of ["lab-cache/x", "s3://", "s3://UPPER/x", "https://s3.example.org/b"]) {
    assert.throws(() => parseS3Url(bad), /write it as s3:\/\/bucket\/prefix/, bad);
  }
});

Deno.test("resolveRemote: a URL or a named remote; credentials only from the environment", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  const creds = { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret" };
  assert.equal(resolveRemote(undefined, {}, env(creds)), null);
  assert.equal(resolveRemote("none", { remote: "team" }, env(creds)), null);
  const aws = resolveRemote("s3://bkt/p", {}, env({ ...creds, AWS_REGION: "eu-west-1" }))!;
  assert.equal(aws.endpoint, "https://s3.eu-west-1.amazonaws.com");
  assert.equal(aws.pathStyle, false, "AWS takes virtual-hosted requests");
  const local = resolveRemote(
    "s3://bkt/p",
    {},
    env({ ...creds, AWS_ENDPOINT_URL: "http://127.0.0.1:9000" }),
  )!;
  assert.equal(local.pathStyle, true, "a custom endpoint gets path-style requests");
  const config = {
    remote: "team",
    remotes: { team: { url: "s3://lab/r", endpoint: "https://s3.lab.org", region: "x" } },
  };
  const named = resolveRemote(undefined, config, env({ ...creds, AWS_SESSION_TOKEN: "t" }))!;
  assert.deepEqual([named.url, named.endpoint, named.region, named.sessionToken], [
    "s3://lab/r",
    "https://s3.lab.org",
    "x",
    "t",
  ]);
  assert.throws(() => resolveRemote("tem", config, env(creds)), /Unknown remote 'tem'.*\(team\)/);
  assert.throws(() => resolveRemote("s3://bkt/p", {}, env({})), /needs credentials: set AWS_ACCESS_KEY_ID/);
});

Deno.test("safeRelativePath keeps a remote manifest's files inside the object", () => {
  for (const p of ["a.txt", "nested/b.bin", "x..y"]) assert.ok(safeRelativePath(p), p);
  for (const p of ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b"]) {
    assert.ok(!safeRelativePath(p), p);
  }
});

/** A store with one committed object under `key`, whose file `f.txt` holds `text`. */
async function storeWith(text: string, key: string): Promise<{ store: Store; record: KeyRecord }> {
  const store = Store.open(await Deno.makeTempDir({ prefix: "remote-test-" }));
  const staging = store.makeStaging();
  await Deno.writeTextFile(`${staging}/out/f.txt`, text);
  const object = await store.commitObject(staging);
  const record: KeyRecord = {
    key,
    object,
    pipeline: "p",
    stage: "s",
    kind: "t.s",
    codeDigest: "c",
    codeFiles: [],
    params: {},
    inputs: {},
    runtime: {},
    producedBy: { runId: `run-${text}`, startedAt: new Date().toISOString(), durationMs: 1, host: "h" },
    lastMetrics: {},
  };
  await store.writeKey(record);
  return { store, record };
}

Deno.test("the remote cache on a real S3 endpoint: races, half uploads, damaged manifests", async (t) => {
  const s3 = await startS3();
  const spec = resolveRemote("s3://cache/unit", {}, (n) => s3.env[n])!;
  const warnings: string[] = [];
  const remote = (o = {}) => new S3RemoteCache(spec, { warn: (m) => warnings.push(m), ...o });
  const key = "a".repeat(64);
  const fresh = async () => Store.open(await Deno.makeTempDir({ prefix: "remote-fresh-" }));
  try {
    await t.step("two writers racing on one key leave one valid entry", async () => {
      // Two non-deterministic executions of the same key: different objects.
      const one = await storeWith("one", key);
      const two = await storeWith("two", key);
      await Promise.all([remote().upload(one.store, one.record), remote().upload(two.store, two.record)]);
      const reader = await fresh();
      const got = await remote().fetch(reader, key);
      assert.ok(got.found);
      const text = await Deno.readTextFile(`${reader.objectOut(got.record.object)}/f.txt`);
      assert.ok(
        (text === "one" && got.record.object === one.record.object) ||
          (text === "two" && got.record.object === two.record.object),
        "the key names a complete object, with its own bytes",
      );
      assert.equal(
        await remote().upload(one.store, got.record.object === one.record.object ? one.record : two.record),
        "present",
      );
    });

    await t.step("an object whose upload stopped before its manifest is never served", async () => {
      const other = "b".repeat(64);
      const { store, record } = await storeWith("half", other);
      // A writer killed after the files and the key record went up but before the manifest (a bug, or
      // a damaged remote): the record names an incomplete object.
      await s3.client.putObject(`unit/cas/${record.object}/out/f.txt`, "half");
      await s3.client.putObject(`unit/ac/${other}`, JSON.stringify(record));
      const reader = await fresh();
      const got = await remote().fetch(reader, other);
      assert.deepEqual(got, {
        found: false,
        problem: "on the remote: its key record names an object that is not there whole (no manifest)",
      });
      assert.equal(reader.readKey(other), null, "nothing committed locally");
      // The next writer uploads the object whole, after which it is served.
      assert.equal(await remote().upload(store, record), "uploaded");
      assert.ok((await remote().fetch(reader, other)).found);
    });

    await t.step("a manifest that names a path outside the object is refused", async () => {
      const evil = "c".repeat(64);
      const files = [{ path: "../../escaped.txt", size: 1, sha256: sha256Hex("x") }];
      const digest = sha256Hex(canonicalJson(files));
      await s3.client.putObject(`unit/cas/${digest}/manifest.json`, JSON.stringify({ digest, files }));
      await s3.client.putObject(`unit/cas/${digest}/out/../../escaped.txt`, "x");
      const { record } = await storeWith("evil", evil);
      await s3.client.putObject(`unit/ac/${evil}`, JSON.stringify({ ...record, object: digest }));
      const reader = await fresh();
      const got = await remote().fetch(reader, evil);
      assert.equal(got.found, false);
      assert.match(
        (got as { problem: string }).problem,
        /manifest is corrupt \(it names the file '\.\.\/\.\.\/escaped\.txt' outside the object\)/,
      );
      await assert.rejects(Deno.stat(`${reader.root}/escaped.txt`));
    });

    await t.step("a key record that names another key, or is not a record, is a miss", async () => {
      const k1 = "d".repeat(64);
      const { record } = await storeWith("k", "e".repeat(64));
      await s3.client.putObject(`unit/ac/${k1}`, JSON.stringify(record));
      const reader = await fresh();
      assert.deepEqual(await remote().fetch(reader, k1), {
        found: false,
        problem: "on the remote: its key record names another key",
      });
      await s3.client.putObject(`unit/ac/${k1}`, "{}");
      assert.match(
        ((await remote().fetch(reader, k1)) as { problem: string }).problem,
        /key record is corrupt/,
      );
    });

    await t.step("a peek (dry run) downloads and writes nothing", async () => {
      const reader = await fresh();
      const got = await remote({ peek: true }).fetch(reader, key);
      assert.ok(got.found && got.peeked);
      assert.equal(reader.readKey(key), null);
      assert.equal(remote({ peek: true }).writes, false);
    });
    assert.deepEqual(warnings, []);
  } finally {
    await s3.stop();
  }
});
