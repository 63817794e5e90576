"""autograd.Function: a Legendre-polynomial Function (the shape of PyTorch's custom-Function tutorial, written
afresh) against torch.autograd.Function (values, gradients, training steps, second derivatives), gradcheck and
gradgradcheck, several outputs, the in-place check, and errors that name the Function."""

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu import Value, gradcheck, gradgradcheck
from tinygrad_edu.autograd import Function


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare "
                                               "with it)")


def legendre3(base):
    """P3(x) = (5 x**3 - 3 x) / 2 as a Function of `base` (ours or torch's), with dP3/dx = 1.5 (5 x**2 - 1).

    The backward is written with differentiable operations, so it can be differentiated again."""
    class Legendre3(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 1.5 * (5 * x ** 2 - 1)

    return Legendre3


Legendre3 = legendre3(Function)
X = np.array([-1.3, -0.4, 0.0, 0.25, 0.9, 2.0])


def test_value_and_gradient_match_pytorch():
    """P3 of a vector, and its gradient under a non-uniform upstream gradient, equal PyTorch's to 1e-12."""
    torch = torch_or_skip()
    upstream = np.linspace(-1, 2, X.size)
    ours, theirs = Value(X.copy()), torch.tensor(X, requires_grad=True)
    y_ours, y_theirs = Legendre3.apply(ours), legendre3(torch.autograd.Function).apply(theirs)
    np.testing.assert_allclose(y_ours.data, y_theirs.detach().numpy(), rtol=1e-12)
    y_ours.backward(upstream)
    y_theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, upstream * 1.5 * (5 * X ** 2 - 1), rtol=1e-12)


def test_fitting_a_polynomial_matches_pytorch_step_by_step():
    """y = a + b P3(c + d x) fitted to sin(x) by plain gradient descent, as the tutorial does: after 300 steps
    the loss and the four weights equal PyTorch's (float64, to 1e-9 relative)."""
    torch = torch_or_skip()

    def train(lib, P3, steps=300, lr=5e-6):
        x = lib.linspace(-np.pi, np.pi, 2000, dtype=lib.float64)
        y = lib.sin(x)
        weights = [lib.full((), v, dtype=lib.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
        a, b, c, d = weights
        for _ in range(steps):
            loss = (a + b * P3.apply(c + d * x) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                for w in weights:
                    w -= lr * w.grad
                    w.grad = None
        return float(loss.item()), [float(w.item()) for w in weights]

    ours = train(tg, Legendre3)
    theirs = train(torch, legendre3(torch.autograd.Function))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    # a and c stay within 1e-16 of 0, where only the order of summation decides the digits
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-14)
    assert ours[0] < 400  # it learned: the starting loss is in the thousands


def test_gradcheck_and_gradgradcheck():
    """The Function's first and second derivatives agree with finite differences."""
    assert gradcheck(Legendre3.apply, Value(X.copy()))
    assert gradgradcheck(Legendre3.apply, Value(X.copy()))


def test_second_derivative_through_backward_matches_pytorch():
    """Under create_graph=True, backward runs recording a graph, so it can be differentiated again (as in PyTorch):
    d2 P3 / dx2 = 15 x."""
    torch = torch_or_skip()
    ours, theirs = Value(X.copy()), torch.tensor(X, requires_grad=True)
    g_ours, = tg.grad(Legendre3.apply(ours).sum(), ours, create_graph=True)
    g_theirs, = torch.autograd.grad(legendre3(torch.autograd.Function).apply(theirs).sum(), theirs,
                                    create_graph=True)
    np.testing.assert_allclose(g_ours.data, g_theirs.detach().numpy(), rtol=1e-12)
    h_ours, = tg.grad((g_ours * g_ours).sum(), ours)
    h_theirs, = torch.autograd.grad((g_theirs * g_theirs).sum(), theirs)
    np.testing.assert_allclose(h_ours.data, h_theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h_ours.data, 2 * (1.5 * (5 * X ** 2 - 1)) * 15 * X, rtol=1e-12)


def test_a_backward_on_numbers_has_no_second_derivative():
    """A backward computed on .data gives first derivatives right, but they carry no graph: asking for their
    derivative is an error saying they do not require grad (not a silent zero)."""
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return Value(2 * x.data * g.data, requires_grad=False)

    x = Value(np.array([1.0, 3.0]))
    g, = tg.grad(Square.apply(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [2.0, 6.0])
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        g.sum().backward()


# ---------------------------------------------------------------------- how it sits in the graph


def test_the_function_is_one_operation_of_the_graph():
    """apply's result is made by an Operation named after the class, whose inputs are apply's arguments;
    forward itself recorded nothing (its Values need no grad while it runs)."""
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, k):
            inner = x * k
            seen["inner requires grad"] = inner.requires_grad
            seen["grad mode"] = tg.is_grad_enabled()
            return inner + 1

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    x = Value(np.ones(3))
    y = Probe.apply(x, 2)
    assert seen == {"inner requires grad": False, "grad mode": False}
    assert isinstance(y.op, tg.Operation) and y.op.name == "Probe"
    assert y.inputs == (x, 2) and y.inputs[0] is x and y.requires_grad
    np.testing.assert_array_equal(y.data, [3.0, 3.0, 3.0])


def test_backward_is_called_once_for_all_arguments_and_constants_pass_through():
    """Two Value arguments and a number: backward runs once per backward pass and returns None for the number;
    needs_input_grad says which arguments want a gradient; attributes set on ctx reach backward."""
    torch = torch_or_skip()
    calls = []

    def scaled_product(base):
        class ScaledProduct(base):
            @staticmethod
            def forward(ctx, a, b, k):
                ctx.save_for_backward(a, b)
                ctx.k = k
                return a * b * k

            @staticmethod
            def backward(ctx, g):
                calls.append(tuple(ctx.needs_input_grad))
                a, b = ctx.saved_tensors
                return g * b * ctx.k, g * a * ctx.k, None

        return ScaledProduct

    a, b = np.array([1.0, -2.0, 3.0]), np.array([[0.5], [4.0]])   # broadcast to (2, 3)
    ours_a, ours_b = Value(a.copy()), Value(b.copy())
    theirs_a, theirs_b = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    scaled_product(Function).apply(ours_a, ours_b, 3.0).sum().backward()
    scaled_product(torch.autograd.Function).apply(theirs_a, theirs_b, 3.0).sum().backward()
    assert calls == [(True, True, False), (True, True, False)]  # once each: ours, then torch's
    np.testing.assert_allclose(ours_a.grad, theirs_a.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_b.grad, theirs_b.grad.numpy(), rtol=1e-12)

    calls.clear()
    constant = Value(b.copy(), requires_grad=False)
    scaled_product(Function).apply(ours_a, constant, 3.0).sum().backward()
    assert calls == [(True, False, False)]


def test_a_gradient_in_the_broadcast_shape_is_summed_as_in_pytorch():
    """backward may return a gradient of the output's broadcast shape for a smaller argument: it is summed
    to the argument's shape (PyTorch does the same)."""
    torch = torch_or_skip()

    def add(base):
        class Add(base):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g, g

        return Add

    a, b = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])
    ours = [Value(a.copy()), Value(b.copy())]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    upstream = np.arange(6.0).reshape(2, 3) - 2
    add(Function).apply(*ours).backward(upstream)
    add(torch.autograd.Function).apply(*theirs).backward(torch.tensor(upstream))
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())


def test_several_outputs_one_backward_call():
    """forward returning (sin x * y, cos x): backward receives both outputs' gradients at once (zeros for an
    output the loss does not use); gradients equal PyTorch's, and the outputs are returned as a tuple."""
    torch = torch_or_skip()
    calls = []

    def two(base, lib):
        class Two(base):
            @staticmethod
            def forward(ctx, x, y):
                ctx.save_for_backward(x, y)
                return lib.sin(x) * y, lib.cos(x)

            @staticmethod
            def backward(ctx, g1, g2):
                calls.append(1)
                x, y = ctx.saved_tensors
                return g1 * lib.cos(x) * y - g2 * lib.sin(x), g1 * lib.sin(x)

        return Two

    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -2.0])
    for use_second in (True, False):
        calls.clear()
        ours = [Value(x.copy()), Value(y.copy())]
        theirs = [torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)]
        o1, o2 = two(Function, tg).apply(*ours)
        t1, t2 = two(torch.autograd.Function, torch).apply(*theirs)
        np.testing.assert_allclose(o1.data, t1.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(o2.data, t2.detach().numpy(), rtol=1e-12)
        ((o1 ** 2).sum() + ((o2 * 3).sum() if use_second else 0)).backward()
        ((t1 ** 2).sum() + ((t2 * 3).sum() if use_second else 0)).backward()
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
        assert len(calls) == 2  # ours once, torch's once
    Two = two(Function, tg)
    assert gradcheck(lambda a, b: Two.apply(a, b), [Value(x.copy()), Value(y.copy())])
    assert gradgradcheck(lambda a, b: Two.apply(a, b), [Value(x.copy()), Value(y.copy())])


def test_integer_and_marked_outputs_need_no_gradient():
    """An int64 output (indices) needs no grad, as one marked with mark_non_differentiable; backward receives
    zeros for them. The float output's gradient equals PyTorch's."""
    torch = torch_or_skip()

    def top(base, lib):
        class Top(base):
            @staticmethod
            def forward(ctx, x):
                values, indices = x.max(1)
                mask = (x == values.unsqueeze(1)).double()
                ctx.mark_non_differentiable(mask)
                ctx.save_for_backward(mask)
                return values, indices, mask

            @staticmethod
            def backward(ctx, g_values, g_indices, g_mask):
                assert float(g_mask.abs().sum()) == 0.0
                mask, = ctx.saved_tensors
                return g_values.unsqueeze(1) * mask

        return Top

    data = np.array([[1.0, 5.0, 2.0], [7.0, -1.0, 0.5]])
    ours, theirs = Value(data.copy()), torch.tensor(data, requires_grad=True)
    v, i, m = top(Function, tg).apply(ours)
    tv, ti, tm = top(torch.autograd.Function, torch).apply(theirs)
    assert v.requires_grad and not i.requires_grad and not m.requires_grad
    assert i.dtype == np.int64 and i.data.tolist() == ti.tolist() == [1, 0]
    (v * Value(np.array([2.0, -3.0]), requires_grad=False)).sum().backward()
    (tv * torch.tensor([2.0, -3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_setup_context_style():
    """PyTorch's other style: forward(*args) without ctx, and setup_context(ctx, inputs, output)."""
    class Exp(Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out

    x = Value(np.array([0.0, 1.0, -2.0]))
    Exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0, -2.0]), rtol=1e-15)
    assert gradgradcheck(Exp.apply, Value(np.array([0.5, -0.3])))


def test_no_graph_under_no_grad_or_without_grad_inputs():
    """Under no_grad, or with no argument that requires grad, the result needs no grad and records nothing;
    needs_input_grad is all False."""
    needs = []

    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            needs.append(ctx.needs_input_grad)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = Value(np.ones(2))
    with tg.no_grad():
        y = Double.apply(x)
    z = Double.apply(Value(np.ones(2), requires_grad=False))
    assert not y.requires_grad and not z.requires_grad and y is not x
    assert needs == [(False,), (False,)]


def test_an_output_that_is_its_input_is_a_new_value_in_the_graph():
    """forward may return its argument itself: apply returns a new Value of the graph (not the argument)."""
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = Value(np.array([1.0, 2.0]))
    y = Identity.apply(x)
    assert y is not x and y.op.name == "Identity"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_float32_stays_float32():
    """A float32 argument gives a float32 result and a float32 gradient."""
    x = Value(np.array([0.5, -1.0], dtype=np.float32))
    y = Legendre3.apply(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 1.5 * (5 * np.array([0.5, -1.0]) ** 2 - 1), rtol=1e-6)


def test_numpy_results_of_forward_become_values():
    """A forward that computes on .data and returns a numpy array is fine: the array becomes the result's data."""
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = Value(np.array([1.5, -2.0]))
    y = Square.apply(x)
    assert isinstance(y, Value) and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -4.0])


def test_a_graph_through_a_function_is_freed_without_the_garbage_collector():
    """A saved output is held weakly by ctx: dropping the result frees the graph by reference counting alone
    (no reference cycle through Operation -> ctx -> output), with one output and with several."""
    import gc
    import weakref

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out, out * 2

        @staticmethod
        def backward(ctx, g1, g2):
            out, = ctx.saved_tensors
            return (g1 + 2 * g2) * out

    gc.disable()
    try:
        for function in (Legendre3, Exp):
            x = Value(np.ones(3))
            result = function.apply(x)
            refs = [weakref.ref(v) for v in (result if isinstance(result, tuple) else (result,))]
            del result
            assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_a_saved_output_that_was_dropped_still_reaches_backward():
    """forward returns (x e, e) with e = exp(x), saving e; only x e is kept, so e is dropped at once. backward
    still reads e's numbers, and second derivatives through it are still right, because e is cut again from
    the joint Value in the graph: d2(x e)/dx2 = (2 + x) e, where a constant e would give e alone."""
    torch = torch_or_skip()

    def two(base, lib):
        class TimesExp(base):
            @staticmethod
            def forward(ctx, x):
                e = lib.exp(x)
                ctx.save_for_backward(e, x)
                return x * e, e

            @staticmethod
            def backward(ctx, g_product, g_exp):
                e, x = ctx.saved_tensors
                return g_product * (1 + x) * e + g_exp * e

        return TimesExp

    data = np.array([0.3, -0.7])
    ours, theirs = Value(data.copy()), torch.tensor(data, requires_grad=True)
    product = two(Function, tg).apply(ours)[0]           # the saved output e is dropped at once
    t_product = two(torch.autograd.Function, torch).apply(theirs)[0]
    g, = tg.grad(product.sum(), ours, create_graph=True)
    t_g, = torch.autograd.grad(t_product.sum(), theirs, create_graph=True)
    np.testing.assert_allclose(g.data, t_g.detach().numpy(), rtol=1e-12)
    h, = tg.grad(g.sum(), ours)
    t_h, = torch.autograd.grad(t_g.sum(), theirs)
    np.testing.assert_allclose(h.data, t_h.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.data, (2 + data) * np.exp(data), rtol=1e-12)


# ---------------------------------------------------------------------- the in-place check


def test_a_saved_argument_changed_in_place_makes_backward_refuse():
    """As in PyTorch: an argument saved for backward and changed in place after apply makes backward() raise,
    naming the Function; an argument that is not saved may change."""
    torch = torch_or_skip()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = x * 1  # not a leaf, so it may change in place
    y = Legendre3.apply(w)
    with tg.no_grad():  # as an optimizer's step changes numbers
        w.mul_(2)
    with raises(RuntimeError, "modified by an inplace operation", "'Legendre3'"):
        y.sum().backward()

    tw = torch.tensor([1.0, 2.0], requires_grad=True) * 1
    ty = legendre3(torch.autograd.Function).apply(tw)
    with torch.no_grad():
        tw.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()

    class AddOne(Function):
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    v = x * 1
    z = AddOne.apply(v)
    with tg.no_grad():
        v.mul_(3)
    z.sum().backward()  # nothing saved: allowed
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_a_saved_output_changed_in_place_makes_backward_refuse():
    """A saved output changed in place (here through exp's saved result) is caught too."""
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out

    x = Value(np.array([0.0, 1.0]))
    y = Exp.apply(x)
    loss = (y + 2).sum()  # add reads neither argument: the check that fires is the Function's
    with tg.no_grad():
        y.add_(1)
    with raises(RuntimeError, "modified by an inplace operation", "'Exp'"):
        loss.backward()


# ---------------------------------------------------------------------- errors naming the Function


class TooMany(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2, g


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return Value(np.ones(5), requires_grad=False)


class ForConstant(Function):
    @staticmethod
    def forward(ctx, x, k):
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * 2, g


class ReturnsFloat(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return 2.0


@pytest.mark.parametrize("function, kind, fragments", [
    (TooMany, RuntimeError, ("TooMany.backward returned 2 gradients", "TooMany.forward took 1 argument")),
    (WrongShape, RuntimeError, ("WrongShape.backward returned a gradient of shape (5,) for argument 0",
                                "shape (3,)")),
    (ForConstant, RuntimeError, ("ForConstant.backward returned a gradient for argument 1", "not a Value",
                                 "return None")),
    (ReturnsFloat, TypeError, ("ReturnsFloat.backward returned a float", "argument 0")),
], ids=["too-many", "wrong-shape", "for-a-constant", "a-float"])
def test_bad_gradients_name_the_function(function, kind, fragments):
    """backward returning the wrong number of gradients, a wrong shape, a gradient for a number or a plain
    float: an error naming the Function, and no .grad is changed."""
    x = Value(np.ones(3))
    args = (x, 2.0) if function is ForConstant else (x,)
    y = function.apply(*args)
    with raises(kind, *fragments):
        y.sum().backward()
    assert x.grad is None


def test_extra_trailing_nones_are_allowed():
    """As in PyTorch, backward may return more gradients than arguments when the extra ones are None."""
    class Extra(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = Value(np.ones(2))
    Extra.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_errors_when_defining_or_applying():
    """Non-static methods, a missing forward, a forward returning None, keyword arguments, calling an instance,
    saving something that is not a Value: each an error naming what to do."""
    class NotStatic(Function):
        def forward(self, ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class NoForward(Function):
        @staticmethod
        def backward(ctx, g):
            return g

    class ReturnsNothing(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            return g

    class SavesANumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = Value(np.ones(2))
    with raises(TypeError, "NotStatic.forward must be a @staticmethod"):
        NotStatic.apply(x)
    with raises(NotImplementedError, "must define forward(ctx, *args)"):
        NoForward.apply(x)
    with raises(TypeError, "ReturnsNothing.forward returned None"):
        ReturnsNothing.apply(x)
    with raises(TypeError, "Legendre3.apply: takes positional arguments only", "x="):
        Legendre3.apply(x=x)
    with raises(RuntimeError, "apply it with Legendre3.apply(...)"):
        Legendre3()(x)
    with raises(TypeError, "save_for_backward", "argument 1 is a int", "ctx.k = k"):
        SavesANumber.apply(x)


def test_a_missing_backward_is_an_error_at_backward():
    """A Function without backward can run forward; backward() then says what to define."""
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = Value(np.ones(2))
    y = NoBackward.apply(x)
    with raises(NotImplementedError, "must define backward(ctx, *grad_outputs)"):
        y.sum().backward()


def test_anomaly_mode_names_a_function_whose_backward_makes_nan():
    """detect_anomaly() watches a Function's backward like any rule: a NaN it makes is reported with its name."""
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    x = Value(np.ones(2))
    with tg.detect_anomaly():
        y = Bad.apply(x)
        with raises(FloatingPointError, "'Bad'"):
            y.sum().backward()


def test_pytorch_spelling():
    """`import tinygrad_edu as torch; class F(torch.autograd.Function)` works."""
    import tinygrad_edu as torch

    class Halve(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x / 2

        @staticmethod
        def backward(ctx, g):
            return g / 2

    x = torch.tensor([4.0], requires_grad=True)
    Halve.apply(x).sum().backward()
    assert x.grad.tolist() == [0.5]
