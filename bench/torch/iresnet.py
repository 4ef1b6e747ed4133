"""PyTorch CPU eager reference for bench/iresnet.ts: the same i-ResNet train step as
models/onnx/models/iresnet.ts.

Model: `blocks` × [actnorm → y = x + g(x)], g = Linear(2, h) → ELU → Linear(h, h) → ELU → Linear(h, 2), every
weight spectrally normalised as the official spectral_norm_fc (W / max(1, σ/c), c = 0.9, σ = uᵀWv after one
power iteration on the persistent u, no gradient through u or v); log-det by the 5-term Hutchinson power series
with create_graph=True (official `power_series_matrix_logarithm_trace`); standard normal prior; Adam.

Run as bench/iresnet.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/iresnet.py BLOCKS HIDDEN BATCH TERMS [threads [wall|cpu]]
Prints one JSON line: median ms per train step, and the loss after the timed steps.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

BLOCKS, HIDDEN, BATCH, TERMS = (int(a) for a in sys.argv[1:5])
THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 2
CLOCK = time.process_time if len(sys.argv) > 6 and sys.argv[6] == "cpu" else time.perf_counter
torch.set_num_threads(THREADS)
torch.manual_seed(0)
COEFF = 0.9
ROUNDS, CALLS, WARMUP = 5, 20, 10


class SNLinear(torch.nn.Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.lin = torch.nn.Linear(fan_in, fan_out)
        self.register_buffer("u", torch.ones(fan_out) / math.sqrt(fan_out))

    def forward(self, x):
        w = self.lin.weight  # [out, in]
        if self.training:
            with torch.no_grad():
                v = F.normalize(w.t() @ self.u, dim=0, eps=1e-12)
                self.u.copy_(F.normalize(w @ v, dim=0, eps=1e-12))
        sigma = torch.linalg.vector_norm(w.t() @ self.u)
        return F.linear(x, w / torch.clamp(sigma / COEFF, min=1.0), self.lin.bias)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.logs = torch.nn.Parameter(torch.zeros(2))
        self.bias = torch.nn.Parameter(torch.zeros(2))
        self.g = torch.nn.Sequential(SNLinear(2, HIDDEN), torch.nn.ELU(), SNLinear(HIDDEN, HIDDEN), torch.nn.ELU(),
                                     SNLinear(HIDDEN, 2))

    def forward(self, x):
        x = (x + self.bias) * torch.exp(self.logs)
        logdet = self.logs.sum().expand(x.shape[0])
        if not x.requires_grad:
            x = x.requires_grad_(True)
        gx = self.g(x)
        v = torch.randn_like(x)
        w = v
        for k in range(1, TERMS + 1):
            w = torch.autograd.grad(gx, x, w, create_graph=True)[0]
            logdet = logdet + (-1) ** (k + 1) / k * (w * v).sum(1)
        return x + gx, logdet


net = torch.nn.ModuleList([Block() for _ in range(BLOCKS)])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x0 = torch.randn(BATCH, 2)
last = {}


def step():
    opt.zero_grad(set_to_none=True)
    z, total = x0.clone().requires_grad_(True), 0.0
    for b in net:
        z, ld = b(z)
        total = total + ld
    loss = -(-0.5 * (z**2).sum(1) - math.log(2 * math.pi) + total).mean()
    loss.backward()
    opt.step()
    last["loss"] = loss.item()


for _ in range(WARMUP):
    step()
rounds = []
for _ in range(ROUNDS):
    t0 = CLOCK()
    for _ in range(CALLS):
        step()
    rounds.append((CLOCK() - t0) * 1000 / CALLS)
print(json.dumps({"step": statistics.median(rounds), "loss": last["loss"]}))
