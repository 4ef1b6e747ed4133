/**
 * A small Transformer encoder over token sequences, Post-Norm (BERT's, the original Transformer's) or
 * Pre-Norm, with BERT's initialisation: every matrix and embedding N(0, σ²) truncated at ±2σ, biases
 * zero, layer-norm gains one (kexue.fm/archives/8747).
 *
 * ```
 * h₀ = LN(E[tokens] + P)                                  embeddings (token E [V, d], position P [T, d])
 * Post-Norm:  x ← LN(x + Attn(x));     x ← LN(x + FFN(x))
 * Pre-Norm:   x ← x + Attn(LN(x));     x ← x + FFN(LN(x));   and a final LN after the last block
 * logits = x·W_out + b                                    a per-position head over the vocabulary
 * ```
 *
 * Attention is multi-head scaled dot-product, softmax(QKᵀ/√(d/h))·V, without masking (an encoder);
 * FFN is d → `ffn` → d with ReLU (BERT uses GELU; ReLU keeps the op set small and changes no argument of
 * the article). `std` is the standard deviation the weights end up with: σ = std/0.8796256610342398,
 * so `std: 0.0176` is BERT's initializer_range 0.02 and `std: 0.036` Xavier's 1/√768.
 *
 * Parameter names: `enc/embed/{tokens,positions}`, `enc/embed/ln/{gamma,beta}`,
 * `enc/layer<i>/{attn/{q,k,v,o},ffn/{fc1,fc2}}/{W,b}`, `enc/layer<i>/{ln1,ln2}/{gamma,beta}`, `enc/final_ln/…`
 * (Pre-Norm), `enc/head/{W,b}`. i counts from 1 at the input.
 *
 * @module
 */
import { scope, type Tensor } from "../graph.ts";
import { inits } from "../init.ts";
import { dense, layerNormLayer } from "../layers.ts";
import { gather, labels64 } from "../ops_index.ts";
import { add, mul, relu } from "../ops_elementwise.ts";
import { matmul } from "../ops_linalg.ts";
import { softmax } from "../ops_nn.ts";
import { reshape, transpose } from "../ops_shape.ts";
import type { ParamSource } from "../params.ts";

/** The std of N(0, 1) truncated to ±2: a truncated normal of σ has std 0.8796·σ. */
export const TRUNCATION_STD = 0.8796256610342398;

export interface EncoderConfig {
  vocab: number;
  /** Sequence length T. */
  seq: number;
  /** Model width d. */
  d: number;
  heads: number;
  /** FFN hidden width (default 4d). */
  ffn?: number;
  layers: number;
  norm: "post" | "pre";
  /** The weights' standard deviation after truncation (BERT: 0.0176). */
  std: number;
}

/** Logits [B·T, vocab] and the residual stream after each block, [B·T, d] each (blocks[0] = h₀). */
export function transformerEncoder(
  ps: ParamSource,
  tokens: Tensor,
  cfg: EncoderConfig,
): { logits: Tensor; blocks: Tensor[] } {
  const { d, heads, seq, vocab } = cfg;
  const batch = tokens.shape[0]!;
  if (tokens.rank !== 2 || tokens.shape[1] !== seq) {
    throw new Error(`transformerEncoder: tokens must be [batch, ${seq}], got ${tokens}`);
  }
  if (d % heads !== 0) throw new Error(`transformerEncoder: d = ${d} is not a multiple of heads = ${heads}`);
  const init = inits.truncatedNormal(cfg.std / TRUNCATION_STD);
  const lin = { init, biasInit: inits.zeros() };
  const dh = d / heads;
  const n = batch * seq;
  return scope("/enc", () => {
    const blocks: Tensor[] = [];
    let x = scope("embed", () => {
      // int64 indices: the gradient scatters by them (ScatterND takes int64 only).
      const e = gather(ps.param("tokens", [vocab, d], init), labels64(reshape(tokens, [n])));
      const pos = ps.param("positions", [seq, d], init);
      const summed = add(reshape(e, [batch, seq, d]), pos);
      return layerNormLayer(ps, "ln", reshape(summed, [n, d]), 1e-12);
    });
    blocks.push(x);
    /** [n, d] → [batch, heads, seq, dh] */
    const split = (t: Tensor) => transpose(reshape(t, [batch, seq, heads, dh]), [0, 2, 1, 3]);
    const attention = (h: Tensor) =>
      scope("attn", () => {
        const q = split(dense(ps, "q", h, d, lin));
        const k = split(dense(ps, "k", h, d, lin));
        const v = split(dense(ps, "v", h, d, lin));
        const scores = mul(matmul(q, transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dh));
        const heads_ = matmul(softmax(scores, -1), v);
        const merged = reshape(transpose(heads_, [0, 2, 1, 3]), [n, d]);
        return dense(ps, "o", merged, d, lin);
      });
    const ffn = (h: Tensor) =>
      scope("ffn", () => dense(ps, "fc2", relu(dense(ps, "fc1", h, cfg.ffn ?? 4 * d, lin)), d, lin));
    for (let i = 1; i <= cfg.layers; i++) {
      x = scope(`layer${i}`, () => {
        let h = x;
        if (cfg.norm === "post") {
          h = layerNormLayer(ps, "ln1", add(h, attention(h)), 1e-12);
          return layerNormLayer(ps, "ln2", add(h, ffn(h)), 1e-12);
        }
        h = add(h, attention(layerNormLayer(ps, "ln1", h, 1e-12)));
        return add(h, ffn(layerNormLayer(ps, "ln2", h, 1e-12)));
      });
      blocks.push(x);
    }
    const top = cfg.norm === "pre" ? layerNormLayer(ps, "final_ln", x, 1e-12) : x;
    return { logits: dense(ps, "head", top, vocab, lin), blocks };
  });
}

/** The names of layer i's weight matrices (the per-layer gradient norm sums over them). */
export function layerMatrices(i: number): string[] {
  return ["attn/q", "attn/k", "attn/v", "attn/o", "ffn/fc1", "ffn/fc2"].map((m) => `enc/layer${i}/${m}/W`);
}
