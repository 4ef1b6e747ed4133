"""PyTorch CPU eager reference for bench/flows.ts: one train step of the f-vae pipeline's default (small)
f-VAE (models/onnx/models/f_vae.ts): E = 2 x [squeeze -> 4 residual steps x + Conv1x1_0(ReLU(Conv3x3(x)))]
(1x28x28 -> 16x7x7), G its mirror then (1 + tanh(2g - 1))/2, h = sigma1 u + E(x), the conditional flow F
of bench/torch/glow.py without squeezes (L = 2, K = 4, additive coupling, shuffle, 32 channels), trainable
log sigma1 and log sigma2, loss = -ELBO per image at one draw of u; Adam 1e-3, batch 32.

Run as bench/flows.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/fvae.py
With --single-thread: one thread, process CPU time (_timing.py).
Prints one JSON line: {"fvae": median ms per step}.
"""
import json
import math

import torch

from _timing import timed
from glow import Glow, squeeze

torch.manual_seed(0)
SQUEEZES, RESIDUAL, BATCH = 2, 4, 32
D = 784


def unsqueeze(x):
    n, c, h, w = x.shape
    return x.reshape(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // 4, 2 * h, 2 * w)


class Residual(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = torch.nn.Conv2d(c, c, 3, padding=1)
        self.out = torch.nn.Conv2d(c, c, 1)
        torch.nn.init.zeros_(self.out.weight)
        torch.nn.init.zeros_(self.out.bias)

    def forward(self, x):
        return x + self.out(torch.relu(self.conv(x)))


class FVae(torch.nn.Module):
    def __init__(self):
        super().__init__()
        chans = [4**(i + 1) for i in range(SQUEEZES)]
        self.enc = torch.nn.ModuleList([torch.nn.Sequential(*[Residual(c) for _ in range(RESIDUAL)]) for c in chans])
        self.dec = torch.nn.ModuleList([torch.nn.Sequential(*[Residual(c) for _ in range(RESIDUAL)]) for c in chans[::-1]])
        self.flow = Glow(chans[-1], hidden=32, affine=False, permutation="shuffle", squeeze=False)
        # log sigma = 10 theta, as f_vae.ts's SIGMA_RATE (the same step under Adam).
        self.theta1 = torch.nn.Parameter(torch.tensor(math.log(0.5) / 10))
        self.theta2 = torch.nn.Parameter(torch.tensor(math.log(0.3) / 10))

    def neg_elbo(self, x):
        log_sigma1, log_sigma2 = 10 * self.theta1, 10 * self.theta2
        h = x
        for steps in self.enc:
            h = steps(squeeze(h))
        u = torch.randn_like(h)
        h = h + log_sigma1.exp() * u
        z, logdet = self.flow(h)
        g = h
        for steps in self.dec:
            g = unsqueeze(steps(g))
        mean = (1 + torch.tanh(2 * g - 1)) / 2
        sq = ((mean - x) ** 2).flatten(1).sum(1)
        log_lik = -sq / (2 * (2 * log_sigma2).exp()) - D * log_sigma2 - 0.5 * D * math.log(2 * math.pi)
        log_prior = -0.5 * (z**2).sum(1) - 0.5 * D * math.log(2 * math.pi) + logdet
        log_q = -0.5 * (u**2).flatten(1).sum(1) - 0.5 * D * math.log(2 * math.pi) - D * log_sigma1
        return -(log_lik + log_prior - log_q).mean()


model = FVae()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(BATCH, 1, 28, 28)


def step():
    opt.zero_grad(set_to_none=True)
    model.neg_elbo(x).backward()
    opt.step()


print(json.dumps({"fvae": timed(step)}))
