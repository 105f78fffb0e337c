"""TL503 deprecated-launch-local-rank: `--local_rank` without the `--local-rank` alias, launcher imports, the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL503"]

POSITIVES = {
    "argparse-with-dist": """
        import argparse
        import torch.distributed as dist
        parser = argparse.ArgumentParser()
        parser.add_argument("--local_rank", type=int, default=0)
    """,
    "argument-group": """
        import torch
        group = parser.add_argument_group("distributed")
        group.add_argument('--local_rank', default=-1, type=int)
        torch.distributed.init_process_group("nccl")
    """,
    "from-torch-import-distributed": """
        from torch import distributed
        parser.add_argument("--local_rank", type=int)
    """,
    "from-torch-distributed-import": """
        from torch.distributed import init_process_group
        parser.add_argument("--local_rank", type=int)
    """,
    "sampler-module-counts": """
        from torch.utils.data.distributed import DistributedSampler
        parser.add_argument("--local_rank", type=int)
    """,
    "ddp-from-import-as": """
        from torch.nn.parallel import DistributedDataParallel as DDP
        import torch.distributed as dist
        parser.add_argument("--local_rank", "--lr_rank", type=int)
    """,
    "import-launch": """
        import torch.distributed.launch
    """,
    "from-torch-distributed-import-launch": """
        from torch.distributed import launch
    """,
    "from-launch-import-main": """
        from torch.distributed.launch import main
    """,
    "runpy-launch": """
        import runpy
        runpy.run_module("torch.distributed.launch", run_name="__main__")
    """,
}

NEGATIVES = {
    "has-hyphen-alias": """
        import torch.distributed as dist
        parser.add_argument("--local_rank", "--local-rank", type=int, default=0)
    """,
    "hyphen-first": """
        import torch.distributed as dist
        parser.add_argument("--local-rank", "--local_rank", type=int, default=0)
    """,
    "hyphen-only": """
        import torch.distributed as dist
        parser.add_argument("--local-rank", type=int, default=0)
    """,
    "no-torch-distributed-in-file": """
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--local_rank", type=int, default=0)
    """,
    "torchrun-env": """
        import os
        import torch.distributed as dist
        local_rank = int(os.environ["LOCAL_RANK"])
    """,
    "other-option": """
        import torch.distributed as dist
        parser.add_argument("--local_rank_offset", type=int)
    """,
    "dest-local-rank": """
        import torch.distributed as dist
        parser.add_argument("--rank", dest="local_rank", type=int)
    """,
    "declared-for-old-torch-only": """
        import torch
        import torch.distributed as dist
        if int(torch.__version__.split(".")[0]) == 1:
            parser.add_argument("--local_rank", type=int, required=True)
    """,
    "other-runpy-module": """
        import runpy
        import torch.distributed as dist
        runpy.run_module("torch.distributed.run")
    """,
    "mylib-distributed-launch": """
        import mylib.distributed.launch
        from mylib.distributed import launch
    """,
    "string-mentions-launch": """
        import torch.distributed as dist
        HELP = "run with python -m torch.distributed.launch"
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL503"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_messages_recommend_torchrun_and_are_short():
    for name in ("argparse-with-dist", "import-launch"):
        (finding,) = lint(POSITIVES[name], SELECT)
        assert "torchrun" in finding.message and len(finding.message) <= 160, finding.message
    (finding,) = lint(POSITIVES["argparse-with-dist"], SELECT)
    assert 'int(os.environ["LOCAL_RANK"])' in finding.message


def test_fix_adds_the_alias():
    assert fix(POSITIVES["argparse-with-dist"], SELECT) == dedent("""
        import argparse
        import torch.distributed as dist
        parser = argparse.ArgumentParser()
        parser.add_argument("--local_rank", "--local-rank", type=int, default=0)
    """)
    assert fix(POSITIVES["ddp-from-import-as"], SELECT) == dedent("""
        from torch.nn.parallel import DistributedDataParallel as DDP
        import torch.distributed as dist
        parser.add_argument("--local_rank", "--local-rank", "--lr_rank", type=int)
    """)


def test_fix_keeps_quotes_layout_and_comments():
    code = """
        import torch.distributed as dist
        parser.add_argument('--local_rank',  # set by the launcher
                            type=int,
                            default=-1)
        parser.add_argument('--local_rank')
    """
    assert fix(code, SELECT) == dedent("""
        import torch.distributed as dist
        parser.add_argument('--local_rank', '--local-rank',  # set by the launcher
                            type=int,
                            default=-1)
        parser.add_argument('--local_rank', '--local-rank')
    """)


def test_launcher_imports_are_not_fixed():
    (finding,) = lint(POSITIVES["import-launch"], SELECT)
    assert finding.fix is None
