"""The timing loop of bench/torch/{nice,glow,fvae}.py: median ms per call over rounds after warm-up."""
import statistics
import time

ROUNDS, CALLS, WARMUP = 5, 4, 3


def timed(fn):
    for _ in range(WARMUP):
        fn()
    rounds = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(CALLS):
            fn()
        rounds.append((time.perf_counter() - t0) * 1000 / CALLS)
    return statistics.median(rounds)
