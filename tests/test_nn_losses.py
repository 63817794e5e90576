"""Losses without PyTorch: reductions, the shapes they accept and refuse, and the
numerics at the edges (BCE at p = 0 or 1, BCE with logits at +-1e4 and at 0)."""

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
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



# ---------------------------------------------------------------------- NLLLoss, cross entropy's options


def test_nll_loss_picks_minus_the_target_entries():
    """nll_loss(x, y) = -x[n, y_n], averaged; with weights w, sum(-w[y_n] x[n, y_n]) / sum(w[y_n])."""
    x = np.array([[-0.5, -1.0, -2.0], [-3.0, -0.25, -1.5]])
    y = np.array([2, 1])
    assert nn.NLLLoss()(Value(x), y).item() == pytest.approx((2.0 + 0.25) / 2, rel=1e-15)
    assert nn.nll_loss(Value(x), y, "sum").item() == pytest.approx(2.25, rel=1e-15)
    w = np.array([1.0, 3.0, 0.5])
    assert nn.NLLLoss(weight=w)(Value(x), y).item() == pytest.approx((0.5 * 2.0 + 3.0 * 0.25) / 3.5, rel=1e-15)
    np.testing.assert_array_equal(nn.NLLLoss(reduction="none")(Value(x), y).data, [2.0, 0.25])


def test_ignored_targets_add_nothing_and_do_not_count():
    """Targets equal to ignore_index (-100 by default) give a loss of 0 and no gradient, and the mean divides
    by the number of the others; a custom ignore_index works the same way."""
    z = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [3.0, -1.0, 0.0]])
    per_row = nn.cross_entropy(Value(z), np.array([0, 1, 2]), "none").data
    logits = Value(z)
    loss = nn.CrossEntropyLoss()(logits, np.array([0, -100, 2]))
    assert loss.item() == pytest.approx((per_row[0] + per_row[2]) / 2, rel=1e-14)
    loss.backward()
    np.testing.assert_array_equal(logits.grad[1], [0.0, 0.0, 0.0])
    custom = nn.CrossEntropyLoss(ignore_index=1, reduction="sum")(Value(z), np.array([0, 1, 2]))
    assert custom.item() == pytest.approx(per_row[0] + per_row[2], rel=1e-14)


def test_label_smoothing_mixes_in_the_uniform_distribution():
    """With smoothing e, the loss is (1 - e) CE + e * mean over classes of -log softmax: checked by hand."""
    z = np.array([[2.0, 0.0, -1.0]])
    log_p = z - np.log(np.exp(z).sum())
    expected = (1 - 0.3) * -log_p[0, 0] + 0.3 * -log_p[0].mean()
    assert nn.CrossEntropyLoss(label_smoothing=0.3)(Value(z), np.array([0])).item() == pytest.approx(expected,
                                                                                                    rel=1e-14)


def test_probability_targets_give_the_cross_entropy_of_two_distributions():
    """A float target of the logits' shape is a distribution: the loss is -sum_c t_c log softmax(z)_c, and a
    one-hot target gives the same loss as its class index."""
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]])
    t = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.cross_entropy(Value(z), t, "none").data, -(t * log_p).sum(axis=1), rtol=1e-14)
    one_hot = np.eye(3)[[2, 0]]
    assert nn.cross_entropy(Value(z), one_hot).item() == pytest.approx(
        nn.cross_entropy(Value(z), np.array([2, 0])).item(), rel=1e-14)


def test_class_targets_may_be_int64_values():
    """An int64 Value (what tensor([...]) and a DataLoader give) is a class target like an integer array."""
    z = Value(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    assert nn.CrossEntropyLoss()(z, tg.tensor([2, 1])).item() == nn.cross_entropy(z, np.array([2, 1])).item()
    assert nn.NLLLoss()(z, tg.tensor([2, 1], dtype=tg.int32)).item() == pytest.approx(-2.0, rel=1e-15)


@pytest.mark.parametrize("make", [lambda: nn.CrossEntropyLoss(), lambda: nn.NLLLoss()], ids=["ce", "nll"])
def test_a_ragged_class_target_is_a_value_error_naming_the_call(make):
    """A ragged nested list as the target: ValueError naming the loss, never numpy's bare message."""
    with raises(ValueError, "cannot make an array of class indices", "list"):
        make()(Value(np.zeros((2, 3))), [[0, 1], [2]])


def test_option_errors_name_the_loss():
    """Weights of the wrong length, smoothing outside [0, 1], a non-integer ignore_index, ignore_index with
    probability targets, and a class out of range (the message mentions ignore_index) are refused."""
    z = Value(np.zeros((2, 3)))
    with raises(ValueError, "cross_entropy", "one number per class", "(3,)", "(2,)"):
        nn.cross_entropy(z, np.array([0, 1]), weight=np.ones(2))
    with raises(ValueError, "CrossEntropyLoss", "label_smoothing", "1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with raises(TypeError, "NLLLoss", "ignore_index", "0.5"):
        nn.NLLLoss(ignore_index=0.5)
    with raises(ValueError, "cross_entropy", "ignore_index", "probability"):
        nn.cross_entropy(z, np.full((2, 3), 1 / 3), ignore_index=0)
    with raises(ValueError, "nll_loss", "[0, 3)", "ignore_index=-100", "from 7 to 7"):
        nn.nll_loss(z, np.array([0, 7]))


# ---------------------------------------------------------------------- binary losses' weights


def test_bce_weight_multiplies_each_elements_loss():
    """BCELoss(weight): w * the per-element loss, broadcast over the batch; the mean is over elements."""
    p, t, w = np.array([[0.25, 0.5], [0.75, 0.5]]), np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 0.5])
    plain = nn.binary_cross_entropy(Value(p), t, "none").data
    np.testing.assert_allclose(nn.BCELoss(weight=w, reduction="none")(Value(p), t).data, plain * w, rtol=1e-15)
    assert nn.BCELoss(weight=w)(Value(p), t).item() == pytest.approx((plain * w).mean(), rel=1e-15)
    with raises(ValueError, "binary_cross_entropy", "weight", "(3,)", "(2, 2)"):
        nn.BCELoss(weight=np.ones(3))(Value(p), t)


def test_pos_weight_scales_the_positive_term_and_its_rules_pass_gradcheck():
    """pos_weight w: -(w t log s + (1 - t) log(1 - s)); its own derivative rules (logits and target) agree with
    finite differences, first and second order."""
    x, t, w = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[1.0, 0.0], [0.3, 0.8]]), np.array([2.0, 0.5])
    s = 1 / (1 + np.exp(-x))
    expected = -(w * t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(pos_weight=w, reduction="none")(Value(x), t).data, expected,
                               rtol=1e-14)
    def loss(a, b):
        return nn.binary_cross_entropy_with_logits(a, b, "sum", pos_weight=w)

    assert tg.gradcheck(loss, (Value(x), Value(t)))
    assert tg.gradgradcheck(loss, (Value(x), Value(t)))


def test_loss_weights_are_buffers_saved_in_the_state_dict_as_in_pytorch():
    """A loss's weight and pos_weight are buffers: in state_dict (as PyTorch's), not parameters."""
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0])
    assert list(loss.state_dict()) == ["weight"] and loss.parameters() == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=[3.0]).state_dict()) == ["pos_weight"]
    assert nn.MSELoss().state_dict() == {}


# ---------------------------------------------------------------------- PyTorch's arguments


@pytest.mark.parametrize("make", [lambda: nn.MSELoss("sum"), lambda: nn.BCELoss("sum"),
                                  lambda: nn.CrossEntropyLoss("none"), lambda: nn.NLLLoss("mean")],
                         ids=["MSELoss", "BCELoss", "CrossEntropyLoss", "NLLLoss"])
def test_a_reduction_given_positionally_is_refused_with_the_fix(make):
    """The modules take PyTorch's arguments in PyTorch's order (size_average or weight first), so a reduction
    given first, which PyTorch would misread, is a TypeError that shows reduction= by name."""
    with raises(TypeError, "first argument", "reduction="):
        make()


@pytest.mark.parametrize("size_average, reduce, expected", [(None, False, "none"), (False, None, "sum"),
                                                            (True, True, "mean"), (False, False, "none")])
def test_size_average_and_reduce_mean_what_they_mean_in_pytorch(size_average, reduce, expected):
    """PyTorch's deprecated size_average/reduce pick the reduction (reduce=False wins), with a warning."""
    with pytest.warns(UserWarning, match="deprecated"):
        loss = nn.MSELoss(size_average, reduce)
    assert loss.reduction == expected
    with pytest.warns(UserWarning, match="deprecated"):
        value = nn.functional.mse_loss(Value(np.ones(2)), np.zeros(2), size_average, reduce)
    assert value.shape == ((2,) if expected == "none" else ())


def test_every_target_ignored_gives_a_nan_mean_and_zero_gradients_as_pytorch():
    """The mean over no targets is NaN in both; its gradient is 0 in PyTorch (it was NaN here, which the next
    optimizer step would have written into the weights)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    logits = np.array([[1.0, 2.0, 3.0]])
    ours = tg.tensor(logits, requires_grad=True)
    loss = tg.nn.functional.cross_entropy(ours, tg.tensor([-100]))
    loss.backward()
    theirs = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(theirs, torch.tensor([-100]))
    t_loss.backward()
    assert np.isnan(loss.item()) and np.isnan(t_loss.item())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    log_probs = tg.tensor([[-0.5, -1.0]], requires_grad=True)
    tg.nn.functional.nll_loss(log_probs, tg.tensor([-100])).backward()
    assert log_probs.grad.tolist() == [[0.0, 0.0]]


def test_an_ignored_position_is_not_read_even_when_it_is_infinite():
    """PyTorch never reads the input where the target is ignore_index: an infinity there changes nothing."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    log_probs = np.array([[-0.5, -1.0], [-np.inf, 0.0]])
    ours = tg.nn.functional.nll_loss(tg.tensor(log_probs), tg.tensor([0, -100]))
    theirs = torch.nn.functional.nll_loss(torch.tensor(log_probs), torch.tensor([0, -100]))
    assert ours.item() == theirs.item() == 0.5
    logits = np.array([[1.0, 2.0, 0.0], [np.inf, 0.0, 0.0]])
    with np.errstate(invalid="ignore"):
        per_target = tg.nn.functional.cross_entropy(tg.tensor(logits), tg.tensor([1, -100]), reduction="none")
    t_per_target = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([1, -100]), reduction="none")
    np.testing.assert_allclose(per_target.data, t_per_target.numpy(), rtol=1e-12)
