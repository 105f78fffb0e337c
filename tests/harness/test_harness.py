"""Runtime harness: every fix is proven on a real program (see tests/harness/README.md).

For each case in tests/harness/cases/: the original program must show the symptom, the
real CLI must fix it, the rule must go quiet, and the fixed program must show no symptom
and compute the same outputs.  The pytest process never imports torch (except to ask
whether CUDA exists for a `gpu` case): all torch work happens in probe subprocesses.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import List

import pytest

from tests.harness.launch import launch

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
PROBE = HERE / "probe.py"
CLI_TIMEOUT_S = 120

# Module-level constants a case may set, and their defaults.
SETTINGS = {"UNSAFE": False, "WORLD_SIZE": 1, "GPU": False, "TIMEOUT": 120, "REQUIRES": ()}


@dataclass(repr=False)
class Case:
    path: Path
    code: str  # "TL301"
    id: str  # "TL301-attention-transpose"
    program: str
    unsafe: bool
    world_size: int
    gpu: bool
    timeout: float
    requires: tuple = ()  # packages the probes import besides torch (skipped when one is missing)

    def __repr__(self) -> str:  # keeps assertion messages short
        return f"<case {self.id}>"


def read_case(path: Path) -> Case:
    """A case's settings, read without importing it (importing would import torch)."""
    values = dict(SETTINGS)
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and (target.id in SETTINGS or target.id == "PROGRAM"):
                values[target.id] = ast.literal_eval(statement.value)
    if "PROGRAM" not in values:
        raise ValueError(f"{path}: a harness case needs PROGRAM = '''...''' (a string literal)")
    code, _, rest = path.stem.partition("_")
    return Case(
        path=path,
        code=code.upper(),
        id=f"{code.upper()}-{rest.replace('_', '-')}",
        program=textwrap.dedent(values["PROGRAM"]).lstrip("\n"),
        unsafe=values["UNSAFE"],
        world_size=values["WORLD_SIZE"],
        gpu=values["GPU"],
        timeout=values["TIMEOUT"],
        requires=tuple(values["REQUIRES"]),
    )


def discover_cases() -> List[Case]:
    return [read_case(path) for path in sorted(CASES_DIR.glob("tl[0-9][0-9][0-9]_*.py"))]


def _param(case: Case):
    marks = [pytest.mark.harness]
    if case.world_size > 1:
        marks.append(pytest.mark.ddp)
    if case.gpu:
        marks.append(pytest.mark.gpu)
    return pytest.param(case, id=case.id, marks=marks)


# -- running things ---------------------------------------------------------------------
def torchlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torchlint", *args],
        cwd=cwd, capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
    )  # fmt: skip


def findings(code: str, program: Path) -> list:
    """The CODE findings the real CLI reports on `program`."""
    result = torchlint("--select", code, "--format", "json", program.name, cwd=program.parent)
    assert result.returncode in (0, 1), f"torchlint failed:\n{result.stdout}\n{result.stderr}"
    return [f for f in json.loads(result.stdout) if f["code"] == code]


def run_probes(case: Case, program: Path) -> List[dict]:
    """The case's probes on `program`, one subprocess per rank; each rank's result."""
    results_dir = program.parent / "probe-results"
    results_dir.mkdir()
    argv = [sys.executable, str(PROBE), str(case.path), str(program), str(results_dir)]
    launch(argv, case.world_size, cwd=str(program.parent), timeout=case.timeout)
    return [json.loads((results_dir / f"rank{rank}.json").read_text()) for rank in range(case.world_size)]


@functools.cache
def cuda_available() -> bool:
    import torch  # only for `gpu` cases that are actually run

    return torch.cuda.is_available()


def _symptoms(results: List[dict]) -> str:
    return "\n".join(f"  rank {r['rank']}: {r['symptom']}" for r in results)


# -- the tests --------------------------------------------------------------------------
@pytest.mark.parametrize("case", [_param(case) for case in discover_cases()])
def test_harness(case: Case, tmp_path: Path):
    if case.gpu and not cuda_available():
        pytest.skip(f"{case.id} needs CUDA and torch.cuda.is_available() is False")
    missing = [name for name in case.requires if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{case.id} needs {', '.join(missing)}, which is not importable here")
    # An empty [tool.torchlint] table: no configuration from outside the temp dir applies.
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\n")
    original = tmp_path / "original" / "program.py"
    fixed = tmp_path / "fixed" / "program.py"
    for copy in (original, fixed):
        copy.parent.mkdir()
        copy.write_text(case.program)

    # The original's probes run in the background while the CLI fixes the copy and the
    # fixed program's probes run: the two phases are separate processes in separate dirs.
    with ThreadPoolExecutor(max_workers=1) as background:
        original_probes = background.submit(run_probes, case, original)
        fixed_text = apply_fix(case, original, fixed)
        after = run_probes(case, fixed)
        before = original_probes.result()

    print(f"{case.id}\nbefore the fix:\n{_symptoms(before)}\nafter the fix:\n{_symptoms(after)}")  # -rP shows it
    assert any(r["symptom"] for r in before), "case is broken: the original program shows no symptom"
    assert not any(r["symptom"] for r in after), (
        f"the symptom is still there after the fix:\n{_symptoms(after)}\nfixed program:\n{fixed_text}"
    )
    for old, new in zip(before, after):
        assert new.get("outputs") == old.get("outputs"), (
            f"rank {old['rank']}: the fixed program computes different outputs\nfixed program:\n{fixed_text}"
        )


def apply_fix(case: Case, original: Path, fixed: Path) -> str:
    """Fix `fixed` (a copy of `original`) with the real CLI, check the rule went quiet; its new text."""
    assert findings(case.code, original), f"case is broken: {case.code} does not fire on the original program"
    fix_args = ["--fix", "--select", case.code] + (["--unsafe-fixes"] if case.unsafe else [])
    result = torchlint(*fix_args, fixed.name, cwd=fixed.parent)
    assert result.returncode in (0, 1), f"torchlint --fix failed:\n{result.stdout}\n{result.stderr}"
    fixed_text = fixed.read_text()
    assert fixed_text != case.program, f"torchlint {' '.join(fix_args)} left the program unchanged"
    remaining = findings(case.code, fixed)
    assert not remaining, f"{case.code} still fires after the fix:\n{fixed_text}\n{remaining}"
    return fixed_text


@pytest.mark.harness
def test_every_fixable_rule_has_a_harness_case(tmp_path: Path):
    result = torchlint("rules", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    fixable = {rule["code"] for rule in json.loads(result.stdout) if rule["fix"] is not None}
    covered = {case.code for case in discover_cases()}
    missing = sorted(fixable - covered)
    assert not missing, (
        f"fixable rules without a runtime harness case: {', '.join(missing)} "
        f"(add tests/harness/cases/<code>_<what>.py, see tests/harness/README.md)"
    )
