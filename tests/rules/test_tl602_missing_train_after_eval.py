"""TL602 missing-train-after-eval: epoch loops that leave the model in eval mode, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL602"]

HEADER = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x in loader]
"""

TRAIN_STEP = """
        for x, y in train_loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
"""

POSITIVES = {
    "eval-through-same-file-function": HEADER + """
def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for epoch in range(10):
""" + TRAIN_STEP + """
        validate(model, val_loader)
""",
    "direct-eval-in-loop-module-level": HEADER + """
model = Net()
optimizer = torch.optim.Adam(model.parameters())
model.train()
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        print([model(x) for x in val_loader])
""",
    "ddp-module-eval": HEADER + """
from torch.nn.parallel import DistributedDataParallel as DDP


def main(train_loader):
    model = DDP(Net())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        model.module.eval()
        print(model(torch.randn(2, 8)))
""",
    "train-false": HEADER + """
def main(train_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        model.train(False)
""",
    "while-loop-and-train-step-function": HEADER + """
def train_step(model, optimizer, x):
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()


def main(batches):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    step = 0
    while step < 1000:
        train_step(model, optimizer, next(batches))
        if step % 100 == 0:
            validate(model, [])
        step += 1
""",
    "trainer-self-model": HEADER + """
class Trainer:
    def __init__(self):
        self.model = Net()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def fit(self, train_loader, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in train_loader:
                self.optimizer.zero_grad()
                self.model(x).sum().backward()
                self.optimizer.step()
            self.model.eval()
""",
    "optimizer-handed-in-as-a-parameter": """
import torch
import torch.nn.functional as F


def run(net, data, optimizer, n_epochs, val_data):
    net.train()
    for epoch in range(n_epochs):
        for x, y in data:
            optimizer.zero_grad()
            out = net(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            correct = sum((net(x).argmax(1) == y).sum().item() for x, y in val_data)
        print(epoch, correct)
""",
}

NEGATIVES = {
    "handed-in-optimizer-trains-another-model": """
import torch
import torch.nn.functional as F


def distill(student, teacher, data, optimizer, n_epochs):
    for epoch in range(n_epochs):
        teacher.eval()
        for x, y in data:
            with torch.no_grad():
                soft = teacher(x)
            loss = F.kl_div(student(x).log_softmax(1), soft.softmax(1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
""",
    "handed-in-optimizer-frozen-model": """
import torch
import torch.nn.functional as F


def fit(backbone, head, data, optimizer, n_epochs):
    for p in backbone.parameters():
        p.requires_grad = False
    for epoch in range(n_epochs):
        backbone.eval()
        for x, y in data:
            loss = F.cross_entropy(head(backbone(x)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
""",
    "handed-in-optimizer-loss-not-from-the-model": """
import torch


def run(net, probe, data, optimizer, n_epochs):
    for epoch in range(n_epochs):
        net.eval()
        for x, y in data:
            loss = probe(x).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
""",
    "train-at-top-of-loop": HEADER + """
def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()
""" + TRAIN_STEP + """
        validate(model, val_loader)
""",
    "train-inside-train-function": HEADER + """
def train_one_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()


def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        validate(model, val_loader)
""",
    "validate-restores-mode": HEADER + """
def check(model, loader):
    model.eval()
    out = [model(x) for x in loader]
    model.train()
    return out


def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        check(model, val_loader)
""",
    "restores-previous-mode": HEADER + """
def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        was_training = model.training
        model.eval()
        validate(model, val_loader)
        model.train(was_training)
""",
    "imported-train-function-may-set-mode": HEADER + """
from engine import train_one_epoch


def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        loss = optimizer.step()
        validate(model, val_loader)
""",
    "class-without-mode-layers": """
import torch
import torch.nn as nn


def main(train_loader):
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        model.eval()
""",
    "final-evaluation-then-break": HEADER + """
def main(train_loader, val_loader, patience):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
""" + TRAIN_STEP + """
        if epoch > patience:
            model.eval()
            validate(model, val_loader)
            break
""",
    "frozen-teacher": HEADER + """
def main(train_loader):
    student, teacher = Net(), Net()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    for p in teacher.parameters():
        p.requires_grad = False
    for epoch in range(10):
        teacher.eval()
        for x, y in train_loader:
            optimizer.zero_grad()
            (student(x) - teacher(x)).pow(2).sum().backward()
            optimizer.step()
""",
    "fresh-model-every-fold": HEADER + """
def main(folds):
    for fold in range(5):
        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in folds[fold]:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        validate(model, [])
""",
    "no-training-in-loop": HEADER + """
def main(val_loaders):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        validate(model, val_loaders[epoch])
""",
    "batch-loop-is-not-an-epoch-loop": HEADER + """
def main(train_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
""",
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name):
    assert codes(POSITIVES[name], SELECT) == ["TL602"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_message_names_the_helper():
    [finding] = lint(POSITIVES["eval-through-same-file-function"], SELECT)
    assert "through `validate()`" in finding.message
    assert "call `model.train()` at the top of the loop" in finding.message
    assert len(finding.message) <= 160


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_message_is_short(name):
    for finding in lint(POSITIVES[name], SELECT):
        assert len(finding.message) <= 160, finding.message


def test_fix_inserts_train_at_top_of_loop():
    fixed = fix(POSITIVES["eval-through-same-file-function"], SELECT)
    assert fixed.endswith(
        "    model.train()\n"
        "    for epoch in range(10):\n"
        "        model.train()\n"
        "\n"
        "        for x, y in train_loader:\n"
        "            optimizer.zero_grad()\n"
        "            model(x).sum().backward()\n"
        "            optimizer.step()\n"
        "\n"
        "        validate(model, val_loader)\n"
    )


def test_fix_keeps_comment_on_first_statement():
    fixed = fix(HEADER + """
model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(10):  # epochs
    # train
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
""", SELECT)
    assert fixed.endswith(dedent("""
        for epoch in range(10):  # epochs
            model.train()
            # train
            for x, y in train_loader:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
            model.eval()
    """))


def test_fix_self_attribute():
    fixed = fix(POSITIVES["trainer-self-model"], SELECT)
    assert "        for epoch in range(epochs):\n            self.model.train()\n" in fixed


def test_no_fix_when_evaluation_comes_first():
    code = HEADER + """
def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        validate(model, val_loader)
""" + TRAIN_STEP
    [finding] = lint(code, SELECT)
    assert finding.fix is None
