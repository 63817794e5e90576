"""Finite-difference checks of the derivatives through every layer and loss,
with respect to the inputs and to the parameters, in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nn_strategies import (
    NN_EXAMPLES,
    arrays,
    away_from_zero,
    batch_shapes,
    class_problems,
    features,
    probabilities,
    reductions,
    targets01,
)

import tinygrad_edu as tg
from tinygrad_edu import Value, nn


@st.composite
def linear_cases(draw):
    """(in_features, out_features, input array of shape (..., in_features), bias?, seed)."""
    n_in, n_out = draw(features), draw(features)
    x = draw(arrays(draw(batch_shapes()) + (n_in,)))
    return n_in, n_out, x, draw(st.booleans()), draw(st.integers(0, 2**16))


@settings(max_examples=NN_EXAMPLES)
@given(linear_cases())
def test_linear_gradcheck_input_weight_bias(case):
    """Linear's derivatives with respect to its input, weight and bias agree with finite differences."""
    n_in, n_out, x, bias, seed = case
    tg.manual_seed(seed)
    layer = nn.Linear(n_in, n_out, bias=bias)
    x = Value(x)
    params = layer.parameters()
    assert len(params) == (2 if bias else 1)
    assert tg.gradcheck(lambda x, *_: layer(x), (x, *params))


@pytest.mark.parametrize("module, elements", [
    (nn.Sigmoid(), None),
    (nn.Tanh(), None),
    (nn.ReLU(), away_from_zero()),
], ids=["Sigmoid", "Tanh", "ReLU"])
@settings(max_examples=NN_EXAMPLES)
@given(data=st.data())
def test_activation_gradcheck(module, elements, data):
    """Each activation module's derivative agrees with finite differences (ReLU away from its kink)."""
    x = Value(data.draw(arrays(data.draw(batch_shapes(3)), elements)))
    assert tg.gradcheck(module, x)


@settings(max_examples=NN_EXAMPLES)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16), st.data())
def test_sequential_gradcheck_through_every_parameter(n_in, n_hidden, batch, seed, data):
    """A Linear-Tanh-Linear-Sigmoid stack: derivatives w.r.t. the input and all four parameters."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, 2), nn.Sigmoid())
    x = Value(data.draw(arrays((batch, n_in))))
    params = model.parameters()
    assert len(params) == 4
    assert tg.gradcheck(lambda x, *_: model(x), (x, *params))


@settings(max_examples=NN_EXAMPLES)
@given(st.integers(1, 4), st.integers(0, 2**16), reductions, st.data())
def test_model_and_loss_gradcheck_wrt_parameters(n_in, seed, reduction, data):
    """Derivatives of MSELoss(model(x), t) w.r.t. every parameter: the path an optimizer follows."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(n_in, 3), nn.Tanh(), nn.Linear(3, 1))
    loss_fn = nn.MSELoss(reduction=reduction)
    batch = data.draw(st.integers(1, 4))
    x, t = data.draw(arrays((batch, n_in))), data.draw(arrays((batch, 1)))
    assert tg.gradcheck(lambda *_: loss_fn(model(x), t), model.parameters())


@settings(max_examples=NN_EXAMPLES)
@given(reductions, st.data())
def test_mse_loss_gradcheck(reduction, data):
    """MSELoss: derivatives w.r.t. the prediction and the target, every reduction."""
    shape = data.draw(batch_shapes(3))
    p, t = Value(data.draw(arrays(shape))), Value(data.draw(arrays(shape)))
    assert tg.gradcheck(nn.MSELoss(reduction=reduction), (p, t))
    assert tg.gradcheck(lambda p, t: nn.mse_loss(p, t, reduction), (p, t))


@settings(max_examples=NN_EXAMPLES)
@given(reductions, st.data())
def test_bce_loss_gradcheck(reduction, data):
    """BCELoss on probabilities in (0.05, 0.95): derivatives w.r.t. the prediction and the target.

    The target is drawn inside (0.05, 0.95) too: finite differences move it by eps, and a
    target outside [0, 1] is rightly an error.
    """
    shape = data.draw(batch_shapes(3))
    p, t = Value(data.draw(probabilities(shape))), Value(data.draw(probabilities(shape)))
    assert tg.gradcheck(nn.BCELoss(reduction=reduction), (p, t))
    assert tg.gradcheck(lambda p, t: nn.binary_cross_entropy(p, t, reduction), (p, t))


@settings(max_examples=NN_EXAMPLES)
@given(reductions, st.data())
def test_bce_with_logits_loss_gradcheck(reduction, data):
    """BCEWithLogitsLoss: derivatives w.r.t. the logits and the target."""
    shape = data.draw(batch_shapes(3))
    x, t = Value(data.draw(arrays(shape, st.floats(-4, 4)))), Value(data.draw(targets01(shape)))
    assert tg.gradcheck(nn.BCEWithLogitsLoss(reduction=reduction), (x, t))
    assert tg.gradcheck(lambda x, t: nn.binary_cross_entropy_with_logits(x, t, reduction), (x, t))


@settings(max_examples=NN_EXAMPLES)
@given(class_problems(), reductions)
def test_cross_entropy_loss_gradcheck(problem, reduction):
    """CrossEntropyLoss on (N, C) or (C,) logits: derivative w.r.t. the logits, every reduction."""
    logits, classes = problem
    logits = Value(logits)
    assert tg.gradcheck(lambda z: nn.CrossEntropyLoss(reduction=reduction)(z, classes), logits)
    assert tg.gradcheck(lambda z: nn.cross_entropy(z, classes, reduction), logits)


@settings(max_examples=NN_EXAMPLES)
@given(st.integers(1, 4), st.integers(2, 4), st.integers(0, 2**16), st.data())
def test_classifier_gradcheck_through_cross_entropy(n_in, n_classes, seed, data):
    """Linear into CrossEntropyLoss: derivatives w.r.t. the input and the layer's parameters."""
    tg.manual_seed(seed)
    layer = nn.Linear(n_in, n_classes)
    batch = data.draw(st.integers(1, 4))
    x = Value(data.draw(arrays((batch, n_in))))
    classes = data.draw(st.lists(st.integers(0, n_classes - 1), min_size=batch, max_size=batch))
    classes = np.array(classes, dtype=np.int64)
    assert tg.gradcheck(lambda x, *_: nn.cross_entropy(layer(x), classes), (x, *layer.parameters()))


def test_gradcheck_catches_a_wrong_module_derivative():
    """The checks above can fail: a module whose rule is off by a factor 2 is caught."""
    double_wrong = tg.Operation("tanh_wrong", np.tanh, lambda g, x, out: 2 * g * (1 - out ** 2))

    class WrongTanh(nn.Module):
        def forward(self, x):
            return double_wrong(x)

    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(WrongTanh(), Value(np.array([0.3, -0.7])))
