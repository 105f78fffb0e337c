"""TL301: a ViT patch embedding cuts images into patches with a chained `.permute(...).view(...)`.

Symptom: any image with more than one patch raises
`RuntimeError: view size is not compatible with input tensor's size and stride`.
Equivalence: on grayscale images one patch wide, where the original runs, the fixed model
returns exactly the same embeddings.
"""

PROGRAM = '''
import torch
from torch import nn


def patchify(images, p):
    B, C, H, W = images.shape
    gh, gw = H // p, W // p
    x = images.view(B, C, gh, p, gw, p)
    return x.permute(0, 2, 4, 3, 5, 1).view(B, gh * gw, p * p * C)


class PatchEmbed(nn.Module):
    def __init__(self, patch=4, channels=3, dim=16):
        super().__init__()
        self.patch = patch
        self.proj = nn.Linear(patch * patch * channels, dim)

    def forward(self, images):
        return self.proj(patchify(images, self.patch))


def build(channels=3):
    torch.manual_seed(0)
    return PatchEmbed(channels=channels)
'''


def symptom(program):
    import torch

    model = program.build()
    try:
        with torch.no_grad():
            model(torch.randn(2, 3, 8, 8))  # 2 x 2 patches
    except RuntimeError as error:
        if "view size is not compatible" in str(error):
            return str(error).splitlines()[0]
        raise
    return None


def outputs(program):
    import torch

    # Grayscale images one patch wide: the only shapes on which this `view` happens to be legal.
    model = program.build(channels=1)
    torch.manual_seed(1)
    with torch.no_grad():
        out = model(torch.randn(2, 1, 8, 4))
    return out.tolist()
