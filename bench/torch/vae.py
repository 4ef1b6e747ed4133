"""PyTorch CPU eager reference for bench/latent.ts: the MLP VAE of models/onnx/models/vae.ts at vae's
default (Su's model): 784 → 256 → (μ, log σ²) of 2 → 256 → 784, ReLU, Bernoulli decoder (BCE with
logits summed per record), KL to N(0, I), one reparametrised draw per record, RMSprop(1e-3, ρ 0.9,
ε 1e-7), batch 100.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/vae.py [threads [wall|cpu]]
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from _latent_timing import mnist_like, report, timed

B, H, L = 100, 256, 2


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.mean, self.logvar = nn.Linear(784, H), nn.Linear(H, L), nn.Linear(H, L)
        self.dfc1, self.out = nn.Linear(L, H), nn.Linear(H, 784)

    def loss(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.mean(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.out(F.relu(self.dfc1(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        kl = 0.5 * (mu * mu + logvar.exp() - logvar - 1).sum(1).mean()
        return recon + kl


net = Vae()
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
x = mnist_like(B)


def step():
    opt.zero_grad(set_to_none=True)
    net.loss(x).backward()
    opt.step()


report({"step": timed(step, 100)})
