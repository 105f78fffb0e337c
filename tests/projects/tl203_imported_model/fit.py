import numpy as np
import torch

from model import CastingRegressor, Regressor, Scaler


def main():
    features = np.random.rand(16, 4)  # float64
    net = Regressor(4)
    out = net(torch.from_numpy(features))
    casting = CastingRegressor(4)
    out2 = casting(torch.from_numpy(features))
    scale = Scaler()
    out3 = scale(torch.from_numpy(features))
    return out, out2, out3
