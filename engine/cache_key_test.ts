import assert from "node:assert/strict";
import { cacheKey, type KeyParts } from "./cache_key.ts";

const PARTS: KeyParts = {
  kind: "train.gan",
  code: "c0de".repeat(16),
  params: { lr: 0.0002, betas: [0.5, 0.999], steps: 3000, device: "cpu" },
  inputs: { data: "da7a".repeat(16), graph: "9a9h".repeat(16) },
  runtime: { deno: "2.9.6", "onnxruntime-node": "npm:onnxruntime-node@1.29.0" },
};

// Golden values: if one of these changes, the key scheme changed and every cached result is invalidated.
// That must be deliberate: bump KEY_SCHEME and update the literals together. The literals were checked
// independently: sha256(json.dumps({"scheme": 1, ...}, sort_keys=True, separators=(",", ":"))) in Python.
Deno.test("cacheKey() matches the pinned golden hashes", () => {
  assert.equal(cacheKey(PARTS), "5fbd0ab90ebe17e890b11f3ba97cd70d9344934ab984a1346b3156fec035bdae");
  assert.equal(
    cacheKey({
      kind: "gillespie.simulate",
      code: "0".repeat(64),
      params: {},
      inputs: {},
      runtime: { deno: "2.9.6" },
    }),
    "748159d033edacacbbc971b855ae8c97a7d89a0dbc88216b437f3dabb7349d65",
  );
});

Deno.test("cacheKey() ignores key order and changes with every part", () => {
  const reordered: KeyParts = {
    runtime: { "onnxruntime-node": "npm:onnxruntime-node@1.29.0", deno: "2.9.6" },
    inputs: { graph: "9a9h".repeat(16), data: "da7a".repeat(16) },
    params: { steps: 3000, device: "cpu", betas: [0.5, 0.999], lr: 0.0002 },
    code: "c0de".repeat(16),
    kind: "train.gan",
  };
  assert.equal(cacheKey(reordered), cacheKey(PARTS));
  const variants: KeyParts[] = [
    { ...PARTS, kind: "train.vae" },
    { ...PARTS, version: "2" },
    { ...PARTS, code: "c0df".repeat(16) },
    { ...PARTS, params: { ...(PARTS.params as object), lr: 0.0001 } },
    { ...PARTS, inputs: { ...PARTS.inputs, data: "da7b".repeat(16) } },
    { ...PARTS, runtime: { ...PARTS.runtime, deno: "2.9.7" } },
  ];
  const keys = new Set([cacheKey(PARTS), ...variants.map(cacheKey)]);
  assert.equal(keys.size, variants.length + 1);
});

// A stage that reads external files (StageKind.externalFiles) gets a `files` part: path → content digest.
// Checked like the literals above:
// python3 -c 'import json,hashlib; print(hashlib.sha256(json.dumps({"scheme":1,"kind":"data.fashion-mnist",
//   "code":"c0de"*16,"params":{"dir":"/usr/share/datasets/fashion-mnist","recordsPerShard":10000},"inputs":{},
//   "runtime":{"deno":"2.9.6","zod":"npm:zod@4.6.7"},"files":{"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz":"f11e"*16,
//   "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz":"1abe"*16}},sort_keys=True,separators=(",",":")).encode()).hexdigest())'
const WITH_FILES: KeyParts = {
  kind: "data.fashion-mnist",
  code: "c0de".repeat(16),
  params: { dir: "/usr/share/datasets/fashion-mnist", recordsPerShard: 10000 },
  inputs: {},
  runtime: { deno: "2.9.6", zod: "npm:zod@4.6.7" },
  files: {
    "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz": "f11e".repeat(16),
    "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz": "1abe".repeat(16),
  },
};

Deno.test("cacheKey() hashes external files' digests, and leaves keys without files as they were", () => {
  assert.equal(cacheKey(WITH_FILES), "032126df27073311eb5ebf31d3f6e5b9d383aa052ec4323f99b28fbadb126f73");
  const { files: _, ...withoutFiles } = WITH_FILES;
  assert.equal(cacheKey({ ...withoutFiles, files: {} }), cacheKey(withoutFiles), "no files: no files field");
  const path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  const variants: KeyParts[] = [
    withoutFiles,
    { ...WITH_FILES, files: { ...WITH_FILES.files, [path]: "f11f".repeat(16) } },
    { ...WITH_FILES, files: { [path]: "f11e".repeat(16) } },
  ];
  const keys = new Set([cacheKey(WITH_FILES), ...variants.map(cacheKey)]);
  assert.equal(keys.size, variants.length + 1);
});
