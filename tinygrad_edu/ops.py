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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import anomaly, checks, dtypes
from .grad_mode import _mode
from .value import Value, next_number, share_memory_stamp

Rule = Callable[..., Any]


class Operation:
    """A differentiable function: ``forward`` on numpy arrays, and one derivative rule per argument.

    Calling it with at least one Value computes ``forward`` on the arrays and
    returns a Value that remembers the arguments and this Operation, so that
    backpropagation can apply the rules. Called with plain numbers and arrays
    only, it just returns ``forward``'s result. Example::

        cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2,
                         formulas=["g * 3 * x**2"], saves=("x",))
        y = cube(Value(2.0))          # y.data == 8, and y.backward() gives 12

    ``formulas`` (optional) is each rule written out for people, shown by
    ``explain()``. ``saves`` (optional) names the arguments (as the forward's
    or the rules' parameters do), and ``out``, whose numbers the rules read:
    a tuple when every rule reads the same, or a dict from each argument to
    what its own rule reads. backward() refuses if one of them was changed in
    place after the operation used it (see ``autograd.check_unchanged``).
    Without it, every argument and the result count.
    """

    __slots__ = ("name", "forward", "rules", "formulas", "saved")

    def __init__(self, name: str, forward: Callable[..., Any], *rules: Rule | None,
                 formulas: Sequence[str | None] | None = None,
                 saves: Sequence[str] | Mapping[str, Sequence[str]] | None = None) -> None:
        checks.check_operation(name, forward, rules, formulas)
        self.name = name
        self.forward = forward
        self.rules = rules
        self.formulas = tuple(formulas) if formulas is not None else (None,) * len(rules)
        self.saved = checks.saved_positions(saves, forward, rules, name)

    def __call__(self, *args: Any) -> Any:
        """Apply the operation: a Value recording this step if any argument is a Value."""
        if len(args) != len(self.rules):
            raise TypeError(f"{self.name}: takes {len(self.rules)} arguments, got {len(args)}")
        arrays: list[Any] = []
        any_value = requires_grad = converted = integers = False
        for arg, rule in zip(args, self.rules):
            if isinstance(arg, Value):
                if rule is None:
                    raise TypeError(f"{self.name}: argument {len(arrays)} has no derivative rule, so it "
                                    "cannot be a Value; pass its .data")
                data = arg.data
                arrays.append(data)
                any_value = True
                if arg.requires_grad:
                    requires_grad = True
                elif data.dtype.kind != "f":  # integers and booleans never require grad
                    integers = True
            elif rule is None or type(arg) is float:  # a parameter (an axis, a shape), or a plain number
                arrays.append(arg)
            else:  # a constant where a Value could stand: checked, and lists made arrays
                checked = checks.constant(arg, self.name, args)
                arrays.append(checked)
                converted = converted or checked is not arg
        if integers:
            arrays = dtypes.promote_integers(args, arrays)
        try:
            data = self.forward(*arrays)
        except (ValueError, IndexError, TypeError, OverflowError) as error:
            kind = next(k for k in (ValueError, IndexError, TypeError, OverflowError) if isinstance(error, k))
            reason = str(error).strip().removeprefix(f"{self.name}: ")
            described = ", ".join(checks.describe_argument(a) for a in args)
            raise kind(f"{self.name}: {reason} (arguments: {described})") from error
        if not any_value:
            return data
        if integers:
            data = dtypes.integer_result(data, arrays)
        if converted:  # the graph keeps the checked constants (arrays, not lists) for the rules
            args = tuple(arg if isinstance(arg, Value) else array for arg, array in zip(args, arrays))
        recording, watching = _mode.state  # this thread's grad mode and anomaly mode
        out = make(data, self, args, requires_grad and recording)
        if watching:  # detect_anomaly(): check the result, and remember the line that asked for it
            anomaly.watch_forward(self, args, arrays, out)
        return out

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"


def make(data: Any, op: Operation | None, inputs: tuple[Any, ...], requires_grad: bool) -> Value:
    """A Value for an operation's result; it keeps its inputs only if a gradient may flow back."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)  # numpy gives scalars for 0-d results (and a forward may return a number)
    if data.dtype.kind != "f":  # integers and booleans are fine where no gradient is needed; anything else is not
        data = checks.forward_result(data, op.name if op is not None else "Value", requires_grad)
    out = Value.__new__(Value)  # not Value(...): the data needs no copy and no checks
    out.data = data
    out._grad = None
    out.name = None
    out.requires_grad = requires_grad
    out.op = op
    out.inputs = inputs if requires_grad else ()
    out._number = next_number()
    out._version = None
    if data.base is not None:  # numpy made a view (reshape, indexing): it shares its input's change stamp
        share_memory_stamp(out, inputs)
    return out


# ---------------------------------------------------------------------- arithmetic
#
# Each rule turns g, the gradient of the final result with respect to out, into
# the gradient with respect to one argument: g times that argument's partial
# derivative (the chain rule). ``formulas`` says the same for people (explain()
# prints it); ``saves`` names what the rules read (see autograd.check_unchanged).

add = Operation("add", np.add,
                lambda g, a, b, out: g,                     # d(a + b)/da = 1
                lambda g, a, b, out: g,                     # d(a + b)/db = 1
                formulas=["g", "g"], saves=())

sub = Operation("sub", np.subtract,
                lambda g, a, b, out: g,                     # d(a - b)/da = 1
                lambda g, a, b, out: -g,                    # d(a - b)/db = -1
                formulas=["g", "-g"], saves=())

mul = Operation("mul", np.multiply,
                lambda g, a, b, out: g * b,                 # d(a * b)/da = b
                lambda g, a, b, out: g * a,                 # d(a * b)/db = a
                formulas=["g * b", "g * a"], saves={"a": ("b",), "b": ("a",)})

div = Operation("div", np.true_divide,
                lambda g, a, b, out: g / b,                 # d(a / b)/da = 1 / b
                lambda g, a, b, out: -g * out / b,          # d(a / b)/db = -a / b**2 = -out / b (b**2 could overflow)
                formulas=["g / b", "-g * out / b"], saves={"a": ("b",), "b": ("b", "out")})

neg = Operation("neg", np.negative,
                lambda g, x, out: -g,
                formulas=["-g"], saves=())


def _power(x: Any, p: Any) -> Any:
    """x ** p, as numpy computes it, except where float32 cannot hold the exponent."""
    if type(p) is float and p != 0 and x.dtype == np.float32 and np.float32(p) == 0:
        # A tiny exponent (1e-308) rounds to 0 in float32, which would make every x**p 1;
        # PyTorch computes with the exponent as given (0**1e-308 = 0, (-1)**1e-308 = nan).
        return np.power(x.astype(np.float64), p).astype(np.float32)
    return np.power(x, p)


def _pow_base_rule(g: Any, x: Any, p: Any, out: Any) -> Any:
    # d/dx x**p = p * x**(p - 1), multiplied into g last: g * p first could overflow to
    # inf where p * x**(p - 1) is 0 (p = 1e308, x = 0.5), giving NaN instead of 0.
    # PyTorch makes it 0 where p == 0, even at x == 0.
    if isinstance(p, (int, float)):
        return np.zeros_like(checks.data_of(g)) if p == 0 else g * (p * x ** (p - 1))  # zeros: g may be inf
    # Where p == 0 the exponent p - 1 is replaced by 1 before the power is taken,
    # so 0 ** -1 is never computed (and never warns); where() then gives 0.
    exponent_is_zero = checks.data_of(p) == 0
    return where(exponent_is_zero, 0.0, g * (p * x ** where(exponent_is_zero, 1.0, p - 1)))


def _pow_exponent_rule(g: Any, x: Any, p: Any, out: Any) -> Any:
    # d/dp x**p = x**p * log(x); PyTorch makes it 0 where x == 0 and p >= 0.
    # Taking log(1) = 0 there gives that 0 without a log(0) warning.
    zero_base = (checks.data_of(x) == 0) & (checks.data_of(p) >= 0)
    return g * (out * log(where(zero_base, 1.0, x)))


power = Operation("pow", _power, _pow_base_rule, _pow_exponent_rule,
                  formulas=["g * p * x**(p - 1)", "g * out * log(x)"], saves={"x": ("x", "p"), "p": ("x", "out")})


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


matmul = Operation("matmul", np.matmul, _matmul_rule_a, _matmul_rule_b,
                   formulas=["g @ b.T", "a.T @ g"], saves={"a": ("b",), "b": ("a",)})

# ---------------------------------------------------------------------- elementwise functions

exp = Operation("exp", np.exp,
                lambda g, x, out: g * out,                  # d exp(x)/dx = exp(x), which is out
                formulas=["g * out"], saves=("out",))

log = Operation("log", np.log,
                lambda g, x, out: g / x,                    # d log(x)/dx = 1 / x
                formulas=["g / x"], saves=("x",))

sqrt = Operation("sqrt", np.sqrt,
                 lambda g, x, out: g / (2 * out),           # d sqrt(x)/dx = 1 / (2 sqrt(x))
                 formulas=["g / (2 * out)"], saves=("out",))

sin = Operation("sin", np.sin,
                lambda g, x, out: g * cos(x),               # d sin(x)/dx = cos(x)
                formulas=["g * cos(x)"], saves=("x",))

cos: Operation = Operation("cos", np.cos,
                lambda g, x, out: -g * sin(x),              # d cos(x)/dx = -sin(x)
                formulas=["-g * sin(x)"], saves=("x",))

absolute = Operation("abs", np.abs,  # d|x|/dx = sign(x), taken as 0 at NaN as in PyTorch (numpy's sign gives NaN)
                     lambda g, x, out: g * np.nan_to_num(np.sign(checks.data_of(x)), nan=0.0),
                     formulas=["g * sign(x)"], saves=("x",))


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
                    lambda g, x, out: g * out * (1 - out),  # d sigmoid(x)/dx = s (1 - s), with s = out
                    formulas=["g * out * (1 - out)"], saves=("out",))

tanh = Operation("tanh", np.tanh,
                 lambda g, x, out: g * (1 - out * out),     # d tanh(x)/dx = 1 - tanh(x)**2
                 formulas=["g * (1 - out**2)"], saves=("out",))


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
                 lambda g, x, out: _masked(g, ~(checks.data_of(out) <= 0)),  # NaN passes g on, as in PyTorch
                 formulas=["g * (out > 0)"], saves=("out",))


def _inside(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """True where lo <= x <= hi (bounds that are None do not limit; arrays broadcast)."""
    inside = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    return inside


clip = Operation("clip", np.clip,
                 lambda g, x, lo, hi, out: _masked(g, _inside(checks.data_of(x), lo, hi)), None, None,
                 formulas=["g * (lo <= x <= hi)", None, None], saves=("x",))


def _unless_below(g: Any, x: Any, y: Any) -> Any:
    """The share of g that maximum(x, y) passes to x: none where x < y, half where they tie, else all
    (also where either is NaN, as in PyTorch)."""
    x, y = checks.data_of(x), checks.data_of(y)
    return where(x < y, 0.0, where(x == y, g * 0.5, g))


_maximum = Operation("maximum", np.maximum,
                     lambda g, a, b, out: _unless_below(g, a, b),
                     lambda g, a, b, out: _unless_below(g, b, a),
                     formulas=["g * (a > b) + g / 2 * (a == b)", "g * (b > a) + g / 2 * (a == b)"],
                     saves=("a", "b"))

_minimum = Operation("minimum", np.minimum,
                     lambda g, a, b, out: _unless_below(g, b, a),
                     lambda g, a, b, out: _unless_below(g, a, b),
                     formulas=["g * (a < b) + g / 2 * (a == b)", "g * (b < a) + g / 2 * (a == b)"],
                     saves=("a", "b"))


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
                   lambda g, condition, x, y, out: _masked(g, ~condition),
                   formulas=[None, "g * condition", "g * (not condition)"], saves=())


def where(condition: Any, x: Any, y: Any) -> Any:
    """x where ``condition`` holds, else y, broadcasting as numpy.

    d/dx = g where the condition holds, d/dy = g where it does not.
    """
    try:  # a copy of a Value's numbers: changed in place later, it must not change what backward() reads
        mask = np.array(checks.data_of(condition), dtype=bool, copy=isinstance(condition, Value) or None)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"where: cannot make a condition array from this {type(condition).__name__}: "
                         f"{error}") from None
    return _where(mask, x, y)


clone = Operation("clone", np.copy,
                  lambda g, x, out: g,                     # a copy: the gradient passes straight through
                  formulas=["g"], saves=())

astype = Operation("astype", lambda x, dtype: x.astype(dtype),
                   lambda g, x, dtype, out: g, None,  # the backward loop casts g to x's dtype
                   formulas=["g", None], saves=())

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


def _linear_input_rule(g: Any, x: Any, w: Any, *bias_and_out: Any) -> Any:
    return _product(g, w)  # d/dx = g @ w


def _linear_weight_rule(g: Any, x: Any, *weight_bias_and_out: Any) -> Any:
    # d/dw = g.T @ x, summed over every batch row: flatten the batch axes first.
    if x.ndim != 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    return _product(g.T, x)


def _linear_bias_rule(g: Any, *inputs_and_out: Any) -> Any:
    # d/db = g summed over every batch axis (summed here: cheaper than leaving it to the backward loop).
    return g if g.ndim == 1 else g.sum(axis=tuple(range(g.ndim - 1)))


# The rules take the arguments they do not use as *rest, so one rule serves both forms.
linear = Operation("linear", lambda x, w, b: _product(x, w.T) + b,
                   _linear_input_rule,
                   _linear_weight_rule,
                   _linear_bias_rule,
                   formulas=["g @ w", "g.T @ x", "sum of g over the batch"], saves={"x": ("w",), "w": ("x",), "b": ()})

linear_without_bias = Operation("linear_without_bias", lambda x, w: _product(x, w.T),
                                _linear_input_rule,
                                _linear_weight_rule,
                                formulas=["g @ w", "g.T @ x"], saves={"x": ("w",), "w": ("x",)})

# ---------------------------------------------------------------------- reductions (axes: tuple of ints)


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as length 1 (what keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _unreduce(g: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Spread the gradient of a reduction back over the axes it reduced."""
    kept = g if keepdims or g.ndim == 0 else g.reshape(kept_shape(shape, axes))
    if isinstance(g, Value):
        return broadcast_to(kept, shape)
    if kept.size == math.prod(shape):  # every reduced axis had length 1: nothing to spread
        return kept.reshape(shape)
    spread = np.empty(shape, dtype=g.dtype)
    spread[...] = kept  # numpy's broadcasting copies g along the reduced axes
    return spread


reduce_sum = Operation("sum", lambda x, axes, keepdims: x.sum(axis=axes, keepdims=keepdims),
                       lambda g, x, axes, keepdims, out: _unreduce(g, x.shape, axes, keepdims), None, None,
                       formulas=["g copied along the summed axes", None, None], saves=())


def _extreme_rule(g: Any, x: Any, axes: tuple[int, ...], keepdims: bool, out: Any) -> Any:
    # The gradient goes to the elements equal to the result (the maximal ones for
    # max, the minimal ones for min); tied elements share it equally. Where the
    # result is NaN (numpy's max and min propagate NaN), it goes to the NaNs, as in PyTorch.
    top = checks.data_of(out) if keepdims else checks.data_of(out).reshape(kept_shape(x.shape, axes))
    is_top = (checks.data_of(x) == top) | (np.isnan(checks.data_of(x)) & np.isnan(top))
    shares = is_top.sum(axis=axes, keepdims=True, dtype=checks.data_of(x).dtype)  # float32 stays float32
    return _masked(_unreduce(g, x.shape, axes, keepdims), is_top) / shares


reduce_max = Operation("max", lambda x, axes, keepdims: x.max(axis=axes, keepdims=keepdims),
                       _extreme_rule, None, None,
                       formulas=["g shared by the largest elements", None, None], saves=("x", "out"))

reduce_min = Operation("min", lambda x, axes, keepdims: x.min(axis=axes, keepdims=keepdims),
                       _extreme_rule, None, None,
                       formulas=["g shared by the smallest elements", None, None], saves=("x", "out"))


def _logsumexp(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    # log(sum(exp(x))) = m + log(sum(exp(x - m))) for any m. With m the maximum, no
    # exp(x - m) is above 1, so nothing overflows. Slices whose maximum is not finite
    # (all -inf, or holding +inf) shift by 0, keeping inf - inf out.
    m = x.max(axis=axes, keepdims=True) if x.size else np.zeros(kept_shape(x.shape, axes), dtype=x.dtype)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # an empty or all -inf slice sums to 0: its log is -inf
        out = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
    return out if keepdims else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _logsumexp_rule(g: Any, x: Any, axes: tuple[int, ...], keepdims: bool, out: Any) -> Any:
    # d/dx log(sum(exp(x))) = exp(x) / sum(exp(x)) = exp(x - out): the softmax of x.
    shape = kept_shape(x.shape, axes)
    return _unreduce(g, x.shape, axes, keepdims) * exp(x - reshape(out, shape))


logsumexp = Operation("logsumexp", _logsumexp, _logsumexp_rule, None, None,
                      formulas=["g * exp(x - out)", None, None], saves=("x", "out"))

# ---------------------------------------------------------------------- shape (results may be views of x)


def _inverse_permutation(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(axes))


reshape: Operation = Operation("reshape", np.reshape,
                        lambda g, x, shape, out: reshape(g, x.shape), None,
                        formulas=["g reshaped to x's shape", None], saves=())

transpose: Operation = Operation("transpose", np.transpose,
                          lambda g, x, axes, out: transpose(g, _inverse_permutation(axes)), None,
                          formulas=["g with the axes put back", None], saves=())

broadcast_to = Operation("broadcast_to", np.broadcast_to,
                             lambda g, x, shape, out: g, None,  # the backward loop sums the copies
                             formulas=["g summed over the copies", None], saves=())


def _scatter(g: Any, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with g added at ``index``; positions that repeat accumulate."""
    grad = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic_index(index):
        grad[index] = g  # no position can repeat
    else:
        np.add.at(grad, index, g)
    return grad


getitem = Operation("getitem", lambda x, index: x[index],
                        lambda g, x, index, out: unindex(g, x.shape, index), None,
                        formulas=["g put back at the indexed places, 0 elsewhere", None], saves=())

unindex: Operation = Operation("unindex", _scatter,
                    lambda g, x, shape, index, out: getitem(g, index), None, None,
                    formulas=["g at the indexed places", None, None], saves=())

# ---------------------------------------------------------------------- joining


_JOIN_WIDTH = 32  # the most Values one join node takes (see _joined)


def _piece_rule(index: tuple[Any, ...]) -> Rule:
    """The rule for one argument of a join: the piece of g that came from it (index is known at forward time)."""
    def rule(g: Any, *args: Any) -> Any:
        return getitem(g, index)

    return rule


def _joined(name: str, parts: list[Any], axis: int, new_axis: bool) -> Any:
    """concatenate (new_axis False) or stack (True) of ``parts``, which are checked already.

    A node's rules each receive every argument, so a node with n arguments
    costs n * n in the backward pass. Longer lists are therefore joined in
    groups of at most 32, and the groups joined again: the work stays linear.
    """
    if len(parts) > _JOIN_WIDTH:
        groups = [_joined(name, parts[i:i + _JOIN_WIDTH], axis, new_axis) for i in range(0, len(parts), _JOIN_WIDTH)]
        return _joined("concatenate", groups, axis, False)  # the groups already have the new axis
    ndim = np.ndim(checks.data_of(parts[0])) + new_axis
    ax = axis % ndim if ndim else 0
    lead = (slice(None),) * ax
    indices, start = [], 0
    for part in parts:
        if new_axis:
            indices.append(lead + (start,))
            start += 1
        else:
            length = np.shape(checks.data_of(part))[ax]
            indices.append(lead + (slice(start, start + length),))
            start += length
    join = np.stack if new_axis else np.concatenate
    op = Operation(name, lambda *arrays: join(arrays, axis=axis), *[_piece_rule(i) for i in indices],
                   formulas=["the piece of g that came from this argument"] * len(parts), saves=())
    return op(*parts)


def concatenate(values: Iterable[Any], axis: int | None = 0) -> Any:
    """Join Values (and constant arrays) along an existing axis (None: flatten them first, as numpy).

    d/dv = the slice of g that came from v.
    """
    parts = checks.join_arguments(values, "concatenate", axis, allow_none=True)
    if axis is None:
        return concatenate([reshape(v, (-1,)) for v in parts], axis=0)
    checks.joinable(parts, "concatenate", axis, new_axis=False)
    return _joined("concatenate", parts, axis, new_axis=False)


def stack(values: Iterable[Any], axis: int = 0) -> Any:
    """Join Values (and constant arrays) of one shape along a new axis. d/dv = g's slice at v's position."""
    parts = checks.join_arguments(values, "stack", axis, allow_none=False)
    dtype = next((v.data.dtype for v in parts if isinstance(v, Value) and v.data.dtype.kind == "f"), None)
    if dtype is not None:  # a Python number takes the Values' float type, as it does in x + 1.0
        parts = [np.asarray(v, dtype=dtype) if type(v) in (int, float) else v for v in parts]
    checks.joinable(parts, "stack", axis, new_axis=True)
    return _joined("stack", parts, axis, new_axis=True)


# ---------------------------------------------------------------------- small helpers


def _is_basic_index(index: Any) -> bool:
    """True when index uses only ints, slices, None and Ellipsis, so no position repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)
