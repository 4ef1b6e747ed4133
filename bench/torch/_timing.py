"""The timing loop of bench/torch/{nice,glow,fvae}.py: median ms per call over rounds after warm-up.

`--single-thread` (as bench/flows.ts passes it): one torch thread, and process CPU time instead of wall
time, the work per step, which other processes on the shared machine barely disturb.
"""
import statistics
import sys
import time

import torch

ROUNDS, CALLS, WARMUP = 5, 4, 3
SINGLE = "--single-thread" in sys.argv
torch.set_num_threads(1 if SINGLE else 2)
clock = time.process_time if SINGLE else time.perf_counter


def timed(fn):
    for _ in range(WARMUP):
        fn()
    rounds = []
    for _ in range(ROUNDS):
        t0 = clock()
        for _ in range(CALLS):
            fn()
        rounds.append((clock() - t0) * 1000 / CALLS)
    return statistics.median(rounds)
