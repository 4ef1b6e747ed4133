"""Shared by the latent-model references of bench/latent.ts (vae.py, gumbel_vae.py, vq_vae.py, nade.py).

argv of each script: threads (default 2), clock "wall" (default) or "cpu" (process CPU time, which other
processes on a shared box barely disturb when threads is 1). `report` prints one JSON line with the median
ms per call of each timed step.
"""
import json
import statistics
import sys
import time

import torch

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
CLOCK = time.process_time if len(sys.argv) > 2 and sys.argv[2] == "cpu" else time.perf_counter
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def timed(fn, calls, rounds=5, warmup=None):
    """Median over `rounds` of the mean ms per call of `calls` calls, after `warmup` calls (default `calls`)."""
    for _ in range(calls if warmup is None else warmup):
        fn()
    times = []
    for _ in range(rounds):
        t0 = CLOCK()
        for _ in range(calls):
            fn()
        times.append((CLOCK() - t0) * 1000 / calls)
    return statistics.median(times)


def mnist_like(batch):
    """A batch of [batch, 784] values in [0, 1] (the timing does not depend on the values)."""
    return torch.rand(batch, 784)


def report(out):
    print(json.dumps(out))
