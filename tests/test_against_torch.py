"""Forward values and gradients equal PyTorch's, in float64, for every row of the table, at every kink, and
for clip's array bounds and division's exact numbers.

Skipped, with the reason printed, when torch is not installed.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import OPS, tensor

import tinygrad_edu as tg
from tinygrad_edu import Value

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")


def assert_same(ours, theirs):
    """Our array equals PyTorch's tensor to 1e-10 relative (infinities must match exactly)."""
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def leaf(a):
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=True)


def run_both(fn, torch_fn, arrays, upstream=None, **params):
    """Forward and backward in both libraries; return (ours: out, grads), (PyTorch: out, grads)."""
    values = [Value(a) for a in arrays]
    out = fn(*values, **params)
    u = np.ones(out.shape) if upstream is None else upstream
    out.backward(u)
    tensors = [leaf(a) for a in arrays]
    t_out = torch_fn(*tensors, **params)
    t_out.backward(tensor(u))
    return (out.data, [v.grad for v in values]), (t_out, [t.grad for t in tensors])


def assert_matches_torch(fn, torch_fn, arrays, upstream=None, **params):
    """The forward value and every gradient equal PyTorch's; returns our gradients for further checks."""
    (out, grads), (t_out, t_grads) = run_both(fn, torch_fn, arrays, upstream, **params)
    assert_same(out, t_out)
    for g, t_g in zip(grads, t_grads):
        assert_same(g, t_g)
    return grads


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_forward_and_gradients_match_pytorch(op, data):
    """op(x) and d sum(op(x) * u)/dx equal PyTorch's for random inputs x and upstream gradient u."""
    arrays, params = data.draw(op.case, label="inputs and constants")
    assert len(arrays) == op.arity
    out_shape = op.fn(*[Value(a) for a in arrays], **params).shape
    u = data.draw(op.upstream(out_shape), label="upstream gradient")
    assert_matches_torch(op.fn, op.torch_fn, arrays, u, **params)


def test_division_gradient_wrt_denominator_matches_torch():
    """For ordinary numbers and an upstream gradient, both gradients of a / b equal PyTorch's to 1e-15 (the table
    allows 1e-10)."""
    a_np, b_np, u = np.array([1.5, -2.0, 3.0]), np.array([0.5, 4.0, -0.25]), np.array([1.0, -0.5, 2.0])
    a, b = Value(a_np), Value(b_np)
    (a / b).backward(u)
    at, bt = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    (at / bt).backward(torch.tensor(u))
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-15)


# ---------------------------------------------------------------------- exactly at the kinks


def test_relu_at_zero():
    """relu'(0) = 0, as in PyTorch."""
    grads = assert_matches_torch(lambda x: x.relu(), torch.relu, [np.array([-1.0, 0.0, 2.0])])
    np.testing.assert_array_equal(grads[0], [0.0, 0.0, 1.0])


def test_abs_at_zero():
    """abs'(0) = 0, as in PyTorch."""
    grads = assert_matches_torch(lambda x: x.abs(), torch.abs, [np.array([-1.5, 0.0, 2.0])])
    np.testing.assert_array_equal(grads[0], [-1.0, 0.0, 1.0])


def test_clip_passes_the_gradient_on_its_bounds():
    """clip's derivative is 1 on the bounds themselves (x >= lo and x <= hi), 0 outside."""
    x = np.array([-2.0, -0.5, 0.0, 0.8, 1.0])
    grads = assert_matches_torch(lambda v: v.clip(-0.5, 0.8), lambda t: torch.clamp(t, -0.5, 0.8), [x])
    np.testing.assert_array_equal(grads[0], [0.0, 1.0, 1.0, 1.0, 0.0])
    grads = assert_matches_torch(lambda v: v.clip(min=-0.5), lambda t: torch.clamp(t, min=-0.5), [x])
    np.testing.assert_array_equal(grads[0], [0.0, 1.0, 1.0, 1.0, 1.0])
    grads = assert_matches_torch(lambda v: v.clip(max=0.8), lambda t: torch.clamp(t, max=0.8), [x])
    np.testing.assert_array_equal(grads[0], [1.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_with_broadcasting_array_bounds_gradient_matches_torch():
    """d/dx of clip with (3, 2) bounds on a (2,) x equals torch.clamp's with tensor bounds, bounds touched."""
    xs = np.array([0.5, -1.0])
    lo = np.array([[0.0, -2.0], [0.6, -0.5], [0.5, -1.0]])   # last row: x sits exactly on both bounds
    hi = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, -1.0]])
    upstream = np.array([[1.0, -2.0], [0.5, 3.0], [-0.25, 1.5]])
    x = Value(xs)
    x.clip(lo, hi).backward(upstream)
    xt = torch.tensor(xs, requires_grad=True)
    torch.clamp(xt, torch.tensor(lo), torch.tensor(hi)).backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=0, atol=0)
    assert x.grad.shape == (2,)


def test_clip_with_only_an_array_lower_bound_gradient_matches_torch():
    """clip(min=array) with min of shape (2, 3) and x of shape (3,): gradient as torch.clamp(min=...)."""
    xs = np.array([-1.0, 0.0, 2.0])
    lo = np.array([[0.0, 0.0, 0.0], [-2.0, 1.0, 2.0]])
    upstream = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = Value(xs)
    x.clip(lo, None).backward(upstream)
    xt = torch.tensor(xs, requires_grad=True)
    torch.clamp(xt, min=torch.tensor(lo)).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_maximum_and_minimum_split_ties_in_half():
    """At x == y, maximum and minimum give half of the gradient to each side, with broadcasting."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array(2.0)
    u = np.array([1.0, 10.0, 100.0])
    grads = assert_matches_torch(tg.maximum, torch.maximum, [x, y], u)
    np.testing.assert_array_equal(grads[0], [0.0, 5.0, 100.0])
    np.testing.assert_array_equal(grads[1], 1.0 + 5.0)
    grads = assert_matches_torch(tg.minimum, torch.minimum, [x, y], u)
    np.testing.assert_array_equal(grads[0], [1.0, 5.0, 0.0])
    np.testing.assert_array_equal(grads[1], 5.0 + 100.0)


def test_maximum_with_constant_zero_at_zero():
    """maximum(x, 0) at x = 0 gives x half the gradient (unlike relu, which gives 0)."""
    grads = assert_matches_torch(lambda v: tg.maximum(v, 0.0), lambda t: torch.maximum(t, tensor(0.0)),
                                 [np.array([-1.0, 0.0, 1.0])])
    np.testing.assert_array_equal(grads[0], [0.0, 0.5, 1.0])


def test_max_and_min_reductions_share_ties_equally():
    """Tied maxima (minima) share the gradient equally: full reductions, per axis, keepdims."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    grads = assert_matches_torch(lambda v: v.max(), lambda t: t.max(), [x], np.array(6.0))
    np.testing.assert_array_equal(grads[0], [[0.0, 3.0, 3.0], [0.0, 0.0, 0.0]])
    grads = assert_matches_torch(lambda v: v.max(axis=1), lambda t: torch.amax(t, dim=1), [x], np.array([2.0, 3.0]))
    np.testing.assert_array_equal(grads[0], [[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    grads = assert_matches_torch(lambda v: v.max(axis=0, keepdims=True), lambda t: torch.amax(t, dim=0, keepdim=True),
                                 [x], np.array([[1.0, 1.0, 1.0]]))
    np.testing.assert_array_equal(grads[0], [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    grads = assert_matches_torch(lambda v: v.min(), lambda t: t.min(), [x])
    np.testing.assert_array_equal(grads[0], [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    grads = assert_matches_torch(lambda v: v.min(axis=-1), lambda t: torch.amin(t, dim=-1), [x], np.array([1.0, 3.0]))
    np.testing.assert_array_equal(grads[0], [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def test_max_and_min_send_the_gradient_to_nan_elements():
    """Where the maximum is NaN, the gradient goes to the NaNs, as torch.max and torch.min do (sharing it
    between several NaNs), rather than becoming NaN everywhere; no warning."""
    nan = np.nan
    x = np.array([[1.0, nan, 2.0], [1.0, 3.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = assert_matches_torch(lambda v: v.max(), lambda t: t.max(), [x], np.array(4.0))
        np.testing.assert_array_equal(grads[0], [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
        grads = assert_matches_torch(lambda v: v.min(), lambda t: t.min(), [x], np.array(4.0))
        np.testing.assert_array_equal(grads[0], [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
        grads = assert_matches_torch(lambda v: v.max(axis=1), lambda t: t.max(dim=1).values, [x],
                                     np.array([2.0, 3.0]))
        np.testing.assert_array_equal(grads[0], [[0.0, 2.0, 0.0], [0.0, 3.0, 0.0]])
        two_nans = Value([nan, 0.0, nan])
        two_nans.max().backward()
        np.testing.assert_array_equal(two_nans.grad, [0.5, 0.0, 0.5])
        reference = torch.tensor([nan, 0.0, nan], requires_grad=True)
        reference.max().backward()
        np.testing.assert_array_equal(two_nans.grad, reference.grad.numpy())


INF = np.inf


@pytest.mark.parametrize("fn, torch_fn, x, upstream", [
    (lambda v: v.relu(), torch.relu, [-1.0, 0.0, 2.0], [INF, -INF, INF]),
    (lambda v: v.clip(0.0, None), lambda t: t.clamp(min=0.0), [-1e-17, 4.0], [INF, 1.0]),
    (lambda v: tg.maximum(v, 0.0), lambda t: torch.maximum(t, torch.zeros((), dtype=t.dtype)),
     [-1.0, 4.0], [INF, 1.0]),
    (lambda v: tg.minimum(v, 0.0), lambda t: torch.minimum(t, torch.zeros((), dtype=t.dtype)),
     [-1.0, 4.0], [1.0, INF]),
    (lambda v: tg.where(v.data > 0, v, 0.0), lambda t: torch.where(t > 0, t, 0.0), [-1.0, 2.0], [INF, 1.0]),
    (lambda v: v.max(), lambda t: t.max(), [1.0, 2.0], INF),
    (lambda v: v.max(axis=1), lambda t: t.max(dim=1).values, [[1.0, 2.0]], [INF]),
    (lambda v: v ** 0, lambda t: t ** 0, [0.0, -1.0], [INF, 1.0]),
], ids=["relu", "clip", "maximum", "minimum", "where", "max", "max-axis", "pow-0"])
def test_an_infinite_gradient_does_not_leak_where_it_is_blocked(fn, torch_fn, x, upstream):
    """Where an operation passes no gradient, an infinite upstream gradient gives 0, as in PyTorch, not
    inf * 0 = NaN (as sqrt(relu(x)) at x <= 0 would send back); no warning either."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = assert_matches_torch(fn, torch_fn, [np.array(x)], np.array(upstream))
    assert not np.isnan(grads[0]).any()


def test_an_infinite_gradient_after_clamping_before_a_square_root():
    """The common case behind the test above: a distance clamped at 0 before its square root (whose
    derivative at 0 is inf, with numpy's divide warning)."""
    with np.errstate(divide="ignore"):
        assert_matches_torch(lambda v: v.clip(0.0, None).sqrt().sum(), lambda t: t.clamp(min=0.0).sqrt().sum(),
                             [np.array([-1e-17, 0.0, 4.0])])


def test_maximum_minimum_and_relu_pass_the_gradient_to_nans():
    """Where an argument is NaN, maximum and minimum pass the whole gradient to both arguments, and relu
    passes it on, as PyTorch does (ties still share it in half); abs passes none."""
    nan = np.nan
    a, b = np.array([nan, 1.0, 2.0, nan, 3.0]), np.array([1.0, nan, 2.0, nan, 0.0])
    for ours, theirs in ((tg.maximum, torch.maximum), (tg.minimum, torch.minimum)):
        grads = assert_matches_torch(ours, theirs, [a, b])
        np.testing.assert_array_equal(grads[0][:4], [1.0, 1.0, 0.5, 1.0])
    grads = assert_matches_torch(lambda v: v.relu(), torch.relu, [np.array([nan, -1.0, 1.0])])
    np.testing.assert_array_equal(grads[0], [1.0, 0.0, 1.0])
    grads = assert_matches_torch(lambda v: v.abs(), torch.abs, [np.array([nan, -2.0, 0.0, 3.0])])
    np.testing.assert_array_equal(grads[0], [0.0, -1.0, 0.0, 1.0])  # sign(NaN) is 0 in PyTorch


def test_power_zero_has_derivative_zero_everywhere():
    """d/dx x**0 = 0, even at x = 0 where 0 * x**-1 would be nan."""
    grads = assert_matches_torch(lambda v: v ** 0, lambda t: t ** 0, [np.array([-1.0, 0.0, 2.0])])
    np.testing.assert_array_equal(grads[0], [0.0, 0.0, 0.0])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_power_derivatives_at_zero_base():
    """At x = 0: d/dx x**p is 0 for p = 0 and p = 2, and d/dp x**p = 0 for p >= 0.

    (numpy's warnings on the way are test_semantics.py's business.)
    """
    x, p = np.array([0.0, 0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.5, 0.0])
    grads = assert_matches_torch(lambda a, b: a ** b, lambda a, b: a ** b, [x[:2], p[:2]])
    np.testing.assert_array_equal(grads[0], [0.0, 0.0])
    np.testing.assert_array_equal(grads[1], [0.0, 0.0])
    grads = assert_matches_torch(lambda a, b: a ** b, lambda a, b: a ** b, [x, p])
    np.testing.assert_array_equal(grads[0], [0.0, 0.0, np.inf, 0.0])  # 0.5 * 0**-0.5 = inf, as in PyTorch
    np.testing.assert_array_equal(grads[1], [0.0, 0.0, 0.0, np.log(2.0)])
    grads = assert_matches_torch(lambda a: a ** p, lambda a: a ** tensor(p), [x])  # a constant exponent array
    np.testing.assert_array_equal(grads[0], [0.0, 0.0, np.inf, 0.0])


def test_mixed_second_derivative_of_power_at_zero_exponent():
    """At p = 0 the rule d/dx x**p = 0 makes d/dp(d/dx) 0 while d/dx(d/dp) = 1/x: the same as PyTorch."""
    x, p = Value(1.5), Value(0.0)
    (dx,) = tg.grad(x ** p, x, create_graph=True)
    (dy,) = tg.grad(x ** p, p, create_graph=True)
    tx, tp = leaf(1.5), leaf(0.0)
    (t_dx,) = torch.autograd.grad(tx ** tp, tx, create_graph=True)
    (t_dy,) = torch.autograd.grad(tx ** tp, tp, create_graph=True)
    assert_same(tg.grad(dx, p)[0].data, torch.autograd.grad(t_dx, tp)[0])
    assert_same(tg.grad(dy, x)[0].data, torch.autograd.grad(t_dy, tx)[0])
    np.testing.assert_allclose(tg.grad(dy, x)[0].data, 1 / 1.5, rtol=1e-15)


def test_sqrt_at_zero_is_infinite():
    """d/dx sqrt(x) at 0 is +inf, as in PyTorch."""
    with np.errstate(divide="ignore"):
        grads = assert_matches_torch(lambda v: v.sqrt(), torch.sqrt, [np.array([0.0, 4.0])])
    np.testing.assert_array_equal(grads[0], [np.inf, 0.25])


def test_softmax_and_logsumexp_with_ties_and_large_values():
    """Equal and very large inputs: softmax, log_softmax and logsumexp agree with PyTorch."""
    x = np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]])
    u = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]])
    assert_matches_torch(lambda v: v.softmax(), lambda t: torch.softmax(t, dim=-1), [x], u)
    assert_matches_torch(lambda v: v.log_softmax(), lambda t: torch.log_softmax(t, dim=-1), [x], u)
    assert_matches_torch(lambda v: v.logsumexp(axis=1), lambda t: torch.logsumexp(t, dim=1), [x], u[:, 0])


@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((2, 0), -1), ((0, 3), 0), ((0, 3), 1), ((0,), 0), ((2, 0), 0)])
@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_logsumexp_and_softmax_over_empty_axes(shape, axis, name):
    """Over an empty axis a sum is 0: logsumexp is -inf, the softmaxes are empty, and the gradient is
    empty, as in PyTorch, without a warning (max and min over an empty axis stay errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches_torch(lambda v: getattr(v, name)(axis=axis), lambda t: getattr(t, name)(axis),
                             [np.zeros(shape)])
    if shape[axis] == 0:
        for reduction in ("max", "min"):
            with pytest.raises(ValueError, match=f"^{reduction}: axis .* is empty, and an empty slice has no largest"):
                getattr(Value(np.zeros(shape)), reduction)(axis=axis)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_of_a_large_array_matches_torch_and_gradcheck(dtype):
    """From 128 elements on sigmoid takes its other formula: value and gradient (with a random upstream
    gradient) still equal PyTorch's, in both dtypes, and the float64 gradient passes gradcheck."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((13, 12)) * 20).astype(dtype)  # 156 elements, tails included
    u = rng.standard_normal((13, 12)).astype(dtype)
    if dtype == np.float64:
        assert_matches_torch(lambda v: v.sigmoid(), torch.sigmoid, [x], u)
        assert tg.gradcheck(lambda v: v.sigmoid(), [Value(rng.standard_normal(130))])
        return
    ours, theirs = Value(x), torch.tensor(x, requires_grad=True)  # float32: to a few ulps of float32
    out, t_out = ours.sigmoid(), torch.sigmoid(theirs)
    out.backward(u)
    t_out.backward(torch.tensor(u))
    assert out.dtype == np.float32 and ours.grad.dtype == np.float32
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-6, atol=1e-37)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-37)


def test_transpose_with_a_0d_array_names_itself():
    """An array of axes that is 0-d is not an order of axes: the error names transpose."""
    with pytest.raises(TypeError, match="^transpose: an axis must be an integer"):
        Value([1.0, 2.0]).transpose(np.array(0))
