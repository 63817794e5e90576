"""pow and logsumexp on edge inputs (0, -0.0, +-inf, nan, subnormals, 1e308, empty and 0-d arrays,
broadcasting), forward and gradient, against PyTorch: where each is NaN or infinite must match exactly,
finite values to a tolerance."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import broadcastable_shapes

import tinygrad_edu as tg
from tinygrad_edu import Value

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")

EDGES = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-308, 1e308,
         -1e308, 3.0, 1e-5, 800.0, -800.0]


def edge_arrays(shape):
    """float64 arrays of ``shape`` made of edge numbers and a few ordinary ones."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from(EDGES) | st.floats(-4, 4))


def same_pattern(ours, theirs, what):
    """NaN and infinities at the same places (with the same signs); finite numbers to 1e-9 relative."""
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, what
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN pattern")
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(theirs), err_msg=f"{what}: +inf pattern")
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(theirs), err_msg=f"{what}: -inf pattern")
    finite = np.isfinite(ours) & np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-9, atol=1e-300, err_msg=what)


@given(data=st.data())
def test_pow_of_two_values_on_edge_inputs_matches_pytorch(data):
    sx, sp = data.draw(broadcastable_shapes(2))
    x, p = data.draw(edge_arrays(sx)), data.draw(edge_arrays(sp))
    out_shape = np.broadcast_shapes(sx, sp)
    g = data.draw(edge_arrays(out_shape).filter(lambda a: np.isfinite(a).all()), label="upstream")
    ours_x, ours_p = Value(x), Value(p)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = ours_x ** ours_p
        out.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    tp = torch.tensor(p, requires_grad=True)
    t_out = tx ** tp
    t_out.backward(torch.tensor(g))
    same_pattern(out.data, t_out, "x ** p")
    same_pattern(ours_x.grad, tx.grad, "d/dx")
    same_pattern(ours_p.grad, tp.grad, "d/dp")


@pytest.mark.parametrize("x, p, g", [
    ([0.5], 1e308, [2.0]),            # (g * p) would overflow: g * (p * x**(p - 1)) = 0
    ([2.0, 2.0], [3.0, -1e308], [1.0, 1.0]),
    ([0.0, -1.0, np.nan], 1e-308, [1.0, 1.0, 1.0]),
])
def test_pow_with_huge_or_tiny_exponents_matches_pytorch(x, p, g):
    for dtype, torch_dtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        ours = Value(np.array(x, dtype=dtype))
        exponent = Value(np.array(p, dtype=dtype)) if isinstance(p, list) else p
        with np.errstate(all="ignore"):
            out = ours ** exponent
            out.backward(np.array(g, dtype=dtype))
        tx = torch.tensor(x, dtype=torch_dtype, requires_grad=True)
        t_exponent = torch.tensor(p, dtype=torch_dtype) if isinstance(p, list) else p
        t_out = tx ** t_exponent
        t_out.backward(torch.tensor(g, dtype=torch_dtype))
        assert out.dtype == dtype
        same_pattern(out.data.astype(np.float64), t_out.double(), f"x ** p in {dtype.__name__}")
        same_pattern(ours.grad.astype(np.float64), tx.grad.double(), f"d/dx in {dtype.__name__}")


@given(data=st.data())
def test_logsumexp_on_edge_inputs_matches_pytorch(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    x = data.draw(edge_arrays(shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    ours = Value(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = ours.logsumexp(axis=axis, keepdims=keepdims)
        out.backward(np.ones(out.shape))
    tx = torch.tensor(x, requires_grad=True)
    t_out = torch.logsumexp(tx, dim=axis, keepdim=keepdims)
    t_out.backward(torch.ones(t_out.shape, dtype=torch.float64))
    same_pattern(out.data, t_out, "logsumexp")
    same_pattern(ours.grad, tx.grad, "d logsumexp/dx")


def test_logsumexp_gradient_with_an_infinite_entry_matches_pytorch():
    """x = [inf, 800, 1]: PyTorch's gradient is [nan, 0, 0] (ours was [nan, nan, 0])."""
    x = Value([np.inf, 800.0, 1.0])
    with np.errstate(all="ignore"):
        x.logsumexp().backward()
    tx = torch.tensor([np.inf, 800.0, 1.0], requires_grad=True)
    torch.logsumexp(tx, 0).backward()
    same_pattern(x.grad, tx.grad, "gradient")
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.0


def test_logsumexp_of_a_0d_value():
    x = Value(2.5)
    out = x.logsumexp()
    out.backward()
    assert out.item() == 2.5 and x.grad.item() == 1.0
    assert tg.tensor(2.5).logsumexp(dim=0).item() == 2.5
