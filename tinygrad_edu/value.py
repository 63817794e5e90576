"""Value: an n-d array (numpy underneath) that remembers how it was computed.

This file holds the class: how a Value is made, what it shows, ``backward()``,
and the methods users call (``x + y``, ``x.exp()``, ``x.sum()``). Each method
either hands over to a primitive Operation in ``ops.py``, where the forward
computation and its derivative rules stand side by side, or composes
primitives (``mean`` is a sum divided by a count) and so needs no derivative
code of its own.
"""

from __future__ import annotations

import copyreg
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from .ops import Operation

# Every Value gets the next number when it is made; the backward pass orders Values by it.
next_number = itertools.count().__next__

# Slots a copy does not take over: the graph (a copy is a leaf) and the number (it gets its own).
_NOT_COPIED = ("_op", "_inputs", "_number")

Operand = Union["Value", int, float, np.ndarray, np.generic]
Axis = Union[int, Sequence[int], None]


class Value:
    """An n-d float array that records the operations applied to it, for backpropagation.

    ``Value(data, requires_grad=True)`` copies ``data`` (a number, a nested list
    or a numpy array) into a float64 array; float32 arrays stay float32. A
    single number is just a 0-d array. Operations between Values (and with
    plain numbers or numpy arrays, which count as constants) return new Values
    that remember their inputs; ``backward()`` then fills in ``.grad`` on every
    Value of the graph that requires grad.
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "_op", "_inputs", "_number")

    # Tell numpy to step aside: `ndarray + Value` then calls Value.__radd__,
    # instead of numpy building an array of Value objects.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Value: requires_grad must be True or False, got {requires_grad!r}")
        requires_grad = bool(requires_grad)
        self.data: np.ndarray = to_float_array(data.data if isinstance(data, Value) else data, "Value")
        self._grad: np.ndarray | None = None  # behind the property grad, which checks what is assigned
        self.requires_grad = requires_grad
        self.name = name
        self._op: Operation | None = None  # the operation that made this Value; None when made by Value(...)
        # That operation's arguments (Values and constants); empty for a leaf: made by Value(...), or under no_grad.
        self._inputs: tuple[Any, ...] = ()
        self._number = next_number()  # Values are numbered in the order they are made

    # ------------------------------------------------------------------ attributes

    @property
    def grad(self) -> np.ndarray | None:
        """The gradient ``backward()`` accumulated here (None before any), shaped like ``data``.

        It may be set by hand: to None, or to numbers of ``data``'s shape,
        which are stored as an array of its own in ``data``'s dtype. A
        gradient of another shape is a ValueError at once, as in PyTorch,
        rather than something an optimizer would broadcast later.
        """
        return self._grad

    @grad.setter
    def grad(self, gradient: Any) -> None:
        if gradient is not self._grad:  # `p.grad *= 2` assigns the array p.grad already is: keep it
            self._grad = None if gradient is None else gradient_for(self, gradient, "grad")

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements of ``data``."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``: float64, or float32."""
        return self.data.dtype

    def item(self) -> float:
        """The single element of a one-element Value, as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item: a Value of shape {self.shape} has {self.data.size} elements, "
                             "item() needs exactly 1")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (not a copy: changing it changes this Value)."""
        return self.data

    def __getstate__(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """What copying and pickling keep: data, gradient, flags and name, but not the graph.

        A copy is a leaf, as an unpickled PyTorch tensor is: the operation that
        made the original, and its inputs, stay behind (an operation's rules
        are functions, which pickle cannot store).
        """
        # copyreg._slotnames lists every slot of the class and its bases, as pickle itself finds them.
        slots = {name: getattr(self, name) for name in copyreg._slotnames(type(self))  # type: ignore[attr-defined]
                 if name not in _NOT_COPIED and hasattr(self, name)}
        return getattr(self, "__dict__", None), slots

    def __setstate__(self, state: tuple[dict[str, Any] | None, dict[str, Any]]) -> None:
        """Restore a copied or unpickled Value: a leaf, numbered in this process (see ``_number``).

        The original's number belongs to the process that made it; here it
        could be larger than the numbers of Values made from this one later,
        which would upset the backward pass's newest-first order.
        """
        attributes, slots = state  # attributes: those of a subclass without __slots__, if any
        for name, value in {**(attributes or {}), **slots}.items():
            setattr(self, name, value)
        self._op, self._inputs = None, ()
        self._number = next_number()

    def detach(self) -> Value:
        """A Value with the same data (shared, not copied) that records no graph."""
        return ops._make(self.data, None, (), requires_grad=False)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient: ``grad`` becomes None."""
        self.grad = None

    def __len__(self) -> int:
        """The length of the first axis."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __iter__(self) -> Iterator[Value]:
        """Iterate over the first axis, as numpy does; each item is part of the graph."""
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        """The truth of a one-element Value (numpy's rule for larger ones: an error)."""
        return bool(self.data)

    def __float__(self) -> float:
        """The single element as a Python float."""
        return self.item()

    def __int__(self) -> int:
        """The single element as a Python int, rounded towards zero (``int(Value(3.7)) == 3``)."""
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The data, for ``np.array(value)``: only for Values that need no gradient.

        Letting numpy turn a Value that requires grad into an array would
        silently cut it out of the graph, so that raises TypeError instead.
        """
        if self.requires_grad:
            raise TypeError("this Value requires grad, so numpy cannot silently take its data: "
                            "use .data (or .detach()) for the numbers, or the tinygrad_edu function")
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and array is not self.data:
            raise ValueError(f"np.array(value, copy=False): the data is {self.data.dtype}, so dtype {np.dtype(dtype)} "
                             "needs a copy")
        return array.copy() if copy and array is self.data else array

    def __format__(self, spec: str) -> str:
        """Format a one-element Value like its number (``f"{loss:.4f}"``); others as their repr."""
        if spec and self.data.size == 1:
            return format(self.item(), spec)
        try:
            return format(repr(self), spec)
        except ValueError:  # a number's format, such as ".2f", for a Value of several elements
            raise TypeError(f"format: {spec!r} formats one number, but this Value has shape {self.shape}; "
                            "format its elements (np.array2string(value.data, ...)) instead") from None

    def __repr__(self) -> str:
        def fmt(a: np.ndarray) -> str:
            return np.array2string(a, precision=8, separator=", ", prefix="Value(data=")

        parts = [f"data={fmt(self.data)}"]
        if self.data.dtype != np.float64:
            parts.append(f"dtype={self.data.dtype}")
        if self.requires_grad:
            parts.append("grad=None" if self.grad is None else f"grad={fmt(self.grad)}")
        else:
            parts.append("requires_grad=False")
        if self._op is not None:
            parts.append(f"op='{self._op.name}'")
        if self.name:
            parts.append(f"name='{self.name}'")
        return f"Value({', '.join(parts)})"

    # ------------------------------------------------------------------ backward

    def backward(self, gradient: Any = None, retain_graph: bool | None = None) -> None:
        """Backpropagate from this Value: add d(self)/dv to ``v.grad`` for every v in its graph.

        A single-element Value starts from gradient 1; any other needs
        ``gradient=`` of its own shape (the gradient of some scalar with
        respect to this Value). Gradients accumulate across calls, as in
        PyTorch: call ``zero_grad()`` between steps. Every Value of the graph
        that requires grad gets its ``.grad``, intermediate ones included.
        ``retain_graph`` is accepted for code written for PyTorch and changes
        nothing: the graph is always kept, so backward() may run again.
        """
        seed = seed_gradient(self, gradient, "backward")
        # Every gradient is computed before any is stored, so a rule that fails
        # half-way leaves every .grad as it was.
        for node, g in autograd.backpropagate([self], [seed]).items():
            if node._grad is not None:
                g = node._grad + g
                if type(g) is not np.ndarray:
                    g = np.asarray(g)  # numpy gives a scalar for the sum of two 0-d arrays
            node._grad = g

    # ------------------------------------------------------------------ arithmetic (ops.py has the rules)

    def __add__(self, other: Operand) -> Value:
        """self + other, broadcasting as numpy."""
        return ops.add(self, other)

    def __radd__(self, other: Operand) -> Value:
        """other + self, for a constant other."""
        return ops.add(other, self)

    def __sub__(self, other: Operand) -> Value:
        """self - other."""
        return ops.sub(self, other)

    def __rsub__(self, other: Operand) -> Value:
        """other - self, for a constant other."""
        return ops.sub(other, self)

    def __mul__(self, other: Operand) -> Value:
        """self * other, elementwise."""
        return ops.mul(self, other)

    def __rmul__(self, other: Operand) -> Value:
        """other * self, for a constant other."""
        return ops.mul(other, self)

    def __truediv__(self, other: Operand) -> Value:
        """self / other, elementwise."""
        return ops.div(self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        """other / self, for a constant other."""
        return ops.div(other, self)

    def __neg__(self) -> Value:
        """-self."""
        return ops.neg(self)

    def __pos__(self) -> Value:
        """+self, which is self itself (as in PyTorch)."""
        return self

    def __pow__(self, exponent: Operand) -> Value:
        """self ** exponent (a number, an array or a Value)."""
        return ops.power(self, exponent)

    def __rpow__(self, base: Operand) -> Value:
        """base ** self, for a constant base."""
        return ops.power(base, self)

    def __matmul__(self, other: Operand) -> Value:
        """self @ other, with numpy's matmul rules (1-D operands, batched stacks)."""
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Operand) -> Value:
        """other @ self, for a constant other."""
        return ops.matmul(other, self)

    # Comparisons have no derivative, so they give a plain numpy bool array (a
    # mask). A Value is still hashed by identity, which is what the backward
    # pass's dictionaries need.
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> np.ndarray:  # type: ignore[override]
        """self == other, elementwise, as a numpy bool array."""
        return self._compare(other, operator.eq, "==")

    def __ne__(self, other: object) -> np.ndarray:  # type: ignore[override]
        """self != other, elementwise, as a numpy bool array."""
        return self._compare(other, operator.ne, "!=")

    def __lt__(self, other: Operand) -> np.ndarray:
        """self < other, as a numpy bool array."""
        return self._compare(other, operator.lt, "<")

    def __le__(self, other: Operand) -> np.ndarray:
        """self <= other, as a numpy bool array."""
        return self._compare(other, operator.le, "<=")

    def __gt__(self, other: Operand) -> np.ndarray:
        """self > other, as a numpy bool array."""
        return self._compare(other, operator.gt, ">")

    def __ge__(self, other: Operand) -> np.ndarray:
        """self >= other, as a numpy bool array."""
        return self._compare(other, operator.ge, ">=")

    def _compare(self, other: Any, compare: Callable[[Any, Any], Any], symbol: str) -> np.ndarray:
        other = ops._data(other)
        try:
            return compare(self.data, other)  # numpy's operator, so `value == "a"` is False as for arrays
        except ValueError as error:  # shapes that do not broadcast
            raise ValueError(f"comparison {symbol}: {str(error).strip()} (a Value of shape {self.shape} and "
                             f"{ops._describe_argument(other)})") from None

    # ------------------------------------------------------------------ elementwise

    def exp(self) -> Value:
        """exp(x); derivative exp(x)."""
        return ops.exp(self)

    def log(self) -> Value:
        """Natural logarithm; derivative 1 / x."""
        return ops.log(self)

    def sqrt(self) -> Value:
        """Square root; derivative 1 / (2 sqrt(x)), infinite at 0 as in PyTorch."""
        return ops.sqrt(self)

    def abs(self) -> Value:
        """|x|; derivative sign(x), which is 0 at 0."""
        return ops.absolute(self)

    __abs__ = abs

    def sigmoid(self) -> Value:
        """sigmoid(x) = 1 / (1 + exp(-x)), computed without overflow; derivative s * (1 - s)."""
        return ops.sigmoid(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; derivative 1 - tanh(x)**2."""
        return ops.tanh(self)

    def relu(self) -> Value:
        """max(x, 0); derivative 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)."""
        return ops.relu(self)

    def clip(self, min: Any = None, max: Any = None) -> Value:  # noqa: A002 (PyTorch's and numpy's names)
        """Limit x to [min, max] (either may be None; numbers or arrays that broadcast with x);
        derivative 1 inside and on the bounds, 0 outside."""
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        if isinstance(min, Value) or isinstance(max, Value):
            raise TypeError("clip: bounds must be constants; use maximum/minimum for bounds that are Values")
        # Checked like any constant: lists and integer bounds take the Value's float type.
        lo, hi = (None if bound is None else ops._constant(bound, "clip", (self,)) for bound in (min, max))
        return ops.clip(self, lo, hi)

    def astype(self, dtype: Any) -> Value:
        """The same numbers as float32 or float64; the gradient is cast back."""
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"astype: a Value holds float32 or float64, not {dtype}")
        return ops.astype(self, dtype)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Value:
        """Sum over ``axis`` (all axes when None); the gradient is copied back over the summed axes."""
        return ops.reduce_sum(self, normalize_axes(axis, self.data.ndim, "sum"), keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Value:
        """Mean over ``axis``: the sum divided by the number of elements summed."""
        axes = normalize_axes(axis, self.data.ndim, "mean")
        count = int(np.prod([self.shape[a] for a in axes]))
        return ops.reduce_sum(self, axes, keepdims) / count

    def max(self, axis: Axis = None, keepdims: bool = False) -> Value:
        """Largest element over ``axis`` (NaN if there is one); the gradient goes to it, tied maxima share it."""
        return ops.reduce_max(self, _reducible_axes(self, axis, "max"), keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Value:
        """Smallest element over ``axis`` (NaN if there is one); the gradient goes to it, tied minima share it."""
        return ops.reduce_min(self, _reducible_axes(self, axis, "min"), keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Value:
        """log(sum(exp(x))) over ``axis``, without overflow; its gradient is softmax(x)."""
        axes = normalize_axes(axis, self.data.ndim, "logsumexp")
        _, m, log_sum = self._shifted_log_sum(axes)
        out = log_sum + m
        return out if keepdims else out.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def softmax(self, axis: int = -1) -> Value:
        """exp(x) / sum(exp(x)) along ``axis``, computed as exp(log_softmax(x))."""
        shifted, _, log_sum = self._shifted_log_sum(_class_axis(self, axis, "softmax"))
        return (shifted - log_sum).exp()

    def log_softmax(self, axis: int = -1) -> Value:
        """log(softmax(x)) = x - logsumexp(x) along ``axis``, computed as (x - m) - log(sum(exp(x - m)))."""
        shifted, _, log_sum = self._shifted_log_sum(_class_axis(self, axis, "log_softmax"))
        return shifted - log_sum

    def _shifted_log_sum(self, axes: tuple[int, ...]) -> tuple[Value, np.ndarray, Value]:
        """(x - m, m, log(sum(exp(x - m)))) with m the maximum over ``axes``, kept as a constant.

        log(sum(exp(x))) = m + log(sum(exp(x - m))) for any constant m. With m
        the maximum, exp(x - m) <= 1 cannot overflow, the largest term is 1 so
        the log never sees 0, and x - m is exact for the largest x: that is what
        keeps log_softmax accurate for inputs like [1e16, 1e16]. Slices that are
        all -inf (or hold +inf) shift by 0 instead, keeping inf - inf out.
        """
        if self.data.size == 0:  # empty slices sum to 0, whose log is -inf (as in PyTorch); nothing to shift
            shift = np.zeros(ops._kept_shape(self.data.shape, axes), dtype=self.data.dtype)
            return self, shift, ops.reduce_sum(self, axes, True) - np.inf
        m = self.data.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        shifted = self - m
        return shifted, m, ops.reduce_sum(shifted.exp(), axes, True).log()

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Value:
        """The same elements in a new shape (one axis may be -1); the gradient is reshaped back."""
        if not shape:
            raise TypeError(f"reshape: give the new shape, e.g. reshape(2, 3); the Value has shape {self.shape}")
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = _shape_tuple(shape[0], "reshape")
        return ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Value:
        """Permute the axes as numpy does: no argument reverses them, else ``axes`` is the new order.

        This is numpy's transpose, not PyTorch's two-axis swap: for that, use ``swapaxes``.
        """
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))
                               or isinstance(axes[0], np.ndarray) and axes[0].ndim == 1):
            axes = () if axes[0] is None else tuple(axes[0])  # numpy's transpose(None) reverses the axes
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if len(axes) != self.ndim:
            raise ValueError(f"transpose: {len(axes)} axes given for a Value of shape {self.shape}")
        order = normalize_axes(axes, self.ndim, "transpose")  # checks range and repeats
        return ops.transpose(self, order)

    @property
    def T(self) -> Value:
        """The transpose, with the axes in reverse order."""
        return self.transpose()

    def swapaxes(self, axis1: int, axis2: int) -> Value:
        """Exchange two axes (what PyTorch calls ``transpose(dim0, dim1)``)."""
        a1, a2 = normalize_axes((axis1,), self.ndim, "swapaxes")[0], normalize_axes((axis2,), self.ndim, "swapaxes")[0]
        order = list(range(self.ndim))
        order[a1], order[a2] = a2, a1
        return ops.transpose(self, tuple(order))

    def broadcast_to(self, shape: Sequence[int]) -> Value:
        """Repeat x along new or size-1 axes to ``shape``, as numpy; the gradient sums the copies."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else _shape_tuple(shape, "broadcast_to")
        return ops.broadcast_to(self, shape)

    def __getitem__(self, index: Any) -> Value:
        """x[index] with numpy's indexing: ints, slices, None, Ellipsis, integer and boolean arrays.

        The gradient is added back into zeros of x's shape at the indexed
        positions; a position indexed twice receives both gradients.
        """
        return ops.getitem(self, _plain_index(index))


# ---------------------------------------------------------------------- checks shared by the library


def to_float_array(data: Any, op: str) -> np.ndarray:
    """A float copy of data: bools and integers become float64, float32 and float64 stay."""
    if data is None or isinstance(data, (str, bytes, complex)):
        raise TypeError(f"{op}: data must be real numbers, got {ops._describe(data)}")
    try:
        array = np.array(data)
    except ValueError as error:
        raise ValueError(f"{op}: cannot make an array from this {type(data).__name__}: {error}") from None
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype in (np.float32, np.float64):
        return array
    raise TypeError(f"{op}: data must be bools, integers, float32 or float64; got "
                    f"{type(data).__name__} of dtype {array.dtype}")


def seed_gradient(root: Value, gradient: Any, op: str) -> np.ndarray:
    """The gradient to start backpropagation from at root, checked before anything changes."""
    if not root.requires_grad:
        raise RuntimeError(f"{op}: this Value does not require grad, so there is no graph to backpropagate "
                           "through (it was made from constants only, or under no_grad)")
    if gradient is None:
        if root.data.size != 1:
            raise ValueError(f"{op}: a Value of shape {root.shape} needs gradient= of that shape; only "
                             "single-element Values start from gradient 1 by themselves")
        one = np.array(1, dtype=root.data.dtype)
        return one if root.data.ndim == 0 else one.reshape(root.data.shape)
    return gradient_for(root, gradient, op)


def gradient_for(x: Value, gradient: Any, op: str) -> np.ndarray:
    """``gradient`` (numbers, an array or a Value) as a new C-ordered array of x's shape and dtype; checked."""
    array = to_float_array(ops._data(gradient), op)
    if array.shape != x.data.shape:
        raise ValueError(f"{op}: gradient has shape {array.shape}, but the Value has shape {x.data.shape}")
    return array.astype(x.data.dtype, order="C", copy=False)


def forget_gradients(values: Iterable[Value], set_to_none: bool) -> None:
    """Set each Value's gradient to None, or with ``set_to_none=False`` fill it with zeros in place.

    These are PyTorch's two ways of zero_grad: None is cheaper, and tells
    "nothing reached this parameter" apart from "its gradient was zero".
    """
    for v in values:
        if set_to_none:
            v._grad = None
        elif v._grad is not None:
            v._grad[...] = 0


def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` as a tuple of distinct non-negative axes (all of them for None)."""
    if axis is None:
        return tuple(range(ndim))
    requested = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for a in requested:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: an axis must be an integer (or a tuple of them), got {axis!r}")
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a Value with {ndim} axes")
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: axis {axis} names an axis twice")
    return tuple(axes)


def _class_axis(x: Value, axis: int, op: str) -> tuple[int, ...]:
    """The axis softmax normalizes over; a 0-d Value is one class (axis 0 or -1, as PyTorch allows)."""
    if x.data.ndim == 0 and isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) and axis in (0, -1):
        return ()
    return normalize_axes(axis, x.data.ndim, op)


def _shape_tuple(shape: Any, op: str) -> tuple[Any, ...]:
    """A shape given as one sequence, as a tuple; anything else is a TypeError naming the operation."""
    try:
        return tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: the shape must be whole numbers or a sequence of them, got {shape!r}") from None


def _reducible_axes(x: Value, axis: Axis, op: str) -> tuple[int, ...]:
    """The axes of a reduction that has no starting value (max, min): none may be empty."""
    axes = normalize_axes(axis, x.ndim, op)
    empty = [a for a in axes if x.shape[a] == 0]
    if empty:
        raise ValueError(f"{op}: axis {empty[0]} of a Value of shape {x.shape} is empty, "
                         "and an empty slice has no largest or smallest element")
    return axes


def _plain_index(index: Any) -> Any:
    """Replace Values and lists inside an index by numpy arrays."""
    def plain(i: Any) -> Any:
        if isinstance(i, Value):
            return i.data
        if isinstance(i, list):
            return np.asarray(i) if i else np.array([], dtype=np.intp)  # numpy: [] selects nothing
        return i

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)


# The operations and the backward loop need the Value class, and Value's
# methods need them: so they are imported last, once Value exists.
from . import autograd, ops  # noqa: E402
