"""TL402 dataparallel-state-dict-prefix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import reaching_assignments
from torchlint.analysis.facts import bind_arguments, call_sites, param_names
from torchlint.analysis.objects import ALWAYS, Evidence, saved_object, saved_values, wrapper_evidence
from torchlint.analysis.project import project_of
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation


@dataclass
class PrefixedSave:
    state_dict_call: cst.Call  # `model.state_dict()`
    wrapper: cst.BaseExpression  # `model`
    evidence: Evidence


def wrapped_state_dict(ctx: FileContext, node: cst.BaseExpression) -> Optional[PrefixedSave]:
    """`<wrapper>.state_dict()`, if `node` is one (on every path or some)."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "state_dict" and not node.args):  # fmt: skip
        return None
    receiver = node.func.value
    found = wrapper_evidence(ctx, receiver)
    return PrefixedSave(node, receiver, found) if found is not None else None


def _passed_by_callers(ctx: FileContext, obj: cst.BaseExpression) -> List[cst.BaseExpression]:
    """`def save_checkpoint(state, path): torch.save(state, path)`: what same-file callers pass as `state`."""
    function = ctx.enclosing(obj, (cst.FunctionDef,))
    if not isinstance(obj, cst.Name) or function is None or obj.value not in param_names(function):
        return []
    if reaching_assignments(ctx, obj):
        return []  # reassigned inside the helper
    passed = []
    for site in call_sites(ctx, function):
        value = bind_arguments(ctx, site, function).get(obj.value)
        if value is not None:
            passed.append(value)
    return passed


def loads_into_wrapper(ctx: FileContext) -> bool:
    """Does the file load a state dict into a wrapper (`model.load_state_dict(...)`, `model` a
    DataParallel/DDP on every path or some), itself or by handing the wrapper to a first-party function
    of another file that loads into it (`restart_from_checkpoint(path, state_dict=model)`)?  Then its
    checkpoints' `module.` prefix is what its own loading expects (`--resume`): unprefixed keys would
    break it."""
    return ctx.memo("tl402.loads_into_wrapper", lambda: any(
        _loads_into_wrapper(ctx, call) for call in ctx.nodes(cst.Call)))  # fmt: skip


def _loads_into_wrapper(ctx: FileContext, call: cst.Call) -> bool:
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_state_dict":
        return wrapper_evidence(ctx, call.func.value) is not None
    project = project_of(ctx)
    return any(project.loads_state_dict_into(ctx, call, arg) is not None
               and wrapper_evidence(ctx, arg.value) is not None for arg in call.args)  # fmt: skip


def prefixed_saves(ctx: FileContext) -> Iterator[PrefixedSave]:
    seen = set()
    for call in ctx.nodes(cst.Call):
        obj = saved_object(ctx, call)
        if obj is None:
            continue
        for root in (obj, *_passed_by_callers(ctx, obj)):
            for value in saved_values(ctx, root, follow_names=True):
                found = wrapped_state_dict(ctx, value)
                if found is not None and id(found.state_dict_call) not in seen:
                    seen.add(id(found.state_dict_call))
                    yield found


class DataParallelStateDictPrefix(Rule):
    code = "TL402"
    name = "dataparallel-state-dict-prefix"
    summary = "`torch.save(model.state_dict())` of a `DataParallel`/DDP wrapper: every key gets a `module.` prefix"
    why = """
        `nn.DataParallel` and `DistributedDataParallel` hold your model as their submodule
        `module`, so the wrapper's `state_dict()` names every tensor `module.<name>`.  The
        checkpoint then only loads into the same wrapper; loading it into the bare model (for
        inference, export, fine-tuning on one GPU) fails:

            RuntimeError: Error(s) in loading state_dict for Net:
                Missing key(s) in state_dict: "fc.weight", "fc.bias".
                Unexpected key(s) in state_dict: "module.fc.weight", "module.fc.bias".

        and the usual workarounds are stripping the prefix by hand or `strict=False`, which
        silently loads nothing.  Save the wrapped model's weights, `model.module.state_dict()`:
        they load into the bare model and, through `model.module.load_state_dict(...)`, into a
        wrapper as well.  Reported when the saved model is a wrapper on every path or on some,
        also when the checkpoint goes through a same-file helper (`save_checkpoint(state, path)`).

        Not reported when the same file loads a state dict into a wrapper
        (`model.load_state_dict(checkpoint["state_dict"])` with `model` a DataParallel/DDP, as
        in a script's own `--resume`), or hands the wrapper to a first-party helper of another
        file that loads into it (`restart_from_checkpoint(path, state_dict=model)` whose
        `for key, value in kwargs.items(): value.load_state_dict(...)`, or `load_weights(model,
        path)`): the author keeps the prefix on both sides, and saving `model.module.state_dict()`
        would make that loading fail with the mirror-image error (missing `module.fc.weight`,
        unexpected `fc.weight`).

        Opt-in (`--extend-select TL402`): on real training repositories most such saves are read
        back by the same project's resume code, which the rule now sees through first-party
        helpers; a loader it cannot see (a third-party `load_checkpoint`, another script reading
        the file) still makes the prefix deliberate more often than not.
    """
    default = False
    bad = """
        import torch
        import torch.nn as nn

        model = nn.DataParallel(Net())
        torch.save(model.state_dict(), "checkpoint.pt")
    """
    good = """
        import torch
        import torch.nn as nn

        model = nn.DataParallel(Net())
        torch.save(model.module.state_dict(), "checkpoint.pt")
    """
    fix_does = """
        Saves `model.module.state_dict()` when `model` is a wrapper on every path, and
        `(model.module if isinstance(model, <wrapper classes>) else model).state_dict()` when it
        is one only on some.  Unsafe: the checkpoint's keys change (no `module.` prefix), so code
        elsewhere that loads it back into a wrapper must load into `model.module` instead (a file
        that does so itself is not reported).
    """
    requires_text = (("DataParallel",), ("state_dict",), ("save",))

    # Its screen is `tl402` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        if loads_into_wrapper(ctx):
            return  # the prefix is handled consistently: the file's own loading expects it
        for found in prefixed_saves(ctx):
            where = "" if found.evidence.how_often == ALWAYS else " on some paths"
            name = ctx.code(found.wrapper)
            message = (
                f"a DataParallel/DDP wrapper's state_dict{where}: every key starts with `module.` and will not "
                f"load into the bare model; save `{name}.module.state_dict()`"
            )
            if len(message) > 160:
                message = message.replace(f"`{name}.module.state_dict()`", "`.module.state_dict()`")
            yield self.violation(ctx, found.state_dict_call, message)
