"""PyTorch CPU eager reference for bench/flows.ts: one maximum-likelihood train step of the realnvp-glow
pipeline's default (small) Glow (models/onnx/models/glow.ts): 1x28x28 images, L = 2 levels of
[squeeze -> K = 4 x (actnorm -> invertible 1x1 conv in LU form -> affine coupling)], the coupling net
3x3 conv(32) -> ReLU -> 1x1 conv(32) -> ReLU -> zero 3x3 conv, Glow's scale sigmoid(h + 2), the first
level's split with a learned zero-initialised conditional prior; Gaussian prior; Adam 1e-3, batch 32.
The layers are also the conditional flow F of bench/torch/fvae.py (`squeeze=False`, additive, shuffle).

Run as bench/flows.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/glow.py
With --single-thread: one thread, process CPU time (_timing.py).
Prints one JSON line: {"glow": median ms per step}.
"""
import json
import math

import torch
import torch.nn.functional as F

from _timing import timed


def squeeze(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)


def per_sample(t):
    return t.flatten(1).sum(1)


class Actnorm(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.b = torch.nn.Parameter(torch.zeros(1, c, 1, 1))
        self.logs = torch.nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x):
        return (x + self.b) * self.logs.exp(), self.logs.sum() * x.shape[2] * x.shape[3]


class InvConv(torch.nn.Module):
    """W = P L (U + diag(sign * exp(logs))), from the LU factors of a random rotation."""

    def __init__(self, c):
        super().__init__()
        q = torch.linalg.qr(torch.randn(c, c))[0]
        p, lower, upper = torch.linalg.lu(q)
        s = torch.diagonal(upper)
        self.register_buffer("p", p)
        self.register_buffer("sign", s.sign())
        self.register_buffer("lmask", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = torch.nn.Parameter(lower)
        self.upper = torch.nn.Parameter(torch.triu(upper, 1))
        self.logs = torch.nn.Parameter(s.abs().log())

    def forward(self, x):
        lower = self.lower * self.lmask + self.eye
        upper = self.upper * self.lmask.T + torch.diag(self.sign * self.logs.exp())
        w = self.p @ lower @ upper
        return F.conv2d(x, w[:, :, None, None]), self.logs.sum() * x.shape[2] * x.shape[3]


class Shuffle(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.register_buffer("perm", torch.randperm(c))

    def forward(self, x):
        return x[:, self.perm], x.new_zeros(())


class Coupling(torch.nn.Module):
    def __init__(self, c, hidden, affine):
        super().__init__()
        self.affine = affine
        out = torch.nn.Conv2d(hidden, c if affine else c // 2, 3, padding=1)
        torch.nn.init.zeros_(out.weight)
        torch.nn.init.zeros_(out.bias)
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(c // 2, hidden, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(hidden, hidden, 1), torch.nn.ReLU(), out,
        )

    def forward(self, x):
        x1, x2 = x.chunk(2, 1)
        h = self.net(x1)
        if not self.affine:
            return torch.cat([x1, x2 + h], 1), x.new_zeros(())
        log_scale = -F.softplus(-(h[:, 1::2] + 2))
        return torch.cat([x1, (x2 + h[:, 0::2]) * log_scale.exp()], 1), per_sample(log_scale)


class SplitPrior(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = torch.nn.Conv2d(c // 2, c, 3, padding=1)
        torch.nn.init.zeros_(self.conv.weight)
        torch.nn.init.zeros_(self.conv.bias)

    def forward(self, x):
        x1, x2 = x.chunk(2, 1)
        h = self.conv(x1)
        logs = h[:, 1::2]
        return x1, (x2 - h[:, 0::2]) * (-logs).exp(), -per_sample(logs)


class Glow(torch.nn.Module):
    def __init__(self, channels, levels=2, depth=4, hidden=32, affine=True, permutation="conv1x1", squeeze=True):
        super().__init__()
        self.squeeze = squeeze
        self.levels = torch.nn.ModuleList()
        self.splits = torch.nn.ModuleList()
        c = channels
        for level in range(levels):
            if squeeze:
                c *= 4
            steps = []
            for _ in range(depth):
                perm = InvConv(c) if permutation == "conv1x1" else Shuffle(c)
                steps += [Actnorm(c), perm, Coupling(c, hidden, affine)]
            self.levels.append(torch.nn.ModuleList(steps))
            if level < levels - 1:
                self.splits.append(SplitPrior(c))
                c //= 2

    def forward(self, x):
        """z (flat) and log|det dz/dx| per sample."""
        logdet = x.new_zeros(x.shape[0])
        outs = []
        for i, steps in enumerate(self.levels):
            if self.squeeze:
                x = squeeze(x)
            for layer in steps:
                x, ld = layer(x)
                logdet = logdet + ld
            if i < len(self.splits):
                x, eps, ld = self.splits[i](x)
                logdet = logdet + ld
                outs.append(eps.flatten(1))
        return torch.cat([x.flatten(1)] + outs[::-1], 1), logdet

    def log_prob(self, x):
        z, logdet = self(x)
        return -0.5 * (z**2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + logdet


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Glow(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(32, 1, 28, 28)

    def step():
        opt.zero_grad(set_to_none=True)
        (-model.log_prob(x).mean()).backward()
        opt.step()

    print(json.dumps({"glow": timed(step)}))
