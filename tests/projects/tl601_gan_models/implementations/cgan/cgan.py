import numpy as np
import torch
from torchvision.utils import save_image

from models import *  # noqa: F403 - the script imports its sibling, as `python cgan.py` runs it

generator = Generator()
discriminator = Discriminator()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=2e-4)
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-4)


def sample_image(n_row, batches_done):
    z = torch.randn(n_row**2, 100)
    labels = torch.tensor(np.array([num for _ in range(n_row) for num in range(n_row)]))
    gen_imgs = generator(z, labels)
    save_image(gen_imgs.data, "images/%d.png" % batches_done, nrow=n_row, normalize=True)


for epoch in range(200):
    for i, (imgs, labels) in enumerate(dataloader):
        optimizer_G.zero_grad()
        g_loss = adversarial_loss(discriminator(generator(z, labels), labels), valid)
        g_loss.backward()
        optimizer_G.step()
        if i % 400 == 0:
            sample_image(n_row=10, batches_done=i)
