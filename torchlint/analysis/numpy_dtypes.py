"""The numpy dtype of an expression, where the source proves it.

`array_dtype(ctx, expr)` answers "float64", "float32", "int64"... (numpy's dtype names) or None
when it cannot be sure.  It knows numpy's defaults (`np.zeros(3)`, `np.random.rand(3)`,
`np.loadtxt(f)` are float64), explicit `dtype=` arguments, `.astype()`, literal lists in
`np.array([...])`, arithmetic, indexing, and follows local names and `self.attr` through
their assignments.  numpy is resolved through imports (`import numpy as np`, `from numpy
import random`), so names are "numpy.zeros", "numpy.random.rand".  The facts come from
torchlint/data/numpy_dtypes.json, measured on numpy by scripts/tables/numpy_dtypes.py.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import attribute_assignments, reaching_assignments, self_name
from torchlint.context import FileContext

_TABLE = tables.load("numpy_dtypes")
FLOAT64_BY_DEFAULT = frozenset(_TABLE["float64_by_default"])
DTYPE_POSITIONS = _TABLE["dtype_positions"]
RANDOM_SIZE_POSITIONS = _TABLE["random_size_positions"]
DTYPE_NAMES = _TABLE["dtype_names"]  # "numpy.float64" / builtin "float" -> "float64"
DTYPE_STRINGS = _TABLE["dtype_strings"]  # "f8" -> "float64"
ELEMENTWISE = frozenset(_TABLE["elementwise_functions"])  # np.sin(x): x's float dtype
JOINING = frozenset(_TABLE["joining_functions"])  # np.stack([a, b]): their common dtype
PRESERVING_METHODS = frozenset(_TABLE["dtype_preserving_methods"])
PRESERVING_PROPERTIES = frozenset(_TABLE["dtype_preserving_properties"])

# Calls that return their array argument's dtype unless given a dtype.
_LIKE = frozenset({"numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.copy",
                   "numpy.zeros_like", "numpy.ones_like", "numpy.empty_like"})  # fmt: skip
_FULL = frozenset({"numpy.full", "numpy.full_like"})
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power)
_FLOATS = ("float16", "float32", "float64")
_MAX_HOPS = 12  # steps (names, calls, operands) followed, at most


def array_dtype(ctx: FileContext, node: cst.BaseExpression, hops: int = 0) -> Optional[str]:
    """numpy's dtype name for the array `node` evaluates to, or None if not certain."""
    if hops > _MAX_HOPS:
        return None
    if isinstance(node, cst.Call):
        return _call_dtype(ctx, node, hops)
    if isinstance(node, cst.Subscript):  # arr[i], arr[:, 0]: same dtype (not a fancy dtype view)
        return array_dtype(ctx, node.value, hops + 1)
    if isinstance(node, cst.Attribute):
        if node.attr.value in PRESERVING_PROPERTIES:
            return array_dtype(ctx, node.value, hops + 1)
        return _self_attribute_dtype(ctx, node, hops)
    if isinstance(node, cst.Name):
        return _name_dtype(ctx, node, hops)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return array_dtype(ctx, node.expression, hops + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _ARITHMETIC):
        return _arithmetic_dtype(ctx, node, hops)
    return None


def dtype_named(ctx: FileContext, node: cst.BaseExpression) -> Optional[str]:
    """The dtype a `dtype=` argument spells: `np.float32`, `"f8"`, `float`..., or None."""
    if isinstance(node, cst.SimpleString):
        return DTYPE_STRINGS.get(node.evaluated_value)
    if isinstance(node, cst.Name) and node.value in DTYPE_NAMES and not ctx.names.is_bound(node.value):
        return DTYPE_NAMES[node.value]  # the builtin `float`, not rebound in this file
    qualified = ctx.qualified_name(node)
    return DTYPE_NAMES.get(qualified) if qualified else None


# -- calls --------------------------------------------------------------------------------
def _keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _positional(call: cst.Call):
    return [a for a in call.args if a.keyword is None]


def _has_star(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


def _dtype_argument(call: cst.Call, name: str) -> Optional[cst.Arg]:
    keyword = _keyword(call, "dtype")
    if keyword is not None:
        return keyword
    index = DTYPE_POSITIONS.get(name)
    positional = _positional(call)
    if index is not None and len(positional) > index:
        return positional[index]
    return None


def _call_dtype(ctx: FileContext, call: cst.Call, hops: int) -> Optional[str]:
    func = call.func
    name = ctx.qualified_name(func)
    if name is not None and name.startswith("numpy."):
        if _has_star(call):
            return None
        explicit = _dtype_argument(call, name)
        if explicit is not None:
            return dtype_named(ctx, explicit.value)
        return _default_dtype(ctx, call, name, hops)
    if isinstance(func, cst.Attribute):  # array methods
        method = func.attr.value
        if method == "astype":
            positional = _positional(call)
            arg = positional[0] if positional else _keyword(call, "dtype")
            return dtype_named(ctx, arg.value) if arg is not None else None
        if method in PRESERVING_METHODS and _keyword(call, "dtype") is None:
            return array_dtype(ctx, func.value, hops + 1)
    return None


def _default_dtype(ctx: FileContext, call: cst.Call, name: str, hops: int) -> Optional[str]:
    positional = _positional(call)
    if name in RANDOM_SIZE_POSITIONS:
        # Without a size these return a Python float, which torch turns into float32.
        index = RANDOM_SIZE_POSITIONS[name]
        sized = bool(positional) if index == "*" else len(positional) > index or _keyword(call, "size")
        return "float64" if sized else None
    if name in FLOAT64_BY_DEFAULT:
        return "float64"
    if name in _FULL:  # dtype of the fill value
        fill = positional[1] if len(positional) > 1 else _keyword(call, "fill_value")
        return _literal_dtype(fill.value) if fill is not None else None
    if name in _LIKE and positional:
        data = positional[0].value
        if isinstance(data, (cst.List, cst.Tuple)):
            return _literal_dtype(data)
        return array_dtype(ctx, data, hops + 1)
    if name in JOINING and positional:
        return _joined_dtype(ctx, positional[0].value, hops)
    if name in ELEMENTWISE and positional:
        dtype = array_dtype(ctx, positional[0].value, hops + 1)
        return dtype if dtype in ("float64", "float32") else None
    if name == "numpy.arange" and positional and all(isinstance(a.value, cst.Float) for a in positional[:1]):
        return "float64"
    return None


def _joined_dtype(ctx: FileContext, arrays: cst.BaseExpression, hops: int) -> Optional[str]:
    """`[a, b]` or `[row[i] for i in ...]` of arrays that all have one known dtype."""
    if isinstance(arrays, (cst.ListComp, cst.GeneratorExp)):
        return array_dtype(ctx, arrays.elt, hops + 1)
    if isinstance(arrays, (cst.List, cst.Tuple)) and arrays.elements:
        if any(isinstance(e, cst.StarredElement) for e in arrays.elements):
            return None
        dtypes = {array_dtype(ctx, e.value, hops + 1) for e in arrays.elements}
        return dtypes.pop() if len(dtypes) == 1 else None
    return None


def _literal_dtype(node: cst.BaseExpression) -> Optional[str]:
    """float64 / int64 for (nested) lists of number literals, else None."""
    kinds = set()

    def visit(value) -> bool:
        if isinstance(value, (cst.List, cst.Tuple)):
            return bool(value.elements) and all(visit(e.value) for e in value.elements)
        if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, (cst.Minus, cst.Plus)):
            return visit(value.expression)
        if isinstance(value, cst.Float):
            kinds.add("float64")
            return True
        if isinstance(value, cst.Integer):
            kinds.add("int64")
            return True
        return False

    if not visit(node):
        return None
    return "float64" if "float64" in kinds else "int64"


# -- names and attributes -----------------------------------------------------------------
def _assignment_value_dtype(ctx: FileContext, assignment, hops: int) -> Optional[str]:
    statement = assignment.statement
    if isinstance(statement, cst.AugAssign) and isinstance(statement.target, cst.Name):
        # `x /= 255.0` on an array writes in place: the dtype does not change.
        return _name_dtype(ctx, statement.target, hops + 1)
    if assignment.value is None:
        return None
    return array_dtype(ctx, assignment.value, hops + 1)


def _name_dtype(ctx: FileContext, name: cst.Name, hops: int) -> Optional[str]:
    reaching = reaching_assignments(ctx, name)
    if not reaching or not reaching[-1].unconditional:
        return None  # some path gives it a value we cannot see (a parameter, a global)
    dtypes = {_assignment_value_dtype(ctx, a, hops) for a in reaching}
    return dtypes.pop() if len(dtypes) == 1 else None


def _self_attribute_dtype(ctx: FileContext, node: cst.Attribute, hops: int) -> Optional[str]:
    """`self.data` whose every assignment in the class has one known dtype."""
    if not isinstance(node.value, cst.Name) or node.value.value != self_name(ctx, node):
        return None
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    if class_def is None:
        return None
    assigned = attribute_assignments(ctx, class_def, node.attr.value)
    if not assigned or _augmented_elsewhere(ctx, class_def, node.attr.value):
        return None
    dtypes = {array_dtype(ctx, a.value, hops + 1) for a in assigned}
    return dtypes.pop() if len(dtypes) == 1 else None


def _augmented_elsewhere(ctx: FileContext, class_def: cst.ClassDef, attr: str) -> bool:
    """`self.a, self.b = ...`: a value the assignment list does not show.  (`self.a += x` on
    an array works in place and keeps its dtype.)"""
    for node in ctx.walk(class_def, cst.Assign):
        for target in node.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):
                for element in target.target.elements:
                    value = element.value
                    if isinstance(value, cst.Attribute) and value.attr.value == attr:
                        return True
    return False


# -- arithmetic ---------------------------------------------------------------------------
def _operand_kind(ctx: FileContext, node: cst.BaseExpression, hops: int) -> Optional[str]:
    if isinstance(node, cst.Float):
        return "python float"
    if isinstance(node, cst.Integer):
        return "python int"
    return array_dtype(ctx, node, hops + 1)


def _arithmetic_dtype(ctx: FileContext, node: cst.BinaryOperation, hops: int) -> Optional[str]:
    left = _operand_kind(ctx, node.left, hops)
    right = _operand_kind(ctx, node.right, hops)
    if left is None or right is None or left.startswith("python") and right.startswith("python"):
        return None  # an unknown side may be a tensor; two literals are not an array
    kinds = {left, right}
    if "float64" in kinds and kinds <= {"float64", *_FLOATS, "int64", "int32", "python float", "python int"}:
        return "float64"
    integer = kinds <= {"int64", "int32", "python int"}
    if integer and isinstance(node.operator, cst.Divide) or kinds == {"int64", "python float"}:
        return "float64"
    if kinds <= {"float32", "python float", "python int"}:
        return "float32"  # Python scalars do not promote (NEP 50)
    return None
