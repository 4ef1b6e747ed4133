import assert from "node:assert/strict";
import { runStageForTest } from "../../engine/testing.ts";
import { exportModel } from "../../models/onnx/export.ts";
import { inits } from "../../models/onnx/init.ts";
import { add, mul } from "../../models/onnx/ops_elementwise.ts";
import { encodeSafetensors, stateToTensors } from "../../models/onnx/safetensors.ts";
import { toy2dCenters, toy2dStage } from "../data/sources/toy_2d.ts";
import { readReportSections } from "../report/fragments.ts";
import { toyModes } from "./toy_modes.ts";

/** A `train.run`-like output whose sampler is x = shift + scale·z, its weights in final.safetensors. */
async function trainedFolder(shift: [number, number], scale: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "toy-modes-trained-" });
  const model = exportModel({
    name: "shifted_noise",
    inputs: { z: { dtype: "float32", shape: [100, 2] } },
    build: (ps, { z }) => ({
      image: add(
        mul(z!, ps.param("generator/scale", [1], inits.zeros())),
        ps.param("generator/shift", [2], inits.zeros()),
      ),
    }),
  }).bytes;
  await Deno.writeFile(`${dir}/export.onnx`, model);
  await Deno.writeTextFile(
    `${dir}/export.json`,
    JSON.stringify({
      role: "sampler",
      input: "z",
      inputShape: [100, 2],
      noise: "normal",
      output: "image",
      sampleShape: [2],
      range: [-3, 3],
      paramPrefix: "generator/",
    }),
  );
  const weights = {
    "generator/scale": Float32Array.of(scale),
    "generator/shift": Float32Array.from(shift),
    "critic/unused": Float32Array.of(1),
  };
  await Deno.writeFile(`${dir}/final.safetensors`, encodeSafetensors(stateToTensors(weights)));
  return dir;
}

Deno.test("eval.toy-modes: a generator stuck on one mode covers 1 of 25 with KL = log 25; the real points cover all", async () => {
  const data = await runStageForTest(toy2dStage, {
    params: { distribution: "25gaussians", trainSize: 10, testSize: 2500 },
  });
  const [cx, cy] = toy2dCenters("25gaussians")![12]!;
  const sigma = 0.05 / 2.828;
  const trained = await trainedFolder([cx!, cy!], sigma);
  const r = await runStageForTest(toyModes, {
    params: { samples: 1000 },
    inputs: { trained, data: data.outDir },
  });
  const metric = (name: string) => r.metrics.find((m) => m.name === name)?.value;
  try {
    assert.equal(metric("modes"), 25);
    assert.equal(metric("covered"), 1);
    assert.ok(Math.abs(metric("mode_kl")! - Math.log(25)) < 1e-12);
    // Exactly one mode's Gaussian: ‖x − c‖/σ is Rayleigh, P(≤ 3) = 1 − e^{−4.5} = 0.9889 (4 s.e. 0.013).
    assert.ok(Math.abs(metric("hq_share")! - (1 - Math.exp(-4.5))) < 0.014, `${metric("hq_share")}`);
    assert.equal(metric("real_covered"), 25);
    assert.ok(metric("real_mode_kl")! < 0.02, `real KL ${metric("real_mode_kl")}`);
    const [section] = await readReportSections(r.outDir);
    assert.equal(section!.fragments[0]!.kind, "scatter");
    const json = JSON.parse(await Deno.readTextFile(`${r.outDir}/toy_modes.json`));
    assert.equal(json.counts[12], metric("hq_share")! * 1000);
    // A sampler of images is refused by name.
    const info = JSON.parse(await Deno.readTextFile(`${trained}/export.json`));
    await Deno.writeTextFile(`${trained}/export.json`, JSON.stringify({ ...info, sampleShape: [1, 28, 28] }));
    await assert.rejects(
      () => runStageForTest(toyModes, { inputs: { trained, data: data.outDir } }),
      /reads 2-D points; the sampler in .* makes \[1,28,28\]/,
    );
  } finally {
    for (const d of [data.outDir, trained, r.outDir]) await Deno.remove(d, { recursive: true });
  }
});
