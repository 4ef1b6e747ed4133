import assert from "node:assert/strict";
import type { UpstreamRecord } from "../../engine/stage.ts";
import { renderProvenance } from "./provenance.ts";

function record(stage: string, runId: string, extra: Partial<UpstreamRecord> = {}): UpstreamRecord {
  return {
    stage,
    kind: `kind.${stage}`,
    key: `${stage}-key-`.padEnd(64, "0"),
    object: "f".repeat(64),
    codeDigest: `${stage}-code-`.padEnd(64, "1"),
    codeFiles: [`stages/${stage}.ts`, "models/onnx/ops.ts"],
    params: { lr: 0.0002, optimizer: { name: "adam", beta1: 0.5 }, tags: ["a", "b"] },
    runtime: { deno: "2.9.6", "onnxruntime-node": "1.29.0" },
    producedBy: { runId, startedAt: "2025-11-22T00:41:12Z", durationMs: 1500, host: "box" },
    metrics: {},
    ...extra,
  };
}

Deno.test("renderProvenance() lists every stage with params, digests, time and cache status", () => {
  const out = String(renderProvenance({
    upstream: [
      record("data", "run-1"),
      record("train", "run-2", { runtime: { deno: "2.9.6", "onnxruntime-node": "1.30.0" } }),
    ],
    device: "CPU <2 cores>",
    runId: "run-2",
    command: "deno task run x",
  }));
  assert.match(out, /<dt>Device<\/dt><dd>CPU &lt;2 cores&gt;<\/dd>/);
  assert.match(out, /<dt>Command<\/dt><dd><code>deno task run x<\/code><\/dd>/);
  assert.match(out, /<dt>Stages<\/dt><dd>2 · 3.00 s of compute · 1 ran in this run, 1 cached<\/dd>/);
  // Only the runtime both stages share goes in the summary; the differing version shows on its row.
  assert.match(out, /<dt>Runtime<\/dt><dd>deno 2.9.6<\/dd>/);
  assert.match(out, /onnxruntime-node 1.30.0/);
  assert.match(out, /<span class="stage-name">data<\/span><span class="stage-kind">kind.data<\/span>/);
  assert.match(
    out,
    /<code>lr=0.0002<\/code><code>optimizer.name=adam<\/code><code>optimizer.beta1=0.5<\/code><code>tags=\[&quot;a&quot;,&quot;b&quot;\]<\/code>/,
  );
  assert.match(out, /<code title="data-code-1+">data-code-11<\/code>/);
  assert.match(out, /<code title="data-key-0+">data-key-000<\/code>/);
  assert.match(out, /<summary>2 files<\/summary><ul><li><code>stages\/data.ts<\/code><\/li>/);
  assert.equal(out.match(/class="pill cached"/g)?.length, 1);
  assert.equal(out.match(/class="pill ok">ran</g)?.length, 1);
  assert.match(out, /2025-11-22 00:41 UTC/);
  assert.match(out, /<td class="num">1.50 s<\/td>/);
});

Deno.test("renderProvenance() folds long param lists and omits run status without a run id", () => {
  const params = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, i]));
  const out = String(renderProvenance({ upstream: [record("train", "r", { params })], device: "CPU" }));
  assert.match(out, /<details><summary>8 params<\/summary>/);
  assert.doesNotMatch(out, /pill/);
  assert.doesNotMatch(out, /<dt>Run<\/dt>/);
});
