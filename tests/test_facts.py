"""The same-file function-facts layer: transitive method calls, iteration, resolution, epoch loops."""

import json

import libcst as cst
import pytest

from tests.helpers import dedent
from torchlint.analysis import facts
from torchlint.context import FileContext


def context(code: str) -> FileContext:
    source = dedent(code)
    return FileContext("example.py", source, cst.parse_module(source))


def by_name(ctx, qualified):
    for f in facts.function_facts(ctx).values():
        if f.qualified_name == qualified:
            return f
    raise KeyError(qualified)


def test_transitive_method_calls_through_same_file_functions():
    ctx = context("""
        def set_eval(net):
            net.eval()
        def evaluate(model, loader):
            set_eval(model)
            for batch in loader:
                model(batch)
        def run(model, data):
            evaluate(model, data)
            model.train()
    """)
    run = by_name(ctx, "run")
    assert run.params == ("model", "data")
    assert run.methods_called_on_param["model"] == {"eval", "train"}
    assert run.iterated_params == {"data"}
    assert run.calls_method("model", "eval")
    assert not run.calls_method("data", "eval")


def test_methods_and_self_paths():
    ctx = context("""
        class Trainer:
            def validate(self):
                self.model.eval()
                for batch in enumerate(self.val_loader):
                    pass
            def fit(self):
                self.validate()
                self.model.train()
                self.loader.sampler.set_epoch(0)
    """)
    fit = by_name(ctx, "Trainer.fit")
    assert {"model.eval", "model.train", "loader.sampler.set_epoch"} <= fit.methods_called_on_param["self"]
    assert fit.iterated["self"] == {"val_loader"}
    assert fit.calls_method_named("self", "set_epoch")


def test_argument_paths_are_prefixed():
    ctx = context("""
        def freeze(m):
            m.eval()
        class T:
            def go(self):
                freeze(self.model.module)
    """)
    assert by_name(ctx, "T.go").methods_called_on_param["self"] == {"model.module.eval"}


def test_keyword_arguments_and_recursion_terminate():
    ctx = context("""
        def walk(node, depth=0):
            node.visit()
            walk(node.child, depth=depth + 1)
        def outer(tree):
            walk(depth=1, node=tree)
    """)
    outer = by_name(ctx, "outer")
    assert "visit" in outer.methods_called_on_param["tree"]
    assert "child.visit" in outer.methods_called_on_param["tree"]


def test_reassigned_parameter_carries_no_facts():
    ctx = context("""
        def f(model):
            model = build()
            model.eval()
    """)
    assert by_name(ctx, "f").methods_called_on_param == {}


def test_resolve_call_plain_names_methods_and_ambiguity():
    ctx = context("""
        from helpers import imported
        def helper(x):
            return x
        def twice(): pass
        def twice(): pass
        class Base:
            def step(self): pass
        class Child(Base):
            def run(self):
                self.step()
                helper(1)
                imported(2)
                twice()
    """)
    calls = {ctx.code(c.func): facts.resolve_call(ctx, c) for c in ctx.nodes(cst.Call)}
    assert calls["self.step"].name.value == "step"
    assert calls["helper"].name.value == "helper"
    assert calls["imported"] is None
    assert calls["twice"] is None


def test_nested_functions_resolve_in_enclosing_scope():
    ctx = context("""
        def main():
            def step(model):
                model.train()
            step(net)
    """)
    (call,) = [c for c in ctx.nodes(cst.Call) if ctx.code(c.func) == "step"]
    assert facts.resolve_call(ctx, call).name.value == "step"
    assert by_name(ctx, "main.<locals>.step").calls_method("model", "train")


def test_reachable_functions_and_is_called_in_loop():
    ctx = context("""
        def validate(model):
            model.eval()
        def train_epoch(model):
            validate(model)
        def unused(model): pass
        def main(model):
            for epoch in range(3):
                train_epoch(model)
    """)
    (loop,) = facts.epoch_loops(ctx)
    reachable = [f.name.value for f in facts.reachable_functions(ctx, loop.node)]
    assert reachable == ["validate", "train_epoch"]
    unused = by_name(ctx, "unused").node
    assert not facts.is_called_in(ctx, unused, loop.node)


def test_returns_and_call_sites():
    ctx = context("""
        import torch.utils.data as tud
        class Box: pass
        def make_sampler(ds):
            return tud.DistributedSampler(ds)
        def make_box():
            return Box()
        class Trainer:
            def __init__(self, data):
                self.data = data
        Trainer(make_sampler(ds))
    """)
    assert by_name(ctx, "make_sampler").returns == {"torch.utils.data.DistributedSampler"}
    assert by_name(ctx, "make_box").returns == {"Box"}
    init = by_name(ctx, "Trainer.__init__").node
    (site,) = facts.call_sites(ctx, init)
    bound = facts.bind_arguments(ctx, site, init)
    assert ctx.code(bound["data"]) == "make_sampler(ds)"


@pytest.mark.parametrize(
    "loop, kind, var",
    [
        ("for epoch in range(10):", "range", "epoch"),
        ("for epoch in range(start, end):", "range", "epoch"),
        ("for epoch in trange(5):", "trange", "epoch"),
        ("for epoch in tqdm(range(5), desc='epochs'):", "tqdm", "epoch"),
        ("for i, epoch in enumerate(range(5)):", "range", "epoch"),
        ("for epoch in itertools.count():", "count", "epoch"),
        ("for _ in range(5):", "range", "_"),
        ("while step < total:", "while", None),
    ],
)
def test_epoch_loops(loop, kind, var):
    ctx = context(f"""
        import itertools
        from tqdm import tqdm, trange
        {loop}
            pass
    """)
    (found,) = facts.epoch_loops(ctx)
    assert (found.kind, found.var) == (kind, var)


@pytest.mark.parametrize("loop", ["for batch in loader:", "for epoch in range(1):", "for x in [1, 2]:",
                                  "for epoch in range(0, 1):"])
def test_not_epoch_loops(loop):
    ctx = context(f"""
        {loop}
            pass
    """)
    assert facts.epoch_loops(ctx) == []


def test_export_summary_is_plain_data():
    ctx = context("""
        def evaluate(model, loader):
            model.eval()
            for b in loader:
                pass
        class T:
            def fit(self):
                evaluate(self.model, self.val)
    """)
    summary = facts.export_summary(ctx)
    assert json.loads(json.dumps(summary)) == summary
    assert summary["T.fit"] == {
        "params": ["self"],
        "methods_called_on_param": {"self": ["model.eval"]},
        "iterated": {"self": ["val"]},
        "returns": [],
        "calls": ["evaluate"],
    }


def test_memoised_per_file():
    ctx = context("def f(x):\n    x.eval()\n")
    assert facts.function_facts(ctx) is facts.function_facts(ctx)


def test_iteration_through_unknown_wrappers_but_not_range_len():
    ctx = context("""
        def train(loader, logger, data):
            for i, batch in enumerate(logger.log_every(loader, 10)):
                pass
            for i in range(len(data)):
                pass
    """)
    assert by_name(ctx, "train").iterated_params == {"loader"}


@pytest.mark.parametrize(
    "setup, kind",
    [
        ("train_iterator = trange(int(args.num_train_epochs), desc='Epoch')", "trange"),
        ("epochs = tqdm(range(n))", "tqdm"),
        ("epochs = range(10)", "range"),
    ],
)
def test_epoch_loop_iterable_through_a_local_name(setup, kind):
    ctx = context(f"""
        from tqdm import tqdm, trange
        def main(args, n):
            {setup}
            for _ in {setup.split(" = ")[0]}:
                pass
    """)
    (found,) = facts.epoch_loops(ctx)
    assert found.kind == kind


def test_possible_values_without_a_project_stop_at_imported_calls():
    ctx = context("""
        from data import build_loader
        loader = build_loader()
        for batch in loader:
            pass
    """)
    name = [n for n in ctx.nodes(cst.Name) if n.value == "loader"][-1]
    values, open_ = facts.possible_values(ctx, name)
    assert [ctx.code(v) for v in values] == ["build_loader()"] and not open_
