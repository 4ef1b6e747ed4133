"""PyTorch CPU eager reference for bench/optim.ts.

1. One train step of the MLP 784-512-512-10 (batch 128, softmax cross-entropy) with AdamW and with
   KellerJordan/Muon's SingleDeviceMuonWithAuxAdam (models/onnx/fixtures/kellerjordan_muon.py, Muon on the
   hidden 512x512 matrix, AdamW on the rest), its Newton-Schulz as published (bfloat16) and in float32.
2. Forward + backward (gradients of every parameter) of the Post-Norm encoder of
   models/onnx/models/transformer_encoder.ts: 12 layers, d 128, 4 heads, FFN 512, ReLU, 8 x 32 tokens.

Run as bench/optim.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/optim.py
Prints one JSON line with median ms per call.
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../models/onnx/fixtures"))
import kellerjordan_muon as kj  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)
ROUNDS, CALLS, WARMUP = 3, 3, 2


def timed(fn):
    for _ in range(WARMUP):
        fn()
    rounds = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(CALLS):
            fn()
        rounds.append((time.perf_counter() - t0) * 1000 / CALLS)
    return statistics.median(rounds)


def mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    )


x = torch.rand(128, 784)
y = torch.randint(0, 10, (128,))
out = {}


def step_of(net, opt):
    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    return step


net = mlp()
out["mlp_adamw"] = timed(step_of(net, torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-10)))


def muon_opt(net):
    hidden = [net[2].weight]
    rest = [p for p in net.parameters() if p is not net[2].weight]
    return kj.SingleDeviceMuonWithAuxAdam(
        [dict(params=hidden, use_muon=True, lr=0.02), dict(params=rest, use_muon=False, lr=1e-3)]
    )


net = mlp()
out["mlp_muon_bf16"] = timed(step_of(net, muon_opt(net)))

published = kj.zeropower_via_newtonschulz5


def ns_float32(G, steps):
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.float()
    if G.size(-2) > G.size(-1):
        X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    if G.size(-2) > G.size(-1):
        X = X.mT
    return X


kj.zeropower_via_newtonschulz5 = ns_float32
net = mlp()
out["mlp_muon_f32"] = timed(step_of(net, muon_opt(net)))
kj.zeropower_via_newtonschulz5 = published


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)
        self.ln1, self.ln2 = torch.nn.LayerNorm(d, eps=1e-12), torch.nn.LayerNorm(d, eps=1e-12)
        self.heads = heads

    def forward(self, x):
        b, t, d = x.shape
        h, dh = self.heads, d // self.heads
        split = lambda z: z.view(b, t, h, dh).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = torch.softmax(q @ k.transpose(-1, -2) / dh**0.5, -1) @ v
        x = self.ln1(x + self.o(a.transpose(1, 2).reshape(b, t, d)))
        return self.ln2(x + self.fc2(torch.relu(self.fc1(x))))


class Encoder(torch.nn.Module):
    def __init__(self, vocab=256, seq=32, d=128, heads=4, layers=12):
        super().__init__()
        self.tok, self.pos = torch.nn.Embedding(vocab, d), torch.nn.Parameter(torch.randn(seq, d) * 0.0176)
        self.ln = torch.nn.LayerNorm(d, eps=1e-12)
        self.blocks = torch.nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.head = torch.nn.Linear(d, vocab)

    def forward(self, tokens):
        x = self.ln(self.tok(tokens) + self.pos)
        for blk in self.blocks:
            x = blk(x)
        return self.head(x)


enc = Encoder()
tokens = torch.randint(0, 256, (8, 32))
targets = torch.randint(0, 256, (8 * 32,))


def fwd_bwd():
    enc.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(enc(tokens).reshape(-1, 256), targets).backward()


out["encoder_fwd_bwd"] = timed(fwd_bwd)
print(json.dumps(out))
