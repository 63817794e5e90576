"""Making Values the PyTorch way: ``tensor``, ``zeros``, ``randn``, ``arange``...

Unlike ``Value(...)``, which makes a float Value that requires grad (the
micrograd way), these follow PyTorch: integers stay integers, booleans stay
booleans, Python floats take the default float type (float64 here, see
``dtypes.py``), and nothing requires grad unless ``requires_grad=True``.
Random numbers come from the library's generator (``manual_seed``), so the
same seed does not give PyTorch's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import checks, dtypes
from .device import check_device
from .ops import make
from .random import generator
from .value import Value


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """A new Value holding a copy of ``data`` (numbers, nested lists, a numpy array or a Value)."""
    check_device(device, "tensor")
    return _value(_array(data, "tensor", copy=True), dtype, requires_grad, "tensor")


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Value:
    """``data`` as a Value, sharing memory with a numpy array (or returning a Value) where the dtype allows."""
    check_device(device, "as_tensor")
    if isinstance(data, Value) and (dtype is None or dtypes.as_dtype(dtype, "as_tensor") == data.dtype):
        return data
    return _value(_array(data, "as_tensor", copy=False), dtype, False, "as_tensor")


def from_numpy(array: np.ndarray) -> Value:
    """A Value sharing memory with a numpy array: a change to one is a change to the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expects a numpy array, got {type(array).__name__}")
    return _value(array, None, False, "from_numpy")


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """A Value of zeros of ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled(np.zeros, size, dtype, device, requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ones of ``size``."""
    return _filled(np.ones, size, dtype, device, requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` whose numbers are not set (zeros here; PyTorch leaves whatever memory held)."""
    return _filled(np.zeros, size, dtype, device, requires_grad, "empty")


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """A Value of ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64, or float)."""
    check_device(device, "full")
    number = checks.data_of(fill_value)
    if (fill_value is None or np.ndim(number) != 0
            or np.asarray(number).dtype.kind not in "biuf"):
        raise TypeError(f"full: fill_value must be one real number, got {checks.describe(fill_value)}")
    if dtype is None:
        dtype = _natural_dtype(fill_value)
    shape = _size((size,) if isinstance(size, (int, np.integer)) else tuple(size), "full")
    return _value(np.full(shape, number), dtype, requires_grad, "full")


def zeros_like(v: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """Zeros of v's shape and dtype."""
    return zeros(np.shape(checks.data_of(v)), dtype=_dtype_of(v, dtype), device=device, requires_grad=requires_grad)


def ones_like(v: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """Ones of v's shape and dtype."""
    return ones(np.shape(checks.data_of(v)), dtype=_dtype_of(v, dtype), device=device, requires_grad=requires_grad)


def empty_like(v: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """An unset Value of v's shape and dtype (zeros here)."""
    return zeros_like(v, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(v: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Value:
    """``fill_value`` everywhere, in v's shape and dtype."""
    return full(np.shape(checks.data_of(v)), fill_value, dtype=_dtype_of(v, dtype), device=device,
                requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """Draws from the standard normal distribution, from the library's generator."""
    check_device(device, "randn")
    return _random(lambda shape: generator().standard_normal(shape), size, dtype, requires_grad, "randn")


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """Draws from the uniform distribution on [0, 1), from the library's generator."""
    check_device(device, "rand")
    return _random(lambda shape: generator().random(shape), size, dtype, requires_grad, "rand")


def randn_like(v: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Standard normal draws in v's shape and (float) dtype."""
    return randn(np.shape(checks.data_of(v)), dtype=_dtype_of(v, dtype), requires_grad=requires_grad)


def rand_like(v: Any, *, dtype: Any = None, requires_grad: bool = False) -> Value:
    """Uniform draws on [0, 1) in v's shape and (float) dtype."""
    return rand(np.shape(checks.data_of(v)), dtype=_dtype_of(v, dtype), requires_grad=requires_grad)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False,
            low: Any = None, high: Any = None) -> Value:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``
    (each may also be given by name)."""
    check_device(device, "randint")
    if high is not None:
        args = (*args, *(() if low is None else (low,)), high) if not args else (*args, high)
    elif low is not None:
        args = (low, *args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        *args, size = args  # type: ignore[assignment]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint: call it as randint(high, size) or randint(low, high, size), with size a tuple")
    low, high = (0, args[0]) if len(args) == 1 else args
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an integer, got {bound!r}")
    if not low < high:
        raise ValueError(f"randint: low must be below high, got low={low}, high={high}")
    drawn = generator().integers(low, high, _size((size,), "randint"))
    return _value(drawn, dtype if dtype is not None else dtypes.int64, requires_grad, "randint")


def randperm(n: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Value:
    """The integers 0 to n - 1 in a random order, from the library's generator."""
    check_device(device, "randperm")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be an integer >= 0, got {n!r}")
    return _value(generator().permutation(int(n)), dtype if dtype is not None else dtypes.int64,
                  requires_grad, "randperm")


def arange(*args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, start: Any = None,
           end: Any = None, step: Any = None) -> Value:
    """``arange(end)``, ``arange(start, end)`` or ``arange(start, end, step)``: int64 when all are integers.

    The bounds may be given by name, and may be one-element Values.
    """
    check_device(device, "arange")
    if start is not None or end is not None or step is not None:
        if args or end is None:
            raise TypeError("arange: give the bounds by position or by name (end= at least), not both")
        args = (0 if start is None else start, end, *(() if step is None else (step,)))
    args = tuple(a.item() if isinstance(a, Value) and a.data.size == 1 else a for a in args)
    if not 1 <= len(args) <= 3:
        raise TypeError(f"arange: takes end, or start and end, or start, end and step; got {len(args)} numbers")
    numbers_given = [checks.data_of(a) for a in args]
    for a in numbers_given:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: the bounds must be numbers, got {a!r}")
    if len(numbers_given) == 3 and numbers_given[2] == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        integral = all(isinstance(a, (int, np.integer)) for a in numbers_given)
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    return _value(np.arange(*numbers_given), dtype, requires_grad, "arange")


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Value:
    """``steps`` evenly spaced numbers from ``start`` to ``end``, both included."""
    check_device(device, "linspace")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be an integer >= 0, got {steps!r}")
    numbers_given = np.linspace(checks.data_of(start), checks.data_of(end), int(steps))
    return _value(numbers_given, dtype if dtype is not None else dtypes.get_default_dtype(), requires_grad,
                  "linspace")


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Value:
    """The n-by-m identity matrix (m = n by default)."""
    check_device(device, "eye")
    rows, columns = _size((n,) if m is None else (n, m), "eye") * (2 if m is None else 1)
    return _value(np.eye(rows, columns), dtype if dtype is not None else dtypes.get_default_dtype(), requires_grad,
                  "eye")


def is_tensor(x: Any) -> bool:
    """True for a Value (PyTorch's name)."""
    return isinstance(x, Value)


# ---------------------------------------------------------------------- helpers


def _array(data: Any, op: str, copy: bool) -> np.ndarray:
    """data as a numpy array (a copy when asked), with Python floats in the default float type."""
    if isinstance(data, Value):
        return data.data.copy() if copy else data.data
    if data is None or isinstance(data, (str, bytes, complex)):
        raise TypeError(f"{op}: data must be numbers, nested lists of numbers or an array, got {checks.describe(data)}")
    try:
        array = np.array(data) if copy else np.asarray(data)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{op}: cannot make an array from this {type(data).__name__}: {error}") from None
    if array.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
        return array.astype(dtypes.get_default_dtype(), copy=False)  # Python floats: the default float type
    return array


def _value(array: Any, dtype: Any, requires_grad: bool, op: str) -> Value:
    """A leaf Value of ``array`` (cast to ``dtype`` if given), checked."""
    if not isinstance(requires_grad, (bool, np.bool_)):
        raise TypeError(f"{op}: requires_grad must be True or False, got {requires_grad!r}")
    array = np.asarray(array)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype, op), copy=False)
    elif array.dtype not in dtypes.ALL:
        raise TypeError(f"{op}: a Value holds float32, float64, int64, int32 or bool, not {array.dtype}; "
                        f"convert it first (e.g. array.astype(np.int64)) or pass dtype=")
    if requires_grad and array.dtype.kind != "f":
        raise RuntimeError(f"{op}: only float Values can require gradients, this one would hold {array.dtype}")
    return make(array, None, (), bool(requires_grad))


def _size(size: Sequence[Any], op: str) -> tuple[int, ...]:
    """A size given as integers or as one tuple or list of them."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if len(size) == 1 and isinstance(size[0], Value):  # x.size() of another Value, or a tensor of sizes
        size = tuple(size[0].tolist()) if size[0].ndim else (size[0].item(),)
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: sizes must be whole numbers >= 0, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _filled(fill: Any, size: Any, dtype: Any, device: Any, requires_grad: bool, op: str) -> Value:
    check_device(device, op)
    return _value(fill(_size(size, op)), dtype if dtype is not None else dtypes.get_default_dtype(),
                  requires_grad, op)


def _random(draw: Any, size: Any, dtype: Any, requires_grad: bool, op: str) -> Value:
    chosen = dtypes.as_dtype(dtype, op) if dtype is not None else dtypes.get_default_dtype()
    if chosen.kind != "f":
        raise TypeError(f"{op}: draws are floats; dtype must be float32 or float64, got {chosen}")
    return _value(draw(_size(size, op)), chosen, requires_grad, op)


def _natural_dtype(value: Any) -> Any:
    """PyTorch's dtype for a Python number: bool, int64, or the default float."""
    value = checks.data_of(value)
    if isinstance(value, np.ndarray):  # a 0-d Value's numbers: their own dtype
        return value.dtype
    if isinstance(value, (bool, np.bool_)):
        return dtypes.bool_
    if isinstance(value, (int, np.integer)):
        return dtypes.int64
    return dtypes.get_default_dtype()


def _dtype_of(v: Any, dtype: Any) -> Any:
    return dtype if dtype is not None else np.asarray(checks.data_of(v)).dtype


class _TensorType(type):
    """The type of ``Tensor``: every Value is an instance, so ``isinstance(x, Tensor)`` and annotations work."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Value)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return isinstance(sub, type) and issubclass(sub, Value)

    def __call__(cls, *args: Any) -> Value:  # type: ignore[override]
        """PyTorch's ``torch.Tensor(...)``: sizes give zeros, data gives a float copy; never requires grad."""
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return zeros(*args) if args else zeros(0)
        if len(args) == 1:
            return tensor(args[0], dtype=dtypes.get_default_dtype())
        raise TypeError(f"Tensor: give sizes (Tensor(2, 3)) or data (Tensor([1, 2])), got {args!r}; "
                        "tensor(data) is the usual way")


class Tensor(metaclass=_TensorType):
    """PyTorch's name for the type of a Value: ``isinstance(x, Tensor)`` is True for every Value.

    Called, it makes a float Value that needs no gradient, as ``torch.Tensor(...)``
    does (``tensor(...)`` is the usual way).
    """
