"""TL203: a tabular classifier whose Dataset keeps its features as a float64 numpy array (numpy's
default) and returns `torch.from_numpy(self.x[i])` from `__getitem__`.

Symptom: the first `nn.Linear` raises `RuntimeError: mat1 and mat2 must have the same dtype, but
got Double and Float`.  After the safe fix (`torch.from_numpy(self.x[i]).float()`) the dataset
yields float32 features, training runs, and the trained weights equal those of a float32
reference computation (the same data cast with `.astype(np.float32)`, the same seeds, the same
steps written out by hand).  The integer labels (`.astype(np.int64)`) are left alone.
Equivalence between original and fixed: not applicable, the original never gets past its
first batch.
"""

PROGRAM = '''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class Readings(Dataset):
    """Sensor readings with a threshold label, kept as numpy arrays."""

    def __init__(self, n=96, features=6, seed=0):
        np.random.seed(seed)
        self.x = np.random.rand(n, features) * 2.0 - 1.0
        self.y = (self.x.sum(axis=1) > 0).astype(np.int64)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])


def make_model(features=6, classes=2):
    return nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))


def train(epochs=3, seed=0, batch_size=16, lr=0.1):
    torch.manual_seed(seed)
    data = Readings(seed=seed)
    loader = DataLoader(data, batch_size=batch_size, shuffle=False)
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
    return model, data


if __name__ == "__main__":
    train()
'''


def symptom(program):
    import numpy as np
    import torch
    import torch.nn.functional as F

    try:
        model, data = program.train()
    except RuntimeError as error:
        message = str(error)
        if "must have the same dtype" in message or "found Double" in message:
            return f"RuntimeError: {message.splitlines()[0]}"
        raise
    features, _ = data[0]
    assert features.dtype == torch.float32, features.dtype
    # Float32 reference: the same data cast up front, the same seeds and steps, by hand.
    torch.manual_seed(0)
    reference_data = program.Readings(seed=0)
    x_all = torch.from_numpy(reference_data.x.astype(np.float32))
    y_all = torch.from_numpy(reference_data.y)
    reference = program.make_model()
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(3):
        for start in range(0, len(x_all), 16):
            optimizer.zero_grad()
            F.cross_entropy(reference(x_all[start:start + 16]), y_all[start:start + 16]).backward()
            optimizer.step()
    for trained, expected in zip(model.parameters(), reference.parameters()):
        assert trained.dtype == torch.float32
        torch.testing.assert_close(trained, expected)
    with torch.no_grad():
        torch.testing.assert_close(model(x_all), reference(x_all))
    return None
