"""PyTorch eager timings for bench/gpu_check.ts, on CUDA (or CPU): the same two train steps.

The models are those of bench/torch/mlp.py (MLP 784-256-256-10, batch 128, softmax cross-entropy,
Adam) and bench/torch/wgan_div.py (the WGAN-div DCGAN step, batch 64: critic step with the gradient
penalty, then the generator step through the updated critic); keep them in step with those files.
TF32 follows NVIDIA_TF32_OVERRIDE like cuBLAS and cuDNN do (gpu_check.sh sets it to 0 for the
correctness pass).

Run: python3 bench/gpu_check_torch.py --device cuda|cpu
Prints one JSON line: median ms per step of each model.
"""
import argparse
import json
import os
import statistics
import sys
import time

# This file's folder holds bench/torch/, which would shadow the torch package.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cuda")
args = parser.parse_args()
if args.device == "cuda" and not torch.cuda.is_available():
    raise SystemExit("PyTorch sees no CUDA device (torch.cuda.is_available() is False)")
dev = torch.device(args.device)
if args.device == "cpu":
    torch.set_num_threads(os.cpu_count() or 1)
allow_tf32 = os.environ.get("NVIDIA_TF32_OVERRIDE") != "0"
torch.backends.cuda.matmul.allow_tf32 = allow_tf32
torch.backends.cudnn.allow_tf32 = allow_tf32
torch.manual_seed(0)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, warmup=5, rounds=3, calls=20):
    for _ in range(warmup):
        fn()
    sync()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        out.append((time.perf_counter() - t0) * 1000 / calls)
    return statistics.median(out)


# ---- MLP (bench/torch/mlp.py) ---------------------------------------------------------------------
B = 128
net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)).to(dev)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.randn(B, 784, device=dev)
y = torch.randint(0, 10, (B,), device=dev)


def mlp_step():
    opt.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(net(x), y).backward()
    opt.step()


# ---- WGAN-div (bench/torch/wgan_div.py) -----------------------------------------------------------
G_B, Z, K, P = 64, 100, 2.0, 6.0


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(Z, 128 * 49, bias=False)
        self.net = nn.Sequential(
            nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(self.fc(z).view(-1, 128, 7, 7))


g = G().to(dev)
d = nn.Sequential(
    nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
    nn.Flatten(), nn.Linear(6272, 1),
).to(dev)
opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
xr = torch.tanh(torch.randn(G_B, 1, 28, 28, device=dev))


def gan_step():
    zd, zg = torch.randn(G_B, Z, device=dev), torch.randn(G_B, Z, device=dev)
    for p in d.parameters():
        p.requires_grad_(True)
    xf = g(zd).detach()
    both = torch.cat([xr, xf]).requires_grad_(True)
    s = d(both)
    (grad,) = torch.autograd.grad(s.sum(), both, create_graph=True)
    penalty = grad.pow(2).sum([1, 2, 3]).pow(P / 2).sum() * (K / 2 / G_B)
    loss_d = s[:G_B].mean() - s[G_B:].mean() + penalty
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    for p in d.parameters():
        p.requires_grad_(False)
    loss_g = d(g(zg)).mean()
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()


print(json.dumps({"mlp": timed(mlp_step), "wgan_div": timed(gan_step, calls=10), "device": str(dev)}))
