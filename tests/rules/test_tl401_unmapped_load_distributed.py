"""TL401 unmapped-load-distributed: each kind of multi-process evidence, look-alikes (the ImageNet `args.gpu is None`
idiom, per-rank files, an environment read alone), the unsafe fix."""

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
    "distributed-sampler": """
        import torch
        from torch.utils.data.distributed import DistributedSampler
        def build(dataset, args):
            sampler = DistributedSampler(dataset)
            state = torch.load(args.resume)
            return sampler, state
    """,
    "env-read-plus-process-group": """
        import os
        import torch
        import torch.distributed as dist
        local_rank = int(os.environ["LOCAL_RANK"])
        dist.init_process_group("nccl")
        ckpt = torch.load(args.resume)
    """,
    "sibling-branch-has-no-mapped-load": """
        import torch
        import torch.multiprocessing as mp
        def main_worker(gpu, args):
            if args.gpu is None:
                checkpoint = torch.load(args.resume)
            else:
                checkpoint = None
        mp.spawn(main_worker, nprocs=2, args=(None,))
    """,
    "path-built-from-world-size-not-rank": """
        import os
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        path = os.path.join(args.dump_path, "queue" + str(args.world_size) + ".pth")
        queue = torch.load(path)
    """,
    "saved-from-gpu-in-the-file": """
        import os
        import torch
        import torch.distributed as dist
        def save(model, out):
            if dist.get_rank() == 0:
                torch.save(model.state_dict(), os.path.join(out, "best.pth"))
        def resume(model, out):
            dist.init_process_group("nccl")
            model.load_state_dict(torch.load(os.path.join(out, "best.pth")))
    """,
    "optimizer-state-of-a-legacy-fine-tuning-script": """
        import os
        import torch
        def train(args, model, optimizer, scheduler):
            if args.local_rank != -1:
                torch.distributed.init_process_group(backend="nccl")
            if os.path.isfile(os.path.join(args.model_name, "optimizer.pt")):
                optimizer.load_state_dict(torch.load(os.path.join(args.model_name, "optimizer.pt")))
                scheduler.load_state_dict(torch.load(os.path.join(args.model_name, "scheduler.pt")))
    """,
    "path-of-a-ranking-model": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        reranker = torch.load(args.rank_model_path)
    """,
    "path-built-from-node-rank": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        state = torch.load(f"node{args.node_rank}.pth")
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
    "imagenet-example-gpu-is-none-idiom": """
        import torch
        import torch.multiprocessing as mp
        def main_worker(gpu, ngpus_per_node, args):
            if args.resume:
                if args.gpu is None:
                    checkpoint = torch.load(args.resume)
                else:
                    loc = "cuda:{}".format(args.gpu)
                    checkpoint = torch.load(args.resume, map_location=loc)
                model.load_state_dict(checkpoint["state_dict"])
        def main(args):
            mp.spawn(main_worker, nprocs=4, args=(4, args))
    """,
    "elif-chain-with-mapped-branches": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        if args.gpu is None:
            checkpoint = torch.load(args.resume)
        elif args.cpu:
            checkpoint = torch.load(args.resume, map_location="cpu")
        else:
            checkpoint = torch.load(args.resume, map_location=f"cuda:{args.gpu}")
    """,
    "per-rank-queue-through-a-variable": """
        import os
        import torch
        import torch.nn as nn
        def main(args, model):
            model = nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu_to_work_on])
            queue_path = os.path.join(args.dump_path, "queue" + str(args.rank) + ".pth")
            if os.path.isfile(queue_path):
                queue = torch.load(queue_path)["queue"]
    """,
    "per-rank-memory-bank-get-rank": """
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        bank = torch.load(f"{args.dump_path}/mb{dist.get_rank()}.pth")
    """,
    "per-rank-from-environment": """
        import os
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        r = int(os.environ["RANK"])
        shard = torch.load(os.path.join(cache_dir, "shard_%d.pt" % r))
    """,
    "logger-module-reads-rank-only": """
        import logging
        import os
        import torch
        def get_logger(name):
            rank = int(os.environ.get("RANK", 0))
            logger = logging.getLogger(name)
            logger.setLevel(logging.INFO if rank == 0 else logging.WARN)
            return logger
        def load_weights(model, path):
            model.load_state_dict(torch.load(path))
    """,
    "features-saved-from-cpu-in-the-file": """
        import os
        import torch
        import torch.distributed as dist
        def dump(args, feats):
            sampler = torch.utils.data.DistributedSampler(args.dataset, shuffle=False)
            if args.dump_features and dist.get_rank() == 0:
                torch.save(feats.cpu(), os.path.join(args.dump_features, "trainfeat.pth"))
        def main(args):
            if args.load_features:
                feats = torch.load(os.path.join(args.load_features, "trainfeat.pth"))
    """,
    "scheduler-state-and-training-args-hold-no-tensors": """
        import os
        import torch
        import torch.distributed as dist
        dist.init_process_group("nccl")
        scheduler.load_state_dict(torch.load(os.path.join(ckpt_dir, "scheduler.pt")))
        lr_sched.load_state_dict(torch.load(state_path))
        train_args = torch.load(os.path.join(ckpt_dir, "training_args.bin"))
    """,
    "feature-cache-written-by-the-same-function": """
        import os
        import torch
        from torch.utils.data import DistributedSampler
        def load_and_cache_examples(args, tokenizer):
            cached_features_file = os.path.join(args.data_dir, "cached_train")
            if os.path.exists(cached_features_file):
                features = torch.load(cached_features_file)
            else:
                features = convert_examples_to_features(args, tokenizer)
                if args.local_rank in [-1, 0]:
                    torch.save(features, cached_features_file)
            return DistributedSampler(features)
    """,
    "local-rank-environ-alone": """
        import os
        import torch
        local_rank = int(os.environ["LOCAL_RANK"])
        ckpt = torch.load(args.resume)
    """,
    "rank-getenv-alone": """
        import os
        from torch import load
        rank = int(os.getenv("RANK", "0"))
        ckpt = load(args.resume)
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
    assert "mp.spawn" in finding.message
    assert 'map_location="cpu"' in finding.message


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_message_is_short(name):
    (finding,) = lint(POSITIVES[name], SELECT)
    assert len(finding.message) <= 160, finding.message


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
