"""PyTorch CPU eager reference for bench/latent.ts: the VQ-VAE of models/onnx/models/vq_vae.ts at vq-vae's
small default, with its MADE prior trained in the same step: encoder conv 4×4/2 (16) → ReLU → conv 4×4/2
(32) → ReLU → conv 1×1 (32); the 49 vectors of each image to their nearest of 64 codes; decoder conv 3×3
(32) → ReLU → ConvT 4×4/2 (16) → ReLU → ConvT 4×4/2 (1) → sigmoid; loss ‖x − dec(z + sg[z_q − z])‖² +
‖sg[z] − z_q‖² + 0.25‖z − sg[z_q]‖² (means), Adam 1e-3; the MADE (one masked layer of 128) on the batch's
indices with its own Adam; batch 64.

Run: OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/vq_vae.py [threads [wall|cpu]]
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from _latent_timing import mnist_like, report, timed

B, C0, C1, D, K, H, P = 64, 16, 32, 32, 64, 128, 49


def made_masks():
    """The masks of models/onnx/models/vq_vae.ts's madeMasks: unit h has degree 1 + h mod 48."""
    deg = 1 + torch.arange(H) % (P - 1)
    pos = (torch.arange(P * K) // K + 1)
    return (pos[:, None] <= deg[None, :]).float(), (pos[None, :] > deg[:, None]).float()


class VqVae(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, C0, 4, 2, 1), nn.ReLU(), nn.Conv2d(C0, C1, 4, 2, 1), nn.ReLU(), nn.Conv2d(C1, D, 1)
        )
        self.codebook = nn.Parameter(torch.empty(K, D).uniform_(-1 / K, 1 / K))
        self.dec = nn.Sequential(
            nn.Conv2d(D, C1, 3, 1, 1), nn.ReLU(), nn.ConvTranspose2d(C1, C0, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(C0, 1, 4, 2, 1), nn.Sigmoid(),
        )

    def loss(self, x):
        n = x.shape[0]
        z = self.enc(x.view(n, 1, 28, 28)).permute(0, 2, 3, 1).reshape(n * P, D)
        e = self.codebook
        scores = (e.detach() ** 2).sum(1) - 2 * z.detach() @ e.detach().t()
        onehot = F.one_hot(scores.argmin(1), K).float()
        zq = onehot @ e
        st = z + (zq - z).detach()
        recon = self.dec(st.view(n, 7, 7, D).permute(0, 3, 1, 2)).view(n, 784)
        loss = F.mse_loss(recon, x) + F.mse_loss(zq, z.detach()) + 0.25 * F.mse_loss(z, zq.detach())
        return loss, onehot.view(n, P * K)


class Made(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(P * K, H), nn.Linear(H, P * K)
        m1, m2 = made_masks()
        self.register_buffer("m1", m1.t())  # nn.Linear's weight is [out, in]
        self.register_buffer("m2", m2.t())

    def nll(self, onehot):
        h = F.relu(F.linear(onehot, self.fc1.weight * self.m1, self.fc1.bias))
        logits = F.linear(h, self.fc2.weight * self.m2, self.fc2.bias).view(-1, P, K)
        return -(onehot.view(-1, P, K) * F.log_softmax(logits, 2)).sum((1, 2)).mean()


vq, prior = VqVae(), Made()
opt_vq, opt_prior = torch.optim.Adam(vq.parameters(), lr=1e-3), torch.optim.Adam(prior.parameters(), lr=1e-3)
x = mnist_like(B)


def step():
    opt_vq.zero_grad(set_to_none=True)
    opt_prior.zero_grad(set_to_none=True)
    loss, onehot = vq.loss(x)
    loss.backward()
    prior.nll(onehot).backward()
    opt_vq.step()
    opt_prior.step()


report({"step": timed(step, 30)})
