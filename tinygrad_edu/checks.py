"""Validation of user input: what the engine checks before it computes anything.

The engine's files (``value.py``, ``ops.py``, ``autograd.py``) call these
helpers so that a bad argument gets an error that names the call and the
shapes or types involved, raised before anything is changed. None of this is
needed to understand backpropagation; it is what keeps the engine from being
silently wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .value import Value

Axis = int | Sequence[int] | None

# The dtypes a Value can hold: floats (which can carry a gradient), and integers and
# booleans for what needs none (labels, indices, comparison results).
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
VALUE_DTYPES = (*FLOAT_DTYPES, np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_))


# ---------------------------------------------------------------------- data


def to_float_array(data: Any, op: str) -> np.ndarray:
    """A float copy of data: bools and integers become float64, float32 and float64 stay."""
    if data is None or isinstance(data, (str, bytes, complex)):
        raise TypeError(f"{op}: data must be real numbers, got {describe(data)}")
    try:
        array = np.array(data)
    except ValueError as error:
        raise ValueError(f"{op}: cannot make an array from this {type(data).__name__}: {error}") from None
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype in FLOAT_DTYPES:
        return array
    raise TypeError(f"{op}: data must be bools, integers, float32 or float64; got "
                    f"{type(data).__name__} of dtype {array.dtype}")


def forward_result(data: Any, op: str, requires_grad: bool) -> np.ndarray:
    """An operation's forward result as an array a Value can hold; anything else names the operation.

    A forward that returns None, complex numbers or objects is a bug in that
    forward; one that returns integers or booleans is fine for a result that
    needs no gradient (a label, an index), and an error for one that does.
    """
    if data is None or (isinstance(data, np.ndarray) and data.dtype == object and data.shape == ()
                        and data.item() is None):
        raise TypeError(f"{op}: its forward returned None; a forward must return the result (a number or an array)")
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    if data.dtype in FLOAT_DTYPES:
        return data
    if data.dtype.kind == "f" and data.dtype.itemsize < 4:  # float16: computed in the next float up
        return data.astype(np.float32)
    if data.dtype.kind in "biu" and not requires_grad:
        return data if data.dtype in VALUE_DTYPES else data.astype(np.bool_ if data.dtype.kind == "b" else np.int64)
    if data.dtype.kind in "biu":
        raise TypeError(f"{op}: its forward returned {data.dtype} numbers, but an argument requires grad and only "
                        "float Values can carry a gradient; return floats (e.g. .astype(np.float64))")
    raise TypeError(f"{op}: its forward returned {describe(data)}, which a Value cannot hold "
                    "(a Value holds real numbers: float32, float64, integers or booleans)")


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
    array = to_float_array(data_of(gradient), op)
    if array.shape != x.data.shape:
        raise ValueError(f"{op}: gradient has shape {array.shape}, but the Value has shape {x.data.shape}")
    return array.astype(x.data.dtype, order="C", copy=False)


def constant(x: Any, op: str, args: tuple[Any, ...]) -> Any:
    """Check that x can enter an operation as a constant (a real number or array); return it for numpy.

    Python numbers and float arrays are used as they are. Lists and arrays of
    integers or booleans become arrays of the float Values' own dtype, so a
    float32 Value stays float32 when a list or an integer array joins it
    (beside integer Values only, they keep numpy's dtype).
    """
    if type(x) is float or type(x) is int or (type(x) is np.ndarray and x.dtype.kind == "f"):
        return x if type(x) is not np.ndarray or x.dtype.itemsize <= 8 else _too_wide(x, op)
    if isinstance(x, (bool, int, float, np.ndarray, np.generic, list, tuple)):
        try:
            array = np.asarray(x)
        except ValueError as error:  # a ragged nested list
            raise ValueError(f"{op}: cannot make an array from this {type(x).__name__}: {error}") from None
        if array.dtype.kind == "f" and not isinstance(x, (list, tuple)):
            return x if array.dtype.itemsize <= 8 else _too_wide(x, op)
        if array.dtype.kind in "biuf":
            dtype = next((a.data.dtype for a in args if isinstance(a, Value) and a.data.dtype.kind == "f"), None)
            if dtype is None:  # no float Value: a float list becomes float64, integers stay integers
                return array
            return array.astype(dtype) if array.dtype.kind in "biu" or isinstance(x, (list, tuple)) else array
    raise TypeError(f"{op}: cannot combine a Value with {describe(x)}; use a Value, a real number or a numpy array")


def _too_wide(x: Any, op: str) -> Any:
    raise TypeError(f"{op}: {describe(x)} is wider than float64, which a Value cannot hold")


def data_of(x: Any) -> Any:
    """The numbers behind x: a Value's data, or x itself."""
    return x.data if isinstance(x, Value) else x


def describe(x: Any) -> str:
    """A short description of an argument for error messages: its type and dtype or value."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return f"{type(x).__name__} of dtype {dtype}"
    return f"{type(x).__name__} {x!r:.40}"


def describe_argument(x: Any) -> str:
    """An argument as an error message shows it: arrays and Values by shape, anything else by value."""
    if isinstance(x, (Value, np.ndarray)):
        return f"{type(x).__name__} of shape {x.shape}"
    return f"{x!r:.60}"


def check_operation(name: Any, forward: Any, rules: Sequence[Any], formulas: Sequence[Any] | None) -> None:
    """Check an Operation's parts when it is made, so a mistake does not wait for backward() to show."""
    if not isinstance(name, str):
        raise TypeError(f"Operation: the name must be a string, got {type(name).__name__}")
    if not callable(forward):
        raise TypeError(f"Operation {name!r}: forward must be a function, got {type(forward).__name__}")
    for i, rule in enumerate(rules):
        if rule is not None and not callable(rule):
            raise TypeError(f"Operation {name!r}: the rule for argument {i} must be a function (or None for an "
                            f"argument that is not differentiable), got {type(rule).__name__}")
    if formulas is not None and len(formulas) != len(rules):
        raise ValueError(f"Operation {name!r}: {len(formulas)} formulas for {len(rules)} rules")


def saved_positions(saves: Any, forward: Callable[..., Any], rules: Sequence[Callable[..., Any] | None],
                    name: str) -> tuple[tuple[int, ...], ...]:
    """For each rule, the argument positions (and -1 for the result) whose numbers it reads.

    ``saves`` names them as the forward's parameters or the rules' do, e.g.
    ``("b", "out")`` when every rule reads those, or a dict from an argument's
    name to what its own rule reads (``{"a": ("b",), "b": ("a",)}`` for a
    product). None means every argument and the result: the safe default for
    an operation that does not say.
    """
    everything = (*range(len(rules)), -1)
    if saves is None:
        return (everything,) * len(rules)
    if isinstance(saves, str):
        raise TypeError(f"Operation {name!r}: saves must be a tuple of names, such as ('x', 'out'), "
                        f"not the string {saves!r}")
    if not saves:
        return ((),) * len(rules)
    positions: dict[str, int] = {}  # every name an argument goes by, in the forward or in the rules
    forward_code = getattr(forward, "__code__", None)
    if forward_code is not None and forward_code.co_argcount == len(rules):
        positions.update((n, i) for i, n in enumerate(forward_code.co_varnames[:len(rules)]))
    for rule in rules:
        code = getattr(rule, "__code__", None)
        if code is not None and code.co_argcount == len(rules) + 2:
            positions.update((n, i) for i, n in enumerate(code.co_varnames[1:len(rules) + 1]))
    positions["out"] = -1
    if len(positions) == 1:
        raise TypeError(f"Operation {name!r}: saves names the arguments, so the forward (or a rule) must be a "
                        "plain function with one parameter per argument")

    def resolve(names: Any) -> tuple[int, ...]:
        unknown = [n for n in names if n not in positions]
        if unknown:
            raise ValueError(f"Operation {name!r}: saves names {unknown[0]!r}, which is not one of the arguments "
                             f"{tuple(positions)}")
        return tuple(positions[n] for n in names)

    if isinstance(saves, dict):
        per_rule: list[tuple[int, ...]] = [()] * len(rules)
        for argument, names in saves.items():
            if argument not in positions or argument == "out":
                raise ValueError(f"Operation {name!r}: saves has a key {argument!r}, which is not an argument")
            per_rule[positions[argument]] = resolve(names)
        return tuple(per_rule)
    return (resolve(saves),) * len(rules)

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


def single_axis(axis: Any, ndim: int, op: str) -> int:
    """One axis (an integer, negative counting from the end), as a non-negative int; a tuple is an error."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: takes one axis, an integer; got {axis!r}")
    return normalize_axes(int(axis), ndim, op)[0]


def class_axis(x: Value, axis: Any, op: str) -> tuple[int, ...]:
    """The axis softmax normalizes over; a 0-d Value is one class (axis 0 or -1, as PyTorch allows)."""
    if x.data.ndim == 0 and isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) and axis in (0, -1):
        return ()
    return normalize_axes(axis, x.data.ndim, op)


def shape_tuple(shape: Any, op: str) -> tuple[Any, ...]:
    """A shape given as one sequence, as a tuple; anything else is a TypeError naming the operation."""
    try:
        return tuple(shape)
    except TypeError:
        raise TypeError(f"{op}: the shape must be whole numbers or a sequence of them, got {shape!r}") from None


def reducible_axes(x: Value, axis: Axis, op: str) -> tuple[int, ...]:
    """The axes of a reduction that has no starting value (max, min): none may be empty."""
    axes = normalize_axes(axis, x.ndim, op)
    empty = [a for a in axes if x.shape[a] == 0]
    if empty:
        raise ValueError(f"{op}: axis {empty[0]} of a Value of shape {x.shape} is empty, "
                         "and an empty slice has no largest or smallest element")
    return axes


def plain_index(index: Any) -> Any:
    """Replace Values and lists inside an index by numpy arrays (copies of the Values': a later in-place change
    of the index must not change what backward() reads); a ragged list is an error naming indexing."""
    def plain(i: Any) -> Any:
        if isinstance(i, Value):  # a copy: the graph keeps the index, and the Value may change in place later
            return i.data.copy()
        if isinstance(i, list):
            if not i:
                return np.array([], dtype=np.intp)  # numpy: [] selects nothing
            try:
                return np.asarray([data_of(j) for j in i])
            except ValueError as error:  # a ragged nested list
                raise IndexError(f"getitem: cannot make an index array from this list: {error}") from None
        return i

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)



def join_arguments(values: Any, op: str, axis: Any, allow_none: bool) -> list[Any]:
    """The pieces to join, as a list (a generator is read once, here), with the axis checked."""
    if values is None or isinstance(values, (Value, str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{op}: expects a list or tuple of Values (and arrays), got {describe(values)}")
    parts = list(values)
    if not parts:
        raise ValueError(f"{op}: needs at least one Value to join, got an empty sequence")
    if not (axis is None and allow_none) and (isinstance(axis, (bool, np.bool_))
                                              or not isinstance(axis, (int, np.integer))):
        raise TypeError(f"{op}: axis must be an integer{' or None' if allow_none else ''}, got {axis!r}")
    return parts


def joinable(parts: list[Any], op: str, axis: int, new_axis: bool) -> None:
    """Check that the pieces fit together along ``axis`` (stack: one shape; concatenate: all but that axis)."""
    shapes = []
    for i, part in enumerate(parts):
        try:
            shapes.append(np.shape(data_of(part)))
        except ValueError as error:  # a ragged nested list
            raise ValueError(f"{op}: cannot make an array of piece {i}: {error}") from None
    ndim = len(shapes[0]) + new_axis
    if ndim == 0:
        raise ValueError(f"{op}: cannot join 0-d pieces along an existing axis; use stack for a new one")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for pieces of shape {shapes[0]}")
    ax = axis % ndim
    for i, shape in enumerate(shapes):
        same = shape == shapes[0] if new_axis else (
            len(shape) == len(shapes[0]) and all(a == b for k, (a, b) in enumerate(zip(shape, shapes[0])) if k != ax))
        if not same:
            want = "the same shape" if new_axis else f"the same shape except along axis {ax}"
            raise ValueError(f"{op}: every piece must have {want}; piece 0 has shape {shapes[0]}, "
                             f"piece {i} has shape {shape}")


# ---------------------------------------------------------------------- numpy's words and PyTorch's


def torch_reduction_args(op: str, ndim: int, axis: Any, keepdims: Any, dim: Any,
                         keepdim: Any) -> tuple[Any, bool]:
    """A reduction's (axis, keepdims) when it was called with PyTorch's ``dim=``/``keepdim=``.

    Both vocabularies mean the same for sum, mean and logsumexp, except an
    empty dim (PyTorch: every axis) and a 0-d Value's dim 0 (PyTorch: allowed).
    Giving the axis twice, or ``dim=`` with numpy's ``keepdims=``, is an error.
    """
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: the axis is given twice (as axis and as dim)")
    if keepdims and (keepdim is not None or dim is not None):
        raise TypeError(f"{op}: numpy's keepdims= and PyTorch's dim=/keepdim= cannot be mixed in one call")
    if keepdim is not None and not isinstance(keepdim, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdim must be True or False, got {keepdim!r}")
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None  # PyTorch's dim=() means every axis (numpy's axis=() means none)
    return (torch_dims(dim, ndim, op) if dim is not None else axis), bool(keepdim) if keepdim is not None else keepdims


def torch_dims(dim: Any, ndim: int, op: str) -> Any:
    """PyTorch's dim for a 0-d Value: it may name dim 0 or -1 (numpy's axis may not), which reduces nothing."""
    if ndim:
        return dim
    given = dim if isinstance(dim, (tuple, list)) else (dim,)
    for d in given:
        single_axis(d, 1, op)  # 0 or -1, else the usual error
    return ()


def cast_for_reduction(x: Value, op: str, dtype: Any, out: Any) -> Value:
    """x in the ``dtype`` a reduction was asked for; ``out=`` (which numpy's np.sum passes) must be None."""
    if out is not None:
        raise TypeError(f"{op}: out= is not offered; a reduction returns a new Value")
    return x if dtype is None else x.astype(dtype)


def one_axis(axis: Any, dim: Any, op: str, default: int = -1) -> Any:
    """The one axis of softmax-like functions, given as ``axis`` (positionally or numpy's name) or ``dim=``."""
    if axis is not None and dim is not None:
        raise TypeError(f"{op}: give the axis once, as axis= or dim=")
    chosen = axis if axis is not None else dim
    return default if chosen is None else chosen


def transpose_order(shape: tuple[int, ...], axes: tuple[Any, ...]) -> tuple[int, ...]:
    """The new order of the axes for ``transpose(*axes)``, in numpy's or PyTorch's meaning (see Value.transpose)."""
    ndim = len(shape)
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))
                           or isinstance(axes[0], np.ndarray) and axes[0].ndim == 1):
        axes = () if axes[0] is None else tuple(axes[0])  # one sequence (or None): numpy's permutation
    elif len(axes) == 2 and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        first, second = (single_axis(a, ndim, "transpose") for a in axes)  # two integers: swap them
        order = list(range(ndim))
        order[first], order[second] = second, first
        return tuple(order)
    if not axes:
        return tuple(reversed(range(ndim)))
    if len(axes) != ndim:
        raise ValueError(f"transpose: {len(axes)} axes given for a Value of shape {shape} (two integers swap "
                         "two axes; otherwise give every axis in its new order)")
    return normalize_axes(axes, ndim, "transpose")  # checks range and repeats


def not_offered(name: str, where: str, offered: list[str]) -> AttributeError:
    """The error for a PyTorch name that tinygrad_edu does not offer, listing what it does offer."""
    return AttributeError(f"tinygrad_edu does not offer {where}.{name}; it offers {', '.join(offered)}")
