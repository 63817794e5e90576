"""PyTorch's tensor methods on Value: each compared with PyTorch (values, dtypes, gradients).

Covers the four places where PyTorch code used to run silently differently
(max(dim), transpose(d0, d1), in-place updates in a loop: see also
test_inplace.py), the names that were missing, and the numpy/PyTorch name
clashes: each is served both ways where the call tells them apart, and is an
error where it cannot.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")


def t(a, requires_grad=False):
    """A torch tensor of the same numbers and dtype."""
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def same(ours, theirs):
    """Our Value (or array) equals PyTorch's tensor: shape, dtype name and numbers."""
    array = ours.data if isinstance(ours, Value) else np.asarray(ours)
    expected = theirs.detach().numpy()
    assert array.shape == expected.shape
    assert array.dtype == expected.dtype, (array.dtype, expected.dtype)
    np.testing.assert_allclose(array, expected, rtol=1e-12, atol=0)


X = np.array([[0.5, -2.0, 3.0], [4.0, 1.5, -1.0]])


# ---------------------------------------------------------------------- the silent differences


def test_max_with_a_dim_returns_values_and_indices_as_pytorch():
    """`_, predicted = out.max(1)` gives the indices (it gave values: accuracy from the wrong numbers)."""
    out = tg.tensor(X)
    values, predicted = out.max(1)
    t_values, t_predicted = t(X).max(1)
    same(values, t_values)
    same(predicted, t_predicted)
    assert out.max(1)[1].tolist() == [2, 0]
    assert out.max(dim=1).indices.tolist() == [2, 0]
    same(out.min(0, keepdim=True).values, t(X).min(0, keepdim=True).values)


def test_max_with_a_dim_sends_the_gradient_to_the_index_as_pytorch():
    """Ties: max(dim) sends the gradient to one element (the index), max(axis=) shares it (numpy's)."""
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    ours = tg.tensor(data, requires_grad=True)
    theirs = t(data, requires_grad=True)
    u = np.array([1.0, 10.0])
    ours.max(1).values.backward(u)
    theirs.max(1).values.backward(torch.tensor(u))
    same(ours.grad, theirs.grad)
    shared = tg.tensor(data, requires_grad=True)
    shared.max(axis=1).backward(u)
    np.testing.assert_array_equal(shared.grad, [[0, 0.5, 0.5], [5, 5, 0]])


def test_transpose_of_two_integers_swaps_them_as_pytorch():
    """x.transpose(0, 1) on a 2-D Value is the swap (it was numpy's identity permutation)."""
    same(tg.tensor(X).transpose(0, 1), t(X).transpose(0, 1))
    cube = np.arange(24.0).reshape(2, 3, 4)
    same(tg.tensor(cube).transpose(0, 2), t(cube).transpose(0, 2))
    same(tg.tensor(cube).transpose(-1, 1), t(cube).transpose(-1, 1))
    # numpy's meanings stay where the call says so: a tuple, all the axes, or none
    np.testing.assert_array_equal(tg.tensor(cube).transpose((2, 0, 1)).data, cube.transpose(2, 0, 1))
    np.testing.assert_array_equal(tg.tensor(cube).transpose(1, 2, 0).data, cube.transpose(1, 2, 0))
    np.testing.assert_array_equal(tg.tensor(cube).transpose().data, cube.transpose())
    np.testing.assert_array_equal(tg.tensor(X).transpose((0, 1)).data, X)


def test_size_is_numpys_count_and_pytorchs_shape_when_called():
    """x.size is numpy's element count; x.size() and x.size(0) are PyTorch's (it failed: 'int' not callable)."""
    x = tg.tensor(X)
    assert x.size == 6 and x.size * 2 == 12
    assert x.size() == (2, 3) and tuple(x.size()) == tuple(t(X).size())
    assert x.size(0) == 2 and x.size(-1) == 3
    assert x.size().numel() == 6
    with pytest.raises(ValueError, match="size"):
        x.size(2)


# ---------------------------------------------------------------------- shapes


@pytest.mark.parametrize("name, call", [
    ("view", lambda v: v.view(3, 2)),
    ("view -1", lambda v: v.view(-1)),
    ("reshape", lambda v: v.reshape(6, 1)),
    ("unsqueeze 0", lambda v: v.unsqueeze(0)),
    ("unsqueeze -1", lambda v: v.unsqueeze(-1)),
    ("squeeze", lambda v: v.unsqueeze(1).squeeze()),
    ("squeeze dim", lambda v: v.unsqueeze(1).squeeze(1)),
    ("squeeze a dim that is not 1", lambda v: v.squeeze(0)),
    ("flatten", lambda v: v.flatten()),
    ("flatten from 1", lambda v: v.unsqueeze(0).flatten(1)),
    ("unflatten", lambda v: v.flatten().unflatten(0, (3, 2))),
    ("permute", lambda v: v.permute(1, 0)),
    ("permute tuple", lambda v: v.permute((1, 0))),
    ("T", lambda v: v.T),
    ("expand", lambda v: v.unsqueeze(0).expand(4, -1, -1)),
    ("clone", lambda v: v.clone()),
    ("contiguous", lambda v: v.contiguous()),
])
def test_shape_methods_match_pytorch_with_gradients(name, call):
    """Each shape method gives PyTorch's values, and the same gradient for a random upstream gradient."""
    ours = tg.tensor(X, requires_grad=True)
    theirs = t(X, requires_grad=True)
    out, t_out = call(ours), call(theirs)
    same(out, t_out)
    u = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(u)
    t_out.backward(torch.tensor(u))
    same(ours.grad, theirs.grad)


def test_numel_dim_and_shape_helpers():
    x = tg.tensor(X)
    assert x.numel() == 6 and x.dim() == 2 and tg.numel(x) == 6
    assert x.view_as(tg.zeros(3, 2)).shape == (3, 2)
    assert x.reshape_as(tg.zeros(6)).shape == (6,)


def test_clone_has_memory_of_its_own_and_detach_shares():
    x = tg.tensor([1.0, 2.0])
    c, d = x.clone(), x.detach()
    x.data[0] = 5.0
    assert c.tolist() == [1.0, 2.0] and d.tolist() == [5.0, 2.0]


# ---------------------------------------------------------------------- reductions with dim and keepdim


@pytest.mark.parametrize("method", ["sum", "mean", "logsumexp"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), ((0, 1), False), (-1, True)])
def test_reductions_take_dim_and_keepdim(method, dim, keepdim):
    ours = tg.tensor(X, requires_grad=True)
    theirs = t(X, requires_grad=True)
    out = getattr(ours, method)(dim=dim, keepdim=keepdim)
    t_out = getattr(theirs, method)(dim=dim, keepdim=keepdim)
    same(out, t_out)
    out.backward(np.ones(out.shape))
    t_out.backward(torch.ones(t_out.shape, dtype=torch.float64))
    same(ours.grad, theirs.grad)
    # positionally, the same in both libraries
    same(getattr(ours, method)(dim, keepdim), getattr(theirs, method)(dim, keepdim))


def test_mixing_numpy_and_pytorch_names_is_an_error():
    x = tg.tensor(X)
    with pytest.raises(TypeError, match="max.*cannot be mixed"):
        x.max(1, keepdims=True)
    with pytest.raises(TypeError, match="max.*keepdim"):
        x.max(keepdim=True)
    with pytest.raises(TypeError, match="sum.*twice"):
        x.sum(0, dim=1)
    with pytest.raises(TypeError, match="sum.*mixed"):
        x.sum(dim=0, keepdims=True)
    with pytest.raises(TypeError, match="max.*one axis"):
        x.max((0, 1))


def test_argmax_argmin_amax_amin_match_pytorch():
    x, tx = tg.tensor(X), t(X)
    same(x.argmax(), tx.argmax())
    same(x.argmax(1), tx.argmax(1))
    same(x.argmax(dim=0, keepdim=True), tx.argmax(dim=0, keepdim=True))
    same(x.argmin(1), tx.argmin(1))
    same(tg.argmax(x, 1), torch.argmax(tx, 1))
    same(x.amax(1), tx.amax(1))
    same(x.amin(), tx.amin())
    same(x.amax((0, 1), keepdim=True), tx.amax((0, 1), keepdim=True))


def test_amax_shares_the_gradient_between_ties_as_pytorch():
    data = np.array([[2.0, 2.0, 1.0]])
    ours, theirs = tg.tensor(data, requires_grad=True), t(data, requires_grad=True)
    ours.amax(1).sum().backward()
    theirs.amax(1).sum().backward()
    same(ours.grad, theirs.grad)


def test_module_level_max_has_pytorchs_three_meanings():
    x, tx = tg.tensor(X), t(X)
    same(tg.max(x), torch.max(tx))
    same(tg.max(x, 1).values, torch.max(tx, 1).values)
    other = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    same(tg.max(x, tg.tensor(other)), torch.max(tx, t(other)))
    same(tg.min(x, 0).indices, torch.min(tx, 0).indices)


def test_all_and_any():
    b = tg.tensor([[True, False], [True, True]])
    tb = torch.tensor([[True, False], [True, True]])
    same(b.all(), tb.all())
    same(b.any(1), tb.any(1))
    same(b.all(dim=0), tb.all(dim=0))


# ---------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool"])
def test_dtype_methods_match_pytorch(method):
    data = np.array([[1.5, -2.7, 0.0]])
    same(getattr(tg.tensor(data), method)(), getattr(t(data), method)())


def test_to_and_type():
    x = tg.tensor(X)
    assert x.to(tg.float32).dtype == np.float32 and x.to("cpu") is x and x.to(tg.float64) is x
    assert x.to("cpu", tg.float32).dtype == np.float32
    assert x.to(tg.zeros(2, dtype=tg.int64)).dtype == np.int64
    assert x.type() == t(X).type() == "torch.DoubleTensor"
    assert tg.tensor([1, 2]).type() == "torch.LongTensor"
    assert x.type(tg.float32).dtype == np.float32
    assert x.cpu() is x and str(x.device) == "cpu" and not x.is_cuda
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(TypeError, match="float16"):
        x.half()


def test_integer_values_mix_with_float_ones_as_pytorch():
    """int64 with float32 is float32 (numpy would say float64); int with int stays int; division gives floats."""
    i = tg.tensor([1, 2, 3])
    f32 = tg.tensor([0.5, 0.5, 0.5], dtype=tg.float32)
    ti, tf32 = torch.tensor([1, 2, 3]), torch.tensor([0.5, 0.5, 0.5], dtype=torch.float32)
    for ours, theirs in [(i + f32, ti + tf32), (f32 * i, tf32 * ti), (i + i, ti + ti), (i * 2, ti * 2)]:
        same(ours, theirs)
    assert (i / 2).dtype == np.float64  # PyTorch gives its default float type, which is float64 here
    np.testing.assert_array_equal((i / 2).data, [0.5, 1.0, 1.5])
    assert (i + 0.5).dtype == np.float64


def test_integer_values_take_the_default_float_type():
    """Under set_default_dtype(float32), integers divided (or with a Python float) give float32, as PyTorch."""
    tg.set_default_dtype(tg.float32)
    try:
        i = tg.tensor([1, 2])
        assert (i / 2).dtype == np.float32 and (i + 0.5).dtype == np.float32
        assert tg.tensor([1.5]).dtype == np.float32 and tg.zeros(2).dtype == np.float32
    finally:
        tg.set_default_dtype(tg.float64)
    assert tg.get_default_dtype() == np.float64


def test_an_integer_value_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only float"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only float"):
        tg.tensor([1, 2]).requires_grad_()


def test_mean_of_integers_is_a_loud_error():
    """numpy would give a float64 mean and PyTorch refuses: the conflict is an error, with the fix in it."""
    with pytest.raises(TypeError, match=r"mean.*float\(\)"):
        tg.tensor([1, 2]).mean()
    assert tg.tensor([1, 2]).float().mean().item() == 1.5


def test_comparisons_give_boolean_values_usable_as_masks_and_counts():
    out = tg.tensor(X)
    labels = tg.tensor([2, 1])
    correct = (out.argmax(1) == labels).sum()
    assert correct.dtype == np.int64 and correct.item() == 1
    mask = out > 0
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(out[mask].data, X[X > 0])
    np.testing.assert_array_equal(tg.where(mask, out, 0.0).data, np.where(X > 0, X, 0.0))
    assert (mask.float().mean().item()) == pytest.approx(4 / 6)


def test_one_element_integer_values_are_indices():
    i = tg.tensor(2)
    assert [10, 20, 30][i] == 30 and list(range(i)) == [0, 1]
    with pytest.raises(TypeError, match="integer"):
        [1, 2][tg.tensor(1.0)]


def test_tolist_numpy_and_item():
    x = tg.tensor(X)
    assert x.tolist() == X.tolist()
    assert x.numpy() is x.data
    assert tg.tensor(3).item() == 3 and isinstance(tg.tensor(3).item(), int)


def test_requires_grad_is_leaf_and_grad_fn():
    w = tg.randn(3) * 0.1
    assert w.is_leaf and w.grad_fn is None and not w.requires_grad
    assert w.requires_grad_() is w and w.requires_grad
    y = w * 2
    assert not y.is_leaf and y.grad_fn.name == "mul"
    with pytest.raises(RuntimeError, match="only leaves"):
        y.requires_grad_(False)


# ---------------------------------------------------------------------- arithmetic by name


def test_arithmetic_methods_match_pytorch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    x, y, tx, ty = tg.tensor(a), tg.tensor(b), t(a), t(b)
    same(x.add(y), tx.add(ty))
    same(x.add(y, alpha=2), tx.add(ty, alpha=2))
    same(x.sub(y, alpha=0.5), tx.sub(ty, alpha=0.5))
    same(x.mul(y), tx.mul(ty))
    same(x.div(y), tx.div(ty))
    same(x.pow(2), tx.pow(2))
    same(x.neg(), tx.neg())
    same(x.square(), tx.square())
    same(x.dot(y), tx.dot(ty))
    same(x.clamp(1.5, 2.5), tx.clamp(1.5, 2.5))
    same(tg.tensor(X).matmul(tg.tensor(X.T)), t(X).matmul(t(X.T)))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "abs", "tanh", "sigmoid", "relu"])
def test_module_level_functions_match_pytorch(name):
    data = np.array([0.5, 1.5, 2.0])
    same(getattr(tg, name)(tg.tensor(data)), getattr(torch, name)(t(data)))


def test_module_level_joining_and_shaping():
    a, b = np.ones((2, 3)), np.zeros((2, 3))
    same(tg.cat([tg.tensor(a), tg.tensor(b)], dim=1), torch.cat([t(a), t(b)], dim=1))
    same(tg.cat((tg.tensor(a), tg.tensor(b)), 0), torch.cat((t(a), t(b)), 0))
    same(tg.stack([tg.tensor(a), tg.tensor(b)], dim=2), torch.stack([t(a), t(b)], dim=2))
    same(tg.flatten(tg.tensor(a)), torch.flatten(t(a)))
    same(tg.transpose(tg.tensor(a), 0, 1), torch.transpose(t(a), 0, 1))
    same(tg.softmax(tg.tensor(a), dim=1), torch.softmax(t(a), dim=1))
    same(tg.log_softmax(tg.tensor(X), dim=0), torch.log_softmax(t(X), dim=0))
    same(tg.tensor(X).softmax(dim=0), t(X).softmax(dim=0))
    with pytest.raises(TypeError, match="exp.*expects a Value"):
        tg.exp(2.0)


def test_tensor_is_the_type_of_every_value():
    assert isinstance(tg.tensor(1.0), tg.Tensor) and isinstance(Value(1.0), tg.Tensor)
    assert not isinstance(np.ones(2), tg.Tensor)
    made = tg.Tensor([1, 2])  # PyTorch's legacy constructor: floats, no gradient
    assert made.dtype == np.float64 and not made.requires_grad and made.tolist() == [1.0, 2.0]
    assert tg.Tensor(2, 3).shape == (2, 3)
    assert tg.is_tensor(made) and not tg.is_tensor([1.0])


def test_numpy_reductions_of_a_value_stay_in_the_graph():
    """np.sum(x), np.mean(x), np.max(x) call x's methods (numpy passes out= and dtype=): Values come back."""
    x = Value([1.0, 2.0, 4.0])
    total = np.sum(x) + np.mean(x) + np.max(x) + np.min(x)
    assert isinstance(total, Value) and total.item() == 7.0 + 7.0 / 3 + 4.0 + 1.0
    total.backward()
    np.testing.assert_allclose(x.grad, [1 + 1 / 3 + 1, 1 + 1 / 3, 1 + 1 / 3 + 1])
    with pytest.raises(TypeError, match="sum: out= is not offered"):
        np.sum(x, out=np.zeros(()))
    summed = tg.tensor([1, 2]).sum(dtype=tg.float32)
    assert summed.dtype == np.float32 and summed.item() == 3.0
    with pytest.raises(TypeError, match="astype.*is not a dtype"):
        x.astype(dict)


# ---------------------------------------------------------------------- from a review: PyTorch's answers at the edges


def test_logic_on_boolean_values_as_pytorch():
    x, tx = tg.tensor([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.0])
    same((x > 1) & (x < 3), (tx > 1) & (tx < 3))
    same((x > 2) | (x < 2), (tx > 2) | (tx < 2))
    same((x > 1) ^ (x > 2), (tx > 1) ^ (tx > 2))
    same(~(x > 1), ~(tx > 1))
    np.testing.assert_array_equal(x[~(x > 1)].data, [1.0])
    with pytest.raises(TypeError, match="&: works on boolean and integer"):
        x & x


def test_comparing_with_none_or_a_string_is_false_as_in_pytorch():
    x = tg.tensor([1.0, 2.0])
    assert (x == None) is False and (x != None) is True  # noqa: E711 (the comparison is what is tested)
    assert (x == "a") is False
    assert x not in [None, "a"]


def test_dtype_float_means_float64_whatever_the_default():
    tg.set_default_dtype(tg.float32)
    try:
        assert tg.tensor([1, 2], dtype=float).dtype == np.float64
        assert tg.zeros(2, dtype=float).dtype == np.float64
        assert tg.tensor([1, 2]).to(float).dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float64)


def test_an_empty_dim_reduces_every_axis_as_pytorch_and_an_empty_axis_none_as_numpy():
    x, tx = tg.tensor(np.ones((2, 3))), t(np.ones((2, 3)))
    same(x.sum(dim=()), tx.sum(dim=()))
    same(x.mean(dim=[]), tx.mean(dim=[]))
    same(x.sum(dim=(), keepdim=True), tx.sum(dim=(), keepdim=True))
    np.testing.assert_array_equal(x.sum(axis=()).data, np.ones((2, 3)).sum(axis=()))


def test_a_0d_value_takes_dim_0_and_minus_1_as_pytorch():
    x, tx = tg.tensor(2.5, requires_grad=True), t(2.5, requires_grad=True)
    values, indices = x.max(0)
    t_values, t_indices = tx.max(0)
    same(values, t_values)
    same(indices, t_indices)
    same(x.amax(0), tx.amax(0))
    same(x.sum(dim=(0,)), tx.sum(dim=(0,)))
    same(x.mean(dim=-1), tx.mean(dim=-1))
    same(tg.tensor(True).all(0), torch.tensor(True).all(0))
    same(x.argmax(0), tx.argmax(0))
    with pytest.raises(ValueError, match="argmax"):
        x.argmax(1)


def test_one_axis_means_one_integer():
    x = tg.tensor(np.ones((2, 3)))
    for call in (lambda: x.argmax(dim=(0, 1)), lambda: x.unsqueeze((0, 1)), lambda: x.size((0, 1)),
                 lambda: x.flatten((1, 0)), lambda: x.swapaxes((0, 1), 1)):
        with pytest.raises(TypeError, match="takes one axis"):
            call()


def test_to_with_copy_and_type_by_name():
    x = tg.tensor([1.0, 2.0])
    copied = x.to(tg.float64, copy=True)
    assert copied is not x and copied.tolist() == [1.0, 2.0]
    copied.add_(10)
    assert x.tolist() == [1.0, 2.0]
    assert x.type("torch.FloatTensor").dtype == np.float32 and x.type("torch.LongTensor").dtype == np.int64
    with pytest.raises(TypeError, match="type"):
        x.type("torch.HalfTensor")


def test_mT_swaps_the_last_two_axes():
    cube = np.arange(24.0).reshape(2, 3, 4)
    same(tg.tensor(cube).mT, t(cube).mT)


def test_alpha_scales_numbers_and_none_is_refused():
    same(tg.zeros(2).add_([1.0, 2.0], alpha=2), torch.zeros(2, dtype=torch.float64).add_(t([1.0, 2.0]), alpha=2))
    same(tg.zeros(2).add([1.0, 2.0], alpha=2), torch.zeros(2, dtype=torch.float64).add(t([1.0, 2.0]), alpha=2))
    with pytest.raises(TypeError, match="add_: alpha must be a number"):
        tg.zeros(2).add_(1.0, alpha="a")
    for call in (lambda v: v.fill_(None), lambda v: v.__setitem__(0, None), lambda v: v.copy_(None)):
        with pytest.raises(TypeError, match="None"):
            call(tg.zeros(2))
    with pytest.raises(TypeError, match="full"):
        tg.full((2,), None)
    assert tg.full((2,), tg.tensor(3)).dtype == np.int64
    with pytest.raises(TypeError, match="normal_"):
        tg.zeros(2, dtype=tg.int64).normal_()


def test_keyword_bounds_and_what_tutorials_set():
    same(tg.arange(start=1, end=4), torch.arange(start=1, end=4))
    same(tg.arange(end=3), torch.arange(end=3))
    same(tg.arange(tg.tensor(3)), torch.arange(torch.tensor(3)))
    drawn = tg.randint(low=2, high=5, size=(50,))
    assert drawn.dtype == np.int64 and set(drawn.tolist()) <= {2, 3, 4}
    tg.backends.cudnn.benchmark = True  # as tutorials do; there is no cuDNN here
    assert tg.backends.cudnn.is_available() is False


def test_inference_mode_false_turns_recording_on_as_in_pytorch():
    @tg.inference_mode(False)
    def recording():
        return tg.is_grad_enabled()

    @torch.inference_mode(False)
    def t_recording():
        return torch.is_grad_enabled()

    with tg.no_grad(), torch.no_grad():
        assert recording() is True and t_recording() is True
        with tg.inference_mode(False), torch.inference_mode(False):
            assert tg.is_grad_enabled() is True and torch.is_grad_enabled() is True
    with tg.inference_mode():
        assert not tg.is_grad_enabled()
