"""Notebooks: discovered and linted by default, positions in cells, IPython syntax masked, --fix round trip."""

import json
import os

import pytest

from torchlint.cli import main
from torchlint.notebook import CellMap, Notebook, join_cells, mask_cell, split_cells

VIEW = "y = x.permute(0, 2, 1).view(-1)\n"


def code(source, execution_count=None, outputs=(), cell_id=None, metadata=None):
    cell = {
        "cell_type": "code",
        "execution_count": execution_count,
        "metadata": metadata or {},
        "outputs": list(outputs),
        "source": source.splitlines(keepends=True),
    }
    if cell_id:
        cell["id"] = cell_id
    return cell


def markdown(text, cell_id=None):
    cell = {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}
    if cell_id:
        cell["id"] = cell_id
    return cell


STREAM = {"name": "stdout", "output_type": "stream", "text": ["epoch 0 loss 2.31\n", "épuisé: 100%\n"]}
IMAGE = {"data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure size 640x480>"]},
         "metadata": {"needs_background": "light"}, "output_type": "display_data"}  # fmt: skip


def notebook_json(cells, indent=1):
    data = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.4"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    # nbformat's own writer: sorted keys, indent 1, non-ASCII kept, trailing newline
    return json.dumps(data, sort_keys=True, indent=indent, ensure_ascii=False) + "\n"


def training_notebook():
    return [
        markdown("# Train\nA small training notebook.\n", cell_id="md-1"),
        code("%matplotlib inline\nimport torch\n!nvidia-smi\n", 1, [STREAM], cell_id="c-2"),
        code("x = torch.randn(4, 3, 2)\nx?\n", 2, [], cell_id="c-3", metadata={"tags": ["setup"]}),
        code("%%time\nfor step in range(3):\n    %time " + "f()\n    " + VIEW, 3, [STREAM, IMAGE], cell_id="c-4"),
        code("%%bash\necho $HOME | grep view(\n", 4, [], cell_id="c-5"),
        code("def heads(x):\n    return x.permute(0, 2, 1).view(-1)", 5, [IMAGE], cell_id="c-6"),
    ]


@pytest.fixture
def nb(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "train.ipynb"
    path.write_text(notebook_json(training_notebook()), encoding="utf-8")
    return path


def run(capsys, *args):
    code_ = main(list(args))
    out, err = capsys.readouterr()
    return code_, out, err


def test_notebook_positions_are_cell_line_column(nb, capsys):
    code_, out, _ = run(capsys, "train.ipynb")
    assert code_ == 1
    lines = out.splitlines()
    assert lines[0].startswith("train.ipynb:cell 4:4:28: TL301 [*] `.view()`")
    assert lines[1].startswith("train.ipynb:cell 6:2:31: TL301 [*] `.view()`")
    assert lines[-1] == "2 findings (2 fixable) in 1 file."


def test_notebooks_are_discovered_by_default(nb, capsys, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".ipynb_checkpoints").mkdir()
    os.replace(nb, tmp_path / "sub" / "train.ipynb")
    checkpoint = tmp_path / "sub" / ".ipynb_checkpoints" / "train-checkpoint.ipynb"
    checkpoint.write_text((tmp_path / "sub" / "train.ipynb").read_text())  # Jupyter's autosave copy
    code_, out, _ = run(capsys, ".")
    assert "sub/train.ipynb:cell 4:4:28: TL301" in out
    assert "checkpoint" not in out


def test_json_has_cell_and_line_within_the_cell(nb, capsys):
    _, out, _ = run(capsys, "--format", "json", "train.ipynb")
    first, second = json.loads(out)
    assert (first["cell"], first["line"], first["column"], first["end_line"]) == (4, 4, 28, 4)
    assert (second["cell"], second["line"], second["column"]) == (6, 2, 31)


def test_fix_round_trip_keeps_everything_but_the_fixed_sources(nb, capsys):
    before = json.loads(nb.read_text(encoding="utf-8"))
    raw_before = nb.read_text(encoding="utf-8")
    code_, out, _ = run(capsys, "--fix", "train.ipynb")
    assert code_ == 0, out
    raw_after = nb.read_text(encoding="utf-8")
    after = json.loads(raw_after)
    fixed = {3: before["cells"][3]["source"], 5: before["cells"][5]["source"]}
    assert "".join(after["cells"][3]["source"]) == "".join(fixed[3]).replace(".view(", ".reshape(")
    assert after["cells"][5]["source"] == ["def heads(x):\n", "    return x.permute(0, 2, 1).reshape(-1)"]
    for index in fixed:  # compare everything else
        before["cells"][index].pop("source")
        after["cells"][index].pop("source")
    assert after == before  # outputs, metadata, ids, execution counts, magics, markdown
    # and the file's own formatting: same bytes outside the two fixed lines
    changed = [(a, b) for a, b in zip(raw_before.splitlines(), raw_after.splitlines()) if a != b]
    assert len(changed) == 2 and all(".view(" in a and ".reshape(" in b for a, b in changed)
    assert raw_after.endswith("}\n") and len(raw_before.splitlines()) == len(raw_after.splitlines())
    assert run(capsys, "--fix", "train.ipynb")[0] == 0
    assert nb.read_text(encoding="utf-8") == raw_after  # idempotent


def test_fix_keeps_indentation_style_and_missing_trailing_newline(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nb.ipynb"
    text = notebook_json([code("import torch\n" + VIEW, 1)], indent=2).rstrip("\n")
    path.write_text(text, encoding="utf-8")
    assert run(capsys, "--fix", "nb.ipynb")[0] == 0
    assert path.read_text(encoding="utf-8") == text.replace(".view(", ".reshape(")


def test_diff_on_a_notebook_writes_nothing(nb, capsys):
    before = nb.read_bytes()
    code_, out, _ = run(capsys, "--diff", "train.ipynb")
    assert code_ == 1 and "+" in out and ".reshape(" in out
    assert nb.read_bytes() == before


def test_unreadable_notebook_json_is_tl000_and_never_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "source": ["' + VIEW.strip() + '"]', encoding="utf-8")
    before = path.read_bytes()
    code_, out, _ = run(capsys, "--fix", "broken.ipynb")
    assert code_ == 1
    assert "broken.ipynb:1:1: TL000 could not analyse: invalid notebook JSON" in out
    assert path.read_bytes() == before


def test_a_syntax_error_in_a_cell_is_positioned_in_that_cell_and_the_others_are_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shell = "python -m torch.distributed.launch --nproc_per_node=4 train.py\n"  # typed into a code cell
    cells = [code("import torch\n", 1), code("x = (\n" + VIEW, 2), code(shell, 3), code(VIEW, 4)]
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_json(cells))
    code_, out, _ = run(capsys, "nb.ipynb")
    lines = out.splitlines()
    assert code_ == 1
    assert lines[0].startswith("nb.ipynb:cell 2:1:5: TL000 could not analyse: syntax error: '(' was never closed")
    assert lines[1].startswith("nb.ipynb:cell 3:1:") and "(the other cells were checked)" in lines[1]
    assert lines[2].startswith("nb.ipynb:cell 4:1:24: TL301")
    assert run(capsys, "--fix", "nb.ipynb")[0] == 1
    after = json.loads(path.read_text())
    assert "".join(after["cells"][2]["source"]) == shell  # the broken cells are kept as they were
    assert "".join(after["cells"][1]["source"]) == "x = (\n" + VIEW
    assert "".join(after["cells"][3]["source"]) == VIEW.replace(".view(", ".reshape(")


def test_noqa_in_a_cell(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nb.ipynb").write_text(notebook_json([code(VIEW.replace("\n", "  # noqa: TL301\n"), 1)]))
    assert run(capsys, "nb.ipynb")[0] == 0


def test_a_non_python_notebook_is_tl000(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = json.loads(notebook_json([code("x <- 1\n", 1)]))
    data["metadata"]["language_info"]["name"] = "R"
    (tmp_path / "r.ipynb").write_text(json.dumps(data))
    code_, out, _ = run(capsys, "r.ipynb")
    assert code_ == 1 and "not a Python notebook" in out


# --- the text API (also used by the language server for notebook cells) -------------------------------------


def test_masking_keeps_valid_python_untouched():
    assert mask_cell(["y = a % b\n", "z = (c\n", "     % d)\n", "s = 'is it?'\n"]) == {}
    assert mask_cell(["%load_ext autoreload\n", "x = 1\n", "!pip install timm\n", "files = !ls\n", "x??\n"]) == {
        0: "%load_ext autoreload\n", 2: "!pip install timm\n", 3: "files = !ls\n", 4: "x??\n",
    }  # fmt: skip
    assert mask_cell(["%%writefile a.py\n", "import torch\n"]) == {0: "%%writefile a.py\n", 1: "import torch\n"}
    assert mask_cell(["%%timeit\n", "f(x)\n"]) == {0: "%%timeit\n"}


def test_join_and_split_are_inverse_and_positions_map_back():
    sources = ["import torch\n%matplotlib inline", "", "for i in range(2):\n    !echo hi\n    y = 1\n"]
    text, cells = join_cells(sources, numbers=[2, 3, 5])
    assert isinstance(cells, CellMap)
    compile(text, "<nb>", "exec")  # the masked text parses
    assert split_cells(text, cells) == sources
    third = text.splitlines().index("    y = 1") + 1
    assert cells.locate(third) == (5, 3)
    assert cells.joined_line(5, 3) == third


def test_split_restores_magics_after_a_fix_inserted_lines():
    sources = ["!nvidia-smi\nimport torch\nmodel = Net()\n%time train(model)\n"]
    text, cells = join_cells(sources)
    fixed = text.replace("model = Net()\n", "model = Net()\nmodel.train()\n")
    expected = "!nvidia-smi\nimport torch\nmodel = Net()\nmodel.train()\n%time train(model)\n"
    assert split_cells(fixed, cells) == [expected]


def test_real_corpus_notebooks_round_trip_byte_for_byte():
    import glob

    paths = sorted(glob.glob("/work/corpus/**/*.ipynb", recursive=True))[:40]
    if not paths:
        pytest.skip("no corpus notebooks here")
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
        notebook = Notebook.parse(raw)
        text, cells = notebook.join()
        assert notebook.dumps(split_cells(text, cells)) == raw, path
