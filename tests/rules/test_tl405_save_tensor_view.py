"""TL405 save-tensor-view (opt-in): saving a view of part of a tensor, look-alikes that are fine, the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL405"]

POSITIVES = {
    "row-slice": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb[:10], "head.pt")
    """,
    "integer-index": """
        import torch as th
        batch = th.zeros(64, 3, 32, 32)
        th.save(batch[0], "first.pt")
    """,
    "column": """
        import torch
        table = torch.rand(100, 4)
        torch.save(table[:, 0], "col.pt")
    """,
    "narrow-of-anything": """
        import torch
        def save_part(t, path):
            torch.save(t.narrow(0, 0, 5), path)
    """,
    "transpose-of-a-slice": """
        import torch
        w = torch.randn(100, 100)
        torch.save(w[:10].T, "w.pt")
    """,
    "chunk-piece": """
        import torch
        x = torch.arange(100)
        torch.save(x.chunk(4)[0], "quarter.pt")
    """,
    "inside-a-dict": """
        from torch import randn, save
        feats = randn(500, 8)
        save({"epoch": 1, "probe": feats[:5]}, "ckpt.pt")
    """,
    "inside-a-list": """
        import torch
        feats = torch.randn(500, 8).float()
        torch.save([feats[1:3]], "ckpt.pt")
    """,
    "name-bound-to-a-slice": """
        import torch
        emb = torch.randn(1000, 16)
        head = emb[:100]
        torch.save(head, "head.pt")
    """,
}

NEGATIVES = {
    "cloned": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb[:10].clone(), "head.pt")
    """,
    "whole-tensor": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb, "emb.pt")
    """,
    "full-slice": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb[:], "emb.pt")
    """,
    "transpose-of-whole": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb.T, "emb.pt")
    """,
    "advanced-indexing-copies": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb[idx], "rows.pt")
    """,
    "dict-entry": """
        import torch
        ckpt = torch.load("ckpt.pt")
        torch.save(ckpt["model"], "model.pt")
    """,
    "list-slice": """
        import torch
        torch.save(results[:10], "results.pt")
    """,
    "unknown-base-subscript": """
        import torch
        def save(outputs, path):
            torch.save(outputs[0], path)
    """,
    "base-saved-too": """
        import torch
        emb = torch.randn(1000, 16)
        torch.save({"emb": emb, "head": emb[:10]}, "both.pt")
    """,
    "contiguous-copy-of-unknown": """
        import torch
        torch.save(model.weight.data, "w.pt")
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL405"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_is_opt_in():
    assert registry.all_rules()["TL405"].default is False
    assert "TL405" not in [r.code for r in registry.select_rules()]


def test_message_is_short():
    (finding,) = lint(POSITIVES["row-slice"], SELECT)
    assert ".clone()" in finding.message and len(finding.message) <= 160


def test_fix_clones_the_view():
    assert fix(POSITIVES["row-slice"], SELECT) == dedent("""
        import torch
        emb = torch.randn(1000, 16)
        torch.save(emb[:10].clone(), "head.pt")
    """)
    assert fix(POSITIVES["inside-a-dict"], SELECT) == dedent("""
        from torch import randn, save
        feats = randn(500, 8)
        save({"epoch": 1, "probe": feats[:5].clone()}, "ckpt.pt")
    """)
    assert fix(POSITIVES["name-bound-to-a-slice"], SELECT) == dedent("""
        import torch
        emb = torch.randn(1000, 16)
        head = emb[:100]
        torch.save(head.clone(), "head.pt")
    """)


def test_fix_keeps_parentheses():
    code = """
        import torch
        emb = torch.randn(1000, 16)
        torch.save((emb[:10]), "head.pt")
    """
    assert fix(code, SELECT) == dedent("""
        import torch
        emb = torch.randn(1000, 16)
        torch.save((emb[:10].clone()), "head.pt")
    """)
