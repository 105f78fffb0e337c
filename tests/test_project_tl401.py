"""TL401 across files: an entry point that starts or joins a multi-process job and calls a
checkpoint helper of another file makes that helper's unmapped `torch.load` multi-process code."""

import json

import pytest

from torchlint.cli import main


def run(capsys, *paths):
    main(["--no-cache", "--select", "TL401", "--format", "json", *paths])
    return json.loads(capsys.readouterr().out)


def test_a_helper_reached_from_a_spawned_worker_is_reported_in_the_helper(copied_project, capsys):
    copied_project("tl401_helper_spawned")
    (finding,) = run(capsys, ".")
    assert (finding["path"], finding["line"]) == ("utils/checkpoint.py", 5)
    assert "reached from train.py:10" in finding["message"] and len(finding["message"]) <= 160
    assert finding["related"] == [{"path": "train.py", "line": 10, "message": "`load_checkpoint()` is called "
                                   "here, in a file that initialises a process group"}]  # fmt: skip


def test_the_helper_linted_alone_still_sees_its_entry_point(copied_project, capsys):
    copied_project("tl401_helper_spawned")
    assert [f["path"] for f in run(capsys, "utils/checkpoint.py")] == ["utils/checkpoint.py"]


def test_the_fix_maps_the_helper_load(copied_project, capsys):
    root = copied_project("tl401_helper_spawned")
    assert main(["--no-cache", "--select", "TL401", "--fix", "--unsafe-fixes", "."]) == 0
    assert 'torch.load(path, map_location="cpu")' in (root / "utils" / "checkpoint.py").read_text()
    capsys.readouterr()
    assert run(capsys, ".") == []


@pytest.mark.parametrize("name", ["tl401_helper_single_process", "tl401_helper_rank_zero"])
def test_no_multi_process_entry_point_reaching_the_helper_stays_silent(copied_project, capsys, name):
    copied_project(name)
    assert run(capsys, ".") == []


def test_the_rank_zero_guard_is_what_keeps_it_silent(copied_project, capsys):
    root = copied_project("tl401_helper_rank_zero")
    train = root / "train.py"
    train.write_text(train.read_text().replace("    if dist.get_rank() == 0:\n    ", ""))
    assert [(f["path"], f["line"]) for f in run(capsys, ".")] == [("checkpoint.py", 5)]


def test_the_helper_files_own_process_group_is_still_enough(copied_project, capsys):
    root = copied_project("tl401_helper_single_process")
    helper = root / "checkpoint.py"
    helper.write_text(helper.read_text().replace("import torch\n", "import torch\nimport torch.distributed as dist\n")
                      + "\n\ndist.init_process_group('nccl')\n")  # fmt: skip
    (finding,) = run(capsys, ".")
    assert finding["path"] == "checkpoint.py" and "this file initialises a process group" in finding["message"]
    assert "related" not in finding or not finding["related"]


def test_a_lone_text_has_no_entry_point():
    from torchlint import registry
    from torchlint.engine import lint_source

    code = "import torch\n\n\ndef load_checkpoint(path):\n    return torch.load(path)\n"
    assert lint_source("checkpoint.py", code, [registry.all_rules()["TL401"]]) == []


def test_a_load_behind_a_default_the_entry_point_does_not_pass_stays_silent(copied_project, capsys):
    root = copied_project("tl401_helper_default_off")
    assert run(capsys, ".") == []
    script = root / "train_multi_gpu.py"
    script.write_text(script.read_text().replace("build_backbone(trainable_layers=5)",
                                                 'build_backbone("resnet50.pth", trainable_layers=5)'))
    (finding,) = run(capsys, ".")
    assert (finding["path"], finding["line"]) == ("backbone/resnet.py", 8)
    assert "reached from train_multi_gpu.py:11 (builds a DistributedSampler)" in finding["message"]
