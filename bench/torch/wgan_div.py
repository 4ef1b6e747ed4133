"""PyTorch CPU eager reference for bench/onnx.ts: the WGAN-div DCGAN step of models/onnx/models/wgan_div.ts.

G: Linear(100→128·7·7, no bias) → BN → ReLU → ConvT(128→64, k4 s2 p1, no bias) → BN → ReLU
   → ConvT(64→1, k4 s2 p1) → tanh.
D: Conv(1→64, k4 s2 p1) → LeakyReLU 0.2 → Conv(64→128, k4 s2 p1) → LeakyReLU 0.2 → Linear(6272→1).
Step: critic loss mean D(x_r) − mean D(x_f) + (k/2)·mean(‖∇D(x_r)‖^p + ‖∇D(x_f)‖^p), k=2, p=6, real and
fake in one critic pass (as the ONNX graph does); Adam(2e-4, 0.5, 0.999); then the generator step
mean D(G(z)) through the updated critic, with the critic's parameters frozen.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/wgan_div.py [batch [threads [wall|cpu]]]
Prints one JSON line with median ms per call.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

# argv: batch, threads (default 2), clock: "wall" (default) or "cpu" (process CPU time, which other
# processes on a shared box barely disturb when threads is 1).
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
CLOCK = time.process_time if len(sys.argv) > 3 and sys.argv[3] == "cpu" else time.perf_counter
torch.set_num_threads(THREADS)
torch.manual_seed(0)
B = int(sys.argv[1]) if len(sys.argv) > 1 else 64
Z, K, P = 100, 2.0, 6.0
ROUNDS, CALLS, WARMUP = 5, 3, 3


def timed(fn):
    for _ in range(WARMUP):
        fn()
    rounds = []
    for _ in range(ROUNDS):
        t0 = CLOCK()
        for _ in range(CALLS):
            fn()
        rounds.append((CLOCK() - t0) * 1000 / CALLS)
    return statistics.median(rounds)


class G(nn.Module):
    """z [N, z_dim] → images [N, 1, 28, 28]; channels c = (c0 at 7×7, c1 at 14×14)."""

    def __init__(self, z_dim=Z, c=(128, 64)):
        super().__init__()
        self.c0 = c[0]
        self.fc = nn.Linear(z_dim, c[0] * 49, bias=False)
        self.net = nn.Sequential(
            nn.BatchNorm2d(c[0]), nn.ReLU(),
            nn.ConvTranspose2d(c[0], c[1], 4, 2, 1, bias=False), nn.BatchNorm2d(c[1]), nn.ReLU(),
            nn.ConvTranspose2d(c[1], 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.c0, 7, 7))


def critic(d=(64, 128)):
    """images [N, 1, 28, 28] → scores [N, 1]; channels d = (d0 at 14×14, d1 at 7×7)."""
    return nn.Sequential(
        nn.Conv2d(1, d[0], 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(d[0], d[1], 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(d[1] * 49, 1),
    )


def init_weights(*nets):
    """N(0, 0.02) weights and zero biases, as models/onnx/models/wgan_div.ts."""
    for net in nets:
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, 0, 0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)


def wgan_div_step(g, d, z_dim):
    """One WGAN-div iteration on real images x: the critic step (real and fake in one pass, penalty
    (k/2)·mean(‖∇D‖^p) over both), then the generator step through the updated critic, frozen."""
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(x):
        b = x.shape[0]
        zd, zg = torch.randn(b, z_dim), torch.randn(b, z_dim)
        for p in d.parameters():
            p.requires_grad_(True)
        xf = g(zd).detach()
        both = torch.cat([x, xf]).requires_grad_(True)
        s = d(both)
        (grad,) = torch.autograd.grad(s.sum(), both, create_graph=True)
        penalty = grad.pow(2).sum([1, 2, 3]).pow(P / 2).sum() * (K / 2 / b)
        loss_d = s[:b].mean() - s[b:].mean() + penalty
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        for p in d.parameters():
            p.requires_grad_(False)
        loss_g = d(g(zg)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

    return step


if __name__ == "__main__":
    g, d = G(), critic()
    init_weights(g, d)
    x = torch.tanh(torch.randn(B, 1, 28, 28))
    train_step = wgan_div_step(g, d, Z)

    def forward():
        with torch.no_grad():
            zd = torch.randn(B, Z)
            return d(torch.cat([x, g(zd)])).mean()

    out = {"forward": timed(forward), "step": timed(lambda: train_step(x))}
    print(json.dumps(out))
