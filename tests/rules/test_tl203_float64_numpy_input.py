"""TL203 float64-numpy-input: positives, look-alikes that are fine, and where the rule stays silent."""

import textwrap

import pytest

from tests.helpers import codes, dedent, lint

SELECT = ["TL203"]

POSITIVES = {
    "module-level-from-numpy": """
        import numpy as np
        import torch
        import torch.nn as nn
        x = np.random.rand(64, 10)
        model = nn.Linear(10, 1)
        out = model(torch.from_numpy(x))
    """,
    "from-numpy-import-random": """
        from numpy import random
        import torch
        from torch import nn
        def main():
            features = random.randn(32, 4)
            net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
            return net(torch.from_numpy(features))
    """,
    "th-alias-tensor": """
        import numpy as np
        import torch as th
        def main():
            layer = th.nn.Linear(3, 1)
            x = th.tensor(np.zeros((5, 3)))
            return layer(x)
    """,
    "as-tensor-array-of-float-literals": """
        import numpy as np
        import torch
        from torch.nn import Linear as Dense
        def main():
            points = np.array([[0.5, 1.0], [2.0, -1.5]])
            head = Dense(2, 1)
            return head(torch.as_tensor(points))
    """,
    "loadtxt-self-attr-from-init": """
        import numpy as np
        import torch
        import torch.nn as nn
        class Regressor(nn.Module):
            def __init__(self, path):
                super().__init__()
                self.table = np.loadtxt(path)
                self.fc = nn.Linear(8, 1)
            def forward(self, i):
                row = torch.from_numpy(self.table[i])
                return self.fc(row)
    """,
    "dataset-getitem-tuple": """
        import numpy as np
        import torch
        from torch.utils.data import Dataset
        class Points(Dataset):
            def __init__(self, n):
                self.x = np.random.uniform(-1, 1, (n, 2))
                self.y = np.arange(n)
            def __len__(self):
                return len(self.x)
            def __getitem__(self, i):
                return torch.from_numpy(self.x[i]), int(self.y[i])
    """,
    "dataset-getitem-dict-through-name": """
        import numpy as np
        import torch
        import torch.utils.data as data
        class Base(data.Dataset):
            pass
        class Frames(Base):
            def __init__(self):
                self.frames = np.genfromtxt("frames.csv", delimiter=",")
            def __getitem__(self, idx):
                sample = torch.tensor(self.frames[idx, 1:])
                return {"x": sample, "y": 0}
    """,
    "linspace-arithmetic-then-device-and-unsqueeze": """
        import numpy as np
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(1, 1)
            def forward(self, x):
                return self.fc(x)
        def evaluate(device):
            grid = np.linspace(0, 1, 100) * 2.0 - 1.0
            model = Net().to(device)
            t = torch.from_numpy(grid).to(device)
            return model(t.unsqueeze(1))
    """,
    "explicit-float64-dtype": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main():
            a = np.ones((4, 3), dtype=np.float64)
            conv = nn.Conv1d(4, 2, 1)
            conv(torch.from_numpy(a).unsqueeze(0))
    """,
    "astype-builtin-float": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(raw):
            b = raw.astype(float)
            conv = nn.Conv1d(4, 2, 1)
            conv(torch.from_numpy(b))
    """,
    "string-dtype-and-zeros-positional": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main():
            a = np.zeros((4, 3), "float64")
            lstm = nn.LSTM(3, 8)
            return lstm(torch.as_tensor(a[None]))
    """,
    "module-level-model-used-in-function": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(2, 1)
        def predict():
            batch = np.random.random((16, 2))
            return model(torch.from_numpy(batch))
    """,
    "functional-linear-with-module-weight": """
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Head(nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = nn.Linear(3, 3)
            def score(self):
                x = torch.from_numpy(np.random.randn(2, 3))
                return F.linear(x, self.proj.weight, self.proj.bias)
    """,
    "functional-conv-with-parameter": """
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Filter(nn.Module):
            def __init__(self):
                super().__init__()
                self.kernel = nn.Parameter(torch.randn(1, 1, 3))
            def run(self):
                signal = torch.from_numpy(np.ones((1, 1, 16)))
                return F.conv1d(signal, self.kernel)
    """,
    "augmented-assignment-keeps-float64": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main():
            x = np.random.normal(0.0, 1.0, (8, 3))
            x /= 255.0
            model = nn.Linear(3, 1)
            return model(torch.from_numpy(x))
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL203"], name


NEGATIVES = {
    "integer-labels": """
        import numpy as np
        import torch
        import torch.nn as nn
        emb = nn.Embedding(10, 4)
        out = emb(torch.from_numpy(np.arange(10)))
    """,
    "float32-dtype": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        a = np.zeros((4, 3), dtype=np.float32)
        b = np.random.rand(4, 3).astype("float32")
        c = np.ones((4, 3), "f4")
        model(torch.from_numpy(a)); model(torch.from_numpy(b)); model(torch.as_tensor(c))
    """,
    "cast-after-conversion": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = np.random.rand(4, 3)
        model(torch.from_numpy(x).float())
        model(torch.from_numpy(x).to(torch.float32))
        model(torch.tensor(x).type(torch.float32))
        t = torch.from_numpy(x)
        t = t.float()
        model(t)
        model(torch.tensor(x, dtype=torch.float32))
        model(torch.as_tensor(x, torch.float32))
    """,
    "float-tensor-constructors-cast": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = np.random.rand(4, 3)
        model(torch.Tensor(x))
        model(torch.FloatTensor(x))
    """,
    "model-made-double": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1).double()
        net = nn.Linear(3, 1)
        net.double()
        x = np.random.rand(4, 3)
        model(torch.from_numpy(x))
        net(torch.from_numpy(x))
    """,
    "model-class-casts-itself": """
        import numpy as np
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)
                self.double()
            def forward(self, x):
                return self.fc(x)
        model = Net()
        model(torch.from_numpy(np.random.rand(4, 3)))
    """,
    "unknown-dtype": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(obs, df, env):
            model = nn.Linear(3, 1)
            model(torch.from_numpy(obs))
            model(torch.from_numpy(df.values))
            model(torch.as_tensor(env.reset()))
            model(torch.from_numpy(np.load("x.npy")))
    """,
    "unknown-consumer": """
        import numpy as np
        import torch
        def main(model, policy):
            x = np.random.rand(4, 3)
            model(torch.from_numpy(x))
            policy.act(torch.from_numpy(x))
            loss = torch.from_numpy(x).sum()
            return loss
    """,
    "parameterless-layers": """
        import numpy as np
        import torch
        import torch.nn as nn
        relu = nn.ReLU()
        loss_fn = nn.MSELoss()
        relu(torch.from_numpy(np.random.rand(3)))
        loss_fn(torch.from_numpy(np.random.rand(3)), torch.from_numpy(np.random.rand(3)))
    """,
    "scalar-random-is-python-float": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(1, 1)
        model(torch.tensor(np.random.rand()).unsqueeze(0))
        model(torch.tensor(np.random.uniform(0, 1)).unsqueeze(0))
    """,
    "conditional-dtype": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(half):
            x = np.random.rand(4, 3)
            if half:
                x = x.astype(np.float32)
            model = nn.Linear(3, 1)
            return model(torch.from_numpy(x))
    """,
    "model-rebound-on-some-path": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(pretrained):
            model = nn.Linear(3, 1)
            if pretrained is not None:
                model = pretrained
            return model(torch.from_numpy(np.random.rand(4, 3)))
    """,
    "not-numpy-random": """
        import random
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        model(torch.tensor(random.random()))
    """,
    "float32-array-times-python-float": """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = np.ones((2, 3), dtype=np.float32) * 0.5
        model(torch.from_numpy(x))
    """,
    "getitem-of-a-non-dataset": """
        import numpy as np
        import torch
        class Table:
            def __init__(self):
                self.x = np.random.rand(10, 3)
            def __getitem__(self, i):
                return torch.from_numpy(self.x[i])
    """,
    "functional-with-float64-weight": """
        import numpy as np
        import torch
        import torch.nn.functional as F
        w = torch.from_numpy(np.random.rand(2, 3))
        x = torch.from_numpy(np.random.rand(4, 3))
        F.linear(x, w)
    """,
    "default-dtype-float64": """
        import numpy as np
        import torch
        import torch.nn as nn
        torch.set_default_dtype(torch.float64)
        model = nn.Linear(3, 1)
        model(torch.from_numpy(np.random.rand(4, 3)))
    """,
    "to-unknown-argument": """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(dtype):
            model = nn.Linear(3, 1)
            model(torch.from_numpy(np.random.rand(4, 3)).to(dtype))
    """,
    "float-rebound": """
        import numpy as np
        import torch
        import torch.nn as nn
        float = np.float32
        model = nn.Linear(3, 1)
        model(torch.from_numpy(np.ones((2, 3), dtype=float)))
    """,
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_points_at_the_conversion_and_names_the_consumer():
    (finding,) = lint(POSITIVES["loadtxt-self-attr-from-init"], SELECT)
    assert (finding.line, finding.column) == (11, 15)  # the `torch.from_numpy(...)` call
    assert "`self.fc(...)`" in finding.message
    assert "mat1 and mat2 must have the same dtype" in finding.message


def test_one_finding_per_conversion():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = np.random.rand(4, 3)
        a = torch.from_numpy(x)
        model(a); model(a[:2])
        b = torch.tensor(x)
        model(b)
    """
    assert codes(code, SELECT) == ["TL203", "TL203"]


def test_elementwise_and_joining_numpy_functions_keep_float64():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(n, width):
            signal = np.sin(np.linspace(0, 6, n + width))
            windows = np.stack([signal[i:i + width] for i in range(n)])
            both = np.concatenate([windows, np.zeros((1, width))])
            labels = np.stack([np.arange(3), np.arange(3)])
            model = nn.Linear(width, 1)
            model(torch.from_numpy(windows))
            model(torch.from_numpy(both))
            model(torch.from_numpy(labels))
            model(torch.from_numpy(np.exp(np.ones((2, width), dtype=np.float32))))
    """
    assert [f.line for f in lint(code, SELECT)] == [11, 12]


def test_tensor_kept_in_self_attr_and_returned_by_getitem():
    code = """
        import numpy as np
        import torch
        from torch.utils.data import Dataset
        class Table(Dataset):
            def __init__(self, path):
                xy = np.loadtxt(path, delimiter=",", skiprows=1)
                self.x = torch.from_numpy(xy[:, 1:])
                self.y = torch.from_numpy(xy[:, [0]]).float()
            def __getitem__(self, index):
                return self.x[index], self.y[index]
    """
    assert [f.line for f in lint(code, SELECT)] == [8]


def test_tensor_attr_reassigned_elsewhere_is_silent():
    code = """
        import numpy as np
        import torch
        from torch.utils.data import Dataset
        class Table(Dataset):
            def __init__(self, path):
                self.x = torch.from_numpy(np.loadtxt(path))
            def normalize(self):
                self.x = self.x.float() / 255
            def __getitem__(self, index):
                return self.x[index]
    """
    assert codes(code, SELECT) == []


def test_model_moved_through_its_own_name():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        def main(device):
            model = nn.Linear(3, 1)
            model = model.to(device)
            return model(torch.from_numpy(np.random.rand(4, 3)).to(device))
    """
    assert codes(code, SELECT) == ["TL203"]


GETITEM_NEGATIVES = {
    "target-is-second": """
        def __getitem__(self, i):
            return int(i), torch.from_numpy(self.x[i])
    """,
    "target-key": """
        def __getitem__(self, i):
            return {"pixels": torch.zeros(3), "labels": torch.from_numpy(self.x[i])}
    """,
}


@pytest.mark.parametrize("name", sorted(GETITEM_NEGATIVES))
def test_dataset_targets_are_not_model_inputs(name):
    code = dedent("""
        import numpy as np
        import torch
        from torch.utils.data import Dataset
        class Points(Dataset):
            def __init__(self):
                self.x = np.random.rand(10, 2)
    """) + textwrap.indent(dedent(GETITEM_NEGATIVES[name]), "    ")
    assert codes(code, SELECT) == []


def test_dataset_with_a_collate_fn_is_silent():
    code = POSITIVES["dataset-getitem-tuple"] + """
        loader = torch.utils.data.DataLoader(Points(8), collate_fn=lambda b: b)
    """
    assert codes(code, SELECT) == []


def test_model_that_casts_its_input_is_silent():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 1)
            def forward(self, x):
                return self.fc(x.float())
        model = Net()
        model(torch.from_numpy(np.random.rand(4, 3)))
    """
    assert codes(code, SELECT) == []


def test_astype_float_without_a_numpy_import():
    code = """
        import torch
        import torch.nn as nn
        def main(frame):
            x = frame.to_numpy().astype(float)
            model = nn.Linear(3, 1)
            return model(torch.from_numpy(x))
    """
    assert codes(code, SELECT) == ["TL203"]


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_messages_fit_an_editor_line(name):
    assert all(len(f.message) <= 160 for f in lint(POSITIVES[name], SELECT))


# -- the model is a parameter (issue 9): reported when every caller in the file passes a float32 module
MODEL_CLASS = """
    import numpy as np
    import torch
    import torch.nn as nn
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 1)
        def forward(self, x):
            return self.fc(x)
"""

PARAMETER_POSITIVES = {
    "issue-example-with-caller": """
        def score(net, path):
            arr = np.loadtxt(path, delimiter=",")
            return net(torch.from_numpy(arr))
        def main():
            model = Net()
            return score(model, "points.csv")
    """,
    "keyword-caller-and-device-move": """
        def evaluate(path, model=None, device="cpu"):
            grid = np.linspace(0, 1, 30).reshape(10, 3)
            x = torch.from_numpy(grid).to(device)
            return model(x)
        def main():
            evaluate("a.csv", model=Net().to("cpu"))
            evaluate("b.csv", model=Net())
    """,
    "any-parameter-name-when-callers-pass-a-module": """
        def apply(fn, n):
            return fn(torch.from_numpy(np.random.rand(n, 3)))
        head = nn.Linear(3, 1)
        out = apply(head, 4)
    """,
}

PARAMETER_NEGATIVES = {
    # A model-like name alone is not proof: float64 models are made on purpose, often elsewhere.
    "no-caller-in-the-file": """
        def score(net, path):
            arr = np.loadtxt(path, delimiter=",")
            return net(torch.from_numpy(arr))
    """,
    "caller-passes-an-unknown-model": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path)))
        def main(ckpt):
            return score(torch.load(ckpt), "points.csv")
    """,
    "one-caller-of-two-is-unknown": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path)))
        def main(other):
            score(Net(), "a.csv")
            score(other, "b.csv")
    """,
    "caller-passes-a-float64-model": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path)))
        def main():
            model = Net().double()
            return score(model, "points.csv")
    """,
    "model-made-float64-in-the-function": """
        def score(net, path):
            net = net.double()
            return net(torch.from_numpy(np.loadtxt(path)))
        def main():
            return score(Net(), "points.csv")
    """,
    "cast-to-float32": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path)).float())
        def main():
            return score(Net(), "points.csv")
    """,
    "float32-array": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path, dtype=np.float32)))
        def main():
            return score(Net(), "points.csv")
    """,
    "star-arguments-at-a-call": """
        def score(net, path):
            return net(torch.from_numpy(np.loadtxt(path)))
        def main(args):
            return score(*args)
    """,
    "method-parameter": """
        class Runner:
            def score(self, net, path):
                return net(torch.from_numpy(np.loadtxt(path)))
        def main():
            return Runner().score(Net(), "points.csv")
    """,
}


@pytest.mark.parametrize("name", sorted(PARAMETER_POSITIVES))
def test_model_parameter_fed_float64(name):
    found = lint(textwrap.dedent(MODEL_CLASS) + textwrap.dedent(PARAMETER_POSITIVES[name]), SELECT)
    assert [f.code for f in found] == ["TL203"]
    assert "float32 model" in found[0].message and len(found[0].message) <= 160


@pytest.mark.parametrize("name", sorted(PARAMETER_NEGATIVES))
def test_model_parameter_not_proven_float32(name):
    assert codes(textwrap.dedent(MODEL_CLASS) + textwrap.dedent(PARAMETER_NEGATIVES[name]), SELECT) == []
