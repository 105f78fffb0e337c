from math import log10

import torch
import torch.nn as nn

from model import Net

model = Net(upscale_factor=3)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)


def test(testing_data_loader):
    avg_psnr = 0
    with torch.no_grad():
        for batch in testing_data_loader:
            prediction = model(batch[0])
            avg_psnr += 10 * log10(1 / criterion(prediction, batch[1]).item())
    return avg_psnr / len(testing_data_loader)
