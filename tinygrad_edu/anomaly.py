"""Anomaly mode: find the operation that first made a NaN (or an infinity), and the line that called it.

A NaN made deep inside a network spreads to everything computed from it: the
loss is NaN, every gradient is NaN, and nothing says where it started. Inside
``detect_anomaly()`` (grad_mode.py), each operation checks its result as it is
computed, and each derivative rule its gradient during ``backward()``; the
first that turns numbers without NaN into a NaN (or finite numbers into an
infinity, in the forward pass) raises ``FloatingPointError`` naming the
operation, its arguments' shapes and, for the backward pass, the line of the
user's code that made the Value. Outside anomaly mode none of this runs: the
engine reads one flag per operation.
"""

from __future__ import annotations

import os
import traceback
import weakref
from typing import Any

import numpy as np

from .value import Value

# Where each Value made in anomaly mode was made: id(Value) -> (a weak reference to it, the user's line).
# Keyed by id, not by the Value: a WeakKeyDictionary compares keys with ==, which for Values is elementwise.
_origins: dict[int, tuple[weakref.ref[Value], str]] = {}

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def watch_forward(op: Any, args: tuple[Any, ...], arrays: list[Any], out: Value) -> None:
    """Raise if ``op`` made a NaN from arguments without one, or an infinity from finite arguments;
    otherwise remember where ``out`` was made."""
    numbers = [a for a in arrays if isinstance(a, (np.ndarray, np.generic, float, int))]
    result = out.data
    where = _user_line()
    if result.dtype.kind != "f":
        _remember(out, where)
        return
    if np.isnan(result).any() and not any(np.isnan(a).any() for a in numbers if np.asarray(a).dtype.kind == "f"):
        raise FloatingPointError(f"detect_anomaly: '{op.name}' made a NaN from numbers without one "
                                 f"(arguments: {_shapes(args)}), called from {where}")
    if np.isinf(result).any() and all(np.isfinite(a).all() for a in numbers if np.asarray(a).dtype.kind == "f"):
        raise FloatingPointError(f"detect_anomaly: '{op.name}' made an infinity from finite numbers "
                                 f"(arguments: {_shapes(args)}), called from {where}")
    _remember(out, where)


def _remember(v: Value, line: str) -> None:
    key = id(v)

    def forget(_: weakref.ref[Value]) -> None:  # v is gone: its id may be reused
        _origins.pop(key, None)

    _origins[key] = (weakref.ref(v, forget), line)


def origin(v: Value) -> str | None:
    """The user's line that made v, if it was made in anomaly mode."""
    entry = _origins.get(id(v))
    return entry[1] if entry is not None and entry[0]() is v else None


def backward_observer() -> Any:
    """An observer for the backward loop that raises at the first rule whose gradient turns NaN."""
    def watch(node: Value, position: int, g: Any, gx: Any) -> None:
        gradient = np.asarray(gx.data if isinstance(gx, Value) else gx)
        if gradient.dtype.kind != "f" or not np.isnan(gradient).any():
            return
        upstream = np.asarray(g.data if isinstance(g, Value) else g)
        inputs = [x.data if isinstance(x, Value) else x for x in (*node.inputs, node)]
        if np.isnan(upstream).any() or any(np.isnan(a).any() for a in inputs
                                           if isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            return  # the NaN was there before this rule
        op = node.op
        made = origin(node)
        raise FloatingPointError(
            f"detect_anomaly: the derivative rule of '{op.name if op else '?'}' for its argument {position} "
            f"returned NaN from numbers without one (arguments: {_shapes(node.inputs)})"
            + (f"; that '{op.name if op else '?'}' was called from {made}" if made else
               "; run the forward pass inside detect_anomaly() too, to see the line that called it"))

    return watch


def _shapes(args: Any) -> str:
    parts = []
    for a in args:
        if isinstance(a, (Value, np.ndarray)):
            parts.append(f"{type(a).__name__} of shape {a.shape}")
        else:
            parts.append(f"{a!r:.30}")
    return ", ".join(parts)


def _user_line() -> str:
    """The innermost frame of the call stack outside this package, as 'file, line N, in function: code'."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f'"{frame.filename}", line {frame.lineno}, in {frame.name}: {(frame.line or "").strip()}'
    return "(unknown)"
