import assert from "node:assert/strict";
import { constant } from "../graph.ts";
import { softmaxCrossEntropy } from "../ops_nn.ts";
import { ParamInputs } from "../params.ts";
import { checkGradients, evaluate } from "../testing.ts";
import { initParams } from "../init.ts";
import { type EncoderConfig, transformerEncoder } from "./transformer_encoder.ts";

const TINY: Omit<EncoderConfig, "norm"> = { vocab: 5, seq: 3, d: 4, heads: 2, ffn: 6, layers: 2, std: 0.5 };
const TOKENS = [0, 3, 1, 4, 4, 2]; // batch 2 × seq 3
const LABELS = [1, 0, 2, 3, 4, 0];

/** The parameters of the tiny encoder, as the inputs a gradient check perturbs. */
function specs(cfg: EncoderConfig) {
  const ps = new ParamInputs("float64");
  transformerEncoder(ps, constant(Int32Array.from(TOKENS), "int32", [2, 3]), cfg);
  return ps.specs;
}

for (const norm of ["post", "pre"] as const) {
  Deno.test(`transformerEncoder (${norm}-norm): gradients of the cross-entropy w.r.t. every parameter match finite differences in float64`, async () => {
    const cfg = { ...TINY, norm };
    const all = specs(cfg);
    const values = initParams(all, 3);
    const r = await checkGradients(
      `encoder_${norm}`,
      // Initial values as drawn, except gains and biases moved off 1 and 0 so their gradients are generic.
      Object.fromEntries(all.map((s) => [
        s.name,
        /\/(gamma|beta|b)$/.test(s.name)
          ? { shape: s.shape, scale: 0.5 }
          : { shape: s.shape, values: Array.from(values[s.name]!) },
      ])),
      () => {
        const { logits } = transformerEncoder(
          new ParamInputs("float64"),
          constant(Int32Array.from(TOKENS), "int32", [2, 3]),
          cfg,
        );
        return softmaxCrossEntropy(logits, constant(Int32Array.from(LABELS), "int32", [6]));
      },
      { rtol: 1e-5 },
    );
    assert.ok(r.checked > 100, `${r.checked} entries checked`);
  });
}

Deno.test("transformerEncoder: with a tiny init std a Post-Norm block is the identity on its normalised input", async () => {
  const cfg: EncoderConfig = { ...TINY, d: 8, norm: "post", std: 1e-4, layers: 3 };
  const ps = new ParamInputs("float64");
  const { blocks } = transformerEncoder(ps, constant(Int32Array.from(TOKENS), "int32", [2, 3]), cfg);
  const init = initParams(ps.specs.filter((s) => !s.name.startsWith("enc/head/")), 1);
  // Embeddings of std 1e-4 (variance ≫ LN's eps 1e-12) normalised by LN are O(1); each block adds two
  // products of weights, O(1e-8·d), before its LN, which then leaves the normalised stream as it is.
  const out = await evaluate({ first: blocks[0]!, last: blocks.at(-1)! }, init);
  const a = out.first!, b = out.last!;
  let diff = 0, norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    norm = Math.max(norm, Math.abs(a[i] as number));
  }
  assert.ok(norm > 0.5 && diff < 1e-4, `max |h₃ − h₀| = ${diff} for |h₀| up to ${norm}`);
});
