"""Every optimizer and the learning-rate scheduler against torch.optim: the weights after several steps
(float64 to rtol 1e-10, float32 to a few units in the last place), with every option, with parameter
groups and rates changed in mid-training, and the layout and contents of their state dicts."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0 to compare with it")

from helpers import close  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import Value, nn, optim  # noqa: E402
from tinygrad_edu.optim import lr_scheduler  # noqa: E402

F = torch.nn.functional



def twin_models(seed=0):
    """A small tinygrad_edu model and a torch copy with identical weights."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return model, reference


def train_both(model, optimizer, reference, their_optimizer, steps=6, between_steps=None):
    """Run the same steps on both (a different batch each step) and compare the weights after each.

    ``between_steps(step)``, if given, is called after each step (to change a rate, or step a scheduler).
    """
    rng = np.random.default_rng(1)
    for step in range(steps):
        x, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
        optimizer.zero_grad()
        nn.mse_loss(model(x), t).backward()
        optimizer.step()
        their_optimizer.zero_grad()
        F.mse_loss(reference(torch.tensor(x)), torch.tensor(t)).backward()
        their_optimizer.step()
        theirs = reference.state_dict()
        for name, p in model.named_parameters():
            close(p.data, theirs[name])
        if between_steps is not None:
            between_steps(step)
    # The weights did move: the comparison is not of two untouched copies.
    initial, _ = twin_models()
    assert not np.allclose(model[0].weight.data, initial[0].weight.data)


def option_ids(options):
    return ",".join(f"{k}={v}" for k, v in options.items()) or "defaults"


# ---------------------------------------------------------------------- each optimizer, every option


SGD_OPTIONS = [dict(momentum=m, dampening=d, weight_decay=w, nesterov=n)
               for m, d, w, n in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 0.05], [False, True])
               if not (n and (m == 0 or d != 0))]

ADAM_OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, betas=(0.0, 0.5), weight_decay=0.01),
]

RMSPROP_OPTIONS = [dict(lr=0.01, alpha=a, eps=e, weight_decay=w, momentum=m, centered=c)
                   for a, e, w, m, c in itertools.product([0.99, 0.5], [1e-8, 1e-3], [0.0, 0.1], [0.0, 0.8],
                                                          [False, True])]


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=option_ids)
def test_sgd_matches_torch(options):
    """SGD with every valid combination of momentum, dampening, weight decay and Nesterov follows torch.optim.SGD."""
    model, reference = twin_models()
    train_both(model, optim.SGD(model.parameters(), lr=0.1, **options),
               reference, torch.optim.SGD(reference.parameters(), lr=0.1, **options))


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=option_ids)
def test_adam_matches_torch(options):
    """Adam, with and without weight decay and with other betas, follows torch.optim.Adam."""
    model, reference = twin_models()
    train_both(model, optim.Adam(model.parameters(), **options),
               reference, torch.optim.Adam(reference.parameters(), **options))


@pytest.mark.parametrize("options", [{}, *ADAM_OPTIONS, dict(lr=0.05, weight_decay=0.0),
                                     dict(lr=0.05, weight_decay=0.5)], ids=option_ids)
def test_adamw_matches_torch(options):
    """AdamW with its defaults (weight decay 1e-2), other betas and eps, and no or strong decay, follows
    torch.optim.AdamW."""
    model, reference = twin_models()
    train_both(model, optim.AdamW(model.parameters(), **options),
               reference, torch.optim.AdamW(reference.parameters(), **options))


@pytest.mark.parametrize("options", [{}, *RMSPROP_OPTIONS], ids=option_ids)
def test_rmsprop_matches_torch(options):
    """RMSprop with its defaults and every combination of alpha, eps, weight decay, momentum and centered
    follows torch.optim.RMSprop."""
    model, reference = twin_models()
    train_both(model, optim.RMSprop(model.parameters(), **options),
               reference, torch.optim.RMSprop(reference.parameters(), **options))


def test_the_defaults_are_torchs():
    """Every optimizer's default hyper-parameters are torch.optim's (those both libraries have)."""
    p, t = Value([1.0]), torch.zeros(1, requires_grad=True)
    for ours, theirs in [(optim.SGD([p]), torch.optim.SGD([t])), (optim.Adam([p]), torch.optim.Adam([t])),
                         (optim.AdamW([p]), torch.optim.AdamW([t])), (optim.RMSprop([p]), torch.optim.RMSprop([t]))]:
        assert ours.defaults == {key: theirs.defaults[key] for key in ours.defaults}


CASES = {
    "SGD": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
            lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "SGD-nesterov": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.5, nesterov=True),
                     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, nesterov=True)),
    "Adam": (lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1), lambda ps: torch.optim.Adam(ps, lr=0.01,
                                                                                                weight_decay=0.1)),
    "AdamW": (lambda ps: optim.AdamW(ps, lr=0.05, betas=(0.3, 0.9), weight_decay=0.3),
              lambda ps: torch.optim.AdamW(ps, lr=0.05, betas=(0.3, 0.9), weight_decay=0.3)),
    "RMSprop": (lambda ps: optim.RMSprop(ps), lambda ps: torch.optim.RMSprop(ps)),
    "RMSprop-all": (lambda ps: optim.RMSprop(ps, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.8, centered=True),
                    lambda ps: torch.optim.RMSprop(ps, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.8,
                                                   centered=True)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(7, 5), (40_001,)], ids=["small", "in-pieces"])
@pytest.mark.parametrize("name", list(CASES))
def test_steps_on_given_gradients_match_torch_in_both_dtypes(name, shape, dtype):
    """Ten steps on the same random gradients: float64 weights agree to 1e-10 of the weights' size, float32
    weights to 4 units in the last place of it, and the weights keep their dtype. (Element by element the
    relative error can be larger where an update cancels a weight to nearly zero: both libraries round
    a few operations differently, PyTorch fusing a multiply and an add.)"""
    ours_make, their_make = CASES[name]
    rng = np.random.default_rng(5)
    start = rng.standard_normal(shape).astype(dtype)
    p, theirs = Value(start.copy()), torch.tensor(start.copy(), requires_grad=True)
    ours_opt, their_opt = ours_make([p]), their_make([theirs])
    for _ in range(10):
        g = rng.standard_normal(shape).astype(dtype)
        p.grad, theirs.grad = g, torch.tensor(g)
        ours_opt.step()
        their_opt.step()
    expected = theirs.detach().numpy()
    assert p.data.dtype == dtype
    scale = np.abs(expected).max()
    tolerance = 1e-10 * scale if dtype == np.float64 else 4 * np.spacing(scale)
    np.testing.assert_allclose(p.data, expected, rtol=0, atol=tolerance)
    assert not np.allclose(p.data, start)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.AdamW(ps, lr=0.01),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
], ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_parameter_without_gradient_is_skipped_like_torch(make):
    """A parameter no loss reaches (grad None) is left unchanged by both libraries, even by weight decay,
    the others still move."""
    tg.manual_seed(3)
    used, unused = nn.Linear(2, 1), nn.Linear(2, 1)
    their_used = [torch.tensor(p.data, requires_grad=True) for p in used.parameters()]
    their_unused = [torch.tensor(p.data, requires_grad=True) for p in unused.parameters()]
    before = unused.state_dict()
    optimizer = make(list(used.parameters()) + list(unused.parameters()))
    their_optimizer = getattr(torch.optim, type(optimizer).__name__)(their_used + their_unused,
                                                                     **optimizer.defaults)
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    for _ in range(3):
        optimizer.zero_grad()
        used(x).sum().backward()
        optimizer.step()
        their_optimizer.zero_grad()
        (torch.tensor(x) @ their_used[0].T + their_used[1]).sum().backward()
        their_optimizer.step()
    for p, q in zip(used.parameters(), their_used):
        close(p.data, q)
    for (name, p), q in zip(unused.named_parameters(), their_unused):
        np.testing.assert_array_equal(p.data, before[name])
        close(p.data, q)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta1", [0.0, 0.3])
def test_adam_with_a_small_beta1_keeps_a_shrinking_gradient_exact(dtype, beta1):
    """With beta1 <= 0.5 the first moment follows PyTorch's lerp from the gradient's end: after a gradient
    of 1 and one of 1e-7, exp_avg (exactly 1e-7 for beta1 = 0) and the weights agree with torch.optim.Adam
    (before, m - (g - m) lost most of 1e-7's digits in float32 and moved the weight by 10%)."""
    p = Value(np.zeros(1, dtype))
    theirs = torch.zeros(1, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True)
    ours_opt = optim.Adam([p], lr=1.0, betas=(beta1, 0.0), eps=0.0)
    their_opt = torch.optim.Adam([theirs], lr=1.0, betas=(beta1, 0.0), eps=0.0)
    for g in (1.0, 1e-7):
        p.grad = np.array([g], dtype)
        theirs.grad = torch.tensor([g], dtype=theirs.dtype)
        ours_opt.step()
        their_opt.step()
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(ours_opt.state[p]["exp_avg"], their_opt.state[theirs]["exp_avg"].numpy(), rtol=rtol)
    np.testing.assert_allclose(p.data, theirs.detach().numpy(), rtol=rtol)
    if beta1 == 0.0:
        assert ours_opt.state[p]["exp_avg"][0] == dtype(1e-7)


# ---------------------------------------------------------------------- parameter groups


def group_layout(lib_optim, name, model, options):
    """An optimizer of the model in two groups: the first layer at its own rate (and momentum), the last
    layer with the defaults."""
    first, last = list(model[0].parameters()), list(model[2].parameters())
    return getattr(lib_optim, name)([{"params": first, "lr": 0.03, **options}, {"params": last}], lr=0.1)


@pytest.mark.parametrize("name, options", [("SGD", {"momentum": 0.5}), ("Adam", {"betas": (0.5, 0.9)}),
                                           ("AdamW", {"weight_decay": 0.2}), ("RMSprop", {"centered": True})])
def test_parameter_groups_match_torch(name, options):
    """Two groups, one with its own rate and another setting, step as torch's do; the groups hold the same
    hyper-parameters as torch's."""
    model, reference = twin_models()
    ours, theirs = group_layout(optim, name, model, options), group_layout(torch.optim, name, reference, options)
    for group, their_group in zip(ours.param_groups, theirs.param_groups):
        assert {key: their_group[key] for key in group if key != "params"} == {
            key: value for key, value in group.items() if key != "params"}
        assert len(group["params"]) == len(their_group["params"])
    train_both(model, ours, reference, theirs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_changing_a_groups_rate_in_mid_training_matches_torch(name):
    """`for g in optimizer.param_groups: g["lr"] = ...` after some steps changes the next steps as in torch."""
    model, reference = twin_models()
    ours = getattr(optim, name)(model.parameters(), lr=0.01)
    theirs = getattr(torch.optim, name)(reference.parameters(), lr=0.01)

    def new_rates(step):
        for optimizer in (ours, theirs):
            for group in optimizer.param_groups:
                group["lr"] = 0.05 / (step + 1)

    train_both(model, ours, reference, theirs, between_steps=new_rates)
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"] == 0.05 / 6


def test_add_param_group_in_mid_training_matches_torch():
    """A group added after two steps (the last layer, at another rate) is updated from then on, as in torch."""
    model, reference = twin_models()
    ours = optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD(reference[0].parameters(), lr=0.1, momentum=0.9)

    def add_group(step):
        if step == 1:
            ours.add_param_group({"params": model[2].parameters(), "lr": 0.02})
            theirs.add_param_group({"params": reference[2].parameters(), "lr": 0.02})

    train_both(model, ours, reference, theirs, between_steps=add_group)
    assert [len(g["params"]) for g in ours.param_groups] == [len(g["params"]) for g in theirs.param_groups]


# ---------------------------------------------------------------------- state dicts


@pytest.mark.parametrize("name, options", [
    ("SGD", {"momentum": 0.9}), ("SGD", {}), ("Adam", {}), ("AdamW", {}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}),
], ids=["SGD-momentum", "SGD", "Adam", "AdamW", "RMSprop", "RMSprop-momentum-centered"])
def test_state_dict_has_torchs_layout_and_numbers(name, options):
    """After a few steps with two groups, state_dict() has torch's layout: the same positions in each group's
    'params', hyper-parameters torch's group also has with the same values, and for each parameter the state
    torch keeps under the same names with the same numbers (torch's SGD without momentum keeps a None buffer,
    which this library does not store)."""
    model, reference = twin_models()
    ours, theirs = group_layout(optim, name, model, options), group_layout(torch.optim, name, reference, options)
    train_both(model, ours, reference, theirs, steps=3)
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert set(mine) == set(torchs) == {"state", "param_groups"}
    for group, their_group in zip(mine["param_groups"], torchs["param_groups"]):
        assert list(group)[-1] == "params"
        assert group == {key: their_group[key] for key in group}
    assert mine["param_groups"][1]["params"] == [2, 3]
    their_state = {i: {k: v for k, v in s.items() if v is not None} for i, s in torchs["state"].items()}
    assert sorted(mine["state"]) == sorted(i for i, s in their_state.items() if s)
    for i, entries in mine["state"].items():
        assert set(entries) == set(their_state[i])
        for key, value in entries.items():
            if key == "step":
                assert value == their_state[i][key].item() == 3
            else:
                close(value, their_state[i][key])


def test_torchs_state_dict_as_numpy_loads_and_steps_on_as_torch():
    """torch's Adam state dict, its tensors turned into numpy arrays (its float step into an integer), loads
    here, and both optimizers then take the same steps."""
    model, reference = twin_models()
    ours = optim.Adam(model.parameters(), lr=0.01)
    theirs = torch.optim.Adam(reference.parameters(), lr=0.01)
    rng = np.random.default_rng(4)
    for _ in range(2):  # torch alone takes two steps
        theirs.zero_grad()
        F.mse_loss(reference(torch.tensor(rng.standard_normal((5, 3)))),
                   torch.tensor(rng.standard_normal((5, 2)))).backward()
        theirs.step()
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    saved = theirs.state_dict()
    ours.load_state_dict({
        "state": {i: {k: int(v.item()) if k == "step" else v.numpy() for k, v in s.items()}
                  for i, s in saved["state"].items()},
        "param_groups": [{k: v for k, v in g.items() if k in ("params", *ours.defaults)}
                         for g in saved["param_groups"]],
    })
    train_both(model, ours, reference, theirs, steps=3)


# ---------------------------------------------------------------------- StepLR


def epochs_of_rates(lib, step_size, gamma, epochs, last_epoch=-1, groups=((0.1, None), (0.5, None))):
    """The rates of each group over the epochs, under StepLR: the list after construction, then after each step()."""
    params = [torch.zeros(1, requires_grad=True) if lib is torch else Value([0.0]) for _ in groups]
    optimizer = lib.optim.SGD([{"params": [p], "lr": lr, **({"initial_lr": initial} if initial else {})}
                               for p, (lr, initial) in zip(params, groups)], lr=0.1)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=gamma, last_epoch=last_epoch)
    rates = [scheduler.get_last_lr()]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
        assert rates[-1] == [g["lr"] for g in optimizer.param_groups]
    return rates, scheduler


@pytest.mark.parametrize("step_size, gamma", [(1, 0.1), (3, 0.5), (7, 0.9), (2, 1.5), (4, 0.0)])
def test_step_lr_rates_match_torch(step_size, gamma):
    """StepLR's rates for two groups over 30 epochs equal torch's exactly (both multiply the current rate)."""
    ours, ours_scheduler = epochs_of_rates(tg, step_size, gamma, 30)
    theirs, their_scheduler = epochs_of_rates(torch, step_size, gamma, 30)
    assert ours == theirs
    state, their_state = ours_scheduler.state_dict(), their_scheduler.state_dict()
    assert state == {key: their_state[key] for key in state}


def test_step_lr_resumed_with_last_epoch_matches_torch():
    """StepLR made with last_epoch=4, on groups that carry their initial_lr, continues as torch's does."""
    groups = ((0.05, 0.1), (0.25, 0.5))
    ours, _ = epochs_of_rates(tg, 3, 0.5, 12, last_epoch=4, groups=groups)
    theirs, _ = epochs_of_rates(torch, 3, 0.5, 12, last_epoch=4, groups=groups)
    assert ours == theirs


def test_step_lr_drives_training_as_in_torch():
    """A model trained with SGD and StepLR (a scheduler step per 'epoch' of one batch) follows torch."""
    model, reference = twin_models()
    ours = optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    theirs = torch.optim.SGD(reference.parameters(), lr=0.2, momentum=0.5)
    schedulers = [lr_scheduler.StepLR(ours, step_size=2, gamma=0.3),
                  torch.optim.lr_scheduler.StepLR(theirs, step_size=2, gamma=0.3)]
    train_both(model, ours, reference, theirs, steps=7, between_steps=lambda step: [s.step() for s in schedulers])
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]
    assert ours.state_dict()["param_groups"][0]["initial_lr"] == theirs.state_dict()["param_groups"][0]["initial_lr"]
