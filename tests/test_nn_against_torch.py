"""Layers and losses against PyTorch in float64: forward values and gradients
with respect to inputs and parameters, all to rtol 1e-10 (the optimizers are
compared in test_optim_against_torch.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0 to compare with it")

import tinygrad_edu as tg  # noqa: E402
from nn_strategies import (NN_EXAMPLES, arrays, away_from_zero, batch_shapes, class_problems,  # noqa: E402
                           features, probabilities, reductions, targets01, upstream_gradients)
from tinygrad_edu import Value, nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
F = torch.nn.functional


def close(ours, theirs, rtol=RTOL):
    """Assert a numpy array (or Value) equals a torch tensor to rtol 1e-10, shapes included."""
    ours = ours.data if isinstance(ours, Value) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=ATOL)


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
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
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
        model.apply(lambda m: order.append(type(m).__name__))
        orders.append(order)
    assert orders[0] == orders[1]
    assert orders[0].count("Linear") == 2
