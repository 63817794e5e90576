"""PyTorch's module-level functions (``torch.exp(x)``, ``torch.cat(...)``, ``torch.max(x, 1)``), as thin wrappers.

Each takes a Value and calls the Value's method of the same name, or an
operation of ``ops.py``; nothing here has a derivative of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import checks, ops
from .value import Value


def _value(x: Any, op: str) -> Value:
    if not isinstance(x, Value):
        raise TypeError(f"{op}: expects a Value (a tensor), got {checks.describe(x)}; make one with tensor(...)")
    return x


def exp(x: Value) -> Value:
    """exp of every element."""
    return _value(x, "exp").exp()


def log(x: Value) -> Value:
    """Natural logarithm of every element."""
    return _value(x, "log").log()


def sqrt(x: Value) -> Value:
    """Square root of every element."""
    return _value(x, "sqrt").sqrt()


def sin(x: Value) -> Value:
    """sin of every element."""
    return _value(x, "sin").sin()


def cos(x: Value) -> Value:
    """cos of every element."""
    return _value(x, "cos").cos()


def abs(x: Value) -> Value:  # noqa: A001 (PyTorch's name)
    """|x| of every element."""
    return _value(x, "abs").abs()


def tanh(x: Value) -> Value:
    """tanh of every element."""
    return _value(x, "tanh").tanh()


def sigmoid(x: Value) -> Value:
    """sigmoid of every element."""
    return _value(x, "sigmoid").sigmoid()


def relu(x: Value) -> Value:
    """max(x, 0) of every element."""
    return _value(x, "relu").relu()


def pow(x: Any, exponent: Any) -> Value:  # noqa: A001 (PyTorch's name)
    """x ** exponent (either may be a number)."""
    if not isinstance(x, Value) and not isinstance(exponent, Value):
        raise TypeError("pow: at least one argument must be a Value")
    return x ** exponent  # type: ignore[no-any-return]


def clamp(x: Value, min: Any = None, max: Any = None) -> Value:  # noqa: A002 (PyTorch's names)
    """x limited to [min, max]."""
    return _value(x, "clamp").clip(min, max)


clip = clamp


def matmul(a: Any, b: Any) -> Value:
    """a @ b."""
    return ops.matmul(a, b)  # type: ignore[no-any-return]


mm = matmul


def sum(x: Value, *args: Any, **kwargs: Any) -> Value:  # noqa: A001 (PyTorch's name)
    """x.sum(...)."""
    return _value(x, "sum").sum(*args, **kwargs)


def mean(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.mean(...)."""
    return _value(x, "mean").mean(*args, **kwargs)


def max(x: Value, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 (PyTorch's name)
    """``max(x)``, ``max(x, dim)`` (values, indices), or ``max(x, other)`` (elementwise): see ``Value.max``."""
    return _value(x, "max").max(*args, **kwargs)


def min(x: Value, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 (PyTorch's name)
    """``min(x)``, ``min(x, dim)`` (values, indices), or ``min(x, other)`` (elementwise)."""
    return _value(x, "min").min(*args, **kwargs)


def argmax(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.argmax(...)."""
    return _value(x, "argmax").argmax(*args, **kwargs)


def argmin(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.argmin(...)."""
    return _value(x, "argmin").argmin(*args, **kwargs)


def amax(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.amax(...)."""
    return _value(x, "amax").amax(*args, **kwargs)


def amin(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.amin(...)."""
    return _value(x, "amin").amin(*args, **kwargs)


def logsumexp(x: Value, *args: Any, **kwargs: Any) -> Value:
    """x.logsumexp(...)."""
    return _value(x, "logsumexp").logsumexp(*args, **kwargs)


def softmax(x: Value, dim: int | None = None) -> Value:
    """x.softmax(dim)."""
    return _value(x, "softmax").softmax(dim=dim)


def log_softmax(x: Value, dim: int | None = None) -> Value:
    """x.log_softmax(dim)."""
    return _value(x, "log_softmax").log_softmax(dim=dim)


def reshape(x: Value, shape: Any) -> Value:
    """x.reshape(shape)."""
    return _value(x, "reshape").reshape(shape)


def flatten(x: Value, start_dim: int = 0, end_dim: int = -1) -> Value:
    """x.flatten(start_dim, end_dim)."""
    return _value(x, "flatten").flatten(start_dim, end_dim)


def unsqueeze(x: Value, dim: int) -> Value:
    """x.unsqueeze(dim)."""
    return _value(x, "unsqueeze").unsqueeze(dim)


def squeeze(x: Value, dim: Any = None) -> Value:
    """x.squeeze(dim)."""
    return _value(x, "squeeze").squeeze(dim)


def transpose(x: Value, dim0: int, dim1: int) -> Value:
    """x with axes dim0 and dim1 swapped (PyTorch's meaning)."""
    return _value(x, "transpose").transpose(dim0, dim1)


def permute(x: Value, dims: Any) -> Value:
    """x.permute(dims)."""
    return _value(x, "permute").permute(dims)


def numel(x: Value) -> int:
    """The number of elements of x."""
    return _value(x, "numel").numel()


def cat(values: Iterable[Any], dim: int = 0, *, axis: int | None = None) -> Any:
    """Join Values along an existing axis (PyTorch's name for ``concatenate``)."""
    return ops.concatenate(values, checks.one_axis(axis, dim, "cat", default=0))


concat = cat


def stack(values: Iterable[Any], axis: int | None = None, *, dim: int | None = None) -> Any:
    """Join Values of one shape along a new axis (``axis`` positionally or by numpy's name, or ``dim=``)."""
    return ops.stack(values, checks.one_axis(axis, dim, "stack", default=0))
