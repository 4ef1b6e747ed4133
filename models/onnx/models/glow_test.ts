import assert from "node:assert/strict";
import { checkBijection } from "../flow_testing.ts";
import pkg from "onnx-proto";
import { NCHWC_DOMAIN, rewriteForNchwc } from "../nchwc.ts";
import { TrainRunner } from "../runner.ts";
import { nchwcBlockSize } from "../session.ts";
import { randn } from "../testing.ts";
import { glowModel } from "./glow.ts";
import { flowStep } from "./image_flow.ts";

const { onnx } = pkg;

Deno.test("Glow (L = 2, every permutation and coupling): exact inverse, log-det of the autodiff Jacobian", async () => {
  for (const permutation of ["reverse", "shuffle", "conv1x1"] as const) {
    for (const coupling of ["affine", "additive"] as const) {
      if (coupling === "additive" && permutation !== "conv1x1") continue;
      const m = glowModel({ levels: 2, depth: 1, hidden: 4, coupling, permutation, seed: 1 }, [1, 4, 4]);
      const r = await checkBijection(m.flow, { shape: [2, 1, 4, 4], paramScale: 0.3 });
      // Float32 rounding compounds through the ~10 layers of the stack (1e-4 is still float32 level).
      const label = `${permutation}/${coupling}`;
      assert.ok(r.inverseError64 < 1e-10, `${label}: float64 inverse error ${r.inverseError64}`);
      assert.ok(r.inverseError32 < 1e-4, `${label}: float32 inverse error ${r.inverseError32}`);
      assert.ok(r.logdetError < 1e-9, `${permutation}/${coupling} log-det error ${r.logdetError}`);
      assert.ok(r.logdets.some((v) => Math.abs(v) > 1e-3));
    }
  }
});

Deno.test({
  name:
    "Glow's train step on the NCHWc kernels gives the plain kernels' loss and gradients to float32 rounding",
  // A build without NCHWc kernels runs the plain ones only (nchwc_test.ts says so).
  ignore: (await nchwcBlockSize()) === 0,
}, async () => {
  // realnvp-glow's default run came out differently with the NCHWc rewrite on and off (README): rounding,
  // amplified by a short unstable training, or a wrong kernel? One step from one state answers it: Adam's first
  // moment after the first step is exactly (1 − β₁)·gradient, so it shows every gradient of the step.
  const m = glowModel(
    { levels: 2, depth: 2, hidden: 16, coupling: "affine", permutation: "conv1x1", seed: 0 },
    [1, 8, 8],
  );
  const step = flowStep(m, { batch: 16, lr: 1e-3 });
  // The rewrite does reach this step's convolutions (their filters are dynamic: weights are state).
  const rewritten = onnx.ModelProto.decode(rewriteForNchwc(step.hostModel(), await nchwcBlockSize())).graph!
    .node!
    .filter((n) => n.domain === NCHWC_DOMAIN);
  assert.ok(rewritten.length >= 10, `${rewritten.length} NCHWc nodes`);
  const x = (randn(16 * 64, 3) as Float32Array).map((v) => 1 / (1 + Math.exp(-v)));
  const runners = [
    await TrainRunner.create(step, { seed: 2 }),
    await TrainRunner.create(step, { seed: 2, nchwc: false }),
  ];
  const [a, b] = [await runners[0]!.step({ x }), await runners[1]!.step({ x })];
  assert.ok(Math.abs(a.nll! - b.nll!) <= 1e-5 * Math.abs(b.nll!), `nll ${a.nll} vs ${b.nll}`);
  const [sa, sb] = [runners[0]!.state(), runners[1]!.state()];
  let compared = 0;
  for (const name of Object.keys(sb).filter((n) => n.startsWith("opt/flow/mu/"))) {
    const [ga, gb] = [sa[name]!, sb[name]!];
    let diff = 0, norm = 0;
    for (let i = 0; i < gb.length; i++) {
      diff += (ga[i]! - gb[i]!) ** 2;
      norm += gb[i]! ** 2;
    }
    if (norm === 0) continue;
    assert.ok(
      Math.sqrt(diff / norm) < 1e-4,
      `${name}: relative gradient difference ${Math.sqrt(diff / norm)}`,
    );
    compared++;
  }
  assert.ok(compared >= 10, `compared ${compared} gradients`);
  for (const r of runners) await r.release();
});
