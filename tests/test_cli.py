"""The command line: formats, exit codes, selection, fixing, diff, bad input."""

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from torchlint.cli import main

BUGGY = textwrap.dedent(
    """\
    import torch


    def merge_heads(x):
        B, H, T, D = x.shape
        return x.transpose(1, 2).view(B, T, H * D)  # heads last
    """
)
FIXED = BUGGY.replace(".view(", ".reshape(")
CLEAN = "import torch\n\nx = torch.zeros(3)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BUGGY)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_is_flake8_style_with_summary(project, capsys):
    code, out, _ = run(capsys, "pkg")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("pkg/model.py:6:30: TL301 [*] `.view()` merges")
    assert lines[-1] == "1 finding (1 fixable) in 2 files."


def test_clean_tree_exits_zero(project, capsys):
    code, out, _ = run(capsys, "pkg/clean.py")
    assert code == 0
    assert out.strip() == "0 findings (0 fixable) in 1 file."


def test_json_output(project, capsys):
    code, out, _ = run(capsys, "--format", "json", "pkg")
    assert code == 1
    [finding] = json.loads(out)
    assert finding == {
        "path": "pkg/model.py",
        "line": 6,
        "column": 30,
        "end_line": 6,
        "end_column": 34,
        "code": "TL301",
        "name": "view-after-permute",
        "message": finding["message"],
        "fix": {"applicability": "safe", "description": "replace `.view(` with `.reshape(`"},
    }


def test_exit_zero(project, capsys):
    assert run(capsys, "--exit-zero", "pkg")[0] == 0


def test_select_and_ignore_by_prefix(project, capsys):
    assert run(capsys, "--select", "TL5", "pkg")[0] == 0
    assert run(capsys, "--select", "TL3", "pkg")[0] == 1
    assert run(capsys, "--ignore", "TL3", "pkg")[0] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--select", "TL999"], "unknown rule code or prefix 'TL999'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["missing_dir"], "no such file or directory: missing_dir"),
        (["--jobs", "0"], "must be at least 1"),
        (["--fix", "--diff"], "cannot be used together"),
        (["--select="], "argument --select: expected at least one rule code"),
        (["--select", " , "], "argument --select: expected at least one rule code"),
        (["--ignore="], "argument --ignore: expected at least one rule code"),
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["-", "pkg"], "cannot be combined with other paths"),
    ],
)
def test_usage_errors_are_one_line_exit_2(project, capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("torchlint: error:") and message in err


def test_fix_rewrites_and_second_run_changes_nothing(project, capsys):
    target = project / "pkg" / "model.py"
    os.chmod(target, 0o754)
    code, out, _ = run(capsys, "--fix", "pkg")
    assert code == 0
    assert "Fixed 1 finding in 1 file." in out
    assert target.read_text() == FIXED
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o754
    before = os.stat(target).st_mtime_ns
    assert run(capsys, "--fix", "pkg")[0] == 0
    assert os.stat(target).st_mtime_ns == before
    assert not [p for p in os.listdir(project / "pkg") if p.startswith(".torchlint-")]


def test_fix_leaves_files_without_fixes_untouched(project, capsys):
    clean = project / "pkg" / "clean.py"
    before = os.stat(clean).st_mtime_ns
    run(capsys, "--fix", "pkg")
    assert os.stat(clean).st_mtime_ns == before


def test_diff_prints_and_writes_nothing(project, capsys):
    code, out, err = run(capsys, "--diff", "pkg")
    assert code == 1
    assert "-        return x.transpose(1, 2).view(B, T, H * D)  # heads last" not in out  # indentation is 4
    assert "-    return x.transpose(1, 2).view(B, T, H * D)  # heads last" in out
    assert "+    return x.transpose(1, 2).reshape(B, T, H * D)  # heads last" in out
    assert (project / "pkg" / "model.py").read_text() == BUGGY
    assert "1 file would be changed" in err
    assert run(capsys, "--diff", "pkg/clean.py")[0] == 0


def test_unsafe_fixes_only_when_asked(project, capsys):
    source = textwrap.dedent(
        """\
        import torch
        import torch.nn as nn


        def export(model):
            if torch.cuda.device_count() > 1:
                model = nn.DataParallel(model)
            return torch.jit.script(model)
        """
    )
    path = project / "export.py"
    path.write_text(source)
    code, out, _ = run(capsys, "--fix", "export.py")
    assert code == 1 and path.read_text() == source
    assert "1 more fixable with --unsafe-fixes" in out
    assert run(capsys, "--fix", "--unsafe-fixes", "export.py")[0] == 0
    assert "isinstance(model, nn.DataParallel)" in path.read_text()


def test_crlf_bom_and_encoding_are_preserved(project, capsys):
    path = project / "crlf.py"
    data = "\ufeff# -*- coding: utf-8 -*-\r\n# é\r\n" + BUGGY.replace("\n", "\r\n")
    path.write_bytes(data.encode("utf-8"))
    assert run(capsys, "--fix", "crlf.py")[0] == 0
    written = path.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    assert written == FIXED_CRLF(data).encode("utf-8")


def FIXED_CRLF(data):
    return data.replace(".view(", ".reshape(")


def test_latin1_file_is_written_back_as_latin1(project, capsys):
    path = project / "latin.py"
    text = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUGGY
    path.write_bytes(text.encode("latin-1"))
    assert run(capsys, "--fix", "latin.py")[0] == 0
    assert path.read_bytes() == text.replace(".view(", ".reshape(").encode("latin-1")


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"def broken(:\n    pass\n", "syntax error"),
        (b"x = 1\x00\n", "null byte"),
        (b"# -*- coding: utf-8 -*-\nx = '\xff\xfe'\n", "cannot decode"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "encoding"),
    ],
)
def test_bad_files_are_tl000_never_written_and_do_not_stop_the_run(project, capsys, content, reason):
    bad = project / "pkg" / "bad.py"
    bad.write_bytes(content + b"y = x.permute(1, 0).view(-1)\n")
    code, out, _ = run(capsys, "--fix", "pkg")
    assert code == 1
    assert bad.read_bytes() == content + b"y = x.permute(1, 0).view(-1)\n"
    lines = out.splitlines()
    assert any(line.startswith("pkg/bad.py:") and "TL000 could not analyse:" in line and reason in line
               for line in lines)
    assert (project / "pkg" / "model.py").read_text() == FIXED  # the other file was still fixed


def test_tl000_in_json_format(project, capsys):
    (project / "pkg" / "bad.py").write_text("def broken(:\n    y = x.permute(1, 0).view(-1)\n")
    code, out, _ = run(capsys, "--format", "json", "pkg/bad.py")
    assert code == 1
    [finding] = json.loads(out)
    assert finding["code"] == "TL000" and finding["fix"] is None
    assert (finding["line"], finding["column"]) == (1, 12)
    assert finding["message"] == "could not analyse: syntax error: invalid syntax"


def test_unreadable_file_is_tl000(project, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = project / "secret.py"
    path.write_text(BUGGY)
    os.chmod(path, 0)
    code, out, _ = run(capsys, "secret.py")
    assert code == 1 and "TL000 could not analyse: cannot read file" in out


def test_a_crashing_rule_is_reported_and_others_still_run(project, capsys, monkeypatch):
    from torchlint import registry

    rule = registry.all_rules()["TL501"]

    def explode(ctx):
        raise ValueError("boom")

    monkeypatch.setattr(rule, "check", explode)
    (project / "both.py").write_text(BUGGY + "import torch.nn as nn\nm = torch.jit.script(nn.DataParallel(net))\n")
    code, out, _ = run(capsys, "-j", "1", "both.py")
    assert code == 2  # torchlint itself failed (exit 2, like ruff); the other rules still reported
    assert "TL000 could not analyse: internal error in TL501 (script-dataparallel): ValueError: boom" in out
    assert "TL301" in out


def test_order_is_stable_whatever_the_number_of_processes(project, capsys):
    for i in range(30):
        (project / "pkg" / f"m{i:02d}.py").write_text(BUGGY * 2)
    _, one, _ = run(capsys, "-j", "1", "pkg")
    _, many, _ = run(capsys, "-j", "2", "pkg")
    assert one == many
    assert len(one.splitlines()) == 30 * 2 + 1 + 1  # findings + summary


def test_default_excludes_but_explicit_paths_are_linted(project, capsys):
    (project / "pkg" / "build").mkdir()
    (project / "pkg" / "build" / "gen.py").write_text(BUGGY)
    (project / ".venv").mkdir()
    (project / ".venv" / "lib.py").write_text(BUGGY)
    code, out, _ = run(capsys, ".")
    assert "gen.py" not in out and ".venv" not in out
    code, out, _ = run(capsys, "pkg/build/gen.py")
    assert "pkg/build/gen.py:6" in out


def test_noqa_comments(project, capsys):
    (project / "q.py").write_text(BUGGY.replace("# heads last", "# noqa: TL301"))
    assert run(capsys, "q.py")[0] == 0
    (project / "q.py").write_text(BUGGY.replace("# heads last", "# NOQA:TL501"))
    assert run(capsys, "q.py")[0] == 1
    (project / "q.py").write_text(BUGGY.replace("# heads last", "# noqa"))
    assert run(capsys, "q.py")[0] == 0
    (project / "q.py").write_text("# torchlint: noqa\n" + BUGGY)
    assert run(capsys, "q.py")[0] == 0
    (project / "q.py").write_text("# torchlint: noqa: TL501\n" + BUGGY)
    assert run(capsys, "q.py")[0] == 1


def test_noqa_line_is_not_fixed(project, capsys):
    (project / "q.py").write_text(BUGGY.replace("# heads last", "# noqa: TL301"))
    run(capsys, "--fix", "q.py")
    assert ".view(" in (project / "q.py").read_text()


def test_rules_listing(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("TL301"))
    assert "view-after-permute" in line and " on " in line and "fix: safe" in line
    opt_in = next(line for line in out.splitlines() if line.startswith("TL102"))
    assert " opt-in " in opt_in and " off " not in opt_in  # the README's word too
    columns = {line.index(" " + line.split()[2] + " ") for line in out.splitlines()}  # where on/opt-in starts
    assert len(columns) == 1  # aligned, even after the longest name (cudnn-benchmark-with-deterministic)
    code, out, _ = run(capsys, "rules", "--format", "json")
    entries = {e["code"]: e for e in json.loads(out)}
    assert entries["TL301"] == {
        "code": "TL301", "name": "view-after-permute", "summary": entries["TL301"]["summary"],
        "default": True, "fix": "safe",
    }
    assert entries["TL501"]["fix"] == "sometimes"


def test_explain_tl000(capsys):  # users meet TL000 in every report and ask what it is
    code, out, _ = run(capsys, "explain", "tl000")
    assert code == 0 and out.startswith("TL000 could-not-analyse") and "timeout" in out


def test_explain(capsys):
    code, out, _ = run(capsys, "explain", "tl301")
    assert code == 0
    for heading in ("TL301 view-after-permute", "Why it matters", "Example", "Use instead", "Fix", "view size is not"):
        assert heading in out
    assert run(capsys, "explain", "TL999")[0] == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("torchlint ")


def test_console_entry_point_runs_without_importing_torch(project):
    probe = (
        "import sys, runpy; sys.argv = ['torchlint', '--select', 'ALL', 'pkg'];"
        "\ntry:\n    runpy.run_module('torchlint', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code"
        "\nassert 'torch' not in sys.modules and 'numpy' not in sys.modules, 'lint path imported torch'"
        "\nprint('exit', code)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("exit 1")


# --- file selection: issue 8's bugs -------------------------------------------------------------------------


def test_a_directory_under_a_default_excluded_name_is_linted_from_any_working_directory(tmp_path, monkeypatch, capsys):
    # `cd /tmp/x && torchlint build/proj` used to lint 0 files: default excludes matched the given path.
    proj = tmp_path / "build" / "proj"
    proj.mkdir(parents=True)
    (proj / "model.py").write_text(BUGGY)
    (proj / "dist").mkdir()
    (proj / "dist" / "gen.py").write_text(BUGGY)  # below the given path: still excluded
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "build/proj")
    assert code == 1
    assert "build/proj/model.py:6:30: TL301" in out and "gen.py" not in out
    monkeypatch.chdir(tmp_path / "build")
    assert "proj/model.py:6:30: TL301" in run(capsys, "proj")[1]


def test_a_checkout_inside_a_venv_folder_is_linted(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "venv" / "site-packages" / "repo"
    repo.mkdir(parents=True)
    (repo / "train.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    assert "TL301" in run(capsys, "venv/site-packages/repo")[1]
    monkeypatch.chdir(repo)
    assert "train.py:6:30: TL301" in run(capsys, ".")[1]


def test_zero_files_linted_although_a_path_was_given_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# notes\n")
    code, out, err = run(capsys, "docs")
    assert code == 0
    assert "warning: no files linted" in err and "docs" in err


def test_force_exclude_applies_exclude_to_named_files(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nexclude = ["legacy"]\n')
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(BUGGY)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "gen.py").write_text(BUGGY)
    (tmp_path / "new.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    assert "legacy/old.py:6" in run(capsys, "legacy/old.py")[1]  # named: linted, as flake8 and ruff do
    code, out, err = run(capsys, "--force-exclude", "legacy/old.py", "build/gen.py", "new.py")
    assert code == 1
    assert "new.py:6" in out and "legacy" not in out and "build" not in out
    code, out, err = run(capsys, "--force-exclude", "legacy/old.py")
    assert code == 0 and "every path given is excluded" in err


def test_force_exclude_never_looks_above_the_project(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "build" / "proj"
    proj.mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[tool.torchlint]\n")
    (proj / "a.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    assert "TL301" in run(capsys, "--force-exclude", "build/proj/a.py")[1]


@pytest.mark.parametrize("name", ["data.json", "notes.txt", "model.pyx"])
def test_a_file_torchlint_cannot_lint_never_passes_silently(project, capsys, name):
    (project / name).write_text('{"x": [1, 2]}\n')  # parses as a Python expression
    code, out, _ = run(capsys, name)
    assert code == 1
    assert f"{name}:1:1: TL000 could not analyse: not a Python file or notebook" in out


def test_a_script_without_suffix_named_on_the_command_line_is_python(project, capsys):
    (project / "train").write_text(BUGGY)
    assert "train:6:30: TL301" in run(capsys, "train")[1]


def _many_findings(tmp_path):
    (tmp_path / "big.py").write_text("def f(x):\n" + "    y = x.permute(0, 2, 1).view(-1)\n" * 1000)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_closed_pipe_ends_the_run_quietly(tmp_path, fmt):
    import shutil

    if not (shutil.which("sh") and shutil.which("head")):
        pytest.skip("needs sh and head")
    _many_findings(tmp_path)
    command = f"{sys.executable} -m torchlint --format {fmt} big.py | head -1"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.stdout.strip()
    assert result.stderr == ""  # no BrokenPipeError traceback


def test_repeated_select_is_a_union(project, capsys):
    (project / "both.py").write_text(BUGGY + "import torch.nn as nn\nm = torch.jit.script(nn.DataParallel(net))\n")
    code, out, _ = run(capsys, "--format", "json", "--select", "TL3", "--select", "TL501", "both.py")
    assert sorted(f["code"] for f in json.loads(out)) == ["TL301", "TL501"]
    code, out, _ = run(capsys, "--format", "json", "--ignore", "TL3", "--ignore", "TL5", "both.py")
    assert json.loads(out) == []


# --- stdin (what editor integrations call) ------------------------------------------------------------------


def stdin_run(args, source, cwd):
    command = [sys.executable, "-m", "torchlint", *args]
    return subprocess.run(command, input=source.encode(), capture_output=True, cwd=cwd, timeout=120)


def test_stdin_is_linted_under_its_filename(project):
    result = stdin_run(["-", "--stdin-filename", "pkg/model.py"], BUGGY, project)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("pkg/model.py:6:30: TL301")
    result = stdin_run(["-"], BUGGY, project)
    assert result.stdout.decode().startswith("-:6:30: TL301")
    assert stdin_run(["-"], CLEAN, project).returncode == 0


def test_stdin_fix_writes_the_fixed_source_to_stdout(project):
    result = stdin_run(["--fix", "-", "--stdin-filename", "pkg/model.py"], BUGGY, project)
    assert result.returncode == 0
    assert result.stdout.decode() == FIXED
    assert (project / "pkg" / "model.py").read_text() == BUGGY  # the file itself is not touched
    broken = "def broken(:\n    y = x.permute(1, 0).view(-1)\n"
    unchanged = stdin_run(["--fix", "-"], broken, project)
    assert unchanged.stdout.decode() == broken and b"TL000" in unchanged.stderr


def test_stdin_filename_picks_config_and_per_file_ignores(project):
    (project / "pyproject.toml").write_text('[tool.torchlint.per-file-ignores]\n"tests/*" = ["TL3"]\n')
    assert stdin_run(["-", "--stdin-filename", "tests/test_x.py"], BUGGY, project).returncode == 0
    assert stdin_run(["-", "--stdin-filename", "src/x.py"], BUGGY, project).returncode == 1
    (project / "pyproject.toml").write_text('[tool.torchlint]\nexclude = ["vendored"]\n')
    excluded = ["--force-exclude", "--fix", "-", "--stdin-filename", "vendored/x.py"]
    result = stdin_run(excluded, BUGGY, project)
    assert result.returncode == 0 and result.stdout.decode() == BUGGY


def test_stdin_notebook(project):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["%time x = 1\n", "y = x.permute(0, 2, 1).view(-1)\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    result = stdin_run(["-", "--stdin-filename", "nb.ipynb"], json.dumps(nb, indent=1), project)
    assert result.stdout.decode().startswith("nb.ipynb:cell 1:2:")
    fixed = stdin_run(["--fix", "-", "--stdin-filename", "nb.ipynb"], json.dumps(nb, indent=1), project)
    assert json.loads(fixed.stdout)["cells"][0]["source"][1] == "y = x.permute(0, 2, 1).reshape(-1)\n"


def test_stdin_diff_and_json(project):
    result = stdin_run(["--diff", "-", "--stdin-filename", "m.py"], BUGGY, project)
    assert result.returncode == 1 and "+    return x.transpose(1, 2).reshape(B, T, H * D)" in result.stdout.decode()
    result = stdin_run(["--format", "json", "-"], BUGGY, project)
    assert json.loads(result.stdout)[0]["path"] == "-"
