"""The optimizers without PyTorch (SGD, Adam, AdamW, RMSprop, StepLR): single
steps by hand, skipped parameters, parameter groups, checks of arguments and
hyper-parameters, the check of every parameter before a step changes any, and
state_dict/load_state_dict for resuming training (in memory, through
tinygrad_edu.save/load, and from this library's older layout)."""

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, optim


def quadratic_step(optimizer, params, targets):
    """One step on sum((p - target)**2) over all params: gradient 2 (p - target)."""
    optimizer.zero_grad()
    sum(((p - t) ** 2).sum() for p, t in zip(params, targets)).backward()
    optimizer.step()


def test_sgd_step_by_hand():
    """Plain SGD: p <- p - lr * grad."""
    p = Value(np.array([1.0, -2.0]))
    quadratic_step(optim.SGD([p], lr=0.1), [p], [np.zeros(2)])
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 2.0, -2.0 + 0.1 * 4.0], rtol=1e-15)


def test_sgd_momentum_by_hand():
    """Momentum 0.9, dampening 0.5: b1 = g1, b2 = 0.9 b1 + 0.5 g2; the second step uses b2."""
    p = Value(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    quadratic_step(opt, [p], [np.zeros(1)])      # g1 = 2, b1 = 2, p = 0.8
    np.testing.assert_allclose(p.data, [0.8], rtol=1e-15)
    quadratic_step(opt, [p], [np.zeros(1)])      # g2 = 1.6, b2 = 1.8 + 0.8 = 2.6, p = 0.8 - 0.26
    np.testing.assert_allclose(p.data, [0.54], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [2.6], rtol=1e-14)


def test_adam_first_step_moves_each_weight_by_lr():
    """Adam's first bias-corrected step is lr * g / (|g| + eps), i.e. lr in the gradient's direction."""
    p = Value(np.array([3.0, -1.0, 0.001]))
    quadratic_step(optim.Adam([p], lr=0.01, eps=0.0), [p], [np.zeros(3)])
    np.testing.assert_allclose(p.data, [3.0 - 0.01, -1.0 + 0.01, 0.001 - 0.01], rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["SGD", "SGD-momentum-decay", "Adam-decay"])
def test_parameters_without_gradient_are_skipped(make):
    """A parameter whose grad is None is unchanged and gets no state, even with weight decay."""
    used, unused = Value(np.array([1.0, 2.0])), Value(np.array([3.0, 4.0]))
    opt = make([used, unused])
    for _ in range(3):
        quadratic_step(opt, [used], [np.zeros(2)])
    np.testing.assert_array_equal(unused.data, [3.0, 4.0])
    assert not np.array_equal(used.data, [1.0, 2.0])
    assert not opt.state.get(unused)
    assert 1 not in opt.state_dict()["state"]


def test_zero_grad_sets_gradients_to_none():
    """optimizer.zero_grad() forgets every parameter's gradient, so step() then does nothing."""
    layer = nn.Linear(2, 1)
    opt = optim.Adam(layer.parameters(), lr=0.1)
    layer(np.ones((1, 2))).sum().backward()
    assert all(p.grad is not None for p in layer.parameters())
    before = layer.state_dict()
    opt.zero_grad()
    assert all(p.grad is None for p in layer.parameters())
    opt.step()
    for name, p in layer.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_without_set_to_none_fills_the_same_arrays_with_zeros(owner):
    """zero_grad(set_to_none=False), PyTorch's other way: each gradient array is kept and filled with 0;
    a parameter without a gradient keeps None."""
    layer, unused = nn.Linear(2, 1), Value(np.ones(3))
    opt = optim.SGD([*layer.parameters(), unused], lr=0.1)
    layer(np.ones((1, 2))).sum().backward()
    arrays = [p.grad for p in layer.parameters()]
    assert all(np.any(a != 0) for a in arrays)
    (opt if owner == "optimizer" else layer).zero_grad(set_to_none=False)
    for p, a in zip(layer.parameters(), arrays):
        assert p.grad is a
        np.testing.assert_array_equal(a, np.zeros_like(a))
    assert unused.grad is None
    (opt if owner == "optimizer" else layer).zero_grad()
    assert all(p.grad is None for p in layer.parameters())


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=-0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-4),
    lambda p: optim.SGD(p, lr=0.1, nesterov=True),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda p: optim.SGD(p, lr=float("nan")),
    lambda p: optim.Adam(p, lr=-1e-3),
    lambda p: optim.Adam(p, betas=(1.0, 0.999)),
    lambda p: optim.Adam(p, betas=(0.9, 1.0)),
    lambda p: optim.Adam(p, betas=(-0.1, 0.999)),
    lambda p: optim.Adam(p, eps=-1e-8),
    lambda p: optim.Adam(p, weight_decay=-0.1),
], ids=["sgd-lr", "sgd-momentum", "sgd-decay", "nesterov-no-momentum", "nesterov-dampening", "sgd-lr-nan",
        "adam-lr", "adam-beta1=1", "adam-beta2=1", "adam-beta1<0", "adam-eps", "adam-decay"])
def test_invalid_hyperparameters_are_value_errors(make):
    """Negative rates, betas outside [0, 1), Nesterov without momentum (or with dampening): ValueError."""
    with pytest.raises(ValueError):
        make([Value(np.zeros(2))])


def test_parameter_lists_are_checked():
    """No parameters, a repeated parameter or a non-Value are refused."""
    p = Value(np.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([p, p])
    with pytest.raises(TypeError):
        optim.SGD([p, np.zeros(2)], lr=0.1)


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.Adam(p)], ids=["SGD", "Adam"])
def test_optimizer_refuses_the_parameters_method_or_a_module(make):
    """model.parameters (no call) or a module itself: TypeError whose message mentions parameters()."""
    layer = nn.Linear(2, 1)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    for params in (layer.parameters, layer, model, model.parameters):
        with raises(TypeError, "parameters()"):
            make(params)


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=None), lambda p: optim.Adam(p, lr=None)],
                         ids=["SGD", "Adam"])
def test_optimizer_refuses_lr_none(make):
    """lr=None: ValueError naming lr."""
    with raises(ValueError, "lr"):
        make([Value([1.0])])


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.999, 0.5), "ab"])
def test_adam_refuses_betas_that_are_not_a_pair(betas):
    """betas=0.9 (or any non-pair): ValueError naming betas."""
    with raises(ValueError, "betas"):
        optim.Adam([Value([1.0])], betas=betas)


def test_optimizer_accepts_a_generator_of_parameters():
    """params may be any iterable, e.g. a generator: it is read once into a list."""
    layer = nn.Linear(2, 2)
    opt = optim.SGD((p for p in layer.parameters()), lr=0.5)
    layer(np.ones((1, 2))).sum().backward()
    before = layer.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(layer.weight.data, before - 0.5, rtol=1e-15)


# ---------------------------------------------------------------------- state_dict and resuming


def test_state_dict_is_a_copy():
    """Changing the returned state does not change the optimizer's."""
    p = Value(np.array([1.0]))
    opt = optim.Adam([p], lr=0.1)
    quadratic_step(opt, [p], [np.zeros(1)])
    state = opt.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                                      "params": [0]}]
    assert int(state["state"][0]["step"]) == 1
    state["state"][0]["exp_avg"][...] = 99.0
    state["param_groups"][0]["lr"] = 5.0
    state["param_groups"][0]["params"].append(1)
    assert opt.state[p]["exp_avg"][0] != 99.0 and opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[0]["params"] == [p]


def make_problem(seed):
    """A fresh model (weights from seed) and the fixed data it is trained on."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    rng = np.random.default_rng(7)
    return model, rng.standard_normal((8, 3)), rng.standard_normal((8, 1))


def train(model, opt, x, t, steps):
    for _ in range(steps):
        opt.zero_grad()
        nn.mse_loss(model(x), t).backward()
        opt.step()


OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05),
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD-nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01),
}


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "through-save-load"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("k", [0, 3])
def test_resuming_equals_training_without_a_break(name, k, through_file, tmp_path):
    """N steps in one go == k steps, save model and optimizer state, load both into fresh objects, N - k more."""
    n = 7
    make = OPTIMIZERS[name]
    model, x, t = make_problem(0)
    train(model, make(model.parameters()), x, t, n)

    first, x, t = make_problem(0)
    first_opt = make(first.parameters())
    train(first, first_opt, x, t, k)
    checkpoint = {"model": first.state_dict(), "optimizer": first_opt.state_dict()}
    if through_file:
        path = tmp_path / "checkpoint.npz"
        tg.save(checkpoint, path)
        checkpoint = tg.load(path)

    resumed, x, t = make_problem(1)  # other initial weights: loading must overwrite them
    resumed_opt = make(resumed.parameters())
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_opt, x, t, n - k)

    for (name_a, a), (name_b, b) in zip(model.named_parameters(), resumed.named_parameters()):
        assert name_a == name_b
        np.testing.assert_array_equal(a.data, b.data)


def test_resuming_without_the_optimizer_state_differs():
    """The resumption test can fail: dropping Adam's moments changes the result."""
    model, x, t = make_problem(0)
    train(model, OPTIMIZERS["Adam"](model.parameters()), x, t, 6)
    other, x, t = make_problem(0)
    opt = OPTIMIZERS["Adam"](other.parameters())
    train(other, opt, x, t, 3)
    train(other, OPTIMIZERS["Adam"](other.parameters()), x, t, 3)
    assert not np.allclose(model[0].weight.data, other[0].weight.data)


def test_load_state_dict_restores_hyperparameters():
    """Loading a state saved with another learning rate and betas takes them over."""
    p, q = Value(np.zeros(2)), Value(np.zeros(2))
    source = optim.Adam([p], lr=0.5, betas=(0.5, 0.6))
    target = optim.Adam([q])
    target.load_state_dict(source.state_dict())
    assert target.param_groups == [{"params": [q], "lr": 0.5, "betas": (0.5, 0.6), "eps": 1e-8, "weight_decay": 0.0}]


@pytest.mark.parametrize("corrupt, match", [
    (lambda s: s["state"][0].update(exp_avg=np.zeros(3)), "shape"),
    (lambda s: s["state"][0].update(velocity=np.zeros(2)), "velocity"),
    (lambda s: s["state"].update({5: {"step": 1}}), "no parameter 5 here"),
    (lambda s: s["state"].update({"abc": s["state"].pop(0)}), "state keys are parameter positions, got 'abc'"),
    (lambda s: s["param_groups"][0].pop("eps"), r"param_groups\[0\] has no \['eps'\]"),
    (lambda s: s["param_groups"][0].update(lr=-1.0), "lr must be a finite real number >= 0, got -1.0"),
    (lambda s: s["param_groups"][0].update(lr=1j), r"lr must be a finite real number >= 0, got 1j"),
    (lambda s: s["param_groups"][0].update(betas=(0.9, 1.0)), r"betas\[1\] must be a real number in \[0, 1\)"),
    (lambda s: s.pop("param_groups"), "param_groups"),
    (lambda s: s["param_groups"].append(dict(s["param_groups"][0])), "2 parameter groups, this optimizer has 1"),
    (lambda s: s["param_groups"][0].update(params=[0, 1]), "holds 2 parameters, but this optimizer's group holds 1"),
    (lambda s: s["param_groups"][0].update(params=[-1]), "'params' must be a list of parameter positions"),
    (lambda s: s["state"][0].update(step=-1), "'step' of parameter 0 must be an integer >= 0"),
    (lambda s: s["state"][0].update(step=2.7), "'step' of parameter 0 must be an integer >= 0"),
    (lambda s: s["state"][0].update(step=True), "'step' of parameter 0 must be an integer >= 0"),
    (lambda s: s["state"][0].update(exp_avg=np.array([1 + 1j, 0])),
     r"'exp_avg' of parameter 0 is not numbers \(dtype complex128"),
    (lambda s: s["state"][0].update(exp_avg_sq=["1", "2"]), r"'exp_avg_sq' of parameter 0 is not numbers \(dtype <U1"),
    (lambda s: s["state"][0].update(exp_avg=None), r"'exp_avg' of parameter 0 is not numbers \(dtype object"),
    (lambda s: s["state"][0].update(exp_avg=[[1.0], [1.0, 2.0]]), "'exp_avg' of parameter 0 is not an array"),
], ids=["wrong-shape", "unknown-key", "bad-index", "text-index", "missing-hyperparameter", "invalid-lr",
        "complex-lr", "beta2=1", "no-param-groups", "extra-group", "group-too-long", "negative-position",
        "negative-step", "fractional-step", "bool-step", "complex-moment", "string-moment", "missing-moment",
        "ragged-moment"])
def test_optimizer_load_state_dict_rejects_and_changes_nothing(corrupt, match):
    """A state that does not fit is a ValueError, and the optimizer keeps its own state and settings."""
    p = Value(np.array([1.0, 2.0]))
    opt = optim.Adam([p], lr=0.1)
    quadratic_step(opt, [p], [np.zeros(2)])
    before = opt.state_dict()
    bad = opt.state_dict()
    corrupt(bad)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert list(after["state"]) == list(before["state"])
    for key, value in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][key], value)


def test_sgd_state_dict_does_not_fit_adam():
    """An SGD state loaded into Adam is refused: the hyper-parameters differ."""
    p = Value(np.zeros(1))
    with pytest.raises(ValueError):
        optim.Adam([p]).load_state_dict(optim.SGD([p], lr=0.1).state_dict())


def trained_adam():
    """Two parameters, an Adam that has taken two steps, and a function giving fixed gradients."""
    w, b = Value([1.0, -2.0]), Value(0.5)

    def set_grads():
        w.grad, b.grad = np.array([0.3, -0.1]), np.array(0.2)

    opt = optim.Adam([w, b], lr=0.1)
    for _ in range(2):
        set_grads()
        opt.step()
    return w, b, opt, set_grads


@pytest.mark.parametrize("missing", ["step", "exp_avg", "exp_avg_sq"])
def test_adam_load_state_dict_missing_entry_changes_nothing(missing):
    """State for a parameter without 'step', 'exp_avg' or 'exp_avg_sq' raises ValueError naming it; the optimizer
    steps exactly as before."""
    w, b, opt, set_grads = trained_adam()
    w2, b2, twin, set_grads2 = trained_adam()
    broken = opt.state_dict()
    del broken["state"][0][missing]
    broken["param_groups"][0]["lr"] = 5.0  # would show if the hyper-parameters were taken before the error
    with pytest.raises(ValueError, match=rf"state of parameter 0 .* \(missing: \['{missing}'\]\)"):
        opt.load_state_dict(broken)
    for _ in range(2):
        set_grads(), set_grads2()
        opt.step(), twin.step()
    np.testing.assert_array_equal(w.data, w2.data)
    np.testing.assert_array_equal(b.data, b2.data)
    assert opt.state_dict()["param_groups"] == twin.state_dict()["param_groups"]


def test_adam_state_of_a_0d_parameter_loads_into_a_fresh_adam():
    """A complete state dict (of a vector and a 0-d parameter) loads into a fresh Adam, which then steps
    exactly as the original."""
    w, b, opt, set_grads = trained_adam()
    w2, b2 = Value(w.data.copy()), Value(b.data.copy())
    fresh = optim.Adam([w2, b2], lr=0.1)
    fresh.load_state_dict(opt.state_dict())
    set_grads()
    opt.step()
    w2.grad, b2.grad = np.array([0.3, -0.1]), np.array(0.2)
    fresh.step()
    np.testing.assert_array_equal(w.data, w2.data)
    np.testing.assert_array_equal(b.data, b2.data)


@pytest.mark.parametrize("make", [lambda p: optim.Adam(p), lambda p: optim.SGD(p, lr=0.1)], ids=["Adam", "SGD"])
@pytest.mark.parametrize("argument", [[], [("hyperparameters", {})], "state", None],
                         ids=["list", "pairs", "str", "None"])
def test_load_state_dict_of_a_non_dict_is_a_value_error(make, argument):
    """load_state_dict of a list (or other non-dict) raises ValueError, not AttributeError."""
    opt = make([Value([1.0])])
    with pytest.raises(ValueError):
        opt.load_state_dict(argument)


def test_sgd_load_state_dict_unknown_state_key():
    """SGD state with an unknown key ('m') raises ValueError naming it, and changes nothing."""
    w = Value([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.array([1.0, 1.0])
    opt.step()
    broken = opt.state_dict()
    broken["state"][0]["m"] = np.zeros(2)
    with raises(ValueError, "'m'"):
        opt.load_state_dict(broken)
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], [1.0, 1.0])
    assert "m" not in opt.state[w]


# ---------------------------------------------------------------------- large parameters


@pytest.mark.parametrize("shape", [(40_001,), (300, 257), (7, 16_000)], ids=["1-d", "2-d", "exact-blocks"])
def test_sgd_step_on_large_parameters_equals_plain_update(shape):
    """Parameters bigger than SGD's work block get exactly data - lr * grad, every element.

    The block-by-block update must give the same numbers as the one-line
    formula, including the last partial block, for C-ordered and transposed
    gradients alike.
    """
    rng = np.random.default_rng(7)
    start = rng.standard_normal(shape)
    for grad in (rng.standard_normal(shape), np.asfortranarray(rng.standard_normal(shape))):
        p = Value(start)
        p.grad = grad
        optim.SGD([p], lr=0.37).step()
        np.testing.assert_array_equal(p.data, start - 0.37 * grad)


def test_sgd_step_on_a_non_contiguous_parameter_updates_it_in_place():
    """A parameter whose data is a transposed view is still updated in place, element for element."""
    rng = np.random.default_rng(8)
    base = rng.standard_normal((200, 300))
    p = Value(np.zeros((300, 200)))
    p.data = base.T  # a view, not C-contiguous
    p.grad = rng.standard_normal((300, 200))
    expected = base.T - 0.5 * p.grad
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.data, expected)
    np.testing.assert_array_equal(base.T, expected)  # the same memory was written


def plain_sgd(data, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """PyTorch's SGD update on whole arrays, one step per gradient: the reference for the piecewise update."""
    data, buffer = data.copy(), None
    for grad in grads:
        g = grad + weight_decay * data if weight_decay else grad
        if momentum:
            buffer = g.copy() if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        data = data - lr * g
    return data


def plain_adam(data, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """PyTorch's Adam update (AdamW's, if decoupled) on whole arrays, one step per gradient."""
    data, m, v = data.copy(), np.zeros_like(data), np.zeros_like(data)
    for t, grad in enumerate(grads, start=1):
        g = grad + weight_decay * data if weight_decay and not decoupled else grad
        if decoupled:
            data = data * (1 - lr * weight_decay)
        m = m + (1 - betas[0]) * (g - m)
        v = betas[1] * v + (1 - betas[1]) * (g * g)
        data = data - lr / (1 - betas[0] ** t) * m / (np.sqrt(v) / (1 - betas[1] ** t) ** 0.5 + eps)
    return data


def plain_rmsprop(data, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """PyTorch's RMSprop update on whole arrays, one step per gradient."""
    data, s, a, b = data.copy(), np.zeros_like(data), np.zeros_like(data), np.zeros_like(data)
    for grad in grads:
        g = grad + weight_decay * data if weight_decay else grad
        s = s * alpha + (1 - alpha) * g * g
        a = a + (1 - alpha) * (g - a)
        root = (np.sqrt(s - a * a) if centered else np.sqrt(s)) + eps
        if momentum:
            b = b * momentum + g / root
            data = data - lr * b
        else:
            data = data - lr * g / root
    return data


@pytest.mark.parametrize("make, reference", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
     lambda d, gs: plain_sgd(d, gs, 0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True),
     lambda d, gs: plain_sgd(d, gs, 0.1, momentum=0.8, nesterov=True)),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.05),
     lambda d, gs: plain_sgd(d, gs, 0.1, weight_decay=0.05)),
    (lambda ps: optim.Adam(ps, lr=0.01),
     lambda d, gs: plain_adam(d, gs, 0.01)),
    (lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
     lambda d, gs: plain_adam(d, gs, 0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
     lambda d, gs: plain_adam(d, gs, 0.01, weight_decay=0.1, decoupled=True)),
    (lambda ps: optim.RMSprop(ps, lr=0.01, weight_decay=0.1),
     lambda d, gs: plain_rmsprop(d, gs, 0.01, weight_decay=0.1)),
    (lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True),
     lambda d, gs: plain_rmsprop(d, gs, 0.01, alpha=0.9, momentum=0.5, centered=True)),
], ids=["SGD-momentum-dampening-decay", "SGD-nesterov", "SGD-decay", "Adam", "Adam-options", "AdamW",
        "RMSprop-decay", "RMSprop-momentum-centered"])
@pytest.mark.parametrize("shape", [(5,), (40_001,), (300, 257)], ids=["small", "1-d", "2-d"])
def test_updates_of_large_parameters_equal_the_whole_array_formula(make, reference, shape):
    """Three steps, piece by piece for large parameters, give exactly the numbers of the formula on whole arrays.

    The pieces must cover every element once, including the last partial
    piece, and keep the optimizer's state (momentum buffer, m, v) in step.
    """
    rng = np.random.default_rng(11)
    start = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(3)]
    p = Value(start)
    opt = make([p])
    for grad in grads:
        p.grad = grad
        opt.step()
    np.testing.assert_array_equal(p.data, reference(start, grads))


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True)],
                         ids=["Adam", "SGD-momentum", "RMSprop"])
def test_stateful_update_of_a_non_contiguous_parameter_writes_its_memory(make):
    """A large parameter whose data is a transposed view is updated in place, as the formula says."""
    rng = np.random.default_rng(12)
    base = rng.standard_normal((200, 300))
    p = Value(np.zeros((300, 200)))
    p.data = base.T
    grad = rng.standard_normal((300, 200))
    twin = Value(base.T.copy())
    expected = make([twin])
    twin.grad = grad
    expected.step()
    opt = make([p])
    p.grad = grad
    opt.step()
    np.testing.assert_array_equal(base.T, twin.data)  # the same memory was written
    assert p.data.base is base


@pytest.mark.parametrize("bad_grad", [np.ones(1), np.ones((3, 1)), np.ones(40_001), 0.5, [1.0, 2.0]],
                         ids=["broadcastable", "extra axis", "too long", "a number", "a short list"])
def test_a_gradient_of_the_wrong_shape_cannot_be_assigned(bad_grad):
    """Setting .grad by hand to another shape is an error naming both shapes (as in PyTorch), so no
    optimizer can broadcast it into the parameter later; .grad keeps what it had."""
    p = Value(np.array([3.0, 4.0, 5.0]))
    p.grad = np.array([0.5, 0.5, 0.5])  # the right shape is accepted
    with pytest.raises(ValueError, match=r"grad: gradient has shape .*, but the Value has shape \(3,\)"):
        p.grad = bad_grad
    np.testing.assert_array_equal(p.grad, [0.5, 0.5, 0.5])
    p.grad = None
    assert p.grad is None


def test_adam_keeps_float32_parameters_and_state_float32():
    """Adam on a float32 parameter leaves it float32, with float32 moments, piece by piece too."""
    for shape in [(3,), (40_001,)]:
        p = Value(np.ones(shape, dtype=np.float32))
        opt = optim.Adam([p], lr=0.1)
        p.grad = np.full(shape, 0.5, dtype=np.float32)
        opt.step()
        assert p.data.dtype == np.float32
        assert opt.state[p]["exp_avg"].dtype == np.float32 and opt.state[p]["exp_avg_sq"].dtype == np.float32
        np.testing.assert_allclose(p.data, 0.9, rtol=1e-6)


def test_an_assigned_gradient_becomes_an_array_of_its_own_in_the_values_dtype():
    """Lists, numbers, other float types and Values (such as tg.grad's results) are stored as arrays:
    copied, in the Value's dtype, so optimizers can use them and the assigned object stays untouched."""
    p32 = Value(np.zeros((2, 2), dtype=np.float32))
    given = np.ones((2, 2))
    p32.grad = given
    assert type(p32.grad) is np.ndarray and p32.grad.dtype == np.float32 and not np.shares_memory(p32.grad, given)
    p64 = Value(np.zeros((2, 3)))
    same_dtype = np.ones((3, 2)).T  # float64 already, and Fortran-ordered
    p64.grad = same_dtype
    assert not np.shares_memory(p64.grad, same_dtype) and p64.grad.flags.c_contiguous
    np.testing.assert_array_equal(p64.grad, np.ones((2, 3)))
    stored = p64.grad
    p64.grad *= 2  # in place: the stored array itself changes, no copy
    assert p64.grad is stored
    np.testing.assert_array_equal(p64.grad, np.full((2, 3), 2.0))
    p = Value(np.zeros(3))
    p.grad = [1, 2, 3]
    np.testing.assert_array_equal(p.grad, [1.0, 2.0, 3.0])
    assert p.grad.dtype == np.float64
    scalar = Value(0.0)
    scalar.grad = np.float64(2.5)
    assert type(scalar.grad) is np.ndarray and scalar.grad.shape == () and scalar.grad == 2.5
    x = Value(np.full(20_000, 2.0))  # large enough to be updated in pieces
    (gx,) = tg.grad((x * x).sum(), [x])
    x.grad = gx
    optim.SGD([x], lr=0.25).step()
    np.testing.assert_array_equal(x.data, np.full(20_000, 1.0))


@pytest.mark.parametrize("bad", ["abc", {}, object(), np.array([1j, 2j])], ids=["str", "dict", "object", "complex"])
def test_a_gradient_that_is_not_real_numbers_cannot_be_assigned(bad):
    """Anything that is not real numbers is a clear error naming grad, even for a 0-d Value."""
    for p in (Value(1.0), Value([1.0, 2.0])):
        with pytest.raises((TypeError, ValueError), match=r"^grad: "):
            p.grad = bad
        assert p.grad is None


def interrupt_after_first_piece(monkeypatch):
    """Make every optimizer update stop after its first piece, as a KeyboardInterrupt or a
    MemoryError could: the only ways left for a step to stop half-way, since step() checks
    every parameter before it changes one."""
    original = optim.optimizer._pieces

    def first_piece_then_stop(*arrays):
        yield original(*arrays)[0]
        raise KeyboardInterrupt

    for module in (optim.sgd, optim.adam, optim.rmsprop):
        monkeypatch.setattr(module, "_pieces", first_piece_then_stop)


def test_a_first_momentum_step_that_stops_keeps_no_buffer(monkeypatch):
    """The momentum buffer is made piece by piece on the first step; if that step stops half-way,
    no half-made buffer is kept, so the next step starts it afresh."""
    n = 48_000
    p = Value(np.zeros(n))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(n)
    with monkeypatch.context() as patch:
        interrupt_after_first_piece(patch)
        with pytest.raises(KeyboardInterrupt):
            opt.step()
    assert "momentum_buffer" not in opt.state[p]
    p.data = np.zeros(n)
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], np.ones(n))
    np.testing.assert_array_equal(p.data, np.full(n, -0.1))


def test_loaded_optimizer_state_is_c_ordered():
    """State arrays loaded from Fortran-ordered arrays are stored C-ordered, so large ones are still
    updated piece by piece, with the same numbers."""
    shape = (300, 257)
    rng = np.random.default_rng(13)
    p = Value(rng.standard_normal(shape))
    opt = optim.Adam([p], lr=0.01)
    p.grad = rng.standard_normal(shape)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0] = {key: np.asfortranarray(v) if np.ndim(v) == 2 else v for key, v in saved["state"][0].items()}
    assert not saved["state"][0]["exp_avg"].flags.c_contiguous
    q = Value(p.data.copy())
    resumed = optim.Adam([q], lr=0.01)
    resumed.load_state_dict(saved)
    assert resumed.state[q]["exp_avg"].flags.c_contiguous and resumed.state[q]["exp_avg_sq"].flags.c_contiguous
    grad = rng.standard_normal(shape)
    p.grad, q.grad = grad, grad
    opt.step()
    resumed.step()
    np.testing.assert_array_equal(q.data, p.data)


def test_only_writable_leaf_values_can_be_parameters():
    """A Value computed by an operation is refused, naming it, even one made under no_grad (its data may
    be a view of another Value's, which each step would change too); so is a Value whose data is read-only."""
    p = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match=r"parameter 0 was computed by 'mul'"):
        optim.SGD([p * 2], lr=0.1)
    with tg.no_grad():
        view = p.reshape(4)
    view.requires_grad = True
    with pytest.raises(ValueError, match=r"parameter 1 was computed by 'reshape'"):
        optim.Adam([p, view])
    broadcast = Value(np.array([1.0, 2.0]))
    broadcast.data = np.broadcast_to(broadcast.data, (3, 2))
    with pytest.raises(ValueError, match=r"the data of parameter 0 is read-only"):
        optim.SGD([broadcast], lr=0.1)


def test_a_first_adam_step_that_stops_keeps_no_state(monkeypatch):
    """Adam's moments and step count are kept only once a first step is done, so a first step that
    stops half-way leaves the state empty and the next step is a first step."""
    n = 48_000
    p = Value(np.zeros(n))
    opt = optim.Adam([p], lr=0.01)
    p.grad = np.ones(n)
    with monkeypatch.context() as patch:
        interrupt_after_first_piece(patch)
        with pytest.raises(KeyboardInterrupt):
            opt.step()
    assert not opt.state.get(p)
    p.data = np.zeros(n)
    opt.step()
    assert opt.state[p]["step"] == 1
    np.testing.assert_allclose(p.data, np.full(n, -0.01), rtol=1e-7)


def _two_parameter_model():
    """Two parameters with gradients from one backward pass."""
    first, second = Value(np.array([1.0, 2.0])), Value(np.array([[3.0], [4.0]]))
    ((first * first).sum() + (second * second).sum()).backward()
    return first, second


def _replace_with_wider_data(p):
    p.data = np.zeros((2, 3))  # the gradient, of shape (2, 1), would broadcast over it


def _replace_with_integer_data(p):
    p.data = np.array([[3], [4]], dtype=np.int64)


def _make_data_read_only(p):
    p.data.flags.writeable = False


@pytest.mark.parametrize("make_optimizer", [lambda ps: optim.SGD(ps, lr=0.1),
                                            lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                            lambda ps: optim.Adam(ps, lr=0.1)], ids=["SGD", "momentum", "Adam"])
@pytest.mark.parametrize("spoil, reason", [
    (_replace_with_wider_data, r"its data has shape \(2, 3\) but its gradient has shape \(2, 1\)"),
    (_replace_with_integer_data, r"its data is ndarray of dtype int64, not a float array"),
    (_make_data_read_only, r"its data is read-only"),
], ids=["wider", "integers", "read-only"])
def test_step_checks_every_parameter_before_changing_any(make_optimizer, spoil, reason):
    """A parameter whose data was changed after backward() so that it cannot be updated (another shape,
    which the gradient would silently broadcast over; integers; read-only) is an error naming the
    optimizer, the parameter and the problem, and no parameter or state has changed, even the ones
    listed before it."""
    first, second = _two_parameter_model()
    opt = make_optimizer([first, second])
    spoil(second)
    before = [first.data.copy(), np.array(second.data, copy=True)]
    with pytest.raises(ValueError, match=rf"^{type(opt).__name__}\.step: parameter 1 cannot be updated: "
                                         rf"{reason}; nothing was changed$"):
        opt.step()
    np.testing.assert_array_equal(first.data, before[0])
    np.testing.assert_array_equal(second.data, before[1])
    assert not any(opt.state.values())


@pytest.mark.parametrize("make_optimizer, key", [(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), "momentum_buffer"),
                                                 (lambda ps: optim.Adam(ps, lr=0.1), "exp_avg")],
                         ids=["momentum", "Adam"])
def test_step_refuses_state_of_another_shape(make_optimizer, key):
    """After a step, a parameter given data of another shape (and a gradient to match) no longer fits the
    state the optimizer keeps for it: an error naming the state, with nothing changed."""
    first, second = _two_parameter_model()
    opt = make_optimizer([first, second])
    opt.step()
    second.data = np.array([5.0, 6.0, 7.0])
    opt.zero_grad()
    ((first * first).sum() + (second * second).sum()).backward()
    before, state_before = [first.data.copy(), second.data.copy()], opt.state_dict()["state"]
    with pytest.raises(ValueError, match=rf"parameter 1 cannot be updated: its data has shape \(3,\) but the "
                                         rf"optimizer's '{key}' has shape \(2, 1\); nothing was changed$"):
        opt.step()
    np.testing.assert_array_equal(first.data, before[0])
    np.testing.assert_array_equal(second.data, before[1])
    for i in (0, 1):
        for name, value in opt.state_dict()["state"][i].items():
            np.testing.assert_array_equal(value, state_before[i][name])


def test_sgd_learning_rate_defaults_to_torchs():
    """SGD(params) uses lr=1e-3, torch.optim.SGD's default."""
    p = Value(np.array([1.0]))
    opt = optim.SGD([p])
    assert opt.param_groups[0]["lr"] == opt.defaults["lr"] == 1e-3
    p.grad = np.array([2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 2e-3], rtol=1e-15)


class RMSLike(optim.Optimizer):
    """A user's optimizer that keeps its second state array only when momentum is asked for, and stores
    None for it otherwise (as torch's SGD does for its momentum buffer)."""

    state_arrays = ("square_avg", "momentum_buffer")

    def __init__(self, params, lr=0.01):
        super().__init__(params, {"lr": lr})

    def update(self, group, params, grads):
        for p, grad in zip(params, grads):
            state = self.state[p]
            square_avg = state.setdefault("square_avg", np.zeros_like(p.data))
            square_avg[...] = 0.9 * square_avg + 0.1 * grad * grad
            state["momentum_buffer"] = None
            p.data -= group["lr"] * grad / (np.sqrt(square_avg) + 1e-8)


def test_a_subclass_may_leave_some_state_arrays_out():
    """step()'s check before updating accepts state arrays a subclass has not made, or set to None, and
    still refuses one of the wrong shape, naming it."""
    p = Value([1.0, 2.0])
    opt = RMSLike([p])
    for _ in range(2):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert opt.state[p]["momentum_buffer"] is None and p.data[0] < 1.0
    opt.state[p]["square_avg"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"the optimizer's 'square_avg' has shape \(3,\)"):
        opt.step()


def test_a_parameter_held_in_an_ndarray_subclass_is_updated(tmp_path):
    """Data in a writable memory-mapped array (an ndarray subclass) is updated in place, not refused."""
    mapped = np.lib.format.open_memmap(tmp_path / "w.npy", mode="w+", dtype=np.float64, shape=(2,))
    mapped[:] = [1.0, 2.0]
    p = Value([0.0, 0.0])
    p.data = mapped
    p.grad = np.array([1.0, 1.0])
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), [0.5, 1.5])


# ---------------------------------------------------------------------- AdamW and RMSprop by hand


def test_adamw_first_step_shrinks_the_weight_then_moves_it_by_lr():
    """AdamW's first step: p * (1 - lr * weight_decay), then lr in the gradient's direction (eps = 0); the
    decay does not enter the moments, which hold the plain gradient."""
    p = Value(np.array([3.0, -1.0]))
    opt = optim.AdamW([p], lr=0.1, eps=0.0, weight_decay=0.5)
    p.grad = np.array([2.0, 4.0])
    opt.step()
    np.testing.assert_allclose(p.data, [3.0 * 0.95 - 0.1, -1.0 * 0.95 - 0.1], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.2, 0.4], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], [0.004, 0.016], rtol=1e-14)


def test_adamw_defaults_decay_weights_and_adam_does_not():
    """AdamW decays by default (weight_decay 1e-2), Adam does not: with a zero gradient Adam leaves the
    weight alone and AdamW shrinks it by lr * 1e-2."""
    p, q = Value([2.0]), Value([2.0])
    adam, adamw = optim.Adam([p], lr=0.1), optim.AdamW([q], lr=0.1)
    assert adam.defaults["weight_decay"] == 0.0 and adamw.defaults["weight_decay"] == 1e-2
    p.grad, q.grad = np.zeros(1), np.zeros(1)
    adam.step()
    adamw.step()
    assert p.data[0] == 2.0
    np.testing.assert_allclose(q.data, [2.0 * (1 - 0.1 * 1e-2)], rtol=1e-15)


def test_rmsprop_first_steps_by_hand():
    """RMSprop, eps = 0: s = (1 - alpha) g^2 after one step, so the step is lr * g / (|g| sqrt(1 - alpha));
    centered subtracts a^2 = ((1 - alpha) g)^2, leaving (1 - alpha) alpha g^2 under the root."""
    for centered, root in ((False, np.sqrt(0.2)), (True, np.sqrt(0.2 * 0.8))):
        p = Value(np.array([1.0, 1.0]))
        opt = optim.RMSprop([p], lr=0.1, alpha=0.8, eps=0.0, centered=centered)
        p.grad = np.array([3.0, -0.5])
        opt.step()
        np.testing.assert_allclose(p.data, [1.0 - 0.1 / root, 1.0 + 0.1 / root], rtol=1e-14)
        np.testing.assert_allclose(opt.state[p]["square_avg"], [0.2 * 9.0, 0.2 * 0.25], rtol=1e-15)
        assert set(opt.state[p]) == ({"step", "square_avg", "grad_avg"} if centered else {"step", "square_avg"})


def test_rmsprop_momentum_accumulates_the_scaled_steps():
    """With momentum the buffer b = momentum * b + g / d is what moves the weight: two equal gradients (d then
    grows from sqrt(0.5) g to sqrt(0.75) g with alpha = 0.5) give b = 0.9 / sqrt(0.5) + 1 / sqrt(0.75)."""
    p = Value([0.0])
    opt = optim.RMSprop([p], lr=1.0, alpha=0.5, eps=0.0, momentum=0.9)
    for _ in range(2):
        p.grad = np.array([2.0])
        opt.step()
    buffer = 0.9 / np.sqrt(0.5) + 1 / np.sqrt(0.75)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [buffer], rtol=1e-14)
    np.testing.assert_allclose(p.data, [-1 / np.sqrt(0.5) - buffer], rtol=1e-14)
    assert opt.state[p]["step"] == 2


def test_rmsprop_starts_a_running_average_asked_for_in_mid_training_at_zero():
    """Turning on momentum or centered after some steps starts that average at zero, as the first step does
    (PyTorch would fail with a KeyError there); the square average goes on from where it was."""
    p = Value([1.0, 2.0])
    opt = optim.RMSprop([p], lr=0.01)
    p.grad = np.array([1.0, -1.0])
    opt.step()
    square_avg = opt.state[p]["square_avg"].copy()
    opt.param_groups[0]["momentum"] = 0.5
    opt.param_groups[0]["centered"] = True
    before = p.data.copy()
    opt.step()
    s = 0.99 * square_avg + 0.01 * np.ones(2)
    a = 0.01 * np.array([1.0, -1.0])
    np.testing.assert_allclose(opt.state[p]["grad_avg"], a, rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], p.grad / (np.sqrt(s - a * a) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(p.data, before - 0.01 * opt.state[p]["momentum_buffer"], rtol=1e-14)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps),
                                  lambda ps: optim.AdamW(ps),
                                  lambda ps: optim.RMSprop(ps, momentum=0.5, centered=True)],
                         ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_every_optimizer_keeps_float32_parameters_and_state_float32(make):
    """A float32 parameter stays float32, with float32 state arrays, whether small or updated in pieces."""
    for shape in [(3,), (40_001,)]:
        p = Value(np.ones(shape, dtype=np.float32))
        opt = make([p])
        for _ in range(2):
            p.grad = np.full(shape, 0.5, dtype=np.float32)
            opt.step()
        assert p.data.dtype == np.float32 and np.all(p.data < 1)
        arrays = [value for value in opt.state[p].values() if isinstance(value, np.ndarray)]
        assert arrays and all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("make", [lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True),
                                  lambda ps: optim.AdamW(ps)], ids=["RMSprop", "AdamW"])
def test_a_first_step_that_stops_keeps_no_state(monkeypatch, make):
    """RMSprop's averages and AdamW's moments are kept only once a first step is done: a first step stopped
    half-way leaves no state, so the next step is a first step again."""
    n = 48_000
    p = Value(np.zeros(n))
    opt = make([p])
    p.grad = np.ones(n)
    with monkeypatch.context() as patch:
        interrupt_after_first_piece(patch)
        with pytest.raises(KeyboardInterrupt):
            opt.step()
    assert not opt.state.get(p)
    p.data = np.zeros(n)
    opt.step()
    assert opt.state[p]["step"] == 1
    twin = Value(np.zeros(n))
    twin.grad = np.ones(n)
    make([twin]).step()
    np.testing.assert_array_equal(p.data, twin.data)


# ---------------------------------------------------------------------- parameter groups


def test_param_groups_hold_the_params_and_every_hyperparameter():
    """A list of dicts makes one group each, PyTorch's layout: 'params' and every hyper-parameter, those a
    group does not give taken from the optimizer's arguments (kept in .defaults); a list of Values is one group."""
    a, b, c = Value([1.0]), Value([2.0]), Value([3.0])
    opt = optim.SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "nesterov": True}], lr=0.1, momentum=0.9)
    assert opt.param_groups == [
        {"params": [a, b], "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
        {"params": [c], "lr": 0.5, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True}]
    assert opt.defaults == {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    assert all(isinstance(group, dict) for group in opt.param_groups)
    single = optim.Adam([a, b], lr=0.01)
    assert single.param_groups == [{"params": [a, b], "lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8,
                                     "weight_decay": 0.0}]


def test_each_group_steps_with_its_own_rate():
    """SGD with groups at lr 0.1 and 0.5: each parameter moves by its group's lr times its gradient."""
    a, b = Value([1.0]), Value([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.array([2.0]), np.array([2.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.8, 0.0], rtol=1e-15)


def test_setting_a_groups_rate_changes_the_next_steps():
    """`for g in optimizer.param_groups: g["lr"] = ...` (PyTorch's way to change a rate) takes effect at the
    next step; a rate given as an integer or numpy number is stored as a Python float."""
    p = Value([1.0])
    opt = optim.SGD([p], lr=0.1)
    for group in opt.param_groups:
        group["lr"] = np.float32(0.5)
    assert type(opt.param_groups[0]["lr"]) is float
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.5], rtol=1e-15)
    opt.param_groups[0]["lr"] = 1
    opt.step()
    np.testing.assert_allclose(p.data, [-0.5], rtol=1e-15)


@pytest.mark.parametrize("make, key, value, match", [
    (lambda ps: optim.SGD(ps, lr=0.1), "lr", -1.0, "lr must be a finite real number >= 0, got -1.0"),
    (lambda ps: optim.SGD(ps, lr=0.1), "lr", 1j, "lr must be a finite real number >= 0, got 1j"),
    (lambda ps: optim.SGD(ps, lr=0.1), "lr", float("nan"), "lr must be a finite real number >= 0, got nan"),
    (lambda ps: optim.SGD(ps, lr=0.1), "lr", "0.1", "lr must be a finite real number >= 0, got '0.1'"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), "momentum", 0.0,
     "Nesterov momentum needs momentum > 0"),
    (lambda ps: optim.Adam(ps), "betas", (0.9, 1.0), r"betas[1] must be a real number in [0, 1), got 1.0"),
    (lambda ps: optim.RMSprop(ps), "centered", 1, "centered must be True or False, got 1"),
    (lambda ps: optim.RMSprop(ps), "params", [], "'params' cannot be replaced"),
], ids=["negative", "complex", "nan", "text", "nesterov", "beta2=1", "centered-int", "params"])
def test_an_invalid_assignment_to_a_group_is_refused_and_changes_nothing(make, key, value, match):
    """Assigning an invalid hyper-parameter to a group is a ValueError naming the optimizer, the group and
    the value, raised before the group changes."""
    p = Value([1.0])
    opt = make([p])
    before = dict(opt.param_groups[0])
    with raises(ValueError, f"{type(opt).__name__} param_groups[0]: ", match):
        opt.param_groups[0][key] = value
    assert opt.param_groups[0] == before


def test_add_param_group():
    """add_param_group adds a group (the defaults fill what it leaves out) whose parameters step from then
    on; an invalid group is refused naming add_param_group, and the optimizer keeps its groups."""
    a, b = Value([1.0]), Value([1.0])
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1] == {"params": [b], "lr": 0.2, "momentum": 0.5, "dampening": 0.0,
                                   "weight_decay": 0.0, "nesterov": False}
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.8], rtol=1e-15)
    for bad, kind, match in [({"params": [a]}, ValueError, "parameter 2 is parameter 0 again"),
                             ({"params": [Value([0.0])], "lr": -1}, ValueError, "param_groups[2]: lr must be"),
                             ([Value([0.0])], TypeError, "a parameter group is a dict"),
                             ({"lr": 0.1}, ValueError, "needs a 'params' entry")]:
        with raises(kind, match):
            opt.add_param_group(bad)
        assert len(opt.param_groups) == 2


@pytest.mark.parametrize("params, kind, match", [
    (lambda p: None, TypeError, "SGD: params must be an iterable of Values (such as model.parameters()) or of "
                                "parameter groups (dicts); got NoneType"),
    (lambda p: 5, TypeError, "got int"),
    (lambda p: 2.5, TypeError, "got float"),
    (lambda p: "abc", TypeError, "got str"),
    (lambda p: {"params": [p]}, TypeError, "params is a dict; a parameter group goes inside a list"),
    (lambda p: {p}, TypeError, "ordered collection such as a list"),
    (lambda p: [p, {"params": [Value([2.0])]}], TypeError, "mixes Values and parameter groups"),
    (lambda p: [3, {"params": []}], TypeError, "mixes Values and parameter groups"),
    (lambda p: [], ValueError, "empty list of parameters"),
    (lambda p: [{"lr": 0.1}], ValueError, "a parameter group needs a 'params' entry"),
    (lambda p: [{"params": [p], 1: 0.1}], TypeError, "keys of a parameter group are names (strings), got 1"),
    (lambda p: [{"params": None}], TypeError, "'params' must be a list of Values, got NoneType"),
    (lambda p: [{"params": {p}}], TypeError, "ordered collection such as a list"),
    (lambda p: [{"params": [np.zeros(2)]}], TypeError, "parameter 0 is a ndarray, not a Value"),
    (lambda p: [{"params": [p], "lr": 1j}], ValueError, "SGD param_groups[0]: lr must be a finite real number"),
    (lambda p: [{"params": [p]}, {"params": [Value([1.0])], "momentum": -1}], ValueError,
     "SGD param_groups[1]: momentum must be"),
    (lambda p: [{"params": [p]}, {"params": [p]}], ValueError, "parameter 1 is parameter 0 again"),
], ids=["None", "int", "float", "str", "a-group-alone", "set", "mixed", "number-and-group", "empty",
        "group-without-params", "non-string-key", "params-None", "params-set", "params-array", "complex-lr",
        "negative-momentum", "shared-across-groups"])
def test_bad_params_and_param_groups_are_refused_naming_the_call(params, kind, match):
    """What is not a list of Values or of group dicts (None, a number, a set, one dict, a mix), and a group
    that is not valid, is a clear error naming the optimizer."""
    with raises(kind, match):
        optim.SGD(params(Value([1.0])), lr=0.1)


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop])
def test_none_and_non_iterables_are_refused_by_every_optimizer(make):
    """Every optimizer refuses params=None with a TypeError naming itself."""
    with raises(TypeError, f"{make.__name__}: params must be an iterable of Values"):
        make(None)


NUMBERS = {"SGD": ["lr", "momentum", "dampening", "weight_decay"], "Adam": ["lr", "eps", "weight_decay"],
           "AdamW": ["lr", "eps", "weight_decay"], "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"]}


@pytest.mark.parametrize("bad", [1j, np.complex128(0.5), float("nan"), float("inf"), -1.0, "0.1", None, True, 10**400],
                         ids=["complex", "numpy-complex", "nan", "inf", "negative", "text", "None", "bool", "huge-int"])
@pytest.mark.parametrize("name", list(NUMBERS))
def test_hyperparameters_that_are_not_finite_real_numbers_are_refused_at_construction(name, bad):
    """Complex, NaN, infinite, negative and non-numeric lr, eps, momentum, weight_decay, alpha (and each
    beta) are a ValueError naming the optimizer, the hyper-parameter and the value, when the optimizer is
    made (complex numbers used to be accepted until step())."""
    make = getattr(optim, name)
    keys = NUMBERS[name] + (["betas"] if name.startswith("Adam") else [])
    for key in keys:
        value = (0.9, bad) if key == "betas" else bad
        label = "betas[1]" if key == "betas" else key
        with raises(ValueError, f"{name}: {label} must be ", f"got {bad!r}"):
            make([Value([1.0])], **{key: value})


def test_bounded_hyperparameters():
    """alpha may be 0 to 1 (PyTorch's RMSprop allows 1 too), betas 0 to just under 1; the limits themselves
    behave as their formulas say."""
    for alpha in (0.0, 1.0):
        optim.RMSprop([Value([1.0])], alpha=alpha)
    with raises(ValueError, "RMSprop: alpha must be a real number in [0, 1], got 1.5"):
        optim.RMSprop([Value([1.0])], alpha=1.5)
    optim.Adam([Value([1.0])], betas=(0.0, 0.0))
    with raises(ValueError, "Adam: betas[0] must be a real number in [0, 1), got 1"):
        optim.Adam([Value([1.0])], betas=(1, 0.5))


def test_leaf_values_made_without_a_graph_can_be_parameters():
    """PyTorch's rule is leaves only: a Value computed by an operation outside any graph (w = randn(3) * 0.1,
    then requires_grad_()) is a leaf, so it is accepted and updated; a Value in a graph is still refused."""
    tg.manual_seed(0)
    w = tg.randn(3) * 0.1
    w.requires_grad_()
    assert not w.inputs
    opt = optim.SGD([w], lr=0.5)
    start = w.data.copy()
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, start - 0.5 * 2 * start, rtol=1e-15)
    with raises(ValueError, "parameter 0 was computed by 'mul'"):
        optim.SGD([w * 2], lr=0.1)


def test_a_graph_built_before_a_step_can_no_longer_be_differentiated():
    """step() marks the parameters it changed, so backward() through a loss built before the step raises
    PyTorch's 'modified by an inplace operation' error instead of using the new weights silently."""
    w = Value([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    x = np.array([3.0, 4.0])
    first, second = (w * w * x).sum(), (w * w * x).sum()  # mul's rules read w
    first.backward()
    opt.step()
    with raises(RuntimeError, "modified by an inplace operation"):
        second.backward()
    opt.zero_grad()
    ((w * x).sum() ** 2).backward()  # a graph built after the step is fine
    assert w.grad is not None


def test_step_marks_all_updated_parameters_changed_in_one_call(monkeypatch):
    """step() stamps every parameter it updated (across groups) with one mark_changed call, and none it
    skipped."""
    a, b, c = Value([1.0]), Value([2.0]), Value([3.0])
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.2}], lr=0.1)
    calls = []
    monkeypatch.setattr(optim.optimizer, "mark_changed", lambda values: calls.append(list(values)))
    a.grad, c.grad = np.array([1.0]), np.array([1.0])
    opt.step()
    assert len(calls) == 1 and len(calls[0]) == 2
    assert calls[0][0] is a and calls[0][1] is c


def test_step_with_a_closure_returns_its_loss():
    """step(closure), PyTorch's form: the closure recomputes the loss and gradients (with grad mode on, even
    under no_grad), step() updates with them and returns the loss."""
    w = Value([1.0])
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 1.0
    np.testing.assert_allclose(w.data, [0.5], rtol=1e-15)
    assert opt.step() is None


def test_repr_with_several_groups_names_each():
    """With more than one group, the repr gives each group's size and hyper-parameters."""
    opt = optim.SGD([{"params": [Value([1.0]), Value([2.0])]}, {"params": [Value([3.0])], "lr": 0.5}], lr=0.1)
    assert repr(opt) == ("SGD(group 0: 2 parameters, lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, "
                         "nesterov=False; group 1: 1 parameter, lr=0.5, momentum=0.0, dampening=0.0, "
                         "weight_decay=0.0, nesterov=False)")


def test_an_optimizer_can_be_deep_copied_and_pickled():
    """copy.deepcopy and pickle give an optimizer of the copied parameters, with the same state, whose groups
    still check assignments."""
    import copy
    import pickle

    p = Value([1.0, 2.0])
    opt = optim.Adam([{"params": [p], "lr": 0.5}])
    p.grad = np.array([1.0, 1.0])
    opt.step()
    for twin in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        q = twin.param_groups[0]["params"][0]
        assert q is not p
        np.testing.assert_array_equal(q.data, p.data)
        np.testing.assert_array_equal(twin.state[q]["exp_avg"], opt.state[p]["exp_avg"])
        with raises(ValueError, "lr must be"):
            twin.param_groups[0]["lr"] = -1.0
        assert twin.param_groups[0]["lr"] == 0.5


# ---------------------------------------------------------------------- state dicts: groups, files, the old layout


def test_state_dict_numbers_the_parameters_across_groups():
    """state_dict() is PyTorch's layout: 'param_groups' a list of each group's hyper-parameters with 'params'
    last, as positions counted across the groups; 'state' holds the parameters that have state, by position;
    keys a scheduler adds to a group ('initial_lr') are kept."""
    a, b, c = Value([1.0]), Value([2.0]), Value([3.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b, c], "lr": 0.5}], lr=0.1, momentum=0.9)
    lr_scheduler = optim.lr_scheduler.StepLR(opt, step_size=3)
    a.grad, c.grad = np.array([1.0]), np.array([2.0])
    opt.step()
    lr_scheduler.step()
    saved = opt.state_dict()
    assert list(saved) == ["state", "param_groups"]
    assert saved["param_groups"] == [
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "initial_lr": 0.1,
         "params": [0]},
        {"lr": 0.5, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False, "initial_lr": 0.5,
         "params": [1, 2]}]
    assert list(saved["state"]) == [0, 2]
    np.testing.assert_array_equal(saved["state"][2]["momentum_buffer"], [2.0])


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "through-save-load"])
def test_groups_and_their_state_resume_exactly(through_file, tmp_path):
    """An RMSprop with two groups (other rate and momentum in the second), saved after 3 steps and loaded
    into a fresh one (made with other settings), continues exactly as the original; after save/load the
    groups come back keyed by position, and load_state_dict takes that too."""
    def make(model, lr=0.01):
        return optim.RMSprop([{"params": model[0].parameters()},
                              {"params": model[2].parameters(), "lr": 0.05, "momentum": 0.5}], lr=lr)

    model, x, t = make_problem(0)
    opt = make(model)
    train(model, opt, x, t, 3)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict()}
    if through_file:
        tg.save(checkpoint, tmp_path / "checkpoint.npz")
        checkpoint = tg.load(tmp_path / "checkpoint.npz")
        assert set(checkpoint["optimizer"]["param_groups"]) == {"0", "1"}
    resumed, _, _ = make_problem(1)
    resumed_opt = make(resumed, lr=0.3)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert resumed_opt.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    train(model, opt, x, t, 4)
    train(resumed, resumed_opt, x, t, 4)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def old_layout_of(opt):
    """The state dict this library saved before it took PyTorch's layout, written out by hand from the
    optimizer's numbers: {"hyperparameters": {...}, "state": {position: {...}}}, Adam's moments as "m", "v"."""
    group = opt.param_groups[0]
    hyperparameters = {key: value for key, value in group.items() if key != "params"}
    old_names = {"exp_avg": "m", "exp_avg_sq": "v"}
    state = {i: {old_names.get(key, key): np.copy(value) for key, value in opt.state[p].items()}
             for i, p in enumerate(group["params"]) if opt.state.get(p)}
    return {"hyperparameters": hyperparameters, "state": state}


@pytest.mark.parametrize("name", ["Adam", "SGD-momentum"])
@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "through-save-load"])
def test_a_state_in_the_old_layout_still_loads(name, through_file, tmp_path):
    """A state dict in this library's old layout (written by hand here, and through save/load as old files
    hold it) loads, and training then continues exactly as without the break."""
    make = OPTIMIZERS[name]
    model, x, t = make_problem(0)
    opt = make(model.parameters())
    train(model, opt, x, t, 3)
    old = old_layout_of(opt)
    assert ("m" in old["state"][0]) == (name == "Adam")
    if through_file:
        tg.save(old, tmp_path / "old.npz")
        old = tg.load(tmp_path / "old.npz")
    resumed, _, _ = make_problem(0)
    resumed.load_state_dict(model.state_dict())
    resumed_opt = make(resumed.parameters())
    resumed_opt.load_state_dict(old)
    train(model, opt, x, t, 3)
    train(resumed, resumed_opt, x, t, 3)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_the_old_layout_is_checked_like_the_new():
    """An old-layout state with a hyper-parameter missing, an unknown state name, or loaded into an optimizer
    with two groups is refused, changing nothing."""
    p, q = Value([1.0]), Value([2.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.array([1.0])
    opt.step()
    old = old_layout_of(opt)
    before = opt.state_dict()
    for broken, match in [({**old, "hyperparameters": {"lr": 0.1}}, r"has no \['betas', 'eps', 'weight_decay'\]"),
                          ({**old, "state": {0: {**old["state"][0], "w": np.zeros(1)}}}, r"unknown: \['w'\]"),
                          ({**old, "hyperparameters": 3}, "expected 'hyperparameters' and 'state' to be dicts")]:
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict(broken)
        assert opt.state_dict()["param_groups"] == before["param_groups"]
        np.testing.assert_array_equal(opt.state[p]["exp_avg"], before["state"][0]["exp_avg"])
    with raises(ValueError, "holds one parameter group, but this optimizer has 2"):
        optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(old)


# ---------------------------------------------------------------------- StepLR


def test_step_lr_by_hand():
    """lr 1, step_size 2, gamma 0.5: the rates of epochs 0 to 6 are 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125; the
    group remembers its starting rate as 'initial_lr'."""
    opt = optim.SGD([Value([1.0])], lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    rates = [scheduler.get_last_lr()[0]]
    for _ in range(6):
        opt.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert opt.param_groups[0]["lr"] == 0.125 and opt.param_groups[0]["initial_lr"] == 1.0
    assert scheduler.last_epoch == 6
    scheduler.get_last_lr().append(5.0)  # a copy
    assert scheduler.get_last_lr() == [0.125]


@pytest.mark.parametrize("arguments, kind, match", [
    (dict(optimizer=None, step_size=2), TypeError, "StepLR: the first argument is the optimizer"),
    (dict(step_size=0), ValueError, "StepLR: step_size must be an integer >= 1"),
    (dict(step_size=2.5), ValueError, "StepLR: step_size must be an integer >= 1"),
    (dict(step_size=True), ValueError, "StepLR: step_size must be an integer >= 1"),
    (dict(step_size=2, gamma=-0.5), ValueError, "StepLR: gamma must be a finite real number >= 0"),
    (dict(step_size=2, gamma=1j), ValueError, "StepLR: gamma must be a finite real number >= 0"),
    (dict(step_size=2, last_epoch=-2), ValueError, "StepLR: last_epoch must be an integer >= -1"),
    (dict(step_size=2, last_epoch=3), ValueError, "param_groups[0] has no 'initial_lr'"),
], ids=["no-optimizer", "step-size-0", "step-size-float", "step-size-bool", "negative-gamma", "complex-gamma",
        "last-epoch", "resume-without-initial-lr"])
def test_step_lr_refuses_bad_arguments_changing_nothing(arguments, kind, match):
    """Bad arguments to StepLR are clear errors naming it, and leave the optimizer's groups as they were."""
    opt = optim.SGD([Value([1.0])], lr=0.1)
    before = dict(opt.param_groups[0])
    with raises(kind, match):
        optim.lr_scheduler.StepLR(**{"optimizer": opt, **arguments})
    assert opt.param_groups[0] == before


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "through-save-load"])
def test_step_lr_resumes_from_its_state_dict(through_file, tmp_path):
    """A scheduler and optimizer saved at epoch 3 and loaded into fresh ones (the scheduler made before the
    optimizer's state is loaded, as PyTorch advises) give the same rates from then on."""
    def make():
        opt = optim.SGD([{"params": [Value([1.0])]}, {"params": [Value([1.0])], "lr": 0.3}], lr=0.1)
        return opt, optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    opt, scheduler = make()
    for _ in range(3):
        scheduler.step()
    checkpoint = {"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}
    assert checkpoint["scheduler"] == {"step_size": 2, "gamma": 0.5, "base_lrs": [0.1, 0.3], "last_epoch": 3,
                                       "_step_count": 4, "_last_lr": [0.05, 0.15]}
    if through_file:
        tg.save(checkpoint, tmp_path / "checkpoint.npz")
        checkpoint = tg.load(tmp_path / "checkpoint.npz")
    resumed_opt, resumed = make()
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.state_dict() == scheduler.state_dict()
    for _ in range(5):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()


def test_step_lr_load_state_dict_refuses_and_changes_nothing():
    """A scheduler state that does not fit (other keys, other number of groups, a bad count or gamma) is a
    ValueError naming load_state_dict, and the scheduler keeps its own."""
    opt = optim.SGD([Value([1.0])], lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2)
    good = scheduler.state_dict()
    for broken, match in [({**good, "extra": 1}, "expected a dict with"),
                          ([1, 2], "expected a dict with"),
                          ({**good, "base_lrs": [0.1, 0.2]}, "'base_lrs' holds 2 rates, but the optimizer has 1"),
                          ({**good, "last_epoch": -3}, "'last_epoch' must be an integer >= -1"),
                          ({**good, "gamma": float("nan")}, "gamma must be a finite real number"),
                          ({**good, "step_size": 0}, "step_size must be an integer >= 1")]:
        with raises(ValueError, "StepLR.load_state_dict: ", match):
            scheduler.load_state_dict(broken)
        assert scheduler.state_dict() == good
