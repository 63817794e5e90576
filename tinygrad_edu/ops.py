"""Every primitive operation: its forward computation and its derivative rules, side by side.

An ``Operation`` is a name, a forward function on numpy arrays, and one
derivative rule per argument. A rule ``rule(g, *args, out)`` receives the
gradient ``g`` of the final result with respect to ``out`` and returns the
gradient with respect to its own argument: the chain rule for one edge. A rule
may return its gradient in the shape of ``out`` even when numpy broadcast the
argument to get there: the backward loop sums away whatever broadcasting
added. Arguments that are not differentiable (an axis, a shape, an index) have
``None`` as their rule.

On an ordinary backward pass, rules receive numpy arrays. Under
``grad(..., create_graph=True)`` the same rules receive Values, and what they
return is a Value with a graph: a derivative that can be differentiated again.
That works because rules use operators (``g * b``) and Operations, and an
Operation applied to plain arrays simply returns its numpy result.

Everything else (subtraction of a mean, softmax, ...) is a composition of these
primitives in ``value.py`` and has no derivative code of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .grad_mode import _mode
from .value import Value, next_number

Rule = Callable[..., Any]


class Operation:
    """A differentiable function: ``forward`` on numpy arrays, and one derivative rule per argument.

    Calling it with at least one Value computes ``forward`` on the arrays and
    returns a Value that remembers the arguments and this Operation, so that
    backpropagation can apply the rules. Called with plain numbers and arrays
    only, it just returns ``forward``'s result. Example::

        cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2)
        y = cube(Value(2.0))          # y.data == 8, and y.backward() gives 12
    """

    __slots__ = ("name", "forward", "rules")

    def __init__(self, name: str, forward: Callable[..., Any], *rules: Rule | None) -> None:
        self.name = name
        self.forward = forward
        self.rules = rules

    def __call__(self, *args: Any) -> Any:
        """Apply the operation: a Value recording this step if any argument is a Value."""
        if len(args) != len(self.rules):
            raise TypeError(f"{self.name}: takes {len(self.rules)} arguments, got {len(args)}")
        arrays = []
        any_value = requires_grad = converted = False
        for arg, rule in zip(args, self.rules):
            if isinstance(arg, Value):
                if rule is None:
                    raise TypeError(f"{self.name}: argument {len(arrays)} has no derivative rule, so it "
                                    "cannot be a Value; pass its .data")
                arrays.append(arg.data)
                any_value = True
                if arg.requires_grad:
                    requires_grad = True
            elif rule is None or type(arg) is float:  # a parameter (an axis, a shape), or a plain number
                arrays.append(arg)
            else:  # a constant where a Value could stand: checked, and lists made arrays
                checked = _constant(arg, self.name, args)
                arrays.append(checked)
                converted = converted or checked is not arg
        try:
            data = self.forward(*arrays)
        except (ValueError, IndexError, TypeError, OverflowError) as error:
            kind = next(k for k in (ValueError, IndexError, TypeError, OverflowError) if isinstance(error, k))
            reason = str(error).strip().removeprefix(f"{self.name}: ")
            described = ", ".join(_describe_argument(a) for a in args)
            raise kind(f"{self.name}: {reason} (arguments: {described})") from error
        if not any_value:
            return data
        if converted:  # the graph keeps the checked constants (arrays, not lists) for the rules
            args = tuple(arg if isinstance(arg, Value) else array for arg, array in zip(args, arrays))
        return _make(data, self, args, requires_grad and _mode.enabled)

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"


def _make(data: Any, op: Operation | None, inputs: tuple[Any, ...], requires_grad: bool) -> Value:
    """A Value for an operation's result; it keeps its inputs only if a gradient may flow back."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)  # numpy gives scalars for 0-d results
    if data.dtype.kind != "f":  # a custom forward may return integers or booleans
        data = data.astype(np.float64)
    out = Value.__new__(Value)  # not Value(...): the data needs no copy and no checks
    out.data = data
    out._grad = None
    out.name = None
    out.requires_grad = requires_grad
    out._op = op
    out._inputs = inputs if requires_grad else ()
    out._number = next_number()
    return out


# ---------------------------------------------------------------------- arithmetic

add = Operation("add", np.add,
                lambda g, a, b, out: g,
                lambda g, a, b, out: g)

sub = Operation("sub", np.subtract,
                lambda g, a, b, out: g,
                lambda g, a, b, out: -g)

mul = Operation("mul", np.multiply,
                lambda g, a, b, out: g * b,
                lambda g, a, b, out: g * a)

div = Operation("div", np.true_divide,
                lambda g, a, b, out: g / b,
                lambda g, a, b, out: -g * out / b)  # = -g * a / b**2, without overflowing b**2

neg = Operation("neg", np.negative,
                lambda g, x, out: -g)


def _pow_base_rule(g: Any, x: Any, p: Any, out: Any) -> Any:
    # d/dx x**p = p * x**(p - 1); PyTorch makes it 0 where p == 0, even at x == 0.
    if isinstance(p, (int, float)):
        return np.zeros_like(_data(g)) if p == 0 else g * p * x ** (p - 1)  # zeros, not g * 0: g may be inf
    # Where p == 0 the exponent p - 1 is replaced by 1 before the power is taken,
    # so 0 ** -1 is never computed (and never warns); where() then gives 0.
    exponent_is_zero = _data(p) == 0
    return where(exponent_is_zero, 0.0, g * p * x ** where(exponent_is_zero, 1.0, p - 1))


def _pow_exponent_rule(g: Any, x: Any, p: Any, out: Any) -> Any:
    # d/dp x**p = x**p * log(x); PyTorch makes it 0 where x == 0 and p >= 0.
    # Taking log(1) = 0 there gives that 0 without a log(0) warning.
    zero_base = (_data(x) == 0) & (_data(p) >= 0)
    return g * out * log(where(zero_base, 1.0, x))


power = Operation("pow", np.power, _pow_base_rule, _pow_exponent_rule)


def _matmul_rule_a(g: Any, a: Any, b: Any, out: Any) -> Any:
    # For matrices d/da = g @ b.T. numpy reads a 1-D b as a column and a 1-D a
    # as a row and drops that axis from the result, so put it back first.
    if b.ndim == 1:
        return g[..., None] * b
    b_t = b.swapaxes(-1, -2)
    if a.ndim == 1:
        return (g[..., None, :] @ b_t)[..., 0, :]
    return g @ b_t


def _matmul_rule_b(g: Any, a: Any, b: Any, out: Any) -> Any:
    # For matrices d/db = a.T @ g, with the same care for 1-D operands.
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    a_t = a.swapaxes(-1, -2)
    if b.ndim == 1:
        return (a_t @ g[..., None])[..., 0]
    return a_t @ g


matmul = Operation("matmul", np.matmul, _matmul_rule_a, _matmul_rule_b)

# ---------------------------------------------------------------------- elementwise functions

exp = Operation("exp", np.exp,
                lambda g, x, out: g * out)

log = Operation("log", np.log,
                lambda g, x, out: g / x)

sqrt = Operation("sqrt", np.sqrt,
                 lambda g, x, out: g / (2 * out))

absolute = Operation("abs", np.abs,  # d|x|/dx = sign(x), taken as 0 at NaN as in PyTorch (numpy's sign gives NaN)
                     lambda g, x, out: g * np.nan_to_num(np.sign(_data(x)), nan=0.0))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) would overflow exp(-x) for x below about -710. Two forms of
    # the same function cannot overflow, and both tails come out exactly 0 and 1:
    #   exp(min(x, 0)) / (1 + exp(-|x|)) is 1 / (1 + e^-x) for x >= 0 and, multiplied
    #     above and below by e^x, e^x / (1 + e^x) for x < 0: no exp is above 1.
    #   exp(-log(1 + exp(-x))), where numpy's logaddexp(0, -x) takes the log
    #     without ever forming exp(-x).
    # The first is accurate to an ulp or two, and 2-4x faster per element (logaddexp
    # is slow). The second makes four numpy calls instead of seven, and below about
    # 128 elements the fixed cost of each call is most of the time; it loses a few
    # more digits in the negative tail (about 1e-15 relative at x = -30).
    if x.size >= 128:
        return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))
    return np.exp(-np.logaddexp(0, -x))


sigmoid = Operation("sigmoid", _sigmoid,
                    lambda g, x, out: g * out * (1 - out))

tanh = Operation("tanh", np.tanh,
                 lambda g, x, out: g * (1 - out * out))

def _masked(g: Any, keep: Any) -> Any:
    """g where ``keep`` holds, exactly 0 elsewhere: the rule of every operation that passes some elements on.

    Multiplying by the 0/1 mask is the fast way (np.where takes several times
    as long), but an infinite g times 0 would be NaN where PyTorch gives 0 (as
    for sqrt(relu(x)) at x <= 0). So where() takes over when g has an
    infinity or a NaN, and for Values (under create_graph).
    """
    if type(g) is np.ndarray and np.isfinite(g).all():
        masked = g * keep
        masked += 0.0  # a negative g times 0 is -0.0; PyTorch (and where) give 0.0
        return masked
    return where(keep, g, 0.0)


relu = Operation("relu", lambda x: np.maximum(x, 0),
                 lambda g, x, out: _masked(g, ~(_data(out) <= 0)))  # NaN passes g on, as in PyTorch


def _inside(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """True where lo <= x <= hi (bounds that are None do not limit; arrays broadcast)."""
    inside = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    return inside


clip = Operation("clip", np.clip,
                 lambda g, x, lo, hi, out: _masked(g, _inside(_data(x), lo, hi)), None, None)


def _unless_below(g: Any, x: Any, y: Any) -> Any:
    """The share of g that maximum(x, y) passes to x: none where x < y, half where they tie, else all
    (also where either is NaN, as in PyTorch)."""
    x, y = _data(x), _data(y)
    return where(x < y, 0.0, where(x == y, g * 0.5, g))


_maximum = Operation("maximum", np.maximum,
                     lambda g, a, b, out: _unless_below(g, a, b),
                     lambda g, a, b, out: _unless_below(g, b, a))

_minimum = Operation("minimum", np.minimum,
                     lambda g, a, b, out: _unless_below(g, b, a),
                     lambda g, a, b, out: _unless_below(g, a, b))


def maximum(x: Any, y: Any) -> Any:
    """The larger of x and y, elementwise, broadcasting as numpy (NaN where either is NaN).

    d/dx = g where x > y, g / 2 where they tie, 0 where x < y; d/dy the other way round.
    """
    return _maximum(x, y)


def minimum(x: Any, y: Any) -> Any:
    """The smaller of x and y, elementwise, broadcasting as numpy (NaN where either is NaN).

    d/dx = g where x < y, g / 2 where they tie, 0 where x > y; d/dy the other way round.
    """
    return _minimum(x, y)


_where = Operation("where", np.where, None,
                   lambda g, condition, x, y, out: _masked(g, condition),
                   lambda g, condition, x, y, out: _masked(g, ~condition))


def where(condition: Any, x: Any, y: Any) -> Any:
    """x where ``condition`` holds, else y, broadcasting as numpy.

    d/dx = g where the condition holds, d/dy = g where it does not.
    """
    try:
        mask = np.asarray(_data(condition), dtype=bool)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"where: cannot make a condition array from this {type(condition).__name__}: "
                         f"{error}") from None
    return _where(mask, x, y)


astype = Operation("astype", lambda x, dtype: x.astype(dtype),
                   lambda g, x, dtype, out: g, None)  # the backward loop casts g to x's dtype

# ---------------------------------------------------------------------- the Linear layer, as one operation
#
# x @ w.T + b could be three nodes (transpose, matmul, add). As one node, the
# graph of a network shows one box per layer, and a training step makes a
# third of the calls. x has shape (..., in), w (out, in), b (out,).


_SMALL_PRODUCT = 65536  # multiply-adds: below this, numpy's per-call cost outweighs the arithmetic


def _product(a: Any, b: Any) -> Any:
    """a @ b, for a of shape (..., n) and a matrix b of shape (n, m).

    For small numpy vectors and matrices this is np.dot: the same product at
    half the per-call cost (the ``@`` operator goes through numpy's general
    machinery for stacks of matrices). For large ones ``@`` is faster: np.dot
    first fills its result with zeros, an extra pass over memory, and with
    more than two axes it does not hand the work to the matrix library in one
    call. Values (under create_graph) use ``@`` too.
    """
    if (type(a) is np.ndarray and type(b) is np.ndarray and 1 <= a.ndim <= 2
            and a.size * b.shape[-1] <= _SMALL_PRODUCT):
        return np.dot(a, b)
    return a @ b


def _linear_input_rule(g: Any, x: Any, w: Any, *rest: Any) -> Any:
    return _product(g, w)  # d/dx = g @ w


def _linear_weight_rule(g: Any, x: Any, *rest: Any) -> Any:
    # d/dw = g.T @ x, summed over every batch row: flatten the batch axes first.
    if x.ndim != 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return _product(g.T, x)


def _linear_bias_rule(g: Any, *rest: Any) -> Any:
    # d/db = g summed over every batch axis (summed here: cheaper than leaving it to the backward loop).
    return g if g.ndim == 1 else g.sum(axis=tuple(range(g.ndim - 1)))


linear = Operation("linear", lambda x, w, b: _product(x, w.T) + b,
                   _linear_input_rule,
                   _linear_weight_rule,
                   _linear_bias_rule)

linear_without_bias = Operation("linear", lambda x, w: _product(x, w.T), _linear_input_rule, _linear_weight_rule)

# ---------------------------------------------------------------------- reductions (axes: tuple of ints)


def _unreduce(g: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Spread the gradient of a reduction back over the axes it reduced."""
    kept = g if keepdims or g.ndim == 0 else g.reshape(_kept_shape(shape, axes))
    if isinstance(g, Value):
        return broadcast_to(kept, shape)
    if kept.size == math.prod(shape):  # every reduced axis had length 1: nothing to spread
        return kept.reshape(shape)
    spread = np.empty(shape, dtype=g.dtype)
    spread[...] = kept  # numpy's broadcasting copies g along the reduced axes
    return spread


reduce_sum = Operation("sum", lambda x, axes, keepdims: x.sum(axis=axes, keepdims=keepdims),
                       lambda g, x, axes, keepdims, out: _unreduce(g, x.shape, axes, keepdims), None, None)


def _extreme_rule(g: Any, x: Any, axes: tuple[int, ...], keepdims: bool, out: Any) -> Any:
    # The gradient goes to the elements equal to the result (the maximal ones for
    # max, the minimal ones for min); tied elements share it equally. Where the
    # result is NaN (numpy's max and min propagate NaN), it goes to the NaNs, as in PyTorch.
    top = _data(out) if keepdims else _data(out).reshape(_kept_shape(x.shape, axes))
    is_top = (_data(x) == top) | (np.isnan(_data(x)) & np.isnan(top))
    shares = is_top.sum(axis=axes, keepdims=True, dtype=_data(x).dtype)  # x's dtype: float32 stays float32
    return _masked(_unreduce(g, x.shape, axes, keepdims), is_top) / shares


reduce_max = Operation("max", lambda x, axes, keepdims: x.max(axis=axes, keepdims=keepdims),
                       _extreme_rule, None, None)

reduce_min = Operation("min", lambda x, axes, keepdims: x.min(axis=axes, keepdims=keepdims),
                       _extreme_rule, None, None)

# ---------------------------------------------------------------------- shape


def _inverse_permutation(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(axes))


reshape = Operation("reshape", np.reshape,
                    lambda g, x, shape, out: reshape(g, x.shape), None)

transpose = Operation("transpose", np.transpose,
                      lambda g, x, axes, out: transpose(g, _inverse_permutation(axes)), None)

broadcast_to = Operation("broadcast_to", np.broadcast_to,
                         lambda g, x, shape, out: g, None)  # the backward loop sums the copies


def _scatter(g: Any, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with g added at ``index``; positions that repeat accumulate."""
    grad = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic_index(index):
        grad[index] = g  # no position can repeat
    else:
        np.add.at(grad, index, g)
    return grad


getitem = Operation("getitem", lambda x, index: x[index],
                    lambda g, x, index, out: unindex(g, x.shape, index), None)

unindex = Operation("unindex", _scatter,
                    lambda g, x, shape, index, out: getitem(g, index), None, None)


def _slice_rule(i: int, axis: int, new_axis: bool) -> Rule:
    """The rule for argument i of concatenate (new_axis False) or stack (True): its part of g."""
    def rule(g: Any, *args: Any) -> Any:
        *parts, out = args
        ax = axis % out.ndim
        if new_axis:
            return getitem(g, (slice(None),) * ax + (i,))
        start = sum(np.shape(p)[ax] for p in parts[:i])
        return getitem(g, (slice(None),) * ax + (slice(start, start + np.shape(parts[i])[ax]),))

    return rule


def concatenate(values: Sequence[Any], axis: int | None = 0) -> Any:
    """Join Values (and constant arrays) along an existing axis (None: flatten them first, as numpy).

    d/dv = the slice of g that came from v.
    """
    if axis is None:
        return concatenate([reshape(v, (-1,)) for v in values], axis=0)
    op = Operation("concatenate", lambda *arrays: np.concatenate(arrays, axis=axis),
                   *[_slice_rule(i, axis, new_axis=False) for i in range(len(values))])
    return op(*values)


def stack(values: Sequence[Any], axis: int = 0) -> Any:
    """Join Values (and constant arrays) of one shape along a new axis. d/dv = g's slice at v's position."""
    dtype = next((v.data.dtype for v in values if isinstance(v, Value)), None)
    if dtype is not None:  # a Python number takes the Values' float type, as it does in x + 1.0
        values = [np.asarray(v, dtype=dtype) if type(v) in (int, float) else v for v in values]
    op = Operation("stack", lambda *arrays: np.stack(arrays, axis=axis),
                   *[_slice_rule(i, axis, new_axis=True) for i in range(len(values))])
    return op(*values)


# ---------------------------------------------------------------------- small helpers


def _data(x: Any) -> Any:
    """The numbers behind x: a Value's data, or x itself. Masks are built from these."""
    return x.data if isinstance(x, Value) else x


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _is_basic_index(index: Any) -> bool:
    """True when index uses only ints, slices, None and Ellipsis, so no position repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)


def _constant(x: Any, op: str, args: tuple[Any, ...]) -> Any:
    """Check that x can enter an operation as a constant (a real number or array); return it for numpy.

    Python numbers and float arrays are used as they are. Lists and arrays of
    integers or booleans become arrays of the Values' own float type, so a
    float32 Value stays float32 when a list or an integer array joins it.
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
            dtype = next((a.data.dtype for a in args if isinstance(a, Value)), np.dtype(np.float64))
            return array.astype(dtype) if array.dtype.kind in "biu" or isinstance(x, (list, tuple)) else array
    raise TypeError(f"{op}: cannot combine a Value with {_describe(x)}; use a Value, a real number or a numpy array")


def _too_wide(x: Any, op: str) -> Any:
    raise TypeError(f"{op}: {_describe(x)} is wider than float64, which a Value cannot hold")


def _describe(x: Any) -> str:
    """A short description of an argument for error messages: its type and dtype or value."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return f"{type(x).__name__} of dtype {dtype}"
    return f"{type(x).__name__} {x!r:.40}"


def _describe_argument(x: Any) -> str:
    if isinstance(x, (Value, np.ndarray)):
        return f"{type(x).__name__} of shape {x.shape}"
    return f"{x!r:.60}"
