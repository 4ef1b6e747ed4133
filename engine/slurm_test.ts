import assert from "node:assert/strict";
import { z } from "zod";
import { defineStage } from "./stage.ts";
import { classifyJobState, DEFAULT_RESOURCES, jobName, srunArgs, stageResources } from "./slurm.ts";

const kind = (resources?: () => Record<string, number>) =>
  defineStage({
    kind: "t.kind",
    module: import.meta.url,
    description: "",
    params: z.object({ device: z.string().default("cpu") }),
    inputs: [],
    ...(resources ? { resources } : {}),
    async run() {},
  });

Deno.test("stageResources: the kind's needs, else the config's, else the defaults; cuda asks for a GPU", () => {
  assert.deepEqual(stageResources({ kind: kind(), params: { device: "cpu" } }), { ...DEFAULT_RESOURCES });
  assert.deepEqual(
    stageResources({ kind: kind(), params: { device: "cpu" } }, { cpus: 4, memoryMB: 8000, timeMinutes: 30 }),
    { cpus: 4, memoryMB: 8000, gpus: 0, timeMinutes: 30 },
  );
  assert.equal(stageResources({ kind: kind(), params: { device: "cuda" } }).gpus, 1);
  assert.deepEqual(
    stageResources({ kind: kind(() => ({ cpus: 2, gpus: 2 })), params: { device: "cuda" } }, { cpus: 8 }),
    { cpus: 2, memoryMB: DEFAULT_RESOURCES.memoryMB, gpus: 2 },
  );
});

Deno.test("srunArgs asks for the job's resources under a name that carries the key", () => {
  const name = jobName("train@qp l1", "0123456789abcdef".repeat(4));
  assert.equal(name, "repro-0123456789ab-train@qp_l1");
  const args = srunArgs({
    name,
    resources: { cpus: 2, memoryMB: 4000, gpus: 1, timeMinutes: 90 },
    config: { partition: "gpu", args: ["--account=lab"] },
    chdir: "/repo",
  });
  for (
    const a of [
      "--job-name=" + name,
      "--cpus-per-task=2",
      "--mem=4000",
      "--gres=gpu:1",
      "--time=90",
      "--partition=gpu",
      "--chdir=/repo",
      "--account=lab",
      "--verbose",
    ]
  ) {
    assert.ok(args.includes(a), `${a} in ${args.join(" ")}`);
  }
  const plain = srunArgs({
    name,
    resources: { cpus: 1, memoryMB: 100, gpus: 0 },
    config: {},
    chdir: "/repo",
  });
  assert.ok(
    !plain.some((a) => a.startsWith("--gres") || a.startsWith("--time") || a.startsWith("--partition")),
  );
});

Deno.test("classifyJobState tells Slurm's own kills from a stage's failure; time limits and node failures retry", () => {
  assert.deepEqual(classifyJobState("COMPLETED"), { kind: "completed" });
  assert.deepEqual(classifyJobState("FAILED"), { kind: "failed" });
  for (
    const [state, retry] of [["TIMEOUT", true], ["NODE_FAIL", true], ["PREEMPTED", true], [
      "CANCELLED",
      false,
    ], ["OUT_OF_MEMORY", false]] as const
  ) {
    const end = classifyJobState(state === "CANCELLED" ? "CANCELLED by 0" : state);
    assert.equal(end.kind, "killed", state);
    assert.equal(end.kind === "killed" && end.retry, retry, state);
  }
  assert.deepEqual(classifyJobState("CANCELLED+"), classifyJobState("CANCELLED"));
  assert.deepEqual(classifyJobState("WEIRD"), { kind: "unknown" });
});
