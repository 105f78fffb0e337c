"""TL201 missing-set-epoch: positives (aliases, inline samplers, `self`, helpers, while), look-alikes, fixes."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL201"]

POSITIVES = {
    "module-level": """
        import torch
        from torch.utils.data import DataLoader, DistributedSampler
        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=8, sampler=sampler)
        for epoch in range(10):
            for batch in loader:
                step(batch)
    """,
    "tud-alias-long-path": """
        import torch.utils.data as tud
        def main(ds, epochs):
            sampler = tud.distributed.DistributedSampler(ds, num_replicas=2, rank=0)
            loader = tud.DataLoader(ds, sampler=sampler)
            for epoch in range(epochs):
                for x in loader:
                    pass
    """,
    "from-import-as": """
        from torch.utils.data.distributed import DistributedSampler as DS
        from torch.utils.data import DataLoader as DL
        def main(ds):
            loader = DL(ds, batch_size=4, sampler=DS(ds, shuffle=True))
            for epoch in range(3):
                for i, batch in enumerate(loader):
                    pass
    """,
    "torch-as-th": """
        import torch as th
        def main(ds):
            loader = th.utils.data.DataLoader(ds, sampler=th.utils.data.DistributedSampler(ds))
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "inline-sampler-positional": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, 16, False, DistributedSampler(ds))
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "batch-sampler": """
        import torch
        from torch.utils.data import DataLoader, DistributedSampler, BatchSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            batches = BatchSampler(sampler, 32, drop_last=True)
            loader = DataLoader(ds, batch_sampler=batches)
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "while-loop": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds, max_steps):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            step = 0
            while step < max_steps:
                for batch in loader:
                    step += 1
    """,
    "trange": """
        from tqdm import trange
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in trange(5):
                for batch in loader:
                    pass
    """,
    "tqdm-range": """
        import tqdm
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in tqdm.tqdm(range(5)):
                for batch in tqdm.tqdm(loader):
                    pass
    """,
    "itertools-count": """
        import itertools
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in itertools.count():
                for batch in loader:
                    pass
    """,
    "helper-iterates-loader": """
        from torch.utils.data import DataLoader, DistributedSampler
        def train_one_epoch(model, loader):
            for x, y in loader:
                model(x)
        def main(ds, model):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                train_one_epoch(model, loader)
    """,
    "self-attribute-methods": """
        from torch.utils.data import DataLoader, DistributedSampler
        class Trainer:
            def __init__(self, ds):
                self.loader = DataLoader(ds, sampler=DistributedSampler(ds))
            def run_epoch(self):
                for batch in self.loader:
                    pass
            def fit(self, epochs):
                for epoch in range(epochs):
                    self.run_epoch()
    """,
    "self-sampler-attribute": """
        from torch.utils.data import DataLoader, DistributedSampler
        class Trainer:
            def __init__(self, ds):
                self.sampler = DistributedSampler(ds)
                self.loader = DataLoader(ds, sampler=self.sampler)
            def fit(self, epochs):
                for epoch in range(epochs):
                    for batch in self.loader:
                        pass
    """,
    "factory-and-constructor": """
        from torch.utils.data import DataLoader, DistributedSampler
        class Trainer:
            def __init__(self, train_data):
                self.train_data = train_data
            def _run_epoch(self, epoch):
                for source, targets in self.train_data:
                    pass
            def train(self, max_epochs):
                for epoch in range(max_epochs):
                    self._run_epoch(epoch)
        def prepare_dataloader(dataset, batch_size):
            return DataLoader(dataset, batch_size=batch_size, sampler=DistributedSampler(dataset))
        def main():
            data = prepare_dataloader(make_dataset(), 32)
            Trainer(data).train(10)
    """,
    "subclass-in-file": """
        import torch.utils.data as tud
        class MySampler(tud.DistributedSampler):
            pass
        def main(ds):
            loader = tud.DataLoader(ds, sampler=MySampler(ds))
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "sampler-maybe-none": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds, distributed):
            sampler = DistributedSampler(ds) if distributed else None
            loader = DataLoader(ds, shuffle=(sampler is None), sampler=sampler)
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "loader-handed-to-unknown-function-without-epoch": """
        from torch.utils.data import DataLoader, DistributedSampler
        from engine import train_one_epoch
        def main(ds, model):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                train_one_epoch(model, loader)
    """,
    "set-epoch-only-before-loop": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            sampler.set_epoch(0)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
}

NEGATIVES = {
    # The other file gets the loader and the epoch: it may call loader.sampler.set_epoch(epoch).
    "loader-and-epoch-handed-to-unknown-function": """
        from torch.utils.data import DataLoader, DistributedSampler
        from engine import train_one_epoch
        def main(ds, model):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                train_one_epoch(model, loader, epoch)
    """,
    "set-epoch-direct": """
        from torch.utils.data import DataLoader, DistributedSampler
        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, sampler=sampler)
        for epoch in range(10):
            sampler.set_epoch(epoch)
            for batch in loader:
                pass
    """,
    "set-epoch-via-loader": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in range(10):
                if distributed:
                    loader.sampler.set_epoch(epoch)
                for batch in loader:
                    pass
    """,
    "set-epoch-in-helper": """
        from torch.utils.data import DataLoader, DistributedSampler
        def run_epoch(loader, epoch):
            loader.sampler.set_epoch(epoch)
            for batch in loader:
                pass
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in range(10):
                run_epoch(loader, epoch)
    """,
    "set-epoch-in-method": """
        from torch.utils.data import DataLoader, DistributedSampler
        class Trainer:
            def __init__(self, ds):
                self.loader = DataLoader(ds, sampler=DistributedSampler(ds))
            def _run_epoch(self, epoch):
                self.loader.sampler.set_epoch(epoch)
                for batch in self.loader:
                    pass
            def fit(self):
                for epoch in range(3):
                    self._run_epoch(epoch)
    """,
    "shuffle-false": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds, shuffle=False)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(10):
                for batch in loader:
                    pass
    """,
    "shuffle-unknown": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds, args):
            loader = DataLoader(ds, sampler=DistributedSampler(ds, shuffle=args.shuffle))
            for epoch in range(10):
                for batch in loader:
                    pass
    """,
    "single-pass": """
        from torch.utils.data import DataLoader, DistributedSampler
        def evaluate(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for batch in loader:
                pass
    """,
    "range-one": """
        from torch.utils.data import DataLoader, DistributedSampler
        def evaluate(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in range(1):
                for batch in loader:
                    pass
    """,
    "random-sampler": """
        from torch.utils.data import DataLoader, RandomSampler
        def main(ds):
            loader = DataLoader(ds, sampler=RandomSampler(ds))
            for epoch in range(10):
                for batch in loader:
                    pass
    """,
    "lightning-trainer-owns-loop": """
        import lightning as L
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds, model):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            L.Trainer(max_epochs=10).fit(model, loader)
    """,
    "hf-trainer": """
        from transformers import Trainer
        from torch.utils.data import DistributedSampler
        def main(model, ds):
            Trainer(model=model, train_dataset=ds).train()
    """,
    "sampler-handed-to-unknown-function": """
        from torch.utils.data import DataLoader, DistributedSampler
        from utils import train
        def main(ds, model):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                train(model, loader, epoch, sampler=sampler)
    """,
    "loop-does-not-iterate-loader": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in range(3):
                scheduler.step()
            for batch in loader:
                pass
    """,
    "sampler-seeded-per-epoch": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            for epoch in range(3):
                loader = DataLoader(ds, sampler=DistributedSampler(ds, seed=epoch))
                for batch in loader:
                    pass
    """,
    "set-epoch-in-outer-loop": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                sampler.set_epoch(epoch)
                done = False
                while not done:
                    for batch in loader:
                        done = True
    """,
    "shuffle-may-come-from-kwargs": """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds, sampler_args):
            loader = DataLoader(ds, sampler=DistributedSampler(ds, **sampler_args))
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
    "not-torch-distributed-sampler": """
        from mylib import DistributedSampler, DataLoader
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))
            for epoch in range(3):
                for batch in loader:
                    pass
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL201"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_reported_at_the_epoch_loop():
    (finding,) = lint(POSITIVES["module-level"], SELECT)
    assert finding.line == 6  # the snippet starts with an empty line
    assert "set_epoch" in finding.message


def test_nested_epoch_loops_report_once_at_the_outer_loop():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            sampler = DistributedSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                while True:
                    for batch in loader:
                        pass
    """
    (finding,) = lint(code, SELECT)
    assert finding.line == 6  # `for epoch`, not the inner `while`


def test_fix_inserts_set_epoch_on_the_sampler():
    assert fix(POSITIVES["tud-alias-long-path"], SELECT) == dedent("""
        import torch.utils.data as tud
        def main(ds, epochs):
            sampler = tud.distributed.DistributedSampler(ds, num_replicas=2, rank=0)
            loader = tud.DataLoader(ds, sampler=sampler)
            for epoch in range(epochs):
                sampler.set_epoch(epoch)
                for x in loader:
                    pass
    """)


def test_fix_uses_loader_sampler_for_an_inline_sampler_and_keeps_comments():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))  # shard per rank
            for epoch in range(3):  # epochs
                # one pass
                for batch in loader:
                    pass
    """
    assert fix(code, SELECT) == dedent("""
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            loader = DataLoader(ds, sampler=DistributedSampler(ds))  # shard per rank
            for epoch in range(3):  # epochs
                loader.sampler.set_epoch(epoch)
                # one pass
                for batch in loader:
                    pass
    """)


def test_fix_batch_sampler_reaches_the_sampler_by_name():
    fixed = fix(POSITIVES["batch-sampler"], SELECT)
    assert "    for epoch in range(3):\n        sampler.set_epoch(epoch)\n" in fixed


def test_fix_for_self_attributes():
    fixed = fix(POSITIVES["self-attribute-methods"], SELECT)
    assert "for epoch in range(epochs):\n            self.loader.sampler.set_epoch(epoch)\n" in fixed
    fixed = fix(POSITIVES["self-sampler-attribute"], SELECT)
    assert "for epoch in range(epochs):\n            self.sampler.set_epoch(epoch)\n" in fixed


def test_fix_through_factory_and_constructor():
    fixed = fix(POSITIVES["factory-and-constructor"], SELECT)
    assert "for epoch in range(max_epochs):\n            self.train_data.sampler.set_epoch(epoch)\n" in fixed


def test_fix_guards_a_sampler_that_may_be_none():
    fixed = fix(POSITIVES["sampler-maybe-none"], SELECT)
    assert "for epoch in range(3):\n        if sampler is not None:\n            sampler.set_epoch(epoch)\n" in fixed


def test_fix_in_helper_call_uses_the_callers_loader():
    fixed = fix(POSITIVES["helper-iterates-loader"], SELECT)
    assert "for epoch in range(3):\n        sampler.set_epoch(epoch)\n        train_one_epoch(model, loader)" in fixed


@pytest.mark.parametrize("name", ["while-loop", "itertools-count"])
def test_fix_needs_an_epoch_variable(name):
    code = POSITIVES[name]
    if name == "itertools-count":
        code = code.replace("for epoch in", "for _ in")
    assert fix(code, SELECT) == dedent(code)
    assert codes(code, SELECT) == ["TL201"]


def test_no_fix_when_loader_is_built_inside_the_loop():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def main(ds):
            for epoch in range(3):
                loader = DataLoader(ds, sampler=DistributedSampler(ds))
                for batch in loader:
                    pass
    """
    assert codes(code, SELECT) == ["TL201"]
    assert fix(code, SELECT) == dedent(code)


def test_no_fix_when_sampler_is_sometimes_another_kind():
    code = """
        import torch
        from torch.utils.data import DataLoader
        def main(ds, distributed):
            if distributed:
                sampler = torch.utils.data.DistributedSampler(ds)
            else:
                sampler = torch.utils.data.RandomSampler(ds)
            loader = DataLoader(ds, sampler=sampler)
            for epoch in range(3):
                for batch in loader:
                    pass
    """
    assert codes(code, SELECT) == ["TL201"]
    assert fix(code, SELECT) == dedent(code)


def test_progress_bar_alias_fixes_through_the_loader_name():
    code = """
        from tqdm import tqdm
        from torch.utils.data import DataLoader, DistributedSampler
        loader = DataLoader(ds, batch_size=16, sampler=DistributedSampler(ds))
        for epoch in range(3):
            if master:
                bar = tqdm(loader, desc=f"epoch {epoch}")
            else:
                bar = loader
            for batch in bar:
                pass
    """
    (finding,) = lint(code, SELECT)
    assert "`loader.sampler.set_epoch(epoch)`" in finding.message
    assert "for epoch in range(3):\n    loader.sampler.set_epoch(epoch)\n    if master:" in fix(code, SELECT)


def test_loader_returned_in_a_tuple_by_a_factory():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def prepare(ds, distributed):
            if distributed:
                sampler = DistributedSampler(ds)
                shuffle = False
            else:
                sampler = None
                shuffle = True
            loader = DataLoader(ds, shuffle=shuffle, sampler=sampler)
            return loader, ds
        def train(ds, epochs):
            train_loader, _ = prepare(ds, True)
            for epoch in range(epochs):
                for i, batch in enumerate(train_loader):
                    pass
    """
    assert codes(code, SELECT) == ["TL201"]
    assert fix(code, SELECT) == dedent(code)  # the sampler is sometimes something we cannot see


def test_fix_through_loader_when_sampler_may_be_none():
    code = """
        from torch.utils.data import DataLoader, DistributedSampler
        def build(ds, distributed):
            return DataLoader(ds, sampler=DistributedSampler(ds) if distributed else None)
        def train(ds, epochs):
            loader = build(ds, True)
            for epoch in range(epochs):
                for batch in loader:
                    pass
    """
    fixed = fix(code, SELECT)
    assert ('for epoch in range(epochs):\n        if hasattr(loader.sampler, "set_epoch"):\n'
            '            loader.sampler.set_epoch(epoch)\n') in fixed
