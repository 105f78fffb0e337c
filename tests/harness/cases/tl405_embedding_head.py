"""TL405: a script exports the first rows of a trained embedding table for a small demo model,
saving the slice directly.

Symptom: the file holds the whole table's storage: ~2.5 MB for a 40 KB slice.  After the safe
fix (`.clone()`) the file is about the slice's size, and the loaded tensor equals the slice
(values, dtype, shape); `outputs()` (the loaded values) are identical before and after.
"""

PROGRAM = '''
import torch


def build_table(rows=10_000, dim=64):
    generator = torch.Generator().manual_seed(0)
    return torch.randn(rows, dim, generator=generator)


def export_head(path, rows=160):
    table = build_table()
    torch.save(table[:rows], path)
    return table
'''


def symptom(program):
    import os

    import torch

    table = program.export_head("head.pt")
    loaded = torch.load("head.pt")
    torch.testing.assert_close(loaded, table[:160])
    size = os.path.getsize("head.pt")
    slice_bytes = loaded.numel() * loaded.element_size()
    if size > 10 * slice_bytes:
        return f"head.pt is {size} bytes for a {slice_bytes}-byte slice (the whole table's storage)"
    assert size < 2 * slice_bytes + 4096, (size, slice_bytes)
    return None


def outputs(program):
    import torch

    program.export_head("again.pt")
    loaded = torch.load("again.pt")
    return {"shape": list(loaded.shape), "dtype": str(loaded.dtype), "sum": float(loaded.sum())}
