"""The flake8 plugin: same findings as the CLI, flake8's columns and noqa, opt-in rules off."""

import subprocess
import sys

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
