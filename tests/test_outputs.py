"""Output formats and their options: github, grouped, full/--show-source, --statistics, --output-file,
--show-fixes, colour, progress."""

import json
import textwrap

import pytest

from torchlint import cli, registry
from torchlint.cli import main
from torchlint.findings import Finding
from torchlint.output import github_line

BUGGY = "import torch\n\n\ndef f(x):\n    return x.permute(0, 2, 1).view(-1)\n"
UNSAFE = (
    "import torch\nimport torch.nn as nn\n\n\ndef export(model):\n    if torch.cuda.device_count() > 1:\n"
    "        model = nn.DataParallel(model)\n    return torch.jit.script(model)\n"
)
WRAPPED = "import torch\nimport torch.nn as nn\nm = torch.jit.script(nn.DataParallel(net))\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(BUGGY)
    (tmp_path / "pkg" / "b.py").write_text(BUGGY + WRAPPED.replace("import torch\n", "", 1))
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_github_workflow_commands(project, capsys):
    code, out, _ = run(capsys, "--format", "github", "pkg")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3  # no summary line in CI annotations
    where = "file=pkg/a.py,line=5,col=31,endLine=5,endColumn=35"
    assert lines[0].startswith(f"::error {where},title=TL301 view-after-permute::")


def test_github_escaping():
    finding = Finding("dir,x/a:b.py", 3, 4, 3, 9, "TL301", "view-after-permute", "100% bad\nsecond line, really")
    line = github_line(finding)
    where = "file=dir%2Cx/a%3Ab.py,line=3,col=4,endLine=3,endColumn=9"
    assert line.startswith(f"::error {where},title=TL301 view-after-permute::")
    assert line.endswith("::100%25 bad%0Asecond line, really")


def test_output_format_is_an_alias(project, capsys):
    assert run(capsys, "--output-format", "json", "pkg")[1] == run(capsys, "--format", "json", "pkg")[1]


def test_concise_is_text_and_full_shows_source(project, capsys):
    _, concise, _ = run(capsys, "--format", "concise", "pkg/a.py")
    _, text, _ = run(capsys, "pkg/a.py")
    assert concise == text
    _, full, _ = run(capsys, "--format", "full", "pkg/a.py")
    assert run(capsys, "--show-source", "pkg/a.py")[1] == full
    lines = full.splitlines()
    assert lines[1] == "5 |     return x.permute(0, 2, 1).view(-1)"
    assert lines[2] == "  |                               ^^^^"


def test_grouped(project, capsys):
    _, out, _ = run(capsys, "--format", "grouped", "pkg")
    assert out.splitlines()[:3] == [
        "pkg/a.py:",
        out.splitlines()[1],
        "",
    ]
    assert out.splitlines()[1].startswith("  5:31 TL301 [*] ")
    assert "pkg/b.py:" in out and out.rstrip().endswith("in 2 files.")


def test_statistics(project, capsys):
    code, out, _ = run(capsys, "--statistics", "pkg")
    assert code == 1
    assert out.splitlines() == ["2\tTL301\t[*] view-after-permute", "1\tTL501\t[*] script-dataparallel"]
    _, out, _ = run(capsys, "--statistics", "--format", "json", "pkg")
    assert json.loads(out)[0] == {"code": "TL301", "name": "view-after-permute", "count": 2, "fixable": 2}


def test_output_file(project, capsys):
    code, out, _ = run(capsys, "--output-file", "report.txt", "pkg")
    assert code == 1 and out == ""
    report = (project / "report.txt").read_text()
    assert "pkg/a.py:5:31: TL301" in report and report.endswith("in 2 files.\n")
    assert "\x1b[" not in report


def test_output_file_folder_is_created_and_an_unwritable_one_is_refused_before_fixing(project, capsys):
    code, out, _ = run(capsys, "--output-file", "reports/ci/report.txt", "pkg")
    assert code == 1 and "TL301" in (project / "reports" / "ci" / "report.txt").read_text()
    before = (project / "pkg" / "a.py").read_text()
    (project / "blocker").write_text("a file, not a folder")
    code, out, err = run(capsys, "--fix", "--output-file", "blocker/report.txt", "pkg")
    assert code == 2 and "--output-file blocker/report.txt: cannot" in err and "internal error" not in err
    assert (project / "pkg" / "a.py").read_text() == before  # refused before anything was rewritten


def test_fix_suffix_only_with_show_fixes(project, capsys):
    _, out, _ = run(capsys, "pkg/a.py")
    assert "[fix" not in out and "TL301 [*] " in out
    _, out, _ = run(capsys, "--show-fixes", "pkg/a.py")
    assert "[fix (safe): replace `.view(` with `.reshape(`]" in out
    (project / "export.py").write_text(UNSAFE)
    _, out, _ = run(capsys, "export.py")
    assert "TL501 [*]" not in out and "TL501 " in out  # an unsafe fix is not what --fix does
    assert "TL501 [*]" in run(capsys, "--unsafe-fixes", "export.py")[1]


def _pretend_tty(monkeypatch, stdout=True, stderr=True):
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: stdout, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: stderr, raising=False)


def test_colour_on_a_tty_only(project, capsys, monkeypatch):
    assert "\x1b[" not in run(capsys, "pkg/a.py")[1]  # captured: not a TTY
    _pretend_tty(monkeypatch)
    out = run(capsys, "pkg/a.py")[1]
    assert "\x1b[1;31mTL301\x1b[0m" in out and "\x1b[1mpkg/a.py:5:31\x1b[0m" in out
    assert "\x1b[" not in run(capsys, "--color", "never", "pkg/a.py")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "pkg/a.py")[1]
    assert "\x1b[" in run(capsys, "--color", "always", "pkg/a.py")[1]
    assert "\x1b[" not in run(capsys, "--color", "always", "--format", "json", "pkg/a.py")[1]


def test_progress_bar_on_a_terminal_only(project, capsys, monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_MIN_FILES", 3)
    for i in range(8):
        (project / "pkg" / f"m{i}.py").write_text("x = 1\n")
    _, _, err = run(capsys, "pkg")
    assert "files" not in err  # not a terminal
    _pretend_tty(monkeypatch)
    _, out, err = run(capsys, "pkg")
    assert "/10 files" in err and "\r" in err and "/10 files" not in out
    _, _, err = run(capsys, "--format", "json", "pkg")
    assert "/10 files" not in err
    monkeypatch.setenv("CI", "true")
    assert "/10 files" not in run(capsys, "pkg")[2]
    _pretend_tty(monkeypatch, stdout=False)  # piped
    monkeypatch.delenv("CI")
    assert "/10 files" not in run(capsys, "pkg")[2]


@pytest.mark.parametrize("code", sorted(registry.all_rules()))
def test_every_rule_message_fits_an_editor_line(code):
    from tests.helpers import lint

    rule = registry.all_rules()[code]
    findings = [f for f in lint(textwrap.dedent(rule.bad), select=[code]) if f.code == code]
    if not findings:
        pytest.skip(f"{code}'s bad example needs more context than one file")
    for finding in findings:
        assert len(finding.message) <= 160, finding.message
