"""The behaviours asked for in the review: one section per item, each test checking real values."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import no_grad, Operation, Value, nn, optim
from helpers import raises, unchanged


def needs_torch():
    """torch, or a skip of the calling test when it is not installed."""
    return pytest.importorskip("torch", reason="the comparison with PyTorch needs torch installed")


# ---------------------------------------------------------------------- 1. == and != give masks


# ---------------------------------------------------------------------- 2. np.array(value)


# ---------------------------------------------------------------------- 3. clip with array bounds


def test_clip_with_broadcasting_array_bounds_forward():
    """x of shape (2,) clipped to bounds of shape (3, 2): the result is np.clip's, of shape (3, 2)."""
    x = Value([0.5, -1.0])
    lo = np.array([[0.0, -2.0], [0.6, -0.5], [-1.0, -1.0]])
    hi = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, -1.0]])
    y = x.clip(lo, hi)
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo, hi))
    np.testing.assert_array_equal(x.clip(lo[0], None).data, np.clip(x.data, lo[0], None))


# ---------------------------------------------------------------------- 4. division without overflow


@pytest.mark.parametrize("a, b, expected", [
    (1e300, 1e200, -1e-100),   # b * b would overflow to inf
    (1e-300, 1e-200, -1e100),  # b * b would underflow to 0
])
def test_division_gradient_wrt_denominator_does_not_overflow_float64(a, b, expected):
    """d(a/b)/db = -(a/b)/b stays finite and accurate where a / b**2 would not; d/da = 1/b."""
    va, vb = Value(a), Value(b)
    (va / vb).backward()
    assert np.isfinite(vb.grad)
    np.testing.assert_allclose(vb.grad, expected, rtol=1e-12)
    np.testing.assert_allclose(va.grad, 1 / b, rtol=1e-12)


def test_division_gradient_wrt_denominator_float32():
    """float32 a = b = 1e20: b**2 overflows float32, yet d/db = -1e-20 comes out finite, in float32."""
    va = Value(np.array(1e20, dtype=np.float32))
    vb = Value(np.array(1e20, dtype=np.float32))
    (va / vb).backward()
    assert vb.grad.dtype == np.float32
    assert np.isfinite(vb.grad)
    np.testing.assert_allclose(vb.grad, -1e-20, rtol=1e-5)


# ---------------------------------------------------------------------- 5. float32 stays float32


# ---------------------------------------------------------------------- 6. optimizer state


# ---------------------------------------------------------------------- 7. forward errors keep their cause


# ---------------------------------------------------------------------- 8. minimum, min


def test_minimum_accepts_lists():
    """minimum(Value, list) works as maximum does: elementwise smaller, gradient to the smaller side."""
    a = Value([1.0, 3.0])
    y = tg.minimum(a, [2.0, 2.0])
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    y.backward(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(a.grad, [5.0, 0.0])
    np.testing.assert_array_equal(tg.minimum(Value([1.0]), [2.0]).data, [1.0])
    np.testing.assert_array_equal(tg.minimum([0.0, 4.0], Value([1.0, 2.0])).data, [0.0, 2.0])


# ---------------------------------------------------------------------- 9. empty batches


def test_max_over_a_nonempty_axis_of_an_empty_batch():
    """max(axis=1) of a (0, 3) Value is an empty (0,) Value, as in numpy; keepdims gives (0, 1)."""
    x = Value(np.zeros((0, 3)))
    assert x.max(axis=1).shape == (0,)
    assert x.max(axis=1, keepdims=True).shape == (0, 1)
    assert x.min(axis=1).shape == (0,)


# ---------------------------------------------------------------------- 10. custom Operation misuse


# ---------------------------------------------------------------------- 11. optimizers refuse bad arguments


# ---------------------------------------------------------------------- 12. format


# ---------------------------------------------------------------------- 13. axes


def test_integer_axes_still_work():
    """numpy integers are fine axes: sum(axis=np.int64(1)) sums the rows."""
    np.testing.assert_array_equal(Value(np.ones((2, 3))).sum(axis=np.int64(1)).data, [3.0, 3.0])


def test_broadcast_to_an_int_shape():
    """broadcast_to(3) of a (3,) Value has shape (3,), as numpy; broadcast_to(3) of a 0-d gives three copies."""
    y = Value([1.0, 2.0, 3.0]).broadcast_to(3)
    assert y.shape == (3,)
    np.testing.assert_array_equal(y.data, np.broadcast_to(np.array([1.0, 2.0, 3.0]), 3))
    x = Value(2.0)
    z = x.broadcast_to(3)
    np.testing.assert_array_equal(z.data, [2.0, 2.0, 2.0])
    z.backward(np.array([1.0, 2.0, 3.0]))
    assert x.grad == 6.0


# ---------------------------------------------------------------------- 14. Module.load_state_dict, ragged


# ---------------------------------------------------------------------- 15. grad of a non-Value


# ---------------------------------------------------------------------- 16. numpy bools for requires_grad


def test_requires_grad_accepts_numpy_bools():
    """requires_grad=np.bool_(True) makes a Value that gets a gradient; np.bool_(False) one that does not."""
    v = Value(1.0, requires_grad=np.bool_(True))
    assert v.requires_grad
    (v * 3).backward()
    assert v.grad == 3.0
    c = Value(1.0, requires_grad=np.bool_(False))
    assert not c.requires_grad
    assert not (c * 3).requires_grad


# ---------------------------------------------------------------------- 17. leaf gradients are their own arrays


def graph_values(root):
    """Every Value in root's graph (root included), found without recursion."""
    seen, stack = {}, [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(x for x in v.inputs if isinstance(x, Value))
    return list(seen.values())


def assert_leaf_grads_are_their_own(root, upstream):
    """No leaf's .grad shares memory with any other Value's .grad, nor with the upstream array passed in."""
    values = graph_values(root)
    leaves = [v for v in values if v.op is None and v.requires_grad]
    assert leaves
    for leaf in leaves:
        assert leaf.grad is not None
        if upstream is not None:
            assert not np.shares_memory(leaf.grad, upstream)
        for other in values:
            if other is not leaf and other.grad is not None:
                assert not np.shares_memory(leaf.grad, other.grad), (leaf, other)


@pytest.mark.parametrize("case", ["add", "reshape", "T", "broadcast_to", "broadcast_to same shape",
                                  "getitem all", "add scalar root", "sum over a length-1 axis",
                                  "sum of one element"])
def test_leaf_gradients_share_no_memory(case):
    """For each small graph, after backward every leaf's grad is an array of its own."""
    a, b = Value(np.arange(6.0).reshape(2, 3)), Value(np.ones((2, 3)))
    root, upstream = {
        "add": lambda: (a + b, np.full((2, 3), 2.0)),
        "reshape": lambda: (a.reshape(3, 2), np.arange(6.0).reshape(3, 2)),
        "T": lambda: (a.T, np.arange(6.0).reshape(3, 2)),
        "broadcast_to": lambda: (Value([1.0, 2.0, 3.0]).broadcast_to((2, 3)), np.ones((2, 3))),
        "broadcast_to same shape": lambda: (a.broadcast_to((2, 3)), np.ones((2, 3))),
        "getitem all": lambda: (a[...], np.ones((2, 3))),
        "add scalar root": lambda: (Value(1.0) + Value(2.0), None),
        "sum over a length-1 axis": lambda: (Value([[1.0, 2.0, 3.0]]).sum(axis=0), np.array([1.0, 2.0, 3.0])),
        "sum of one element": lambda: (Value([[5.0]]).sum(), None),
    }[case]()
    root.backward(upstream)
    assert_leaf_grads_are_their_own(root, upstream)


def test_leaf_root_gradient_is_its_own_array():
    """x.backward(g) on a leaf x: x.grad equals g but is a copy, so editing g later changes nothing."""
    x = Value([1.0, 2.0])
    g = np.array([3.0, 4.0])
    x.backward(g)
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert not np.shares_memory(x.grad, g)
    g[0] = 100.0
    assert x.grad[0] == 3.0
    s = Value(2.0)
    s.backward()
    assert s.grad == 1.0


def test_leaf_grad_edited_in_place_changes_no_other_grad():
    """Editing a.grad in place (as an optimizer may) leaves b.grad and c.grad as they were."""
    a, b = Value([1.0, 2.0]), Value([3.0, 4.0])
    c = a + b
    c.backward(np.array([1.0, 1.0]))
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])


def test_clip_takes_min_and_max_by_name():
    """clip(min=..., max=...), the names torch.clip and numpy's clip use."""
    x = Value([-1.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clip(min=0.0).data, [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clip(max=1.0).data, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.clip(min=0.0, max=1.0).data, [0.0, 0.5, 1.0])


# ---------------------------------------------------------------------- small parity fixes from a later review


def test_indexing_with_an_empty_list_selects_nothing():
    """v[[]] is empty, as numpy's a[[]] is, and backpropagates zeros."""
    v = Value([1.0, 2.0])
    picked = v[[]]
    assert picked.shape == (0,)
    (picked.sum() + v.sum()).backward()
    np.testing.assert_array_equal(v.grad, [1.0, 1.0])


def test_retain_graph_is_accepted_and_changes_nothing():
    """backward(retain_graph=True) and grad(..., retain_graph=True), as PyTorch code writes them; the graph
    is kept either way, so a second backward adds the same gradient again."""
    x = Value([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    (g,) = tg.grad(y, x, retain_graph=True)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_min_gradients_have_no_negative_zeros():
    """min() has a rule of its own (not -max(-x)), so the elements that are not the minimum get 0, not -0."""
    v = Value([1.0, 2.0, 3.0])
    v.min().backward()
    assert not np.signbit(v.grad).any()
    np.testing.assert_array_equal(v.grad, [1.0, 0.0, 0.0])
    w = Value([[3.0, 1.0], [1.0, 1.0]])
    w.min(axis=1).sum().backward()
    np.testing.assert_array_equal(w.grad, [[0.0, 1.0], [0.5, 0.5]])
    assert not np.signbit(w.grad).any()


MASKING_CASES = {
    "relu": lambda v: v.relu(),
    "clip": lambda v: v.clip(min=0.0, max=2.5),
    "where, first": lambda v: tg.where(v.data > 0, v, 7.0),
    "where, second": lambda v: tg.where(v.data <= 0, 7.0, v),
    "max": lambda v: v.max(),
    "min": lambda v: v.min(),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(MASKING_CASES))
def test_masking_rules_give_positive_zeros_for_negative_gradients(case, dtype):
    """Elements a masking rule passes nothing to get 0.0, as in PyTorch, even when the gradient is negative
    (a negative gradient times a 0 mask would be -0.0)."""
    v = Value(np.array([-1.0, 3.0, 0.5, -2.0], dtype=dtype))
    out = MASKING_CASES[case](v)
    out.backward(np.full(out.shape, -2.0, dtype=dtype))
    zeros = v.grad == 0
    assert zeros.any() and (~zeros).any()
    assert not np.signbit(v.grad[zeros]).any(), v.grad
    assert v.grad.dtype == dtype


# ---------------------------------------------------------------------- from the review of 2026-12-06


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_of_a_0d_value_is_one_class(axis):
    """As in PyTorch, softmax and log_softmax of a 0-d Value (axis 0 or -1) are 1 and 0, with gradient 0."""
    x = Value(3.0)
    assert x.softmax(axis).data == 1.0 and x.log_softmax(axis).data == 0.0
    x.log_softmax(axis).backward()
    assert x.grad == 0.0
    with raises(ValueError, "softmax", "axis 1"):
        x.softmax(1)
    with raises(TypeError, "softmax", "an axis must be an integer"):
        x.softmax(0.0)


def test_transpose_takes_none_and_an_array_of_axes_as_numpy_does():
    """x.transpose(None) reverses the axes, and an array of axes is an order, as for numpy arrays."""
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Value(data)
    np.testing.assert_array_equal(x.transpose(None).data, data.transpose(None))
    np.testing.assert_array_equal(x.transpose(np.array([1, 0, 2])).data, data.transpose(np.array([1, 0, 2])))


