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
        from .checks import single_axis

        return self._shape[single_axis(dim, len(self._shape), "size")]


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
        from .checks import single_axis

        if self.ndim == 0:
            return self.reshape(1)
        start, end = (single_axis(d, self.ndim, "flatten") for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def unflatten(self: Any, dim: int, sizes: Any) -> Value:
        """Split axis ``dim`` into axes of ``sizes`` (one may be -1)."""
        from .checks import single_axis

        d = single_axis(dim, self.ndim, "unflatten")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def unsqueeze(self: Any, dim: int) -> Value:
        """A new axis of length 1 at position ``dim`` (negative counts from the end of the result)."""
        from .checks import single_axis

        d = single_axis(dim, self.ndim + 1, "unsqueeze")
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

    @property
    def mT(self: Any) -> Value:  # noqa: N802 (PyTorch's name)
        """The last two axes swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    def contiguous(self: Any) -> Value:
        """This Value (numpy keeps track of memory layout itself)."""
        return self

    # ------------------------------------------------------------------ arithmetic by name

    def add(self: Any, other: Any, *, alpha: Any = 1) -> Value:
        """self + alpha * other."""
        return self + (other * alpha if hasattr(other, "requires_grad") and alpha != 1
                       else _scaled(other, alpha, "add"))

    def sub(self: Any, other: Any, *, alpha: Any = 1) -> Value:
        """self - alpha * other."""
        return self - (other * alpha if hasattr(other, "requires_grad") and alpha != 1
                       else _scaled(other, alpha, "sub"))

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
        from .checks import torch_dims

        return self.max(axis=torch_dims(_dims_or_all(dim), self.ndim, "amax"), keepdims=keepdim)

    def amin(self: Any, dim: Any = (), keepdim: bool = False) -> Value:
        """The smallest values over ``dim`` (all axes by default); tied minima share the gradient."""
        from .checks import torch_dims

        return self.min(axis=torch_dims(_dims_or_all(dim), self.ndim, "amin"), keepdims=keepdim)

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
        copy = kwargs.pop("copy", False)
        if "device" in kwargs:
            check_device(kwargs.pop("device"), "to")
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if hasattr(arg, "data") and hasattr(arg, "dtype") and not _is_dtype_like(arg):
                dtype = arg.dtype  # to(other): other's dtype
            elif _is_dtype_like(arg):
                dtype = arg
            else:
                check_device(arg, "to")
        from .dtypes import as_dtype

        chosen = self.data.dtype if dtype is None else as_dtype(dtype, "to")
        if chosen != self.data.dtype:
            return self.astype(chosen)
        return self.clone() if copy else self  # copy=True: memory of its own, as PyTorch

    def type(self: Any, dtype: Any = None) -> Any:
        """Without an argument, PyTorch's name of the type ('torch.DoubleTensor'); with one, ``to(dtype)``."""
        names = {"float64": "Double", "float32": "Float", "int64": "Long", "int32": "Int", "bool": "Bool"}
        if dtype is None:
            return f"torch.{names[self.data.dtype.name]}Tensor"
        if isinstance(dtype, str) and dtype.startswith("torch."):  # x.type('torch.FloatTensor')
            by_name = {f"torch.{short}Tensor": name for name, short in names.items()}
            if dtype not in by_name:
                raise TypeError(f"type: {dtype!r} is not one of {sorted(by_name)}")
            dtype = by_name[dtype]
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
        step = _scaled(other, alpha, "add_")
        return self._in_place("add_", lambda data: np.add(data, _plain(step), out=data, casting="same_kind"),
                              other=other)

    def sub_(self: Any, other: Any, *, alpha: Any = 1) -> Any:
        """self -= alpha * other, in place."""
        step = _scaled(other, alpha, "sub_")
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
        lo, hi = (None if bound is None else _plain(bound) for bound in (min, max))
        return self._in_place("clamp_", lambda data: np.clip(data, lo, hi, out=data, casting="same_kind"))

    def zero_(self: Any) -> Any:
        """Set every element to 0, in place."""
        return self._in_place("zero_", lambda data: data.fill(0))

    def fill_(self: Any, value: Any) -> Any:
        """Set every element to ``value``, in place."""
        number = _plain(value, "fill_")
        if np.ndim(number) != 0:
            raise ValueError(f"fill_: the value must be a single number, got shape {np.shape(number)}")
        return self._in_place("fill_", lambda data: data.fill(number), other=value)

    def copy_(self: Any, source: Any) -> Any:
        """Copy ``source``'s numbers (broadcast to this shape, cast to this dtype) into this Value."""
        return self._in_place("copy_", lambda data: np.copyto(data, _plain(source), casting="unsafe"), other=source)

    def normal_(self: Any, mean: float = 0.0, std: float = 1.0) -> Any:
        """Fill with draws from a normal distribution (from the library's generator), in place."""
        from .random import generator

        _floats_only(self, "normal_")
        return self._in_place("normal_", lambda data: np.copyto(
            data, generator().normal(mean, std, data.shape), casting="unsafe"))

    def uniform_(self: Any, a: float = 0.0, b: float = 1.0) -> Any:
        """Fill with draws from a uniform distribution on [a, b) (from the library's generator), in place."""
        from .random import generator

        _floats_only(self, "uniform_")
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
        from .value import mark_changed, shares_memory

        if _mode.enabled and self.requires_grad and not self.inputs:
            raise RuntimeError(f"{name}: a leaf Value that requires grad is being used in an in-place operation; "
                               "change its numbers inside `with no_grad():` (as an optimizer step does), or "
                               "compute a new Value (x = x - ...)")
        if _mode.enabled and (self.requires_grad or getattr(other, "requires_grad", False)):
            if instead is None or shares_memory(self):
                # PyTorch would change this Value (and every view of its memory) in place and record it.
                shared = " and shares its memory with another Value (a view)" if instead is not None else ""
                raise RuntimeError(f"{name}: this Value is part of a graph (it, or the other argument, requires "
                                   f"grad){shared}; tinygrad_edu does not record in-place changes in a graph, so "
                                   "compute a new Value instead (y = x + 1), or make the change inside "
                                   "`with no_grad():`")
            return _as_in_place_result(self, name, instead())  # Python binds the name to the new Value
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


def _plain(x: Any, op: str = "") -> Any:
    """The numbers behind x, for numpy: a Value's data, or x itself (None is refused, as PyTorch does)."""
    if x is None:
        raise TypeError(f"{op + ': ' if op else ''}expected a number, an array or a Value, got None")
    return x.data if hasattr(x, "data") and hasattr(x, "requires_grad") else x


def _floats_only(x: Any, op: str) -> None:
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: draws floats, which an {x.data.dtype} Value cannot hold (PyTorch refuses too)")


def _scaled(other: Any, alpha: Any, op: str) -> Any:
    """alpha * other for add/sub: a number times numbers (a list is numbers, not a list to repeat)."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: alpha must be a number, got {alpha!r}")
    return other if alpha == 1 else np.multiply(_plain(other, op), alpha)


def _as_in_place_result(x: Any, name: str, result: Any) -> Any:
    """What an augmented operator on a Value in a graph gives: the new Value, in x's shape and dtype as an
    in-place change would be (PyTorch keeps both; an integer x cannot take a float result)."""
    if result.shape != x.shape:
        raise ValueError(f"{name}: the result has shape {result.shape}, but an in-place change keeps the Value's "
                         f"shape {x.shape}")
    if result.dtype != x.dtype:
        if x.dtype.kind != "f" and result.dtype.kind == "f":
            raise TypeError(f"{name}: the result is {result.dtype}, which cannot be written into an {x.dtype} "
                            "Value in place")
        result = result.astype(x.dtype)
    return result


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
    if chosen is None:
        if x.data.size == 0:
            raise ValueError(f"{op}: a Value of shape {x.shape} is empty, so it has no {op[3:]}imum")
        result = np.asarray(find(x.data)).reshape((1,) * x.ndim if keepdim else ())
    elif x.ndim == 0:
        checks.single_axis(chosen, 1, op)  # PyTorch lets a 0-d Value name dim 0 or -1
        result = np.asarray(0)
    else:
        d = checks.single_axis(chosen, x.ndim, op)
        if x.shape[d] == 0:
            raise ValueError(f"{op}: axis {d} of a Value of shape {x.shape} is empty, so it has no "
                             f"{op[3:]}imum")
        result = find(x.data, axis=d, keepdims=bool(keepdim))
    return ops.make(np.asarray(result, dtype=np.int64), None, (), requires_grad=False)


def _boolean_reduction(x: Any, reduce: Callable[..., Any], op: str, dim: Any, keepdim: bool) -> Value:
    from . import checks, ops

    axes = checks.normalize_axes(checks.torch_dims(dim, x.ndim, op), x.ndim, op)
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
    if x.ndim == 0:  # PyTorch lets a 0-d Value name dim 0 or -1: the value itself, at index 0
        checks.single_axis(dim, 1, op)
        result = MaxResult if op == "max" else MinResult
        return result(x[()], ops.make(np.asarray(0, dtype=np.int64), None, (), requires_grad=False))
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
