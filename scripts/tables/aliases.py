"""Every public path of a torch class or function -> its one canonical (shortest) path.

`torch.nn.modules.conv.Conv2d`, `torch.nn.modules.Conv2d` -> `torch.nn.Conv2d`;
`torch.utils.data.distributed.DistributedSampler` -> `torch.utils.data.DistributedSampler`.
Only aliases are stored: a name missing from the table is already canonical.
"""

import importlib
import inspect
import pkgutil

# Namespaces whose objects torchlint's rules talk about.  Walked recursively.
PACKAGES = ["torch.nn", "torch.utils.data", "torch.jit", "torch.optim", "torch.amp", "torch.cuda.amp"]
# Modules read one level deep only (their submodules are private or huge).
MODULES = ["torch", "torch.distributed", "torch.multiprocessing", "torch.nn.parallel", "torch.functional"]


def _modules():
    for name in MODULES:
        yield importlib.import_module(name)
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            try:
                yield importlib.import_module(info.name)
            except Exception:  # optional backends that do not import on this build
                continue


def generate():
    paths_by_object = {}
    for module in _modules():
        for attr, value in vars(module).items():
            if attr.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if not getattr(value, "__module__", "").startswith("torch"):
                continue
            paths_by_object.setdefault(id(value), (value, set()))[1].add(f"{module.__name__}.{attr}")
    aliases = {}
    for _, paths in paths_by_object.values():
        canonical = min(paths, key=lambda path: (path.count("."), path))
        for path in paths:
            if path != canonical:
                aliases[path] = canonical
    return aliases
