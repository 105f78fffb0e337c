"""TL405 save-tensor-view."""

from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, evidence, saved_object, saved_values, slicing_view
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation


def _base_of_view(node: cst.BaseExpression) -> cst.BaseExpression:
    """`t` for `t[:10]`, `t.narrow(0, 0, 5).T`, `t.chunk(4)[0]`."""
    while True:
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value in ("T", "mT", "H", "mH", "data"):
            node = node.value
        else:
            return node


def saved_views(ctx: FileContext, call: cst.Call) -> List[cst.BaseExpression]:
    """The values `torch.save` stores that are views onto part of a larger tensor's storage."""
    obj = saved_object(ctx, call)
    if obj is None:
        return []
    values = list(saved_values(ctx, obj))
    saved_codes = {ctx.code(v) for v in values}
    views = []
    for value in values:
        if isinstance(value, (cst.Dict, cst.List, cst.Tuple)):
            continue
        found = evidence(ctx, value, slicing_view)
        if found is None or found.how_often != ALWAYS:
            continue
        bases = [ctx.code(_base_of_view(v)) for v in found.values]
        if any(base in saved_codes for base in bases):
            continue  # the whole tensor is saved too: its storage is written anyway, and shared on load
        views.append(value)
    return views


def view_at(ctx: FileContext, node: cst.BaseExpression) -> Optional[cst.Call]:
    """The `torch.save` call that stores `node` as a view, if it does."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.Call) and saved_object(ctx, ancestor) is not None:
            return ancestor if any(v is node for v in saved_views(ctx, ancestor)) else None
    return None


class SaveTensorView(Rule):
    code = "TL405"
    name = "save-tensor-view"
    summary = "`torch.save` of a slice or view of a larger tensor writes the whole underlying storage"
    why = """
        `torch.save` serialises storages, not just the elements a tensor shows: a view
        (`t[idx]`, `t[:, 0]`, `t.narrow(...)`, `t.chunk(n)[i]`, and `.T`/`.view()` of those)
        shares its base's storage, and the file gets all of it.  Saving 1 % of a 4 GB embedding
        table writes a 4 GB file, and loading it back allocates 4 GB.  Nothing fails; disks fill
        up and loads get slow.  `.clone()` the view before saving: the file then holds only the
        slice, and it loads to equal values.  Indexing with a tensor or list (advanced indexing)
        copies and is not reported; neither is a view saved in the same call as its base (the
        storage is written once and shared on load).
    """
    bad = """
        import torch

        embeddings = torch.randn(1_000_000, 256)
        torch.save(embeddings[:1000], "head.pt")
    """
    good = """
        import torch

        embeddings = torch.randn(1_000_000, 256)
        torch.save(embeddings[:1000].clone(), "head.pt")
    """
    fix_does = """
        Appends `.clone()` to the saved view, so only its elements are written.  Safe: the loaded
        tensor has the same values, dtype and shape (it no longer shares storage with anything,
        which a loaded view of an unsaved base never usefully did).
    """
    default = False
    requires_text = (("save",),)

    # Its screen is `tl405` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            for view in saved_views(ctx, call):
                yield self.violation(
                    ctx,
                    view,
                    "a view shares its base tensor's storage and torch.save writes all of it (a small slice can "
                    "make a huge file); save `.clone()` of it",
                )
