import assert from "node:assert/strict";
import { grad } from "../autodiff.ts";
import { emitModel } from "../emit.ts";
import { constant, input, type Tensor } from "../graph.ts";
import { add, mul } from "../ops_elementwise.ts";
import { Rng } from "../init.ts";
import { ParamConstants, ParamInputs, paramName, type ParamSource } from "../params.ts";
import { createSession, runSession } from "../session.ts";
import { checkGradients } from "../testing.ts";
import { cnnClassifier, cnnClassifierStep } from "./cnn_classifier.ts";
import { vqVaeReconModel, vqVaeSamplerModel } from "./vq_vae.ts";
import {
  ADAPTIVE_DELTA,
  classifierActivations,
  lastLayerWeight,
  type PerceptualNet,
  vqganGeneratorLoss,
  vqganStep,
  type VqganStepConfig,
} from "./vqgan.ts";

const TINY: VqganStepConfig = {
  channels: [2, 3],
  codes: 3,
  dim: 2,
  priorHidden: 48,
  discChannels: [2, 3],
  batch: 2,
  perceptualWeight: 0.5,
  ganWeight: 0.8,
  ganStart: 0,
};
const CNN = { channels: [2, 3] as const, features: 4, classes: 3 };

/** The frozen classifier at its initial weights, in `dtype`. */
function frozenNet(dtype: "float32" | "float64", seed = 5): PerceptualNet {
  const state = cnnClassifierStep({ ...CNN, batch: 1 }).initialState(seed);
  const values = Object.fromEntries(
    Object.entries(state).filter(([n]) => n.startsWith("cnn/")).map((
      [n, v],
    ) => [n, dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v)]),
  );
  return { params: new ParamConstants(values, dtype), channels: CNN.channels };
}

Deno.test("the perceptual layers are the classifier's: same parameter names and shapes as cnnClassifier", () => {
  const full = new ParamInputs("float32");
  cnnClassifier(full, input("x", "float32", [1, 1, 28, 28]), CNN);
  const conv = new ParamInputs("float32");
  classifierActivations({ params: conv, channels: CNN.channels }, input("x", "float32", [1, 1, 28, 28]));
  const shapes = new Map(full.specs.map((s) => [s.name, s.shape.join("×")]));
  assert.equal(conv.specs.length, 4);
  for (const s of conv.specs) assert.equal(shapes.get(s.name), s.shape.join("×"), s.name);
});

Deno.test("VQGAN generator side with λ held fixed: gradient matches finite differences (float64, no straight-through, away from ties)", async () => {
  const cfg = { ...TINY, straightThrough: false };
  const net = frozenNet("float64");
  const probe = new ParamInputs("float64");
  vqganGeneratorLoss(probe, input("x", "float64", [2, 784]), cfg, net, {
    lambda: constant([1.7], "float64", []),
  });
  const shapes = Object.fromEntries(probe.specs.map((s) => [s.name, { shape: s.shape, scale: 0.6 }]));
  // Every trainable part: encoder, codebook, decoder, and (through L_GAN) the discriminator.
  for (const part of ["vq/encoder/", "vq/codebook/", "vq/decoder/", "disc/"]) {
    assert.ok(probe.specs.some((s) => s.name.startsWith(part)), part);
  }
  const rng = new Rng(2, "vqgan x");
  const x = Float64Array.from({ length: 1568 }, () => rng.uniform());
  const lambda = 1.7;
  const result = await checkGradients(
    "vqgan generator",
    shapes,
    (xs) => {
      const ps: ParamSource = { dtype: "float64", param: (name) => xs[paramName(name)]! };
      const g = vqganGeneratorLoss(ps, constant(x, "float64", [2, 784]), cfg, net, {
        lambda: constant([lambda], "float64", []),
      });
      // L_rec + w·λ·L_GAN: the terms this model adds. The codebook terms' stop-gradients (vq_vae.ts) are
      // invisible to finite differences, so they stay out of the check.
      return add(g.rec, mul(g.gan, cfg.ganWeight * lambda));
    },
    { maxEntries: 60 },
  );
  assert.ok(result.checked > 0);
});

/** Parameters as graph inputs, one tensor per name (as a train step's), with the names in order of use. */
function sharedInputs(): ParamSource & { tensors: Map<string, Tensor> } {
  const tensors = new Map<string, Tensor>();
  return {
    dtype: "float32",
    tensors,
    param(name, shape) {
      const full = paramName(name);
      if (!tensors.has(full)) tensors.set(full, input(full, "float32", shape));
      return tensors.get(full)!;
    },
  };
}

Deno.test("the in-graph λ is ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_GAN‖ + δ) of the two gradients computed separately", async () => {
  const net = frozenNet("float32");
  const ps = sharedInputs();
  const x = input("x", "float32", [2, 784]);
  // Channels enough that the decoder's last input is not all dead ReLUs at initialisation.
  const cfg = { ...TINY, channels: [6, 8] as const, dim: 4 };
  const g = vqganGeneratorLoss(ps, x, cfg, net);
  const w = lastLayerWeight(ps, cfg);
  const [gRec] = grad(g.rec, [w]);
  const [gGan] = grad(g.gan, [w]);
  const session = await createSession(
    emitModel({
      name: "lambda",
      inputs: [x, ...ps.tensors.values()],
      outputs: { lambda: g.lambda, g_rec: gRec!, g_gan: gGan! },
    }),
    { intraOpNumThreads: 1 },
  );
  const state = vqganStep(cfg, net).initialState(3);
  const rng = new Rng(7, "vqgan lambda");
  const out = await runSession(session, {
    x: Float32Array.from({ length: 1568 }, () => rng.uniform()),
    ...Object.fromEntries([...ps.tensors.keys()].map((n) => [n, state[n] as Float32Array])),
  });
  await session.release();
  const norm = (t: Float32Array) => Math.hypot(...t);
  const rec = norm(out.g_rec!.data as Float32Array);
  const gan = norm(out.g_gan!.data as Float32Array);
  assert.ok(rec > 0 && gan > 0, `both gradients non-zero (${rec}, ${gan})`);
  const expected = rec / (gan + ADAPTIVE_DELTA);
  const lambda = (out.lambda!.data as Float32Array)[0]!;
  assert.ok(Math.abs(lambda - expected) <= 1e-4 * expected, `λ ${lambda} vs ${expected}`);
});

Deno.test("the train step runs: λ is finite and positive once the GAN is on, the discriminator learns only from then", async () => {
  const net = frozenNet("float32");
  const { TrainRunner } = await import("../runner.ts");
  const runner = await TrainRunner.create(vqganStep({ ...TINY, ganStart: 2 }, net), { seed: 1 });
  const rng = new Rng(3, "vqgan step");
  const x = Float32Array.from({ length: 1568 }, () => rng.uniform());
  const before = runner.state()["disc/conv1/W"]!.slice();
  const m0 = await runner.step({ x });
  assert.equal(m0.gan_on, 0);
  assert.deepEqual(
    [...runner.state()["disc/conv1/W"]!],
    [...before],
    "no discriminator update before ganStart",
  );
  await runner.step({ x });
  const m2 = await runner.step({ x });
  assert.equal(m2.gan_on, 1);
  assert.ok(Number.isFinite(m2.lambda!) && m2.lambda! > 0, `λ = ${m2.lambda}`);
  assert.notDeepEqual([...runner.state()["disc/conv1/W"]!], [...before]);
  await runner.release();
});

const PYTHON_ONNX = new Deno.Command("/usr/bin/python3", { args: ["-c", "import onnx"], stderr: "null" })
  .outputSync().code === 0;

Deno.test({
  name: "the VQGAN's emitted graphs (host step, fused step, sampler, recon) pass the official ONNX checker",
  ignore: !PYTHON_ONNX,
  async fn() {
    const step = vqganStep(TINY, frozenNet("float32"));
    const models = {
      "vqgan_step.onnx": step.hostModel(),
      "vqgan_fused2.onnx": step.fusedModel(2),
      "vqgan_sampler.onnx": vqVaeSamplerModel(TINY, 2, "made"),
      "vqgan_recon.onnx": vqVaeReconModel(TINY, 2),
    };
    const dir = await Deno.makeTempDir({ prefix: "vqgan_checker_" });
    try {
      for (const [name, bytes] of Object.entries(models)) await Deno.writeFile(`${dir}/${name}`, bytes);
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          "import sys, onnx\nfor p in sys.argv[1:]: onnx.checker.check_model(p, full_check=True)\nprint('OK')",
          ...Object.keys(models).map((n) => `${dir}/${n}`),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
