"""TL203: a time-series regressor (`import torch as th`) copies windows of an `np.sin` signal into
`np.zeros((n, width))` (float64) and feeds `th.tensor(windows[i:i + b])` to `self.net`, an `nn.Sequential` built in the
trainer's `__init__`.

Symptom: `RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float` at the
first `nn.Linear`.  After the safe fix (`th.tensor(..., dtype=th.float32)`, spelled with the
file's `th`) training runs and its weights and predictions equal a float32 reference computation
(the windows cast with `.astype(np.float32)` and the same steps written out by hand).
Equivalence between original and fixed: not applicable, the original fails on its first batch.
"""

PROGRAM = '''
import numpy as np
import torch as th
import torch.nn as nn


def make_signal(n=120, width=8):
    t = np.linspace(0.0, 6.0, n + width)
    return np.sin(t) * 0.5


class Trainer:
    def __init__(self, n=120, width=8, seed=0):
        th.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(width, 16), nn.Tanh(), nn.Linear(16, 1))
        self.optimizer = th.optim.SGD(self.net.parameters(), lr=0.05)
        signal = make_signal(n, width)
        self.windows = np.zeros((n, width))
        self.targets = np.zeros(n)
        for i in range(n):
            self.windows[i] = signal[i:i + width]
            self.targets[i] = signal[i + width]

    def fit(self, epochs=2, batch=20):
        for _ in range(epochs):
            for i in range(0, len(self.targets), batch):
                x = th.tensor(self.windows[i:i + batch])
                y = th.as_tensor(self.targets[i:i + batch], dtype=th.float32)
                self.optimizer.zero_grad()
                loss = ((self.net(x).squeeze(1) - y) ** 2).mean()
                loss.backward()
                self.optimizer.step()
        return self.net


if __name__ == "__main__":
    Trainer().fit()
'''


def symptom(program):
    import numpy as np
    import torch

    try:
        net = program.Trainer().fit()
    except RuntimeError as error:
        message = str(error)
        if "must have the same dtype" in message or "found Double" in message:
            return f"RuntimeError: {message.splitlines()[0]}"
        raise
    # Float32 reference: the windows cast up front, the same seed and steps, by hand.
    signal = program.make_signal()
    windows = np.stack([signal[i:i + 8] for i in range(120)])
    x_all = torch.from_numpy(windows.astype(np.float32))
    y_all = torch.from_numpy(signal[8:128].astype(np.float32))
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.05)
    for _ in range(2):
        for i in range(0, len(y_all), 20):
            optimizer.zero_grad()
            ((reference(x_all[i:i + 20]).squeeze(1) - y_all[i:i + 20]) ** 2).mean().backward()
            optimizer.step()
    for trained, expected in zip(net.parameters(), reference.parameters()):
        assert trained.dtype == torch.float32
        torch.testing.assert_close(trained, expected)
    with torch.no_grad():
        torch.testing.assert_close(net(x_all), reference(x_all))
    return None
