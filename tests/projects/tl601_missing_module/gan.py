import torch

from nets import Generator  # nets.py is not part of the project

generator = Generator()


def sample_image(n_row):
    z = torch.randn(n_row**2, 100)
    return generator(z)
