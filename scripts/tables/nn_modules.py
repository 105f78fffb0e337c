"""Facts about every public `torch.nn` module class, measured on the installed torch.

Covers each class exported by `torch.nn` (`vars(torch.nn)`) that subclasses `nn.Module`,
under its canonical name (`torch.nn.Conv2d`, as in aliases.json).  Schema:

    {"classes": {"torch.nn.<Name>": {
        "parameters": bool | null,   # a default-constructed instance owns parameters (own or in
                                     # submodules); null when it cannot be constructed here
        "buffers": bool | null,      # ... owns (non-None) buffers
        "mode_dependent": bool,      # behaves differently under train() and eval()
        "mode_evidence": "measured" | "source",
                                     # "measured": forward run on a sample input in both modes
                                     # (same seed) gave different outputs or changed buffers only
                                     # in train mode; "source": no sample input worked, so
                                     # decided by whether a forward reads `self.training`
        "loss": bool,                # subclass of torch.nn.modules.loss._Loss
        "container": bool,           # Sequential / ModuleList / ModuleDict / ParameterList / ...
        "init": [{"name": str, "default": str | null, "keyword_only": bool}, ...],
                                     # constructor parameters in order (no self, no *args);
                                     # default is repr() of the default value, null = required
        "flags": {"<init param>": [{"value": bool, "parameters": bool, "buffers": bool,
                                     "mode_dependent": bool}, ...]},
                                     # boolean constructor parameters that change any of the
                                     # three facts, with the facts for the non-default value
                                     # (each flipped alone; the others at their defaults)
        "variants": [{"args": {"<flag>": bool, ...}, "parameters": bool, "buffers": bool,
                      "mode_dependent": bool}, ...],
                                     # every combination of the flags above, measured
        "thresholds": {"<init param>": {"low": number, "high": number}},
                                     # numeric constructor parameters (a dropout rate, a layer
                                     # count) that change mode_dependent: measured at `low` and
                                     # at `high`; a value <= low behaves as at low, a value > low
                                     # as at high (nn.LSTM: dropout 0 or num_layers 1 => no dropout)
        "threshold_variants": [{"args": {"<param>": number, ...}, "mode_dependent": bool}, ...],
                                     # every combination of low/high of the thresholds, measured
                                     # (boolean flags at their defaults)
        "functional": null | {       # stateless modules whose forward is exactly one call:
            "function": str,         # "torch.nn.functional.relu", "torch.flatten"...
            "args": [{"keyword": str | null, "from": "forward" | "init" | "constant",
                      "name": str | null, "value": str | null,
                      "omit_when_default": bool, "parameter": str | null}, ...],
                                     # the call's arguments in order: a forward parameter, a
                                     # constructor parameter (via `self.<name> = <name>`), or a
                                     # constant (repr in "value"); omit_when_default: the
                                     # function's own default equals the constructor's, so the
                                     # argument may be left out when the constructor got none;
                                     # parameter: the function's name for that argument (so
                                     # it can be passed by keyword), null when not known
            "forward": [str, ...],   # the forward's parameter names (no self)
            "exact": bool}}}}        # the functional call computes exactly what the module does
                                     # (forward is only `return <that call>`; private `_stacklevel`
                                     # keywords, which only move warnings, are dropped)

A `functional` entry with `"exact": false` names the nearest function for a message only.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import os
import sys
import textwrap
import typing

import torch
import torch.nn as nn

# Constructor arguments for classes whose required parameters the generic guess cannot fill.
SAMPLE_ARGS = {
    "AdaptiveLogSoftmaxWithLoss": dict(in_features=4, n_classes=8, cutoffs=[2, 4]),
    "CircularPad1d": dict(padding=1), "CircularPad2d": dict(padding=1), "CircularPad3d": dict(padding=1),
    "ConstantPad1d": dict(padding=1, value=0.0), "ConstantPad2d": dict(padding=1, value=0.0),
    "ConstantPad3d": dict(padding=1, value=0.0),
    "DataParallel": dict(module=None),
    "FractionalMaxPool2d": dict(kernel_size=2, output_ratio=0.5),
    "FractionalMaxPool3d": dict(kernel_size=2, output_ratio=0.5),
    "Fold": dict(output_size=(4, 4), kernel_size=2),
    "GroupNorm": dict(num_groups=2, num_channels=4),
    "GRU": dict(input_size=4, hidden_size=4), "LSTM": dict(input_size=4, hidden_size=4),
    "RNN": dict(input_size=4, hidden_size=4),
    "LinearCrossEntropyLoss": dict(in_features=4, num_classes=4),
    "LPPool1d": dict(norm_type=2, kernel_size=2), "LPPool2d": dict(norm_type=2, kernel_size=2),
    "LPPool3d": dict(norm_type=2, kernel_size=2),
    "MultiheadAttention": dict(embed_dim=4, num_heads=2),
    "RNNBase": dict(mode="LSTM", input_size=4, hidden_size=4),
    "RNNCellBase": dict(input_size=4, hidden_size=4, bias=True, num_chunks=1),
    "Threshold": dict(threshold=0.1, value=0.0),
    "TransformerDecoder": "decoder",
    "TransformerEncoder": "encoder",
    "Transformer": dict(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8),
    "TransformerDecoderLayer": dict(d_model=4, nhead=2, dim_feedforward=8),
    "TransformerEncoderLayer": dict(d_model=4, nhead=2, dim_feedforward=8),
    "Unflatten": dict(dim=1, unflattened_size=(2, 2)),
}  # fmt: skip
# Required parameters filled by name when a class is not in SAMPLE_ARGS.
GUESSES = {"kernel_size": 2, "output_size": 2, "upscale_factor": 2, "downscale_factor": 2, "groups": 2,
           "padding": 1, "size": 2, "normalized_shape": 4, "num_heads": 2, "nhead": 2}  # fmt: skip
CONTAINERS = {"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container"}
# Numeric constructor parameters probed for mode dependence: (low, high).  Only those that change
# the measured answer are written to the table.
THRESHOLD_PROBES = {"p": (0.0, 0.5), "dropout": (0.0, 0.5), "num_layers": (1, 2)}
# Sample inputs tried, in order, until forward accepts one.
SHAPES = [(2, 4), (2, 4, 8), (2, 4, 8, 8), (2, 4, 8, 8, 8), (4,), (2, 4, 4)]


def _module_classes():
    for name, value in sorted(vars(nn).items()):
        if name.startswith("_") or not inspect.isclass(value) or not issubclass(value, nn.Module):
            continue
        yield name, value


def _init_signature(cls):
    """The constructor's signature; for `__init__(self, *args, **kwargs)` with typed overloads
    (nn.LSTM, nn.GRU, nn.RNN), the first overload that names its parameters.  Not for containers,
    whose overloads are alternative call forms (`Sequential(*modules)` / `Sequential(OrderedDict)`)."""
    signature = inspect.signature(cls.__init__)
    rest = list(signature.parameters.values())[1:]
    if cls.__name__ not in CONTAINERS and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in rest):
        for overload in typing.get_overloads(cls.__init__):
            candidate = inspect.signature(overload)
            if any(p.kind == p.POSITIONAL_OR_KEYWORD for p in list(candidate.parameters.values())[1:]):
                return candidate
    return signature


def _init_params(cls):
    try:
        signature = _init_signature(cls)
    except (TypeError, ValueError):
        return []
    params = []
    for param in list(signature.parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in ("device", "dtype"):
            continue
        default = None if param.default is param.empty else _stable_repr(param.default)
        params.append({"name": param.name, "default": default, "keyword_only": param.kind == param.KEYWORD_ONLY})
    return params


def _stable_repr(value):
    """repr() without memory addresses: a function default is written as its dotted path."""
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def _sample_kwargs(name, cls, init):
    sample = SAMPLE_ARGS.get(name)
    if sample in ("encoder", "decoder"):
        layer_cls = nn.TransformerEncoderLayer if sample == "encoder" else nn.TransformerDecoderLayer
        layer = layer_cls(4, 2, dim_feedforward=8)
        return {("encoder_layer" if sample == "encoder" else "decoder_layer"): layer, "num_layers": 1}
    if sample is not None:
        return dict(sample)
    return {p["name"]: GUESSES.get(p["name"], 4) for p in init if p["default"] is None}


def _construct(cls, kwargs):
    try:
        torch.manual_seed(0)
        return cls(**kwargs)
    except Exception:
        return None


def _inputs(module, forward_arity):
    for shape in SHAPES:
        for make in (lambda s: torch.randn(*s), lambda s: torch.randint(0, 2, s)):
            torch.manual_seed(1)
            tensor = make(shape)
            yield tuple(tensor.clone() for _ in range(forward_arity))


def _forward_arity(cls):
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return 1
    return max(1, sum(1 for p in params if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD))


def _run(module, args, train):
    module.train(train)
    buffers_before = [b.clone() for b in module.buffers()]
    torch.manual_seed(2)
    out = module(*args)
    changed = any(not torch.equal(a, b) for a, b in zip(buffers_before, module.buffers()))
    return out, changed


def _same(a, b):
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point():  # NaN == NaN here: a loss of log(negative) is NaN in both modes
            return torch.equal(torch.nan_to_num(a, nan=0.5), torch.nan_to_num(b, nan=0.5))
        return torch.equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b if not isinstance(a, torch.Tensor) else False


def _measure_mode(cls, kwargs):
    """True/False if measured on some sample input, None if no input worked."""
    arity = _forward_arity(cls)
    for args in _inputs(None, arity):
        eval_module, train_module = _construct(cls, kwargs), _construct(cls, kwargs)
        if eval_module is None:
            return None
        try:
            with torch.no_grad():
                out_eval, changed_eval = _run(eval_module, [a.clone() for a in args], train=False)
                out_train, changed_train = _run(train_module, [a.clone() for a in args], train=True)
        except Exception:
            continue
        return (not _same(out_eval, out_train)) or (changed_train and not changed_eval)
    return None


def _reads_training(module):
    for sub in module.modules():
        try:
            if "self.training" in inspect.getsource(type(sub).forward):
                return True
        except (OSError, TypeError):
            continue
    return False


def _facts(cls, kwargs):
    module = _construct(cls, kwargs)
    if module is None:
        return None
    measured = _measure_mode(cls, kwargs)
    return {
        "parameters": any(True for _ in module.parameters()),
        "buffers": any(b is not None for b in module.buffers()),
        "mode_dependent": measured if measured is not None else _reads_training(module),
        "mode_evidence": "measured" if measured is not None else "source",
    }


_FACT_KEYS = ("parameters", "buffers", "mode_dependent")


def _flags_and_variants(cls, kwargs, init, base):
    flags = {}
    for param in init:
        if param["default"] not in ("True", "False") or param["name"] in kwargs:
            continue
        flipped = param["default"] == "False"
        facts = _facts(cls, {**kwargs, param["name"]: flipped})
        if facts is None or all(facts[k] == base[k] for k in _FACT_KEYS):
            continue
        flags[param["name"]] = [{"value": flipped, **{k: facts[k] for k in _FACT_KEYS}}]
    variants = []
    names = sorted(flags)
    for values in itertools.product((False, True), repeat=len(names)):
        args = dict(zip(names, values))
        facts = _facts(cls, {**kwargs, **args})
        if facts is not None and names:
            variants.append({"args": args, **{k: facts[k] for k in _FACT_KEYS}})
    return flags, variants


def _thresholds(cls, kwargs, init):
    """Numeric parameters whose low/high values change mode dependence, and every combination."""
    numeric = {}
    for param in init:
        name, default = param["name"], param["default"]
        if name in THRESHOLD_PROBES and name not in kwargs and _is_number(default):
            numeric[name] = THRESHOLD_PROBES[name]
    names = sorted(numeric)
    variants = []
    for values in itertools.product(*(numeric[n] for n in names)):
        args = dict(zip(names, values))
        facts = _facts(cls, {**kwargs, **args})
        if facts is None:
            return {}, []
        variants.append({"args": args, "mode_dependent": facts["mode_dependent"]})
    if len({v["mode_dependent"] for v in variants}) < 2:
        return {}, []
    thresholds = {n: {"low": numeric[n][0], "high": numeric[n][1]} for n in names}
    return thresholds, variants


def _is_number(default):
    try:
        value = ast.literal_eval(default) if default is not None else None
    except (ValueError, SyntaxError):
        return False
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- functional equivalents ---------------------------------------------------------------
def _self_assignments(cls):
    """attr -> constructor parameter, for `self.attr = param` in __init__ along the MRO."""
    mapping = {}
    for klass in reversed(cls.__mro__):
        if klass is object or "__init__" not in vars(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass.__init__)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    direct = isinstance(node.value, ast.Name)
                    mapping[target.attr] = node.value.id if direct else None
    return mapping


def _qualified_function(cls, func):
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        namespace = getattr(sys.modules[cls.__module__], func.value.id, None)
        if inspect.ismodule(namespace) and namespace.__name__ in ("torch", "torch.nn.functional"):
            if callable(getattr(namespace, func.attr, None)):
                return f"{namespace.__name__}.{func.attr}"
    return None


def _function_defaults(qualified):
    module_name, _, attr = qualified.rpartition(".")
    function = getattr(sys.modules[module_name], attr)
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return _docstring_signature(function)


def _docstring_signature(function):
    """Builtins (`F.gelu`, `torch.flatten`) state their signature on the docstring's first line."""
    first = (function.__doc__ or "").strip().split("\n", 1)[0]
    name = getattr(function, "__name__", "")
    if not first.startswith(name + "(") or ") -> " not in first:
        return None
    try:
        tree = ast.parse(f"def {first.split(' -> ')[0]}: pass")
        args = tree.body[0].args
        values = [ast.literal_eval(d) for d in args.defaults]
    except (SyntaxError, ValueError):
        return None
    positional = args.posonlyargs + args.args
    padded = [inspect.Parameter.empty] * (len(positional) - len(values)) + values
    params = [inspect.Parameter(a.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d)
              for a, d in zip(positional, padded)]  # fmt: skip
    return inspect.Signature(params).parameters


def _functional(cls, init):
    forward_def = None
    for klass in cls.__mro__:
        if "forward" in vars(klass):
            forward_def = vars(klass)["forward"]
            break
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(forward_def)))
    except (OSError, TypeError, SyntaxError):
        return None
    function = tree.body[0]
    forward_params = [a.arg for a in function.args.args[1:]]
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not (len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call)):
        return None
    call = body[0].value
    exact = not (function.args.vararg or function.args.kwarg or function.args.kwonlyargs)
    receiver = []
    qualified = _qualified_function(cls, call.func)
    if qualified is None and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        # `input.flatten(...)`: the tensor method, spelled as the torch function of that name.
        if call.func.value.id in forward_params and callable(getattr(torch, call.func.attr, None)):
            qualified = f"torch.{call.func.attr}"
            receiver = [(None, call.func.value)]
    if qualified is None:
        return None
    attrs = _self_assignments(cls)
    init_defaults = {p["name"]: p["default"] for p in init}
    function_params = _function_defaults(qualified)
    args = []
    positional = receiver + [(None, a) for a in call.args]
    keywords = [(k.arg, k.value) for k in call.keywords if not (k.arg or "").startswith("_")]
    for index, (keyword, value) in enumerate(positional + keywords):
        entry = {"keyword": keyword, "from": None, "name": None, "value": None, "omit_when_default": False,
                 "parameter": keyword or _parameter_name(function_params, index)}
        if isinstance(value, ast.Name) and value.id in forward_params:
            entry.update({"from": "forward", "name": value.id})
        elif isinstance(value, ast.Constant):
            entry.update({"from": "constant", "value": repr(value.value)})
        elif (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"
              and attrs.get(value.attr) in init_defaults):  # fmt: skip
            name = attrs[value.attr]
            entry.update({"from": "init", "name": name})
            entry["omit_when_default"] = _same_default(function_params, keyword, index, init_defaults[name])
        else:
            exact = False
            entry.update({"from": "expression", "value": ast.unparse(value)})
        args.append(entry)
    # Only trailing positional arguments may be left out.
    seen_kept = False
    for entry in reversed(args):
        if entry["keyword"] is None:
            if seen_kept:
                entry["omit_when_default"] = False
            elif not entry["omit_when_default"]:
                seen_kept = True
    return {"function": qualified, "args": args, "forward": forward_params, "exact": exact}


def _parameter_name(function_params, index):
    if function_params is None:
        return None
    params = list(function_params.values())
    if index < len(params) and params[index].kind == params[index].POSITIONAL_OR_KEYWORD:
        return params[index].name
    return None


def _same_default(function_params, keyword, index, init_default):
    if function_params is None or init_default is None:
        return False
    params = list(function_params.values())
    if keyword is not None:
        param = function_params.get(keyword)
    else:
        param = params[index] if index < len(params) else None
    if param is None or param.default is param.empty:
        return False
    return repr(param.default) == init_default


def _entry(name, cls):
    init = _init_params(cls)
    kwargs = _sample_kwargs(name, cls, init)
    base = _facts(cls, kwargs)
    loss = issubclass(cls, nn.modules.loss._Loss)
    entry = {
        "parameters": None, "buffers": None, "mode_dependent": False, "mode_evidence": "source",
        "loss": loss, "container": name in CONTAINERS, "init": init, "flags": {}, "variants": [],
        "thresholds": {}, "threshold_variants": [], "functional": None,
    }  # fmt: skip
    if base is not None:
        entry.update(base)
        entry["flags"], entry["variants"] = _flags_and_variants(cls, kwargs, init, base)
        entry["thresholds"], entry["threshold_variants"] = _thresholds(cls, kwargs, init)
    stateless = base is not None and not (base["parameters"] or base["buffers"] or base["mode_dependent"])
    if stateless and not loss and name not in CONTAINERS:
        entry["functional"] = _functional(cls, init)
    return entry


def generate():
    torch.manual_seed(0)
    classes = {}
    aliases = _aliases()
    for name, cls in _module_classes():
        qualified = f"torch.nn.{name}"
        classes[aliases.get(qualified, qualified)] = _entry(name, cls)
    return {"classes": classes}


def _aliases():
    """The committed alias table, so names here are spelled as the lint path spells them."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "torchlint", "data", "aliases.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
