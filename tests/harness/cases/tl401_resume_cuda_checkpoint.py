"""TL401 under real DDP: every rank of a 2-process gloo job resumes a `DistributedDataParallel`
model from a checkpoint that a GPU job saved (its tensors carry the location tag `cuda:0`).

The checkpoint is produced faithfully on CPU: rank 0 saves it with `torch.save` while a
registered location tagger labels every storage `cuda:0`, exactly what saving tensors that live
on GPU 0 writes.  Symptom: on this CPU-only machine every rank's `torch.load` raises
"Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False"
(on a GPU machine every rank would materialise the checkpoint on GPU 0 instead: see the GPU
case).  After the unsafe fix (`map_location="cpu"`, here feeding only `load_state_dict`) every
rank resumes with the checkpoint's weights; `outputs()` -- the resumed model's predictions from
a CPU-saved checkpoint -- is unchanged by the fix.
"""

WORLD_SIZE = 2
UNSAFE = True
TIMEOUT = 180

PROGRAM = '''
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x)


def setup():
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return int(os.environ.get("LOCAL_RANK", "0"))


def resume(path="checkpoint.pt"):
    setup()
    model = Regressor()
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    return DDP(model), checkpoint["epoch"]
'''


def _save_checkpoint(path, on_cuda):
    """Rank 0 writes a checkpoint of known weights; with `on_cuda`, tagged as saved from cuda:0."""
    import torch
    import torch.distributed as dist
    import torch.serialization as serialization

    if dist.get_rank() == 0:
        torch.manual_seed(3)
        weights = {k: torch.randn_like(v) for k, v in _fresh_state().items()}

        def cuda0_tag(storage):
            return "cuda:0"

        def no_deserializer(storage, location):
            return None

        if on_cuda:
            serialization.register_package(-100, cuda0_tag, no_deserializer)
        try:
            torch.save({"model": weights, "epoch": 7}, path)
        finally:
            serialization._package_registry[:] = [
                entry for entry in serialization._package_registry if entry[1] is not cuda0_tag
            ]
    dist.barrier()
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def _fresh_state():
    import torch.nn as nn

    layers = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    return {f"net.{name}": value for name, value in layers.state_dict().items()}  # Regressor's keys


def symptom(program):
    import torch

    expected = _save_checkpoint("checkpoint.pt", on_cuda=True)
    try:
        model, epoch = program.resume("checkpoint.pt")
    except RuntimeError as error:
        if "Attempting to deserialize object on a CUDA device" in str(error):
            return f"RuntimeError: {str(error).split('. ')[0]}"
        raise
    assert epoch == 7
    state = {k.removeprefix("module."): v for k, v in model.state_dict().items()}
    for name, value in expected.items():
        torch.testing.assert_close(state[name], value)
        assert state[name].device.type == "cpu"
    return None


def outputs(program):
    """From a CPU-saved checkpoint both versions resume the same model."""
    import torch

    _save_checkpoint("checkpoint-cpu.pt", on_cuda=False)
    model, epoch = program.resume("checkpoint-cpu.pt")
    x = torch.linspace(-1, 1, 12).reshape(3, 4)
    with torch.no_grad():
        return {"epoch": epoch, "prediction": [round(v, 6) for v in model(x).flatten().tolist()]}


def judge(ranks):
    shown = [bool(r["symptom"]) for r in ranks]
    assert all(shown) or not any(shown), f"the symptom shows on some ranks only: {ranks}"
    assert all(r["outputs"] == ranks[0]["outputs"] for r in ranks), "ranks resumed different models"
