import assert from "node:assert/strict";
import { checkBijection, checkLayerGradients } from "../flow_testing.ts";
import { ParamInputs } from "../params.ts";
import { flowDensityModel, flowStep } from "./image_flow.ts";
import { NICE_ARTICLE, niceFlow, niceModel, niceParameterCount } from "./nice.ts";
import { createSession, runSession } from "../session.ts";
import { TrainRunner } from "../runner.ts";

const TINY = { couplings: 4, depth: 2, hidden: 5, prior: "gaussian" } as const;

Deno.test("NICE: a bijection whose log-det is the scaling's Σ s, with exact inverse and checked gradients", async () => {
  const r = await checkBijection(niceFlow(TINY, 6), { shape: [3, 6], paramScale: 0.5 });
  assert.ok(r.inverseError64 < 1e-12 && r.inverseError32 < 1e-5, JSON.stringify(r));
  assert.ok(r.logdetError < 1e-10);
  const s = r.params["nice/scale/s"]!.reduce((a, b) => a + b, 0);
  assert.ok(r.logdets.every((v) => Math.abs(v - s) < 1e-12), "the couplings preserve volume");
  await checkLayerGradients(niceFlow(TINY, 6), { shape: [2, 6], paramScale: 0.5 });
});

Deno.test("NICE: the article's model has ≈2×10⁷ parameters, as the count of the built graph", () => {
  const ps = new ParamInputs();
  const m = niceModel(NICE_ARTICLE, [1, 28, 28]);
  m.flow.forward({ ps }, new ParamInputs().param("x", [2, 784], { kind: "zeros" }));
  const built = ps.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(built, niceParameterCount(NICE_ARTICLE));
  assert.ok(Math.abs(built / 2e7 - 1) < 0.05, `${built}`);
});

Deno.test("the train step's loss is the density export's −mean log q on the same batch and weights", async () => {
  const model = niceModel(TINY, [1, 2, 4]);
  const step = flowStep(model, { batch: 4, lr: 1e-3, suLoss: true });
  const runner = await TrainRunner.create(step, { seed: 1 });
  const params = runner.params("nice/") as Record<string, Float32Array>;
  const x = Float32Array.from({ length: 32 }, (_, i) => ((i * 37) % 256 + 0.5) / 256);
  const out = await runner.step({ x });
  const session = await createSession(flowDensityModel(model, 4));
  const logq = (await runSession(session, { ...params, x })).log_prob!.data as Float32Array;
  const mean = -logq.reduce((a, b) => a + b, 0) / 4;
  assert.ok(Math.abs(out.nll! - mean) < 1e-4 * (1 + Math.abs(mean)), `${out.nll} vs ${mean}`);
  assert.ok(Math.abs(out.su_loss! - (out.nll! - 4 * Math.log(2 * Math.PI))) < 1e-3);
});
