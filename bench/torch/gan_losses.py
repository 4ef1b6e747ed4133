"""PyTorch CPU eager reference for bench/gan.ts: one iteration (a critic step, then a generator step through
the updated critic) of each GAN loss of models/onnx/models/gan_losses.ts on the WGAN-div DCGAN
(bench/torch/wgan_div.py's networks), with the same formulas and the same passes as the ONNX graphs:

- wgan-gp (one-sided, un-squared) and wgan-gp-two-sided: critic on real and fake in one pass, plus a
  pass on the interpolates x̂ = εx_r + (1 − ε)x_f for the penalty λ·E relu(‖∇D(x̂)‖ − 1) or λ·E(‖∇D(x̂)‖ − 1)²;
- qp-l1, qp-l2: E(−Δ + Δ²/(2λ·d(x_r, x_f))) with d a per-pixel mean (L1) or RMS (L2); G's loss E Δ reads a
  second real batch, scored with the fakes in one pass;
- hinge: E relu(1 + D(x_r)) + E relu(1 − D(x_f)); G: E D(x_f).
λ = 10, Adam(2e-4, 0.5, 0.999), batch 64.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/gan_losses.py LOSS [batch [threads [wall|cpu]]]
Prints one JSON line: {"step": median ms per iteration}.
"""
import json
import sys

import torch

# The loss is this script's own argument; the rest (batch, threads, clock) are wgan_div.py's.
LOSS = sys.argv.pop(1)
import wgan_div as ref  # noqa: E402  (reads sys.argv when imported)

B = ref.B
LAMBDA = 10.0

torch.manual_seed(0)
g, d = ref.G(), ref.critic()
ref.init_weights(g, d)
opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
x = torch.tanh(torch.randn(B, 1, 28, 28))
x2 = torch.tanh(torch.randn(B, 1, 28, 28))


def critic_loss(xr, xf):
    s = d(torch.cat([xr, xf]))
    sr, sf = s[:B], s[B:]
    if LOSS.startswith("wgan-gp"):
        eps = torch.rand(B, 1, 1, 1)
        xi = (eps * xr + (1 - eps) * xf).requires_grad_(True)
        (grad,) = torch.autograd.grad(d(xi).sum(), xi, create_graph=True)
        excess = grad.pow(2).sum([1, 2, 3]).sqrt() - 1
        per = torch.relu(excess) if LOSS == "wgan-gp" else excess * excess
        return sr.mean() - sf.mean() + LAMBDA * per.mean()
    if LOSS.startswith("qp-"):
        delta = (sr - sf).reshape(B)
        diff = xr - xf
        dist = diff.abs().mean([1, 2, 3]) if LOSS == "qp-l1" else diff.pow(2).mean([1, 2, 3]).sqrt()
        return (delta * delta / (2 * LAMBDA * dist)).mean() - delta.mean()
    if LOSS == "hinge":
        return torch.relu(1 + sr).mean() + torch.relu(1 - sf).mean()
    raise SystemExit(f"no PyTorch reference for loss {LOSS}")


def generator_loss(xf):
    if LOSS.startswith("qp-"):
        s = d(torch.cat([x2, xf]))
        return (s[:B] - s[B:]).mean()
    return d(xf).mean()


def step():
    zd, zg = torch.randn(B, ref.Z), torch.randn(B, ref.Z)
    for p in d.parameters():
        p.requires_grad_(True)
    loss_d = critic_loss(x, g(zd).detach())
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    for p in d.parameters():
        p.requires_grad_(False)
    loss_g = generator_loss(g(zg))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()


print(json.dumps({"step": ref.timed(step)}))
