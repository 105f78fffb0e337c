"""No input gives a traceback: lint real trees (the standard library, torch's own nn package)
with every rule and expect no internal errors."""

import importlib.util
import os
import sysconfig

import pytest

from torchlint import registry
from torchlint.discovery import find_files
from torchlint.runner import CHECK, Job, run


def _torch_nn_dir():
    spec = importlib.util.find_spec("torch")  # locating torch does not import it
    return os.path.join(os.path.dirname(spec.origin), "nn") if spec and spec.origin else None


STDLIB = sysconfig.get_paths()["stdlib"]
TREES = {
    "stdlib-json-email-asyncio": [os.path.join(STDLIB, d) for d in ("json", "email", "asyncio")],
    "torch-nn": [_torch_nn_dir()],
}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_no_internal_errors_on_real_code(tree):
    paths = [p for p in TREES[tree] if p and os.path.isdir(p)]
    if not paths:
        pytest.skip(f"{tree} is not installed here")
    files = find_files(paths)
    codes = tuple(rule.code for rule in registry.select_rules(["ALL"]))
    results = run(Job(mode=CHECK, rule_codes=codes), files, jobs=2)
    internal = [f for r in results for f in r.findings if f.code == "TL000"]
    assert internal == []
    assert len(results) == len(files) > 10


def test_the_parse_skips_node_validation_only_inside_it():
    import libcst as cst

    from torchlint import engine

    source = "import torch\n\n\ndef f(x):\n    return (x.view(2, -1) + 1)  # keep\n"
    module = engine.parse(source)
    assert module.code == source and module.deep_equals(cst.parse_module(source))
    with pytest.raises(cst.CSTValidationError):  # nodes built after the parse (fixers') are validated again
        cst.Name("")
    with pytest.raises(engine.ParseFailure):
        engine.parse("def f(:\n")
    with pytest.raises(cst.CSTValidationError):  # ... also after a parse that failed
        cst.Name("")
