"""Baselines (--baseline-write / --baseline / `baseline` key) and --add-noqa."""

import json
import textwrap

import pytest

from torchlint.cli import main

BUGGY = textwrap.dedent(
    """\
    import torch


    def merge_heads(x):
        B, H, T, D = x.shape
        return x.transpose(1, 2).view(B, T, H * D)


    def flatten(x):
        return x.permute(0, 2, 1).view(-1)
    """
)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BUGGY)
    return tmp_path


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def codes(capsys, *args):
    code, out, _ = run(capsys, "--format", "json", *args)
    return code, [(f["code"], f["line"]) for f in json.loads(out)]


def test_baseline_silences_recorded_findings(project, capsys):
    code, _, err = run(capsys, "--baseline-write", "baseline.json", "pkg")
    assert code == 0 and "wrote a baseline of 2 findings" in err
    data = json.loads((project / "baseline.json").read_text())
    assert data["torchlint-baseline"] == 1 and len(data["findings"]) == 2
    assert {e["path"] for e in data["findings"]} == {"pkg/model.py"}
    assert all("line" not in e for e in data["findings"])  # no line numbers
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (0, [])
    _, out, _ = run(capsys, "--baseline", "baseline.json", "pkg")
    assert "2 in the baseline not shown" in out


def test_lines_inserted_above_stay_silent(project, capsys):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    model = project / "pkg" / "model.py"
    edited = BUGGY.replace("    return x.permute", "    x = x + 1\n    return x.permute")
    model.write_text("import os\n# a new comment\n\n" + edited)
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (0, [])
    model.write_text(BUGGY.replace("view(B, T, H * D)", "view(B,  T,  H * D)"))  # whitespace is normalised
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (0, [])


def test_changing_the_line_reports_it(project, capsys):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    model = project / "pkg" / "model.py"
    model.write_text(BUGGY.replace("x.permute(0, 2, 1).view(-1)", "x.permute(0, 2, 1).view(-1, 1)"))
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (1, [("TL301", 10)])


def test_moving_the_line_into_another_function_reports_it(project, capsys):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    model = project / "pkg" / "model.py"
    model.write_text(BUGGY.replace("def flatten(x):", "def flatten_all(x):"))
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (1, [("TL301", 10)])


def test_a_second_copy_of_a_baselined_line_is_new(project, capsys):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    (project / "pkg" / "model.py").write_text(BUGGY + "\n\ndef flatten(x):\n    return x.permute(0, 2, 1).view(-1)\n")
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (1, [("TL301", 14)])


def test_fixed_findings_drop_out_when_rewritten(project, capsys):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    model = project / "pkg" / "model.py"
    model.write_text(BUGGY.replace("permute(0, 2, 1).view(", "permute(0, 2, 1).reshape("))
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    assert len(json.loads((project / "baseline.json").read_text())["findings"]) == 1
    model.write_text(BUGGY)  # the bug comes back: it is new again
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (1, [("TL301", 10)])


def test_baseline_from_config_relative_to_the_config_file(project, capsys, monkeypatch):
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    (project / "pyproject.toml").write_text('[tool.torchlint]\nbaseline = "baseline.json"\n')
    monkeypatch.chdir(project / "pkg")
    assert codes(capsys, ".") == (0, [])


def test_tl000_is_never_baselined(project, capsys):
    (project / "pkg" / "bad.py").write_text("def f(:\n    y = x.permute(1, 0).view(-1)\n")
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    code, found = codes(capsys, "--baseline", "baseline.json", "pkg")
    assert code == 1 and [c for c, _ in found] == ["TL000"]


def test_bad_baseline_file_is_a_usage_error(project, capsys):
    (project / "baseline.json").write_text("[]")
    code, _, err = run(capsys, "--baseline", "baseline.json", "pkg")
    assert code == 2 and "not a torchlint baseline" in err
    assert run(capsys, "--baseline", "missing.json", "pkg")[0] == 2


def test_notebook_findings_can_be_baselined(project, capsys):
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
            "source": ["import torch\n", "y = x.permute(0, 2, 1).view(-1)\n"]}  # fmt: skip
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "pkg" / "nb.ipynb").write_text(json.dumps(nb))
    run(capsys, "--baseline-write", "baseline.json", "pkg")
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["# intro\n"]})
    (project / "pkg" / "nb.ipynb").write_text(json.dumps(nb))
    assert codes(capsys, "--baseline", "baseline.json", "pkg") == (0, [])


# --- --add-noqa ---------------------------------------------------------------------------------------------


def test_add_noqa_keeps_existing_codes_and_comments(project, capsys):
    model = project / "pkg" / "model.py"
    source = BUGGY.replace("H * D)", "H * D)  # heads last").replace("view(-1)", "view(-1)  # noqa: E501")
    model.write_text(source)
    code, out, _ = run(capsys, "--add-noqa", "pkg")
    assert code == 0 and "Added 2 noqa directives in 1 file." in out
    text = model.read_text()
    assert "return x.transpose(1, 2).view(B, T, H * D)  # heads last  # noqa: TL301\n" in text
    assert "return x.permute(0, 2, 1).view(-1)  # noqa: E501, TL301\n" in text
    assert run(capsys, "pkg")[0] == 0
    assert run(capsys, "--add-noqa", "pkg")[1].startswith("Added 0 noqa directives")
    assert model.read_text() == text


def test_add_noqa_never_breaks_a_line_inside_a_string_or_continuation(project, capsys):
    source = textwrap.dedent(
        '''\
        import torch


        def f(x):
            return x.permute(0, 2, 1).view(
                -1)


        def g(x):
            return x.permute(0, 2, 1).view(-1) + \\
                1
        '''
    )
    model = project / "pkg" / "model.py"
    model.write_text(source)
    run(capsys, "--add-noqa", "pkg")
    text = model.read_text()
    compile(text, "model.py", "exec")
    assert "view(  # noqa: TL301\n" in text
    assert "view(-1) + \\\n" in text  # a comment cannot follow a backslash: left as it was


def test_add_noqa_in_a_notebook(project, capsys):
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
            "source": ["%matplotlib inline\n", "y = x.permute(0, 2, 1).view(-1)"]}  # fmt: skip
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = project / "pkg" / "nb.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    run(capsys, "--add-noqa", "pkg/nb.ipynb")
    written = json.loads(path.read_text())
    assert written["cells"][0]["source"] == ["%matplotlib inline\n", "y = x.permute(0, 2, 1).view(-1)  # noqa: TL301"]
