"""Layers and losses against PyTorch in float64: forward values and gradients
with respect to inputs and parameters, all to rtol 1e-10 (the optimizers are
compared in test_optim_against_torch.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0 to compare with it")

from helpers import close  # noqa: E402
from nn_strategies import (  # noqa: E402
    NN_EXAMPLES,
    arrays,
    away_from_zero,
    batch_shapes,
    class_problems,
    features,
    probabilities,
    reductions,
    targets01,
    upstream_gradients,
)

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import Value, nn  # noqa: E402

RTOL = 1e-10
F = torch.nn.functional



def leaf(a):
    """A float64 torch leaf that requires grad, holding a copy of a."""
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=True)


def backward_both(ours, theirs, upstream):
    """Backpropagate the same upstream gradient through both results."""
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))


# ---------------------------------------------------------------------- modules


@st.composite
def linear_cases(draw):
    n_in, n_out = draw(features), draw(features)
    x = draw(arrays(draw(batch_shapes()) + (n_in,)))
    out_shape = x.shape[:-1] + (n_out,)
    return n_in, n_out, x, draw(st.booleans()), draw(upstream_gradients(out_shape))


@settings(max_examples=NN_EXAMPLES)
@given(linear_cases())
def test_linear_matches_torch(case):
    """Linear: output and gradients w.r.t. input, weight and bias equal torch.nn.Linear's (weights copied)."""
    n_in, n_out, x, bias, upstream = case
    layer = nn.Linear(n_in, n_out, bias=bias)
    reference = torch.nn.Linear(n_in, n_out, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.data))
        if bias:
            reference.bias.copy_(torch.tensor(layer.bias.data))
    ours_x, their_x = Value(x), leaf(x)
    ours, theirs = layer(ours_x), reference(their_x)
    close(ours, theirs)
    backward_both(ours, theirs, upstream)
    close(ours_x.grad, their_x.grad)
    close(layer.weight.grad, reference.weight.grad)
    if bias:
        close(layer.bias.grad, reference.bias.grad)


@pytest.mark.parametrize("module, reference, elements", [
    (nn.Sigmoid(), torch.nn.Sigmoid(), st.floats(-30, 30)),
    (nn.Tanh(), torch.nn.Tanh(), st.floats(-30, 30)),
    (nn.ReLU(), torch.nn.ReLU(), away_from_zero(1e-3, 5.0)),
], ids=["Sigmoid", "Tanh", "ReLU"])
@settings(max_examples=NN_EXAMPLES)
@given(data=st.data())
def test_activation_matches_torch(module, reference, elements, data):
    """Each activation: output and input gradient equal PyTorch's, for a random upstream gradient."""
    x = data.draw(arrays(data.draw(batch_shapes(3)), elements))
    upstream = data.draw(upstream_gradients(x.shape))
    ours_x, their_x = Value(x), leaf(x)
    ours, theirs = module(ours_x), reference(their_x)
    close(ours, theirs)
    backward_both(ours, theirs, upstream)
    close(ours_x.grad, their_x.grad)


def test_relu_gradient_at_zero_matches_torch():
    """ReLU's derivative at exactly 0 is 0, as in PyTorch."""
    x, xt = Value(np.array([-1.0, 0.0, 1.0])), leaf([-1.0, 0.0, 1.0])
    nn.ReLU()(x).sum().backward()
    torch.relu(xt).sum().backward()
    close(x.grad, xt.grad)


@settings(max_examples=NN_EXAMPLES)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16), st.data())
def test_sequential_mlp_matches_torch(n_in, batch, seed, data):
    """A 2-layer MLP with a loss: the loss and every parameter's gradient equal PyTorch's."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(n_in, 3), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid())
    reference = torch.nn.Sequential(torch.nn.Linear(n_in, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2),
                                     torch.nn.Sigmoid()).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x, t = data.draw(arrays((batch, n_in))), data.draw(targets01((batch, 2)))
    loss = nn.BCELoss()(model(x), t)
    their_loss = F.binary_cross_entropy(reference(torch.tensor(x)), torch.tensor(t))
    close(loss, their_loss)
    loss.backward()
    their_loss.backward()
    theirs = dict(reference.named_parameters())
    assert [name for name, _ in model.named_parameters()] == list(theirs)
    for name, p in model.named_parameters():
        close(p.grad, theirs[name].grad)


# ---------------------------------------------------------------------- losses


def check_loss(ours_fn, their_fn, p, t, reduction, upstream, target_grad=True, grad_rtol=RTOL):
    """Compare loss values and gradients w.r.t. the prediction (and the target) with PyTorch."""
    op, ot = Value(p), Value(t, requires_grad=target_grad)
    tp, tt = leaf(p), (leaf(t) if target_grad else torch.tensor(t))
    ours, theirs = ours_fn(op, ot), their_fn(tp, tt, reduction=reduction)
    close(ours, theirs)
    backward_both(ours, theirs, upstream if reduction == "none" else np.array(upstream.sum()))
    close(op.grad, tp.grad, grad_rtol)
    if target_grad:
        close(ot.grad, tt.grad)


LOSSES = {
    "mse": (nn.MSELoss, nn.mse_loss, F.mse_loss, arrays, arrays),
    "bce": (nn.BCELoss, nn.binary_cross_entropy, F.binary_cross_entropy, probabilities, probabilities),
    "bce_with_logits": (nn.BCEWithLogitsLoss, nn.binary_cross_entropy_with_logits,
                        F.binary_cross_entropy_with_logits, lambda s: arrays(s, st.floats(-20, 20)), targets01),
}


@pytest.mark.parametrize("name", list(LOSSES))
@settings(max_examples=NN_EXAMPLES)
@given(reduction=reductions, data=st.data())
def test_elementwise_loss_matches_torch(name, reduction, data):
    """MSE, BCE and BCE-with-logits, module and function, every reduction: values and both gradients."""
    module, function, their_fn, predictions, targets = LOSSES[name]
    shape = data.draw(batch_shapes(3))
    p, t = data.draw(predictions(shape)), data.draw(targets(shape))
    upstream = data.draw(upstream_gradients(shape))
    check_loss(module(reduction=reduction), their_fn, p, t, reduction, upstream)
    check_loss(lambda p, t: function(p, t, reduction=reduction), their_fn, p, t, reduction, upstream)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_at_probabilities_zero_and_one_matches_torch(reduction):
    """BCE with p exactly 0 or 1: PyTorch's clamped loss (100 or 0) and its finite prediction gradient.

    The gradient's denominator p (1 - p) is floored at 1e-12 here, but at float32(1e-12) =
    9.99999996e-13 in PyTorch's kernel, so the clamped gradients (about 1e12) agree to 4e-9
    relative, not 1e-10: compared at rtol 1e-8 (a known, reported difference).
    """
    p, t = np.array([0.0, 0.0, 1.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    upstream = np.array([1.0, 0.5, -1.0, 2.0, 1.5])
    check_loss(nn.BCELoss(reduction=reduction), F.binary_cross_entropy, p, t, reduction, upstream,
               target_grad=False, grad_rtol=1e-8)
    ours = nn.binary_cross_entropy(Value(p), t, reduction="none")
    np.testing.assert_array_equal(ours.data, [0.0, 100.0, 0.0, 100.0, np.log(2)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_at_extreme_logits_matches_torch(reduction):
    """BCE with logits at +-1e4 and 0, soft and hard targets: PyTorch's values and gradients."""
    x = np.array([1e4, 1e4, -1e4, -1e4, 0.0, 0.0, 800.0, -800.0])
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.3, 0.25, 0.75])
    check_loss(nn.BCEWithLogitsLoss(reduction=reduction), F.binary_cross_entropy_with_logits, x, t, reduction,
               np.linspace(0.5, 2.0, len(x)))


@settings(max_examples=NN_EXAMPLES)
@given(class_problems(), reductions, st.data())
def test_cross_entropy_matches_torch(problem, reduction, data):
    """Cross entropy on (N, C) or (C,) logits, module and function: value and logits gradient."""
    logits, classes = problem
    upstream = data.draw(upstream_gradients(classes.shape)) if reduction == "none" else np.array(1.7)
    for ours_fn in (nn.CrossEntropyLoss(reduction=reduction), lambda z, c: nn.cross_entropy(z, c, reduction)):
        z, zt = Value(logits), leaf(logits)
        ours = ours_fn(z, classes)
        theirs = F.cross_entropy(zt, torch.tensor(classes), reduction=reduction)
        close(ours, theirs)
        backward_both(ours, theirs, upstream)
        close(z.grad, zt.grad)


def test_cross_entropy_with_large_logits_matches_torch():
    """Cross entropy of logits around 1e3 apart stays finite and equals PyTorch's."""
    logits = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]])
    classes = np.array([1, 2])
    z, zt = Value(logits), leaf(logits)
    ours, theirs = nn.cross_entropy(z, classes), F.cross_entropy(zt, torch.tensor(classes))
    close(ours, theirs)
    ours.backward()
    theirs.backward()
    close(z.grad, zt.grad)


@st.composite
def class_index_problems(draw):
    """(logits, classes, weight or None, ignore_index or None): logits (C,), (N, C) or (N, C, d1[, d2]) with
    class targets of the matching shape; some targets may be the ignored index (never all of them)."""
    n_classes = draw(st.integers(1, 4))
    layout = draw(st.sampled_from(["unbatched", "batched", "positions"]))
    lead = {"unbatched": (), "batched": (draw(st.integers(1, 4)),),
            "positions": (draw(st.integers(1, 3)), draw(st.integers(1, 3)))}[layout]
    logits_shape = (n_classes,) if not lead else lead[:1] + (n_classes,) + lead[1:]
    logits = draw(arrays(logits_shape, st.floats(-3, 3)))
    classes = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=max(1, int(np.prod(lead))),
                                     max_size=max(1, int(np.prod(lead)))))).reshape(lead)
    ignore_index = draw(st.sampled_from([None, -100, 0]))
    if ignore_index == -100 and classes.size > 1:
        classes.flat[0] = -100
    weight = draw(st.none() | arrays((n_classes,), st.floats(0.25, 2.0)))
    return logits, classes, weight, ignore_index


@settings(max_examples=NN_EXAMPLES)
@given(class_index_problems(), reductions, st.sampled_from([0.0, 0.1, 0.5]), st.data())
def test_cross_entropy_options_match_torch(problem, reduction, smoothing, data):
    """cross_entropy and nll_loss (functions and modules) with class weights, ignore_index, label smoothing and
    (N, C, d1, ...) inputs, the targets an int64 Value: values and logits gradients equal PyTorch's."""
    logits, classes, weight, ignore_index = problem
    if ignore_index is not None and np.all(classes == ignore_index) and reduction == "mean":
        ignore_index = None  # every target ignored: a mean of nothing (NaN in both), not what is tested here
    options = {} if ignore_index is None else {"ignore_index": ignore_index}
    their_weight = None if weight is None else torch.tensor(weight)
    upstream = data.draw(upstream_gradients(classes.shape)) if reduction == "none" else np.array(1.3)
    cases = [
        (lambda z: nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing, **options)(
            z, tg.tensor(classes)),
         lambda z: F.cross_entropy(z, torch.tensor(classes), weight=their_weight, reduction=reduction,
                                   label_smoothing=smoothing, **options)),
        (lambda z: nn.NLLLoss(weight, reduction=reduction, **options)(z, tg.tensor(classes)),
         lambda z: F.nll_loss(z, torch.tensor(classes), weight=their_weight, reduction=reduction, **options)),
    ]
    for ours_fn, their_fn in cases:
        z, zt = Value(logits), leaf(logits)
        ours, theirs = ours_fn(z), their_fn(zt)
        close(ours, theirs)
        backward_both(ours, theirs, upstream)
        close(z.grad, zt.grad)


@settings(max_examples=NN_EXAMPLES)
@given(st.integers(1, 4), st.sampled_from([(), (3,), (2, 2)]), reductions, st.sampled_from([0.0, 0.2]), st.data())
def test_cross_entropy_with_probability_targets_matches_torch(n_classes, positions, reduction, smoothing, data):
    """Class probabilities of the logits' shape as the target (N, C) or (N, C, d...): values and the gradients
    with respect to both the logits and the probabilities, with and without weights and smoothing."""
    shape = (data.draw(st.integers(1, 3)), n_classes) + positions
    logits = data.draw(arrays(shape, st.floats(-3, 3)))
    raw = data.draw(arrays(shape, st.floats(0.05, 1.0)))
    target = raw / raw.sum(axis=1, keepdims=True)
    weight = data.draw(st.none() | arrays((n_classes,), st.floats(0.25, 2.0)))
    z, zt, t, tt = Value(logits), leaf(logits), Value(target), leaf(target)
    ours = nn.cross_entropy(z, t, reduction, weight=weight, label_smoothing=smoothing)
    theirs = F.cross_entropy(zt, tt, weight=None if weight is None else torch.tensor(weight), reduction=reduction,
                             label_smoothing=smoothing)
    close(ours, theirs)
    upstream = data.draw(upstream_gradients(ours.shape)) if reduction == "none" else np.array(0.7)
    backward_both(ours, theirs, upstream)
    close(z.grad, zt.grad)
    close(t.grad, tt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_with_weights_match_torch(reduction):
    """BCELoss(weight) and BCEWithLogitsLoss(weight, pos_weight), logits out to +-40: values and the gradients
    with respect to the prediction and the target."""
    rng = np.random.default_rng(4)
    logits = np.concatenate([rng.standard_normal((3, 3)) * 3, [[40.0, -40.0, 0.0]]])
    target = rng.uniform(0, 1, (4, 3))
    weight, pos_weight = rng.uniform(0.5, 2.0, (4, 1)), np.array([0.5, 1.0, 3.0])
    upstream = rng.uniform(0.5, 2.0, (4, 3))
    check_loss(nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight, reduction=reduction),
               lambda a, b, reduction: F.binary_cross_entropy_with_logits(
                   a, b, weight=torch.tensor(weight), pos_weight=torch.tensor(pos_weight), reduction=reduction),
               logits, target, reduction, upstream)
    probabilities = 1 / (1 + np.exp(-logits[:3]))
    check_loss(nn.BCELoss(weight=weight[:3], reduction=reduction),
               lambda a, b, reduction: F.binary_cross_entropy(a, b, weight=torch.tensor(weight[:3]),
                                                              reduction=reduction),
               probabilities, target[:3], reduction, upstream[:3], target_grad=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_losses_take_integer_value_targets_as_torch_does(dtype):
    """mse_loss against an int64 Value target and cross_entropy against int64 class Values: PyTorch's values
    and dtypes (the loss keeps the prediction's float type)."""
    p = np.array([[1.5, -0.5], [2.0, 0.25]], dtype=dtype)
    target = np.array([[1, 0], [3, -1]])
    ours = nn.MSELoss()(tg.tensor(p, requires_grad=True), tg.tensor(target))
    theirs = torch.nn.MSELoss()(torch.tensor(p, requires_grad=True), torch.tensor(target))
    assert ours.dtype == theirs.detach().numpy().dtype
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-7 if dtype == "float32" else 1e-15)
    ours = nn.CrossEntropyLoss()(tg.tensor(p), tg.tensor([1, 0]))
    theirs = torch.nn.CrossEntropyLoss()(torch.tensor(p), torch.tensor([1, 0]))
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6 if dtype == "float32" else 1e-15)


# ---------------------------------------------------------------------- module structure


@pytest.mark.parametrize("part", [slice(1, None), slice(None, 2), slice(None, None, 2), slice(2, None)],
                         ids=["[1:]", "[:2]", "[::2]", "[2:]"])
def test_sequential_slices_name_parameters_as_torch_does(part):
    """A slice of a Sequential names its parameters as torch.nn.Sequential's slice does."""
    ours = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2), torch.nn.Sigmoid(),
                                 torch.nn.Linear(2, 1))
    assert list(ours[part].state_dict()) == list(theirs[part].state_dict())
    assert [name for name, _ in ours[part].named_children()] == [name for name, _ in theirs[part].named_children()]


def _with_extras(base, linear, value):
    """A subclass of ``base`` (a Sequential) that adds a Value and a module after the sequence's modules."""
    class Extended(base):
        def __init__(self):
            super().__init__(linear(2, 3), linear(3, 2))
            self.head = linear(2, 1)
            self.scale = value(np.ones(2))
    return Extended()


def test_parameter_names_and_order_match_torch_for_a_sequential_subclass():
    """A Sequential subclass with a parameter and a module of its own: the same names in the same order
    (own parameters first) in named_parameters() and state_dict(), and torch's state dict loads."""
    ours = _with_extras(nn.Sequential, nn.Linear, Value)
    theirs = _with_extras(torch.nn.Sequential, torch.nn.Linear,
                          lambda a: torch.nn.Parameter(torch.tensor(a)))
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({name: t.detach().numpy() for name, t in theirs.state_dict().items()})
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.data, q)


def test_a_tied_model_loads_torchs_state_dict():
    """A layer used twice: the state dict has both names, as torch's does, so torch's loads here."""
    ours_block, their_block = nn.Linear(2, 2), torch.nn.Linear(2, 2).double()
    ours = nn.Sequential(ours_block, nn.Tanh(), ours_block)
    theirs = torch.nn.Sequential(their_block, torch.nn.Tanh(), their_block)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]
    ours.load_state_dict({name: t.detach().numpy() for name, t in theirs.state_dict().items()})
    close(ours_block.weight.data, their_block.weight)
    close(ours_block.bias.data, their_block.bias)


def test_module_walks_and_repr_match_torch():
    """named_children, named_modules, the order of apply and the printed tree, for a model with a layer used
    twice and a nested Sequential, are PyTorch's."""
    def build(lib):
        shared = lib.nn.Linear(2, 2)
        tail = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.Sigmoid())
        return lib.nn.Sequential(shared, lib.nn.ReLU(), shared, tail)

    ours, theirs = build(tg), build(torch)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    our_order, their_order = [], []
    ours.apply(lambda m: our_order.append(type(m).__name__))
    theirs.apply(lambda m: their_order.append(type(m).__name__))
    assert our_order == their_order
    assert repr(ours) == repr(theirs)


def test_apply_visits_a_layer_shared_by_two_parents_as_torch_does():
    """A layer inside two Sequentials is visited under each of them, in PyTorch's order."""
    def build(lib):
        shared = lib.nn.Linear(2, 2)
        return lib.nn.Sequential(lib.nn.Sequential(shared, lib.nn.Tanh()), lib.nn.Sequential(shared, lib.nn.ReLU()))

    orders = []
    for model in (build(tg), build(torch)):
        order = []
        model.apply(lambda m, order=order: order.append(type(m).__name__))
        orders.append(order)
    assert orders[0] == orders[1]
    assert orders[0].count("Linear") == 2
