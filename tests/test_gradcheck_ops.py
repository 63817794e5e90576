"""Derivatives against finite differences: every operation of the table, random compositions, higher orders.

Every check pushes the backward pass through a random upstream gradient u
(the loss is sum(op(x) * u), or u is the grad_outputs of the second-order
check), so a rule that drops or mishandles its incoming gradient fails.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import OPS
from strategies import arrays, away_from_zero, broadcastable_shapes, positive, reals, shapes, upstream_gradients

import tinygrad_edu as tg
from tinygrad_edu import Value, gradcheck, gradgradcheck


def draw_inputs(data, op):
    """Draw op's input arrays and constants, the Values made from them, and an upstream gradient."""
    arrays_, params = data.draw(op.case, label="inputs and constants")
    assert len(arrays_) == op.arity
    values = [Value(a) for a in arrays_]
    u = data.draw(op.upstream(op.fn(*values, **params).shape), label="upstream gradient")
    return values, params, u


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_first_derivatives_match_finite_differences(op, data):
    """gradcheck of sum(op(x) * u): the backward pass agrees with central differences."""
    values, params, u = draw_inputs(data, op)
    assert gradcheck(lambda *vs: (op.fn(*vs, **params) * u).sum(), values, eps=op.eps)


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(op, data):
    """gradgradcheck of op with upstream gradient u: derivatives built with create_graph are right."""
    values, params, u = draw_inputs(data, op)
    assert gradgradcheck(lambda *vs: op.fn(*vs, **params), values, grad_outputs=[Value(u)], eps=op.eps)


# ---------------------------------------------------------------------- random compositions

# Steps that stay finite and smooth on any real input, so any sequence of them can be checked.
UNARY_STEPS = {
    "identity": lambda v: v,
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "exp_of_tanh": lambda v: v.tanh().exp(),
    "square": lambda v: v ** 2,
    "scale_and_shift": lambda v: 0.5 * v - 0.25,
    "one_over_one_plus_square": lambda v: 1 / (1 + v * v),
    "sqrt_of_one_plus_square": lambda v: (1 + v * v).sqrt(),
    "log_of_one_plus_square": lambda v: (v * v + 1).log(),
    "softmax": lambda v: v.softmax() if v.ndim else v,
    "reversed_by_index": lambda v: v[::-1] if v.ndim else v,
}
BINARY_STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_by_one_plus_square": lambda a, b: a / (1 + b * b),
    # The exponent stays in (0.5, 1.5): at exponent 0 exactly, d/dx x**p = 0 is a kink (as in PyTorch).
    "pow_of_positive": lambda a, b: (1 + a * a) ** (0.5 * b.tanh() + 1),
}
FINAL_STEPS = {
    "none": lambda v: v,
    "sum": lambda v: v.sum(),
    "mean_first_axis": lambda v: v.mean(axis=0) if v.ndim else v,
    "logsumexp": lambda v: v.logsumexp(),
}


@st.composite
def expressions(draw):
    """Inputs with broadcastable shapes, and a plan: start from input 0, then steps (unary, binary, input)."""
    input_shapes = draw(broadcastable_shapes(draw(st.integers(1, 3))))
    inputs = [draw(arrays(s, reals(-1.5, 1.5))) for s in input_shapes]
    steps = draw(st.lists(st.tuples(st.sampled_from(list(UNARY_STEPS)), st.sampled_from(list(BINARY_STEPS)),
                                    st.integers(0, len(inputs) - 1)), min_size=1, max_size=4))
    final = (draw(st.sampled_from(list(UNARY_STEPS))), draw(st.sampled_from(list(FINAL_STEPS))))
    return inputs, steps, final


def evaluate(steps, final, values):
    """Run a plan: result = binary(result, unary(values[i])) for each step, then the final steps."""
    result = values[0]
    for unary, binary, i in steps:
        result = BINARY_STEPS[binary](result, UNARY_STEPS[unary](values[i]))  # an input may be used many times
    unary, reduction = final
    return FINAL_STEPS[reduction](UNARY_STEPS[unary](result))


@given(expression=expressions(), data=st.data())
def test_random_compositions_match_finite_differences(expression, data):
    """A random chain of unary and broadcasting binary operations, with inputs reused, passes gradcheck."""
    inputs, steps, final = expression
    values = [Value(a) for a in inputs]
    u = data.draw(upstream_gradients(evaluate(steps, final, values).shape), label="upstream gradient")
    assert gradcheck(lambda *vs: (evaluate(steps, final, vs) * u).sum(), values)


@given(expression=expressions())
def test_random_compositions_second_derivatives(expression):
    """The same random chains pass gradgradcheck (upstream gradients drawn by gradgradcheck's seed)."""
    inputs, steps, final = expression
    assert gradgradcheck(lambda *vs: evaluate(steps, final, vs), [Value(a) for a in inputs])


# ---------------------------------------------------------------------- higher derivatives with known values


def nth_derivative(f, x, n):
    """d^n/dx^n of an elementwise f at every element of x, by n calls of grad(create_graph=True)."""
    d = f(x)
    for _ in range(n):
        (d,) = tg.grad(d.sum(), x, create_graph=True)
    return d.data


@given(x=arrays(shapes(0, 2), reals(-2, 2)))
def test_third_derivative_of_x_to_the_fourth_is_24x(x):
    """d/dx x^4 = 4x^3, d2 = 12x^2, d3 = 24x, d4 = 24."""
    v = Value(x)
    np.testing.assert_allclose(nth_derivative(lambda t: t ** 4, v, 1), 4 * x ** 3, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nth_derivative(lambda t: t ** 4, v, 2), 12 * x ** 2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nth_derivative(lambda t: t ** 4, v, 3), 24 * x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nth_derivative(lambda t: t ** 4, v, 4), np.full(x.shape, 24.0), rtol=1e-12)


@given(x=arrays(shapes(0, 2), reals(-3, 3)))
def test_every_derivative_of_exp_is_exp(x):
    """d^n/dx^n exp(x) = exp(x) for n = 1..4."""
    for n in range(1, 5):
        np.testing.assert_allclose(nth_derivative(lambda t: t.exp(), Value(x), n), np.exp(x), rtol=1e-12)


@given(x=arrays(shapes(0, 2), positive()))
def test_third_derivative_of_log(x):
    """log' = 1/x, log'' = -1/x^2, log''' = 2/x^3."""
    np.testing.assert_allclose(nth_derivative(lambda t: t.log(), Value(x), 2), -1 / x ** 2, rtol=1e-12)
    np.testing.assert_allclose(nth_derivative(lambda t: t.log(), Value(x), 3), 2 / x ** 3, rtol=1e-12)


@given(x=arrays(shapes(0, 2), reals(-4, 4)))
def test_second_derivatives_of_sigmoid_and_tanh(x):
    """sigmoid'' = s(1 - s)(1 - 2s) and tanh'' = -2 t (1 - t^2)."""
    s, t = 1 / (1 + np.exp(-x)), np.tanh(x)
    np.testing.assert_allclose(nth_derivative(lambda v: v.sigmoid(), Value(x), 2), s * (1 - s) * (1 - 2 * s),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(nth_derivative(lambda v: v.tanh(), Value(x), 2), -2 * t * (1 - t ** 2),
                               rtol=1e-10, atol=1e-14)


@given(data=st.data(), n=st.integers(1, 4))
def test_hessian_vector_product_of_quadratic_form(data, n):
    """For f(x) = x^T A x, the gradient is (A + A^T) x and the Hessian-vector product is (A + A^T) v."""
    a = data.draw(arrays((n, n)), label="A")
    x = data.draw(arrays((n,)), label="x")
    v = data.draw(arrays((n,)), label="v")
    xv = Value(x)
    (g,) = tg.grad(xv @ (a @ xv), xv, create_graph=True)
    np.testing.assert_allclose(g.data, (a + a.T) @ x, rtol=1e-12, atol=1e-12)
    (hvp,) = tg.grad((g * v).sum(), xv)
    np.testing.assert_allclose(hvp.data, (a + a.T) @ v, rtol=1e-12, atol=1e-12)
    (hvp_seeded,) = tg.grad(g, xv, grad_outputs=Value(v))  # the same product, with v as the upstream gradient
    np.testing.assert_allclose(hvp_seeded.data, (a + a.T) @ v, rtol=1e-12, atol=1e-12)


@given(data=st.data(), m=st.integers(1, 4), n=st.integers(1, 4))
def test_hessian_of_squared_norm_of_linear_map(data, m, n):
    """f(x) = |W x|^2 has Hessian 2 W^T W; row i is the gradient of df/dx_i."""
    w = data.draw(arrays((m, n)), label="W")
    xv = Value(data.draw(arrays((n,)), label="x"))
    (g,) = tg.grad(((w @ xv) ** 2).sum(), xv, create_graph=True)
    hessian = np.stack([tg.grad(g[i], xv)[0].data for i in range(n)])
    np.testing.assert_allclose(hessian, 2 * w.T @ w, rtol=1e-12, atol=1e-12)


@given(x=arrays((4,), reals(-3, 3)))
def test_hessian_of_logsumexp_is_diag_p_minus_p_p_transpose(x):
    """With p = softmax(x): d logsumexp/dx = p, and its Hessian is diag(p) - p p^T."""
    xv = Value(x)
    p = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    (g,) = tg.grad(xv.logsumexp(), xv, create_graph=True)
    np.testing.assert_allclose(g.data, p, rtol=1e-12)
    hessian = np.stack([tg.grad(g[i], xv)[0].data for i in range(4)])
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)


@given(x=positive(0.2, 3), y=away_from_zero(0.05, 2))
def test_mixed_partial_of_power(x, y):
    """d2(x^y)/dx dy = x^(y-1) (1 + y log x), whichever variable goes first (y = 0 is PyTorch's kink)."""
    xv, yv = Value(x), Value(y)
    (dx,) = tg.grad(xv ** yv, xv, create_graph=True)
    (dxdy,) = tg.grad(dx, yv)
    (dy,) = tg.grad(xv ** yv, yv, create_graph=True)
    (dydx,) = tg.grad(dy, xv)
    expected = x ** (y - 1) * (1 + y * np.log(x))
    np.testing.assert_allclose(dxdy.data, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dydx.data, expected, rtol=1e-12, atol=1e-14)
