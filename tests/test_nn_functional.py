"""nn.functional (``import tinygrad_edu.nn.functional as F``): every function called as PyTorch code calls it
(positional arguments in PyTorch's order, its keywords), compared with torch.nn.functional: values, dtypes and
gradients. Options of the losses (weight, ignore_index, label_smoothing, probability targets, pos_weight,
the deprecated size_average/reduce) are in test_nn_losses.py."""

import warnings

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Value, nn

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")
TF = torch.nn.functional

RNG = np.random.default_rng(11)


def close(ours, theirs, rtol=1e-12, atol=1e-300):
    """Our Value equals a torch tensor: shape, dtype and numbers."""
    ours = ours.data if isinstance(ours, Value) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def compare(ours_fn, their_fn, *arrays, grad_of=None, rtol=1e-12, atol=1e-300, dtype=np.float64):
    """Call both functions on the same arrays (as leaves that require grad where grad_of says), compare the
    results, backpropagate the same random upstream gradient and compare the gradients."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    ours_in = [tg.tensor(np.asarray(a, dtype), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    their_in = [torch.tensor(np.asarray(a, dtype), requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    ours, theirs = ours_fn(*ours_in), their_fn(*their_in)
    close(ours, theirs, rtol, atol)
    upstream = RNG.uniform(0.5, 2.0, ours.shape).astype(dtype)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    for i in grad_of:
        close(ours_in[i].grad, their_in[i].grad, rtol, atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations_match_torch(name, dtype):
    """F.relu, F.sigmoid, F.tanh: values and gradients, in both float types (float32 to its resolution:
    1 - tanh(x)**2 and s (1 - s) cancel, so their last bits differ with the last bit of the value)."""
    x = RNG.standard_normal((3, 4)) * 4
    if dtype == np.float64:
        compare(getattr(F, name), getattr(TF, name), x)
    else:
        compare(getattr(F, name), getattr(TF, name), x, dtype=dtype, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("slope", [0.01, 0.3])
def test_leaky_relu_matches_torch(slope):
    """F.leaky_relu(x, negative_slope) with the slope positional and by name."""
    x = RNG.standard_normal(10)
    compare(lambda v: F.leaky_relu(v, slope), lambda v: TF.leaky_relu(v, slope), x)
    compare(lambda v: F.leaky_relu(v, negative_slope=slope), lambda v: TF.leaky_relu(v, negative_slope=slope), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_functions_match_torch(name, dim):
    """F.softmax / F.log_softmax with dim positional or by name, and dtype= (which converts first; float32 is
    compared to its resolution)."""
    x = RNG.standard_normal((3, 4)) * 3
    compare(lambda v: getattr(F, name)(v, dim), lambda v: getattr(TF, name)(v, dim), x)
    compare(lambda v: getattr(F, name)(v, dim=dim, dtype=tg.float32),
            lambda v: getattr(TF, name)(v, dim=dim, dtype=torch.float32), x, rtol=1e-5, atol=1e-6)


def test_softmax_without_dim_warns_and_takes_torchs_axis():
    """F.softmax(x) without dim: PyTorch's implicit choice (axis 1 of a 2-D input), with a warning."""
    x = RNG.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="dim"):
        ours = F.softmax(Value(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmax(torch.tensor(x))
    close(ours, theirs)


@pytest.mark.parametrize("batch", [(), (5,), (2, 3)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(batch, bias):
    """F.linear(input, weight, bias): gradients with respect to all three, any batch shape."""
    x, w, b = RNG.standard_normal(batch + (4,)), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    if bias:
        compare(F.linear, TF.linear, x, w, b)
    else:
        compare(F.linear, TF.linear, x, w)


def test_linear_with_a_one_dimensional_weight_and_constant_input():
    """A weight of shape (in,) gives one number per row, without an output axis, as in PyTorch; a list input
    takes the weight's dtype."""
    x, w = RNG.standard_normal((5, 4)), RNG.standard_normal(4)
    compare(F.linear, TF.linear, x, w)
    weight = tg.tensor(np.ones((2, 3), dtype=np.float32))
    assert F.linear([[1, 2, 3]], weight).dtype == np.float32


def test_linear_errors_name_the_call_and_the_shapes():
    """Mismatched axes, a wrong bias shape, a weight that is not 1-D or 2-D and a float64 input with float32
    weights are errors naming linear and the shapes or dtypes."""
    w = Value(np.ones((3, 4)))
    with raises(ValueError, "linear", "(2, 5)", "(3, 4)"):
        F.linear(Value(np.ones((2, 5))), w)
    with raises(ValueError, "linear", "bias", "(3,)", "(4,)"):
        F.linear(Value(np.ones((2, 4))), w, np.ones(4))
    with raises(ValueError, "linear", "weight", "(2, 3, 4)"):
        F.linear(Value(np.ones((2, 4))), Value(np.ones((2, 3, 4))))
    with raises(TypeError, "linear", "float64", "float32"):
        F.linear(Value(np.ones((2, 4))), Value(np.ones((3, 4), dtype=np.float32)))


def test_dropout_uses_pytorchs_signature():
    """F.dropout(input, p, training, inplace): training=True by default, training=False returns the input."""
    x = Value(np.ones(10_000))
    kept = (F.dropout(x, 0.25).data != 0).mean()
    assert 0.72 < kept < 0.78
    assert F.dropout(x, 0.25, False) is x and F.dropout(x, p=0.9, training=False) is x


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch_with_pytorchs_signatures(reduction):
    """mse_loss, binary_cross_entropy(_with_logits), cross_entropy, nll_loss with reduction= by name: values and
    gradients with respect to the input (and the float targets)."""
    p, t = RNG.uniform(0.05, 0.95, (4, 3)), RNG.uniform(0, 1, (4, 3))
    compare(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction),
            p, t)
    compare(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, t, grad_of=[0])
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), 4 * p - 2, t)
    logits, labels = RNG.standard_normal((5, 3)), RNG.integers(0, 3, 5)
    for ours_fn, their_fn in ((F.cross_entropy, TF.cross_entropy), (F.nll_loss, TF.nll_loss)):
        z, zt = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        ours = ours_fn(z, tg.tensor(labels), reduction=reduction)
        theirs = their_fn(zt, torch.tensor(labels), reduction=reduction)
        close(ours, theirs)
        ours.backward(np.ones(ours.shape))
        theirs.backward(torch.ones(theirs.shape, dtype=torch.float64))
        close(z.grad, zt.grad)


def test_the_third_positional_argument_of_cross_entropy_is_the_weight_as_in_pytorch():
    """F.cross_entropy(x, y, w) weighs the classes (PyTorch's order); nn.cross_entropy's third is the reduction."""
    logits, labels, w = RNG.standard_normal((6, 3)), RNG.integers(0, 3, 6), np.array([1.0, 2.0, 0.5])
    ours = F.cross_entropy(Value(logits), labels, tg.tensor(w))
    close(ours, TF.cross_entropy(torch.tensor(logits), torch.tensor(labels), torch.tensor(w)))
    with raises(TypeError, "cross_entropy", "weight", "reduction='sum'"):
        F.cross_entropy(Value(logits), labels, "sum")
    assert nn.cross_entropy(Value(logits), labels, "sum").item() == pytest.approx(
        F.cross_entropy(Value(logits), labels, reduction="sum").item(), rel=1e-15)


def test_functional_is_importable_and_says_what_it_does_not_offer():
    """import tinygrad_edu.nn.functional as F and tg.nn.functional are the same module; F.conv2d is an
    AttributeError naming it and listing what is offered."""
    assert tg.nn.functional is F
    with raises(AttributeError, "tinygrad_edu does not offer nn.functional.conv2d", "cross_entropy"):
        F.conv2d  # noqa: B018 (the attribute access is the test)
    with raises(AttributeError, "has no attribute 'nothing_like_this'"):
        F.nothing_like_this  # noqa: B018
