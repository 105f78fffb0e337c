"""TL101 and TL203 with classes imported from another first-party file (issue 10)."""

import json
import shutil

import pytest

from torchlint.cli import main


def run(capsys, code, *paths, screen=True):
    main(["--no-cache", "--select", code, "--format", "json", *([] if screen else ["--no-screen"]), *paths])
    return [(f["path"], f["line"], f["code"]) for f in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize("screen", [True, False])
def test_tl101_an_imported_layer_class_with_parameters_built_in_forward(copied_project, capsys, screen):
    copied_project("tl101_imported_layer")
    # ConvBlock (a Conv2d inside, another file) is reported, by name and through the module; Shuffle
    # (no parameters) and Config (not a module) are not.
    assert run(capsys, "TL101", ".", screen=screen) == [("net.py", 16, "TL101"), ("net.py", 17, "TL101")]


def test_tl101_the_imported_module_alone_is_unknown(copied_project, capsys):
    root = copied_project("tl101_imported_layer")
    shutil.rmtree(root / "models")
    assert run(capsys, "TL101", ".") == []


@pytest.mark.parametrize("screen", [True, False])
def test_tl203_a_float32_model_class_imported_from_another_file(copied_project, capsys, screen):
    copied_project("tl203_imported_model")
    # Regressor (an nn.Linear inside) is fed float64; CastingRegressor casts its input itself and
    # Scaler is no module: silent for both.
    assert run(capsys, "TL203", ".", screen=screen) == [("fit.py", 10, "TL203")]


def test_tl203_fix_across_files_once(copied_project, capsys):
    root = copied_project("tl203_imported_model")
    main(["--no-cache", "--select", "TL203", "--fix", "."])
    fixed = (root / "fit.py").read_text()
    assert "net(torch.from_numpy(features).float())" in fixed
    assert "casting(torch.from_numpy(features))" in fixed
    main(["--no-cache", "--select", "TL203", "--fix", "."])
    assert (root / "fit.py").read_text() == fixed
    capsys.readouterr()
    assert run(capsys, "TL203", ".") == []


def test_tl203_an_imported_class_that_casts_in_a_base_of_another_file(copied_project, capsys):
    root = copied_project("tl203_imported_model")
    (root / "base.py").write_text("from torch import nn\n\n\nclass Base(nn.Module):\n"
                                  "    def prepare(self, x):\n        return x.to(self.dtype)\n")  # fmt: skip
    model = root / "model.py"
    model.write_text("from base import Base\n" + model.read_text().replace("class Regressor(nn.Module)",
                                                                         "class Regressor(Base)"))
    assert run(capsys, "TL203", ".") == []


def test_tl101_screen_sees_an_import_inside_a_try_block(copied_project, capsys):
    root = copied_project("tl101_imported_layer")
    net = root / "net.py"
    guarded = "try:\n    from models.blocks import Config, ConvBlock, Shuffle\nexcept ImportError:\n    raise\n"
    text = net.read_text().replace("from models.blocks import Config, ConvBlock, Shuffle\n", guarded)
    text = text.replace("import models.blocks as blocks\n", "")
    net.write_text(text.replace("        x = blocks.ConvBlock(8)(x)  # the same, through the module\n", ""))
    assert run(capsys, "TL101", ".") == [("net.py", 18, "TL101")]
