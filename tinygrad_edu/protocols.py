"""How a Value behaves with Python and numpy: comparisons, truth, numbers, copies, printing.

None of this is needed to follow backpropagation; it is what makes a Value
behave like the arrays and tensors a learner knows (``len(x)``, ``f"{loss:.3f}"``,
``copy.deepcopy(model)``, ``x > 0``). It is a mixin of the ``Value`` class.
"""

from __future__ import annotations

import copyreg
import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .value import Value

# Slots a copy does not take over: the graph (a copy is a leaf), its number and change stamp (its own).
_NOT_COPIED = ("op", "inputs", "_number", "_version")


class ValueProtocols:
    """Python's and numpy's protocols for Value (a mixin: Value defines the slots)."""

    __slots__ = ()

    data: np.ndarray
    requires_grad: bool

    # ------------------------------------------------------------------ comparisons
    #
    # Comparisons have no derivative: they give a boolean Value that needs no
    # gradient (a mask, as PyTorch's do). A Value is still hashed by identity,
    # which is what the backward pass's dictionaries need.

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        """self == other, elementwise, as a boolean Value."""
        return self._compare(other, operator.eq, "==")

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        """self != other, elementwise, as a boolean Value."""
        return self._compare(other, operator.ne, "!=")

    def __lt__(self, other: Any) -> Any:
        """self < other, as a boolean Value."""
        return self._compare(other, operator.lt, "<")

    def __le__(self, other: Any) -> Any:
        """self <= other, as a boolean Value."""
        return self._compare(other, operator.le, "<=")

    def __gt__(self, other: Any) -> Any:
        """self > other, as a boolean Value."""
        return self._compare(other, operator.gt, ">")

    def __ge__(self, other: Any) -> Any:
        """self >= other, as a boolean Value."""
        return self._compare(other, operator.ge, ">=")

    def _compare(self, other: Any, compare: Callable[[Any, Any], Any], symbol: str) -> Any:
        from . import checks, ops  # imported here: value.py imports this module to define Value

        if other is None or isinstance(other, (str, bytes)):
            return NotImplemented  # as PyTorch: x == None is False and x != None True, whatever x holds
        other = checks.data_of(other)
        try:
            result = compare(self.data, other)  # numpy's operator, so `value == "a"` is False as for arrays
        except ValueError as error:  # shapes that do not broadcast
            raise ValueError(f"comparison {symbol}: {str(error).strip()} (a Value of shape {self.data.shape} and "
                             f"{checks.describe_argument(other)})") from None
        if isinstance(result, (np.ndarray, np.bool_)):
            return ops.make(np.asarray(result), None, (), requires_grad=False)
        return result

    # ------------------------------------------------------------------ logic: ~, &, |, ^ (booleans and integers)

    def __invert__(self) -> Any:
        """~x: logical not of a boolean Value (bitwise not of an integer one), as PyTorch and numpy."""
        return self._logic(None, "invert", "~")

    def __and__(self, other: Any) -> Any:
        """x & y: elementwise and of boolean (or integer) Values."""
        return self._logic(other, "bitwise_and", "&")

    __rand__ = __and__

    def __or__(self, other: Any) -> Any:
        """x | y: elementwise or of boolean (or integer) Values."""
        return self._logic(other, "bitwise_or", "|")

    __ror__ = __or__

    def __xor__(self, other: Any) -> Any:
        """x ^ y: elementwise exclusive or of boolean (or integer) Values."""
        return self._logic(other, "bitwise_xor", "^")

    __rxor__ = __xor__

    def _logic(self, other: Any, ufunc: str, symbol: str) -> Any:
        from . import checks, ops  # imported here: value.py imports this module to define Value

        operands = [self.data] if other is None else [self.data, checks.data_of(other)]
        if any(np.asarray(a).dtype.kind not in "biu" for a in operands):
            raise TypeError(f"{symbol}: works on boolean and integer Values, not {self.data.dtype} (a float has no "
                            "bits to combine); compare first, e.g. (x > 0) & (x < 1)")
        try:
            result = getattr(np, ufunc)(*operands)
        except ValueError as error:  # shapes that do not broadcast
            raise ValueError(f"{symbol}: {str(error).strip()}") from None
        return ops.make(np.asarray(result), None, (), requires_grad=False)

    # ------------------------------------------------------------------ truth, numbers, length

    def __bool__(self) -> bool:
        """The truth of a one-element Value (numpy's rule for larger ones: an error)."""
        return bool(self.data)

    def __float__(self) -> float:
        """The single element as a Python float."""
        return float(self._single())

    def __int__(self) -> int:
        """The single element as a Python int, rounded towards zero (``int(Value(3.7)) == 3``)."""
        return int(self._single())

    def __index__(self) -> int:
        """A one-element integer Value as an index (``range(n)``, ``list[i]``), as PyTorch allows."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only one-element integer Values can be used as an index; this one has dtype "
                            f"{self.data.dtype} and shape {self.data.shape}")
        return int(self.data.item())

    def _single(self) -> Any:
        if self.data.size != 1:
            raise ValueError(f"item: a Value of shape {self.data.shape} has {self.data.size} elements, "
                             "and only a one-element Value is a number")
        return self.data.item()

    def __len__(self) -> int:
        """The length of the first axis."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __iter__(self) -> Iterator[Value]:
        """Iterate over the first axis, as numpy does; each item is part of the graph."""
        return (self[i] for i in range(len(self)))  # type: ignore[index]

    # ------------------------------------------------------------------ numpy

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
            raise ValueError(f"np.array(value, copy=False): the data is {self.data.dtype}, so dtype "
                             f"{np.dtype(dtype)} needs a copy")
        return array.copy() if copy and array is self.data else array

    # ------------------------------------------------------------------ copies and pickles

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
        """Restore a copied or unpickled Value: a leaf, numbered in this process.

        The original's number belongs to the process that made it; here it
        could be larger than the numbers of Values made from this one later,
        which would upset the backward pass's newest-first order.
        """
        from .value import make_leaf  # imported here: value.py imports this module to define Value

        attributes, slots = state  # attributes: those of a subclass without __slots__, if any
        for name, value in {**(attributes or {}), **slots}.items():
            setattr(self, name, value)
        make_leaf(self)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ printing

    def __format__(self, spec: str) -> str:
        """Format a one-element Value like its number (``f"{loss:.4f}"``); others as their repr."""
        if spec and self.data.size == 1:
            return format(self.data.item(), spec)
        try:
            return format(repr(self), spec)
        except ValueError:  # a number's format, such as ".2f", for a Value of several elements
            raise TypeError(f"format: {spec!r} formats one number, but this Value has shape {self.data.shape}; "
                            "format its elements (np.array2string(value.data, ...)) instead") from None

    def __repr__(self) -> str:
        def fmt(a: np.ndarray) -> str:
            return np.array2string(a, precision=8, separator=", ", prefix="Value(data=")

        me: Any = self
        parts = [f"data={fmt(me.data)}"]
        if me.data.dtype != np.float64:
            parts.append(f"dtype={me.data.dtype}")
        if me.requires_grad:
            parts.append("grad=None" if me.grad is None else f"grad={fmt(me.grad)}")
        elif me.data.dtype.kind == "f":
            parts.append("requires_grad=False")
        if me.op is not None:
            parts.append(f"op='{me.op.name}'")
        if me.name:
            parts.append(f"name='{me.name}'")
        return f"Value({', '.join(parts)})"

