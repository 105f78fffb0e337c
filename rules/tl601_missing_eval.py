"""TL601 missing-eval."""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, self_name
from torchlint.analysis.facts import bind_arguments, resolve_call, same_file_class
from torchlint.analysis.modes import (
    DEPENDENT,
    EVAL,
    INDEPENDENT,
    TRAIN,
    UNKNOWN,
    call_sites,
    constructor_or_call_sites,
    direct_mode_kind,
    eval_data_loop,
    eval_role_name,
    first_training_call,
    grad_disabled_function,
    grad_disabled_with,
    imported_roots,
    injected_attribute,
    is_training_call,
    mode_calls_in,
    model_expression,
    model_key,
    model_status,
    optimized,
    own_calls,
    param_names,
    pytest_file,
    referenced_other_than_called,
    related,
    words,
)  # fmt: skip
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

_LOOPS = (cst.For, cst.While)
# Monte Carlo dropout keeps dropout on at inference on purpose.
_DELIBERATE_TRAIN_MODE = {"mc", "mcdropout", "uncertainty", "bayesian", "monte", "carlo"}
_MODEL_LIKE = re.compile(r"model|net", re.I)
_NOT_MODEL = re.compile(r"loss|criterion|metric|psnr|ssim|lpips|fn$|func|tokenizer|transform|scheduler", re.I)
_MAX_CALLER_DEPTH = 3
_BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass
class Evaluation:
    """One model forward in an evaluation context, and what the fixer needs to know."""

    use: cst.Call
    key: str  # the model, as spelled at the forward (`model`, `self.net`)
    function: Optional[cst.FunctionDef]  # the function around the forward (None: module level)
    with_node: Optional[cst.With]  # the `with torch.no_grad():` around it, if any
    data_loop: Optional[cst.For]  # the outermost `for ... in val_loader` around it, if any
    whole_function: bool  # the context is the function itself (decorator or evaluation name)


class MissingEval(Rule):
    code = "TL601"
    name = "missing-eval"
    summary = "A model is evaluated without `model.eval()`: dropout and batch norm stay in training mode"
    why = """
        `torch.no_grad()` and `torch.inference_mode()` only turn off gradient tracking; they do not
        change what the layers compute.  A model left in training mode while it is evaluated keeps
        dropout on (outputs are random: run the same batch twice and get two answers, and the
        accuracy you log is lower and noisier than the model's) and batch norm normalises with the
        statistics of each evaluation batch *and updates its running statistics with them*, so
        evaluating on the validation set silently changes the model you will save.

        Call `model.eval()` before evaluating, and `model.train()` before training again.

        torchlint follows the model through same-file callers: `validate(model)` is fine when every
        call of it is preceded by `model.eval()`, and so is a wrapper (`Predictor(model)` storing
        `self.model = model`) when every construction of it in the file is handed a model already in
        eval mode.  It reports when it can see that the model's class (defined in the same file,
        directly or through its submodules) has dropout (including `nn.LSTM`/`GRU`/`RNN` with
        `num_layers > 1` and `dropout > 0`, `nn.MultiheadAttention(dropout > 0)` and the
        `nn.Transformer*` layers, judged from their constructor arguments: `dropout=0` does not count),
        batch norm, or reads `self.training` -- not instance norm, whose training-mode forward normalises
        each sample by its own statistics as in training (eval mode would switch to running averages
        the model never used), nor a plain object held in an attribute (no submodule: `.eval()` never
        reaches it); for a model
        whose class it cannot see, it reports only inside `no_grad`/`inference_mode` in a function or
        loop whose name says evaluation (`validate`, `test_loader`...).  A class with no such layers is
        never reported, nor are losses and metrics (`nn.MSELoss()`, `PSNR()`, `SSIM()`, `LPIPS()`, a
        module of the file with no layers at all).

        Across files (the project model): a model class imported from another file of the project
        (`from models import *`, `models/__init__.py` re-exports) or built by an imported factory is
        judged by its layers there; an imported `evaluate(model)` that calls `model.eval()` counts as
        putting it in eval mode, an imported `train_one_epoch(model)` leaves it in training mode.

        A model loaded with `load_state_dict`, never trained, never given a mode and only ever run
        under `no_grad` -- a distillation teacher or a frozen feature extractor called inside the
        training step -- is reported too when it has dropout or batch norm: its batch norm normalises
        with each batch's statistics and overwrites the running statistics it was loaded with.
        (Models named as EMA/momentum/target networks are left alone: those are often kept in
        training mode on purpose.)
    """
    bad = """
        import torch


        @torch.no_grad()
        def evaluate(model, loader):
            return sum(model(x).argmax(1).eq(y).sum().item() for x, y in loader)
    """
    good = """
        import torch


        @torch.no_grad()
        def evaluate(model, loader):
            model.eval()
            return sum(model(x).argmax(1).eq(y).sum().item() for x, y in loader)
    """
    fix_does = """
        Puts the model in eval mode for the evaluation and restores the mode it had afterwards, so a
        caller's training loop keeps training in training mode: `was_training = model.training`,
        `model.eval()` before the `with torch.no_grad():` block, the validation loop or at the top of
        the evaluation function, and `model.train(was_training)` after it (in a `try`/`finally` when
        the function returns early).  Not offered for generators, for blocks left by `return`/`break`,
        where the model is created inside the evaluated code, or for a loaded teacher run inside the
        training step (call `teacher.eval()` once, after loading it).
    """
    # Every context it reports needs grad disabled or a name with one of these words (any case).
    requires_text = (
        ("no_grad", "inference_mode", "set_grad_enabled", "val", "Val", "VAL", "test", "Test", "TEST", "eval",
         "Eval", "EVAL", "predict", "Predict", "PREDICT", "infer", "Infer", "INFER", "sampl", "Sampl", "SAMPL",
         "dev", "Dev", "DEV", "holdout", "Holdout", "HOLDOUT"),
        ("torch",),
    )  # fmt: skip

    # Its screen is `tl601` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        plans = ctx.memo("tl601.plans", dict)
        reported = set()
        for evaluation, unambiguous in evaluations(ctx):
            status = model_status(ctx, model_expression(evaluation.use.func), inference=True)
            if status.verdict == INDEPENDENT:
                continue
            if status.verdict != DEPENDENT and not (unambiguous and _model_like(evaluation.key)):
                continue
            if status.verdict != DEPENDENT and "from_pretrained" in ctx.source:
                continue  # Hugging Face models load in eval mode
            if mode_is_chosen(ctx, evaluation.use, evaluation.key):
                continue
            region = evaluation.with_node or evaluation.data_loop or evaluation.function or ctx.module
            identity = (id(region), evaluation.key)
            if identity in reported:
                continue
            reported.add(identity)
            plans[id(evaluation.use)] = evaluation
            yield self.violation(ctx, evaluation.use, _message(ctx, evaluation, status))
        reported_keys = {key for _, key in reported}
        for use, key, status in frozen_models_in_training_mode(ctx):
            if key not in reported_keys:
                message = f"`{key}` is loaded and only run under `no_grad`, never in eval mode ({status.evidence}); " \
                          f"call `{key}.eval()` after loading it"  # fmt: skip
                if len(message) > _MAX_MESSAGE:
                    message = f"`{key}` is loaded and only run under `no_grad`, never in eval mode; call " \
                              f"`{key}.eval()` after loading it"  # fmt: skip
                yield self.violation(ctx, use, message)


_MAX_MESSAGE = 160


def _message(ctx: FileContext, evaluation: Evaluation, status) -> str:
    """One clause of what is wrong and what to do, at most 160 characters (the story is in `why`)."""
    key = evaluation.key
    todo = f"call `{key}.eval()` first"
    candidates = []
    for where in (_where(ctx, evaluation), ""):
        at = f" {where}" if where else ""
        if status.verdict == DEPENDENT:
            candidates.append(f"`{key}` is evaluated{at} in training mode ({status.evidence}); {todo}")
            if " uses " in status.evidence:  # a long chain across classes: its last link names the layer
                last = status.evidence.rsplit(" uses ", 1)[1]
                candidates.append(f"`{key}` is evaluated{at} in training mode (via {last}); {todo}")
            candidates.append(f"`{key}` is evaluated{at} in training mode (it has dropout or batch norm); {todo}")
        else:
            candidates.append(f"`{key}` is evaluated{at} without `{key}.eval()`: any dropout or batch norm stays in "
                              f"training mode; {todo}")  # fmt: skip
    return next((c for c in candidates if len(c) <= _MAX_MESSAGE), candidates[-1])


def _where(ctx: FileContext, evaluation: Evaluation) -> str:
    if evaluation.with_node is not None:
        return "under `no_grad`"
    if evaluation.data_loop is not None:
        iterated = ctx.code(evaluation.data_loop.iter)
        return f"in a loop over `{iterated}`" if len(iterated) <= 30 else "in an evaluation loop"
    if evaluation.function is not None:
        return f"in `{evaluation.function.name.value}()`"
    return "here"


def _model_like(key: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return bool(_MODEL_LIKE.search(last)) and not _NOT_MODEL.search(last)


# -- finding model forwards in evaluation contexts ---------------------------------------
def evaluations(ctx: FileContext) -> Iterator[Tuple[Evaluation, bool]]:
    """(forward, unambiguous) for each model call in an evaluation context that is not a training step."""
    roots: List[cst.CSTNode] = [w for w in ctx.nodes(cst.With) if grad_disabled_with(ctx, w)]
    roots += [f for f in ctx.nodes(cst.FunctionDef) if grad_disabled_function(ctx, f) or _role(ctx, f)]
    roots += [loop for loop in ctx.nodes(cst.For) if eval_data_loop(ctx, loop)]
    seen = set()
    calls = []
    for root in roots:
        for call in ctx.walk(root, cst.Call):
            if id(call) not in seen:
                seen.add(id(call))
                calls.append(call)
    calls.sort(key=ctx.order)
    for call in calls:
        found = _evaluation(ctx, call)
        if found is not None:
            yield found


def _role(ctx: FileContext, function: cst.FunctionDef) -> bool:
    name = function.name.value
    if name.startswith("test") and pytest_file(ctx):
        return False  # a pytest test, not an evaluation
    return eval_role_name(name)


def _forward_key(ctx: FileContext, call: cst.Call) -> Optional[str]:
    """The model a call runs, when it is a call of a model object (`model(x)`, `self.net(x)`)."""
    func = model_expression(call.func)
    if isinstance(func, cst.Name):
        if func.value in _BUILTIN_NAMES and not ctx.names.is_bound(func.value):
            return None  # `next(iter(loader))`, `len(x)`
        if ctx.qualified_name(func) is not None or resolve_call(ctx, call) is not None or \
                func.value in imported_roots(ctx):  # fmt: skip
            return None  # an imported or same-file function
        if same_file_class(ctx, func.value) is not None:
            return None  # constructing, not running
    elif isinstance(func, cst.Attribute):
        if not (isinstance(func.value, cst.Name) and func.value.value == self_name(ctx, call)):
            return None  # `outputs.argmax(1)`: a method, not a model
        if resolve_call(ctx, call) is not None:
            return None
    else:
        return None
    return model_key(func)


def _in_module_method(ctx: FileContext, call: cst.Call, key: str) -> bool:
    """`self(x)`/`self.encoder(x)` in a class with bases: an nn.Module (or framework) method, whose
    mode is its caller's business (`generate()` on a GPT, Lightning's `validation_step`)."""
    me = self_name(ctx, call)
    if me is None or key.split(".", 1)[0] != me:
        return False
    if key == me:
        return True
    class_def = ctx.enclosing(call, (cst.ClassDef,))
    return class_def is not None and any(ctx.code(b.value) != "object" for b in class_def.bases)


def _functions_around(ctx: FileContext, node: cst.CSTNode) -> List[cst.FunctionDef]:
    return [a for a in ctx.ancestors(node) if isinstance(a, cst.FunctionDef)]


def _evaluation(ctx: FileContext, call: cst.Call) -> Optional[Tuple[Evaluation, bool]]:
    key = _forward_key(ctx, call)
    if key is None or _in_module_method(ctx, call, key):
        return None
    functions = _functions_around(ctx, call)
    function = functions[0] if functions else None
    if any(set(words(f.name.value)) & _DELIBERATE_TRAIN_MODE for f in functions):
        return None
    if pytest_file(ctx) and any("test" in words(f.name.value) for f in functions):
        return None  # a unit test exercises the model in whatever mode it means to
    with_node = None
    data_loop = None
    for ancestor in ctx.ancestors(call):
        if ancestor is function:
            break
        if with_node is None and isinstance(ancestor, cst.With) and grad_disabled_with(ctx, ancestor):
            with_node = ancestor
        if isinstance(ancestor, cst.For) and eval_data_loop(ctx, ancestor):
            data_loop = ancestor  # keep the outermost
    decorated = any(grad_disabled_function(ctx, f) for f in functions)
    role = any(_role(ctx, f) for f in functions)
    if not (with_node or decorated or role or data_loop):
        return None
    evaluation = Evaluation(call, key, function, with_node, data_loop, whole_function=with_node is None and
                            data_loop is None)  # fmt: skip
    if _in_training_step(ctx, evaluation):
        return None
    root = key.split(".", 1)[0]
    if evaluation.whole_function and not decorated and function is not None and \
            root in local_assignments(ctx, function):  # fmt: skip
        return None  # `def test(): net = Net(); print(net(x).shape)`: a smoke test, not an evaluation
    unambiguous = (with_node is not None or decorated) and (role or data_loop is not None)
    return evaluation, unambiguous


# -- a loaded model only ever run under no_grad: a teacher or a frozen feature extractor ---
# Models kept in training mode on purpose: EMA / momentum encoders, target networks.
_MOVING_MODEL_WORDS = {"ema", "momentum", "target", "mean", "shadow", "avg", "average", "swa"}


def frozen_models_in_training_mode(ctx: FileContext) -> List[Tuple[cst.Call, str, object]]:
    """(first forward, key, status) for each model that is loaded (`load_state_dict`), never trained
    (no optimizer gets its parameters), never given a mode, only ever run under `no_grad`, and has
    dropout or batch norm -- a distillation teacher run inside the training step in training mode."""
    forwards = {}
    for call in ctx.nodes(cst.Call):
        key = _forward_key(ctx, call)
        if key is None or _in_module_method(ctx, call, key):
            continue
        forwards.setdefault(key, []).append(call)
    found = []
    for key, calls in forwards.items():
        if set(words(key.rsplit(".", 1)[-1])) & (_MOVING_MODEL_WORDS | _DELIBERATE_TRAIN_MODE):
            continue
        if not all(_under_grad_disabled(ctx, call) for call in calls):
            continue
        if not _loaded_state(ctx, key) or optimized(ctx, key) or _mode_ever_set(ctx, key):
            continue
        status = model_status(ctx, model_expression(calls[0].func), inference=True)
        if status.verdict == DEPENDENT:
            found.append((calls[0], key, status))
    return found


def _under_grad_disabled(ctx: FileContext, call: cst.Call) -> bool:
    for ancestor in ctx.ancestors(call):
        if isinstance(ancestor, cst.With) and grad_disabled_with(ctx, ancestor):
            return True
        if isinstance(ancestor, cst.FunctionDef) and grad_disabled_function(ctx, ancestor):
            return True
    return False


def _loaded_state(ctx: FileContext, key: str) -> bool:
    for call in ctx.nodes(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict":
            owner = model_key(func.value)
            if owner is not None and related(ctx, key, owner):
                return True
    return False


def _mode_ever_set(ctx: FileContext, key: str) -> bool:
    """Any call anywhere in the file that sets (or may set) the mode of `key` or of something it is part of."""
    for scope in (ctx.module, *ctx.nodes(cst.FunctionDef)):
        for mode_call in mode_calls_in(ctx, scope):
            if related(ctx, key, mode_call.key) or related(ctx, key.split(".", 1)[0], mode_call.key):
                return True
    return False


# -- is this a training step that happens to use no_grad? ---------------------------------
def _innermost_loop(ctx: FileContext, node: cst.CSTNode, scope: cst.CSTNode) -> Optional[cst.CSTNode]:
    return ctx.enclosing(node, _LOOPS, stop=scope)


def _trains_at_level(ctx: FileContext, region: cst.CSTNode, scope: cst.CSTNode, level) -> bool:
    """Does `region` train in the same loop iteration as `level` (a loop, or None: no loop)?

    A training call inside a nested loop (the batch loop of an epoch) is another phase; so is a
    same-file call whose own training step sits in a loop (`train_one_epoch(...)`).
    """
    for call in own_calls(ctx, region):
        if _innermost_loop(ctx, call, scope) is level and _trains_per_call(ctx, call):
            return True
    return False


def _trains_per_call(ctx: FileContext, call: cst.Call) -> bool:
    """A training step itself, or a same-file function that runs one (not a loop of them)."""
    if is_training_call(ctx, call):
        return True
    callee = resolve_call(ctx, call)
    if callee is None:
        return False
    inner = first_training_call(ctx, callee)
    return inner is not None and _innermost_loop(ctx, inner, callee) is None


def _in_training_step(ctx: FileContext, evaluation: Evaluation) -> bool:
    scope = evaluation.function or ctx.module
    with_node = evaluation.with_node
    if with_node is not None:
        if first_training_call(ctx, with_node) is not None:
            return True  # a training loop run under no_grad (manual updates, target networks)
        loop_inside = _innermost_loop(ctx, evaluation.use, with_node) is not None
        if loop_inside or evaluation.data_loop is not None:
            return False  # the block runs its own pass over data: an evaluation phase
        level = _innermost_loop(ctx, with_node, scope)
        return _trains_at_level(ctx, level or scope, scope, level)
    if evaluation.data_loop is not None:
        return first_training_call(ctx, evaluation.data_loop) is not None
    return evaluation.function is not None and first_training_call(ctx, evaluation.function) is not None


# -- is the model put in eval (or deliberately in train) mode on the path? ----------------
def _chooses(ctx: FileContext, mode_call, key: str, deliberate_train: bool) -> bool:
    if mode_call.kind == UNKNOWN and not mode_call.named:
        return False
    if mode_call.kind == TRAIN and not (deliberate_train and direct_mode_kind(mode_call.node) is not None):
        return False  # `train_one_epoch(model)` leaving it in training mode is not a choice to evaluate so
    return related(ctx, key, mode_call.key)


def _set_on_path(ctx: FileContext, mode_calls, use: cst.CSTNode, key: str, scope, deliberate_train: bool) -> bool:
    """Is the last mode choice for `key` before `use` an eval one (or, in a loop, one at its bottom)?"""
    mine = [c for c in mode_calls if related(ctx, key, c.key) and (c.kind != UNKNOWN or c.named)]
    before = [c for c in mine if ctx.order(c.node) < ctx.order(use)]
    if before:
        return _chooses(ctx, max(before, key=lambda c: ctx.order(c.node)), key, deliberate_train)
    for ancestor in ctx.ancestors(use):
        if ancestor is scope:
            break
        if isinstance(ancestor, _LOOPS):  # set at the bottom of the loop: in effect from the next pass on
            if any(ctx.contains(ancestor, c.node) and _chooses(ctx, c, key, deliberate_train) for c in mine):
                return True
    return False


def mode_is_chosen(ctx: FileContext, use: cst.CSTNode, key: str, depth: int = 0) -> bool:
    """Is `key` put in eval mode (or explicitly in a mode) before `use` on the paths we can see?"""
    if depth > _MAX_CALLER_DEPTH:
        return True  # too far to follow: stay quiet
    function = ctx.enclosing(use, (cst.FunctionDef,))
    scope = function or ctx.module
    # `model.train()` right in the evaluating code is a deliberate choice (Monte Carlo dropout);
    # in a caller it is the training mode the evaluation forgot to leave.
    if _set_on_path(ctx, mode_calls_in(ctx, scope), use, key, scope, deliberate_train=depth == 0):
        return True
    root = key.split(".", 1)[0]
    if function is None:
        return _loaded(ctx, ctx.module, root) or _built_in_eval_mode(ctx, ctx.module, root)
    rest = key[len(root):]
    if root == self_name(ctx, use):
        class_def = ctx.enclosing(function, (cst.ClassDef,))
        methods = [m for m in ctx.walk(class_def, cst.FunctionDef) if ctx.scope_of(m) is class_def]
        if any(_chooses(ctx, c, key, True) for m in methods for c in mode_calls_in(ctx, m)):
            return True
        if any(_eval_chain(a.value) for a in attribute_assignments(ctx, class_def, parts_of(key)[1])):
            return True  # `self.model = Net().eval()`
        return _injected_in_eval_mode(ctx, class_def, key, depth)
    if root in param_names(function) and root not in local_assignments(ctx, function):
        if referenced_other_than_called(ctx, function):
            return True  # called from places we cannot see
        sites = call_sites(ctx, function)
        if not sites:
            # A hook of a framework class (`valid_step(self, sample, model)`): the framework sets the mode.
            return _method_of_foreign_class(ctx, function)
        for site in sites:
            passed = bind_arguments(ctx, site, function).get(root)
            if passed is None:
                return False
            outer = model_key(passed)
            if outer is None:
                if _constructs_same_file_class(ctx, passed):
                    return False  # `evaluate(Net(), loader)`: a fresh model is in training mode
                return True  # `evaluate(get_model(), ...)`: a model we cannot follow
            if not mode_is_chosen(ctx, site, outer + rest, depth + 1):
                return False
        return True
    if root in local_assignments(ctx, function):
        return _handed_in(ctx, function, root) or _loaded(ctx, function, root) or \
            _built_in_eval_mode(ctx, function, root)  # fmt: skip
    if root in param_names(function):
        return False
    # A closure or global name: set by an enclosing function, at module level, or by any function.
    for other in [ctx.module, *ctx.nodes(cst.FunctionDef)]:
        if other is function:
            continue
        local = set(local_assignments(ctx, other)) | (param_names(other) if other is not ctx.module else set())
        if other is not ctx.module and root in local and not ctx.contains(other, function):
            continue
        if any(_chooses(ctx, c, key, False) for c in mode_calls_in(ctx, other)):
            return True
    return False


def _injected_in_eval_mode(ctx: FileContext, class_def: cst.ClassDef, key: str, depth: int) -> bool:
    """`model.eval(); predictor = Predictor(model)` whose `__init__` stores `self.model = model`: the
    model each same-file construction hands in is in eval mode (and nothing else assigned there is
    a fresh model of this file)."""
    parts = key.split(".")
    if len(parts) < 2:
        return False
    injected = injected_attribute(ctx, class_def, parts[1])
    if injected is None:
        return False
    init, param, others = injected
    for other in others:
        if other.value is None or _constructs_same_file_class(ctx, other.value) or \
                model_status(ctx, other.value, inference=True).verdict == DEPENDENT:  # fmt: skip
            return False
    rest = "".join("." + part for part in parts[2:])
    sites = constructor_or_call_sites(ctx, init)
    passed_somewhere = False
    for site in sites:
        passed = bind_arguments(ctx, site, init).get(param)
        if passed is None:
            continue  # the parameter's default, not a model handed in
        passed_somewhere = True
        outer = model_key(passed)
        if outer is None:
            if _constructs_same_file_class(ctx, passed):
                return False
            continue  # `Predictor(get_model())`: a model we cannot follow
        if not mode_is_chosen(ctx, site, outer + rest, depth + 1):
            return False
    return passed_somewhere


# Loaders from elsewhere often return models in eval mode (`from_pretrained`, a `load_model()` that calls
# `.eval()`): a model they produced is not reported.
_LOADER_WORDS = {"load", "pretrained", "restore", "checkpoint", "hub", "loader"}


def _loaded(ctx: FileContext, scope: cst.CSTNode, root: str) -> bool:
    for assignment in local_assignments(ctx, scope).get(root, []):
        statement = assignment.statement
        value = statement.value if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
        if value is None:
            continue
        for call in [value, *ctx.walk(value, cst.Call)]:
            if not isinstance(call, cst.Call) or resolve_call(ctx, call) is not None:
                continue
            spelled = dotted_name(call.func) or ""
            if set(words(spelled.rsplit(".", 1)[-1])) & _LOADER_WORDS:
                return True
    return False


def parts_of(key: str) -> List[str]:
    parts = key.split(".")
    return parts if len(parts) > 1 else [*parts, ""]


def _eval_chain(value: Optional[cst.BaseExpression]) -> bool:
    """`Net().eval()`, `getattr(models, name)().to(device).eval()`: built and put in eval mode at once."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
            value.func.attr.value in _SELF_RETURNING_MODE_CHAIN:  # fmt: skip
        kind = direct_mode_kind(value)
        if kind is not None:
            return kind == EVAL  # the outermost mode call is the one in effect
        value = value.func.value
    return False


_SELF_RETURNING_MODE_CHAIN = frozenset({"to", "cuda", "cpu", "half", "float", "double", "eval", "train",
                                        "requires_grad_"})  # fmt: skip


def _built_in_eval_mode(ctx: FileContext, scope: cst.CSTNode, root: str) -> bool:
    return any(_eval_chain(a.value) for a in local_assignments(ctx, scope).get(root, []))


def _handed_in(ctx: FileContext, function: cst.FunctionDef, root: str) -> bool:
    """`tnet = nets["tnet"]`, `model = self.model.to(device)`, `net = args.model`: a local that names a
    model from elsewhere (its mode was chosen where it was built), not one the function builds."""
    for assignment in local_assignments(ctx, function).get(root, []):
        value = assignment.value
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value in ("to", "cuda", "cpu", "half", "float", "get"):  # fmt: skip
            value = value.func.value
        if isinstance(value, (cst.Subscript, cst.Attribute, cst.Name)):
            return True
    return False


def _method_of_foreign_class(ctx: FileContext, function: cst.FunctionDef) -> bool:
    class_def = ctx.scope_of(function)
    return isinstance(class_def, cst.ClassDef) and any(ctx.code(b.value) != "object" for b in class_def.bases)


def _constructs_same_file_class(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        expr = expr.func.value  # `Net().to(device)`
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
        same_file_class(ctx, expr.func.value) is not None  # fmt: skip
