"""TL601 missing-eval: evaluation contexts, the path through callers, model classes, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry
from torchlint.engine import lint_source

SELECT = ["TL601"]

DROPOUT_NET = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))
"""

POSITIVES = {
    "decorator-no-grad-call": DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    return [model(x) for x, _ in loader]
""",
    "decorator-no-grad-bare": DROPOUT_NET + """
@torch.no_grad
def predict(model, x):
    return model(x).argmax(1)
""",
    "decorator-inference-mode": DROPOUT_NET + """
@torch.inference_mode()
def infer(model, batch):
    return model(batch)
""",
    "with-block-batchnorm-submodule-from-torch-import-nn": """
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return self.bn(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(3)

    def forward(self, x):
        return self.block(x).mean((1, 2, 3))


def validate(net, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (net(x) > 0).eq(y).sum().item()
    return correct


validate(Net(), [])
""",
    "th-alias-and-renamed-dropout": """
import torch as th
from torch.nn import Dropout as D, Module, Linear


class Head(Module):
    def __init__(self):
        super().__init__()
        self.lin = Linear(4, 4)
        self.d = D(0.1)

    def forward(self, x):
        return self.d(self.lin(x))


def test_accuracy(head, test_loader):
    with th.no_grad():
        return sum(head(x).sum() for x in test_loader)


test_accuracy(Head(), [])
""",
    "caller-trains-then-validates": DROPOUT_NET + """
def validate(model, val_loader):
    with torch.no_grad():
        return [model(x) for x in val_loader]


def main(train_loader, val_loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        validate(model, val_loader)
""",
    "unresolved-model-unambiguous-context": """
import torch


def evaluate(model, val_loader):
    with torch.no_grad():
        for images, labels in val_loader:
            outputs = model(images)
""",
    "sequential-with-dropout-module-level": """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1))
with torch.no_grad():
    for x in test_loader:
        print(model(x))
""",
    "trainer-self-model": DROPOUT_NET + """
class Trainer:
    def __init__(self):
        self.model = Net()

    @torch.no_grad()
    def evaluate(self, loader):
        return [self.model(x) for x in loader]
""",
    "ddp-wrapped-model-never-evaluated": DROPOUT_NET + """
from torch.nn.parallel import DistributedDataParallel as DDP


@torch.no_grad()
def evaluate(model, loader):
    return [model(x) for x in loader]


def main(loader):
    model = DDP(Net())
    model.module.train()
    evaluate(model, loader)
""",
    "module-forward-method-called": DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    return [model.module.forward(x) for x in loader]
""",
    "reads-self-training": """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=self.training)


@torch.no_grad()
def evaluate(model, loader):
    return [model(x) for x in loader]
""",
    "script-epoch-loop-validation-block": """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in val_loader:
            print(model(x))
""",
    "built-in-eval-mode-then-trained": DROPOUT_NET + """
@torch.no_grad()
def test(test_loader, device):
    model = Net().eval().train()
    return [model(x) for x, _ in test_loader]
""",
    "lstm-with-recurrent-dropout": """
import torch
import torch.nn as nn


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16)
        self.rnn = nn.LSTM(16, 32, num_layers=2, dropout=0.3, batch_first=True)
        self.head = nn.Linear(32, 100)

    def forward(self, x):
        return self.head(self.rnn(self.embed(x))[0])


lm = LanguageModel()
with torch.no_grad():
    for tokens in val_batches:
        print(lm(tokens).argmax(-1))
""",
    "gru-dropout-from-constructor-default": """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, hidden=32, layers=2, dropout=0.2):
        super().__init__()
        self.gru = nn.GRU(8, hidden, layers, dropout=dropout)

    def forward(self, x):
        return self.gru(x)[0]


@torch.no_grad()
def encode_all(encoder, batches):
    return [encoder(b) for b in batches]


encode_all(Encoder(), [])
""",
    "attention-dropout": """
import torch
import torch.nn as nn


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 4, dropout=0.1)

    def forward(self, x):
        return self.mha(x, x, x)[0]


@torch.no_grad()
def sample_outputs(attn, x):
    return attn(x)


sample_outputs(Attn(), torch.randn(3, 2, 16))
""",
    "wrapper-handed-a-model-in-training-mode": DROPOUT_NET + """
class Predictor:
    def __init__(self, model, device="cpu"):
        self.model = model
        self.device = device

    def inference(self, img):
        with torch.no_grad():
            return self.model(img.to(self.device))


def main():
    model = Net()
    model.train()
    predictor = Predictor(model)
    return predictor.inference(torch.randn(1, 8))
""",
    "loaded-teacher-only-run-under-no-grad": DROPOUT_NET + """
def main(loader, path):
    teacher = Net()
    teacher.load_state_dict(torch.load(path))
    student = Net()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    for epoch in range(10):
        student.train()
        for x, y in loader:
            with torch.no_grad():
                soft = teacher(x)
            loss = (student(x) - soft).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
""",
    "validation-after-a-same-file-train-function": DROPOUT_NET + """
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
        with torch.no_grad():
            for x, y in val_loader:
                print(model(x))
""",
    "dropout-guarded-by-its-rate": """
import torch
import torch.nn as nn


class UNetDown(nn.Module):
    def __init__(self, in_size, out_size, dropout=0.0):
        super().__init__()
        layers = [nn.Conv2d(in_size, out_size, 4, 2, 1), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


generator = UNetDown(3, 8, dropout=0.5)


def sample_images(real_a):
    return generator(real_a)
""",
}

NEGATIVES = {
    "dropout-rate-parameter-defaulting-to-zero": """
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim, drop_rate=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x):
        return self.drop(self.fc(x))


block = Block(8)


def sample_features(x):
    return block(x)
""",
    "loaded-teacher-put-in-eval-mode": DROPOUT_NET + """
def main(loader, path):
    teacher = Net()
    teacher.load_state_dict(torch.load(path))
    teacher.eval()
    student = Net()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    for x, y in loader:
        with torch.no_grad():
            soft = teacher(x)
        loss = (student(x) - soft).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
    "ema-teacher-kept-in-training-mode": DROPOUT_NET + """
def main(loader, path):
    ema_model = Net()
    ema_model.load_state_dict(torch.load(path))
    student = Net()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    for x, y in loader:
        with torch.no_grad():
            soft = ema_model(x)
        loss = (student(x) - soft).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
    "loaded-model-that-is-trained": DROPOUT_NET + """
def main(loader, path):
    net = Net()
    net.load_state_dict(torch.load(path))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for x, y in loader:
        with torch.no_grad():
            target = net(y)
        loss = (net(x) - target).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
    "teacher-of-unknown-class": """
import torch
from torchvision.models import resnet50


def main(loader, path, student, optimizer):
    teacher = resnet50()
    teacher.load_state_dict(torch.load(path))
    for x, y in loader:
        with torch.no_grad():
            soft = teacher(x)
        loss = (student(x) - soft).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
    "eval-before-injection-into-wrapper": DROPOUT_NET + """
from yolox.utils import fuse_model


class Predictor(object):
    def __init__(self, model, exp, trt_file=None, device="cpu"):
        self.model = model
        self.device = device
        if trt_file is not None:
            from torch2trt import TRTModule

            model_trt = TRTModule()
            model_trt.load_state_dict(torch.load(trt_file))
            self.model = model_trt

    def inference(self, img):
        img = img.to(self.device)
        with torch.no_grad():
            outputs = self.model(img)
        return outputs


def main(exp, args):
    model = exp.get_model()
    if args.device == "gpu":
        model.cuda()
    model.eval()
    if args.fuse:
        model = fuse_model(model)
    predictor = Predictor(model, exp, None, args.device)
    return predictor.inference(torch.randn(1, 8))
""",
    "eval-before-injection-by-keyword": DROPOUT_NET + """
class Extractor:
    def __init__(self, net=None, size=224):
        self.net = net
        self.size = size

    @torch.no_grad()
    def predict(self, x):
        return self.net(x)


def build():
    net = Net()
    net.eval()
    return Extractor(net=net, size=128)
""",
    "transformer-layer-without-dropout": """
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0)

    def forward(self, x):
        return self.layer(x)


@torch.no_grad()
def sample_codes(encoder, x):
    return encoder(x)


sample_codes(Encoder(), torch.randn(3, 2, 16))
""",
    "dropout-rate-zero": """
import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self, drop_rate=0.0):
        super().__init__()
        self.drop = nn.Dropout(drop_rate)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


@torch.no_grad()
def sample_logits(head, x):
    return head(x)


sample_logits(Head(), torch.randn(2, 8))
""",
    "single-layer-lstm-dropout-has-no-effect": """
import torch
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 8, num_layers=1, dropout=0.5)

    def forward(self, x):
        return self.rnn(x)[0]


@torch.no_grad()
def sample_tags(tagger, x):
    return tagger(x)


sample_tags(Tagger(), torch.randn(3, 2, 8))
""",
    "metric-network-lpips": DROPOUT_NET + """
import lpips


class Trainer:
    def __init__(self):
        self.model = Net()
        self.lpips_net = lpips.LPIPS(net="alex")

    @torch.no_grad()
    def validate(self, val_loader):
        self.model.eval()
        scores = []
        for x, y in val_loader:
            scores.append(self.lpips_net(self.model(x), y))
        self.model.train()
        return scores
""",
    "parameter-free-ssim-module": """
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GaussianSSIM(nn.Module):
    def __init__(self, window=11, sigma=1.5):
        super().__init__()
        g = torch.tensor([math.exp(-((x - window // 2) ** 2) / (2 * sigma**2)) for x in range(window)])
        g = g / g.sum()
        self.register_buffer("window", g.outer(g)[None, None])

    def forward(self, a, b):
        return F.conv2d(a * b, self.window).mean()


@torch.no_grad()
def test(net, loader):
    return [net(x, y) for x, y in loader]


test(GaussianSSIM(), val_loader)
""",
    "parameter-free-psnr-module": """
import math

import torch
import torch.nn as nn


class PSNR(nn.Module):
    def __init__(self, max_val=1.0):
        super().__init__()
        self.offset = 20 * math.log10(max_val)

    def forward(self, a, b):
        return self.offset - 10 * torch.log10(((a - b) ** 2).mean())


@torch.no_grad()
def evaluate(model, loader):
    return [model(x, y) for x, y in loader]


evaluate(PSNR(), val_loader)
""",
    "teacher-taken-from-a-dict-of-models": DROPOUT_NET + """
def main(test_loader):
    snet, tnet = Net(), Net()
    tnet.eval()
    test(test_loader, {"snet": snet, "tnet": tnet})


def test(test_loader, nets):
    snet = nets["snet"]
    tnet = nets["tnet"]
    snet.eval()
    for img, target in test_loader:
        with torch.no_grad():
            out_s = snet(img)
            out_t = tnet(img)
""",
    "built-and-put-in-eval-mode-in-one-expression": DROPOUT_NET + """
@torch.no_grad()
def test(test_loader, device):
    model = getattr(models, "Net")().eval()
    model.to(device)
    return [model(x) for x, _ in test_loader]
""",
    "torch-loss-module": """
import torch
import torch.nn as nn


@torch.no_grad()
def validate(model, val_loader):
    return sum(model(x, y) for x, y in val_loader)


validate(nn.MSELoss(), val_loader)
""",
    "imported-callable-with-model-in-its-name": """
import torch
from .solver import model_wrapper


@torch.no_grad()
def sample(x, val_loader):
    return model_wrapper(x)
""",
    "target-network-in-module-level-training-loop": """
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 1))
target = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(100):
    with torch.no_grad():
        t = target(x)
    loss = (model(x) - t).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
""",
    "batchnorm-without-running-stats": """
import torch
import torch.nn as nn


@torch.no_grad()
def evaluate(loader):
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4, track_running_stats=False))
    return [model(x) for x in loader]
""",
    "eval-in-function": DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    return [model(x) for x in loader]
""",
    "train-false": DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    model.train(False)
    return [model(x) for x in loader]
""",
    "every-caller-evals": DROPOUT_NET + """
def validate(model, val_loader):
    with torch.no_grad():
        return [model(x) for x in val_loader]


def main(train_loader, val_loader):
    model = Net()
    for epoch in range(10):
        model.train()
        train(model, train_loader)
        model.eval()
        validate(model, val_loader)
    model.eval()
    validate(model, val_loader)
""",
    "ddp-module-eval": DROPOUT_NET + """
from torch.nn.parallel import DistributedDataParallel as DDP


@torch.no_grad()
def evaluate(model, loader):
    model.module.eval()
    return [model(x) for x in loader]
""",
    "wrapper-eval-covers-inner": DROPOUT_NET + """
import torch.nn as nn


def run(loader):
    net = Net()
    model = nn.DataParallel(net)
    model.eval()
    with torch.no_grad():
        return [net(x) for x in loader]
""",
    "target-network-under-no-grad-in-training-step": DROPOUT_NET + """
def optimize(policy_net, target_net, optimizer, batch):
    with torch.no_grad():
        next_q = target_net(batch.next_state).max(1).values
    loss = (policy_net(batch.state).sum(1) - next_q).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


optimize(Net(), Net(), None, None)
""",
    "backward-in-block": DROPOUT_NET + """
def validate(model, val_loader, optimizer):
    for x in val_loader:
        loss = model(x).sum()
        loss.backward()
        optimizer.step()
""",
    "class-without-mode-layers": """
import torch
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def evaluate(model, val_loader):
    with torch.no_grad():
        return [model(x) for x in val_loader]


evaluate(MLP(), [])
""",
    # Instance norm normalises each sample by its own statistics in training mode, as in training:
    # the training-mode forward is right for inference (only eval mode, with running stats, differs).
    "instance-norm-with-running-stats": """
import torch
import torch.nn as nn


class Styler(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.InstanceNorm2d(3, track_running_stats=True)

    def forward(self, x):
        return self.norm(x)


@torch.no_grad()
def sample_images(styler, z):
    return styler(z)


sample_images(Styler(), torch.randn(1, 3, 8, 8))
""",
    "instance-norm-without-running-stats": """
import torch
import torch.nn as nn


@torch.no_grad()
def evaluate(loader):
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.InstanceNorm2d(3))
    return [model(x) for x in loader]
""",
    "unresolved-model-without-eval-name": """
import torch


def features(backbone_model, x):
    with torch.no_grad():
        return backbone_model(x)
""",
    "unresolved-non-model-name": """
import torch


def evaluate(criterion, val_loader):
    with torch.no_grad():
        return [criterion(x, y) for x, y in val_loader]
""",
    "module-method-generate": """
import torch
import torch.nn as nn


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(x)

    @torch.no_grad()
    def generate(self, idx):
        return self(idx)

    @torch.no_grad()
    def sample(self, idx):
        return self.drop(idx)
""",
    "smoke-test-function": DROPOUT_NET + """
def test():
    net = Net()
    y = net(torch.randn(2, 8))
    print(y.size())
""",
    "closure-evaluated-by-enclosing-function": DROPOUT_NET + """
def validate(val_loader, model):
    def run_validate(loader):
        with torch.no_grad():
            for images, target in loader:
                output = model(images)

    model.eval()
    run_validate(val_loader)
""",
    "global-model-evaluated-in-caller": DROPOUT_NET + """
model = Net()


@torch.no_grad()
def estimate_loss(loader):
    model.eval()
    out = [model(x) for x in loader]
    model.train()
    return out
""",
    "monte-carlo-dropout": DROPOUT_NET + """
@torch.no_grad()
def mc_dropout_predict(model, x, samples=20):
    return torch.stack([model(x) for _ in range(samples)])


def predict_with_dropout(model, x):
    model.train()
    with torch.no_grad():
        return model(x)
""",
    "loaded-model": """
import torch
from mylib import load_model


def main(val_loader):
    model = load_model("ckpt.pt")
    with torch.no_grad():
        for x in val_loader:
            model(x)
""",
    "eval-through-helper": DROPOUT_NET + """
def set_eval(m):
    m.eval()


@torch.no_grad()
def evaluate(model, loader):
    set_eval(model)
    return [model(x) for x in loader]
""",
    "eval-through-imported-helper": DROPOUT_NET + """
from utils import prepare_for_eval


@torch.no_grad()
def evaluate(model, loader):
    prepare_for_eval(model)
    return [model(x) for x in loader]
""",
    "for-loop-over-models": DROPOUT_NET + """
def main(loader):
    models = [Net(), Net()]
    for m in models:
        m.eval()
    with torch.no_grad():
        for x in loader:
            models[0](x)
""",
    "callback-reference": DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    return [model(x) for x in loader]


hooks = {"eval": evaluate}
""",
    "framework-hook-method": DROPOUT_NET + """
class MyTask(FrameworkTask):
    def valid_step(self, sample, model):
        with torch.no_grad():
            return model(sample)
""",
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name):
    assert codes(POSITIVES[name], SELECT) == ["TL601"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_pytest_file_is_not_an_evaluation():
    code = dedent(DROPOUT_NET + """
def test_output_shape():
    net = Net()
    with torch.no_grad():
        assert net(torch.randn(2, 8)).shape == (2, 2)
""")
    assert lint_source("tests/test_model.py", code, registry.select_rules(SELECT)) == []
    assert len(lint_source("model_check.py", code, registry.select_rules(SELECT))) == 1


def test_message_names_the_evidence():
    [finding] = lint(POSITIVES["with-block-batchnorm-submodule-from-torch-import-nn"], SELECT)
    assert "`net.eval()`" in finding.message
    assert "BatchNorm2d" in finding.message and "`Block`" in finding.message


def test_unresolved_message_says_dropout_would_be_active():
    [finding] = lint(POSITIVES["unresolved-model-unambiguous-context"], SELECT)
    assert "any dropout or batch norm stays in training mode" in finding.message


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_message_is_one_short_clause(name):
    [finding] = lint(POSITIVES[name], SELECT)
    assert len(finding.message) <= 160, finding.message
    assert finding.message.endswith((".eval()` first", ".eval()` after loading it"))


def test_recurrent_dropout_evidence_names_the_layer():
    [finding] = lint(POSITIVES["lstm-with-recurrent-dropout"], SELECT)
    assert "nn.LSTM" in finding.message


def test_one_finding_per_block_and_model():
    code = DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    a = [model(x) for x in loader]
    b = [model(x * 2) for x in loader]
    return a, b
"""
    assert codes(code, SELECT) == ["TL601"]


# -- the fix -----------------------------------------------------------------------------
def test_fix_decorated_function_restores_mode_before_final_return():
    fixed = fix(DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader):
    \"\"\"Accuracy.\"\"\"
    correct = 0  # running count
    for x, y in loader:
        correct += model(x).argmax(1).eq(y).sum().item()
    return correct / len(loader)
""", SELECT)
    assert fixed.endswith('''
@torch.no_grad()
def evaluate(model, loader):
    """Accuracy."""
    was_training = model.training
    model.eval()
    correct = 0  # running count
    for x, y in loader:
        correct += model(x).argmax(1).eq(y).sum().item()
    model.train(was_training)
    return correct / len(loader)
''')


def test_fix_guards_a_function_whose_block_returns():
    fixed = fix(POSITIVES["caller-trains-then-validates"], SELECT)
    assert '''
def validate(model, val_loader):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return [model(x) for x in val_loader]
    finally:
        model.train(was_training)
''' in fixed


def test_fix_wraps_the_no_grad_block_and_keeps_comments():
    fixed = fix("""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2))
for epoch in range(3):
    train_one_epoch(model)
    # validation
    with torch.no_grad():  # no autograd
        for x in val_loader:
            print(model(x))
    save(model)
""", SELECT)
    assert fixed == dedent("""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2))
for epoch in range(3):
    train_one_epoch(model)
    # validation
    was_training = model.training
    model.eval()
    with torch.no_grad():  # no autograd
        for x in val_loader:
            print(model(x))
    model.train(was_training)
    save(model)
""")


def test_fix_picks_a_free_flag_name():
    fixed = fix(DROPOUT_NET + """
@torch.no_grad()
def evaluate(model, loader, was_training=None):
    print([model(x) for x in loader])
""", SELECT)
    assert "model_was_training = model.training" in fixed
    assert "model.train(model_was_training)" in fixed


def test_no_fix_for_generator():
    code = DROPOUT_NET + """
@torch.no_grad()
def predict(model, loader):
    for x in loader:
        yield model(x)
"""
    [finding] = lint(code, SELECT)
    assert finding.fix is None
    assert fix(code, SELECT) == dedent(code)


def test_no_fix_when_model_is_built_inside_the_block():
    code = """
import torch
import torch.nn as nn

with torch.no_grad():
    model = nn.Sequential(nn.Dropout(0.5))
    for x in val_loader:
        print(model(x))
"""
    [finding] = lint(code, SELECT)
    assert finding.fix is None
