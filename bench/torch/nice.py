"""PyTorch CPU eager reference for bench/flows.ts: one maximum-likelihood train step of NICE as the nice
pipeline's default (small) model builds it (models/onnx/models/nice.ts): 784 values read flat, four
[reverse -> additive coupling on the even/odd split, y2 = x2 - m(x1)] with m = 5 x Dense(200, ReLU) ->
Dense(392, ReLU), then the diagonal scaling exp(s); Gaussian prior; Adam 3e-3, batch 128.

Run as bench/flows.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/nice.py
With --single-thread: one thread, process CPU time (_timing.py).
Prints one JSON line: {"nice": median ms per step}.
"""
import json
import math

import torch

from _timing import timed

torch.manual_seed(0)
D, HIDDEN, DEPTH, COUPLINGS, BATCH = 784, 200, 5, 4, 128


class Nice(torch.nn.Module):
    def __init__(self):
        super().__init__()

        def net():
            layers, width = [], D // 2
            for _ in range(DEPTH):
                layers += [torch.nn.Linear(width, HIDDEN), torch.nn.ReLU()]
                width = HIDDEN
            return torch.nn.Sequential(*layers, torch.nn.Linear(HIDDEN, D // 2), torch.nn.ReLU())

        self.nets = torch.nn.ModuleList([net() for _ in range(COUPLINGS)])
        self.s = torch.nn.Parameter(torch.randn(D) * math.sqrt(2 / (1 + D)))

    def log_prob(self, x):
        for net in self.nets:
            x = x.flip(1)
            x1, x2 = x[:, 0::2], x[:, 1::2]
            x = torch.stack([x1, x2 - net(x1)], 2).reshape(x.shape[0], D)
        z = x * self.s.exp()
        return -0.5 * (z**2).sum(1) - 0.5 * D * math.log(2 * math.pi) + self.s.sum()


model = Nice()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
x = torch.rand(BATCH, D)


def step():
    opt.zero_grad(set_to_none=True)
    (-model.log_prob(x).mean()).backward()
    opt.step()


print(json.dumps({"nice": timed(step)}))
