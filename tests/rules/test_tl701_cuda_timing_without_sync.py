"""TL701 cuda-timing-without-sync: host clocks around asynchronous CUDA work, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL701"]

POSITIVES = {
    "perf-counter-around-a-forward": """
        import time
        import torch

        def bench(model, x):
            model = model.cuda()
            x = x.cuda()
            start = time.perf_counter()
            for _ in range(10):
                model(x)
            return time.perf_counter() - start
    """,
    "end-variable": """
        import time

        def bench(model, x):
            x = x.to("cuda")
            t0 = time.time()
            for _ in range(100):
                y = model(x)
            t1 = time.time()
            print(f"{t1 - t0:.3f}s")
    """,
    "from-time-import-and-conditional-device": """
        from time import perf_counter
        import torch

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

        def bench(model, x):
            x = x.to(device)
            begin = perf_counter()
            for _ in range(10):
                out = model(x)
            elapsed = perf_counter() - begin
            return out, elapsed
    """,
    "training-loop-batch-time": """
        import time

        def train(loader, model, criterion, optimizer, meter):
            end = time.time()
            for images, target in loader:
                images = images.cuda(non_blocking=True)
                loss = criterion(model(images), target.cuda(non_blocking=True))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                meter.update(time.time() - end)
                end = time.time()
    """,
}

NEGATIVES = {
    "epoch-time-over-a-data-loop": """
        import time

        def train_epoch(model, loader, criterion, optimizer):
            since = time.time()
            for x, y in loader:
                x, y = x.cuda(), y.cuda()  # blocking copies wait for the previous step
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            print("epoch took", time.time() - since)
    """,
    "one-timed-forward": """
        import time

        def predict(model, x):
            x = x.cuda()
            start = time.time()
            out = model(x)  # detection models often wait for the GPU in their own post-processing
            print("inference took", time.time() - start)
            return out.cpu()
    """,
    "imported-helper-may-sync": """
        import time
        from .loops import train_one_epoch

        def fit(model, loader, optimizer):
            model.cuda()
            for epoch in range(10):
                t0 = time.time()
                train_one_epoch(model, loader, optimizer)
                print(time.time() - t0)
    """,
    "iteration-time-carried-over-with-item-later": """
        import time

        def train(loader, model, criterion, optimizer, meter, losses):
            end = time.time()
            for x, y in loader:
                loss = criterion(model(x.cuda()), y.cuda())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                meter.update(time.time() - end)
                losses.update(loss.item())
                end = time.time()
    """,
    "synchronize-before-the-end": """
        import time
        import torch

        def bench(model, x):
            x = x.cuda()
            start = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            return time.perf_counter() - start
    """,
    "item-waits-for-the-gpu": """
        import time

        def train(loader, model, criterion, optimizer, meter):
            end = time.time()
            for images, target in loader:
                loss = criterion(model(images.cuda()), target.cuda())
                loss.backward()
                optimizer.step()
                meter.update(loss.item())
                print(time.time() - end)
                end = time.time()
    """,
    "helper-that-syncs": """
        import time

        def accuracy(out, y):
            return (out.argmax(1) == y).float().mean().item()

        def bench(model, x, y):
            x = x.cuda()
            start = time.time()
            acc = accuracy(model(x), y)
            return time.time() - start, acc
    """,
    "no-cuda-in-the-function": """
        import time

        def bench(model, x, device):
            x = x.to(device)
            start = time.time()
            model(x)
            return time.time() - start
    """,
    "cpu-only-work-between": """
        import time

        def load(model, loader):
            model.cuda()
            start = time.time()
            batch = next(iter(loader))
            print("data loading took", time.time() - start)
            return batch
    """,
    "cuda-events": """
        import time
        import torch

        def bench(model, x):
            x = x.cuda()
            begin = torch.cuda.Event(enable_timing=True)
            start = time.time()
            model(x)
            return time.time() - start
    """,
    "start-not-a-clock": """
        import time

        def bench(model, x, start):
            model(x.cuda())
            return time.time() - start
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL701"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message_points_to_events_and_benchmark():
    (finding,) = lint(POSITIVES["perf-counter-around-a-forward"], SELECT)
    assert finding.message.startswith("`time.perf_counter()` after CUDA work")
    assert "torch.cuda.Event" in finding.message and "torch.utils.benchmark" in finding.message
    assert len(finding.message) <= 160
    assert finding.fix.applicability == "safe"


def test_fix_plain_synchronize_where_cuda_is_certain():
    assert fix(POSITIVES["perf-counter-around-a-forward"], SELECT) == dedent("""
        import time
        import torch

        def bench(model, x):
            model = model.cuda()
            x = x.cuda()
            start = time.perf_counter()
            for _ in range(10):
                model(x)
            torch.cuda.synchronize()
            return time.perf_counter() - start
    """)


def test_fix_guarded_synchronize_where_cuda_is_conditional():
    assert fix(POSITIVES["from-time-import-and-conditional-device"], SELECT) == dedent("""
        from time import perf_counter
        import torch

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

        def bench(model, x):
            x = x.to(device)
            begin = perf_counter()
            for _ in range(10):
                out = model(x)
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            elapsed = perf_counter() - begin
            return out, elapsed
    """)


def test_fix_in_a_training_loop():
    code = "import torch\n" + dedent(POSITIVES["training-loop-batch-time"])
    assert fix(code, SELECT) == code.replace(
        "        meter.update(time.time() - end)\n",
        "        torch.cuda.synchronize()\n        meter.update(time.time() - end)\n",
    )


def test_fix_needs_torch_imported():
    (finding,) = lint(POSITIVES["end-variable"], SELECT)
    assert finding.fix is None


def test_fixed_code_is_clean_and_the_start_is_synced_once():
    code = """
        import time
        import torch

        def bench(model, x):
            x = x.cuda()
            model(x)  # warm-up
            start = time.perf_counter()
            for _ in range(10):
                model(x)
            mid = time.perf_counter() - start
            for _ in range(10):
                model(x)
            return mid, time.perf_counter() - start
    """
    fixed = fix(code, SELECT)
    assert codes(fixed, SELECT) == []
    # Before the start (after the warm-up) and before the first end; the second end's interval then
    # contains a synchronize and is quiet.
    assert fixed.count("torch.cuda.synchronize()") == 2


def test_guarded_fix_runs_unchanged_on_a_cpu_only_machine(tmp_path):
    """The guarded rewrite executes on CPU (the guard skips the synchronize) and times the same work."""
    import json
    import subprocess
    import sys

    fixed = fix(POSITIVES["from-time-import-and-conditional-device"], SELECT)
    assert "if torch.cuda.is_available():" in fixed
    program = tmp_path / "bench.py"
    program.write_text(fixed)
    driver = (
        "import json, sys, torch\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import bench\n"
        "torch.manual_seed(0)\n"
        "out, elapsed = bench.bench(torch.nn.Linear(4, 2), torch.ones(3, 4))\n"
        "print(json.dumps({'shape': list(out.shape), 'elapsed': elapsed}))\n"
    )
    result = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shape"] == [3, 2] and report["elapsed"] >= 0


def test_timeit_default_timer_keeps_the_message_short():
    code = """
        import timeit

        def bench(model, x):
            x = x.cuda()
            start = timeit.default_timer()
            for _ in range(10):
                model(x)
            return timeit.default_timer() - start
    """
    (finding,) = lint(code, SELECT)
    assert finding.message.startswith("`timeit.default_timer()`") and len(finding.message) <= 160


def test_two_benchmark_blocks_are_both_fixed():
    code = """
        import time
        import torch

        model, img = model.cuda(), img.cuda()
        with torch.no_grad():
            for i in range(3):
                start = time.time()
                for _ in range(10):
                    model(img)
        print(time.time() - start)
        with torch.no_grad():
            for i in range(3):
                start = time.time()
                for _ in range(10):
                    fast_model(img)
        print(time.time() - start)
    """
    assert codes(code, SELECT) == ["TL701", "TL701"]
    fixed = fix(code, SELECT)
    assert codes(fixed, SELECT) == []
    assert fixed.count("torch.cuda.synchronize()") >= 2
