/**
 * Checks over every pipeline of the project: each loads, plans with its default params (and at
 * every scale and dataset it offers), declares claims, and no two different stage kinds share an id
 * across pipelines (they would share cache keys).
 */
import assert from "node:assert/strict";
import { resolveParams } from "../engine/params.ts";
import { PROJECT_ROOT } from "../engine/paths.ts";
import { loadPipeline, pipelineNames } from "../engine/registry.ts";
import type { StageKind } from "../engine/stage.ts";

const names = pipelineNames(PROJECT_ROOT);

/** Every combination of the enum-valued pipeline params (scale, dataset). */
function settings(shape: Record<string, unknown>): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const [key, schema] of Object.entries(shape)) {
    const options = (schema as { def?: { innerType?: { options?: string[] } } }).def?.innerType?.options;
    if (!options) continue;
    out = out.flatMap((s) => options.map((o) => ({ ...s, [key]: o })));
  }
  return out;
}

Deno.test("every pipeline resolves at each of its scales and datasets, and declares its claims", async () => {
  assert.ok(names.length >= 2);
  for (const name of names) {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
    assert.ok((pipeline.claims ?? []).length > 0, `${name} declares no claims`);
    const shape = (pipeline.params as unknown as { def: { shape: Record<string, unknown> } }).def.shape;
    for (const s of settings(shape)) {
      const overrides = Object.entries(s).map(([k, v]) => ({ path: [k], raw: v, text: `${k}=${v}` }));
      const resolved = resolveParams(pipeline, overrides);
      assert.ok(resolved.stages.length > 0, `${name} ${JSON.stringify(s)}`);
    }
  }
});

Deno.test("stage-kind ids are unique across all pipelines", async () => {
  const byId = new Map<string, { kind: StageKind; pipeline: string }>();
  for (const name of names) {
    const pipeline = await loadPipeline(PROJECT_ROOT, name);
    for (const use of Object.values(pipeline.stages(pipeline.params.parse({})))) {
      const seen = byId.get(use.kind.kind);
      assert.ok(
        !seen || seen.kind === use.kind,
        `kind id '${use.kind.kind}' names two kinds: in ${seen?.pipeline} (${seen?.kind.module}) and ${name} (${use.kind.module})`,
      );
      byId.set(use.kind.kind, { kind: use.kind, pipeline: name });
    }
  }
});
