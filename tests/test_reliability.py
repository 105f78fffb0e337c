"""One hostile file never takes the run down, and nothing stalls (issue 14, items 1 and 2).

The hostile inputs are generated here, never committed.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time

import pytest

from torchlint import supervisor
from torchlint.engine import lint_source, too_deep
from torchlint.fixing import fix_source
from torchlint.flake8_plugin import TorchlintChecker
from torchlint.rule import Rule
from torchlint.runner import CHECK, Job, process_file, run

BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"
HOSTILE = {
    "parens.py": "x = " + "(" * 2000 + "1" + ")" * 2000 + "\n",
    "brackets.py": "x = " + "[" * 3000 + "]" * 3000 + "\n",
    "calls.py": "x = " + "f(" * 2000 + ")" * 2000 + "\n",
    "unary.py": "x = " + "-" * 10000 + "1\n",
}
POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs, /dev/zero and fork are POSIX")


def _cli(*args, cwd):
    result = subprocess.run(
        [sys.executable, "-m", "torchlint", "--select", "TL301", *args], capture_output=True, text=True, cwd=cwd,
        timeout=300,
    )
    return result.returncode, result.stdout, result.stderr


def _tree(tmp_path, hostile):
    (tmp_path / "a_buggy.py").write_text(BUGGY)
    for name, text in hostile.items():
        (tmp_path / name).write_text(BUGGY + text)  # the rule's text screen passes: the parser is reached
    (tmp_path / "z_buggy.py").write_text(BUGGY)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nesting_that_crashes_libcst_costs_only_that_file(tmp_path, jobs):
    _tree(tmp_path, HOSTILE)
    code, out, err = _cli("-j", jobs, ".", cwd=tmp_path)
    assert "Traceback" not in err
    lines = out.splitlines()
    assert any(line.startswith("a_buggy.py:2:") and "TL301" in line for line in lines), out
    assert any(line.startswith("z_buggy.py:2:") and "TL301" in line for line in lines), out
    for name in HOSTILE:
        assert any(line.startswith(f"{name}:") and "TL000 could not analyse" in line for line in lines), out
    assert code == 1


def test_the_screen_names_the_problem_plainly():
    assert "too many nested parentheses" in str(too_deep(HOSTILE["parens.py"]))
    assert "more than 1000 operators" in str(too_deep(HOSTILE["unary.py"]))
    assert too_deep("# " + "-" * 3000 + "\n" + "s = '" + "(" * 500 + "'\n") is None  # comments, strings


def _crash_or_echo(arg, item):
    if item == "crash":
        ctypes.string_at(0)  # a real SIGSEGV, like libcst's native parser overflowing its stack
    if item == "hang":
        time.sleep(60)
    return (arg, item)


@POSIX
@pytest.mark.parametrize("workers", [1, 2])
def test_a_dead_or_stuck_worker_costs_only_its_item(workers):
    items = ["a", "crash", "b", "hang", "c", "crash", "d"]
    results = supervisor.supervised_map(
        _crash_or_echo, "job", items, workers, 1.0, lambda item, how, code: (how, item, code)
    )
    assert results[0] == ("job", "a") and results[2] == ("job", "b") and results[6] == ("job", "d")
    assert results[1] == (supervisor.CRASHED, "crash", -signal.SIGSEGV) == results[5]
    assert results[3][:2] == (supervisor.TIMED_OUT, "hang")


def test_a_slow_file_is_skipped_after_the_time_budget(tmp_path):
    (tmp_path / "a_buggy.py").write_text(BUGGY)
    (tmp_path / "slow.py").write_text(BUGGY + "x = a" + "[0]" * 3000 + "\n")  # libcst needs many seconds
    code, out, err = _cli("--timeout", "0.5", "-j", "1", ".", cwd=tmp_path)
    assert "slow.py:1:1: TL000 could not analyse: skipped: analysis took longer than 0.5 s" in out
    assert "a_buggy.py:2:" in out and code == 1


def _elif_chain(branches):
    return BUGGY + "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, branches))


def test_a_long_elif_chain_is_simply_linted(tmp_path):
    (tmp_path / "chain.py").write_text(_elif_chain(500))
    code, out, err = _cli("-j", "1", ".", cwd=tmp_path)
    assert "Traceback" not in err
    assert out.startswith("chain.py:2:") and "TL301" in out and "TL000" not in out


def test_a_long_elif_chain_is_linted_in_process_too():  # stdin, editors: no supervised worker there
    from torchlint import registry

    findings = lint_source("chain.py", _elif_chain(500), [registry.all_rules()["TL301"]])
    assert [(f.code, f.line) for f in findings] == [("TL301", 2)]
    fixed = fix_source("chain.py", _elif_chain(500), [registry.all_rules()["TL301"]])
    assert fixed.source == _elif_chain(500).replace(".view(", ".reshape(") and fixed.findings == []


class _BadError(Exception):
    def __str__(self):
        raise RecursionError("maximum recursion depth exceeded while getting the repr of an object")


class _BrokenRule(Rule):
    code = "TL992"
    name = "test-broken"
    summary = why = bad = good = "test"

    def check(self, ctx):
        raise _BadError()


def test_the_last_resort_handlers_never_format_a_hostile_exception(monkeypatch, tmp_path):
    findings = lint_source("f.py", "x = 1\n", [_BrokenRule()])
    assert [f.message for f in findings] == ["could not analyse: internal error in TL992 (test-broken): _BadError"]
    import torchlint.runner as runner

    def explode(job, path):
        raise _BadError()

    monkeypatch.setattr(runner, "_process", explode)
    [finding] = process_file(Job(), str(tmp_path / "f.py")).findings
    assert finding.message == "could not analyse: internal error: _BadError"


def test_internal_errors_exit_2(tmp_path):
    (tmp_path / "buggy.py").write_text(BUGGY)
    script = (
        "import sys, torchlint.engine as e\n"
        "def boom(*a, **k):\n    raise ValueError('boom')\n"
        "e.lint_source = boom\nimport torchlint.runner as r\nr.lint_source = boom\n"
        "from torchlint.cli import main\nsys.exit(main(['--select', 'TL301', '-j', '1', 'buggy.py']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert "internal error: ValueError: boom" in result.stdout
    assert result.returncode == 2


@POSIX
def test_only_regular_files_are_read(tmp_path):
    os.mkfifo(tmp_path / "fifo.py")
    os.symlink("/dev/zero", tmp_path / "zero.py")
    (tmp_path / "real.py").write_text(BUGGY)
    os.symlink(tmp_path / "real.py", tmp_path / "link.py")
    code, out, err = _cli("-j", "1", ".", cwd=tmp_path)
    assert "fifo.py:1:1: TL000 could not analyse: not a regular file" in out
    assert "zero.py:1:1: TL000 could not analyse: not a regular file" in out
    assert "link.py:2:" in out and "real.py:2:" in out


def test_files_over_the_size_cap_are_skipped(tmp_path):
    (tmp_path / "big.py").write_text(BUGGY + "# padding\n" * 100)
    (tmp_path / "small.py").write_text(BUGGY)
    code, out, err = _cli("--max-file-size", "500", "-j", "1", ".", cwd=tmp_path)
    assert "big.py:1:1: TL000 could not analyse: skipped: the file is over the max-file-size of 500 bytes" in out
    assert "small.py:2:" in out
    results = run(Job(mode=CHECK, rule_codes=("TL301",), max_file_size=0), [str(tmp_path / "big.py")], 1)
    assert [f.code for f in results[0].findings] == ["TL301"]  # 0: no cap


def test_size_and_timeout_are_configurable(tmp_path):
    from torchlint.config import ConfigError, load_config

    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nmax-file-size = 1000\ntimeout = 2.5\n")
    config = load_config(start=str(tmp_path))
    assert (config.max_file_size, config.timeout) == (1000, 2.5)
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\ntimeout = 'long'\n")
    with pytest.raises(ConfigError, match="timeout must be a number"):
        load_config(start=str(tmp_path))


class _SegfaultRule(Rule):
    code = "TL993"
    name = "test-segfault"
    summary = why = bad = good = "test"

    def check(self, ctx):
        ctypes.string_at(0)
        return []


class _SlowRule(_SegfaultRule):
    def check(self, ctx):
        time.sleep(60)
        return []


@POSIX
@pytest.mark.parametrize("rule, message", [
    (_SegfaultRule(), "TL000 could not analyse: the parser crashed (nesting too deep?)"),
    (_SlowRule(), "TL000 could not analyse: skipped: analysis took longer than 0.5 s"),
])  # fmt: skip
def test_the_flake8_plugin_survives_a_crash_and_keeps_the_budget(monkeypatch, rule, message):
    import torchlint.supervisor

    monkeypatch.setattr(TorchlintChecker, "_rules", [rule])
    monkeypatch.setattr(torchlint.supervisor, "DEFAULT_TIMEOUT", 0.5)
    checker = TorchlintChecker(None, "train.py", BUGGY.splitlines(keepends=True))
    assert [text for _, _, text, _ in checker.run()] == [message]


@pytest.mark.parametrize("reason", ["skipped: analysis took longer than 20 s (the timeout setting)",
                                    "the parser crashed (nesting too deep?)", "internal error: ValueError: x"])
def test_a_timeout_or_crash_is_never_served_from_the_cache(tmp_path, reason):  # a loaded machine must not stick
    from torchlint.cache import Cache, RunCache
    from torchlint.findings import internal_finding
    from torchlint.runner import FileResult

    path = str(tmp_path / "slow.py")
    (tmp_path / "slow.py").write_text(BUGGY)
    cache = Cache(str(tmp_path / "cache"))
    RunCache(cache, {"k": 1}, [path]).store([FileResult(path, [internal_finding(path, reason)], deps={})])
    assert RunCache(cache, {"k": 1}, [path]).misses == [path]
    RunCache(cache, {"k": 1}, [path]).store([FileResult(path, [], deps={})])  # a clean result is cached
    assert RunCache(cache, {"k": 1}, [path]).misses == []


@POSIX
def test_the_project_model_never_opens_a_fifo(tmp_path):  # `import x` where x.py is a FIFO must not block
    os.mkfifo(tmp_path / "x.py")
    script = (
        "import sys\nfrom torchlint.analysis.project import Project\n"
        f"p = Project([{str(tmp_path)!r}])\nf = {str(tmp_path / 'x.py')!r}\n"
        "print(p.hash_of(f), p.summary(f))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "None None", result.stderr
