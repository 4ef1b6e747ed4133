"""Dev-time oracle for models/onnx/models/wgan_div_torch_test.ts: the WGAN-div critic loss and its gradient
with respect to the critic's weights (a second-order gradient), in float64 with PyTorch autograd.

Usage: /usr/bin/python3 bench/torch/wgan_div_grads.py DIR
DIR holds manifest.json ({"config": {...}, "tensors": {name: shape}}) and NAME.bin float32 files
(names with "/" replaced by "__"). Writes grad__NAME.bin (float64) for every critic parameter and
loss.json with the loss terms.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
d = sys.argv[1]
man = json.load(open(os.path.join(d, "manifest.json")))
cfg = man["config"]


def load(name):
    a = np.fromfile(os.path.join(d, name.replace("/", "__") + ".bin"), dtype=np.float32)
    return torch.tensor(a.astype(np.float64)).reshape(man["tensors"][name])


params = {k: load(k).requires_grad_(True) for k in man["tensors"] if k.startswith("critic/")}
xr, xf = load("x_r"), load("x_f")
B = xr.shape[0]


def critic(x):
    h = F.leaky_relu(F.conv2d(x, params["critic/conv1/W"], params["critic/conv1/b"], stride=2, padding=1), 0.2)
    h = F.leaky_relu(F.conv2d(h, params["critic/conv2/W"], params["critic/conv2/b"], stride=2, padding=1), 0.2)
    return h.flatten(1) @ params["critic/fc/W"] + params["critic/fc/b"]


both = torch.cat([xr, xf]).requires_grad_(True)
s = critic(both)
(g,) = torch.autograd.grad(s.sum(), both, create_graph=True)
penalty = g.pow(2).sum([1, 2, 3]).pow(cfg["p"] / 2).sum() * (cfg["k"] / 2 / B)
loss_d = s[:B].mean() - s[B:].mean() + penalty
grads = torch.autograd.grad(loss_d, list(params.values()))
for (name, _), gr in zip(params.items(), grads):
    gr.detach().numpy().astype(np.float64).tofile(os.path.join(d, "grad__" + name.replace("/", "__") + ".bin"))
json.dump({"loss_d": loss_d.item(), "penalty": penalty.item()}, open(os.path.join(d, "loss.json"), "w"))
