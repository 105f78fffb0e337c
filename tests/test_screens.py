"""The screening tier (torchlint/screens.py) is sound: screening never changes a finding.

Both modes (screens on, `--no-screen`) run over every code string of the rule tests, every harness
case program, examples/ and every multi-file test project, and must report the same findings.
"""

from __future__ import annotations

import ast
import os
import textwrap
from functools import cache

import pytest

from torchlint import engine, registry, runner
from torchlint.discovery import find_files
from torchlint.engine import analyse, lint_source
from torchlint.screens import collect, parse_facts, screen_rules

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNIPPET_DIRS = ("tests/rules", "tests/harness/cases")


def _strings(path: str):
    """Every string constant of a test module that is a Python program (dedented)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
            code = textwrap.dedent(node.value)
            try:
                ast.parse(code)
            except (SyntaxError, ValueError):
                continue
            yield code


@cache
def _snippets():
    found = {}
    for folder in SNIPPET_DIRS:
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py"):
                for code in _strings(os.path.join(ROOT, folder, name)):
                    found.setdefault(code, f"{folder}/{name}")
    return found


def _key(findings):
    return [(f.path, f.line, f.column, f.code, f.message) for f in findings]


def _both(path: str, source: str, rules):
    screened = _key(lint_source(path, source, rules))
    engine.SCREENING = False
    try:
        full = _key(lint_source(path, source, rules))
    finally:
        engine.SCREENING = True
    return screened, full


def test_snippets_are_collected():
    snippets = _snippets()
    assert len(snippets) > 300
    assert any("cases" in where for where in snippets.values())


@pytest.mark.parametrize("folder", SNIPPET_DIRS)
def test_every_test_snippet_same_findings_with_and_without_screens(folder):
    rules = registry.select_rules(["ALL"])
    screened_out = 0
    for code, where in _snippets().items():
        if not where.startswith(folder):
            continue
        for path in ("example.py", "tests/test_example.py"):  # pytest files are judged differently
            screened, full = _both(path, code, rules)
            assert screened == full, f"{where}: screening changed the findings of\n{code}"
        if not screen_rules(code, engine.rules_for(code, rules)):
            screened_out += 1
    if folder == "tests/rules":
        assert screened_out > 0  # the screens do screen (negative examples)


def test_examples_same_findings_with_and_without_screens():
    rules = registry.select_rules(["ALL"])
    paths = find_files([os.path.join(ROOT, "examples")])
    assert paths
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        screened, full = _both(path, source, rules)
        assert screened == full, path


def _projects():
    base = os.path.join(ROOT, "tests", "projects")
    return sorted(name for name in os.listdir(base) if os.path.isdir(os.path.join(base, name)))


@pytest.mark.parametrize("project", _projects())
def test_projects_same_findings_with_and_without_screens(project):
    folder = os.path.join(ROOT, "tests", "projects", project)
    paths = find_files([folder])
    codes = tuple(r.code for r in registry.select_rules(["ALL"]))
    results = {}
    for screen in (True, False):
        job = runner.Job(rule_codes=codes, root=folder, screen=screen, timeout=0)
        results[screen] = [(r.path, _key(r.findings)) for r in runner._run(job, paths, 1)]
    assert results[True] == results[False]


# -- the tier itself -------------------------------------------------------------------------------
def test_facts_collects_what_screens_read():
    facts = parse_facts(textwrap.dedent("""
        import torch.nn as nn
        from torch.nn.functional import dropout as drop
        Lin = nn.Linear

        class Net(nn.Module):
            if True:
                def forward(self, x):
                    def inner():
                        return Lin(3, 4)
                    return drop(self.helper(x), p=0.5)
            def __init__(self):
                nn.Conv2d(1, 2, 3)

        for x in val_loader:
            int(x, 10)
    """))
    assert {"forward", "__init__"} <= facts.method_names
    assert facts.method_calls["forward"] >= {"Lin", "drop", "helper"}
    assert "Conv2d" not in facts.method_calls.get("forward", ())
    assert "drop" in facts.direct_method_calls and "Lin" not in facts.direct_method_calls
    assert "Linear" in facts.expand({"Linear"}) and "Lin" in facts.expand({"Linear"})
    assert "drop" in facts.expand({"dropout"})
    assert facts.int_base_calls and facts.loops == 1 and facts.keywords == {"p"}
    assert "helper" in facts.attrs


def test_unparsable_and_libcst_rejected_files_are_not_screened():
    assert parse_facts("def f(:\n") is None
    assert parse_facts("if x:\n\ty = 1\n        z = 2\n") is None or True  # Python itself may reject it
    assert parse_facts("if x:\n    y = 1\n\tz = 2\n") is None
    rules = registry.select_rules(["ALL"])
    broken = "import torch\ndef val(:\n    model(x)\n"
    assert [f.code for f in lint_source("x.py", broken, rules)] == ["TL000"]


def test_screened_out_file_is_not_parsed_with_libcst():
    rules = registry.select_rules(["ALL"])
    source = "import torch\n\ndef load(path):\n    return torch.tensor([1.0])  # no_grad eval val test\n"
    assert analyse("x.py", source, rules).module is None
    assert analyse("x.py", source, rules, screen=False).module is not None


def test_a_rule_without_screen_falls_back_to_its_text_precheck():
    rules = registry.select_rules(["ALL"])
    source = "import torch\n\nx = 1  # noqa: TL101\n"
    kept = screen_rules(source, engine.rules_for(source, rules))
    assert [r.code for r in kept] == ["TL001"]  # TL101's text pre-check fails; TL001's screen sees a TL code


def test_a_failing_screen_keeps_the_rule():
    from torchlint.rule import Rule

    class Broken(Rule):
        code = "TLX"

        def screen(self, facts):
            raise RuntimeError("boom")

    assert len(screen_rules("x = 1\n", [Broken()])) == 1


def test_collect_is_one_pass_over_any_module():
    tree = ast.parse("async def f():\n    async for x in y:\n        await g(x)\nlambda: h()\n")
    facts = collect(tree, "")
    assert facts.loops == 1 and {"g", "h"} <= facts.name_calls


EVERY_CHILD_KIND = """
import a.b as c
from .m import (x as y, z)
global_names = {**base, "k": 1}
def f(a, /, b: int = 1, *args, c, d=2, **kw) -> None:
    global G
    def g():
        nonlocal a
    x: int = yield from h()
    return [i async for i in j if i] or {k: v for k, v in w} or (lambda q=1: q)
@decorator(1)
class C(B, metaclass=M):
    with open(p) as h, q():
        pass
    try:
        raise E from e
    except (T, U) as err:
        del a[1:2:3], b.c
    else:
        assert x, "m"
    finally:
        print(f"{x!r:>{w}}")
match command:
    case Point(x=0, y=yy) | [1, *rest] | {"k": v, **others} | str() as s if s:
        pass
"""


def test_children_are_every_node_field_but_contexts_and_operators():
    # screens._children reads fields through per-type getters: the same nodes, in the same order, as
    # Python's own child iteration without the skipped fields -- on every kind of node, and on real modules.
    from torchlint import screens

    def expected(node):
        found = []
        for field in node._fields:
            if field in screens._SKIPPED_FIELDS:
                continue
            value = getattr(node, field, None)
            items = value if isinstance(value, list) else [value]
            found.extend(item for item in items if isinstance(item, ast.AST))
        return found

    sources = [EVERY_CHILD_KIND] + [open(os.path.join(ROOT, "torchlint", name), encoding="utf-8").read()
                                    for name in ("screens.py", "engine.py", "cli.py")]  # fmt: skip
    kinds = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            kinds.add(type(node))
            assert screens._children(node) == expected(node), ast.dump(node)[:200]
    assert {ast.Dict, ast.arguments, ast.Global, ast.Nonlocal, ast.MatchClass, ast.MatchMapping} <= kinds


def test_the_childrens_field_tables_follow_pythons_grammar():
    # Lists of identifiers are never nodes; only `Dict.keys` and `arguments.kw_defaults` lists hold None.
    import re

    from torchlint import screens

    identifier_lists = set()
    for name in dir(ast):
        kind = getattr(ast, name)
        if isinstance(kind, type) and issubclass(kind, ast.AST) and kind._fields and kind.__doc__:
            for match in re.finditer(r"\b(identifier|string|int|constant)\* (\w+)", kind.__doc__):
                identifier_lists.add((kind, match.group(2)))
    assert identifier_lists == set(screens._IDENTIFIER_LISTS)
    assert "expr* keys" in ast.Dict.__doc__ and "expr* kw_defaults" in ast.arguments.__doc__
    assert set(screens._LISTS_WITH_NONE) == {ast.Dict, ast.arguments}


def test_cli_no_screen(tmp_path, capsys):
    from torchlint.cli import main

    target = tmp_path / "train.py"
    target.write_text("import torch\nx = int('7', 1)\n")
    assert main(["--no-cache", "--no-screen", str(target)]) == 1
    out_full = capsys.readouterr().out
    assert main(["--no-cache", str(target)]) == 1
    assert capsys.readouterr().out == out_full


def test_flake8_plugin_screens_with_flake8s_tree():
    from torchlint.flake8_plugin import TorchlintChecker

    quiet = "import torch\n\ndef act(x):\n    return torch.relu(x)  # not an eval/val/test function\n"
    checker = TorchlintChecker(ast.parse(quiet), "quiet.py", quiet.splitlines(True))
    assert checker._screened(quiet) == () and list(checker.run()) == []
    buggy = "import torch\nx = int('7', 1)\n"
    checker = TorchlintChecker(ast.parse(buggy), "buggy.py", buggy.splitlines(True))
    codes = checker._screened(buggy)
    assert "TL502" in codes
    from torchlint.flake8_plugin import _lint  # what the forked worker runs (rule_index.json may lag the rules)

    assert [f.code for f in _lint(checker._all_rules(), ("buggy.py", buggy, codes))] == ["TL502"]


def test_small_runs_stay_in_one_process(tmp_path):
    small = [str(tmp_path / f"m{i}.py") for i in range(60)]
    for path in small:
        with open(path, "w") as handle:
            handle.write("x = 1\n")
    assert runner._small_run(small[:10]) and runner._small_run(small)
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 200_000)
    assert not runner._small_run(small + [str(big)])


# -- the screens live in torchlint/rule_screens.py, libcst-free -----------------------------------------
def test_rule_screens_import_without_libcst():
    import subprocess
    import sys

    probe = "import sys, torchlint.rule_screens as s\nprint(len(s.SCREENS), 'libcst' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    count, loaded = done.stdout.split()
    assert int(count) > 20 and loaded == "False", done.stdout + done.stderr


def test_every_screen_is_a_rules_and_rules_read_it():
    from torchlint import rule_screens

    rules = registry.all_rules()
    assert set(rule_screens.SCREENS) <= set(rules)
    facts = parse_facts("import torch\nx = int('7', 1)\n")
    assert rules["TL502"].screen(facts) and not rules["TL301"].screen(facts)
    assert set(rules) <= set(rule_screens.SCREENS)  # every rule has a screen
    from torchlint.rule import Rule

    class Unscreened(Rule):
        code = "TL999"  # no entry in SCREENS: the text pre-check alone decides, so the screen says yes

    assert Unscreened().screen(facts) and Unscreened().screen(parse_facts(""))


def test_screens_names_agree_with_the_analyses():
    import importlib

    from torchlint import rule_screens
    from torchlint.analysis import objects, shapes

    tl501 = importlib.import_module(type(registry.all_rules()["TL501"]).__module__)
    assert rule_screens._WRAPPERS == objects.WRAPPERS
    assert set(rule_screens._JIT_ENTRY_POINTS) == set(tl501.JIT_ENTRY_POINTS)
    assert set(rule_screens._LAYOUT["noncontiguous_view_methods"]) == shapes.NONCONTIGUOUS_METHODS
    assert set(rule_screens._LAYOUT["noncontiguous_view_functions"]) == shapes.NONCONTIGUOUS_FUNCTIONS
    tl404 = importlib.import_module(type(registry.all_rules()["TL404"]).__module__)
    assert rule_screens._MODULE_ONLY_METHODS == tl404.MODULE_ONLY_METHODS
    assert rule_screens._MODULE_TO_MODULE == objects._MODULE_TO_MODULE
    from torchlint.analysis import modules, numpy_dtypes
    from torchlint.screens import _numpy_dtypes

    terminal = lambda names: {name.rsplit(".", 1)[-1] for name in names}  # noqa: E731
    assert terminal(numpy_dtypes._LIKE | numpy_dtypes.ELEMENTWISE) <= _numpy_dtypes()["like"]
    assert terminal(numpy_dtypes._FULL | numpy_dtypes.FLOAT64_BY_DEFAULT | numpy_dtypes.JOINING) <= \
        _numpy_dtypes()["float64_defaults"]
    assert modules.STATE_KINDS == ("parameters", "buffers", "mode_dependent")  # = stateful_nn_class_terminals'


# -- sharpened screens: a file each screen now rejects yields no finding without screens either ------------
def _rejected(code: str, source: str, path: str = "example.py") -> None:
    """`code`'s screen rejects `source`, and a full analysis (no screens) finds nothing of `code` there."""
    rule = registry.all_rules()[code]
    source = textwrap.dedent(source)
    facts = parse_facts(source)
    assert facts is not None and not rule.screen(facts), f"{code}'s screen admits\n{source}"
    engine.SCREENING = False
    try:
        full = [f for f in lint_source(path, source, [rule]) if f.code == code]
    finally:
        engine.SCREENING = True
    assert not full, full


def _admitted(code: str, source: str) -> bool:
    return registry.all_rules()[code].screen(parse_facts(textwrap.dedent(source)))


def test_tl601_screen_skips_calls_of_same_file_functions_and_classes():
    _rejected("TL601", """
        import torch
        from torch import nn

        def helper(x):
            return x * 2

        class Meter:
            pass

        @torch.no_grad()
        def evaluate(loader):
            meter = Meter()
            def n2p(w):
                return w
            for x in loader:
                helper(n2p(x))
            return meter
    """)
    # rebound elsewhere (or a parameter somewhere): resolve_call cannot be sure, nor can the screen
    assert _admitted("TL601", """
        import torch

        def net(x):
            return x

        net = build()

        @torch.no_grad()
        def evaluate(loader):
            for x in loader:
                net(x)
    """)
    assert _admitted("TL601", """
        import torch

        def backbone_net(x):
            return x

        @torch.no_grad()
        def evaluate(backbone_net, loader):
            for x in loader:
                backbone_net(x)
    """)


def test_tl601_screen_skips_an_uncalled_functions_non_model_parameter():
    _rejected("TL601", """
        import torch

        class Optimizer:
            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                return loss
    """)
    # called in the file (its call sites may hand in a model), or a model-like name: admitted
    assert _admitted("TL601", """
        import torch

        class Optimizer:
            @torch.no_grad()
            def step(self, closure=None):
                return closure()

            def run(self, fn):
                return self.step(fn)
    """)
    assert _admitted("TL601", """
        import torch

        @torch.no_grad()
        def evaluate(model, loader):
            return [model(x) for x in loader]
    """)


def test_tl101_screen_widens_only_for_dotted_names_rooted_at_first_party_imports():
    # an import of a (maybe first-party) module no longer admits every attribute call in forward
    _rejected("TL101", """
        import torch
        from torch import nn

        def convert(w):
            import jax.numpy as jnp
            return jnp.asarray(w)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

            def forward(self, x):
                return self.fc(x).mean().relu()
    """)
    # `blocks.Block(...)`, `Block(...)` from a first-party module, or any dotted name after a star import
    for imports, call in (("import blocks", "blocks.Block(4)"), ("from blocks import Block", "Block(4)"),
                          ("from .blocks import Block as B", "B(4)"), ("from blocks import *", "layers.Block(4)")):
        assert _admitted("TL101", f"""
            import torch
            from torch import nn
            {imports}

            class Net(nn.Module):
                def forward(self, x):
                    return {call}(x)
        """), imports


def test_tl101_screen_counts_only_torch_nn_classes_that_hold_state(tmp_path):
    # `nn.Softmax(dim=-1)(scores)` in forward (mmpretrain's BERT copies): no parameters, buffers or mode,
    # so `stateful_reason` is None; every torch.nn class the screen leaves out is checked the same way.
    import json

    from torchlint.screens import stateful_nn_class_terminals

    (tmp_path / "setup.cfg").write_text("")
    assert not _screened_in_project("TL101", """
        import torch.nn as nn

        class Attention(nn.Module):
            def forward(self, scores):
                return nn.Softmax(dim=-1)(scores) + nn.ReLU()(scores)
    """, tmp_path)
    assert _screened_in_project("TL101", """
        import torch.nn as nn

        class Head(nn.Module):
            def forward(self, x):
                return nn.Linear(4, 2)(x)
    """, tmp_path)
    with open(os.path.join(os.path.dirname(engine.__file__), "data", "nn_modules.json"), encoding="utf-8") as f:
        classes = json.load(f)["classes"]
    stateful = stateful_nn_class_terminals()
    left_out = sorted({q.rsplit(".", 1)[-1] for q in classes if q.startswith("torch.nn.")} - stateful)
    assert "Softmax" in left_out and "Linear" not in left_out and "BatchNorm2d" not in left_out
    rule = registry.all_rules()["TL101"]
    engine.SCREENING = False
    try:
        for name in left_out:
            source = ("import torch.nn as nn\n\nclass M(nn.Module):\n    def forward(self, x):\n"
                      f"        return nn.{name}()(x)\n")
            assert [f.code for f in lint_source("example.py", source, [rule])] == [], name
    finally:
        engine.SCREENING = True


def test_tl301_screen_follows_the_viewed_name_to_a_permute_family_value():
    # a permute in the same function, but the viewed names are never assigned one
    _rejected("TL301", """
        import torch

        def attention(q, k, x, B, N, C):
            attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
            y = x.view(B, N * C)
            z = y
            return attn, z.view(B, N, C)
    """)
    for assignment in ("y = x.permute(0, 2, 1)", "t = x.transpose(1, 2); y = t", "y: torch.Tensor = x.mT",
                       "y = torch.transpose(x, 1, 2)"):
        assert _admitted("TL301", f"""
            import torch

            def f(x, B, N, C):
                {assignment}
                return y.view(B, N * C)
        """), assignment


def test_tl301_screen_counts_only_assignments_that_come_before_the_view():
    # As `reaching_assignments`: a permute assigned after the view (timm's levit: `x = x.view(...)`, then
    # `x = pool(x.permute(...)).permute(...)`), or in the view's own statement, does not reach it.
    _rejected("TL301", """
        import torch

        def forward(self, x, B, N, C):
            x = x.view(B, 7, 7, C)
            if self.pool is not None:
                x = self.pool(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            return x.reshape(B, -1, C)

        def own_statement(y, B, N, C):
            y = y.view(B, N * C).transpose(0, 1)
            return y

        def through_a_later_link(x, B, N, C):
            z = x
            y = z.view(B, N * C)
            x = x.transpose(1, 2)
            z = x
            return y
    """)
    for body in ("x = x.transpose(1, 2)\n    return x.view(B, N * C)",
                 "t = x.transpose(1, 2)\n    y = t\n    z = y\n    return z.view(B, N * C)",
                 "for _ in range(2):\n        x = x.transpose(1, 2)\n        y = x.view(B, N * C)\n    return y"):
        assert _admitted("TL301", f"import torch\n\ndef f(x, B, N, C):\n    {body}\n"), body
    # ... and the full analysis agrees on the first two
    for body in ("x = x.transpose(1, 2)\n    return x.view(B, N * C)",
                 "t = x.transpose(1, 2)\n    y = t\n    z = y\n    return z.view(B, N * C)"):
        source = f"import torch\n\ndef f(x):\n    B, N, C = x.shape\n    {body}\n"
        assert [f.code for f in lint_source("example.py", source, [registry.all_rules()["TL301"]])] == ["TL301"]


def test_tl602_screen_needs_an_eval_call_a_training_step_and_a_trained_model():
    _rejected("TL602", """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self, frozen):
                super().__init__()
                self.fc = nn.Linear(2, 2)
                for p in self.parameters():
                    p.requires_grad = not frozen

            def forward(self, x):
                for _ in range(3):
                    x = self.fc(x)
                return x
    """)
    _rejected("TL602", """
        import os
        import torch

        def report(model, loader):
            model.eval()
            print(sum(p.numel() for p in model.parameters()))
            for epoch in range(3):
                for x in loader:
                    print(os.path.join("out", str(model(x))))
    """)
    # an imported first-party helper may put the model in eval mode and train it (`test` may be a project file)
    for imports in ("from engine import evaluate, train_one_epoch", "from test import evaluate, train_one_epoch",
                    "from .engine import *"):
        assert _admitted("TL602", f"""
            import torch
            {imports}

            def main(model, loader):
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                for epoch in range(10):
                    train_one_epoch(model, loader, optimizer)
                    evaluate(model, loader)
        """), imports


def test_tl203_screen_needs_a_typable_single_argument_and_a_numpy_origin():
    _rejected("TL203", """
        import numpy as np
        import torch

        def make(model, values, kwargs):
            a = torch.tensor([1.0, 2.0])
            b = torch.as_tensor(values, dtype=torch.float32)
            c = torch.tensor(*values)
            d = torch.from_numpy(values, **kwargs)
            return model(a), model(b), model(c), model(d), np.pi
    """)
    _rejected("TL203", """
        import torch

        def make(model, values):
            return model(torch.from_numpy(values))  # no numpy import, no astype: no proven float64
    """)
    assert _admitted("TL203", """
        import numpy as np
        import torch

        def make(model):
            return model(torch.from_numpy(-np.random.rand(3, 4)))
    """)
    assert _admitted("TL203", """
        import torch

        def make(model, values):
            return model(torch.tensor(values.astype(float) * 2))
    """)


def test_tl203_screen_needs_a_named_arrays_value_assigned_unconditionally_before_the_conversion():
    # `_name_dtype` is None unless the last reaching assignment dominates the use: a parameter reassigned
    # only under `if`s (timm's `_n2p`), an assignment after the use or in another branch's block, or in
    # another scope, cannot make it float64.
    _rejected("TL203", """
        import numpy as np
        import torch

        def _n2p(w, t=True, idx=None):
            if idx is not None:
                w = w[idx]
            if t:
                w = np.array(w, dtype=np.float64).transpose([1, 0])
            return torch.from_numpy(w)

        def later(values):
            t = torch.from_numpy(values)
            values = np.zeros(3)
            return t

        def branches(flag):
            if flag:
                x = np.zeros(3)
            else:
                y = torch.from_numpy(x)
            return y

        def outer():
            z = np.zeros(3)

            def inner(z):
                return torch.from_numpy(z)
            return inner
    """)
    for body in ("x = np.zeros(3)\n    return model(torch.from_numpy(x))",
                 "x = np.zeros(3)\n    if flag:\n        return model(torch.from_numpy(x))",
                 "with open(p) as f:\n        x = np.loadtxt(f)\n    return model(torch.from_numpy(x))",
                 "if flag:\n        x = np.zeros(3)\n        return model(torch.from_numpy(x))",
                 "x = np.zeros(3)\n    x *= 2\n    return model(torch.from_numpy(x))",
                 "if (x := np.zeros(3)) is not None:\n        return model(torch.from_numpy(x))"):
        source = f"import numpy as np\nimport torch\n\ndef f(p, flag):\n    model = torch.nn.Linear(3, 1)\n    {body}\n"
        assert _admitted("TL203", source), body
        if "flag" not in body.split("\n", 1)[0] and ":=" not in body:
            found = lint_source("example.py", source, [registry.all_rules()["TL203"]])
            assert [f.code for f in found] == ["TL203"], body


def test_tl404_screen_needs_a_save_of_what_may_be_a_module_or_a_default_load_used_as_one():
    # timm's saves: a parameter, a `.state_dict()` is a call (admitted), a dict of literals and names
    # assigned under `if`; loads with `weights_only=`: nothing the rule could report.
    _rejected("TL404", """
        import torch

        def save(state_dict, path, flag):
            torch.save(state_dict, path)
            if flag:
                checkpoint = {"epoch": 3}
            torch.save({"state": checkpoint, "epoch": 1, **state_dict}, path)
            torch.save([state_dict[0], "x", *state_dict], path)

        def state(path, model, optimizer):
            torch.save(model.state_dict(), path)  # a method of a local: no constructor, no same-file function
            torch.save(path.state_dict(), path)  # `path` is no method's `self`: `resolve_call` finds nothing
            sd = optimizer.state_dict()
            torch.save({"model": sd, "epoch": 2}, path)

        def load(path, model):
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
            model.eval()
            return model(state)
    """)
    for body in ("torch.save(self.model, p)", "torch.save(model.module, p)", "torch.save(Net(), p)",
                 "m = Net().cuda()\n    torch.save(m, p)",
                 "m = Net()\n    torch.save({'model': m}, p)", "m = torch.load(p)\n    m.eval()",
                 "m = torch.load(p)\n    return m(1)", "return torch.load(p)['model'](1)"):
        source = f"import torch\n\nclass Net(torch.nn.Module):\n    pass\n\ndef f(self, p, model):\n    {body}\n"
        assert _admitted("TL404", source), body
        if body.startswith(("torch.save(Net", "m = ")):
            found = lint_source("example.py", source, [registry.all_rules()["TL404"]])
            assert [f.code for f in found] == ["TL404"], body
    assert _admitted("TL404", """
        import torch

        class Net(torch.nn.Module):
            if True:
                def save(this, p):
                    torch.save(this.state_dict(), p)  # a same-file method of `this` may return a module
    """)


def test_tl401_screen_needs_a_load_without_map_location():
    # `unmapped_load`, in source order: a `map_location` (keyword or second positional) that is not None,
    # or a `*`/`**` before it, leaves nothing to report.
    _rejected("TL401", """
        import torch
        import torch.distributed as dist

        def main(path, loc, kwargs, rest):
            dist.init_process_group("nccl")
            a = torch.load(path, map_location="cpu")
            b = torch.load(path, loc)
            c = torch.load(path, **kwargs)
            d = torch.load(*rest)
            return a, b, c, d
    """)
    for call in ("torch.load(path)", "torch.load(path, map_location=None)", "torch.load(path, None, *rest)",
                 "torch.load(path, weights_only=True)"):
        source = f"import torch\nimport torch.distributed as dist\n\ndef main(path, rest):\n" \
                 f"    dist.init_process_group('nccl')\n    return {call}\n"
        assert _admitted("TL401", source), call
        if "rest" not in call:
            found = lint_source("example.py", source, [registry.all_rules()["TL401"]])
            assert [f.code for f in found] == ["TL401"], call


def test_tl203_screen_reads_numpy_dtypes_by_name():
    # `array_dtype` of a call: numpy's explicit or default dtype, `.astype`, dtype-keeping methods.
    _rejected("TL203", """
        import numpy as np
        import torch

        def convert(model, image, label, size, self_type):
            a = torch.from_numpy(np.array(label, dtype=np.int64))
            b = torch.from_numpy(np.array(image, dtype=np.float32).transpose(2, 0, 1))
            c = torch.from_numpy(image.astype("float32"))
            d = torch.tensor(np.load(image))
            e = torch.from_numpy(np.asarray(image).reshape(-1))
            f = torch.tensor(size.item())
            g = torch.from_numpy(np.array(label, dtype=self_type.dtype))
            return model(a), model(b), model(c), model(d), model(e), model(f), model(g)
    """)
    for expr in ("np.random.rand(3, 4)", "np.zeros(3).reshape(-1)", "np.array([1.0, 2.0])", "x.astype(np.float64)",
                 "np.array(x, np.float64)", "np.zeros(3, dtype='f8')", "np.ones(3, dtype=float)",
                 "np.stack([np.zeros(3), np.ones(3)])", "-np.linspace(0, 1, 5)", "np.zeros(3).T",
                 "np.abs(np.zeros(3))"):
        source = (f"import numpy as np\nimport torch\n\ndef f(x):\n    model = torch.nn.Linear(3, 1)\n"
                  f"    return model(torch.from_numpy({expr}))\n")
        assert _admitted("TL203", source), expr
        if "x" not in expr:
            found = lint_source("example.py", source, [registry.all_rules()["TL203"]])
            assert [f.code for f in found] == ["TL203"], expr
    # through names: the assigned value is read too, and a name in it counts
    assert _admitted("TL203", """
        import numpy as np
        import torch

        def f():
            x = np.zeros(3)
            y = x.reshape(-1)
            return torch.nn.Linear(3, 1)(torch.from_numpy(y))
    """)


def test_tl202_screen_reads_the_dataloader_call_itself():
    from torchlint import rule_screens
    from torchlint.analysis import samplers

    assert rule_screens.DATALOADER == samplers.DATALOADER
    _rejected("TL202", """
        import torch
        from torch.utils.data import DataLoader, DistributedSampler

        def loaders(ds, args, kwargs, distributed):
            sampler = DistributedSampler(ds) if distributed else None
            a = DataLoader(ds, batch_size=8, shuffle=sampler is None, sampler=sampler)
            b = DataLoader(ds, 8, True, None)
            c = DataLoader(ds, *args, shuffle=True)
            d = DataLoader(ds, shuffle=True, **kwargs)
            return a, b, c, d
    """)
    for call in ("DataLoader(ds, shuffle=True, sampler=sampler)", "DataLoader(ds, 8, True, sampler)",
                 "Loader(ds, 8, True, None, batch_sampler)", "L(ds, batch_sampler=sampler, shuffle=True)"):
        assert _admitted("TL202", f"""
            from torch.utils.data import DataLoader as L, DistributedSampler

            class Loader(L):
                pass

            def make(ds, sampler):
                return {call}
        """), call


def test_tl501_screen_needs_a_wrapper_here_or_a_first_party_value_scripted():
    _rejected("TL501", """
        import torch
        from models import build

        def make():
            return torch.nn.Linear(2, 2)

        def export(path):
            net = make()
            built = build()
            return torch.jit.script(net), torch.jit.trace(torch.nn.Linear(2, 2), torch.zeros(1, 2)), built
    """)
    for body in ("return torch.jit.script(build())", "m = build(); return torch.jit.script(m)",
                 "return torch.jit.script(models.wrapped)", "return torch.jit.trace(func=wrapped, example_inputs=x)"):
        assert _admitted("TL501", f"""
            import torch
            import models
            from models import build, wrapped

            def export(x):
                {body}
        """), body


def test_tl703_screen_needs_the_variable_set_and_a_cuda_initialiser():
    _rejected("TL703", """
        import os
        import torch

        print(os.environ.get("CUDA_VISIBLE_DEVICES"))  # read, not set
        x = torch.zeros(3, device="cuda")
    """)
    _rejected("TL703", """
        import os

        # no cuda call at all (the text pre-check's "cuda" is in this comment and the variable)
        os.environ["CUDA_VISIBLE_DEVICES"] = "0"
    """)
    for setter in ('os.environ["CUDA_VISIBLE_DEVICES"] = "0"', 'os.putenv("CUDA_VISIBLE_DEVICES", "0")',
                   'os.environ.setdefault("CUDA_VISIBLE_DEVICES", "0")', 'os.environ.update(CUDA_VISIBLE_DEVICES="0")',
                   'os.environ.update({"CUDA_VISIBLE_DEVICES": "0"})'):
        for initialiser in ("torch.cuda.set_device(0)", 'x = torch.ones(2).to("cuda:0")'):
            assert _admitted("TL703", f"""
                import os
                import torch

                {initialiser}
                {setter}
            """), (setter, initialiser)


def test_tl101_screen_asks_the_project_which_imported_names_are_classes_of_other_files():
    from torchlint.analysis.project import Project

    folder = os.path.join(ROOT, "tests", "projects", "tl101_imported_layer")
    path = os.path.join(folder, "net.py")
    project = Project.for_paths([folder])
    rule = registry.all_rules()["TL101"]

    def fires(source, given=project):
        return [r.code for r in screen_rules(source, [rule], path=path, project=given)] == ["TL101"]

    with open(path, encoding="utf-8") as handle:
        real = handle.read()
    assert fires(real)  # `ConvBlock(8)`, `blocks.ConvBlock(8)`: classes of models/blocks.py
    quiet = textwrap.dedent("""
        import torch
        from torch import nn

        import models.blocks as blocks
        from models.blocks import ConvBlock

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = ConvBlock(8)

            def forward(self, x):
                return torch.relu(blocks.missing(self.head(x)))  # no class of another file is built here
    """)
    assert not fires(quiet)
    engine.SCREENING = False
    try:
        assert not [f for f in lint_source(path, quiet, [rule], project) if f.code == "TL101"]
    finally:
        engine.SCREENING = True
    assert not fires(real, given=None)  # no project: `class_of` is always None, only same-file classes count
    assert [r.code for r in screen_rules(quiet, [rule])] == ["TL101"]  # not told: any first-party import counts


def test_tl001_screen_needs_a_tl_code_in_a_noqa_comment():
    _rejected("TL001", """
        import torch  # noqa: F401
        x = 1  # noqa
        y = 2  # noqa: TL000
        z = 3  # noqa: TL001, TL301
    """)
    assert _admitted("TL001", "import torch\nx = 1  # noqa: E501, TL301\n")
    assert _admitted("TL001", "import torch\nx = 1  # NOQA:TL9\n")  # an unknown code is reported too


@pytest.mark.parametrize("code, source, fires", [
    ("TL401", "import json\nwith open(p) as f:\n    cfg = json.load(f)\n", False),
    ("TL401", "import pickle, torch\nstate = pickle.load(f)\nx = torch.zeros(1)\n", False),
    ("TL401", "from . import torch\nstate = torch.load(f)\n", False),  # relative: never torch
    ("TL401", "import torch as t\nstate = t.load(f)\n", True),
    ("TL401", "from torch import load as restore\nstate = restore(f)\n", True),
    ("TL401", "import torch\nL = torch.load\nM = L\nstate = M(f)\n", True),  # aliases of aliases
    ("TL401", "def f():\n    import torch\n    return torch.load(p)\n", True),  # an import anywhere binds
    ("TL404", "import numpy as np\nnp.save('a.npy', x)\nnp.load('a.npy')\n", False),
    ("TL405", "import torch\nmodel.save(path)\n", False),
    ("TL405", "import torch.nn\ntorch.save(x[:3], path)\n", True),
    ("TL701", "import torch, time\nclass T:\n    def time(self): ...\nT().time()\nx.cuda()\n", False),
    ("TL701", "from time import perf_counter as clock\nt0 = clock()\nt1 = clock()\n", True),
    ("TL802", "import torch\nfrom mylib import Variable\nv = Variable(x)\n", False),
    ("TL802", "from torch.autograd import Variable\nv = Variable(x)\n", True),
    ("TL502", "def hexval(s):\n    return int(s, 16) + int(s, base=2) + int(s, 0)\n", False),
    ("TL502", "def f(s, b):\n    return int(s, b) + int(*s) + int(s, 1.5)\n", False),
    ("TL502", "import os\nrank = int(os.getenv('LOCAL_RANK'), -1)\n", True),
    ("TL502", "rank = int(s, base=1)\n", True),
    ("TL502", "rank = int(s, +37)\n", True),
    ("TL603", "def train(model):\n    model.requires_grad = False  # not a parameter loop\n    model.train()\n", False),
    ("TL603", "def f(backbone):\n    backbone.requires_grad_(False)\n    return 'train('\n", False),
    ("TL603", "backbone.requires_grad_(False)\nmodel.train()\n", True),
    ("TL603", "for p in backbone.parameters():\n    p.requires_grad = False\nmodel.train(True)\n", True),
])  # fmt: skip
def test_the_sharper_screens(code, source, fires):
    from torchlint.rule_screens import passes

    assert passes(code, parse_facts(source)) is fires


@pytest.mark.parametrize("source, fires", [
    ("import torch\nwith torch.autocast('cuda'):\n    y = model(x)\n", False),  # the new spelling
    ("from torch.amp import GradScaler\nscaler = GradScaler('cuda')\n", False),
    ("import torch\nwith torch.cuda.amp.autocast():\n    y = model(x)\n", True),
    ("from torch.cuda.amp import custom_fwd\nclass F:\n    @custom_fwd\n    def forward(ctx, x): ...\n", True),  # bare
    ("from apex import amp\n", True),
])  # fmt: skip
def test_the_deprecated_amp_screen(source, fires):
    from torchlint.rule_screens import passes

    assert passes("TL804", parse_facts(source)) is fires


@pytest.mark.parametrize("source, fires", [
    ("import time, torch\ndef wait(timeout):\n    deadline = time.time() + timeout\n    x.cuda()\n", False),  # one read
    ("import time, torch\nstart = time.time()\ndef f():\n    return time.time() - start\n", False),  # two scopes
    ("import time, torch\ndef f(m, x):\n    t0 = time.time()\n    m(x.cuda())\n    return time.time() - t0\n", True),
    ("from time import perf_counter as clock\nimport torch\nclass B:\n    a = clock()\n    b = clock()\n", True),
])  # fmt: skip
def test_the_cuda_timing_screen_needs_two_clock_reads_in_one_scope(source, fires):
    from torchlint.rule_screens import passes

    assert passes("TL701", parse_facts(source)) is fires


def test_every_finding_of_a_rule_with_text_needs_has_the_text():
    from torchlint.rule_screens import TEXT_NEEDS, text_allows

    rules = [r for r in registry.select_rules(["ALL"]) if r.code in TEXT_NEEDS]
    seen = set()
    for code, where in _snippets().items():
        engine.SCREENING = False
        try:
            findings = lint_source("example.py", code, rules)
        finally:
            engine.SCREENING = True
        for finding in findings:
            if finding.code in TEXT_NEEDS:
                seen.add(finding.code)
                assert text_allows(finding.code, code), f"{where}: {finding.code} without {TEXT_NEEDS[finding.code]}"
    assert seen == set(TEXT_NEEDS)  # every such rule was seen firing


def test_the_flake8_plugin_drops_rules_whose_text_needs_fail():
    from torchlint.flake8_plugin import TorchlintChecker

    source = "import megengine as mge\nimport numpy as np\nx = mge.tensor(np.zeros(3))\ny = mge.load(path)\n"
    checker = TorchlintChecker(ast.parse(source), "m.py", source.splitlines(True))
    assert {"TL203", "TL401"} <= set(checker._text_candidates(source)) and checker._screened(source) == ()


@pytest.mark.parametrize("source, fires", [
    ("import timm\nmodel = timm.create_model('resnet50', pretrained=True)\n", False),
    ("from torchvision import transforms\nt = transforms.Resize(3)\nm = build(pretrained=True)\n", False),
    ("import torchvision.models as models\nm = models.resnet50(pretrained=True)\n", True),
    ("from torchvision.models.resnet import resnet18\nm = resnet18(pretrained=True)\n", True),  # the table's alias
    ("import torchvision.models as models\nm = models.__dict__[arch](pretrained=True)\n", True),
])  # fmt: skip
def test_the_pretrained_screen_needs_a_torchvision_builder(source, fires):
    from torchlint.rule_screens import passes

    assert passes("TL803", parse_facts(source)) is fires


def test_tl601_screen_skips_self_calls_and_given_the_path_pytest_tests():
    from types import SimpleNamespace

    from torchlint.analysis.modes import pytest_file
    from torchlint.screens import pytest_path

    for path in ("tests/test_x.py", "a/tests/b.py", "x_test.py", "conftest.py", "train.py", "a\\tests\\b.py",
                 "testing/x.py"):
        assert pytest_path(path) == pytest_file(SimpleNamespace(path=path)), path
    _rejected("TL601", """
        import torch

        class Net:
            @torch.no_grad()
            def predict(self, x):
                return self(x)
    """)
    rule = registry.all_rules()["TL601"]
    source = textwrap.dedent("""
        import torch

        @torch.no_grad()
        def test_forward_shape():
            model = make()
            assert model(torch.zeros(1, 3)).shape == (1, 2)
    """)
    assert [r.code for r in screen_rules(source, [rule], path="train.py", project=None)] == ["TL601"]
    assert not screen_rules(source, [rule], path="tests/test_model.py", project=None)
    engine.SCREENING = False
    try:
        assert not [f for f in lint_source("tests/test_model.py", source, [rule]) if f.code == "TL601"]
    finally:
        engine.SCREENING = True
    loaded = source + "    model.load_state_dict(state)\n"  # a loaded model run under no_grad: the frozen check
    assert [r.code for r in screen_rules(loaded, [rule], path="tests/test_model.py", project=None)] == ["TL601"]


def test_a_first_party_package_named_like_a_third_party_one_is_still_screened_in(tmp_path):
    # Linting timm's own repository: `from timm.layers import Mlp` is first-party there.  No guess about
    # third-party names may screen the file out; what decides is whether a folder of the file or above
    # holds the module (Project.resolve_module's search dirs).
    repo = tmp_path / "repo"
    (repo / "timm" / "models").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname = 'timm'\n")
    (repo / "timm" / "__init__.py").write_text("")
    (repo / "timm" / "models" / "__init__.py").write_text("")
    (repo / "timm" / "layers.py").write_text(textwrap.dedent("""
        import torch.nn as nn

        class Mlp(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(width, width)

            def forward(self, x):
                return self.fc(x)
    """))
    net = repo / "timm" / "models" / "net.py"
    net.write_text(textwrap.dedent("""
        import torch.nn as nn
        import timm.layers

        class Net(nn.Module):
            def forward(self, x):
                return timm.layers.Mlp(x.shape[-1])(x)
    """))
    codes = ("TL101",)
    found = {}
    for screen in (True, False):
        job = runner.Job(rule_codes=codes, root=str(repo), screen=screen, timeout=0)
        found[screen] = [_key(r.findings) for r in runner._run(job, [str(net)], 1)]
    assert found[True] == found[False] and "TL101" in str(found[True])
    from torchlint.flake8_plugin import TorchlintChecker

    text = net.read_text()
    assert "TL101" in TorchlintChecker(ast.parse(text), str(net), text.splitlines(True))._screened(text)
    # the same file outside such a repository: `timm` is third-party, the screen needs no project to say so
    elsewhere = tmp_path / "elsewhere" / "net.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text(text)
    assert "TL101" not in TorchlintChecker(ast.parse(text), str(elsewhere), text.splitlines(True))._screened(text)


def _fires(code: str, path, project) -> bool:
    """Does `code`'s screen fire on the file at `path`, told its path and `project`?"""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    rule = registry.all_rules()[code]
    return [r.code for r in screen_rules(source, [rule], path=str(path), project=project)] == [code]


def _full_findings(code: str, path, project) -> list:
    """`code`'s findings in the file at `path` with no screens."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    engine.SCREENING = False
    try:
        return [f.code for f in lint_source(str(path), source, [registry.all_rules()[code]], project) if f.code == code]
    finally:
        engine.SCREENING = True


def test_tl201_screen_follows_imported_names_to_a_module_that_builds_a_sampler(tmp_path):
    # A loop over a loader built two modules away, through a package's star re-export: in (and found).
    # A model file in the same package that imports only constants through that same package (whose
    # other module builds a sampler): out, and the full analysis finds nothing there either.
    from torchlint.analysis.project import Project

    repo = tmp_path / "repo"
    (repo / "pkg" / "data").mkdir(parents=True)
    (repo / "setup.cfg").write_text("")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "data" / "__init__.py").write_text("from .constants import *\nfrom .loader import build\n")
    (repo / "pkg" / "data" / "constants.py").write_text("MEAN = (0.5, 0.5, 0.5)\n")
    (repo / "pkg" / "data" / "loader.py").write_text(textwrap.dedent("""
        from torch.utils.data import DataLoader, DistributedSampler

        def build(ds):
            return DataLoader(ds, sampler=DistributedSampler(ds))
    """))
    train = repo / "train.py"
    train.write_text(textwrap.dedent("""
        from pkg.data import build

        def main(ds):
            loader = build(ds)
            for epoch in range(3):
                for batch in loader:
                    pass
    """))
    model = repo / "pkg" / "model.py"
    model.write_text(textwrap.dedent("""
        from pkg.data import MEAN

        def normalise(xs):
            for x in xs:
                yield [v - m for v, m in zip(x, MEAN)]
    """))
    project = Project.for_paths([str(repo)])
    assert _fires("TL201", train, project) and _full_findings("TL201", train, project) == ["TL201"]
    assert not _fires("TL201", model, project) and _full_findings("TL201", model, project) == []
    assert not _fires("TL201", train, None)  # no project: nothing is first-party, and no sampler is spelled here
    assert [r.code for r in screen_rules(train.read_text(), [registry.all_rules()["TL201"]])] == ["TL201"]


def test_tl201_screen_reads_the_sampler_name_in_code_not_in_comments_or_docstrings(tmp_path):
    # timm's reader_tfds.py: "similar to common handling in DistributedSampler" in a docstring.
    from torchlint.analysis.project import Project

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "setup.cfg").write_text("")
    reader = repo / "reader.py"
    reader.write_text(textwrap.dedent('''
        import torch

        class Reader:
            """Shards like DistributedSampler does, but by hand."""

            def __iter__(self):
                for epoch in range(3):  # DistributedSampler-style shuffling below
                    for sample in self.ds:
                        yield sample
    '''))
    aliased = repo / "train.py"
    aliased.write_text(textwrap.dedent("""
        from torch.utils.data.distributed import DistributedSampler as DS

        def main(ds, loader):
            for epoch in range(3):
                for batch in loader:
                    pass
    """))
    project = Project.for_paths([str(repo)])
    assert not _fires("TL201", reader, project) and _full_findings("TL201", reader, project) == []
    assert _fires("TL201", aliased, project)


def test_tl201_screen_records_what_it_read_for_the_findings_cache(tmp_path):
    # Screened out, the file's findings are cached with the modules the screen read: editing one of them
    # to build a sampler must invalidate them (as the full analysis's reads would).
    from torchlint.analysis.project import Project

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "setup.cfg").write_text("")
    helpers = repo / "helpers.py"
    helpers.write_text("def build(ds):\n    return ds\n")
    train = repo / "train.py"
    train.write_text("from helpers import build\nfrom missing import other\n\ndef main(ds):\n"
                     "    for epoch in range(3):\n        for b in build(ds):\n            pass\n")
    project = Project.for_paths([str(repo)])
    with project.recording() as consulted:
        assert not _fires("TL201", train, project)
    assert consulted.get(str(helpers)) is not None  # read, with its content hash
    assert str(repo / "missing.py") in consulted and consulted[str(repo / "missing.py")] is None  # looked for


def test_a_reach_that_would_parse_far_more_than_the_file_answers_true_and_goes_on_later(tmp_path):
    # A stdlib-like package whose imports reach many modules: a screen's question parses at most
    # REACH_BYTES_PER_BYTE times the file's size (REACH_MIN_BYTES at least) of modules not read before,
    # then answers True (the file is parsed instead); what it read stays, so a later question goes on.
    from torchlint import screens
    from torchlint.analysis.project import Project

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "setup.cfg").write_text("")
    filler = "def f():\n    return 1\n" * 400  # ~9 kB a module
    for i in range(30):
        (repo / f"m{i}.py").write_text(f"import m{i + 1}\n{filler}" if i < 29 else filler)
    train = repo / "train.py"
    train.write_text("import m0\n\ndef main(loader):\n"
                     "    for epoch in range(3):\n        for b in loader:\n            pass\n")
    project = Project.for_paths([str(repo)])
    rule = registry.all_rules()["TL201"]
    old = screens.REACH_MIN_BYTES
    screens.REACH_MIN_BYTES = 50_000
    try:
        assert _fires("TL201", train, project)  # unsure within its budget: admitted
        assert 50_000 < project.table_bytes_parsed < 80_000
        assert _full_findings("TL201", train, project) == []
        for _ in range(10):
            if not _fires("TL201", train, project):
                break  # each question went on from where the last stopped, until it knew
        assert not _fires("TL201", train, project)
        screens.REACH_MIN_BYTES = 1_000_000  # room for all of it: known at once
        assert [r.code for r in screen_rules(train.read_text(), [rule], path=str(train),
                                             project=Project.for_paths([str(repo)]))] == []
    finally:
        screens.REACH_MIN_BYTES = old


def test_tl103_screen_skips_attributes_of_the_methods_self():
    rule = registry.all_rules()["TL103"]
    quiet = textwrap.dedent("""
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(this, x):
                return this.dropout(x)  # an nn.Dropout attribute: follows the module's mode
    """)
    assert screen_rules(quiet, [rule]) == []
    for loud in ("return F.dropout(x, 0.2)", "return other.dropout(x)", "return dropout(x)"):
        source = quiet.replace("return this.dropout(x)", loud).replace("import torch.nn.functional as F",
                                                                      "import torch.nn.functional as F\n"
                                                                      "from torch.nn.functional import dropout")
        assert screen_rules(source, [rule]) == [rule], loud


def _screened_in_project(code: str, source: str, folder) -> bool:
    """`code`'s screen over `source` as `folder/example.py` with that folder's project, after checking that
    a full analysis agrees whenever the screen says no."""
    from torchlint.analysis.project import Project

    path = os.path.join(str(folder), "example.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(source))
    project = Project.for_paths([str(folder)])
    fires = _fires(code, path, project)
    if not fires:
        assert _full_findings(code, path, project) == []
    return fires


def test_tl601_screen_skips_methods_of_plain_classes_and_unnamed_callables_without_mode_layers(tmp_path):
    (tmp_path / "setup.cfg").write_text("")
    plain = """
        import torch

        class Handle:
            def _setattr(self, t):
                return t

            @torch.no_grad()
            def refresh(self, t):
                return self._setattr(t)  # the class's own method, not a model
    """
    assert not _screened_in_project("TL601", plain, tmp_path)
    second = "    def _setattr(self, t):\n        return t\n\n    @torch.no_grad()"
    twice = plain.replace("    @torch.no_grad()", second)
    assert _screened_in_project("TL601", twice, tmp_path)  # two defs: `resolve_call` does not know which
    positional_only = plain.replace("def refresh(self, t)", "def refresh(self, /, t)")
    assert not _screened_in_project("TL601", positional_only, tmp_path)
    callable_param = """
        import torch

        @torch.no_grad()
        def apply_all(fn, xs):
            return [fn(x) for x in xs]

        def main(xs):
            return apply_all(lambda t: t * 2, xs)
    """
    # No mode-dependent layer here or in what the project may read: only a model-like name can be reported.
    assert not _screened_in_project("TL601", callable_param, tmp_path)
    assert _screened_in_project("TL601", callable_param.replace("fn", "net"), tmp_path)
    with_layers = callable_param + "\nLAYER = torch.nn.Dropout(0.5)\n"
    assert _screened_in_project("TL601", with_layers, tmp_path)
    (tmp_path / "layers.py").write_text("import torch.nn as nn\n\nclass Block(nn.Module):\n"
                                        "    def __init__(self):\n        super().__init__()\n"
                                        "        self.drop = nn.Dropout(0.1)\n")
    imported = "from layers import Block\n" + textwrap.dedent(callable_param)
    assert _screened_in_project("TL601", imported, tmp_path)  # another file's class may be the one handed in


def test_tl602_screen_asks_the_project_for_a_remote_eval_and_training_step(tmp_path):
    # A loop that hands the model to first-party helpers: in only when a helper's module (or what it
    # may follow) spells an `eval` call; out when the helpers cannot put it in eval mode.
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "helpers.py").write_text(textwrap.dedent("""
        def train_one_epoch(model, loader, optimizer):
            for x, y in loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()

        def log(model):
            print(sum(p.numel() for p in model.parameters()))
    """))
    loop = """
        import torch
        from helpers import train_one_epoch, log

        def main(model, loader):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for epoch in range(10):
                train_one_epoch(model, loader, optimizer)
                log(model)
    """
    assert not _screened_in_project("TL602", loop, tmp_path)
    (tmp_path / "helpers.py").write_text((tmp_path / "helpers.py").read_text() + textwrap.dedent("""
        def evaluate(model, loader):
            model.eval()
            return [model(x) for x, _ in loader]
    """))
    assert _screened_in_project("TL602", loop.replace("log(model)", "evaluate(model, loader)"), tmp_path)


def test_the_engine_offers_each_screened_files_names_to_the_project_and_reuses_its_trees(tmp_path):
    from torchlint.analysis.project import Project
    from torchlint.analysis.summaries import names_table_of_source

    (tmp_path / "setup.cfg").write_text("")
    data = tmp_path / "data.py"
    data.write_text("import torch\nfrom torch.utils.data import DataLoader\n\ndef build(ds):\n"
                    "    return DataLoader(ds)\n")
    rules = [registry.all_rules()["TL201"]]
    project = Project.for_paths([str(tmp_path)])
    text = data.read_text()
    analyse(str(data), text, rules, project)
    assert project._tables[str(data)] == names_table_of_source(text)  # no parse of its own when asked later
    other = Project.for_paths([str(tmp_path)])
    analyse(str(data), text + "\nEXTRA = 1\n", rules, other)  # an editor's buffer, not what the disk holds
    assert str(data) not in other._tables
    third = Project.for_paths([str(tmp_path)])
    third._names(str(data))  # read for another file's lookup: its tree is kept ...
    kept = third.kept_tree(str(data), text)
    assert kept is not None and third.kept_tree(str(data), text + "\n") is None  # ... for exactly that text
