/**
 * Dev-time cross-check against PyTorch float64 autograd at DCGAN size (the float32 ORT Conv/ConvTranspose
 * kernels and their second-order gradient rules). CI has no torch: the test is ignored there, with a
 * message; the float64 finite-difference tests in wgan_div_test.ts are the CI check.
 */
import assert from "node:assert/strict";
import { grad } from "../autodiff.ts";
import { input } from "../graph.ts";
import { Rng } from "../init.ts";
import { ParamInputs } from "../params.ts";
import { evaluate, relL2 } from "../testing.ts";
import { critic, wganDivConfig, wganDivCriticLoss } from "./wgan_div.ts";

function hasTorch(): boolean {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"], stderr: "null" }).outputSync()
      .code === 0;
  } catch {
    return false;
  }
}
const TORCH = hasTorch();
if (!TORCH) {
  console.warn(
    "wgan_div_torch_test: PyTorch is not installed for /usr/bin/python3; the cross-check is ignored",
  );
}

Deno.test({
  name:
    "WGAN-div critic loss gradients (second order, float32 ORT) match PyTorch float64 autograd at DCGAN size",
  ignore: !TORCH,
  async fn() {
    const B = 8;
    const cfg = wganDivConfig({});
    const ps = new ParamInputs("float32");
    const xr = input("x_r", "float32", [B, 1, 28, 28]);
    const xf = input("x_f", "float32", [B, 1, 28, 28]);
    const loss = wganDivCriticLoss(ps, xr, xf, cfg);
    critic(ps, xr, cfg);
    const names = ps.specs.map((s) => s.name);
    const grads = grad(loss.lossD, names.map((n) => ps.tensors()[n]!));

    // Weights of std 0.05 (not the 0.02 init) so the p = 6 penalty term is not negligible.
    const rng = new Rng(11, "torch-check");
    const values: Record<string, Float32Array> = {};
    const shapes: Record<string, readonly number[]> = {};
    for (const s of ps.specs) {
      values[s.name] = Float32Array.from(
        { length: s.shape.reduce((a, b) => a * b, 1) },
        () => 0.05 * rng.normal(),
      );
      shapes[s.name] = s.shape;
    }
    for (const n of ["x_r", "x_f"]) {
      values[n] = Float32Array.from({ length: B * 784 }, () => Math.tanh(rng.normal()));
      shapes[n] = [B, 1, 28, 28];
    }
    const ours = await evaluate(
      {
        loss: loss.lossD,
        penalty: loss.penalty,
        ...Object.fromEntries(names.map((n, i) => [`g:${n}`, grads[i]!])),
      },
      values,
    );

    const dir = await Deno.makeTempDir({ prefix: "wgan_torch_" });
    try {
      for (const [n, v] of Object.entries(values)) {
        await Deno.writeFile(`${dir}/${n.replaceAll("/", "__")}.bin`, new Uint8Array(v.buffer));
      }
      await Deno.writeTextFile(
        `${dir}/manifest.json`,
        JSON.stringify({ config: { k: cfg.k, p: cfg.p }, tensors: shapes }),
      );
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [new URL("../../../bench/torch/wgan_div_grads.py", import.meta.url).pathname, dir],
        env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const ref = JSON.parse(await Deno.readTextFile(`${dir}/loss.json`));
      assert.ok(
        ref.penalty > 1e-3 * Math.abs(ref.loss_d),
        `penalty ${ref.penalty} should matter in loss ${ref.loss_d}`,
      );
      assert.ok(Math.abs((ours.loss![0] as number) - ref.loss_d) < 1e-4 * Math.max(1, Math.abs(ref.loss_d)));
      for (const n of names) {
        const theirs = new Float64Array(
          (await Deno.readFile(`${dir}/grad__${n.replaceAll("/", "__")}.bin`)).buffer,
        );
        const err = relL2(Array.from(ours[`g:${n}`] as Float32Array), theirs);
        assert.ok(err < 1e-5, `${n}: relative L2 error ${err} (measured ≤ 6e-7)`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
