"""Second derivatives (gradgradcheck, float64) through the Linear operations and every loss.

The first derivatives of these are checked in test_nn_gradcheck.py; here the
rules are differentiated again, as ``grad(..., create_graph=True)`` does for a
Hessian-vector product. Shapes are small and examples few: gradgradcheck runs
a gradcheck of a whole backward pass.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_strategies import arrays, batch_shapes, class_problems, features, probabilities

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, ops

EXAMPLES = 10
REDUCTIONS = ("mean", "sum", "none")


@st.composite
def linear_arrays(draw):
    """(x, w, b): x of shape (..., in), w (out, in), b (out,), all float64 in [-2, 2]."""
    n_in, n_out = draw(features), draw(features)
    x = draw(arrays(draw(batch_shapes()) + (n_in,)))
    return x, draw(arrays((n_out, n_in))), draw(arrays((n_out,)))


@settings(max_examples=EXAMPLES)
@given(linear_arrays())
def test_linear_gradgradcheck(xwb):
    """ops.linear's second derivatives through x, w and b (the rules use w, x and g, so cross terms matter)."""
    x, w, b = (Value(a) for a in xwb)
    assert tg.gradgradcheck(ops.linear, (x, w, b))


@settings(max_examples=EXAMPLES)
@given(linear_arrays())
def test_linear_without_bias_gradgradcheck(xwb):
    """ops.linear_without_bias's second derivatives through x and w."""
    x, w, _ = (Value(a) for a in xwb)
    assert tg.gradgradcheck(ops.linear_without_bias, (x, w))


# Each elementwise loss with the inputs it is differentiable on: (loss, prediction strategy, target strategy).
# Binary cross entropy keeps both probabilities and targets in (0.05, 0.95): finite differences move
# them by eps, and a value outside [0, 1] is rightly an error.
ELEMENTWISE_LOSSES = [
    (nn.mse_loss, arrays, arrays),
    (nn.binary_cross_entropy, probabilities, probabilities),
    (nn.binary_cross_entropy_with_logits, lambda shape: arrays(shape, st.floats(-4, 4)),
     lambda shape: arrays(shape, st.floats(0.05, 0.95))),
]


@pytest.mark.parametrize("loss, predictions, targets", ELEMENTWISE_LOSSES,
                         ids=[loss.__name__ for loss, _, _ in ELEMENTWISE_LOSSES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_elementwise_loss_gradgradcheck(loss, predictions, targets, reduction, data):
    """MSE and both binary cross entropies: second derivatives w.r.t. prediction and target, every reduction."""
    shape = data.draw(batch_shapes(3))
    p, t = Value(data.draw(predictions(shape))), Value(data.draw(targets(shape)))
    assert tg.gradgradcheck(lambda p, t: loss(p, t, reduction), (p, t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=EXAMPLES)
@given(problem=class_problems())
def test_cross_entropy_gradgradcheck(problem, reduction):
    """cross_entropy on (N, C) or (C,) logits: second derivatives w.r.t. the logits, every reduction."""
    logits, classes = problem
    assert tg.gradgradcheck(lambda z: nn.cross_entropy(z, classes, reduction), Value(logits))


# ---------------------------------------------------------------------- known values, so a check that
# passes vacuously (zero second derivatives on both sides) would still be caught


def test_mse_hessian_is_twice_the_identity_over_n():
    """d2/dp2 of mean((p - t)**2) is 2/n on the diagonal: a Hessian-vector product gives 2 v / n."""
    p, t = Value([0.5, -1.0, 2.0]), np.array([0.0, 1.0, 1.0])
    (g,) = tg.grad(nn.mse_loss(p, t), p, create_graph=True)
    v = np.array([1.0, -2.0, 3.0])
    (hv,) = tg.grad((g * v).sum(), p)
    np.testing.assert_allclose(hv.data, 2 * v / 3, rtol=1e-12)


def test_bce_with_logits_hessian_is_sigmoid_derivative():
    """d2/dx2 of sum(bce_with_logits(x, t)) is s (1 - s) with s = sigmoid(x), whatever t is."""
    xs = np.array([-1.5, 0.0, 2.0])
    x = Value(xs)
    (g,) = tg.grad(nn.binary_cross_entropy_with_logits(x, np.array([0.0, 0.3, 1.0]), "sum"), x,
                   create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(h.data, s * (1 - s), rtol=1e-12)


def test_cross_entropy_hessian_matches_softmax_covariance():
    """For one example the Hessian of cross entropy w.r.t. the logits is diag(p) - p p^T, p = softmax(z)."""
    zs = np.array([0.3, -1.0, 2.0])
    z = Value(zs)
    (g,) = tg.grad(nn.cross_entropy(z, np.array(1)), z, create_graph=True)
    p = np.exp(zs - zs.max())
    p /= p.sum()
    hessian = np.diag(p) - np.outer(p, p)
    for i in range(3):
        (row,) = tg.grad(g[i], z)
        np.testing.assert_allclose(row.data, hessian[i], rtol=1e-10, atol=1e-14)


def test_linear_mixed_second_derivative():
    """d/dw of (d/dx sum(linear(x, w, b) * u)) = d/dw sum(u @ w) = u summed over the batch, per column."""
    x = Value(np.array([[1.0, 2.0], [3.0, -1.0]]))
    w = Value(np.array([[0.5, -0.5], [1.0, 2.0], [0.0, 1.0]]))
    b = Value(np.zeros(3))
    u = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    (gx,) = tg.grad(ops.linear(x, w, b), x, u, create_graph=True)  # gx = u @ w
    np.testing.assert_allclose(gx.data, u @ w.data)
    (gw,) = tg.grad(gx.sum(), w)  # d/dw_kj sum_n,j (u @ w)_nj = sum_n u_nk
    np.testing.assert_allclose(gw.data, np.repeat(u.sum(axis=0)[:, None], 2, axis=1))
