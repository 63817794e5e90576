"""nn.init: each initializer fills the Value's own array in place (a layer's Parameter too), with PyTorch's
formulas for gains, fans and ranges (compared with torch.nn.init where it is installed), draws from the
library's generator or the one given, stamps the change for the in-place check, and returns the tensor."""

import math

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu import Value, nn
from tinygrad_edu.nn import init


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare "
                                               "with it)")


NONLINEARITIES = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", NONLINEARITIES)
def test_calculate_gain_is_pytorchs(torch, nonlinearity, param):
    """The recommended gains: 1, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + a**2)) for leaky_relu, 3/4 for selu."""
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


@pytest.mark.parametrize("shape", [(3, 5), (7, 2), (4, 3, 2, 2), (2, 6, 5)])
def test_fans_are_pytorchs(torch, shape):
    """fan_in = in * receptive field, fan_out = out * receptive field, for a weight of shape (out, in, k...)."""
    assert init.fans(Value(np.zeros(shape))) == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def bound_and_std(name, shape, **options):
    """The bound (uniform) or standard deviation (normal) PyTorch's formula gives for this initializer."""
    fan_in, fan_out = shape[1] * math.prod(shape[2:]), shape[0] * math.prod(shape[2:])
    if name.startswith("xavier"):
        std = options.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = fan_in if options.get("mode", "fan_in") == "fan_in" else fan_out
        std = init.calculate_gain(options.get("nonlinearity", "leaky_relu"), options.get("a", 0)) / math.sqrt(fan)
    return math.sqrt(3.0) * std, std


@pytest.mark.parametrize("name, options", [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 5 / 3}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
])
def test_uniform_initializers_fill_pytorchs_range(name, options):
    """Xavier and Kaiming uniform: every draw inside PyTorch's bound, the range nearly filled, the standard
    deviation bound / sqrt(3) within 2% over 60,000 draws."""
    shape = (300, 200)
    w = Value(np.zeros(shape))
    assert getattr(init, name)(w, **options) is w
    bound, std = bound_and_std(name, shape, **options)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.999 * bound
    assert w.data.std() == pytest.approx(std, rel=0.02) and abs(w.data.mean()) < 0.01 * bound


@pytest.mark.parametrize("name, options", [("xavier_normal_", {}), ("kaiming_normal_", {"nonlinearity": "relu"}),
                                           ("kaiming_normal_", {"mode": "fan_out"})])
def test_normal_initializers_have_pytorchs_spread(name, options):
    """Xavier and Kaiming normal: mean 0 and PyTorch's standard deviation, within 2% over 60,000 draws."""
    shape = (200, 300)
    w = getattr(init, name)(Value(np.zeros(shape)), **options)
    _, std = bound_and_std(name, shape, **options)
    assert w.data.std() == pytest.approx(std, rel=0.02) and abs(w.data.mean()) < 0.02 * std


def test_linear_default_is_kaiming_uniform_with_a_sqrt5():
    """Linear's own initial weights follow kaiming_uniform_(a=sqrt(5)): the bound 1/sqrt(in_features)."""
    w = Value(np.zeros((50, 16)))
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.data).max() <= 0.25 and np.abs(w.data).max() > 0.24


def test_constant_fills_and_their_dtype():
    """zeros_, ones_, constant_ fill exactly, keep the array and its dtype (float32 stays float32)."""
    w = Value(np.full((2, 3), 7.0, dtype=np.float32))
    array = w.data
    assert init.zeros_(w) is w and w.data is array and np.all(array == 0) and w.dtype == np.float32
    init.ones_(w)
    assert np.all(w.data == 1)
    init.constant_(w, 0.25)
    assert np.all(w.data == np.float32(0.25))


def test_uniform_and_normal_fill_with_their_parameters():
    """uniform_(a, b) stays in [a, b) and spreads over it; normal_(mean, std) has that mean and spread."""
    w = Value(np.zeros(50_000))
    init.uniform_(w, -2.0, 3.0)
    assert w.data.min() >= -2.0 and w.data.max() < 3.0 and w.data.mean() == pytest.approx(0.5, abs=0.05)
    init.normal_(w, 1.5, 0.5)
    assert w.data.mean() == pytest.approx(1.5, abs=0.02) and w.data.std() == pytest.approx(0.5, rel=0.02)


def test_initializers_work_on_a_layers_parameters_and_stamp_the_change():
    """On a Parameter that requires grad (no no_grad needed, as in PyTorch); a graph built before the change can
    no longer be differentiated (the in-place check), one built after can."""
    layer = nn.Linear(3, 2)
    loss = layer(Value(np.ones(3))).sum()  # the input requires grad, so its rule reads the weight
    init.xavier_uniform_(layer.weight)
    init.zeros_(layer.bias)
    assert np.all(layer.bias.data == 0) and layer.weight.requires_grad
    with raises(RuntimeError, "modified by an inplace operation"):
        loss.backward()
    layer(np.ones(3)).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, np.ones((2, 3)))


def test_draws_come_from_the_library_generator_or_the_one_given():
    """manual_seed makes the draws reproducible; generator= uses that numpy Generator instead."""
    a, b = Value(np.zeros((4, 4))), Value(np.zeros((4, 4)))
    tg.manual_seed(9)
    init.kaiming_uniform_(a)
    tg.manual_seed(9)
    init.kaiming_uniform_(b)
    np.testing.assert_array_equal(a.data, b.data)
    init.normal_(a, generator=np.random.default_rng(1))
    init.normal_(b, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a.data, b.data)


def test_an_empty_weight_is_left_alone():
    """A weight with no elements: nothing to draw, no error (PyTorch warns and does the same)."""
    w = Value(np.zeros((0, 3)))
    assert init.kaiming_uniform_(w, mode="fan_out") is w and init.xavier_normal_(w) is w


def test_errors_name_the_initializer():
    """Fans need 2 axes; mode and nonlinearity are checked; integer Values, non-Values, bad numbers and
    bad generators are refused, each naming the call."""
    with raises(ValueError, "fans", "at least 2 axes", "(5,)"):
        init.xavier_uniform_(Value(np.zeros(5)))
    with raises(ValueError, "kaiming_uniform_", "fan_in", "'fan_inn'"):
        init.kaiming_uniform_(Value(np.zeros((2, 2))), mode="fan_inn")
    with raises(ValueError, "calculate_gain", "'softplus'"):
        init.kaiming_normal_(Value(np.zeros((2, 2))), nonlinearity="softplus")
    with raises(TypeError, "zeros_", "dtype int64"):
        init.zeros_(tg.tensor([1, 2]))
    with raises(TypeError, "ones_", "ndarray"):
        init.ones_(np.zeros(2))
    with raises(TypeError, "constant_", "val", "'1'"):
        init.constant_(Value(np.zeros(2)), "1")
    with raises(ValueError, "uniform_", "a=2", "b=1"):
        init.uniform_(Value(np.zeros(2)), 2.0, 1.0)
    with raises(TypeError, "normal_", "generator", "int"):
        init.normal_(Value(np.zeros(2)), generator=0)
    with raises(AttributeError, "tinygrad_edu does not offer nn.init.orthogonal_", "xavier_uniform_"):
        init.orthogonal_  # noqa: B018 (the attribute access is the test)
