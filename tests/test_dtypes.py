"""Data types: what a Value is made of, and that float32 stays float32 through every operation, with
any constant (Python numbers, integer and boolean lists and arrays), in results and in gradients;
integers and booleans where no gradient is needed."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Operation, Value, no_grad

# ---------------------------------------------------------------------- making Values


def test_data_types():
    """bools and integers become float64; float32 and float64 stay as they are."""
    assert Value(True).dtype == np.float64 and Value(True).item() == 1.0
    assert Value(3).dtype == np.float64
    assert Value(np.array([1, 2], dtype=np.int8)).dtype == np.float64
    assert Value(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert Value([1.5, 2.5]).dtype == np.float64
    assert Value(2.5).shape == () and Value(2.5).ndim == 0 and Value(2.5).size == 1


def test_astype_round_trip_casts_the_gradient_back():
    """x.astype(float32): the result is float32, and the gradient arriving at x is float64 again."""
    x = Value(np.array([1.0, 2.0]))
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


# ---------------------------------------------------------------------- float32 stays float32


FLOAT32_OPS = {
    "add_number": lambda x: x + 1.5,
    "number_div": lambda x: 2.0 / x,
    "pow": lambda x: x ** 2.5,
    "number_pow": lambda x: 2.0 ** x,
    "exp_log_sqrt": lambda x: x.exp().log().sqrt(),
    "sigmoid_tanh_relu": lambda x: x.sigmoid().tanh().relu(),
    "abs_clip": lambda x: x.abs().clip(0.5, 1.5),
    "reductions": lambda x: x.sum(axis=0) + x.mean(axis=1) + x.max(axis=0) + x.min(axis=1),
    "logsumexp_softmax": lambda x: x.logsumexp(axis=0) + x.softmax() + x.log_softmax(axis=0),
    "matmul": lambda x: x @ x.T,
    "shape_ops": lambda x: x.reshape(-1).broadcast_to((2, 4))[:, ::-1].swapaxes(0, 1),
    "getitem": lambda x: x[[0, 0]],
    "maximum_minimum_where": lambda x: tg.where(x > 1.2, tg.maximum(x, 1.0), tg.minimum(x, 1.1)),
    "concatenate_stack": lambda x: tg.stack([tg.concatenate([x, x], axis=0)] * 2),
}


@pytest.mark.parametrize("fn", FLOAT32_OPS.values(), ids=list(FLOAT32_OPS))
def test_float32_stays_float32(fn):
    """With float32 Values and Python-number constants, results and gradients are float32."""
    x = Value(np.array([[0.5, 1.25], [2.0, 1.0]], dtype=np.float32))
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("constant", [
    [1, 2],
    np.array([1, 2]),                 # int64
    np.array([True, False]),
    np.array([1, 2], dtype=np.int32),
], ids=["int list", "int64 array", "bool array", "int32 array"])
@pytest.mark.parametrize("operation", ["add", "radd", "sub", "rsub", "mul", "rmul"])
def test_float32_value_with_integer_or_bool_constants_stays_float32(constant, operation):
    """A float32 Value combined with an int list, int array or bool array: float32 result and gradient,
    with the textbook numbers (d/dx of x * c is c, of c - x is -1)."""
    xs = np.array([0.5, -1.5], dtype=np.float32)
    x = Value(xs)
    c = np.asarray(constant, dtype=np.float64)
    y, expected, gradient = {
        "add": (lambda: x + constant, xs + c, np.ones(2)),
        "radd": (lambda: constant + x, c + xs, np.ones(2)),
        "sub": (lambda: x - constant, xs - c, np.ones(2)),
        "rsub": (lambda: constant - x, c - xs, -np.ones(2)),
        "mul": (lambda: x * constant, xs * c, c),
        "rmul": (lambda: constant * x, c * xs, c),
    }[operation]
    y = y()
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, expected.astype(np.float32))
    y.backward(np.ones(2, dtype=np.float32))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, gradient)


@pytest.mark.parametrize("constant", [[2, 4], np.array([2, 4])], ids=["int list", "int64 array"])
def test_float32_division_with_integer_constants_stays_float32(constant):
    """x / [2, 4] and [2, 4] / x for float32 x: float32 results with the right numbers and float32 gradients."""
    xs = np.array([1.0, -2.0], dtype=np.float32)
    x = Value(xs)
    y = x / constant
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, np.array([0.5, -0.5], dtype=np.float32))
    z = constant / x
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.data, np.array([2.0, -2.0], dtype=np.float32))
    (y + z).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 1 / np.array([2.0, 4.0]) - np.array([2.0, 4.0]) / xs.astype(float) ** 2,
                               rtol=1e-6)


@pytest.mark.parametrize("bounds", [([0, 0], [2, 2]), (np.array([0, 0]), None), (np.int64(0), None), (None, 2),
                                    (0.0, np.array([2.0], np.float32))],
                         ids=["lists", "integer-array", "numpy-integer", "int", "float32-array"])
def test_clip_keeps_float32_with_any_constant_bounds(bounds):
    """Bounds that are lists, integers or integer arrays take the Value's float type, as in every other
    operation, so a float32 Value stays float32, and so does its gradient."""
    x = Value(np.array([1.0, 5.0], np.float32))
    y = x.clip(*bounds)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(y.data, np.clip(x.data, *(None if b is None else np.asarray(b) for b in bounds)))


@pytest.mark.parametrize("number", [1.0, 3], ids=["float", "int"])
def test_stack_with_a_python_number_keeps_float32(number):
    """A Python number joins a float32 Value as float32 in stack, as it does in x + 1.0 (and in torch.stack);
    the number's row holds its value, and the Value's gradient is its row of g."""
    s = Value(np.float32(2.0))
    out = tg.stack([s, number])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [2.0, number])
    out.backward(np.array([5.0, 7.0], dtype=np.float32))
    assert s.grad.dtype == np.float32 and s.grad == 5.0


def test_logsumexp_over_an_empty_axis_keeps_float32():
    """The -inf that logsumexp gives over an empty axis is float32 for a float32 Value."""
    x = Value(np.zeros((2, 0), np.float32))
    out = x.logsumexp(axis=1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [-np.inf, -np.inf])


# ---------------------------------------------------------------------- integers and booleans


def test_forward_returning_integers_keeps_them_unless_a_gradient_is_needed():
    """A forward returning integers (or bools) gives an integer Value when no argument requires grad, and
    a TypeError naming the operation when one does (only floats carry gradients)."""
    count = Operation("count", lambda x: (x > 0).astype(np.int64), lambda g, x, out: g * 0)
    y = count(Value([-1.0, 2.0, 3.0], requires_grad=False))
    assert y.dtype == np.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.data, [0, 1, 1])
    with pytest.raises(TypeError, match="count.*int64.*requires grad"):
        count(Value([-1.0, 2.0, 3.0]))
    positive = Operation("positive", lambda x: x > 0, lambda g, x, out: g * 0)
    assert positive(Value([1.0], requires_grad=False)).dtype == np.bool_
    with no_grad():
        assert positive(Value([1.0])).dtype == np.bool_
