"""In-place changes: PyTorch's rules for +=, add_ and x[i] = ..., and the check that a Value changed in
place after an operation used it makes backward() through that operation refuse, as PyTorch does.

Each behaviour is compared with PyTorch: the same program must raise in both, or give the same numbers.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, no_grad, optim

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")

INPLACE_MESSAGE = "modified by an inplace operation"


def torch_raises(fn):
    """True if the PyTorch program fn raises a RuntimeError (the reference for ours)."""
    try:
        fn()
    except RuntimeError:
        return True
    return False


# ---------------------------------------------------------------------- the training loop written by hand


def hand_written_training(lib, steps=200):
    """PyTorch's 'learning with tensors' loop: parameters updated with -= under no_grad. Returns the losses."""
    xs = np.linspace(-1, 1, 50)
    ys = np.sin(xs)
    x, y = lib.tensor(xs), lib.tensor(ys)
    a = lib.tensor(0.1, dtype=lib.float64, requires_grad=True)  # PyTorch's default float type is float32
    b = lib.tensor(-0.2, dtype=lib.float64, requires_grad=True)
    c = lib.tensor(0.3, dtype=lib.float64, requires_grad=True)
    params = [a, b, c]
    losses = []
    for _ in range(steps):
        loss = ((a + b * x + c * x ** 3 - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for param in params:
                param -= 1e-3 * param.grad  # rebinding `param` would leave the model untouched
                param.grad = None
    return losses


def test_a_hand_written_update_under_no_grad_trains_as_in_pytorch():
    """`param -= lr * param.grad` changes the parameter in place (it rebound the loop variable, so the model
    never trained), and the losses follow PyTorch's."""
    ours, theirs = hand_written_training(tg), hand_written_training(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert ours[-1] < ours[0] / 10


def test_an_update_of_a_leaf_outside_no_grad_is_refused_as_in_pytorch():
    """`a -= lr * a.grad` outside no_grad: PyTorch's leaf error (it used to grow the graph every step)."""
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        (a * a).sum().backward()
        step = 0.1 * lib.tensor(a.grad) if lib is tg else 0.1 * a.grad
        with pytest.raises(RuntimeError, match="leaf"):
            a -= step
    for method in ("add_", "sub_", "mul_", "div_"):
        with pytest.raises(RuntimeError, match=f"{method}.*leaf"):
            getattr(tg.tensor([1.0], requires_grad=True), method)(2.0)
    with pytest.raises(RuntimeError, match="leaf"):
        tg.tensor([1.0], requires_grad=True).zero_()


def test_augmented_operators_on_a_value_in_a_graph_compute_a_new_value():
    """h += 1 on a Value in a graph rebinds h to h + 1 (PyTorch records it in place): the same numbers."""
    data = np.array([1.0, -2.0, 3.0])
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, requires_grad=True)
        h = x * 2
        h += 1
        h *= x
        h /= 4
        h -= x
        h.sum().backward()
        results.append((h.detach().numpy().copy(), np.array(x.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_inplace_methods_on_a_value_in_a_graph_are_refused_with_the_reason():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match="add_.*part of a graph"):
        h.add_(1)
    with pytest.raises(RuntimeError, match="__setitem__.*part of a graph"):
        h[0] = 5.0
    buffer = tg.zeros(2)
    with pytest.raises(RuntimeError, match="copy_.*other argument"):
        buffer.copy_(h)  # would make the buffer part of the graph


def test_inplace_methods_match_pytorch_on_values_that_need_no_gradient():
    data = np.array([[1.0, -2.0], [3.0, 0.5]])
    programs = [
        lambda x, lib: x.add_(lib.tensor([1.0, 2.0]), alpha=0.5),
        lambda x, lib: x.sub_(2.0),
        lambda x, lib: x.mul_(3),
        lambda x, lib: x.div_(lib.tensor([[2.0], [4.0]])),
        lambda x, lib: x.zero_(),
        lambda x, lib: x.fill_(7.5),
        lambda x, lib: x.copy_(lib.tensor([9.0, 8.0])),
        lambda x, lib: x.clamp_(-1.0, 1.0),
        lambda x, lib: x.clamp_(min=0.0),
        lambda x, lib: x.pow_(2),
    ]
    for program in programs:
        ours, theirs = tg.tensor(data), torch.tensor(data)
        assert program(ours, tg) is ours  # in-place methods return the Value itself
        program(theirs, torch)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_setitem_as_in_pytorch():
    data = np.arange(6.0).reshape(2, 3)
    ours, theirs = tg.tensor(data), torch.tensor(data)
    ours[ours > 2] = 0
    theirs[theirs > 2] = 0
    ours[0, 1] = -1.0
    theirs[0, 1] = -1.0
    ours[:, 0] = tg.tensor([5.0, 6.0])
    theirs[:, 0] = torch.tensor([5.0, 6.0])
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        w[0] = 10.0
    assert w.tolist() == [10.0, 2.0]


def test_a_change_through_a_view_is_a_change_of_the_base_as_in_numpy():
    x = tg.zeros(4)
    view = x[1:3]
    view += 1
    x.view(2, 2)[1] = 5.0
    assert x.tolist() == [0.0, 1.0, 5.0, 5.0]


def test_inplace_dtype_rules():
    """A float32 Value stays float32; an integer Value refuses a float result (PyTorch refuses too)."""
    f32 = tg.tensor([1.0, 2.0], dtype=tg.float32)
    f32 += np.array([0.5, 0.5])  # float64 numbers, cast into float32
    assert f32.dtype == np.float32 and f32.tolist() == [1.5, 2.5]
    i = tg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=.*int64"):
        i += 0.5
    assert torch_raises(lambda: torch.tensor([1, 2]).__iadd__(0.5))
    i += 3
    assert i.tolist() == [4, 5] and i.dtype == np.int64
    read_only = tg.tensor([1.0]).broadcast_to((3,))
    with pytest.raises(ValueError, match="read-only"):
        read_only += 1


# ---------------------------------------------------------------------- the in-place check


def test_backward_after_an_optimizer_step_is_refused_as_in_pytorch():
    """loss1.backward(); opt.step(); loss2.backward() with loss2 built before the step: PyTorch raises
    (the first-layer gradient used to come from the new weights, silently)."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[1.0], [1.0], [0.0]])
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))
    opt = optim.SGD(model.parameters(), lr=0.5)
    loss1 = nn.MSELoss()(model(X), y)
    loss2 = nn.MSELoss()(model(X) * 2, y)
    loss1.backward()
    opt.step()
    with pytest.raises(RuntimeError, match=INPLACE_MESSAGE):
        loss2.backward()

    t_model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1)).double()
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.5)
    tX, ty = torch.tensor(X), torch.tensor(y)
    t_loss1 = torch.nn.MSELoss()(t_model(tX), ty)
    t_loss2 = torch.nn.MSELoss()(t_model(tX) * 2, ty)
    t_loss1.backward()
    t_opt.step()
    assert torch_raises(t_loss2.backward)


def test_the_error_names_the_operation_and_the_input():
    w = Value([1.0, 2.0], name="w")
    y = (w * w).sum()
    with no_grad():
        w.mul_(3)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*argument [01].*named 'w'.*'mul'"):
        y.backward()
    assert w.grad is None  # nothing was stored


def test_an_operation_whose_rules_do_not_read_the_changed_value_still_works_as_in_pytorch():
    """z = b + 1; change b; z.backward() works: add's rules read nothing (b * c would raise)."""
    for lib in (tg, torch):
        b = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        z = b + 1
        product = b * c
        with lib.no_grad():
            b.mul_(3)
        z.sum().backward()
        assert b.grad.tolist() == [1.0, 1.0]
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            product.sum().backward()


@pytest.mark.parametrize("name, change", [
    ("the Value itself", lambda w: w.add_(1)),
    ("setitem", lambda w: w.__setitem__(0, 5.0)),
    ("a basic-index view", lambda w: w[1:].mul_(2)),
    ("a reshaped view", lambda w: w.reshape(2, 1).fill_(0.0)),
    ("detach", lambda w: w.detach().zero_()),
])
def test_a_change_through_any_view_is_seen_as_in_pytorch(name, change):
    """Values sharing memory share their change stamp: a change through any of them is seen."""
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (w.exp() * w).sum()  # exp's rule reads its result, mul's reads w
        with lib.no_grad():
            change(w)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_a_change_to_an_operations_own_result_is_seen():
    """exp's rule reads its result: changing the result in place (under no_grad) makes backward refuse."""
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        e = x.exp()
        with lib.no_grad():
            e.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            e.sum().backward()


def test_load_state_dict_counts_as_a_change():
    layer = nn.Linear(2, 1)
    loss = (layer.weight ** 2).sum()  # pow's rule for the weight reads the weight
    layer.load_state_dict(layer.state_dict())
    with pytest.raises(RuntimeError, match=INPLACE_MESSAGE):
        loss.backward()


def test_only_what_the_running_rules_read_is_checked_as_in_pytorch():
    """The check covers what the rules of inputs that need a gradient read, as PyTorch saves them: one Linear
    layer on constant input, stepped between forward and backward, still backpropagates (its weight rule reads
    the input, not the weight), and w * c with c needing no gradient ignores a change to w."""
    results = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        layer = lib.nn.Linear(2, 1).double()
        x = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
        opt = lib.optim.SGD(layer.parameters(), lr=0.5)
        loss1, loss2 = layer(x).sum(), (layer(x) ** 2).sum()
        loss1.backward()
        opt.step()
        opt.zero_grad()
        loss2.backward()  # fine in both: pow reads linear's result, linear's weight rule reads x
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        c = lib.tensor([3.0, 4.0], dtype=lib.float64)
        y = (w * c).sum()
        with lib.no_grad():
            w.add_(1.0)
        y.backward()
        results.append(np.array(w.grad))
    np.testing.assert_array_equal(results[0], results[1])
    assert results[0].tolist() == [3.0, 4.0]


def test_a_graph_built_after_the_change_backpropagates_normally():
    w = Value([1.0, 2.0])
    with no_grad():
        w.mul_(3)
    (w * w).sum().backward()
    assert w.grad.tolist() == [6.0, 12.0]


def test_gradcheck_is_not_tripped_by_its_own_perturbations():
    """gradcheck changes its inputs' numbers between evaluations; each evaluation builds its graph anew."""
    x = Value(np.array([0.3, -1.2]))
    assert tg.gradcheck(lambda v: (v.exp() * v).sum(), [x])
    assert tg.gradgradcheck(lambda v: (v.exp() * v).sum(), [x])


def test_an_index_or_condition_changed_after_use_does_not_change_the_gradient():
    """The graph keeps its own copy of an index or a where() condition given as a Value, so changing that
    Value in place afterwards cannot change what backward() reads (PyTorch refuses with its in-place error;
    here the gradient is the one of the numbers the forward pass used)."""
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    index = tg.tensor([0, 1])
    y = x[index]
    index.add_(2)
    (y * tg.tensor([10.0, 20.0])).sum().backward()
    assert x.grad.tolist() == [10.0, 20.0, 0.0, 0.0]
    condition = tg.tensor([True, False, True])
    z = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    picked = tg.where(condition, z, 0.0)
    condition[...] = False
    picked.sum().backward()
    assert z.grad.tolist() == [1.0, 0.0, 1.0]
    mask = tg.tensor([True, False, False, True])
    w = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    chosen = w[mask]
    mask.fill_(True)
    chosen.sum().backward()
    assert w.grad.tolist() == [1.0, 0.0, 0.0, 1.0]


def test_inplace_operators_where_rebinding_would_differ_from_pytorch_are_refused():
    """x += 1 on a Value in a graph rebinds x; where that would differ from PyTorch's change in place
    (x is a view of another Value, or viewed by one), it is an error instead; PyTorch raises for a view of
    a leaf that requires grad too."""
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    view_of_leaf = w[:2]
    with pytest.raises(RuntimeError, match=r"\+=.*shares its memory"):
        view_of_leaf += 1
    assert torch_raises(lambda: torch.tensor([1.0, 2.0], requires_grad=True)[:1].__iadd__(1))
    h = w * 2
    part = h[:2]
    with pytest.raises(RuntimeError, match="shares its memory"):
        part += 10
    buffer = tg.zeros(4)
    piece = buffer[:2]
    with pytest.raises(RuntimeError, match="shares its memory"):
        piece += w[:2]


def test_a_rebinding_operator_keeps_pytorchs_dtype_and_shape():
    h = tg.tensor([1.0, 2.0], dtype=tg.float32, requires_grad=True) * 2
    h += tg.tensor([1.0, 1.0], dtype=tg.float64)
    assert h.dtype == np.float32 and h.tolist() == [3.0, 5.0]
    with pytest.raises(ValueError, match=r"\+=.*shape"):
        h += tg.ones(2, 2)
    counts = tg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=.*int64"):
        counts += tg.tensor([0.5, 0.5], requires_grad=True)


def test_a_custom_operation_returning_a_view_shares_the_change_stamp():
    """A forward that returns a view of its input (x[::2]) is seen like the library's views."""
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([1.0, 2.0, 3.0, 4.0])
    evens = tg.Operation("evens", lambda x: x[::2], lambda g, x, out: g)
    y = (w * evens(c)).sum()
    evens(c).mul_(100)
    with pytest.raises(RuntimeError, match=INPLACE_MESSAGE):
        y.backward()
