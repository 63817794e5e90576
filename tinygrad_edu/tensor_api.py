"""PyTorch's tensor methods on Value: a thin layer of PyTorch's names over the same operations.

``x.view(2, 3)``, ``x.unsqueeze(0)``, ``out.max(1)``, ``p.add_(g, alpha=-lr)``,
``x.size(0)``: each is a method of the ``TensorMethods`` mixin, written with
Value's own methods and ``ops.py``'s operations, so nothing here has a
derivative rule of its own. Where numpy and PyTorch use one name for
different things, the call tells them apart (``Value.max``, ``Value.transpose``,
``size``); where it cannot, the call is an error rather than a quiet guess.

In-place changes (``+=``, ``add_``, ``x[mask] = 0``) follow PyTorch's rules:
they change the numbers where no gradient can be affected (a Value that needs
no grad, or inside ``no_grad``), refuse on a leaf that requires grad, and,
for a Value in a graph, the operators compute a new Value (Python rebinds the
name) while the methods refuse. Every change is stamped for the in-place
check of ``autograd.check_unchanged``.

This module is imported by value.py to define Value, so the engine's modules
(which need Value) are imported inside the functions that use them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .value import Value

class MaxResult(NamedTuple):
    """What ``max(dim)`` returns, as PyTorch: the largest values along dim, and their indices."""

    values: Any
    indices: Any


class MinResult(NamedTuple):
    """What ``min(dim)`` returns, as PyTorch: the smallest values along dim, and their indices."""

    values: Any
    indices: Any


class Size(tuple):
    """A shape, as ``x.size()`` returns it (PyTorch's ``torch.Size``): a tuple with ``numel()``."""

    def numel(self) -> int:
        """The number of elements of an array of this shape."""
        return math.prod(self)


class SizeOrShape(int):
    """``x.size``: numpy's element count, an int, which PyTorch code may also call.

    ``x.size == 6`` and ``x.size * 2`` are numpy's; ``x.size()`` is PyTorch's
    shape and ``x.size(0)`` the length of axis 0.
    """

    _shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> SizeOrShape:
        made = super().__new__(cls, math.prod(shape))
        made._shape = shape
        return made

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return Size(self._shape)
        from .checks import normalize_axes

        return self._shape[normalize_axes(dim, len(self._shape), "size")[0]]


class TensorMethods:
    """PyTorch-named methods of Value (a mixin: Value defines the slots and the core methods)."""

    __slots__ = ()

    data: np.ndarray
    requires_grad: bool
    inputs: tuple[Any, ...]

    # ------------------------------------------------------------------ shape and size

    @property
    def size(self) -> SizeOrShape:
        """The number of elements (numpy's ``x.size``); call it for the shape (PyTorch's ``x.size()``)."""
        return SizeOrShape(self.data.shape)

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of axes (PyTorch's name for ``ndim``)."""
        return self.data.ndim

    def view(self: Any, *shape: Any) -> Value:
        """The same elements in a new shape (PyTorch's name for ``reshape``; a dtype is not a shape here)."""
        if len(shape) == 1 and _is_dtype_like(shape[0]):
            raise TypeError("view(dtype) reinterprets memory, which tinygrad_edu does not offer; use .to(dtype)")
        return self.reshape(*shape)

    def view_as(self: Any, other: Any) -> Value:
        """``view`` to the shape of ``other``."""
        return self.reshape(other.shape)

    def reshape_as(self: Any, other: Any) -> Value:
        """``reshape`` to the shape of ``other``."""
        return self.reshape(other.shape)

    def flatten(self: Any, start_dim: int = 0, end_dim: int = -1) -> Value:
        """Merge the axes from ``start_dim`` to ``end_dim`` into one (all of them by default)."""
        from .checks import normalize_axes

        if self.ndim == 0:
            return self.reshape(1)
        start, end = (normalize_axes(d, self.ndim, "flatten")[0] for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def unflatten(self: Any, dim: int, sizes: Any) -> Value:
        """Split axis ``dim`` into axes of ``sizes`` (one may be -1)."""
        from .checks import normalize_axes

        d = normalize_axes(dim, self.ndim, "unflatten")[0]
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def unsqueeze(self: Any, dim: int) -> Value:
        """A new axis of length 1 at position ``dim`` (negative counts from the end of the result)."""
        from .checks import normalize_axes

        d = normalize_axes(dim, self.ndim + 1, "unsqueeze")[0]
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self: Any, dim: Any = None) -> Value:
        """Drop axes of length 1: all of them, or those among ``dim`` (others named there are kept, as PyTorch)."""
        from .checks import normalize_axes

        if dim is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        elif self.ndim == 0:
            normalize_axes(dim, 1, "squeeze")  # PyTorch lets a 0-d Value name axis 0 or -1
            return self.reshape(())
        else:
            axes = tuple(a for a in normalize_axes(dim, self.ndim, "squeeze") if self.shape[a] == 1)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def permute(self: Any, *dims: Any) -> Value:
        """The axes in the order ``dims`` (PyTorch's name for numpy's ``transpose(axes)``)."""
        order = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if len(order) != self.ndim:
            raise ValueError(f"permute: {len(order)} axes given for a Value of shape {self.shape}")
        return self.transpose(tuple(order))

    def expand(self: Any, *sizes: Any) -> Value:
        """Repeat along size-1 axes (and new leading ones) to ``sizes``; -1 keeps an axis as it is."""
        shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(shape) - self.ndim
        target = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
        return self.broadcast_to(target)

    def expand_as(self: Any, other: Any) -> Value:
        """``expand`` to the shape of ``other``."""
        return self.broadcast_to(other.shape)

    def contiguous(self: Any) -> Value:
        """This Value (numpy keeps track of memory layout itself)."""
        return self

    # ------------------------------------------------------------------ arithmetic by name

    def add(self: Any, other: Any, *, alpha: Any = 1) -> Value:
        """self + alpha * other."""
        return self + (other if alpha == 1 else alpha * other)

    def sub(self: Any, other: Any, *, alpha: Any = 1) -> Value:
        """self - alpha * other."""
        return self - (other if alpha == 1 else alpha * other)

    def mul(self: Any, other: Any) -> Value:
        """self * other."""
        return self * other

    def div(self: Any, other: Any) -> Value:
        """self / other."""
        return self / other

    def neg(self: Any) -> Value:
        """-self."""
        return -self

    def pow(self: Any, exponent: Any) -> Value:
        """self ** exponent."""
        return self ** exponent

    def square(self: Any) -> Value:
        """self ** 2."""
        return self ** 2

    def matmul(self: Any, other: Any) -> Value:
        """self @ other."""
        return self @ other

    mm = matmul

    def dot(self: Any, other: Any) -> Value:
        """The inner product of two 1-D Values."""
        other_shape = np.shape(_plain(other))
        if self.ndim != 1 or len(other_shape) != 1:
            raise ValueError(f"dot: both must be 1-D (got shapes {self.shape} and {other_shape})")
        return self @ other

    def clamp(self: Any, min: Any = None, max: Any = None) -> Value:  # noqa: A002 (PyTorch's names)
        """Limit to [min, max] (PyTorch's name for ``clip``)."""
        return self.clip(min, max)

    # ------------------------------------------------------------------ reductions without a gradient

    def argmax(self: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Value:
        """The index of the largest element (of the flattened Value when no dim is given), an int64 Value."""
        return _arg_extreme(self, np.argmax, "argmax", dim, keepdim, axis)

    def argmin(self: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Value:
        """The index of the smallest element, an int64 Value."""
        return _arg_extreme(self, np.argmin, "argmin", dim, keepdim, axis)

    def amax(self: Any, dim: Any = (), keepdim: bool = False) -> Value:
        """The largest values over ``dim`` (all axes by default); tied maxima share the gradient."""
        return self.max(axis=_dims_or_all(dim), keepdims=keepdim)

    def amin(self: Any, dim: Any = (), keepdim: bool = False) -> Value:
        """The smallest values over ``dim`` (all axes by default); tied minima share the gradient."""
        return self.min(axis=_dims_or_all(dim), keepdims=keepdim)

    def all(self: Any, dim: Any = None, keepdim: bool = False) -> Value:
        """True where every element (over ``dim``, or all) is true: a boolean Value."""
        return _boolean_reduction(self, np.all, "all", dim, keepdim)

    def any(self: Any, dim: Any = None, keepdim: bool = False) -> Value:
        """True where some element (over ``dim``, or all) is true: a boolean Value."""
        return _boolean_reduction(self, np.any, "any", dim, keepdim)

    # ------------------------------------------------------------------ dtypes, devices, copies

    def to(self: Any, *args: Any, **kwargs: Any) -> Value:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(other)``: a Value of that dtype (self if it is).

        Only the CPU exists here: another device is an error that says so.
        """
        from .device import check_device

        dtype = kwargs.pop("dtype", None)
        for name in ("device", "non_blocking", "copy", "memory_format"):
            if name == "device" and name in kwargs:
                check_device(kwargs.pop(name), "to")
            kwargs.pop(name, None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if hasattr(arg, "data") and hasattr(arg, "dtype") and not _is_dtype_like(arg):
                dtype = arg.dtype  # to(other): other's dtype
            elif _is_dtype_like(arg):
                dtype = arg
            else:
                check_device(arg, "to")
        if dtype is None:
            return self
        from .dtypes import as_dtype

        chosen = as_dtype(dtype, "to")
        return self if chosen == self.data.dtype else self.astype(chosen)

    def type(self: Any, dtype: Any = None) -> Any:
        """Without an argument, PyTorch's name of the type ('torch.DoubleTensor'); with one, ``to(dtype)``."""
        if dtype is None:
            names = {"float64": "Double", "float32": "Float", "int64": "Long", "int32": "Int", "bool": "Bool"}
            return f"torch.{names[self.data.dtype.name]}Tensor"
        return self.to(dtype)

    def half(self: Any) -> Value:
        raise TypeError("half: float16 is not offered by tinygrad_edu; use float() (float32) or double()")

    def cpu(self: Any) -> Value:
        """This Value: everything here is on the CPU."""
        return self

    def cuda(self: Any, *args: Any, **kwargs: Any) -> Value:
        raise RuntimeError("cuda: tinygrad_edu runs on the CPU only (cuda.is_available() is False)")

    @property
    def device(self) -> Any:
        """Where the data lives: always the CPU."""
        from .device import device

        return device("cpu")

    @property
    def is_cuda(self) -> bool:
        """False: everything here is on the CPU."""
        return False

    def numpy(self: Any, *, force: bool = False) -> np.ndarray:
        """The underlying numpy array (not a copy). As in PyTorch, refused while the Value requires grad
        (use ``x.detach().numpy()``), unless ``force=True``."""
        if self.requires_grad and not force:
            raise RuntimeError("numpy: can't call numpy() on a Value that requires grad; use "
                               "x.detach().numpy() (or x.data)")
        return self.data

    def tolist(self: Any) -> Any:
        """The numbers as (nested lists of) Python numbers."""
        return self.data.tolist()

    def clone(self: Any) -> Value:
        """A copy with memory of its own, in the graph (the gradient passes straight through)."""
        from . import ops

        return ops.clone(self)

    def requires_grad_(self: Any, requires_grad: bool = True) -> Any:
        """Set ``requires_grad`` in place and return self (only float Values can require grad)."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: expects True or False, got {requires_grad!r}")
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only float Values can require gradients, this one holds "
                               f"{self.data.dtype}")
        if not requires_grad and self.inputs:
            raise RuntimeError("requires_grad_: this Value was computed in a graph; only leaves can stop "
                               "requiring grad (use .detach() for a copy without the graph)")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for a Value with no recorded inputs (made directly, or without needing a gradient)."""
        return not self.inputs

    @property
    def grad_fn(self) -> Any:
        """The Operation that made this Value, if a gradient can flow back through it; else None."""
        return getattr(self, "op", None) if self.inputs else None

    # ------------------------------------------------------------------ in-place changes

    def __iadd__(self: Any, other: Any) -> Any:
        """``x += y``: in place where allowed, else ``x + y`` (see the module docstring)."""
        return self._in_place("+=", lambda data: np.add(data, _plain(other), out=data, casting="same_kind"),
                              other=other, instead=lambda: self + other)

    def __isub__(self: Any, other: Any) -> Any:
        """``x -= y``: in place where allowed, else ``x - y``."""
        return self._in_place("-=", lambda data: np.subtract(data, _plain(other), out=data, casting="same_kind"),
                              other=other, instead=lambda: self - other)

    def __imul__(self: Any, other: Any) -> Any:
        """``x *= y``: in place where allowed, else ``x * y``."""
        return self._in_place("*=", lambda data: np.multiply(data, _plain(other), out=data, casting="same_kind"),
                              other=other, instead=lambda: self * other)

    def __itruediv__(self: Any, other: Any) -> Any:
        """``x /= y``: in place where allowed, else ``x / y``."""
        return self._in_place("/=", lambda data: np.true_divide(data, _plain(other), out=data, casting="same_kind"),
                              other=other, instead=lambda: self / other)

    def __ipow__(self: Any, other: Any) -> Any:
        """``x **= y``: in place where allowed, else ``x ** y``."""
        return self._in_place("**=", lambda data: np.power(data, _plain(other), out=data, casting="same_kind"),
                              other=other, instead=lambda: self ** other)

    def add_(self: Any, other: Any, *, alpha: Any = 1) -> Any:
        """self += alpha * other, in place."""
        step = other if alpha == 1 else _plain(other) * alpha
        return self._in_place("add_", lambda data: np.add(data, _plain(step), out=data, casting="same_kind"),
                              other=other)

    def sub_(self: Any, other: Any, *, alpha: Any = 1) -> Any:
        """self -= alpha * other, in place."""
        step = other if alpha == 1 else _plain(other) * alpha
        return self._in_place("sub_", lambda data: np.subtract(data, _plain(step), out=data, casting="same_kind"),
                              other=other)

    def mul_(self: Any, other: Any) -> Any:
        """self *= other, in place."""
        return self._in_place("mul_", lambda data: np.multiply(data, _plain(other), out=data, casting="same_kind"),
                              other=other)

    def div_(self: Any, other: Any) -> Any:
        """self /= other, in place."""
        return self._in_place("div_", lambda data: np.true_divide(data, _plain(other), out=data, casting="same_kind"),
                              other=other)

    def pow_(self: Any, exponent: Any) -> Any:
        """self **= exponent, in place."""
        return self._in_place("pow_", lambda data: np.power(data, _plain(exponent), out=data, casting="same_kind"),
                              other=exponent)

    def clamp_(self: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002 (PyTorch's names)
        """Limit to [min, max], in place."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        return self._in_place("clamp_", lambda data: np.clip(data, _plain(min), _plain(max), out=data,
                                                             casting="same_kind"))

    def zero_(self: Any) -> Any:
        """Set every element to 0, in place."""
        return self._in_place("zero_", lambda data: data.fill(0))

    def fill_(self: Any, value: Any) -> Any:
        """Set every element to ``value``, in place."""
        number = _plain(value)
        if np.ndim(number) != 0:
            raise ValueError(f"fill_: the value must be a single number, got shape {np.shape(number)}")
        return self._in_place("fill_", lambda data: data.fill(number), other=value)

    def copy_(self: Any, source: Any) -> Any:
        """Copy ``source``'s numbers (broadcast to this shape, cast to this dtype) into this Value."""
        return self._in_place("copy_", lambda data: np.copyto(data, _plain(source), casting="unsafe"), other=source)

    def normal_(self: Any, mean: float = 0.0, std: float = 1.0) -> Any:
        """Fill with draws from a normal distribution (from the library's generator), in place."""
        from .random import generator

        return self._in_place("normal_", lambda data: np.copyto(
            data, generator().normal(mean, std, data.shape), casting="unsafe"))

    def uniform_(self: Any, a: float = 0.0, b: float = 1.0) -> Any:
        """Fill with draws from a uniform distribution on [a, b) (from the library's generator), in place."""
        from .random import generator

        return self._in_place("uniform_", lambda data: np.copyto(
            data, generator().uniform(a, b, data.shape), casting="unsafe"))

    def __setitem__(self: Any, index: Any, value: Any) -> None:
        """``x[index] = value``, in place (numpy's indexing), where allowed (see the module docstring)."""
        from .checks import plain_index

        where = plain_index(index)
        self._in_place("__setitem__", lambda data: data.__setitem__(where, _plain(value)), other=value)

    def _in_place(self: Any, name: str, change: Callable[[np.ndarray], Any], other: Any = None,
                  instead: Callable[[], Any] | None = None) -> Any:
        """Apply ``change`` to the data in place, or refuse, or (for the operators) compute ``instead``.

        PyTorch's rules: a leaf that requires grad cannot change in place while
        grad mode is on (that is what ``with no_grad():`` is for); a Value in a
        graph, or one that would join a graph through ``other``, cannot change
        in place here: the operators then compute a new Value, the methods refuse.
        """
        from .grad_mode import _mode
        from .value import mark_changed

        if _mode.enabled and self.requires_grad and not self.inputs:
            raise RuntimeError(f"{name}: a leaf Value that requires grad is being used in an in-place operation; "
                               "change its numbers inside `with no_grad():` (as an optimizer step does), or "
                               "compute a new Value (x = x - ...)")
        if _mode.enabled and (self.requires_grad or getattr(other, "requires_grad", False)):
            if instead is not None:
                return instead()  # out of place: Python binds the name to the new Value
            raise RuntimeError(f"{name}: this Value is part of a graph (it, or the other argument, requires grad), "
                               "and tinygrad_edu does not record in-place changes in a graph; compute a new Value "
                               "instead (y = x + 1), or make the change inside `with no_grad():`")
        if not self.data.flags.writeable:
            raise ValueError(f"{name}: this Value's data is read-only (a broadcast view?), so it cannot change in "
                             "place; use .clone() first")
        try:
            change(self.data)
        except (TypeError, ValueError, IndexError) as error:  # numpy's message, with the call and the Value
            kind = next(k for k in (TypeError, IndexError, ValueError) if isinstance(error, k))
            raise kind(f"{name}: {str(error).strip()} (a Value of shape {self.data.shape} and dtype "
                       f"{self.data.dtype})") from None
        mark_changed((self,))
        return self

    # ------------------------------------------------------------------ dtypes by name (last: `float`, `int`
    # and `bool` as method names would hide the builtins from the annotations above)

    def float(self: Any) -> Value:
        """As float32."""
        return self.to(np.float32)

    def double(self: Any) -> Value:
        """As float64."""
        return self.to(np.float64)

    def long(self: Any) -> Value:
        """As int64 (rounded towards zero); the result has no gradient."""
        return self.to(np.int64)

    def int(self: Any) -> Value:
        """As int32 (rounded towards zero); the result has no gradient."""
        return self.to(np.int32)

    def bool(self: Any) -> Value:
        """As bool (True where not zero); the result has no gradient."""
        return self.to(np.bool_)


def _plain(x: Any) -> Any:
    """The numbers behind x, for numpy: a Value's data, or x itself."""
    return x.data if hasattr(x, "data") and hasattr(x, "requires_grad") else x


def _is_dtype_like(x: Any) -> bool:
    if x is float or x is int or x is bool:
        return True
    if isinstance(x, str):
        return x in ("float32", "float64", "int64", "int32", "bool", "float", "double", "long", "int")
    return isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic))


def _dims_or_all(dim: Any) -> Any:
    """PyTorch's amax/amin dim: () or None mean every axis."""
    return None if dim is None or (isinstance(dim, (tuple, list)) and not dim) else dim


def _arg_extreme(x: Any, find: Callable[..., Any], op: str, dim: Any, keepdim: bool, axis: Any) -> Value:
    from . import checks, ops

    if dim is not None and axis is not None:
        raise TypeError(f"{op}: give the axis once, as dim= or axis=")
    chosen = dim if dim is not None else axis
    if x.data.size == 0:
        raise ValueError(f"{op}: a Value of shape {x.shape} is empty, so it has no {op[3:]}imum")
    if chosen is None:
        index = find(x.data)
        result = np.asarray(index).reshape((1,) * x.ndim if keepdim else ())
    else:
        d = checks.reducible_axes(x, chosen, op)[0] if x.ndim else 0
        result = find(x.data, axis=d, keepdims=bool(keepdim)) if x.ndim else np.asarray(0)
    return ops.make(np.asarray(result, dtype=np.int64), None, (), requires_grad=False)


def _boolean_reduction(x: Any, reduce: Callable[..., Any], op: str, dim: Any, keepdim: bool) -> Value:
    from . import checks, ops

    axes = checks.normalize_axes(dim, x.ndim, op)
    return ops.make(np.asarray(reduce(x.data, axis=axes, keepdims=bool(keepdim))), None, (), requires_grad=False)


def extreme(x: Any, op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Any:
    """``x.max(...)`` / ``x.min(...)`` in whichever of its meanings the call asks for (see ``Value.max``)."""
    from . import checks, ops
    from .value import Value

    if isinstance(dim, Value):  # PyTorch's max(other): elementwise
        if keepdim is not None or axis is not None or keepdims is not None:
            raise TypeError(f"{op}: {op}(other) compares elementwise and takes no axis")
        return ops.maximum(x, dim) if op == "max" else ops.minimum(x, dim)
    if dim is None:  # numpy's: values only, tied extremes share the gradient
        if keepdim is not None:
            raise TypeError(f"{op}: keepdim goes with a dim (PyTorch's {op}(dim, keepdim)); numpy's is keepdims=")
        reduce = ops.reduce_max if op == "max" else ops.reduce_min
        return reduce(x, checks.reducible_axes(x, axis, op), bool(keepdims))
    if axis is not None or keepdims is not None:
        raise TypeError(f"{op}: PyTorch's {op}(dim, keepdim) and numpy's axis=/keepdims= cannot be mixed in one call")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: {op}(dim) takes one axis; for several, use amax/amin or {op}(axis=...)")
    d = checks.reducible_axes(x, dim, op)[0]
    indices = (np.argmax if op == "max" else np.argmin)(x.data, axis=d, keepdims=True)
    # The values are x at those indices, taken by indexing: its rule sends the gradient to the index.
    where = tuple(indices if k == d else np.arange(n).reshape((n,) + (1,) * (x.ndim - k - 1))
                  for k, n in enumerate(x.shape))
    values = x[where]
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    result = MaxResult if op == "max" else MinResult
    return result(values, ops.make(np.asarray(indices, dtype=np.int64), None, (), requires_grad=False))
