"""Deprecated torch APIs that TL801/TL802/TL804 rewrite, each checked against the installed torch.

- `amp`: `torch.cuda.amp.autocast`/`GradScaler` -> their `torch.amp` replacement called with the
  device first (`custom_fwd`/`custom_bwd`: with `device_type=` as a keyword, `device_keyword`).
  Recorded: both signatures (the fixer maps positional arguments by name), the
  FutureWarning the old spelling gives, and that the replacement's defaults for the device are
  the old constructor's (so the rewrite computes the same thing).
- `lr_schedulers`: the `torch.optim.lr_scheduler` classes whose `get_lr()` warns when called
  outside `step()` (its result there is the *next* step's formula, not the current lr).
- `variable`: `torch.autograd.Variable(t)` returns `t.detach()` (same storage, no grad), and
  `volatile=` is ignored with a warning.
"""

import inspect
import warnings

import torch
import torch.optim.lr_scheduler as lr_scheduler

AMP = {  # deprecated -> (replacement, its device parameter, the device)
    "torch.cuda.amp.autocast": ("torch.amp.autocast", "device_type", "cuda"),
    "torch.cuda.amp.GradScaler": ("torch.amp.GradScaler", "device", "cuda"),
    "torch.cpu.amp.autocast": ("torch.amp.autocast", "device_type", "cpu"),
    "torch.cpu.amp.GradScaler": ("torch.amp.GradScaler", "device", "cpu"),
}


def _resolve(path):
    module, _, name = path.rpartition(".")
    obj = torch
    for part in module.split(".")[1:]:
        obj = getattr(obj, part)
    return getattr(obj, name)


# Decorators: the replacement takes the device as a keyword-only `device_type`.
AMP_DECORATORS = {
    "torch.cuda.amp.custom_fwd": ("torch.amp.custom_fwd", "cuda"),
    "torch.cuda.amp.custom_bwd": ("torch.amp.custom_bwd", "cuda"),
}


def _params(cls):
    return [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]


def _decorators():
    table = {}
    for old_path, (new_path, device) in AMP_DECORATORS.items():
        old, new = _resolve(old_path), _resolve(new_path)
        old_params = list(inspect.signature(old).parameters.values())
        new_params = inspect.signature(new).parameters
        assert new_params["device_type"].kind is inspect.Parameter.KEYWORD_ONLY, new_path
        assert [p.name for p in old_params][1:] == [n for n in new_params if n != "device_type"][1:], old_path
        message = _warning_of(lambda decorator=old: decorator(lambda *args: None))
        assert message and "deprecated" in message and "device_type" in message, message
        table[old_path] = {
            "replacement": new_path,
            "device": device,
            "device_param": "device_type",
            "device_keyword": True,
            "old_params": [p.name for p in old_params],
            "new_params": list(new_params),
            "warning": message,
        }
    return table


def _warning_of(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    future = [w for w in caught if issubclass(w.category, FutureWarning)]
    return str(future[0].message) if future else None


def _amp():
    table = {}
    for old_path, (new_path, device_param, device) in AMP.items():
        old, new = _resolve(old_path), _resolve(new_path)
        old_params, new_params = _params(old), _params(new)
        assert new_params[0].name == device_param, (new_path, new_params[0].name)
        new_defaults = {p.name: p.default for p in new_params}
        for p in old_params:  # every old argument exists under the same name in the replacement
            assert p.name in new_defaults, (old_path, p.name)
        message = _warning_of(old)
        assert message and "deprecated" in message and new_path.rpartition(".")[2] in message, message
        table[old_path] = {
            "replacement": new_path,
            "device": device,
            "device_param": device_param,
            "old_params": [p.name for p in old_params],
            "new_params": [p.name for p in new_params],
            "warning": message,
        }
        if "autocast" in old_path:  # the old defaults (dtype, cache on) are what the new one picks for the device
            old_defaults = {p.name: p.default for p in old_params}
            assert old_defaults["dtype"] == torch.get_autocast_dtype(device), old_path
            assert old_defaults["cache_enabled"] is torch.is_autocast_cache_enabled() is True
        else:  # the GradScaler arguments keep their order after the device
            assert table[old_path]["new_params"][1:] == table[old_path]["old_params"], old_path
    return table


def _schedulers():
    found = []
    for name, cls in vars(lr_scheduler).items():
        if name.startswith("_") or not (inspect.isclass(cls) and issubclass(cls, lr_scheduler.LRScheduler)):
            continue
        own = vars(cls).get("get_lr")
        if own is not None and "_warn_get_lr_called_within_step" in inspect.getsource(own):
            found.append(f"torch.optim.lr_scheduler.{name}")
    return sorted(found)


def _variable():
    leaf = torch.ones(2, requires_grad=True)
    wrapped = torch.autograd.Variable(leaf)  # noqa: TL802 (what the table records)
    assert wrapped is not leaf and not wrapped.requires_grad and wrapped.data_ptr() == leaf.data_ptr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.autograd.Variable(leaf, volatile=True)  # noqa: TL802
    return {
        "torch.autograd.Variable": {
            "equivalent": "detach",
            "params": ["data", "requires_grad", "volatile"],
            "volatile_warning": str(caught[0].message),
        }
    }


def generate():
    return {"amp": {**_amp(), **_decorators()}, "lr_schedulers": _schedulers(), "variable": _variable()}
