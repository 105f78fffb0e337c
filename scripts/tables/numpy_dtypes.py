"""Which numpy calls make float64 arrays, and what each dtype spelling means, measured on numpy.

TL203 needs to know, without importing numpy, that `np.random.rand(3)` or `np.zeros(3)` is a
float64 array, where a function's `dtype` goes when it is passed positionally, and that
`"f8"`, `np.double` and `float` all spell float64.  Each fact is checked by calling numpy.
"""

import io

import numpy as np

# name -> a call without dtype.  Only those that really return a float64 ndarray are kept.
DEFAULT_FLOAT_CALLS = {
    "random.rand": lambda f: f(2, 3),
    "random.randn": lambda f: f(2, 3),
    "random.random": lambda f: f((2, 3)),
    "random.random_sample": lambda f: f((2, 3)),
    "random.uniform": lambda f: f(0.0, 1.0, (2, 3)),
    "random.normal": lambda f: f(0.0, 1.0, (2, 3)),
    "random.standard_normal": lambda f: f((2, 3)),
    "random.exponential": lambda f: f(1.0, (2, 3)),
    "random.laplace": lambda f: f(0.0, 1.0, (2, 3)),
    "random.lognormal": lambda f: f(0.0, 1.0, (2, 3)),
    "random.beta": lambda f: f(1.0, 1.0, (2, 3)),
    "random.gamma": lambda f: f(1.0, 1.0, (2, 3)),
    "zeros": lambda f: f((2, 3)),
    "ones": lambda f: f((2, 3)),
    "empty": lambda f: f((2, 3)),
    "identity": lambda f: f(3),
    "eye": lambda f: f(3),
    "linspace": lambda f: f(0, 1, 5),
    "logspace": lambda f: f(0, 1, 5),
    "geomspace": lambda f: f(1, 2, 5),
    "loadtxt": lambda f: f(io.StringIO("1 2\n3 4\n")),
    "genfromtxt": lambda f: f(io.StringIO("1 2\n3 4\n")),
    # Look-alikes measured and excluded: integer results.
    "arange": lambda f: f(10),
    "random.randint": lambda f: f(0, 5, (2, 3)),
    "random.permutation": lambda f: f(10),
}

# name -> (positional index of `dtype`, a call taking dtype at that index).
DTYPE_POSITIONS = {
    "zeros": (1, lambda f, d: f((2,), d)),
    "ones": (1, lambda f, d: f((2,), d)),
    "empty": (1, lambda f, d: f((2,), d)),
    "identity": (1, lambda f, d: f(2, d)),
    "eye": (3, lambda f, d: f(2, None, 0, d)),
    "linspace": (5, lambda f, d: f(0, 1, 5, True, False, d)),
    "logspace": (5, lambda f, d: f(0, 1, 5, True, 10.0, d)),
    "geomspace": (4, lambda f, d: f(1, 2, 5, True, d)),
    "loadtxt": (1, lambda f, d: f(io.StringIO("1 2\n"), d)),
    "genfromtxt": (1, lambda f, d: f(io.StringIO("1 2\n"), d)),
    "full": (2, lambda f, d: f((2,), 1.5, d)),
    "array": (1, lambda f, d: f([1.5], d)),
    "asarray": (1, lambda f, d: f([1.5], d)),
    "ascontiguousarray": (1, lambda f, d: f([1.5], d)),
    "zeros_like": (1, lambda f, d: f(np.ones(2), d)),
    "ones_like": (1, lambda f, d: f(np.ones(2), d)),
    "empty_like": (1, lambda f, d: f(np.ones(2), d)),
    "full_like": (2, lambda f, d: f(np.ones(2), 1.5, d)),
}

# ndarray methods/properties candidates; kept when a float64 array stays float64.
ARRAY_METHODS = {
    "copy": lambda a: a.copy(),
    "reshape": lambda a: a.reshape(-1),
    "squeeze": lambda a: a.squeeze(),
    "flatten": lambda a: a.flatten(),
    "ravel": lambda a: a.ravel(),
    "transpose": lambda a: a.transpose(),
    "swapaxes": lambda a: a.swapaxes(0, 1),
    "clip": lambda a: a.clip(0.0, 1.0),
    "T": lambda a: a.T,
    "mean": lambda a: a.mean(axis=0),
    "sum": lambda a: a.sum(axis=0),
    "cumsum": lambda a: a.cumsum(axis=0),
    # Look-alikes measured and excluded.
    "argmax": lambda a: a.argmax(axis=0),
    "astype": lambda a: a.astype(np.float32),
}
ARRAY_PROPERTIES = {"T"}

# numpy functions of one array kept when float64 in -> float64 out and float32 in -> float32 out.
ELEMENTWISE_CANDIDATES = [
    "sin", "cos", "tan", "tanh", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "absolute",
    "negative", "clip", "round", "floor", "ceil", "sign", "flip", "fliplr", "flipud", "squeeze",
    "ravel", "transpose", "atleast_2d", "expand_dims", "cumsum", "diff", "sort", "copy",
    "nan_to_num", "ascontiguousarray", "asarray", "array", "isnan", "argmax",
]  # fmt: skip
# Look-alikes excluded by the measurement: isnan (bool), argmax (int).
ELEMENTWISE_ARGS = {"clip": (0.0, 1.0), "expand_dims": (0,)}
JOINING_CANDIDATES = ["concatenate", "stack", "vstack", "hstack", "column_stack", "row_stack", "dstack"]

# Without a size, numpy.random functions return a Python float, which torch makes float32:
# name -> positional index of `size` ("*" = the shape is given as positional arguments).
SIZE_POSITIONS = {
    "random.rand": "*", "random.randn": "*", "random.random": 0, "random.random_sample": 0,
    "random.standard_normal": 0, "random.uniform": 2, "random.normal": 2, "random.exponential": 1,
    "random.laplace": 2, "random.lognormal": 2, "random.beta": 2, "random.gamma": 2,
}  # fmt: skip

DTYPE_STRINGS = [
    "float64", "f8", "<f8", "d", "double", "float", "float32", "f4", "<f4", "f", "single",
    "float16", "f2", "e", "half", "int64", "int32", "int16", "int8", "uint8", "int", "i8", "i4",
    "long", "bool", "?", "complex64", "complex128",
]  # fmt: skip
BUILTIN_TYPES = {"float": float, "int": int, "bool": bool, "complex": complex}


def _float64_by_default():
    names = []
    for name, call in DEFAULT_FLOAT_CALLS.items():
        func = np
        for part in name.split("."):
            func = getattr(func, part)
        out = call(func)
        if isinstance(out, np.ndarray) and out.dtype == np.float64:
            names.append(f"numpy.{name}")
    return sorted(names)


def _dtype_positions():
    positions = {}
    for name, (index, call) in DTYPE_POSITIONS.items():
        out = call(getattr(np, name), np.float32)
        if out.dtype == np.float32:  # the dtype really landed in that slot
            positions[f"numpy.{name}"] = index
    return positions


def _size_positions():
    positions = {}
    for name, index in SIZE_POSITIONS.items():
        func = getattr(np.random, name.split(".")[1])
        scalar = func(*([1.0] * index if index != "*" else []))
        if not isinstance(scalar, float):
            continue  # not a Python float without size: the table's premise is wrong
        args = [0.5] * index + [(2, 3)] if index != "*" else [2, 3]
        if np.shape(func(*args)) == (2, 3):
            positions[f"numpy.{name}"] = index
    return positions


def _elementwise():
    kept = []
    for name in ELEMENTWISE_CANDIDATES:
        func = getattr(np, name, None)
        if func is None:
            continue
        extra = ELEMENTWISE_ARGS.get(name, ())
        outputs = [func(np.ones((2, 3), dtype=d) * 0.5, *extra) for d in (np.float64, np.float32)]
        if [getattr(o, "dtype", None) for o in outputs] == [np.float64, np.float32]:
            kept.append(f"numpy.{name}")
    return sorted(kept)


def _joining():
    kept = []
    for name in JOINING_CANDIDATES:
        func = getattr(np, name, None)
        if func is None:
            continue
        same = [func([np.ones((2, 3), dtype=d), np.ones((2, 3), dtype=d)]).dtype for d in (np.float64, np.float32)]
        if same == [np.float64, np.float32]:
            kept.append(f"numpy.{name}")
    return sorted(kept)


def _dtype_names():
    names = {}
    for attr in sorted(dir(np)):
        value = getattr(np, attr, None)
        if isinstance(value, type) and issubclass(value, np.generic) and value is not np.generic:
            try:
                names[f"numpy.{attr}"] = np.dtype(value).name
            except TypeError:  # abstract scalar types (np.floating...) are not dtypes
                continue
    for spelling, value in BUILTIN_TYPES.items():
        names[spelling] = np.dtype(value).name
    strings = {}
    for spelling in DTYPE_STRINGS:
        try:
            strings[spelling] = np.dtype(spelling).name
        except TypeError:
            continue
    return names, strings


def _dtype_preserving():
    base = np.ones((2, 3))
    methods, properties = [], []
    for name, call in ARRAY_METHODS.items():
        if call(base).dtype == np.float64:
            (properties if name in ARRAY_PROPERTIES else methods).append(name)
    return sorted(methods), sorted(properties)


def generate():
    names, strings = _dtype_names()
    methods, properties = _dtype_preserving()
    return {
        "float64_by_default": _float64_by_default(),
        "dtype_positions": _dtype_positions(),
        "elementwise_functions": _elementwise(),
        "joining_functions": _joining(),
        "random_size_positions": _size_positions(),
        "dtype_names": names,
        "dtype_strings": strings,
        "dtype_preserving_methods": methods,
        "dtype_preserving_properties": properties,
    }
