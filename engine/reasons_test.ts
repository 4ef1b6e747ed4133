import assert from "node:assert/strict";
import { reasonText } from "./reasons.ts";

Deno.test("reasonText() lists each kind once, in order, with at most three items", () => {
  assert.equal(
    reasonText([
      { kind: "code", subject: "models/onnx/layers.ts" },
      { kind: "params", subject: "train.steps", before: "100", after: "120" },
      { kind: "code", subject: "stages/train/train.ts" },
      { kind: "params", subject: "train.seed", after: "1" },
    ]),
    "code changed: models/onnx/layers.ts, stages/train/train.ts; " +
      "params changed: train.steps 100 → 120, train.seed (unset) → 1",
  );
  const many = ["a", "b", "c", "d", "e"].map((f) => ({ kind: "files" as const, subject: f }));
  assert.equal(reasonText(many), "source files changed: a, b, c and 2 more");
});

Deno.test("reasonText() spells the single reasons as the run prints them", () => {
  assert.equal(reasonText([{ kind: "never-run" }]), "never run");
  assert.equal(reasonText([{ kind: "forced", subject: "train" }]), "forced (--force train)");
  assert.equal(
    reasonText([{ kind: "forced", subject: "graph", note: "downstream" }]),
    "forced: downstream of graph",
  );
  assert.equal(
    reasonText([{ kind: "early-cutoff", subject: "graph" }]),
    "cached: graph reproduced the same output (early cutoff)",
  );
  assert.equal(
    reasonText([{ kind: "corrupt", subject: "file a changed on disk" }]),
    "cached output was corrupted (file a changed on disk): recomputing",
  );
  assert.equal(
    reasonText([{ kind: "input", subject: "graph", note: "runs first" }, {
      kind: "pending",
      subject: "graph",
    }]),
    "input changed: graph (runs first) — stays cached if graph reproduces its output",
  );
});
