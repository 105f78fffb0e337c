"""TL401, GPU form: a 2-process job resumes from a checkpoint that rank 0 saved from GPU 0.

Symptom: rank 1's `torch.load` materialises the checkpoint's tensors on cuda:0 -- GPU 0 memory
allocated by a process whose own device is another GPU (or, with one GPU, every rank piling its
copy onto it).  After the unsafe fix (`map_location="cpu"`) rank 1 loads onto the CPU and
`load_state_dict` copies the values onto its model's device; the resumed weights equal the
checkpoint's on every rank.  Skipped without CUDA.
"""

WORLD_SIZE = 2
UNSAFE = True
GPU = True
TIMEOUT = 240

PROGRAM = '''
import os

import torch
import torch.distributed as dist
import torch.nn as nn


def setup():
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local_rank % torch.cuda.device_count())
    torch.cuda.set_device(device)
    return device


def save(path="checkpoint.pt"):
    device = setup()
    if dist.get_rank() == 0:
        torch.manual_seed(5)
        torch.save({"model": nn.Linear(4, 2).to(device).state_dict()}, path)
    dist.barrier()


def resume(path="checkpoint.pt"):
    device = setup()
    model = nn.Linear(4, 2).to(device)
    checkpoint = torch.load(path)
    loaded_on = {t.device.type + (f":{t.device.index}" if t.device.index is not None else "")
                 for t in checkpoint["model"].values()}
    model.load_state_dict(checkpoint["model"])
    return model, loaded_on
'''


def symptom(program):
    import torch
    import torch.distributed as dist

    program.save("checkpoint.pt")
    model, loaded_on = program.resume("checkpoint.pt")
    reference = torch.load("checkpoint.pt", map_location="cpu")["model"]
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value.cpu(), reference[name])
    if dist.get_rank() == 1 and "cuda:0" in loaded_on:
        return f"rank 1 materialised the checkpoint on {sorted(loaded_on)}"
    return None
