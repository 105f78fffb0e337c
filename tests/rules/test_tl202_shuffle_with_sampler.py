"""TL202 shuffle-with-sampler: positives, the `shuffle=(sampler is None)` idiom and other look-alikes, fixes."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL202"]

POSITIVES = {
    "inline-sampler": """
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, batch_size=8, shuffle=True, sampler=DistributedSampler(ds))
    """,
    "named-sampler-tud-alias": """
        import torch.utils.data as tud
        def build(ds):
            sampler = tud.distributed.DistributedSampler(ds)
            return tud.DataLoader(ds, shuffle=True, sampler=sampler)
    """,
    "from-import-as": """
        from torch.utils.data import DataLoader as DL, RandomSampler as RS
        loader = DL(ds, sampler=RS(ds), shuffle=True)
    """,
    "torch-as-th": """
        import torch as th
        loader = th.utils.data.DataLoader(ds, shuffle=True, sampler=th.utils.data.SequentialSampler(ds))
    """,
    "batch-sampler": """
        from torch.utils.data import DataLoader, BatchSampler, RandomSampler
        batches = BatchSampler(RandomSampler(ds), 32, drop_last=False)
        loader = DataLoader(ds, shuffle=True, batch_sampler=batches)
    """,
    "positional": """
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, 32, True, DistributedSampler(ds))
    """,
    "self-attribute": """
        import torch
        class Data:
            def __init__(self, ds):
                self.sampler = torch.utils.data.DistributedSampler(ds)
            def loader(self):
                return torch.utils.data.DataLoader(self.ds, shuffle=True, sampler=self.sampler)
    """,
    "sampler-none-on-some-paths": """
        from torch.utils.data import DataLoader, DistributedSampler
        def build(ds, distributed):
            sampler = DistributedSampler(ds) if distributed else None
            return DataLoader(ds, batch_size=4, shuffle=True, sampler=sampler)
    """,
    "sampler-assigned-in-branch": """
        from torch.utils.data import DataLoader, DistributedSampler
        def build(ds, distributed):
            sampler = None
            if distributed:
                sampler = DistributedSampler(ds)
            return DataLoader(ds, shuffle=True, sampler=sampler)
    """,
    "explicit-keywords-beside-kwargs": """
        from torch.utils.data import DataLoader, SubsetRandomSampler
        train_sampler = SubsetRandomSampler(train_indices)
        loader = DataLoader(ds, sampler=train_sampler, shuffle=True, **kwargs)
    """,
    "list-of-indices": """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, shuffle=True, sampler=[0, 2, 4])
    """,
}

NEGATIVES = {
    "idiom-shuffle-if-no-sampler": """
        from torch.utils.data import DataLoader, DistributedSampler
        def build(ds, distributed):
            sampler = DistributedSampler(ds) if distributed else None
            return DataLoader(ds, shuffle=(sampler is None), sampler=sampler)
    """,
    "sampler-none-literal": """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, shuffle=True, sampler=None)
    """,
    "shuffle-false": """
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, shuffle=False, sampler=DistributedSampler(ds))
    """,
    "shuffle-from-argument": """
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, shuffle=args.shuffle, sampler=DistributedSampler(ds))
    """,
    "sampler-is-a-parameter": """
        from torch.utils.data import DataLoader
        def build(ds, sampler):
            return DataLoader(ds, shuffle=True, sampler=sampler)
    """,
    "sampler-only-none": """
        from torch.utils.data import DataLoader
        def build(ds):
            sampler = None
            return DataLoader(ds, shuffle=True, sampler=sampler)
    """,
    "args-may-hold-the-sampler": """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, 32, True, *rest)
    """,
    "kwargs-may-hold-the-sampler": """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, shuffle=True, **extra)
    """,
    "shuffle-without-sampler": """
        from torch.utils.data import DataLoader
        loader = DataLoader(ds, batch_size=4, shuffle=True)
    """,
    "not-torch-dataloader": """
        from mylib import DataLoader, DistributedSampler
        loader = DataLoader(ds, shuffle=True, sampler=DistributedSampler(ds))
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL202"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_messages_quote_the_runtime_errors():
    (finding,) = lint(POSITIVES["inline-sampler"], SELECT)
    assert "sampler option is mutually exclusive with shuffle" in finding.message
    (finding,) = lint(POSITIVES["batch-sampler"], SELECT)
    assert "batch_sampler option is mutually exclusive" in finding.message
    (finding,) = lint(POSITIVES["sampler-none-on-some-paths"], SELECT)
    assert "where `sampler` is not None" in finding.message


def test_fix_removes_shuffle():
    assert fix(POSITIVES["inline-sampler"], SELECT) == dedent("""
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, batch_size=8, sampler=DistributedSampler(ds))
    """)
    assert fix(POSITIVES["from-import-as"], SELECT) == dedent("""
        from torch.utils.data import DataLoader as DL, RandomSampler as RS
        loader = DL(ds, sampler=RS(ds))
    """)


def test_fix_multiline_keeps_layout_and_comments():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(
            ds,
            sampler=DistributedSampler(ds),  # one shard per rank
            shuffle=True,
        )
    """
    assert fix(code, SELECT) == dedent("""
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(
            ds,
            sampler=DistributedSampler(ds),  # one shard per rank
        )
    """)


def test_fix_positional_passes_false():
    assert fix(POSITIVES["positional"], SELECT) == dedent("""
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, 32, False, DistributedSampler(ds))
    """)


def test_fix_sometimes_none_shuffles_only_without_sampler():
    assert fix(POSITIVES["sampler-none-on-some-paths"], SELECT) == dedent("""
        from torch.utils.data import DataLoader, DistributedSampler
        def build(ds, distributed):
            sampler = DistributedSampler(ds) if distributed else None
            return DataLoader(ds, batch_size=4, shuffle=(sampler is None), sampler=sampler)
    """)


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_messages_fit_an_editor_line(name):
    assert all(len(f.message) <= 160 for f in lint(POSITIVES[name], SELECT))


def test_long_sampler_expression_is_not_quoted():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def f(ds, args):
            sampler = DistributedSampler(ds, num_replicas=args.world_size, rank=args.rank) if args.distributed else None
            return DataLoader(ds, shuffle=True, sampler=sampler if args.distributed_sampling_enabled else None)
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160 and "where `sampler` is not None" in finding.message
