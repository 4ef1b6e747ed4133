/**
 * `deno task bench optim`: what Muon costs per step against AdamW on the MLP 784-512-512-10 (batch 128),
 * and the forward + backward time of the 12-layer Post-Norm encoder of bert-init (d 128, 4 heads, 8 × 32
 * tokens), ours (onnxruntime, 2 threads) beside PyTorch CPU eager (bench/torch/optim.py: torch AdamW and
 * KellerJordan/Muon's SingleDeviceMuonWithAuxAdam with its bfloat16 Newton–Schulz and in float32), run back
 * to back; medians of rounds after warm-up, with the machine's load before and after.
 *
 * Run: `deno run -A bench/optim.ts [--no-torch]`
 *
 * @module
 */
import { printLoad, printTable } from "./_report.ts";
import { adamw, mlpClassifierStep, muon, TrainRunner } from "../models/onnx/mod.ts";
import { input } from "../models/onnx/graph.ts";
import { grad } from "../models/onnx/autodiff.ts";
import { emitModel } from "../models/onnx/emit.ts";
import { createSession, runSession } from "../models/onnx/session.ts";
import { initParams } from "../models/onnx/init.ts";
import { ParamInputs } from "../models/onnx/params.ts";
import { softmaxCrossEntropy } from "../models/onnx/ops_nn.ts";
import { transformerEncoder } from "../models/onnx/models/transformer_encoder.ts";
import { Rng } from "../stages/data/random.ts";

const noTorch = Deno.args.includes("--no-torch");
const ROUNDS = 3, CALLS = 3;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
async function timed(fn: () => Promise<unknown>, perCall = 1): Promise<number> {
  await fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let c = 0; c < CALLS; c++) await fn();
    rounds.push((performance.now() - t0) / CALLS / perCall);
  }
  return median(rounds);
}

await printLoad("before");
const rng = new Rng(0);
const K = 10, B = 128;
const x = Float32Array.from({ length: K * B * 784 }, () => rng.float());
const y = Int32Array.from({ length: K * B }, () => rng.below(10));
const ours: Record<string, number> = {};
for (const [name, optimizer] of [["adamw", adamw], ["muon", muon]] as const) {
  const step = mlpClassifierStep({
    inputDim: 784,
    hidden: [512, 512],
    classes: 10,
    batch: B,
    optimizer: (lr) =>
      name === "adamw"
        ? optimizer({ lr, b2: 0.95, eps: 1e-10 })
        : (optimizer as typeof muon)({ adam: { lr } }),
  });
  const runner = await TrainRunner.create(step, { seed: 0, intraOpNumThreads: 2 });
  ours[`mlp_${name}`] = await timed(() => runner.steps({ x, y }, K), K);
  await runner.release();
}

const cfg = { vocab: 256, seq: 32, d: 128, heads: 4, layers: 12, norm: "post", std: 0.0176 } as const;
const ps = new ParamInputs("float32");
const tokens = input("tokens", "int32", [8, 32]);
const labels = input("labels", "int32", [256]);
const loss = softmaxCrossEntropy(transformerEncoder(ps, tokens, cfg).logits, labels);
const params = ps.specs.map((s) => input(s.name, "float32", s.shape));
const grads = grad(loss, params);
const session = await createSession(
  emitModel({ name: "encoder_fwd_bwd", outputs: Object.fromEntries(grads.map((g, i) => [`g${i}`, g])) }),
  { intraOpNumThreads: 2 },
);
const feeds = {
  ...initParams(ps.specs, 0),
  tokens: Int32Array.from({ length: 256 }, () => rng.below(256)),
  labels: Int32Array.from({ length: 256 }, () => rng.below(256)),
};
ours.encoder_fwd_bwd = await timed(() => runSession(session, feeds));
await session.release();

let torch: Record<string, number> | null = null;
if (!noTorch) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [new URL("./torch/optim.py", import.meta.url).pathname],
    env: { OPENBLAS_CORETYPE: "Cooperlake", OPENBLAS_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code === 0) torch = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  else console.error(`bench/torch/optim.py failed: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
}
printTable(
  "Muon against AdamW, one train step of the MLP 784-512-512-10 at batch 128 (ms per step)",
  ["optimizer", "ours (ORT, fused ×10)", "PyTorch eager", "Muon / AdamW (ours)"],
  [
    ["AdamW", ours.mlp_adamw, torch?.mlp_adamw, 1],
    [
      "Muon (float32 NS; PyTorch: NS in float32)",
      ours.mlp_muon,
      torch?.mlp_muon_f32,
      ours.mlp_muon! / ours.mlp_adamw!,
    ],
    ["Muon (PyTorch: NS in bfloat16, as published)", null, torch?.mlp_muon_bf16, null],
  ],
  torch ? undefined : "PyTorch not run (--no-torch, or bench/torch/optim.py failed).",
);
printTable(
  "Post-Norm encoder, 12 layers, d 128, 8 × 32 tokens: forward + backward (ms per call)",
  ["", "ours (ORT)", "PyTorch eager", "ours / PyTorch"],
  [[
    "forward + backward",
    ours.encoder_fwd_bwd,
    torch?.encoder_fwd_bwd,
    torch ? ours.encoder_fwd_bwd! / torch.encoder_fwd_bwd! : null,
  ]],
);
await printLoad("after");
