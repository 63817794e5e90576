"""Value: an n-d array (numpy underneath) that remembers how it was computed.

This file holds the class: how a Value is made, ``backward()``, and the
methods users call (``x + y``, ``x.exp()``, ``x.sum()``). Each method either
hands over to a primitive Operation in ``ops.py``, where the forward
computation and its derivative rules stand side by side, or composes
primitives (``mean`` is a sum divided by a count) and so needs no derivative
code of its own.

Two mixins hold what a learner can skip: ``protocols.py`` (how a Value
behaves with Python and numpy: comparisons, copying, printing, ``len``) and
``tensor_api.py`` (PyTorch's names: ``view``, ``unsqueeze``, in-place
``add_``...). Validation of arguments lives in ``checks.py``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from .protocols import ValueProtocols
from .tensor_api import TensorMethods

if TYPE_CHECKING:
    from .ops import Operation

# Every Value gets the next number when it is made; the backward pass orders Values by it.
next_number = itertools.count(1).__next__

# Held while backward() adds a pass's gradients into .grad: numpy lets other threads run while it
# adds, so two threads backpropagating into one shared parameter would otherwise lose a share.
_accumulating = threading.Lock()

Operand = Union["Value", int, float, np.ndarray, np.generic]  # noqa: UP007 (a string in a | union fails)
Axis = int | Sequence[int] | None


class Value(TensorMethods, ValueProtocols):
    """An n-d array that records the operations applied to it, for backpropagation.

    ``Value(data, requires_grad=True)`` copies ``data`` (a number, a nested list
    or a numpy array) into a float64 array; float32 arrays stay float32. A
    single number is just a 0-d array. Operations between Values (and with
    plain numbers or numpy arrays, which count as constants) return new Values
    that remember their inputs; ``backward()`` then fills in ``.grad`` on every
    Value of the graph that requires grad. (``tensor(...)`` makes Values the
    PyTorch way: integers stay integers, and nothing requires grad unless asked.)

    The graph is public, for tools that walk it (``viz``, ``explain``): ``op``
    is the Operation that made this Value (None for one made by ``Value(...)``)
    and ``inputs`` that operation's arguments (empty when no gradient can flow
    back). Read them; do not assign them.
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "op", "inputs", "_number", "_version", "__weakref__")

    # Tell numpy to step aside: `ndarray + Value` then calls Value.__radd__,
    # instead of numpy building an array of Value objects.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Value: requires_grad must be True or False, got {requires_grad!r}")
        self.data: np.ndarray = checks.to_float_array(data.data if isinstance(data, Value) else data, "Value")
        self._grad: np.ndarray | None = None  # behind the property grad, which checks what is assigned
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.op: Operation | None = None  # the operation that made this Value
        self.inputs: tuple[Any, ...] = ()  # that operation's arguments (Values and constants)
        self._number = next_number()  # Values are numbered in the order they are made
        self._version: list[int] | None = None  # when its memory last changed in place (see mark_changed)

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
            self._grad = None if gradient is None else checks.gradient_for(self, gradient, "grad")

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``: float64 or float32 (or int64, int32, bool for Values that need no gradient)."""
        return self.data.dtype

    def item(self) -> Any:
        """The single element of a one-element Value, as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: a Value of shape {self.shape} has {self.data.size} elements, "
                             "item() needs exactly 1")
        return self.data.item()

    def detach(self) -> Value:
        """A Value with the same data (shared, not copied) that records no graph."""
        out = ops.make(self.data, None, (), requires_grad=False)
        share_version(out, self)
        return out

    def zero_grad(self) -> None:
        """Forget the accumulated gradient: ``grad`` becomes None."""
        self.grad = None

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
        seed = checks.seed_gradient(self, gradient, "backward")
        watching = grad_mode.anomaly_threads and _mode.state[1]  # (the count spares a thread-local read)
        observer = anomaly.backward_observer() if watching else None  # detect_anomaly(): watch each rule
        # Every gradient is computed before any is stored, so a rule that fails
        # half-way leaves every .grad as it was.
        grads = autograd.backpropagate([self], [seed], observer=observer)
        with _accumulating:  # two threads adding into one .grad at once must not lose a share
            for node, g in grads.items():
                if node._grad is not None:
                    g = node._grad + g
                if type(g) is not np.ndarray:
                    g = np.asarray(g)  # numpy gives scalars for 0-d results
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

    def sin(self) -> Value:
        """sin(x); derivative cos(x)."""
        return ops.sin(self)

    def cos(self) -> Value:
        """cos(x); derivative -sin(x)."""
        return ops.cos(self)

    def abs(self) -> Value:
        """|x|; derivative sign(x), which is 0 at 0."""
        return ops.absolute(self)

    __abs__ = abs  # noqa: A003 (the method is numpy's and PyTorch's name)

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
        lo, hi = (None if bound is None else checks.constant(bound, "clip", (self,)) for bound in (min, max))
        return ops.clip(self, lo, hi)

    def astype(self, dtype: Any) -> Value:
        """The same numbers as another dtype; between float types the gradient is cast back.

        To an integer or bool dtype the result has no gradient (as PyTorch's ``.long()``).
        """
        chosen = dtypes.as_dtype(dtype, "astype")
        if chosen.kind != "f" or self.data.dtype.kind != "f":  # no gradient can flow through integers
            return ops.make(self.data.astype(chosen), None, (), requires_grad=False)
        return ops.astype(self, chosen)

    # ------------------------------------------------------------------ reductions
    #
    # axis= and keepdims= are numpy's names; dim= and keepdim= PyTorch's, for the same thing.

    def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None,
            dtype: Any = None, out: None = None) -> Value:
        """Sum over ``axis`` (all axes when None); the gradient is copied back over the summed axes.

        ``dtype`` casts first (PyTorch's and numpy's meaning); ``out`` exists so that ``np.sum(x)`` works.
        """
        if dtype is not None or out is not None:
            return checks.cast_for_reduction(self, "sum", dtype, out).sum(axis, keepdims, dim=dim, keepdim=keepdim)
        if dim is not None or keepdim is not None:  # PyTorch's names for the same
            axis, keepdims = checks.torch_reduction_args("sum", self.data.ndim, axis, keepdims, dim, keepdim)
        return ops.reduce_sum(self, checks.normalize_axes(axis, self.data.ndim, "sum"), keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
             keepdim: bool | None = None, dtype: Any = None, out: None = None) -> Value:
        """Mean over ``axis``: the sum divided by the number of elements summed."""
        if dtype is not None or out is not None:
            return checks.cast_for_reduction(self, "mean", dtype, out).mean(axis, keepdims, dim=dim, keepdim=keepdim)
        if dim is not None or keepdim is not None:  # PyTorch's names for the same
            axis, keepdims = checks.torch_reduction_args("mean", self.data.ndim, axis, keepdims, dim, keepdim)
        axes = checks.normalize_axes(axis, self.data.ndim, "mean")
        if self.data.dtype.kind != "f":  # numpy gives float64, PyTorch refuses: a loud error
            raise TypeError(f"mean: this Value holds {self.dtype}; take the mean of floats (x.float().mean(), "
                            "or x.double().mean())")
        count = int(np.prod([self.shape[a] for a in axes]))
        return ops.reduce_sum(self, axes, keepdims) / count

    def max(self, dim: Any = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None, out: None = None) -> Any:
        """The largest element. Two meanings, told apart by how it is called:

        - ``max()`` and ``max(axis=..., keepdims=...)`` (numpy): the largest values; tied maxima share
          the gradient.
        - ``max(dim)``, ``max(dim, keepdim)`` or ``max(dim=...)`` (PyTorch): a pair ``(values, indices)``;
          the gradient goes to the element at the index.
        - ``max(other)`` with a Value: the elementwise larger of the two, as PyTorch's.
        """
        checks.cast_for_reduction(self, "max", None, out)
        return tensor_api.extreme(self, "max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None, out: None = None) -> Any:
        """The smallest element: numpy's with ``axis=``, PyTorch's ``(values, indices)`` with a dim (see ``max``)."""
        checks.cast_for_reduction(self, "min", None, out)
        return tensor_api.extreme(self, "min", dim, keepdim, axis, keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                  keepdim: bool | None = None) -> Value:
        """log(sum(exp(x))) over ``axis``, without overflow; its gradient is softmax(x)."""
        if dim is not None or keepdim is not None:  # PyTorch's names for the same
            axis, keepdims = checks.torch_reduction_args("logsumexp", self.data.ndim, axis, keepdims, dim, keepdim)
        return ops.logsumexp(self, checks.normalize_axes(axis, self.data.ndim, "logsumexp"), keepdims)

    def softmax(self, axis: int | None = None, *, dim: int | None = None) -> Value:
        """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``; the last by default), computed as exp(log_softmax(x))."""
        return self.log_softmax(axis, dim=dim).exp()

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None) -> Value:
        """log(softmax(x)) = x - logsumexp(x) along ``axis``.

        Computed as (x - m) - log(sum(exp(x - m))) with m the maximum, kept as
        a constant: exp(x - m) <= 1 cannot overflow, and x - m is exact for the
        largest x, which keeps inputs like [1e16, 1e16] accurate.
        """
        axes = checks.class_axis(self, checks.one_axis(axis, dim, "log_softmax"), "log_softmax")
        if self.data.size == 0:  # empty slices: nothing to shift, and the result is empty too
            return self - ops.logsumexp(self, axes, True)
        m = self.data.max(axis=axes, keepdims=True)
        shifted = self - np.where(np.isfinite(m), m, 0)  # all -inf or +inf slices shift by 0: no inf - inf
        return shifted - ops.reduce_sum(shifted.exp(), axes, True).log()

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Value:
        """The same elements in a new shape (one axis may be -1); the gradient is reshaped back."""
        if not shape:
            raise TypeError(f"reshape: give the new shape, e.g. reshape(2, 3); the Value has shape {self.shape}")
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = checks.shape_tuple(shape[0], "reshape")
        return ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Value:
        """Reorder the axes. Told apart by the call:

        - ``transpose(d0, d1)``, two integers: swap those two axes (PyTorch's
          meaning; on a 2-D Value it is also numpy's ``transpose(1, 0)``).
        - ``transpose()``: reverse the axes (numpy).
        - ``transpose((2, 0, 1))``, or as many integers as axes (other than two): numpy's permutation.
        """
        return ops.transpose(self, checks.transpose_order(self.shape, axes))

    @property
    def T(self) -> Value:
        """The transpose, with the axes in reverse order."""
        return self.transpose()

    def swapaxes(self, axis1: int, axis2: int) -> Value:
        """Exchange two axes (PyTorch's ``transpose(dim0, dim1)``)."""
        first, second = (checks.single_axis(a, self.ndim, "swapaxes") for a in (axis1, axis2))
        return self.transpose(first, second)

    def broadcast_to(self, shape: Sequence[int]) -> Value:
        """Repeat x along new or size-1 axes to ``shape``, as numpy; the gradient sums the copies."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else checks.shape_tuple(shape, "broadcast_to")
        return ops.broadcast_to(self, shape)

    def __getitem__(self, index: Any) -> Value:
        """x[index] with numpy's indexing: ints, slices, None, Ellipsis, integer and boolean arrays.

        The gradient is added back into zeros of x's shape at the indexed
        positions; a position indexed twice receives both gradients.
        """
        return ops.getitem(self, checks.plain_index(index))


# ---------------------------------------------------------------------- in-place changes
#
# Every Value is numbered when it is made, and the same counter stamps each
# in-place change: ``_version`` is None until the Value's memory is first
# changed in place, then a one-element list holding the number of the latest
# change. Values that share memory (a view from indexing, reshape, detach())
# share that list, so a change through one is seen through all. The backward
# loop compares the stamp with the number of the operation that used the Value
# (autograd.check_unchanged).

last_change = 0  # the number of the latest in-place change anywhere; nodes made after it need no check


def mark_changed(changed: Iterable[Value]) -> None:
    """Record that the memory of these Values was just changed in place (seen by every Value sharing it)."""
    global last_change
    stamp = next_number()
    for v in changed:
        cell = v._version
        if cell is None:
            v._version = [stamp]
        else:
            cell[0] = stamp
    last_change = stamp


def share_version(view: Value, base: Value) -> None:
    """Let ``view`` share ``base``'s change stamp if numpy made it a view of base's memory."""
    if np.may_share_memory(view.data, base.data):
        if base._version is None:
            base._version = [0]
        view._version = base._version


def shares_memory(v: Value) -> bool:
    """True if v shares its memory with another Value (a view, or viewed), or was changed in place before."""
    return v._version is not None


def share_memory_stamp(view: Value, inputs: Sequence[Any]) -> None:
    """Let ``view`` share the change stamp of the input whose memory numpy made it a view of, if any."""
    for x in inputs:
        if isinstance(x, Value) and np.may_share_memory(view.data, x.data):
            share_version(view, x)
            return


def make_leaf(v: Value) -> None:
    """Turn v into a leaf of this process (for copies and unpickled Values): no graph, a new number."""
    v.op, v.inputs = None, ()
    v._number = next_number()
    v._version = None


# The operations and the backward loop need the Value class, and Value's
# methods need them: so they are imported last, once Value exists.
from . import (  # noqa: E402
    anomaly,
    autograd,
    checks,
    dtypes,
    grad_mode,  # noqa: E402
    ops,
    tensor_api,
)
from .grad_mode import _mode  # noqa: E402
