"""TL204 loss-accumulated-with-graph: accumulators that keep every step's graph, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL204"]

STEP = """
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
"""

POSITIVES = {
    "plus-equals-loss": """
        def train(model, loader, criterion, optimizer):
            total_loss = 0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                total_loss += loss
            return total_loss / len(loader)
    """,
    "append-loss": """
        def train(model, loader, criterion, optimizer):
            losses = []
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                losses.append(loss)
            return losses
    """,
    "weighted-by-batch-size": """
        def train(model, loader, criterion, optimizer):
            running = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                running += loss * x.size(0)
    """,
    "sum-plus-criterion-call": """
        import torch.nn.functional as F

        def train(model, loader, optimizer):
            epoch_sum = 0.0
            for x, y in loader:
                out = model(x)
                loss = F.cross_entropy(out, y)
""" + STEP + """
                epoch_sum = epoch_sum + F.cross_entropy(out, y)
    """,
    "component-of-the-loss": """
        def train(model, loader, optimizer):
            total_aux = 0
            for x, y in loader:
                ce, aux = model(x, y)
                loss = ce + 0.4 * aux
""" + STEP + """
                total_aux += aux
    """,
    "epoch-loop-resets-batch-loop-accumulates": """
        def train(model, loader, criterion, optimizer, epochs):
            for epoch in range(epochs):
                epoch_loss = 0.0
                for x, y in loader:
                    loss = criterion(model(x), y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    epoch_loss += loss
                print(epoch, epoch_loss)
    """,
}

NEGATIVES = {
    "item": """
        def train(model, loader, criterion, optimizer):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                total += loss.item()
    """,
    "append-detach": """
        def train(model, loader, criterion, optimizer):
            losses = []
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                losses.append(loss.detach())
    """,
    "data-and-float": """
        def train(model, loader, criterion, optimizer):
            a, b = 0.0, 0.0
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                total += loss.data
                total += float(loss)
    """,
    "reassigned-to-item-before": """
        def train(model, loader, criterion, optimizer):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                loss = loss.item()
                total += loss
    """,
    "outside-a-training-loop": """
        def evaluate(model, loader, criterion):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
                total += loss
            return total
    """,
    "under-no-grad": """
        import torch

        def train(model, loader, criterion, optimizer):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                with torch.no_grad():
                    total += loss
    """,
    "metric-not-requiring-grad": """
        def train(model, loader, criterion, optimizer):
            correct = 0
            for x, y in loader:
                out = model(x)
                loss = criterion(out, y)
""" + STEP + """
                correct += (out.argmax(1) == y).sum()
    """,
    "loss-summed-over-steps-then-backward": """
        def train(model, seq, criterion, optimizer):
            for batch in seq:
                loss = 0
                for t in range(len(batch)):
                    loss += criterion(model(batch[t]), batch[t])
                loss.backward()
                optimizer.step()
    """,
    "accumulated-for-a-later-backward": """
        import torch

        def train(model, chunks, criterion, optimizer):
            losses = []
            for x, y in chunks:
                part = criterion(model(x), y)
                losses.append(part)
                part.backward(retain_graph=True)
            torch.stack(losses).sum().backward()
    """,
    "accumulator-reset-inside-loop": """
        def train(model, loader, criterion, optimizer):
            for x, y in loader:
                parts = []
                loss = criterion(model(x), y)
""" + STEP + """
                parts.append(loss)
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL204"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message():
    (finding,) = lint(POSITIVES["append-loss"], SELECT)
    assert finding.message.startswith("`losses` accumulates `loss` with its autograd graph")
    assert finding.message.endswith("use `loss.detach()`")
    assert len(finding.message) <= 160


def test_fix_uses_item_for_a_number_accumulator_used_as_a_number():
    code = POSITIVES["epoch-loop-resets-batch-loop-accumulates"]  # only printed
    assert "epoch_loss += loss.item()\n" in fix(code, SELECT, unsafe=True)


def test_fix_uses_detach_when_the_accumulator_is_returned_or_passed_on():
    assert "        total_loss += loss.detach()\n" in fix(POSITIVES["plus-equals-loss"], SELECT, unsafe=True)
    code = """
        import torch.distributed as dist

        def train(model, loader, criterion, optimizer):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                total += loss
            dist.all_reduce(total)
            print(total)
    """
    assert "total += loss.detach()" in fix(code, SELECT, unsafe=True)


def test_fix_uses_detach_for_append_and_for_tensor_use_later():
    assert "losses.append(loss.detach())" in fix(POSITIVES["append-loss"], SELECT, unsafe=True)
    code = """
        def train(model, loader, criterion, optimizer):
            total = 0.0
            for x, y in loader:
                loss = criterion(model(x), y)
""" + STEP + """
                total += loss
            return total.item()
    """
    assert "total += loss.detach()" in fix(code, SELECT, unsafe=True)


def test_fix_inside_arithmetic_and_on_a_call():
    assert "running += loss.item() * x.size(0)" in fix(POSITIVES["weighted-by-batch-size"], SELECT, unsafe=True)
    fixed = fix(POSITIVES["sum-plus-criterion-call"], SELECT, unsafe=True)  # never used afterwards: a number
    assert "epoch_sum = epoch_sum + F.cross_entropy(out, y).item()" in fixed


def test_fix_keeps_the_rest_of_the_file():
    code = POSITIVES["epoch-loop-resets-batch-loop-accumulates"]
    assert fix(code, SELECT, unsafe=True) == dedent(code).replace("epoch_loss += loss\n", "epoch_loss += loss.item()\n")


def test_long_names_keep_the_message_short():
    code = """
        def train(model, loader, optimizer):
            total_accumulated_training_loss_value = 0.0
            for x, y in loader:
                optimizer.zero_grad()
                reconstruction_loss_with_regularisation_and_more = model(x, y)
                reconstruction_loss_with_regularisation_and_more.backward()
                optimizer.step()
                total_accumulated_training_loss_value += reconstruction_loss_with_regularisation_and_more
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160
