import assert from "node:assert/strict";
import { FileHasher, MissingFileError } from "./file_digest.ts";
import { sha256Hex } from "./hash.ts";

/** A fresh temp folder with `files` (relative path → text) in it. */
async function folder(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "file-digest-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

/** A clock a minute ahead, so that files written by the test are past the racy window and get cached. */
const later = () => Date.now() + 60_000;

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("FileHasher.digest() of a file is the sha256 of its bytes; of a folder, of its sorted listing", async () => {
  const root = await folder({ "data/b.txt": "bee\n", "data/a.txt": "hello\n", "data/sub/c.bin": "c" });
  const hasher = new FileHasher();
  // sha256sum of "hello\n"
  const hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  assert.equal(hasher.digest(`${root}/data/a.txt`), hello);
  const listing = `{"folder":[["a.txt","${hello}"],["b.txt","${sha256Hex("bee\n")}"],` +
    `["sub/c.bin","${sha256Hex("c")}"]]}`;
  assert.equal(hasher.digest(`${root}/data`), sha256Hex(listing));
  assert.equal(
    hasher.digest(`${root}/data/`),
    hasher.digest(`${root}/data`),
    "a trailing slash is the same folder",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher.digest() resolves relative paths against the working directory", async () => {
  const root = await folder({ "x.txt": "x" });
  const cwd = Deno.cwd();
  try {
    Deno.chdir(root);
    assert.equal(new FileHasher().digest("x.txt"), sha256Hex("x"));
    assert.equal(new FileHasher().digest("./x.txt"), sha256Hex("x"));
  } finally {
    Deno.chdir(cwd);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher names a missing path", async () => {
  const root = await folder({});
  assert.throws(
    () => new FileHasher().digest(`${root}/nope.gz`),
    (e: unknown) =>
      e instanceof MissingFileError && e.path === `${root}/nope.gz` &&
      /nope\.gz: it does not exist/.test(e.message),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher stat cache: unchanged files are not read again; edits, same-size ones included, are seen", async () => {
  const root = await folder({ "big.gz": "0123456789" });
  const file = `${root}/big.gz`;
  const cachePath = `${root}/file-digests.json`;
  const first = new FileHasher({ cachePath, now: later });
  const d1 = first.digest(file);
  first.save();
  assert.deepEqual(Object.keys(JSON.parse(await Deno.readTextFile(cachePath))), [file]);

  const second = new FileHasher({ cachePath, now: later });
  assert.equal(second.digest(file), d1);
  assert.equal(second.filesHashed, 0, "an unchanged file comes from the stat cache");

  await Deno.writeTextFile(file, "0123456789 and more");
  const third = new FileHasher({ cachePath, now: later });
  assert.notEqual(third.digest(file), d1, "an edit that changes the size");
  assert.equal(third.filesHashed, 1);
  third.save();

  // Same size: the mtime tells (ms resolution).
  await tick(5);
  await Deno.writeTextFile(file, "0123456789 and MORE");
  const sameSize = new FileHasher({ cachePath, now: later });
  const d3 = sameSize.digest(file);
  assert.notEqual(d3, d1);
  assert.equal(sameSize.filesHashed, 1, "a same-size edit");
  sameSize.save();

  // Same size and the mtime put back as it was (cp -p, tar): only the ctime tells, which Deno reports
  // in whole seconds, so the edit has to come in a later second than the cached stat. (In real use the
  // racy rule guarantees that: a stat is cached only once its ctime is 2 s old.)
  const { mtime } = await Deno.stat(file);
  await tick(1000 - (Date.now() % 1000) + 20);
  await Deno.writeTextFile(file, "0123456789 and MoRE");
  await Deno.utime(file, mtime!, mtime!);
  assert.notEqual(new FileHasher({ cachePath, now: later }).digest(file), d3, "a same-size, same-mtime edit");

  // A file replaced by another one (new inode) with the same size and times.
  const { mtime: m2 } = await Deno.stat(file);
  const d2 = new FileHasher({ cachePath, now: later }).digest(file);
  await Deno.writeTextFile(`${root}/new.gz`, "0123456789 and Mxxx");
  await Deno.utime(`${root}/new.gz`, m2!, m2!);
  await Deno.rename(`${root}/new.gz`, file);
  assert.notEqual(new FileHasher({ cachePath, now: later }).digest(file), d2, "a replaced file");
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher racy rule: a file written within 2 s of hashing is not cached", async () => {
  const root = await folder({ "fresh.txt": "aaaa" });
  const file = `${root}/fresh.txt`;
  const cachePath = `${root}/file-digests.json`;
  const now = new FileHasher({ cachePath }); // the real clock: the file is brand new
  const d1 = now.digest(file);
  now.save();
  assert.equal(await Deno.stat(cachePath).then(() => true, () => false), false, "nothing was cached");
  const again = new FileHasher({ cachePath });
  assert.equal(again.digest(file), d1);
  assert.equal(again.filesHashed, 1, "a racy file is hashed again on the next run");

  // Once it is old enough it is cached.
  const aged = new FileHasher({ cachePath, now: later });
  aged.digest(file);
  aged.save();
  const cached = new FileHasher({ cachePath, now: later });
  cached.digest(file);
  assert.equal(cached.filesHashed, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher sees files added to, removed from and renamed in a folder, and edits deep inside", async () => {
  const root = await folder({ "imgs/cat/1.png": "c1", "imgs/dog/1.png": "d1", "imgs/.hidden": "h" });
  const dir = `${root}/imgs`;
  const cachePath = `${root}/file-digests.json`;
  // The real clock: these files are all "racy", so every digest is computed from the bytes. (The
  // stat cache's own detection is tested above.)
  const digest = () => {
    const h = new FileHasher({ cachePath });
    const d = h.digest(dir);
    h.save();
    return d;
  };
  const seen = new Set([digest()]);
  const step = async (what: string, change: () => Promise<void>) => {
    await change();
    const d = digest();
    assert.ok(!seen.has(d), `${what} must change the folder's digest`);
    seen.add(d);
  };
  await step("a file added", () => Deno.writeTextFile(`${dir}/cat/2.png`, "c2"));
  await step("a file removed", () => Deno.remove(`${dir}/dog/1.png`));
  await step("a file renamed", () => Deno.rename(`${dir}/cat/2.png`, `${dir}/cat/3.png`));
  await step("a file moved to another class", () => Deno.rename(`${dir}/cat/3.png`, `${dir}/dog/3.png`));
  await step("a same-size edit deep inside", () => Deno.writeTextFile(`${dir}/cat/1.png`, "C1"));
  await step("a hidden file edited", () => Deno.writeTextFile(`${dir}/.hidden`, "H"));
  const last = digest();
  await Deno.mkdir(`${dir}/empty`);
  assert.equal(digest(), last, "an empty folder holds no content");
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher follows links and walks a link cycle once", async () => {
  const root = await folder({ "d/a.txt": "a", "target.txt": "t" });
  await Deno.symlink(`${root}/target.txt`, `${root}/d/link.txt`);
  await Deno.symlink(`${root}/d`, `${root}/d/loop`);
  const listing = `{"folder":[["a.txt","${sha256Hex("a")}"],["link.txt","${sha256Hex("t")}"]]}`;
  assert.equal(new FileHasher().digest(`${root}/d`), sha256Hex(listing));
  await Deno.remove(root, { recursive: true });
});

Deno.test("FileHasher.changedSinceHashed() tells a file or folder that changed after it was hashed", async () => {
  const root = await folder({ "f.txt": "f", "d/a.txt": "a" });
  const hasher = new FileHasher();
  hasher.digest(`${root}/f.txt`);
  hasher.digest(`${root}/d`);
  assert.equal(hasher.changedSinceHashed(`${root}/f.txt`), false);
  assert.equal(hasher.changedSinceHashed(`${root}/d`), false);
  await tick(20); // into a later tick of the file system's clock
  await Deno.writeTextFile(`${root}/f.txt`, "g");
  await Deno.writeTextFile(`${root}/d/b.txt`, "b");
  assert.equal(hasher.changedSinceHashed(`${root}/f.txt`), true);
  assert.equal(hasher.changedSinceHashed(`${root}/d`), true);
  await Deno.remove(`${root}/f.txt`);
  assert.equal(hasher.changedSinceHashed(`${root}/f.txt`), true, "a path that is gone changed");
  await Deno.remove(root, { recursive: true });
});
