import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { CodeHasher } from "./code_digest.ts";

async function project(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "code-digest-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

const FILES = {
  "deno.json": JSON.stringify({ imports: { zod: "npm:zod@4.6.7", "@local/": "./lib/" } }),
  "stages/train.ts":
    'import { model } from "../models/gan.ts";\nimport { z } from "zod";\nexport const t = model;\n',
  "models/gan.ts":
    'import { conv } from "./layers.ts";\nimport type { T } from "./types.ts";\nexport const model = conv;\n',
  "models/layers.ts": "export const conv = 1; // a conv\n",
  "models/types.ts": "export type T = number;\n",
  "stages/report.ts": "export const r = 2;\n",
};

Deno.test("CodeHasher.digest() covers the transitive local imports and lists packages", async () => {
  const root = await project(FILES);
  const hasher = new CodeHasher(root);
  const d = hasher.digest(pathToFileURL(`${root}/stages/train.ts`).href);
  assert.deepEqual(d.files.map((f) => f.path), ["models/gan.ts", "models/layers.ts", "stages/train.ts"]);
  assert.deepEqual(d.packages, { zod: "npm:zod@4.6.7" });
  assert.match(d.digest, /^[0-9a-f]{64}$/);
});

Deno.test("CodeHasher.digest() changes with a token edit in an imported module, not with a comment edit", async () => {
  const root = await project(FILES);
  const url = pathToFileURL(`${root}/stages/train.ts`).href;
  const reportUrl = pathToFileURL(`${root}/stages/report.ts`).href;
  const before = new CodeHasher(root).digest(url).digest;
  const reportBefore = new CodeHasher(root).digest(reportUrl).digest;

  await Deno.writeTextFile(
    `${root}/models/layers.ts`,
    "// conv layers\nexport const conv = 1;   // still one\n",
  );
  assert.equal(new CodeHasher(root).digest(url).digest, before, "comment/whitespace edit must not count");

  await Deno.writeTextFile(`${root}/models/layers.ts`, "export const conv = 2;\n");
  const after = new CodeHasher(root).digest(url);
  assert.notEqual(after.digest, before);
  assert.equal(
    new CodeHasher(root).digest(reportUrl).digest,
    reportBefore,
    "an unrelated stage keeps its digest",
  );

  await Deno.writeTextFile(`${root}/models/types.ts`, "export type T = string;\n");
  assert.equal(
    new CodeHasher(root).digest(url).digest,
    after.digest,
    "type-only imports are erased at runtime",
  );
});

Deno.test("CodeHasher stat cache is reused across instances and still sees edits", async () => {
  const root = await project(FILES);
  const url = pathToFileURL(`${root}/stages/train.ts`).href;
  const cachePath = `${root}/code-cache.json`;
  // Hash "ten seconds later", so that the fresh files are not "racy" and get cached.
  const later = () => Date.now() + 10_000;
  const racy = new CodeHasher(root, { cachePath });
  racy.digest(url);
  racy.save();
  assert.equal(
    await Deno.stat(cachePath).then(() => true, () => false),
    false,
    "files written just now are not cached",
  );
  const first = new CodeHasher(root, { cachePath, now: later });
  const d1 = first.digest(url).digest;
  first.save();
  const cached = JSON.parse(await Deno.readTextFile(cachePath));
  assert.equal(Object.keys(cached).length, 3);

  await Deno.writeTextFile(`${root}/models/layers.ts`, "export const conv = 3;\n");
  const second = new CodeHasher(root, { cachePath, now: later });
  assert.notEqual(second.digest(url).digest, d1);
  assert.ok(second.changedSinceLoad.has("models/layers.ts"), "a file edited after process start is flagged");
});

Deno.test("CodeHasher names a missing import and an unmapped bare specifier", async () => {
  const root = await project({
    ...FILES,
    "stages/bad.ts": 'import "./nope.ts";\n',
    "stages/bare.ts": 'import "left-pad";\n',
  });
  assert.throws(
    () => new CodeHasher(root).digest(pathToFileURL(`${root}/stages/bad.ts`).href),
    /stages\/nope\.ts: it does not exist/,
  );
  assert.throws(
    () => new CodeHasher(root).digest(pathToFileURL(`${root}/stages/bare.ts`).href),
    /Cannot resolve import 'left-pad'/,
  );
});

Deno.test("CodeHasher leaves excluded folders (the engine) out of every digest", async () => {
  const root = await project({
    ...FILES,
    "engine/stage.ts": "export function defineStage<T>(d: T): T {\n  return d;\n}\n",
    "stages/uses_engine.ts":
      'import { defineStage } from "../engine/stage.ts";\nexport const s = defineStage(1);\n',
  });
  const url = pathToFileURL(`${root}/stages/uses_engine.ts`).href;
  const options = { exclude: [`${root}/engine`] };
  const before = new CodeHasher(root, options).digest(url);
  assert.deepEqual(before.files.map((f) => f.path), ["stages/uses_engine.ts"]);
  await Deno.writeTextFile(
    `${root}/engine/stage.ts`,
    "export function defineStage<T>(d: T): T {\n  return d as T;\n}\n",
  );
  assert.equal(new CodeHasher(root, options).digest(url).digest, before.digest);
  assert.notEqual(
    new CodeHasher(root).digest(url).digest,
    before.digest,
    "without the exclusion the edit counts",
  );
});
