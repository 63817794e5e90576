"""Errors: each names the operation and the shapes or types involved, and changes no Value.

``unchanged(...)`` wraps each failing call: the Values' data and gradients
must be the same afterwards as before (gradients still None where they were).
"""

import re

import numpy as np
import pytest
from helpers import raises, unchanged

import tinygrad_edu as tg
from tinygrad_edu import GradcheckError, Operation, Value

# ---------------------------------------------------------------------- shapes that do not fit


def test_shape_mismatch_in_add():
    """(2, 3) + (4,) cannot broadcast: ValueError naming add and both shapes."""
    x, y = Value(np.ones((2, 3))), Value(np.ones(4))
    with unchanged(x, y), raises(ValueError, "add", "(2, 3)", "(4,)"):
        x + y
    with unchanged(x), raises(ValueError, "add", "(2, 3)", "(4,)"):
        x + np.ones(4)


def test_shape_mismatch_in_matmul():
    """(2, 3) @ (2, 3): the inner sizes 3 and 2 differ; ValueError naming matmul and both shapes."""
    a, b = Value(np.ones((2, 3))), Value(np.ones((2, 3)))
    with unchanged(a, b), raises(ValueError, "matmul", "(2, 3)"):
        a @ b
    with unchanged(a), raises(ValueError, "matmul", "(2, 3)", "(4,)"):
        a @ np.ones(4)


def test_shape_mismatch_in_concatenate_and_stack():
    """Joining (2, 3) with (2, 2) along axis 0, or stacking them, is a ValueError naming both shapes."""
    a, b = Value(np.ones((2, 3))), Value(np.ones((2, 2)))
    with unchanged(a, b), raises(ValueError, "concatenate", "(2, 3)", "(2, 2)"):
        tg.concatenate([a, b], axis=0)
    with unchanged(a, b), raises(ValueError, "stack", "(2, 3)", "(2, 2)"):
        tg.stack([a, b])


def test_minimum_errors_name_minimum():
    """Shapes (2,) and (3,) cannot broadcast: ValueError naming minimum (not maximum) and both shapes."""
    a, b = Value([1.0, 2.0]), Value([1.0, 2.0, 3.0])
    with unchanged(a, b), raises(ValueError, "minimum", "(2,)", "(3,)"):
        tg.minimum(a, b)
    with unchanged(a), raises(TypeError, "minimum"):
        tg.minimum(a, "text")


def test_comparisons_of_mismatched_shapes_name_the_comparison():
    """x < y with shapes that do not broadcast: an error that says which comparison and both shapes."""
    x = Value([1.0, 2.0, 3.0])
    for compare, symbol in ((lambda a, b: a < b, "<"), (lambda a, b: a == b, "=="), (lambda a, b: a >= b, ">=")):
        with pytest.raises(ValueError, match=rf"^comparison {symbol}: .*\(3,\).*\(2,\)"):
            compare(x, np.ones(2))


def test_reshape_and_broadcast_to_a_shape_that_does_not_fit():
    """6 elements cannot become (4,); (2, 3) cannot broadcast to (3, 3)."""
    x = Value(np.ones((2, 3)))
    with unchanged(x), raises(ValueError, "reshape", "(2, 3)"):
        x.reshape(4)
    with unchanged(x), raises(ValueError, "broadcast_to", "(2, 3)"):
        x.broadcast_to((3, 3))


def test_reshape_without_a_shape_is_a_type_error():
    """reshape() with no shape at all raises TypeError naming reshape."""
    x = Value(np.ones(3))
    with unchanged(x), raises(TypeError, "reshape"):
        x.reshape()
    assert Value([5.0]).reshape(()).shape == ()  # an explicit empty shape is still allowed


def test_index_out_of_bounds():
    """x[5] on a (3,) Value: IndexError naming getitem and the shape."""
    x = Value(np.ones(3))
    with unchanged(x), raises(IndexError, "getitem", "(3,)"):
        x[5]


# ---------------------------------------------------------------------- data that is not real numbers


@pytest.mark.parametrize("data, named", [
    ("abc", "str"),
    (None, "None"),
    (1 + 2j, "complex"),
    (np.array([1 + 2j]), "complex128"),
    (np.array([1.0, "a"], dtype=object), "object"),
    (np.array([1.0], dtype=np.float16), "float16"),
    ([1.0, "a"], "<U"),
], ids=["str", "None", "complex", "complex array", "object array", "float16", "mixed list"])
def test_unsupported_data_types(data, named):
    """Value(data) for data that is not bool, integer, float32 or float64: TypeError naming what it got."""
    with raises(TypeError, "Value", named):
        Value(data)


@pytest.mark.parametrize("constant, named", [
    ("abc", "str"), (None, "None"), (np.array([1 + 2j]), "complex128"), (np.array([object()]), "object"),
], ids=["str", "None", "complex array", "object array"])
def test_unsupported_constants(constant, named):
    """x + constant and constant * x for a constant that is not real numbers: TypeError naming op and type."""
    x = Value(np.ones(1))
    with unchanged(x), raises(TypeError, "add", named):
        x + constant
    with unchanged(x), raises(TypeError, "mul", named):
        x.__rmul__(constant)


def test_an_overflowing_constant_names_the_operation():
    """A Python int too large for a float is an OverflowError naming the operation."""
    x = Value([1.0, 2.0])
    with unchanged(x), pytest.raises(OverflowError, match=r"^mul: int too large"):
        x * 10**400


@pytest.mark.parametrize("call, name", [
    (lambda x: x + [[1], [1, 2]], "add: cannot make an array"),
    (lambda x: x.clip([[1], [1, 2]]), "clip: cannot make an array"),
    (lambda x: tg.where([[1, 0], [1]], x, 0.0), "where: cannot make a condition array"),
    (lambda x: x.reshape(None), "reshape: the shape must be whole numbers"),
    (lambda x: x.reshape(2.0), "reshape: the shape must be whole numbers"),
    (lambda x: x.broadcast_to(None), "broadcast_to: the shape must be whole numbers"),
], ids=["add-ragged", "clip-ragged", "where-ragged", "reshape-none", "reshape-float", "broadcast-none"])
def test_bad_constants_and_shapes_name_the_operation(call, name):
    """A ragged list as a constant, or a shape that is not numbers, is an error that names the operation."""
    x = Value([1.0, 2.0])
    with unchanged(x), pytest.raises((ValueError, TypeError), match=f"^{name}"):
        call(x)


def test_clip_with_value_bounds_is_a_type_error():
    """Bounds that are Values raise TypeError naming clip."""
    x = Value([1.0, 2.0])
    with unchanged(x), raises(TypeError, "clip"):
        x.clip(Value(0.0), 1.0)
    with unchanged(x), raises(TypeError, "clip"):
        x.clip(None, Value([1.0, 1.0]))


def test_other_bad_arguments():
    """requires_grad must be a bool, astype only to a dtype a Value holds, clip needs a constant bound."""
    with raises(TypeError, "requires_grad"):
        Value(1.0, requires_grad=1)
    x = Value(np.array([1.0, -1.0]))
    with unchanged(x):
        with raises(TypeError, "astype", "complex128"):
            x.astype(np.complex128)
        with raises(TypeError, "astype", "float16"):
            x.astype(np.float16)
        with raises(ValueError, "clip"):
            x.clip()
        with raises(TypeError, "clip"):
            x.clip(min=Value(0.0))
        with raises(ValueError, "item", "(2,)"):
            x.item()
        with raises(TypeError, "requires grad"):
            np.asarray(x)  # numpy would silently cut x out of the graph


# ---------------------------------------------------------------------- backward


def test_backward_of_a_non_scalar_needs_a_gradient():
    """y of shape (2,) without gradient=: ValueError naming the shape; nothing gets a .grad."""
    x = Value(np.array([1.0, 2.0]))
    y = x * 2
    with unchanged(x, y), raises(ValueError, "backward", "(2,)", "gradient"):
        y.backward()


def test_backward_when_nothing_requires_grad():
    """A Value made from constants only has no graph: RuntimeError."""
    c = Value(np.array([1.0, 2.0]), requires_grad=False)
    y = (c * 2).sum()
    with unchanged(c, y), raises(RuntimeError, "backward", "does not require grad"):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    """gradient= of shape (3,) for a (2,) Value: ValueError naming both shapes; earlier .grad kept."""
    x = Value(np.array([1.0, 2.0]))
    y = x * 2
    y.backward(np.ones(2))
    with unchanged(x, y), raises(ValueError, "backward", "(3,)", "(2,)"):
        y.backward(np.ones(3))
    with unchanged(x, y), raises(TypeError, "backward", "str"):
        y.backward("ab")


def test_grad_errors():
    """grad(): an input that needs no grad, and a wrong number of grad_outputs, are ValueErrors."""
    x, c = Value(2.0), Value(3.0, requires_grad=False)
    y = x * c
    with unchanged(x, c, y):
        with raises(ValueError, "grad", "input 1"):
            tg.grad(y, [x, c])
        with raises(ValueError, "grad", "1 outputs", "2 grad_outputs"):
            tg.grad(y, x, grad_outputs=[Value(1.0), Value(1.0)])
        with raises(ValueError, "grad", "(2,)", "()"):
            tg.grad(y, x, grad_outputs=Value(np.ones(2)))


def test_grad_of_an_array_names_grad():
    """tinygrad_edu.grad(np.array(1.), x) raises TypeError naming grad."""
    x = Value(1.0)
    with unchanged(x), raises(TypeError, "grad"):
        tg.grad(np.array(1.0), x)
    with raises(TypeError, "grad"):
        tg.grad([x * 2, 3.0], x)


# ---------------------------------------------------------------------- axes


@pytest.mark.parametrize("call, named", [
    (lambda x: x.sum(axis=2), "sum"),
    (lambda x: x.mean(axis=-3), "mean"),
    (lambda x: x.max(axis=(0, 0)), "max"),
    (lambda x: x.min(axis=(1, -1)), "min"),
    (lambda x: x.logsumexp(axis=5), "logsumexp"),
    (lambda x: x.softmax(axis=2), "softmax"),
    (lambda x: x.swapaxes(0, 2), "swapaxes"),
    (lambda x: x.transpose(1, 0, 2), "transpose"),
    (lambda x: x.transpose((0, 0)), "transpose"),  # a tuple is a permutation (two integers swap)
    (lambda x: x.transpose(0, 3), "transpose"),  # numpy: axis 3 is out of bounds for a 2-D array
    (lambda x: x.transpose(2, 3), "transpose"),
    (lambda x: tg.concatenate([x, x], axis=2), "concatenate"),
    (lambda x: tg.stack([x, x], axis=4), "stack"),
], ids=["sum", "mean", "max_twice", "min_twice", "logsumexp", "softmax", "swapaxes", "transpose_too_many",
        "transpose_repeated", "transpose_0_3", "transpose_2_3", "concatenate", "stack"])
def test_bad_axis(call, named):
    """An axis out of range, or named twice, for a (2, 3) Value: ValueError naming the operation."""
    x = Value(np.ones((2, 3)))
    with unchanged(x), raises(ValueError, named):
        call(x)


@pytest.mark.parametrize("axis", [1.0, True, np.bool_(True), (0, 1.0)], ids=["float", "True", "np.bool_", "tuple"])
def test_sum_axis_must_be_an_integer(axis):
    """sum(axis=1.0) and sum(axis=True) raise TypeError naming sum (True is not axis 1)."""
    x = Value(np.ones((2, 3)))
    with unchanged(x), raises(TypeError, "sum"):
        x.sum(axis=axis)


def test_min_axis_out_of_range_names_min():
    """Value.min(axis=5) on a 2-D Value raises ValueError naming min (not the max it is built from)."""
    x = Value(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^min\b"):
        x.min(axis=5)


def test_max_over_the_empty_axis_is_an_error():
    """max(axis=0) of a (0, 3) Value has nothing to take the maximum of: ValueError naming max."""
    with raises(ValueError, "max"):
        Value(np.zeros((0, 3))).max(axis=0)
    with raises(ValueError, "max"):
        Value(np.zeros((0, 3))).max()


# ---------------------------------------------------------------------- custom operations and gradcheck


def test_custom_operation_called_with_the_wrong_number_of_arguments():
    """An Operation with one rule takes one argument."""
    cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2)
    x = Value(1.0)
    with unchanged(x), raises(TypeError, "cube", "takes 1", "got 2"):
        cube(x, x)


def test_value_for_an_argument_without_a_rule_is_a_type_error_at_call_time():
    """An Operation whose second rule is None, given a Value there: TypeError naming the operation, no output."""
    calls = []

    def forward(x, k):
        calls.append(1)
        return x * k

    scale = Operation("scale", forward, lambda g, x, k, out: g * k, None)
    x = Value([1.0, 2.0])
    with unchanged(x), raises(TypeError, "scale"):
        scale(x, Value(2.0))
    assert calls == []  # refused before anything was computed
    np.testing.assert_array_equal(scale(x, 2.0).data, [2.0, 4.0])  # the intended use works


def test_numpy_type_error_in_forward_becomes_a_plain_type_error_with_cause():
    """np.add(x, 'a') in a forward: a plain TypeError starting with the operation's name, numpy's as __cause__."""
    bad = Operation("bad", lambda x: np.add(x, "a"), lambda g, x, out: g)
    with pytest.raises(TypeError) as caught:
        bad(Value([1.0]))
    assert type(caught.value) is TypeError
    assert str(caught.value).startswith("bad:")
    cause = caught.value.__cause__
    assert isinstance(cause, TypeError) and type(cause) is not TypeError  # numpy's own UFuncTypeError
    assert type(cause).__module__.startswith("numpy")


def test_numpy_value_error_in_forward_keeps_its_cause():
    """A reshape that cannot be done in a forward: ValueError starting with the name, the original as cause."""
    bad = Operation("squash", lambda x: np.reshape(x, (4,)), lambda g, x, out: g)
    with pytest.raises(ValueError) as caught:
        bad(Value([1.0, 2.0, 3.0]))
    assert type(caught.value) is ValueError
    assert str(caught.value).startswith("squash:")
    assert isinstance(caught.value.__cause__, ValueError)
    assert "reshape" in str(caught.value.__cause__)


def test_index_error_in_forward_keeps_its_cause():
    """An index out of range in a forward: IndexError starting with the name, the original as cause."""
    bad = Operation("pick", lambda x: x[5], lambda g, x, out: g)
    with pytest.raises(IndexError) as caught:
        bad(Value([1.0, 2.0]))
    assert type(caught.value) is IndexError
    assert str(caught.value).startswith("pick:")
    assert isinstance(caught.value.__cause__, IndexError)


def test_axis_error_in_forward_is_a_plain_builtin_error():
    """numpy's AxisError (both ValueError and IndexError) comes out as a plain ValueError or IndexError."""
    bad = Operation("total", lambda x: np.sum(x, axis=3), lambda g, x, out: g)
    with pytest.raises((ValueError, IndexError)) as caught:
        bad(Value([1.0, 2.0]))
    assert type(caught.value) in (ValueError, IndexError)
    assert str(caught.value).startswith("total:")
    assert isinstance(caught.value.__cause__, np.exceptions.AxisError)


def test_a_rule_returning_the_wrong_shape_is_reported_as_that_rule_s_bug():
    """A rule whose gradient cannot be reduced to its argument's shape: RuntimeError naming op, argument, shapes."""
    bad = Operation("bad", lambda x: x * 2, lambda g, x, out: np.ones(5))
    x = Value(np.ones(3))
    with raises(RuntimeError, "'bad'", "argument 0", "(5,)", "(3,)"):
        bad(x).sum().backward()
    assert x.grad is None


def test_gradcheck_refuses_float32_and_says_why():
    """Finite differences with eps 1e-6 need float64: TypeError naming the input, float32 and the reason."""
    x = Value(np.ones(2, dtype=np.float32))
    with unchanged(x), raises(TypeError, "gradcheck", "input 0", "float32", "float64", "1e-7"):
        tg.gradcheck(lambda v: v * 2, [x])
    with unchanged(x), raises(TypeError, "gradgradcheck", "input 0", "float32"):
        tg.gradgradcheck(lambda v: v * 2, [x])


def test_gradcheck_needs_values_and_something_to_check():
    """Inputs must be Values, at least one requiring grad, and the function must return Values."""
    with raises(TypeError, "gradcheck", "input 0", "ndarray"):
        tg.gradcheck(lambda v: v * 2, [np.ones(2)])
    with raises(ValueError, "gradcheck", "no input requires grad"):
        tg.gradcheck(lambda v: v * 2, [Value(np.ones(2), requires_grad=False)])
    with raises(TypeError, "gradcheck", "output 0", "ndarray"):
        tg.gradcheck(lambda v: (v.data * 2,), [Value(np.ones(2))])


def test_gradcheck_reports_a_wrong_rule_precisely():
    """A cube whose rule says 2x^2 instead of 3x^2: GradcheckError naming the input, element and both values."""
    wrong_cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 2 * x ** 2)
    x = Value(np.array([0.0, 1.0, 2.0]))
    with unchanged(x), pytest.raises(GradcheckError) as error:
        tg.gradcheck(wrong_cube, [x])
    message = str(error.value)
    assert "output 0" in message and "input 0" in message
    # element (0,) agrees (both 0); the first disagreement is at x = 1: analytic 2, numeric 3
    assert "output element (1,)" in message and "input element (1,)" in message
    analytic = float(re.search(r"analytic (?:np\.float64\()?([-\d.e]+)", message).group(1))
    numeric = float(re.search(r"numeric (?:np\.float64\()?([-\d.e]+)", message).group(1))
    assert analytic == 2.0
    assert abs(numeric - 3.0) < 1e-6


def test_gradgradcheck_catches_a_rule_that_is_not_differentiable():
    """A right first derivative computed on raw numpy data cannot be differentiated again: GradcheckError."""
    def rule(g, x, out):
        return g * 3 * (x.data if isinstance(x, Value) else x) ** 2  # .data cuts the graph

    cube = Operation("cube", lambda x: x ** 3, rule)
    x = Value(np.array([1.0, 2.0]))
    assert tg.gradcheck(cube, [x])
    with unchanged(x), raises(GradcheckError, "input 0", "analytic", "numeric"):
        tg.gradgradcheck(cube, [x])


def test_gradcheck_returns_false_instead_of_raising_when_asked():
    """raise_exception=False (PyTorch's option): a wrong rule gives False, a right one True, for both checks."""
    wrong_cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 2 * x ** 2)
    x = Value(np.array([1.0, 2.0]))
    assert tg.gradcheck(wrong_cube, [x], raise_exception=False) is False
    assert tg.gradcheck(lambda v: v ** 3, [x], raise_exception=False) is True
    assert tg.gradgradcheck(lambda v: (v * v.data) ** 2, [x], raise_exception=False) is False
    with pytest.raises(GradcheckError):
        tg.gradcheck(wrong_cube, [x])


def test_gradgradcheck_refuses_a_function_with_nothing_to_check():
    """With no output that requires grad there are no first derivatives, and with no input that requires grad
    nothing to differentiate: both are errors naming gradgradcheck (it used to return True unchecked)."""
    x = Value(np.array([1.0, 2.0]))
    with raises(ValueError, "gradgradcheck", "no output of the function requires grad"):
        tg.gradgradcheck(lambda v: Value(v.data ** 2, requires_grad=False), [x])
    with raises(ValueError, "gradgradcheck", "no input requires grad"):
        tg.gradgradcheck(lambda v: v * 2, [Value(np.array([1.0]), requires_grad=False)])


def test_gradcheck_skips_outputs_that_need_no_gradient():
    """An output computed from .data (requires_grad=False) beside a differentiable one is not checked, as in
    PyTorch; when no output requires grad, every numeric derivative must be 0."""
    x = Value(np.array([0.5, -1.0, 2.0]))
    assert tg.gradcheck(lambda v: (v.exp(), Value(v.data * 2, requires_grad=False)), [x])
    with raises(GradcheckError, "output 0"):
        tg.gradcheck(lambda v: Value(v.data * 2, requires_grad=False), [x])
    assert tg.gradcheck(lambda v: Value(np.ones(2), requires_grad=False), [x])


def test_gradcheck_refuses_read_only_inputs_before_touching_them():
    """The check changes inputs in place, so a read-only input (a broadcast view) is a clear ValueError."""
    x = Value([1.0, 2.0])
    x.data = np.broadcast_to(np.array([1.0]), (2,))
    with raises(ValueError, "gradcheck", "input 0", "read-only"):
        tg.gradcheck(lambda v: v * 2, [x])


def test_constant_wider_than_float64_is_refused():
    """A long-double constant cannot join a Value (it would make a float128 result): TypeError naming the op."""
    x = Value(np.array([1.0, 2.0]))
    with unchanged(x), raises(TypeError, "add", "wider than float64"):
        x + np.array([1.0, 2.0], dtype=np.longdouble)
    with unchanged(x), raises(TypeError, "mul", "wider than float64"):
        x * np.longdouble(2.0)


# ---------------------------------------------------------------------- derivative rules that are wrong


def custom(rule):
    """An Operation of one argument: forward doubles it, backward is the given rule."""
    return tg.Operation("double", lambda x: 2 * x, rule)


@pytest.mark.parametrize("rule, returned", [
    (lambda g, x, out: np.ones(3), r"\(3,\)"),
    (lambda g, x, out: np.ones((4, 3)), r"\(4, 3\)"),  # reported as returned, not after summing the 4 away
    (lambda g, x, out: np.ones(0), r"\(0,\)"),
], ids=["wrong length", "extra axis and wrong length", "empty"])
def test_a_rule_returning_a_gradient_of_the_wrong_shape_is_reported(rule, returned):
    """The error names the operation, the argument, the shape the rule returned and the shape wanted,
    and no .grad changes."""
    x = Value([1.0, 2.0])
    y = custom(rule)(x)
    with pytest.raises(RuntimeError, match=rf"'double' for its argument 0 returned a gradient of shape {returned}, "
                                           r"which does not reduce to that argument's shape \(2,\)"):
        y.backward(np.ones(2))
    assert x.grad is None and y.grad is None


def test_a_rule_returning_a_number_is_reported():
    """A rule must return an array: a plain float is named as the mistake, and no .grad changes, not even
    one an earlier backward left."""
    x = Value([1.0, 2.0])
    (x * 3).sum().backward()
    before = x.grad.copy()
    y = custom(lambda g, x, out: 2.0)(x)
    loss = (y * x).sum()
    with pytest.raises(RuntimeError, match=r"'double' for its argument 0 returned a float, not an array"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, before)
    assert y.grad is None and loss.grad is None


def test_a_rule_may_return_its_gradient_in_the_broadcast_shape():
    """A gradient in a shape broadcasting could make from the argument's is summed back to it."""
    x = Value([[1.0, 2.0, 3.0]])  # (1, 3)
    custom(lambda g, x, out: np.ones((5, 2, 3)))(x).backward(np.ones((1, 3)))
    np.testing.assert_array_equal(x.grad, [[10.0, 10.0, 10.0]])
