"""PyTorch CPU eager reference for bench/onnx.ts: MLP 784-256-256-10, softmax cross-entropy, Adam.

Run as bench/onnx.ts does:
  OPENBLAS_CORETYPE=Cooperlake OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/mlp.py [batch [threads [wall|cpu]]]
Prints one JSON line with median ms per call for each variant.
"""
import json
import statistics
import sys
import time

import torch

# argv: batch, threads (default 2), clock: "wall" (default) or "cpu" (process CPU time, which other
# processes on a shared box barely disturb when threads is 1).
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
CLOCK = time.process_time if len(sys.argv) > 3 and sys.argv[3] == "cpu" else time.perf_counter
torch.set_num_threads(THREADS)
torch.manual_seed(0)
B = int(sys.argv[1]) if len(sys.argv) > 1 else 128
ROUNDS, CALLS, WARMUP = 7, 60, 60


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


def model():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )


x = torch.randn(B, 784)
y = torch.randint(0, 10, (B,))
out = {}
net = model()
with torch.no_grad():
    out["forward"] = timed(lambda: torch.nn.functional.cross_entropy(net(x), y))

for name, foreach in [("step_adam", False), ("step_adam_foreach", True)]:
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, foreach=foreach)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    out[name] = timed(step)
print(json.dumps(out))
