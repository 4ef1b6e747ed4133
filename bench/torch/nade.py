"""PyTorch CPU eager reference for bench/latent.ts: the autoregressive models of models/onnx/models/nade.ts
at nade's defaults on 784 binary values, Adam 1e-3, batch 100, in the same formulation as the ONNX graph:

- FVSBN: logits = x · (W ⊙ M) + b with M strictly upper triangular;
- NADE (H = 500): the pre-activations of every position at once as the exclusive cumulative sum over
  positions of x_j W_j ([N, D, H]), h = σ(· + c), logits_i = V_i · h_i + b_i.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/nade.py [threads [wall|cpu]]
"""
import torch
import torch.nn.functional as F

from _latent_timing import report, timed

B, D, H = 100, 784, 500
x = (torch.rand(B, D) < 0.5).float()


def nll(logits):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()


def fvsbn():
    w = torch.zeros(D, D, requires_grad=True)
    b = torch.zeros(D, requires_grad=True)
    mask = torch.triu(torch.ones(D, D), diagonal=1)
    return [w, b], lambda: nll(x @ (w * mask) + b)


def nade():
    w = torch.empty(D, H).uniform_(-D**-0.5, D**-0.5).requires_grad_()
    v = torch.empty(D, H).uniform_(-H**-0.5, H**-0.5).requires_grad_()
    c = torch.zeros(H, requires_grad=True)
    b = torch.zeros(D, requires_grad=True)

    def loss():
        terms = x[:, :, None] * w[None]
        pre = torch.cumsum(terms, 1) - terms  # exclusive
        return nll((torch.sigmoid(pre + c) * v[None]).sum(2) + b)

    return [w, v, c, b], loss


out = {}
for name, build, calls in [("fvsbn", fvsbn, 50), ("nade", nade, 1)]:
    params, loss = build()
    opt = torch.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()

    out[name] = timed(step, calls, rounds=3 if calls == 1 else 5)
report(out)
