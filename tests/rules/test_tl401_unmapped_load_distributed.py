"""TL401 unmapped-load-distributed: each kind of multi-process evidence, look-alikes, the unsafe fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL401"]

POSITIVES = {
    "init-process-group": """
        import torch
        import torch.distributed as dist
        def main(model):
            dist.init_process_group("nccl")
            model.load_state_dict(torch.load("ckpt.pt"))
    """,
    "from-import-init": """
        import torch
        from torch.distributed import init_process_group
        init_process_group(backend="nccl")
        state = torch.load(path)
    """,
    "ddp-wrap": """
        import torch as th
        from torch.nn.parallel import DistributedDataParallel as DDP
        def build(net, rank):
            net.load_state_dict(th.load("w.pt"))
            return DDP(net, device_ids=[rank])
    """,
    "local-rank-environ": """
        import os
        import torch
        local_rank = int(os.environ["LOCAL_RANK"])
        ckpt = torch.load(args.resume)
    """,
    "rank-getenv": """
        import os
        from torch import load
        rank = int(os.getenv("RANK", "0"))
        ckpt = load(args.resume)
    """,
    "mp-spawn": """
        import torch
        import torch.multiprocessing as mp
        def worker(rank, path):
            state = torch.load(path)
        if __name__ == "__main__":
            mp.spawn(worker, args=("ckpt.pt",), nprocs=2)
    """,
    "map-location-none": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("gloo")
        state = torch.load("ckpt.pt", map_location=None, weights_only=True)
    """,
    "in-a-method": """
        import torch
        import torch.distributed as dist
        class Trainer:
            def __init__(self):
                dist.init_process_group("nccl")
            def resume(self, path):
                self.model.load_state_dict(torch.load(path)["model"])
    """,
    "not-main-process-guard": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        if not is_main_process():
            state = torch.load("ckpt.pt")
    """,
}

NEGATIVES = {
    "map-location-cpu": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load("ckpt.pt", map_location="cpu")
    """,
    "map-location-positional": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load("ckpt.pt", lambda storage, loc: storage)
    """,
    "map-location-rank-device": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load("ckpt.pt", map_location=f"cuda:{rank}")
    """,
    "single-process-file": """
        import torch
        model.load_state_dict(torch.load("ckpt.pt"))
    """,
    "dataparallel-is-one-process": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(net)
        model.load_state_dict(torch.load("ckpt.pt"))
    """,
    "kwargs-may-carry-it": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load("ckpt.pt", **load_kwargs)
    """,
    "round-trip-in-same-function": """
        import torch
        import torch.distributed as dist
        def test_roundtrip(tmp_path):
            dist.init_process_group("gloo")
            path = tmp_path / "x.pt"
            torch.save({"w": torch.zeros(2)}, path)
            assert torch.load(path)["w"].sum() == 0
    """,
    "rank-zero-guard": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        if dist.get_rank() == 0:
            state = torch.load("ckpt.pt")
    """,
    "main-process-guard-at-call-site": """
        import torch
        import torch.distributed as dist
        def load_for_eval(path):
            return torch.load(path)
        def main():
            dist.init_process_group("nccl")
            if is_main_process():
                load_for_eval("ckpt.pt")
    """,
    "environment-written-not-read": """
        import os
        import torch
        os.environ["RANK"] = "0"
        os.environ["LOCAL_RANK"] = "0"
        state = torch.load("ckpt.pt")
    """,
    "other-load": """
        import json
        import pickle
        import torch.distributed as dist
        dist.init_process_group("nccl")
        cfg = json.load(open("c.json"))
        obj = pickle.load(open("o.pkl", "rb"))
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL401"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_message_names_the_evidence():
    (finding,) = lint(POSITIVES["mp-spawn"], SELECT)
    assert "torch.multiprocessing.spawn" in finding.message
    assert 'map_location="cpu"' in finding.message


def test_fix_is_unsafe_only():
    code = POSITIVES["init-process-group"]
    assert fix(code, SELECT) == dedent(code)
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch
        import torch.distributed as dist
        def main(model):
            dist.init_process_group("nccl")
            model.load_state_dict(torch.load("ckpt.pt", map_location="cpu"))
    """)
    (finding,) = lint(code, SELECT)
    assert finding.fix.applicability == "unsafe"
    assert "load_state_dict" in finding.fix.description


def test_fix_replaces_map_location_none():
    fixed = fix(POSITIVES["map-location-none"], SELECT, unsafe=True)
    assert 'torch.load("ckpt.pt", map_location="cpu", weights_only=True)' in fixed


def test_fix_multiline_call_keeps_layout_and_comments():
    code = """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load(
            "ckpt.pt",  # the last checkpoint
            weights_only=True,
        )
        other = torch.load(
            "other.pt"
        )
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load(
            "ckpt.pt",  # the last checkpoint
            weights_only=True,
            map_location="cpu",
        )
        other = torch.load(
            "other.pt", map_location="cpu"
        )
    """)
