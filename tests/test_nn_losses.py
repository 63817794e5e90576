"""Losses without PyTorch: reductions, the shapes they accept and refuse, and the
numerics at the edges (BCE at p = 0 or 1, BCE with logits at +-1e4 and at 0)."""

import numpy as np
import pytest

from tinygrad_edu import Value, nn

ELEMENTWISE = [
    (nn.MSELoss, nn.mse_loss),
    (nn.BCELoss, nn.binary_cross_entropy),
    (nn.BCEWithLogitsLoss, nn.binary_cross_entropy_with_logits),
]
ALL_LOSSES = [pair for pair in ELEMENTWISE] + [(nn.CrossEntropyLoss, nn.cross_entropy)]
IDS = ["mse", "bce", "bce_with_logits"]

P = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
T = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])


def by_hand(name, p, t):
    """The per-element loss, straight from its formula."""
    if name == "mse":
        return (p - t) ** 2
    if name == "bce":
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return -(t * np.log(1 / (1 + np.exp(-p))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-p))))


@pytest.mark.parametrize("pair, name", list(zip(ELEMENTWISE, IDS)), ids=IDS)
def test_reductions_mean_sum_none(pair, name):
    """'none' gives the per-element losses of the formula; 'sum' and 'mean' (the default) reduce them."""
    module, function = pair
    expected = by_hand(name, P, T)
    none = function(Value(P), T, reduction="none")
    assert none.shape == P.shape
    np.testing.assert_allclose(none.data, expected, rtol=1e-13)
    np.testing.assert_allclose(function(Value(P), T, reduction="sum").item(), expected.sum(), rtol=1e-13)
    np.testing.assert_allclose(function(Value(P), T).item(), expected.mean(), rtol=1e-13)
    np.testing.assert_allclose(module()(Value(P), T).item(), expected.mean(), rtol=1e-13)
    np.testing.assert_allclose(module(reduction="sum")(P, T).item(), expected.sum(), rtol=1e-13)


def test_mse_gradient_by_hand():
    """d mean((p - t)**2) / dp = 2 (p - t) / n."""
    p = Value(P)
    nn.MSELoss()(p, T).backward()
    np.testing.assert_allclose(p.grad, 2 * (P - T) / P.size, rtol=1e-15)


@pytest.mark.parametrize("pair", ALL_LOSSES, ids=IDS + ["cross_entropy"])
@pytest.mark.parametrize("reduction", ["average", "Mean", None, ""])
def test_invalid_reduction_is_a_value_error(pair, reduction):
    """An unknown reduction is refused by the module (when built) and by the function."""
    module, function = pair
    with pytest.raises(ValueError, match="reduction"):
        module(reduction=reduction)
    with pytest.raises(ValueError, match="reduction"):
        function(Value(np.array([[0.5, 0.5]])), np.array([[1.0, 0.0]]), reduction=reduction)


@pytest.mark.parametrize("pair", ELEMENTWISE, ids=IDS)
@pytest.mark.parametrize("p_shape, t_shape", [((4, 1), (4,)), ((4,), (4, 1)), ((2, 3), (3,)), ((3,), ())])
def test_mismatched_shapes_are_refused_never_broadcast(pair, p_shape, t_shape):
    """(4, 1) against (4,) would broadcast to (4, 4): instead a ValueError names both shapes."""
    module, function = pair
    p, t = np.full(p_shape, 0.5), np.full(t_shape, 1.0)
    for loss in (module(), function):
        with pytest.raises(ValueError) as info:
            loss(Value(p), t)
        assert str(p_shape) in str(info.value) and str(t_shape) in str(info.value)
        with pytest.raises(ValueError):
            loss(Value(p), Value(t))  # a target that is a Value is checked the same way


@pytest.mark.parametrize("p, t, what", [(1.5, 1.0, "prediction"), (-0.1, 0.0, "prediction"),
                                        (0.5, 2.0, "target"), (np.nan, 1.0, "prediction")])
def test_bce_refuses_values_outside_zero_one(p, t, what):
    """BCE needs probabilities and targets in [0, 1] (NaN included in the refusal)."""
    with pytest.raises(ValueError, match=what):
        nn.BCELoss()(Value(np.array([p])), np.array([t]))


def test_bce_at_zero_and_one_is_finite_like_torch():
    """p = 0 or 1: logs clamped at -100, so loss 100 for a wrong certain answer, 0 for a right one; finite gradients."""
    p = Value(np.array([0.0, 0.0, 1.0, 1.0]))
    t = np.array([0.0, 1.0, 1.0, 0.0])
    loss = nn.BCELoss(reduction="none")(p, t)
    np.testing.assert_array_equal(loss.data, [0.0, 100.0, 0.0, 100.0])
    loss.backward(np.ones(4))
    assert np.all(np.isfinite(p.grad))
    # (p - t) / max(p (1 - p), 1e-12): zero where right, about -+1e12 where wrong.
    np.testing.assert_allclose(p.grad, [0.0, -1e12, 0.0, 1e12], rtol=1e-8)
    mean = nn.BCELoss()(Value(np.array([0.0, 1.0])), np.array([1.0, 0.0]))
    assert mean.item() == 100.0


def test_bce_with_logits_is_stable_at_large_logits():
    """Logits +-1e4 give exact finite losses (0 or 1e4) and gradients sigmoid(x) - t, never inf or nan."""
    x = Value(np.array([1e4, 1e4, -1e4, -1e4]))
    t = np.array([1.0, 0.0, 1.0, 0.0])
    loss = nn.BCEWithLogitsLoss(reduction="none")(x, t)
    np.testing.assert_array_equal(loss.data, [0.0, 1e4, 1e4, 0.0])
    loss.backward(np.ones(4))
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, -1.0, 0.0])


def test_bce_with_logits_gradient_at_zero():
    """At logit 0 the gradient is sigmoid(0) - t = 0.5 - t (a formula through |x| would give a kink there)."""
    t = np.array([0.0, 0.25, 1.0])
    x = Value(np.zeros(3))
    loss = nn.binary_cross_entropy_with_logits(x, t, reduction="sum")
    np.testing.assert_allclose(loss.item(), 3 * np.log(2), rtol=1e-15)
    loss.backward()
    np.testing.assert_array_equal(x.grad, 0.5 - t)


def test_bce_with_logits_equals_bce_of_sigmoid():
    """In the range where both are accurate, BCEWithLogits(x) = BCE(sigmoid(x))."""
    x = np.linspace(-5, 5, 11)
    t = np.linspace(0, 1, 11)
    a = nn.binary_cross_entropy_with_logits(Value(x), t, reduction="none").data
    b = nn.binary_cross_entropy(Value(x).sigmoid(), t, reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_cross_entropy_values_by_hand():
    """-log softmax(z)[class], for a batch and for one unbatched example, with every reduction."""
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    classes = np.array([2, 0])
    expected = np.array([np.log(np.exp(z[0]).sum()) - 3.0, np.log(3.0)])
    np.testing.assert_allclose(nn.cross_entropy(Value(z), classes, "none").data, expected, rtol=1e-14)
    np.testing.assert_allclose(nn.CrossEntropyLoss()(Value(z), classes).item(), expected.mean(), rtol=1e-14)
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction="sum")(z, classes).item(), expected.sum(), rtol=1e-14)
    single = nn.cross_entropy(Value(z[0]), np.int64(2))
    assert single.shape == ()
    np.testing.assert_allclose(single.item(), expected[0], rtol=1e-14)
    assert nn.cross_entropy(Value(z[0]), 2).item() == single.item()


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    """d CE / dz = (softmax(z) - onehot(class)) / N for the mean."""
    z = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -2.0]])
    classes = np.array([1, 0])
    logits = Value(z)
    nn.cross_entropy(logits, classes).backward()
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(3)[classes]) / 2, rtol=1e-14)


@pytest.mark.parametrize("target", [np.array([0.0, 1.0]), [0.0, 1.0], np.array([True, False]), Value([0.0, 1.0])],
                         ids=["float-array", "float-list", "bool", "Value"])
def test_cross_entropy_float_targets_are_a_type_error(target):
    """Targets must be integer class indices: floats (and bools) are refused with TypeError."""
    with pytest.raises(TypeError, match="integer"):
        nn.CrossEntropyLoss()(Value(np.zeros((2, 3))), target)


@pytest.mark.parametrize("classes", [[0, 3], [-1, 0], [5, 1]])
def test_cross_entropy_out_of_range_class_is_a_value_error(classes):
    """A class outside [0, C) is refused (no wrap-around for -1)."""
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.cross_entropy(Value(np.zeros((2, 3))), np.array(classes))


@pytest.mark.parametrize("logits_shape, target_shape", [((2, 3), (3,)), ((2, 3), (2, 1)), ((3,), (1,)),
                                                        ((2, 3, 4), (2, 3)), ((2, 3, 4), (3, 4)), ((), ())])
def test_cross_entropy_shape_mismatch_is_a_value_error(logits_shape, target_shape):
    """Logits (N, C) need targets (N,), logits (C,) a target (), logits (N, C, d) targets (N, d); anything
    else names both shapes."""
    with pytest.raises(ValueError) as info:
        nn.cross_entropy(Value(np.zeros(logits_shape)), np.zeros(target_shape, dtype=np.int64))
    assert str(logits_shape) in str(info.value) and str(target_shape) in str(info.value)


def test_losses_accept_targets_as_lists_and_keep_float32():
    """Targets may be lists; a float32 prediction gives a float32 loss."""
    p = Value(np.array([0.25, 0.75], dtype=np.float32))
    loss = nn.mse_loss(p, [0.0, 1.0])
    assert loss.dtype == np.float32
    assert loss.item() == pytest.approx(0.0625)


@pytest.mark.filterwarnings("ignore:.*encountered in scalar divide:RuntimeWarning")
def test_mse_mean_of_an_empty_batch_backpropagates_to_an_empty_gradient():
    """The mean over no elements is NaN (numpy's and PyTorch's answer); the gradient is empty, not an error."""
    p = Value(np.zeros((0, 3)))
    loss = nn.MSELoss()(p, np.zeros((0, 3)))
    assert np.isnan(loss.item())
    loss.backward()
    assert p.grad.shape == (0, 3)


def test_cross_entropy_sum_of_an_empty_batch_is_zero():
    """cross_entropy of (0, 3) logits and no classes, reduction 'sum', is 0.0."""
    loss = nn.cross_entropy(Value(np.zeros((0, 3))), np.zeros(0, dtype=int), reduction="sum")
    assert loss.shape == ()
    assert loss.data == 0.0

