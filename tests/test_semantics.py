"""Exact behaviour of the engine: accumulation, grad mode, detach, constants, shapes and axes, numerical
stability, invariants (data types are in test_dtypes.py)."""

import threading
import warnings

import numpy as np
import pytest
from helpers import raises
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import OPS

import tinygrad_edu as tg
from tinygrad_edu import Operation, Value, nn

# ---------------------------------------------------------------------- accumulation and .grad


def test_gradients_accumulate_across_backward_calls():
    """c = 3 a^2 at a = 2: dc/da = 12 per pass, so two passes give 24 (36 would mean reusing old .grad)."""
    a = Value(2.0)
    b = a * a
    c = b * 3
    c.backward()
    assert a.grad == 12.0
    c.backward()
    assert a.grad == 24.0
    assert b.grad == 6.0  # 3 per pass
    assert c.grad == 2.0


def test_zero_grad_forgets_the_gradient():
    """After zero_grad, .grad is None and the next backward starts from scratch."""
    a = Value(2.0)
    c = (a * a) * 3
    c.backward()
    a.zero_grad()
    assert a.grad is None
    c.backward()
    assert a.grad == 12.0


def test_intermediate_values_get_their_gradient():
    """Every Value of the graph that requires grad gets .grad: here d/db (3 b) = 3 and d/dc c = 1."""
    a = Value(np.array([1.0, -2.0]))
    b = a * a
    c = (b * 3).sum()
    c.backward()
    np.testing.assert_array_equal(b.grad, [3.0, 3.0])
    assert c.grad == 1.0
    np.testing.assert_array_equal(a.grad, [6.0, -12.0])


def test_a_value_used_twice_receives_both_gradients():
    """y = x * x + x * 5 + x: dy/dx = 2x + 6."""
    x = Value(np.array([1.0, 3.0]))
    (x * x + x * 5 + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [8.0, 12.0])


def test_a_value_reached_by_paths_of_different_lengths_gets_its_whole_gradient():
    """d = exp(2x) * 2x + 2x: a = 2x feeds d directly and through exp and a product.

    a must not pass its gradient on before both longer paths have reached it;
    dd/dx = 2 exp(2x) (2x + 1) + 2.
    """
    x = Value(0.3)
    a = x * 2
    d = a.exp() * a + a
    d.backward()
    assert np.isclose(x.grad, 2 * np.exp(0.6) * (0.6 + 1) + 2, rtol=1e-14, atol=0)
    assert np.isclose(a.grad, np.exp(0.6) * (0.6 + 1) + 1, rtol=1e-14, atol=0)


def test_leaves_made_after_other_values_are_ordered_correctly():
    """Values are processed newest first; a leaf made late (w) is still older than what uses it."""
    x = Value(2.0)
    h = x * x  # made before w
    w = Value(5.0)
    out = h * w + h
    out.backward()
    assert x.grad == 2 * 2.0 * (5.0 + 1)  # d/dx (x^2 w + x^2)
    assert w.grad == 4.0
    assert h.grad == 6.0


def test_grad_of_outputs_where_one_is_computed_from_the_other():
    """grad([y, z], x) with z = 3 y and y = x^2: dy/dx + dz/dx = 2x + 6x."""
    x = Value(1.5)
    y = x * x
    z = y * 3
    (g,) = tg.grad([y, z], x)
    assert g.item() == 8 * 1.5
    (g,) = tg.grad([z, y], x)  # the order of the outputs does not matter
    assert g.item() == 8 * 1.5


def test_backward_with_an_upstream_gradient():
    """backward(gradient=u) on a non-scalar y gives sum_i u_i dy_i/dx; u may be an array, a list or a Value."""
    for u in (np.array([1.0, 10.0]), [1.0, 10.0], Value([1.0, 10.0], requires_grad=False)):
        x = Value(np.array([2.0, 3.0]))
        (x ** 2).backward(u)
        np.testing.assert_array_equal(x.grad, [4.0, 60.0])


def test_requires_grad_false_branches_get_no_gradient():
    """A Value made with requires_grad=False is a constant: no .grad, and it does not stop x's gradient."""
    x = Value(np.array([1.0, 2.0]))
    w = Value(np.array([3.0, -4.0]), requires_grad=False)
    h = w * 2  # made only from a constant: needs no grad
    assert not h.requires_grad
    (x * w + h).sum().backward()
    assert w.grad is None and h.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, -4.0])


def test_requires_grad_accepts_numpy_bools():
    """requires_grad=np.bool_(True) makes a Value that gets a gradient; np.bool_(False) one that does not."""
    v = Value(1.0, requires_grad=np.bool_(True))
    assert v.requires_grad
    (v * 3).backward()
    assert v.grad == 3.0
    c = Value(1.0, requires_grad=np.bool_(False))
    assert not c.requires_grad
    assert not (c * 3).requires_grad


def test_leaf_gradients_are_their_own_arrays():
    """A leaf's .grad is its own array: editing it in place changes no other gradient.

    In a + b the add passes one and the same gradient to both inputs; each leaf
    must still end up with an array of its own, as in PyTorch.
    """
    a, b = Value(np.array([1.0, 2.0])), Value(np.array([3.0, 4.0]))
    c = a + b
    c.backward(np.array([1.0, 1.0]))
    assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
    assert not np.shares_memory(a.grad, c.grad)
    a.grad[0] = 5.0
    a.grad += 1.0
    np.testing.assert_array_equal(a.grad, [6.0, 2.0])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])


def assert_leaf_grads_are_their_own(root, upstream):
    """No leaf's .grad shares memory with any other Value's .grad, nor with the upstream array passed in."""
    values = tg.viz.graph_values(root)
    leaves = [v for v in values if v.op is None and v.requires_grad]
    assert leaves
    for leaf in leaves:
        assert leaf.grad is not None
        if upstream is not None:
            assert not np.shares_memory(leaf.grad, upstream)
        for other in values:
            if other is not leaf and other.grad is not None:
                assert not np.shares_memory(leaf.grad, other.grad), (leaf, other)


LEAF_GRAPHS = {
    # name: function of the leaves a (2, 3) and b (2, 3), giving the root to call backward() on and its gradient
    "add": lambda a, b: (a + b, np.full((2, 3), 2.0)),
    "add a number": lambda a, b: (a + 1.0, np.ones((2, 3))),
    "add scalar root": lambda a, b: (Value(1.0) + Value(2.0), None),
    "reshape": lambda a, b: (a.reshape(3, 2), np.arange(6.0).reshape(3, 2)),
    "reshape to 1-d": lambda a, b: (a.reshape(6), np.ones(6)),
    "T": lambda a, b: (a.T, np.arange(6.0).reshape(3, 2)),
    "sum": lambda a, b: (a.sum(), np.ones(())),
    "sum over a length-1 axis": lambda a, b: (Value([[1.0, 2.0, 3.0]]).sum(axis=0), np.array([1.0, 2.0, 3.0])),
    "sum of one element": lambda a, b: (Value([[5.0]]).sum(), None),
    "getitem": lambda a, b: (a[1], np.ones(3)),
    "getitem all": lambda a, b: (a[...], np.ones((2, 3))),
    "broadcast_to": lambda a, b: (Value([1.0, 2.0, 3.0]).broadcast_to((2, 3)), np.ones((2, 3))),
    "broadcast_to a new axis": lambda a, b: (a.broadcast_to((4, 2, 3)), np.ones((4, 2, 3))),
    "broadcast_to same shape": lambda a, b: (a.broadcast_to((2, 3)), np.ones((2, 3))),
    "concatenate": lambda a, b: (tg.concatenate([a, a], axis=0), np.ones((4, 3))),
}


@pytest.mark.parametrize("build", LEAF_GRAPHS.values(), ids=list(LEAF_GRAPHS))
def test_leaf_gradients_share_no_memory(build):
    """After backward every leaf's .grad is an array of its own: it shares memory with no other Value's .grad
    and not with the upstream gradient passed in, so writing into one gradient cannot silently change another
    (a view of another gradient would)."""
    a, b = Value(np.arange(6.0).reshape(2, 3)), Value(np.ones((2, 3)))
    root, upstream = build(a, b)
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


def test_repeated_index_accumulates():
    """x[[0, 0, 1]] with upstream [1, 10, 100]: position 0 receives 1 + 10."""
    x = Value(np.array([5.0, 6.0, 7.0]))
    x[[0, 0, 1]].backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [11.0, 100.0, 0.0])
    y = Value(np.arange(6.0).reshape(2, 3))
    y[[1, 1], [2, 2]].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]])


def test_boolean_mask_gradient():
    """x[mask] passes the gradient to the selected positions, in order, and 0 elsewhere."""
    x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x[np.array([[True, False], [False, True]])].backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0], [0.0, 20.0]])


def test_selecting_nothing_gives_zero_gradient():
    """An all-False mask selects no element; every gradient is 0."""
    x = Value(np.array([1.0, 2.0]))
    (x[np.array([False, False])].sum() + x.sum() * 0).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_indexing_with_an_empty_list_selects_nothing():
    """v[[]] is empty, as numpy's a[[]] is, and backpropagates zeros."""
    v = Value([1.0, 2.0])
    picked = v[[]]
    assert picked.shape == (0,)
    (picked.sum() + v.sum()).backward()
    np.testing.assert_array_equal(v.grad, [1.0, 1.0])


# ---------------------------------------------------------------------- constants on either side, and as bounds


def test_constants_on_either_side_give_values_with_the_right_gradients():
    """ndarray + x, 2 * x, 1 / x, np.float64(2) * x, ndarray @ x: Values whose gradients are the textbook ones."""
    x0 = np.array([1.0, 2.0, 4.0])
    cases = [
        (lambda x: np.array([1.0, 1.0, 1.0]) + x, np.ones(3)),
        (lambda x: 2 * x, np.full(3, 2.0)),
        (lambda x: 2 - x, np.full(3, -1.0)),
        (lambda x: 1 / x, -1 / x0 ** 2),
        (lambda x: np.float64(2) * x, np.full(3, 2.0)),
        (lambda x: np.array([3.0, 4.0, 5.0]) * x, np.array([3.0, 4.0, 5.0])),
        (lambda x: 2 ** x, np.log(2) * 2 ** x0),
        (lambda x: np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]) @ x, np.array([1.0, 3.0, 3.0])),
    ]
    for fn, expected in cases:
        x = Value(x0)
        y = fn(x)
        assert isinstance(y, Value) and y.dtype == np.float64
        y.sum().backward()
        np.testing.assert_allclose(x.grad, expected, rtol=1e-15)


def test_minimum_accepts_lists():
    """minimum(Value, list) works as maximum does: elementwise smaller, gradient to the smaller side."""
    a = Value([1.0, 3.0])
    y = tg.minimum(a, [2.0, 2.0])
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    y.backward(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(a.grad, [5.0, 0.0])
    np.testing.assert_array_equal(tg.minimum(Value([1.0]), [2.0]).data, [1.0])
    np.testing.assert_array_equal(tg.minimum([0.0, 4.0], Value([1.0, 2.0])).data, [0.0, 2.0])


def test_clip_with_broadcasting_array_bounds_forward():
    """x of shape (2,) clipped to bounds of shape (3, 2): the result is np.clip's, of shape (3, 2)."""
    x = Value([0.5, -1.0])
    lo = np.array([[0.0, -2.0], [0.6, -0.5], [-1.0, -1.0]])
    hi = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, -1.0]])
    y = x.clip(lo, hi)
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo, hi))
    np.testing.assert_array_equal(x.clip(lo[0], None).data, np.clip(x.data, lo[0], None))


def test_clip_takes_min_and_max_by_name():
    """clip(min=..., max=...), the names torch.clip and numpy's clip use."""
    x = Value([-1.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clip(min=0.0).data, [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clip(max=1.0).data, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.clip(min=0.0, max=1.0).data, [0.0, 0.5, 1.0])


def test_value_copies_its_data():
    """Value(array) copies: changing the array afterwards does not change the Value."""
    a = np.array([1.0, 2.0])
    x = Value(a)
    a[0] = 100.0
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


# ---------------------------------------------------------------------- shapes and axes


def test_numpy_integers_are_axes():
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


def test_transpose_takes_none_and_an_array_of_axes_as_numpy_does():
    """x.transpose(None) reverses the axes, and an array of axes is an order, as for numpy arrays."""
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Value(data)
    np.testing.assert_array_equal(x.transpose(None).data, data.transpose(None))
    np.testing.assert_array_equal(x.transpose(np.array([1, 0, 2])).data, data.transpose(np.array([1, 0, 2])))


def test_max_over_a_nonempty_axis_of_an_empty_batch():
    """max(axis=1) of a (0, 3) Value is an empty (0,) Value, as in numpy; keepdims gives (0, 1)."""
    x = Value(np.zeros((0, 3)))
    assert x.max(axis=1).shape == (0,)
    assert x.max(axis=1, keepdims=True).shape == (0, 1)
    assert x.min(axis=1).shape == (0,)


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


# ---------------------------------------------------------------------- grad mode


def test_no_grad_context_records_no_graph():
    """Inside no_grad results need no grad, cannot backpropagate, and the mode is restored afterwards."""
    x = Value(np.array([1.0, 2.0]))
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2).exp()
    assert tg.is_grad_enabled()
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    np.testing.assert_allclose(y.data, np.exp([2.0, 4.0]))


def test_no_grad_restores_the_mode_after_an_exception():
    """An exception inside no_grad does not leave grad mode off."""
    with pytest.raises(KeyError):
        with tg.no_grad():
            raise KeyError("boom")
    assert tg.is_grad_enabled()


def test_no_grad_as_a_decorator():
    """A function decorated with @no_grad() records no graph; grad mode is on again after the call."""
    @tg.no_grad()
    def double(v):
        assert not tg.is_grad_enabled()
        return v * 2

    y = double(Value(3.0))
    assert y.item() == 6.0 and not y.requires_grad
    assert tg.is_grad_enabled()


def test_no_grad_on_a_generator_function_covers_its_body_each_time_it_runs():
    """A generator function decorated with no_grad records no graph while its body runs (each resumption,
    not only the call that creates it), while the caller's code between items keeps recording; values sent
    in, exceptions thrown in, close() and the return value all pass through, as with torch.no_grad."""
    seen_modes, cleaned_up = [], []

    @tg.no_grad()
    def doubles(v):
        try:
            while True:
                seen_modes.append(tg.is_grad_enabled())
                factor = yield v * 2
                if factor is not None:
                    v = v * factor
        except KeyError:
            seen_modes.append(tg.is_grad_enabled())
            yield v * 0
            return "done"
        finally:
            cleaned_up.append(tg.is_grad_enabled())

    x = Value(3.0)
    steps = doubles(x)
    first = next(steps)
    assert not first.requires_grad and tg.is_grad_enabled()
    assert (x * x).requires_grad  # the caller's code between items records as usual
    assert steps.send(5.0).item() == 30.0
    assert steps.throw(KeyError("stop")).item() == 0.0
    with pytest.raises(StopIteration) as finished:
        next(steps)
    assert finished.value.value == "done"
    assert seen_modes == [False, False, False] and cleaned_up == [False]

    closed = doubles(x)
    next(closed)
    closed.close()
    assert cleaned_up == [False, False] and tg.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    """enable_grad turns recording back on inside no_grad, and no_grad resumes after it."""
    x = Value(2.0)
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            y = x * x
        assert not tg.is_grad_enabled()
        z = x * x
    y.backward()
    assert x.grad == 4.0
    assert not z.requires_grad


def test_set_grad_enabled_as_a_call_a_block_and_a_decorator():
    """set_grad_enabled(False) turns recording off at once and stays so; as a block it restores the previous
    mode at the end (after an exception too); as a decorator it holds only while the function runs."""
    x = Value(2.0)
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled() and not (x * x).requires_grad
        with tg.set_grad_enabled(True):
            assert (x * x).requires_grad
        assert not tg.is_grad_enabled()
    finally:
        tg.set_grad_enabled(True)
    with pytest.raises(KeyError):
        with tg.set_grad_enabled(False):
            raise KeyError("inside")
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def square(v):
        return v * v, tg.is_grad_enabled()

    assert tg.is_grad_enabled()  # decorating changed nothing outside the function
    y, inside = square(x)
    assert not inside and not y.requires_grad and tg.is_grad_enabled()

    try:
        off = tg.set_grad_enabled(False)  # made (which turns recording off), then entered later, twice, as PyTorch
        tg.set_grad_enabled(True)
        for _ in range(2):
            with off:
                assert not tg.is_grad_enabled()
        assert tg.is_grad_enabled()  # back to the mode from before `off` was made, as PyTorch does
    finally:
        tg.set_grad_enabled(True)


@pytest.mark.parametrize("mode", ["False", 0, None])
def test_set_grad_enabled_refuses_modes_that_are_not_booleans(mode):
    """A mode other than True/False is a TypeError, and the mode is left as it was."""
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False"):
        tg.set_grad_enabled(mode)
    assert tg.is_grad_enabled()


def test_no_grad_is_per_thread():
    """A no_grad in one thread changes nothing in another thread, in either direction."""
    inside, release = threading.Event(), threading.Event()
    seen_in_worker = []

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    y = Value(2.0) * 3  # the worker is inside no_grad right now
    release.set()
    thread.join()
    assert y.requires_grad

    def fresh_thread():
        seen_in_worker.append(tg.is_grad_enabled())

    with tg.no_grad():
        thread = threading.Thread(target=fresh_thread)
        thread.start()
        thread.join()
    assert seen_in_worker == [True]


def test_detach_shares_data_and_records_no_graph():
    """detach() shares the numbers but not the graph: in x * x.detach() only one factor is differentiated."""
    x = Value(np.array([3.0, -1.0]))
    d = x.detach()
    assert np.shares_memory(d.data, x.data)
    assert not d.requires_grad
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -1.0])  # not 2x
    assert d.grad is None


# ---------------------------------------------------------------------- grad()


def test_grad_returns_gradients_without_touching_dot_grad():
    """grad() returns d out/d inputs and leaves every .grad as it was (None, or an earlier backward's)."""
    x, y = Value(2.0), Value(5.0)
    out = x * y
    gx, gy = tg.grad(out, [x, y])
    assert gx.item() == 5.0 and gy.item() == 2.0
    assert x.grad is None and y.grad is None and out.grad is None
    out.backward()
    tg.grad(out, [x, y])
    assert x.grad == 5.0 and y.grad == 2.0


def test_grad_of_several_outputs_adds_their_gradients():
    """grad([y1, y2], x) is dy1/dx + dy2/dx."""
    x = Value(3.0)
    (g,) = tg.grad([x * x, x * 4], x)
    assert g.item() == 10.0


def test_grad_accepts_a_numpy_array_as_grad_outputs():
    """grad(y, x, grad_outputs=u) with u a numpy array works as with a Value, as backward(gradient=u) does.

    PyTorch's torch.autograd.grad accepts a single tensor as grad_outputs.
    """
    u = np.array([1.0, 10.0])
    x = Value(np.array([2.0, 3.0]))
    (g,) = tg.grad(x * x, x, grad_outputs=u)
    np.testing.assert_array_equal(g.data, [4.0, 60.0])


def test_grad_allow_unused():
    """An input the output does not depend on is an error, or None with allow_unused=True."""
    x, unused = Value(2.0), Value(7.0)
    with pytest.raises(ValueError, match="allow_unused"):
        tg.grad(x * 3, [x, unused])
    gx, gu = tg.grad(x * 3, [x, unused], allow_unused=True)
    assert gx.item() == 3.0 and gu is None


def test_grad_without_create_graph_returns_constants():
    """Without create_graph the returned gradients have no graph; with it they can be differentiated."""
    x = Value(3.0)
    (g,) = tg.grad(x ** 3, x)
    assert not g.requires_grad and g.item() == 27.0
    (g,) = tg.grad(x ** 3, x, create_graph=True)
    assert g.requires_grad
    assert tg.grad(g, x)[0].item() == 18.0


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


# ---------------------------------------------------------------------- deep graphs and numerics


def test_long_chain_backpropagates_without_recursion():
    """y = y * 1.0001 + 0.0001, 100,000 times: no RecursionError, and dy/dx = 1.0001 ** 100000."""
    n = 100_000
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** n, rtol=1e-9)


@pytest.mark.parametrize("copies", [1, 100], ids=["small-array", "large-array"])
def test_sigmoid_saturates_exactly_without_warnings(copies):
    """sigmoid(-1e4) is exactly 0, sigmoid(1e4) exactly 1, gradient 0 there, and numpy warns about nothing;
    for small arrays and for arrays of 128 elements and more, which take the other formula."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            x = Value(np.tile(np.array([-np.inf, -1e4, 0.0, 1e4, np.inf], dtype=dtype), copies))
            s = x.sigmoid()
            s.sum().backward()
            np.testing.assert_array_equal(s.data, np.tile([0.0, 0.0, 0.5, 1.0, 1.0], copies))
            np.testing.assert_array_equal(x.grad, np.tile([0.0, 0.0, 0.25, 0.0, 0.0], copies))


@pytest.mark.parametrize("dtype, lowest", [(np.float64, -700.0), (np.float32, -85.0)])
def test_sigmoid_of_a_large_array_is_accurate_to_a_few_ulps(dtype, lowest):
    """From 128 elements on, sigmoid is exp(min(x, 0)) / (1 + exp(-|x|)): within 4 ulps of 1 / (1 + exp(-x))
    computed in extended precision, down the negative tail to where the result is about the smallest normal
    number (exp(-logaddexp(0, -x)) is 30 ulps off at x = -30 in float64)."""
    x = np.linspace(lowest, 40.0, 20_001).astype(dtype)
    reference = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    ours = Value(x).sigmoid().data
    assert ours.dtype == dtype
    ulps = np.abs(ours - reference) / np.spacing(reference.astype(dtype))
    assert ulps.max() <= 4


def test_logsumexp_and_log_softmax_are_stable_at_large_inputs():
    """logsumexp([1000, 1000]) = 1000 + log 2, log_softmax = -log 2 each, softmax([1000, -1000]) = [1, 0]."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Value(np.array([1000.0, 1000.0]))
        lse = x.logsumexp()
        np.testing.assert_allclose(lse.data, 1000 + np.log(2), rtol=1e-15)
        lse.backward()
        # The gradient is exp(x - logsumexp(x)), as PyTorch computes it: 0.5 to the rounding of 1000 + log 2.
        np.testing.assert_allclose(x.grad, [0.5, 0.5], rtol=1e-13)
        np.testing.assert_allclose(x.log_softmax().data, [-np.log(2), -np.log(2)], rtol=1e-12)
        y = Value(np.array([1000.0, -1000.0]))
        np.testing.assert_array_equal(y.softmax().data, [1.0, 0.0])
        z = Value(np.array([-1000.0, -1000.0, -1000.0]))
        np.testing.assert_allclose(z.logsumexp().data, -1000 + np.log(3), rtol=1e-15)


def test_log_softmax_and_softmax_keep_their_precision_at_large_inputs():
    """log_softmax([c, c]) = -log 2 and softmax([c, c]) = [0.5, 0.5] for any c, as in PyTorch.

    Computed as (x - m) - log(sum(exp(x - m))) with m = max(x), the large c
    cancels exactly; computed as x - logsumexp(x), it is lost in rounding
    logsumexp(x) = c + log 2 to the precision of c (at c = 1e16, entirely).
    """
    x = Value(np.array([1e16, 1e16]))
    np.testing.assert_allclose(x.log_softmax().data, [-np.log(2), -np.log(2)], rtol=1e-12)
    np.testing.assert_allclose(x.softmax().data, [0.5, 0.5], rtol=1e-12)
    x32 = Value(np.array([100.0, 100.0], dtype=np.float32))  # logits of 100 are ordinary in float32
    np.testing.assert_allclose(x32.log_softmax().data, [-np.log(2), -np.log(2)], rtol=3e-7)
    np.testing.assert_allclose(x32.softmax().data, [0.5, 0.5], rtol=3e-7)


def test_power_at_zero_base_warns_nothing():
    """d/dx x**p at x = 0 for p = 0 and p = 2 is a plain 0; computing it raises no numpy warning.

    The exponent rule already avoids log(0) at x = 0; the base rule should avoid
    0 ** -1 (divide by zero, then 0 * inf) at p = 0 in the same way.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, p = Value(np.array([0.0, 0.0])), Value(np.array([0.0, 2.0]))
        (x ** p).sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.0])
        np.testing.assert_array_equal(p.grad, [0.0, 0.0])


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


# ---------------------------------------------------------------------- invariants over the whole table


@pytest.mark.parametrize("op", OPS, ids=repr)
@settings(max_examples=5)
@given(data=st.data())
def test_inputs_are_unchanged_and_gradients_are_not_views_of_them(op, data):
    """Forward and backward change no input or constant, and no gradient shares memory with any input."""
    arrays, params = data.draw(op.case, label="inputs and constants")
    before = [a.copy() for a in arrays]
    constants = {k: np.array(v, copy=True) for k, v in params.items() if isinstance(v, np.ndarray)}
    values = [Value(a) for a in arrays]
    out = op.fn(*values, **params)
    out.backward(np.ones(out.shape))
    for a, b, v in zip(arrays, before, values):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(v.data, b)
    for k, c in constants.items():
        np.testing.assert_array_equal(params[k], c)
    for v in values:
        for w in values:
            assert not np.shares_memory(v.grad, w.data)


# ---------------------------------------------------------------------- custom operations


def test_custom_operation_first_and_second_order():
    """The README's cube: forward x^3, rule 3 x^2 g; the rule, written with operators, gives x^3'' = 6x too."""
    cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2)
    x = Value(2.0)
    y = cube(x)
    assert y.item() == 8.0
    y.backward()
    assert x.grad == 12.0
    (dy,) = tg.grad(cube(x), x, create_graph=True)
    assert dy.item() == 12.0
    assert tg.grad(dy, x)[0].item() == 12.0  # 6x at x = 2
    assert tg.gradcheck(cube, [Value(np.array([0.5, -1.5]))])
    assert tg.gradgradcheck(cube, [Value(np.array([0.5, -1.5]))])


def test_custom_operation_with_two_arguments_and_a_constant():
    """hypot(a, b) = sqrt(a^2 + b^2): da = a / out, db = b / out; a constant argument gets no gradient."""
    hypot = Operation("hypot", np.hypot, lambda g, a, b, out: g * a / out, lambda g, a, b, out: g * b / out)
    a, b = Value(np.array([3.0, 5.0])), Value(np.array([4.0, 12.0]))
    out = hypot(a, b)
    np.testing.assert_array_equal(out.data, [5.0, 13.0])
    out.sum().backward()
    np.testing.assert_allclose(a.grad, [3 / 5, 5 / 13], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [4 / 5, 12 / 13], rtol=1e-15)
    c = Value(np.array([3.0]))
    hypot(c, 4.0).backward()
    np.testing.assert_allclose(c.grad, [0.6], rtol=1e-15)
    assert tg.gradgradcheck(hypot, [Value(np.array([0.5, -1.5])), Value(np.array([2.0, 0.7]))])
    assert isinstance(hypot(3.0, 4.0), np.floating)  # no Value among the arguments: plain numpy result


# ---------------------------------------------------------------------- gradcheck itself


def test_gradcheck_accepts_an_input_with_no_elements():
    """An input with no elements has an empty Jacobian, which trivially agrees: gradcheck returns True."""
    x, empty = Value(np.array([1.0, 2.0])), Value(np.zeros(0))
    assert tg.gradcheck(lambda a, b: a * 2 + b.sum(), [x, empty])


def test_gradcheck_restores_the_inputs():
    """gradcheck perturbs inputs in place, and leaves them exactly as they were."""
    a = np.array([0.1, 0.2, 0.3])
    x = Value(a)
    tg.gradcheck(lambda v: v.exp(), [x])
    np.testing.assert_array_equal(x.data, a)
    assert x.grad is None


def test_linear_on_inputs_with_more_than_two_axes_is_the_matmul_product():
    """For a (2, 3, 4) input the layer's output and input gradient are exactly x @ w.T + b and g @ w.

    (Two-axis inputs are multiplied with np.dot; with more axes np.dot would
    be far slower than @ and round differently, so @ is used there.)
    """
    tg.manual_seed(3)
    layer = nn.Linear(4, 5)
    x = Value(np.random.default_rng(4).standard_normal((2, 3, 4)))
    out = layer(x)
    w, b = layer.weight.data, layer.bias.data
    np.testing.assert_array_equal(out.data, x.data @ w.T + b)
    g = np.random.default_rng(5).standard_normal((2, 3, 5))
    out.backward(g)
    np.testing.assert_array_equal(x.grad, g @ w)


def test_the_linear_operation_rejects_a_0d_input():
    """ops.linear called directly with a 0-d input is an error naming the operation, as for matmul."""
    with pytest.raises(ValueError, match="linear"):
        tg.ops.linear_without_bias(Value(2.0), Value(np.ones((2, 3))))


def test_a_value_made_under_no_grad_then_requiring_grad_gets_a_gradient_of_its_own():
    """Such a Value has no recorded inputs, so it is a leaf: its .grad shares memory with no other gradient."""
    with tg.no_grad():
        p = Value([[0.0, 1.0, 2.0]]) * 1.0
    p.requires_grad = True
    s = p.sum(axis=0)
    s.backward(np.ones(3))
    np.testing.assert_array_equal(p.grad, [[1.0, 1.0, 1.0]])
    assert not np.shares_memory(p.grad, s.grad)


def test_a_0d_leaf_gradient_stays_an_array_when_backward_accumulates():
    """Two backward calls add 2 + 2 into a 0-d leaf's .grad, which stays a 0-d array (numpy would give a scalar)."""
    a = Value(1.0)
    (a * 2).backward()
    (a * 2).backward()
    assert type(a.grad) is np.ndarray and a.grad.shape == () and a.grad == 4.0
