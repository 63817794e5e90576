"""The dtypes a Value holds, under PyTorch's names, the default float type, and PyTorch's mixing rule.

A Value holds float32 or float64 (which can carry a gradient), or int64,
int32 or bool (labels, indices and comparison results, which need none).
These are numpy dtypes, so ``x.dtype == tinygrad_edu.float32`` works, and
``tinygrad_edu.long`` is ``numpy.dtype('int64')``.

The default float type is float64, where PyTorch's is float32: gradient
checking by finite differences needs float64 (float32 resolves only about
1e-7 relative). ``set_default_dtype(tinygrad_edu.float32)`` changes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .value import Value

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

# PyTorch's other names for the same types (``float``, ``int``, ``bool`` are bound in __init__.py).
double = float64
long = int64

FLOATS = (float32, float64)
ALL = (float32, float64, int64, int32, bool_)

_default_float = [float64]  # a list, so the functions below change it without `global`


def get_default_dtype() -> np.dtype:
    """The float type that Python floats and float-making functions (``zeros``, ``randn``...) use."""
    return _default_float[0]


def set_default_dtype(dtype: Any) -> None:
    """Make float32 or float64 the default float type (float64 unless changed)."""
    chosen = as_dtype(dtype, "set_default_dtype")
    if chosen not in FLOATS:
        raise TypeError(f"set_default_dtype: only float32 and float64 can be the default, got {chosen}")
    _default_float[0] = chosen


def as_dtype(dtype: Any, op: str) -> np.dtype:
    """A dtype named any of the usual ways (``float32``, ``np.float32``, ``"float32"``, ``float``), checked."""
    if dtype is float:
        return float64  # as PyTorch, where dtype=float is torch.float64 whatever the default

    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, type) and not issubclass(dtype, np.generic) or dtype is None:
        raise TypeError(f"{op}: {dtype!r} is not a dtype; use float32, float64, int64, int32 or bool")
    try:
        chosen = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype; use float32, float64, int64, int32 or bool") from None
    if chosen not in ALL:
        raise TypeError(f"{op}: a Value holds float32, float64, int64, int32 or bool, not {chosen}")
    return chosen


def promote_integers(args: tuple[Any, ...], arrays: list[Any]) -> list[Any]:
    """The arrays of an operation's arguments where integer (or bool) Values meet float ones, in PyTorch's rule.

    numpy makes int64 with float32 float64; PyTorch keeps the float type
    (int64 with float32 is float32). So integer Values take the type of the
    float Values beside them. Integers among themselves keep numpy's rule,
    which is PyTorch's.
    """
    floats = [a.dtype for a, arg in zip(arrays, args) if isinstance(arg, Value) and a.dtype.kind == "f"]
    if not floats:
        return arrays
    target = np.result_type(*floats)
    return [a.astype(target) if isinstance(arg, Value) and a.dtype.kind in "biu" else a
            for a, arg in zip(arrays, args)]


def integer_result(data: Any, arrays: list[Any]) -> Any:
    """A float result computed from integers alone (``i / 2``, ``exp(i)``) in the default float type, as PyTorch."""
    if (data.dtype == float64 and _default_float[0] == float32
            and not any(isinstance(a, (np.ndarray, np.generic)) and a.dtype == float64 for a in arrays)):
        return data.astype(float32)
    return data
