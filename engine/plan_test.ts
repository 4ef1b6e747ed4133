import assert from "node:assert/strict";
import { z } from "zod";
import { reasonText } from "./reasons.ts";
import { explainRun, type PlannedStage } from "./plan.ts";
import type { StageRow } from "./results.ts";
import { defineStage } from "./stage.ts";

const kind = defineStage({
  kind: "test.read",
  module: import.meta.url,
  description: "reads files",
  params: z.object({ dir: z.string() }).strict(),
  externalFiles: (p) => [`${p.dir}/a.gz`],
  inputs: [],
  async run() {},
});

function planned(files: Record<string, string> | undefined, dir = "/data"): PlannedStage {
  return {
    name: "data",
    kind: kind as never,
    params: { dir },
    inputs: {},
    groups: {},
    code: { digest: "c", files: [{ path: "stages/read.ts", digest: "1" }], packages: {} },
    runtime: { deno: "2.9.6" },
    ...(files ? { files } : {}),
  };
}

function row(files: Record<string, string> | undefined, dir = "/data"): StageRow {
  return {
    runId: "r",
    pipeline: "p",
    stage: "data",
    kind: "test.read",
    key: "k",
    object: "o",
    status: "ran",
    reason: "never run",
    reasons: [{ kind: "never-run" }],
    startedAt: null,
    endedAt: null,
    durationMs: null,
    host: "h",
    codeDigest: "c",
    codeFiles: [{ path: "stages/read.ts", digest: "1" }],
    params: { dir },
    inputs: {},
    runtime: { deno: "2.9.6" },
    ...(files ? { files } : {}),
    producerRunId: "r",
    error: null,
  };
}

const explain = (...args: Parameters<typeof explainRun>) => reasonText(explainRun(...args));

Deno.test("explainRun() names the external files whose content changed", () => {
  const reasons = explainRun(
    planned({ "/data/a.gz": "2", "/data/b.gz": "3" }),
    {},
    row({ "/data/a.gz": "1", "/data/b.gz": "3" }),
  );
  assert.deepEqual(reasons, [{ kind: "files", subject: "/data/a.gz", before: "1", after: "2" }]);
  assert.equal(reasonText(reasons), "source files changed: /data/a.gz");
  assert.equal(
    explain(planned({ "/data/a.gz": "1" }), {}, row({ "/data/a.gz": "1" })),
    "not in the cache (removed by gc?)",
    "same files: not the reason",
  );
});

Deno.test("explainRun() tells files newly read, no longer read, and not recorded by an older run", () => {
  assert.equal(
    explain(planned({ "/new/a.gz": "1" }, "/new"), {}, row({ "/data/a.gz": "1" })),
    "params changed: data.dir /data → /new; source files changed: /new/a.gz (not read before), " +
      "/data/a.gz (no longer read)",
  );
  assert.equal(
    explain(planned({ "/data/a.gz": "1" }), {}, row(undefined)),
    "source files changed: /data/a.gz (not recorded before)",
    "a row written before the kind declared its files",
  );
});
