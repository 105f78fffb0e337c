"""`--fix` writes only what it read and fixed, to the file the user meant (issue 14, items 3 and 5)."""

import os
import stat
import subprocess
import sys

import pytest

import torchlint.runner as runner
from torchlint.runner import FIX, Job, process_file
from torchlint.source import SourceChanged, read_source, write_atomically

BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"
FIXED = BUGGY.replace(".view(", ".reshape(")
JOB = Job(mode=FIX, rule_codes=("TL301",))
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics")


def _messages(result):
    return [f"{f.code} {f.message}" for f in result.findings]


def test_an_edit_saved_while_fixing_is_not_lost(tmp_path, monkeypatch):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    real_fix = runner.fix_source
    calls = []

    def fix_while_the_user_saves(path, text, rules, unsafe=False, **options):
        result = real_fix(path, text, rules, unsafe=unsafe, **options)
        if not calls:  # the user's editor saves a new line in the middle of the first fix
            target.write_text(BUGGY + "# saved by the editor\n")
        calls.append(text)
        return result

    monkeypatch.setattr(runner, "fix_source", fix_while_the_user_saves)
    result = process_file(JOB, str(target))
    assert target.read_text() == FIXED + "# saved by the editor\n"
    assert len(calls) == 2 and result.fixed == 1


def test_a_file_that_keeps_changing_is_reported_not_written(tmp_path, monkeypatch):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    real_fix = runner.fix_source
    counter = iter(range(100))

    def fix_while_the_user_keeps_saving(path, text, rules, unsafe=False, **options):
        result = real_fix(path, text, rules, unsafe=unsafe, **options)
        target.write_text(BUGGY + f"# edit {next(counter)}\n")
        return result

    monkeypatch.setattr(runner, "fix_source", fix_while_the_user_keeps_saving)
    result = process_file(JOB, str(target))
    assert ".view(" in target.read_text()
    assert "TL000 could not analyse: cannot write fixed file: the file changed while it was being fixed; " \
           "not rewritten" in _messages(result)  # fmt: skip
    assert any(m.startswith("TL301") for m in _messages(result))


def test_write_checks_the_content_not_the_mtime(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    read = read_source(str(target))
    before = os.stat(target)
    target.write_text(BUGGY.replace("x", "y"))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size and mtime, other content
    with pytest.raises(SourceChanged):
        write_atomically(str(target), FIXED.encode(), expected=read)


@POSIX
def test_hard_links_are_kept_and_see_the_fix(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    os.link(target, tmp_path / "other_name.py")
    inode = os.stat(target).st_ino
    assert process_file(JOB, str(target)).fixed == 1
    assert os.stat(target).st_ino == inode == os.stat(tmp_path / "other_name.py").st_ino
    assert (tmp_path / "other_name.py").read_text() == FIXED


@POSIX
def test_a_read_only_file_is_reported_with_its_findings_not_rewritten(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    os.chmod(target, 0o444)
    result = process_file(JOB, str(target))
    assert target.read_text() == BUGGY and result.fixed == 0 and not result.changed
    messages = _messages(result)
    assert "TL000 could not analyse: cannot write fixed file: the file is read-only; not rewritten" in messages
    assert any(m.startswith("TL301") for m in messages)  # what is still in the file


@POSIX
def test_a_write_failure_reports_the_findings_that_remain(tmp_path, monkeypatch):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "write_atomically", disk_full)
    messages = _messages(process_file(JOB, str(target)))
    assert "TL000 could not analyse: cannot write fixed file: No space left on device" in messages
    assert any(m.startswith("TL301") for m in messages)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give files away")
def test_root_keeps_the_owner_and_group(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    os.chown(target, 4321, 4322)
    os.chmod(target, 0o640)
    assert process_file(JOB, str(target)).fixed == 1
    info = os.stat(target)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 4322, 0o640)
    assert target.read_text() == FIXED


def test_python_m_torchlint_ignores_a_libcst_py_in_the_working_directory(tmp_path):
    (tmp_path / "libcst.py").write_text("raise ImportError('the wrong libcst')\n")
    (tmp_path / "train.py").write_text(BUGGY)
    result = subprocess.run([sys.executable, "-m", "torchlint", "--select", "TL301", "-j", "1", "train.py"],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.stdout.startswith("train.py:2:31: TL301"), result.stderr
    assert result.returncode == 1


def test_two_concurrent_fix_runs_both_land(tmp_path):
    source = BUGGY + '\n\nimport os\nlocal_rank = int(os.getenv("LOCAL_RANK"), -1)\n'
    target = tmp_path / "train.py"
    for _ in range(3):  # before: one run's fixes were lost in about half of the trials
        target.write_text(source)
        runs = [
            subprocess.Popen([sys.executable, "-m", "torchlint", "-q", "--no-cache", "-j", "1", "--fix", "--select",
                              code, "train.py"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for code in ("TL301", "TL502")
        ]  # fmt: skip
        for run in runs:
            run.wait(timeout=300)
        text = target.read_text()
        assert ".reshape(-1)" in text and 'int(os.getenv("LOCAL_RANK", -1))' in text
