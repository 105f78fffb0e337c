"""TL701, GPU form: a benchmark helper times 50 forwards of an MLP on CUDA with `time.perf_counter()`.

Symptom: the reported time per iteration is a small fraction of the real one (measured by
the probe with `torch.cuda.synchronize()` around the whole call) -- the clock is read while
the kernels are still queued.  After the (safe) fix, `torch.cuda.synchronize()` before the end
read, the reported time accounts for the real one.  Skipped without CUDA; the rewrite itself
is checked on CPU in tests/rules/test_tl701_cuda_timing_without_sync.py.
"""

GPU = True

PROGRAM = '''
import time

import torch
import torch.nn as nn


def build():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096)).cuda()


def benchmark(model, batch, iters=50):
    x = batch.cuda()
    with torch.no_grad():
        start = time.perf_counter()
        for _ in range(iters):
            model(x)
        return (time.perf_counter() - start) / iters
'''


def symptom(program):
    import time

    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    model = program.build()
    batch = torch.randn(4096, 4096)
    program.benchmark(model, batch, iters=5)  # warm-up: cuBLAS handles, allocator
    ratios = []
    for _ in range(3):
        torch.cuda.synchronize()
        begin = time.perf_counter()
        reported = program.benchmark(model, batch)
        torch.cuda.synchronize()
        real = (time.perf_counter() - begin) / 50
        ratios.append(reported / real)
    ratio = max(ratios)
    if ratio < 0.5:
        return f"reported time per iteration is {ratio:.1%} of the real time"
    assert ratio > 0.8, ratios
    return None
