"""TL205 missing-zero-grad: training loops whose gradients are never reset, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL205"]

POSITIVES = {
    "plain-loop": """
        import torch

        def train(model, loader, criterion):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for x, y in loader:
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
    """,
    "zero-grad-only-once-before-the-loop": """
        def train(model, loader, opt):
            opt.zero_grad()
            for x, y in loader:
                out = model(x)
                loss = (out - y).pow(2).mean()
                loss.backward()
                opt.step()
    """,
    "zero-grad-in-epoch-loop-but-step-per-batch": """
        def train(model, loader, optimizer, epochs):
            for epoch in range(epochs):
                optimizer.zero_grad()
                for x, y in loader:
                    model(x).sum().backward()
                    optimizer.step()
    """,
    "amp-scaler": """
        def train(model, loader, optimizer, scaler):
            for x, y in loader:
                with torch.autocast("cuda"):
                    loss = model(x, y)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
    """,
    "while-loop-self-optimizer": """
        class Trainer:
            def fit(self):
                step = 0
                while step < self.max_steps:
                    loss = self.model(next(self.batches))
                    loss.backward()
                    self.optimizer.step()
                    step += 1
    """,
    "accumulation-without-reset": """
        def train(model, loader, optimizer, k):
            for i, (x, y) in enumerate(loader):
                loss = model(x, y) / k
                loss.backward()
                if (i + 1) % k == 0:
                    optimizer.step()
    """,
}

NEGATIVES = {
    "zero-grad-before-backward": """
        def train(model, loader, optimizer):
            for x, y in loader:
                optimizer.zero_grad()
                model(x, y).backward()
                optimizer.step()
    """,
    "zero-grad-after-step": """
        def train(model, loader, optimizer):
            for x, y in loader:
                model(x, y).backward()
                optimizer.step()
                optimizer.zero_grad()
    """,
    "gradient-accumulation": """
        def train(model, loader, optimizer, k):
            for i, (x, y) in enumerate(loader):
                loss = model(x, y) / k
                loss.backward()
                if (i + 1) % k == 0:
                    optimizer.step()
                    optimizer.zero_grad()
    """,
    "set-to-none-elsewhere-in-the-loop": """
        def train(model, loader, optimizer):
            for x, y in loader:
                model(x, y).backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
    """,
    "model-zero-grad": """
        def train(model, loader, optimizer):
            for x, y in loader:
                model.zero_grad()
                model(x, y).backward()
                optimizer.step()
    """,
    "zero-grad-in-same-file-helper": """
        def reset(model):
            for p in model.parameters():
                p.grad = None

        def train(model, loader, optimizer):
            for x, y in loader:
                model(x, y).backward()
                optimizer.step()
                reset(model)
    """,
    "grad-set-to-none-in-loop": """
        def train(model, loader, optimizer):
            for x, y in loader:
                model(x, y).backward()
                optimizer.step()
                for p in model.parameters():
                    p.grad = None
    """,
    "grad-zero-underscore": """
        def train(params, loader, optimizer):
            for x in loader:
                (params[0] * x).sum().backward()
                optimizer.step()
                for p in params:
                    p.grad.data.zero_()
    """,
    "accelerate-backward": """
        def train(model, loader, optimizer, accelerator):
            for x, y in loader:
                loss = model(x, y)
                accelerator.backward(loss)
                optimizer.step()
    """,
    "lbfgs-closure": """
        def train(model, x, y, optimizer):
            for _ in range(20):
                def closure():
                    optimizer.zero_grad()
                    loss = model(x, y)
                    loss.backward()
                    return loss
                optimizer.step(closure)
    """,
    "no-optimizer-step-in-loop": """
        def grads(model, loader):
            for x, y in loader:
                model(x, y).backward()
            return [p.grad for p in model.parameters()]
    """,
    "scheduler-step-is-not-an-optimizer": """
        def train(model, loader, scheduler):
            for x, y in loader:
                model(x, y).backward()
                scheduler.step()
    """,
    "inner-critic-loop-has-reset": """
        def train(G, D, loader, opt_d, opt_g):
            for x in loader:
                for _ in range(5):
                    opt_d.zero_grad()
                    D(x).mean().backward()
                    opt_d.step()
                opt_g.zero_grad()
                G(x).mean().backward()
                opt_g.step()
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL205"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message_points_at_backward_and_names_the_optimizer():
    (finding,) = lint(POSITIVES["amp-scaler"], SELECT)
    assert "`optimizer.zero_grad()`" in finding.message
    assert finding.line == 6
    assert len(finding.message) <= 160


def test_fix_inserts_zero_grad_before_backward():
    assert fix(POSITIVES["plain-loop"], SELECT, unsafe=True) == dedent("""
        import torch

        def train(model, loader, criterion):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            for x, y in loader:
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    """)


def test_fix_keeps_a_comment_above_the_pair():
    code = """
        def train(model, loader, opt):
            for x in loader:
                # backpropagate
                model(x).sum().backward()  # grads
                opt.step()
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        def train(model, loader, opt):
            for x in loader:
                # backpropagate
                opt.zero_grad()
                model(x).sum().backward()  # grads
                opt.step()
    """)


def test_fix_before_a_with_block_holding_backward():
    code = """
        def train(model, loader, optimizer):
            for x in loader:
                with amp.scale_loss(model(x), optimizer) as scaled:
                    scaled.backward()
                optimizer.step()
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        def train(model, loader, optimizer):
            for x in loader:
                optimizer.zero_grad()
                with amp.scale_loss(model(x), optimizer) as scaled:
                    scaled.backward()
                optimizer.step()
    """)


def test_fix_for_accumulation_resets_after_the_conditional_step():
    assert fix(POSITIVES["accumulation-without-reset"], SELECT, unsafe=True) == dedent("""
        def train(model, loader, optimizer, k):
            for i, (x, y) in enumerate(loader):
                loss = model(x, y) / k
                loss.backward()
                if (i + 1) % k == 0:
                    optimizer.step()
                    optimizer.zero_grad()
    """)


def test_two_optimizers_are_reported_without_a_fix():
    code = """
        def train(G, D, loader, opt_g, opt_d):
            for x in loader:
                D(x).mean().backward()
                opt_d.step()
                G(x).mean().backward()
                opt_g.step()
    """
    (finding,) = lint(code, SELECT)
    assert "`opt_d.step()` / `opt_g.step()`" in finding.message
    assert finding.fix is None
    assert fix(code, SELECT, unsafe=True) == dedent(code)


def test_silent_when_the_optimizer_goes_to_code_it_cannot_see():
    code = """
        from .utils import clip_and_log

        def train(model, loader, optimizer):
            for x, y in loader:
                model(x, y).backward()
                clip_and_log(model, optimizer)
                optimizer.step()
    """
    assert codes(code, SELECT) == []
    inherited_hook = """
        from .base import BaseTrainer

        class Trainer(BaseTrainer):
            def fit(self, loader):
                for batch in loader:
                    self.model(batch).backward()
                    self.optimizer.step()
                    self.after_iter()
    """
    assert codes(inherited_hook, SELECT) == []


def test_long_optimizer_names_keep_the_message_short():
    code = """
        def train(G, D, loader):
            for x in loader:
                D(x).mean().backward()
                self.optimizer_discriminator_main.step()
                G(x).mean().backward()
                self.optimizer_generator_main_network.step()
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160
    assert "`self.optimizer_discriminator_main.step()`" in finding.message
