"""PyTorch CPU eager reference for bench/latent.ts: the categorical VAE of models/onnx/models/gumbel_vae.ts
at vae-gumbel's small default: conv 3×3/2 (16) → ReLU → conv 3×3/2 (32) → ReLU → Dense(32·10) logits of
32 variables × 10 categories, Gumbel-softmax y = softmax((logits + g)/τ) with τ annealed from the step,
Dense(32·7·7) → ReLU → ConvT 4×4/2 (16) → ReLU → ConvT 4×4/2 (1), BCE with logits + KL to the uniform
prior, RMSprop(1e-3, ρ 0.9, ε 1e-7), batch 100.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/gumbel_vae.py [threads [wall|cpu]]
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from _latent_timing import mnist_like, report, timed

B, C0, C1, V, C = 100, 16, 32, 32, 10


class GumbelVae(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, C0, 3, 2, 1), nn.Conv2d(C0, C1, 3, 2, 1)
        self.logits = nn.Linear(C1 * 49, V * C)
        self.fc = nn.Linear(V * C, C1 * 49)
        self.deconv1, self.deconv2 = nn.ConvTranspose2d(C1, C0, 4, 2, 1), nn.ConvTranspose2d(C0, 1, 4, 2, 1)

    def loss(self, x, step):
        n = x.shape[0]
        h = F.relu(self.conv2(F.relu(self.conv1(x.view(n, 1, 28, 28)))))
        logits = self.logits(h.view(n, -1)).view(n, V, C)
        tau = 0.01 + 0.99 * 0.999**step
        g = -torch.log(-torch.log(torch.rand(n, V, C).clamp(1e-7, 1 - 1e-7)))
        y = F.softmax((logits + g) / tau, dim=2)
        d = F.relu(self.fc(y.view(n, V * C))).view(n, C1, 7, 7)
        out = self.deconv2(F.relu(self.deconv1(d))).view(n, 784)
        recon = F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1).mean()
        logq = F.log_softmax(logits, dim=2)
        kl = (logq.exp() * (logq + math.log(C))).sum((1, 2)).mean()
        return recon + kl


net = GumbelVae()
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
x = mnist_like(B)
counter = [0]


def step():
    opt.zero_grad(set_to_none=True)
    net.loss(x, counter[0]).backward()
    opt.step()
    counter[0] += 1


report({"step": timed(step, 40)})
