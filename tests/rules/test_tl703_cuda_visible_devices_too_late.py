"""TL703 cuda-visible-devices-too-late: the ordering logic on CPU, and the symptom on a GPU."""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import codes, lint

SELECT = ["TL703"]

POSITIVES = {
    "after-is-available-in-a-function": """
        import os
        import torch

        def main(args):
            use_gpu = torch.cuda.is_available()
            os.environ["CUDA_VISIBLE_DEVICES"] = args.gpu_ids
    """,
    "module-level-after-device-count": """
        import os
        import torch

        n = torch.cuda.device_count()
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "0")
    """,
    "after-model-cuda": """
        import os

        def run(model, gpus):
            model.cuda()
            os.putenv("CUDA_VISIBLE_DEVICES", gpus)
    """,
    "environ-update-after-tensor-on-cuda": """
        import os
        import torch

        def run():
            x = torch.zeros(3, device="cuda")
            os.environ.update({"CUDA_VISIBLE_DEVICES": "1"})
    """,
    "function-called-after-module-level-cuda": """
        import os
        from os import environ
        import torch

        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

        def main(gpus):
            environ["CUDA_VISIBLE_DEVICES"] = gpus

        if __name__ == "__main__":
            main("1")
    """,
    "through-a-same-file-helper": """
        import os
        import torch

        def pick_device():
            torch.cuda.set_device(0)

        def main():
            pick_device()
            os.environ["CUDA_VISIBLE_DEVICES"] = "2"
    """,
    "caller-initialised-cuda-first": """
        import os
        import torch

        def configure(gpus):
            os.environ["CUDA_VISIBLE_DEVICES"] = gpus

        def main():
            print(torch.cuda.get_device_name(0))
            configure("1")
    """,
}

NEGATIVES = {
    "set-first": """
        import os
        import torch

        def main(args):
            os.environ["CUDA_VISIBLE_DEVICES"] = args.gpu_ids
            model = Net().cuda()
    """,
    "module-level-before-anything": """
        import os

        os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"

        import torch

        device = torch.device("cuda")
        print(torch.cuda.device_count())
    """,
    "lazy-seeding-does-not-initialise": """
        import os
        import torch

        torch.manual_seed(0)
        torch.cuda.manual_seed_all(0)
        os.environ["CUDA_VISIBLE_DEVICES"] = "0"
    """,
    "torch-device-object-does-not-initialise": """
        import os
        import torch

        device = torch.device("cuda")
        os.environ["CUDA_VISIBLE_DEVICES"] = "0"
    """,
    "cuda-only-in-a-later-function": """
        import os
        import torch

        def train(model):
            model.cuda()

        def main(model):
            os.environ["CUDA_VISIBLE_DEVICES"] = "1"
            train(model)
    """,
    "other-variable": """
        import os
        import torch

        torch.cuda.is_available()
        os.environ["CUDA_LAUNCH_BLOCKING"] = "1"
    """,
    "exclusive-branches": """
        import os
        import torch

        def setup(args, model):
            if args.cpu:
                os.environ["CUDA_VISIBLE_DEVICES"] = ""
            else:
                model.cuda()
    """,
    "reading-is-fine": """
        import os
        import torch

        torch.cuda.is_available()
        print(os.environ["CUDA_VISIBLE_DEVICES"])
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL703"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message_names_the_earlier_call_and_has_no_fix():
    (finding,) = lint(POSITIVES["after-is-available-in-a-function"], SELECT)
    assert "`torch.cuda.is_available()`" in finding.message
    assert "launcher" in finding.message
    assert len(finding.message) <= 160
    assert finding.fix is None


def test_long_calls_keep_the_message_short():
    code = """
        import os

        def run(very_long_model_variable_name_for_the_detector):
            very_long_model_variable_name_for_the_detector.backbone.cuda()
            os.environ["CUDA_VISIBLE_DEVICES"] = "1"
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160


# -- the symptom, on a CUDA machine ------------------------------------------------------------
_PROBE = textwrap.dedent("""
    import json, os, sys
    import torch

    if not torch.cuda.is_available():  # also initialises CUDA: the order under test
        print(json.dumps({"cuda": False}))
        sys.exit(0)
    before = torch._C._cuda_getDeviceCount()
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # hide every GPU -- too late
    after = torch._C._cuda_getDeviceCount()
    x = torch.ones(1, device="cuda") * 2  # still runs on a GPU
    print(json.dumps({"cuda": True, "before": before, "after": after, "device": str(x.device)}))
""")
_CONTROL = textwrap.dedent("""
    import json, os
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before anything touches CUDA
    import torch
    print(json.dumps({"available": torch.cuda.is_available()}))
""")


def _run(program: str) -> dict:
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.gpu
def test_gpu_setting_after_initialisation_leaves_the_device_count_unchanged():
    late = _run(_PROBE)
    if not late["cuda"]:
        pytest.skip("TL703 GPU case needs CUDA and torch.cuda.is_available() is False")
    assert codes(_PROBE, SELECT) == ["TL703"]  # the rule sees this program's ordering
    assert late["before"] > 0 and late["after"] == late["before"], late
    assert late["device"].startswith("cuda"), late
    assert _run(_CONTROL) == {"available": False}  # set in time, the same value hides every GPU
