"""The flake8 plugin: same findings as the CLI, flake8's columns and noqa, opt-in rules off."""

import os
import subprocess
import sys

import pytest

from torchlint.flake8_plugin import TorchlintChecker

BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"


def flake8(tmp_path, source, *args):
    target = tmp_path / "train.py"
    target.write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args, str(target)], capture_output=True, text=True
    )
    return result.returncode, result.stdout.replace(str(target), "train.py")


def test_flake8_reports_with_cli_position_and_message(tmp_path):
    code, out = flake8(tmp_path, BUGGY, "--select", "TL")
    assert code == 1
    [line] = out.splitlines()
    assert line.startswith("train.py:2:31: TL301 `.view()` merges dim")


def test_same_findings_as_cli(tmp_path):
    from tests.helpers import lint

    finding = lint(BUGGY)[0]
    _, out = flake8(tmp_path, BUGGY, "--select", "TL")
    assert out.strip() == f"train.py:{finding.line}:{finding.column}: {finding.code} {finding.message}"


def test_flake8_handles_noqa(tmp_path):
    code, out = flake8(tmp_path, BUGGY.replace("(-1)", "(-1)  # noqa: TL301"), "--select", "TL")
    assert code == 0 and out == ""


def test_plugin_is_silent_and_cheap_on_files_without_torch_code():
    checker = TorchlintChecker(None, "plain.py", ["import os\n", "print(os.getcwd())\n"])
    assert list(checker.run()) == []


def test_plain_flake8_run_does_not_import_libcst_for_unrelated_files(tmp_path):
    target = tmp_path / "plain.py"
    target.write_text("import os\n\nprint(os.getcwd())\n")
    probe = (
        "import sys\nfrom flake8.main.cli import main\n"
        f"try:\n    main(['--isolated', '-j', '1', '--select', 'E9', {str(target)!r}])\n"
        "except SystemExit:\n    pass\n"
        "print('libcst' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout + result.stderr


# What the text pre-check admits but no screen fires on: the screens run over flake8's tree, no libcst.
STDLIB_LIKE = '''"""A stdlib-like module: a loop, a parser, a `step` and a `load` in the text."""
import argparse


def parse(argv, step=1):
    parser = argparse.ArgumentParser(description="load the files one step at a time")
    for name in argv[::step]:
        print(name, int("7"))
    return parser
'''
TORCH_QUIET = '''import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return torch.relu(self.fc(x)).view(-1)
'''


def test_screened_out_files_import_neither_libcst_nor_the_rules(tmp_path):
    stdlib_like, torch_quiet = tmp_path / "stdlib_like.py", tmp_path / "net.py"
    stdlib_like.write_text(STDLIB_LIKE)
    torch_quiet.write_text(TORCH_QUIET)
    # A package module whose loop may iterate a loader from a first-party import: TL201's screen builds the
    # project model and follows the import (Python's `ast` only) before it says no.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("def helper(batch):\n    return batch\n")
    worker = tmp_path / "pkg" / "worker.py"
    worker.write_text("from .util import helper\n\n\ndef run(loader):\n    for batch in loader:\n"
                      "        helper(batch)\n")
    probe = (
        "import ast, sys\nfrom flake8.main.cli import main\n"
        "from torchlint.flake8_plugin import TorchlintChecker\n"
        f"paths = [{str(stdlib_like)!r}, {str(torch_quiet)!r}, {str(worker)!r}]\n"
        "for path in paths:\n"
        "    text = open(path).read()\n"
        "    checker = TorchlintChecker(ast.parse(text), path, text.splitlines(True))\n"
        "    assert checker._text_candidates(text), path  # the screens are what decides\n"
        "    assert list(checker.run()) == [], path\n"
        "try:\n    code = main(['--isolated', '-j', '1', '--select', 'TL', *paths])\n"
        "except SystemExit as exit:\n    code = exit.code\n"
        "print('exit', code)\n"
        "print('libcst' in sys.modules, 'torchlint.registry' in sys.modules, 'torchlint.rule' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == ["exit 0", "False False False"], result.stdout + result.stderr


def test_a_screen_that_fires_lints_only_with_the_rules_that_passed(tmp_path):
    checker = TorchlintChecker(None, "train.py", BUGGY.splitlines(True))
    assert "TL301" in checker._screened(BUGGY) and "TL502" not in checker._screened(BUGGY)
    [(line, column, message, _)] = list(checker.run())
    assert (line, column) == (2, 30) and message.startswith("TL301 ")


def test_a_file_too_deep_or_mixing_indentation_is_not_screened():
    deep = "import torch\nx = " + "-" * 1200 + "1\nfor i in range(3):\n    x = x.view(-1)\n"
    checker = TorchlintChecker(None, "deep.py", deep.splitlines(True))
    assert checker._screened(deep) == checker._text_candidates(deep)
    mixed = "import torch\nif x:\n    y = x.view(2)\n\tz = 2\n"
    checker = TorchlintChecker(None, "mixed.py", mixed.splitlines(True))
    assert checker._screened(mixed) == checker._text_candidates(mixed)


# An opt-in rule's pitfall (TL403) next to a default rule's (TL301).
OPT_IN = '''import torch


def restore(model, x):
    model.load_state_dict(torch.load("c.pt", map_location="cpu"), strict=False)
    return x.permute(0, 2, 1).view(-1)
'''


def test_flake8s_selection_decides_which_rules_run(tmp_path):
    # Default selection: the opt-in rule is neither reported nor computed; selected, it is both.
    probe = (
        "import sys\nfrom flake8.main.cli import main\n"
        "from torchlint import flake8_plugin\n"
        "seen = []\n"
        "screened = flake8_plugin.TorchlintChecker._screened\n"
        "def spy(self, source):\n    codes = screened(self, source)\n    seen.append(codes)\n    return codes\n"
        "flake8_plugin.TorchlintChecker._screened = spy\n"
        "try:\n    main(['--isolated', '-j', '1', *sys.argv[1:]])\n"
        "except SystemExit:\n    pass\n"
        "print('screened', sorted(set(c for codes in seen for c in codes)))\n"
    )
    target = tmp_path / "train.py"
    target.write_text(OPT_IN)

    def run(*args):
        result = subprocess.run([sys.executable, "-c", probe, *args, str(target)], capture_output=True, text=True)
        lines = result.stdout.strip().splitlines()
        assert lines and lines[-1].startswith("screened"), result.stdout + result.stderr
        reported = sorted({line.split()[1] for line in lines[:-1] if " TL" in line})
        return reported, lines[-1]

    assert run() == (["TL301"], "screened ['TL301']")
    assert run("--extend-ignore", "TL301") == ([], "screened []")
    reported, screened = run("--select", "TL")  # a prefix selected explicitly selects the opt-in codes too
    assert reported == ["TL301", "TL403"] and "'TL403'" in screened
    assert run("--select", "TL403") == (["TL403"], "screened ['TL403']")


def test_without_flake8s_options_every_code_is_computed():
    checker = TorchlintChecker(None, "train.py", OPT_IN.splitlines(True))
    saved, TorchlintChecker._decisions = TorchlintChecker._decisions, None
    try:
        assert {"TL301", "TL403"} <= set(checker._screened(OPT_IN))
    finally:
        TorchlintChecker._decisions = saved


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the plugin lints in a forked worker only where fork exists")
def test_flake8s_process_never_imports_libcst_or_the_rules(tmp_path):
    # The worker imports them: held in flake8's process, their objects slowed every full collection there.
    probe = (
        "import sys\nfrom flake8.main.cli import main\n"
        "try:\n    main(['--isolated', '-j', '1', *sys.argv[1:]])\n"
        "except SystemExit:\n    pass\n"
        "print('parent', 'libcst' in sys.modules, any(m.startswith('torchlint.rules') for m in sys.modules))\n"
    )
    (tmp_path / "train.py").write_text(OPT_IN)
    (tmp_path / "quiet.py").write_text(OPT_IN.replace(".view(", ".reshape("))
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1] == "parent False False", result.stdout + result.stderr
    assert [line.split()[1] for line in lines[:-1]] == ["TL301"]  # linted, in the worker
    assert "train.py" in lines[0]
