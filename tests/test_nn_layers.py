"""Layers: Identity, Flatten, Unflatten, Dropout, Softmax, LogSoftmax, LeakyReLU, ReLU(inplace), Linear's
dtypes and device, and the PyTorch layers that are not offered. Each is compared with PyTorch where it is
installed (values, dtypes and gradients, from the same weights); Dropout in training mode statistically."""

import math
import warnings

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu import Value, nn


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare "
                                               "with it)")


def close(ours, theirs, rtol=1e-12):
    """Our Value (or array) equals a torch tensor: shape, dtype and numbers."""
    ours = ours.data if isinstance(ours, Value) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-300)


def both(x, torch, requires_grad=True):
    """The same numbers as a tinygrad_edu Value and a torch tensor, both leaves."""
    return tg.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad)


RNG = np.random.default_rng(7)


# ---------------------------------------------------------------------- Identity, Flatten, Unflatten


def test_identity_returns_its_input_itself():
    """Identity(x) is x (a Value, an array, anything); arguments given when it is made are ignored."""
    layer = nn.Identity(54, unused="argument")
    x, array = Value([1.0, 2.0]), np.ones(3)
    assert layer(x) is x and layer(array) is array
    assert repr(layer) == "Identity()" and layer.parameters() == []


@pytest.mark.parametrize("shape, start, end", [((2, 3, 4), 1, -1), ((2, 3, 4, 5), 1, 2), ((2, 3, 4), 0, -1),
                                               ((5, 3), 1, -1), ((2, 3, 4), -2, -1), ((4,), 0, 0)])
def test_flatten_matches_torch(torch, shape, start, end):
    """Flatten(start_dim, end_dim) merges those axes; the gradient is reshaped back, as PyTorch's."""
    x = RNG.standard_normal(shape)
    ours_x, their_x = both(x, torch)
    ours, theirs = nn.Flatten(start, end)(ours_x), torch.nn.Flatten(start, end)(their_x)
    close(ours, theirs)
    upstream = RNG.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    close(ours_x.grad, their_x.grad)


def test_flatten_default_keeps_the_batch_axis_and_takes_arrays():
    """The default Flatten() turns a batch of 28x28 images into rows of 784, for arrays too; repr as PyTorch."""
    assert nn.Flatten()(np.zeros((5, 28, 28))).shape == (5, 784)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with raises(ValueError, "flatten", "start_dim 2", "end_dim 1"):
        nn.Flatten(2, 1)(Value(np.zeros((2, 3, 4))))
    with raises(ValueError, "flatten", "out of range"):
        nn.Flatten()(Value(np.zeros(3)))


@pytest.mark.parametrize("shape, dim, sizes", [((2, 12), 1, (3, 4)), ((2, 12), -1, (2, -1)), ((6, 5), 0, (2, 3)),
                                               ((2, 12, 3), 1, [2, 2, 3])])
def test_unflatten_matches_torch(torch, shape, dim, sizes):
    """Unflatten(dim, sizes) splits one axis (one size may be -1); values and gradients as PyTorch's."""
    x = RNG.standard_normal(shape)
    ours_x, their_x = both(x, torch)
    ours, theirs = nn.Unflatten(dim, sizes)(ours_x), torch.nn.Unflatten(dim, sizes)(their_x)
    close(ours, theirs)
    ours.backward(np.ones(ours.shape))
    theirs.backward(torch.ones(theirs.shape, dtype=torch.float64))
    close(ours_x.grad, their_x.grad)
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_refuses_sizes_that_do_not_fit():
    """Sizes whose product is not the axis's length are a ValueError naming the shape; non-integers a TypeError."""
    with raises(ValueError, "Unflatten", "(2, 12)", "12", "(5, 2)"):
        nn.Unflatten(1, (5, 2))(Value(np.zeros((2, 12))))
    with raises(ValueError, "Unflatten", "(5, -1)"):
        nn.Unflatten(1, (5, -1))(Value(np.zeros((2, 12))))
    with raises(TypeError, "Unflatten", "unflattened_size"):
        nn.Unflatten(1, 12)


# ---------------------------------------------------------------------- Dropout


def test_dropout_in_eval_mode_returns_its_input_as_torch_does(torch):
    """model.eval() turns Dropout into the identity: the same Value comes back, equal to PyTorch's output."""
    x = RNG.standard_normal((4, 5))
    layer = nn.Dropout(0.5).eval()
    ours_x, their_x = both(x, torch)
    assert layer(ours_x) is ours_x
    close(layer(ours_x), torch.nn.Dropout(0.5).eval()(their_x))
    assert layer.train().training and layer(ours_x) is not ours_x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dropout_in_training_keeps_a_fraction_1_minus_p_scaled_by_1_over_1_minus_p(p, dtype):
    """In training each element is kept with probability 1 - p (checked within 5 standard deviations over
    200,000 draws) and the kept ones are x * (1 / (1 - p)) in x's dtype (PyTorch's rounding), the others 0.
    The expected value of each element is unchanged (the mean of many draws is close to x)."""
    n = 200_000
    x = RNG.uniform(1.0, 2.0, n).astype(dtype)
    out = nn.Dropout(p)(Value(x))
    assert out.dtype == dtype
    kept = out.data != 0
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(out.data[kept], x[kept] * dtype(1 / (1 - p)))
    assert abs(out.data.mean() - x.mean()) < 5 * x.std() * math.sqrt(p / (1 - p) / n) + 0.01


def test_dropout_kept_values_equal_torchs_for_the_elements_both_keep(torch):
    """Where PyTorch's and our masks both keep an element, the two outputs are equal to the last bit."""
    for dtype, their_dtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        x = RNG.standard_normal(10_000).astype(dtype)
        ours = nn.functional.dropout(Value(x), 0.3).data
        theirs = torch.nn.functional.dropout(torch.tensor(x, dtype=their_dtype), 0.3).numpy()
        both_kept = (ours != 0) & (theirs != 0)
        assert both_kept.sum() > 3000
        np.testing.assert_array_equal(ours[both_kept], theirs[both_kept])


def test_dropout_gradient_is_the_same_scaled_mask():
    """d dropout(x) / dx is the mask times 1 / (1 - p): the gradient is zero exactly where the output is."""
    x = Value(RNG.uniform(1.0, 2.0, 1000))
    out = nn.Dropout(0.4)(x)
    out.backward(np.full(1000, 3.0))
    np.testing.assert_array_equal(x.grad, np.where(out.data != 0, 3.0 / 0.6, 0.0))


def test_dropout_draws_from_the_library_generator():
    """manual_seed makes the mask reproducible; numpy's global seed does not change it; F.dropout trains by
    default (PyTorch's training=True), and training=False passes the input through."""
    x = Value(np.ones(50))
    tg.manual_seed(3)
    np.random.seed(0)
    first = nn.Dropout(0.5)(x).data
    tg.manual_seed(3)
    np.random.seed(1)
    np.testing.assert_array_equal(nn.functional.dropout(x).data, first)
    assert not np.array_equal(nn.functional.dropout(x).data, first)
    assert nn.functional.dropout(x, 0.5, training=False) is x


def test_dropout_edges_p_zero_and_one():
    """p = 0 keeps everything unchanged, p = 1 gives zeros (with a zero gradient), as PyTorch."""
    x = Value(RNG.standard_normal(20))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    out = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(out.data, np.zeros(20))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(20))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_refuses_a_probability_outside_0_1(p):
    """p outside [0, 1] is PyTorch's ValueError, when the layer is made and when the function is called."""
    with raises(ValueError, "Dropout", "between 0 and 1"):
        nn.Dropout(p)
    with raises(ValueError, "dropout", "between 0 and 1"):
        nn.functional.dropout(Value(np.ones(2)), p)
    with raises(TypeError, "Dropout", "p must be a real number"):
        nn.Dropout("0.5")


def test_dropout_repr_and_inplace():
    """repr as PyTorch's; inplace=True changes a Value outside a graph in place and gives a new Value for one
    inside a graph (the numbers PyTorch would give)."""
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"
    x = tg.ones(1000)
    assert nn.Dropout(0.5, inplace=True)(x) is x and (x.data == 0).any()
    leaf = Value(np.ones(1000))
    inside = leaf * 1.0
    out = nn.Dropout(0.5, inplace=True)(inside)
    assert out is not inside and np.all(inside.data == 1.0) and (out.data == 0).any()


# ---------------------------------------------------------------------- Softmax, LogSoftmax


@pytest.mark.parametrize("layer", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape, dim", [((4,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softmax_layers_match_torch(torch, layer, shape, dim):
    """Softmax and LogSoftmax along any dim: values and gradients equal PyTorch's."""
    x = RNG.standard_normal(shape) * 3
    ours_x, their_x = both(x, torch)
    ours, theirs = getattr(nn, layer)(dim=dim)(ours_x), getattr(torch.nn, layer)(dim=dim)(their_x)
    close(ours, theirs, rtol=1e-13)
    upstream = RNG.standard_normal(shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    close(ours_x.grad, their_x.grad, rtol=1e-10)
    assert repr(getattr(nn, layer)(dim=dim)) == repr(getattr(torch.nn, layer)(dim=dim))


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_without_dim_picks_pytorchs_axis_and_warns(torch, ndim):
    """Without dim, PyTorch picks axis 0 for 0, 1 or 3 axes and axis 1 otherwise (with a deprecation warning):
    the same axis here, the same warning category, so no quietly different normalization."""
    x = RNG.standard_normal((2, 3, 4, 5)[:ndim])
    for layer in ("Softmax", "LogSoftmax"):
        with pytest.warns(UserWarning, match="dim"):
            ours = getattr(nn, layer)()(Value(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(torch.nn, layer)()(torch.tensor(x))
        close(ours, theirs, rtol=1e-13)


def test_softmax_rows_sum_to_one():
    """Softmax(dim=1): positive, each row sums to 1, extreme logits included."""
    out = nn.Softmax(dim=1)(Value(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]))).data
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-15)


# ---------------------------------------------------------------------- LeakyReLU, ReLU(inplace)


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 2.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_leaky_relu_matches_torch_at_zero_nan_and_inf(torch, slope, dtype):
    """LeakyReLU: values and gradients equal PyTorch's, exactly, at 0, -0, NaN and infinities too (the
    derivative at 0 is the slope, as in PyTorch)."""
    x = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0, np.nan, -np.inf, np.inf], dtype=dtype)
    ours_x, their_x = both(x, torch)
    ours, theirs = nn.LeakyReLU(slope)(ours_x), torch.nn.LeakyReLU(slope)(their_x)
    close(ours, theirs, rtol=0)
    upstream = np.linspace(0.5, 2.0, len(x)).astype(dtype)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    close(ours_x.grad, their_x.grad, rtol=0)
    assert repr(nn.LeakyReLU(slope)) == repr(torch.nn.LeakyReLU(slope))


def test_leaky_relu_second_derivative_is_zero():
    """A composition of where and mul: differentiable again (its second derivative is 0 away from the kink)."""
    x = Value(np.array([-1.5, 0.7]))
    (g,) = tg.grad(nn.functional.leaky_relu(x, 0.1).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [0.1, 1.0])
    assert tg.gradgradcheck(lambda v: nn.functional.leaky_relu(v, 0.3), Value(np.array([-1.5, 0.7, 2.0])))


@pytest.mark.parametrize("layer", [lambda: nn.ReLU(inplace=True), lambda: nn.LeakyReLU(0.1, inplace=True)],
                         ids=["ReLU", "LeakyReLU"])
def test_inplace_activations(layer):
    """inplace=True: a Value outside any graph is changed in place and returned; a Value computed in a graph
    is left alone and a new Value with the same numbers comes back (the gradient is right); a leaf that
    requires grad is PyTorch's in-place error."""
    x = tg.tensor([-1.0, 2.0])
    assert layer()(x) is x and x.data[1] == 2.0 and x.data[0] in (0.0, -0.1)
    leaf = Value(np.array([-1.0, 2.0]))
    inside = leaf * 2.0
    out = layer()(inside)
    assert out is not inside and np.array_equal(inside.data, [-2.0, 4.0])
    out.sum().backward()
    assert leaf.grad[1] == 2.0
    with raises(RuntimeError, "leaf", "in-place"):
        layer()(Value(np.array([-1.0, 2.0])))
    with tg.no_grad():
        frozen = Value(np.array([-1.0, 2.0]))
        assert layer()(frozen) is frozen


# ---------------------------------------------------------------------- Linear: dtypes, device


def test_linear_takes_pytorchs_dtype_and_device_arguments():
    """dtype= takes PyTorch's names; the default follows set_default_dtype; device="cpu" is fine and any other
    device an error saying so; weight and bias are Parameters; a bad dtype is a TypeError naming Linear."""
    assert nn.Linear(2, 3, dtype=tg.float32).weight.dtype == np.float32
    assert nn.Linear(2, 3, device="cpu").bias.dtype == np.float64
    tg.set_default_dtype(tg.float32)
    try:
        assert nn.Linear(2, 3).weight.dtype == np.float32
    finally:
        tg.set_default_dtype(tg.float64)
    layer = nn.Linear(2, 3)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    with raises(RuntimeError, "Linear", "cuda", "CPU only"):
        nn.Linear(2, 3, device="cuda")
    for bad in (dict, tg.int64, "float16", "nonsense"):
        with raises(TypeError, "Linear", "dtype must be float32 or float64", repr(bad)):
            nn.Linear(2, 3, dtype=bad)


def test_a_float64_linear_takes_float32_input_like_double_input_in_torch(torch):
    """A float64 layer computes a float32 Value in float64 (PyTorch would ask for the same dtype, so compare
    with PyTorch on the input upcast by hand); the input's gradient is float32, PyTorch's cast back."""
    layer = nn.Linear(3, 2)
    reference = torch.nn.Linear(3, 2, dtype=torch.float64)
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    ours_x = tg.tensor(x, requires_grad=True)
    their_x = torch.tensor(x, requires_grad=True)
    ours, theirs = layer(ours_x), reference(their_x.double())
    close(ours, theirs, rtol=1e-14)
    ours.backward(np.ones((4, 2)))
    theirs.backward(torch.ones(4, 2, dtype=torch.float64))
    close(ours_x.grad, their_x.grad, rtol=1e-6)
    close(layer.weight.grad, reference.weight.grad, rtol=1e-14)


# ---------------------------------------------------------------------- a network of the new layers


def test_classifier_of_the_new_layers_matches_torch(torch):
    """Flatten, Linear, LeakyReLU, Dropout (eval), Linear, LogSoftmax and NLLLoss on int64 labels, from the
    same weights: the loss, the predictions and every parameter's gradient equal PyTorch's."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(6, 5), lib.nn.LeakyReLU(0.05), lib.nn.Dropout(0.3),
                                 lib.nn.Linear(5, 3), lib.nn.LogSoftmax(dim=1))

    model, reference = build(tg), build(torch).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    model.eval()
    reference.eval()
    x, labels = RNG.standard_normal((8, 2, 3)), RNG.integers(0, 3, 8)
    ours = nn.NLLLoss()(model(tg.tensor(x)), tg.tensor(labels))
    theirs = torch.nn.NLLLoss()(reference(torch.tensor(x)), torch.tensor(labels))
    close(ours, theirs)
    ours.backward()
    theirs.backward()
    their_params = dict(reference.named_parameters())
    assert [name for name, _ in model.named_parameters()] == list(their_params)
    for name, p in model.named_parameters():
        close(p.grad, their_params[name].grad)
    assert np.array_equal(model(tg.tensor(x)).argmax(1).data, reference(torch.tensor(x)).argmax(1).numpy())
    assert repr(model) == repr(reference)


# ---------------------------------------------------------------------- what is not offered


@pytest.mark.parametrize("name", ["Conv2d", "MaxPool2d", "BatchNorm1d", "LSTM", "RNN", "Embedding", "GELU",
                                  "Transformer", "ModuleDict"])
def test_layers_that_are_not_offered_say_so(name):
    """nn.Conv2d and the like: an AttributeError that names the layer and lists what is offered (so
    hasattr(nn, name) is False, as for any missing name)."""
    with raises(AttributeError, f"tinygrad_edu does not offer nn.{name}", "it offers", "Linear", "Dropout"):
        getattr(nn, name)
    assert not hasattr(nn, name)
    with raises(AttributeError, "has no attribute 'NoSuchLayer'"):
        nn.NoSuchLayer  # noqa: B018 (the attribute access is the test)


def test_leaky_relu_refuses_integers_as_pytorch():
    with pytest.raises(TypeError, match="leaky_relu.*int64"):
        tg.nn.functional.leaky_relu(tg.tensor([-1, 2]), 0.1, inplace=True)
