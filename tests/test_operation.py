"""Writing an Operation of one's own: mistakes are reported when the Operation is made or called (not at
backward), `formulas=` and `saves=`, and the weak references tools use to watch Values."""

import gc
import weakref

import numpy as np
import pytest

from tinygrad_edu import Operation, Value, no_grad


def test_a_rule_that_is_not_a_function_is_refused_when_the_operation_is_made():
    with pytest.raises(TypeError, match=r"Operation 'cube': the rule for argument 0 must be a function"):
        Operation("cube", lambda x: x ** 3, "3 * x ** 2")
    with pytest.raises(TypeError, match="forward must be a function"):
        Operation("cube", None, lambda g, x, out: g)
    with pytest.raises(TypeError, match="name must be a string"):
        Operation(3, lambda x: x, lambda g, x, out: g)
    with pytest.raises(ValueError, match="2 formulas for 1 rules"):
        Operation("cube", lambda x: x ** 3, lambda g, x, out: g, formulas=["a", "b"])


def test_a_forward_that_returns_none_or_complex_numbers_names_the_operation():
    """They gave a NaN Value, or dropped the imaginary part with only numpy's warning."""
    forgot_return = Operation("forgot", lambda x: None, lambda g, x, out: g)
    with pytest.raises(TypeError, match="forgot: its forward returned None"):
        forgot_return(Value([1.0]))
    complex_result = Operation("root", lambda x: np.sqrt(x.astype(complex)), lambda g, x, out: g)
    with pytest.raises(TypeError, match="root: its forward returned ndarray of dtype complex128"):
        complex_result(Value([-1.0]))
    objects = Operation("objects", lambda x: np.array([object()]), lambda g, x, out: g)
    with pytest.raises(TypeError, match="objects"):
        objects(Value([1.0]))


def test_saves_names_what_the_rules_read_and_is_checked():
    scale = Operation("scale", lambda x, k: x * k, lambda g, x, k, out: g * k, None, saves=("k",))
    assert scale.saved == ((1,), (1,))  # what each rule reads
    exp_like = Operation("my_exp", np.exp, lambda g, x, out: g * out, saves=("out",))
    assert exp_like.saved == ((-1,),)
    assert Operation("any", np.exp, lambda g, x, out: g * out).saved == ((0, -1),)  # by default, everything
    product = Operation("product", np.multiply, lambda g, a, b, out: g * b, lambda g, a, b, out: g * a,
                        saves={"a": ("b",), "b": ("a",)})
    assert product.saved == ((1,), (0,))
    by_rule_names = Operation("twice", lambda v: v * 2, lambda g, x, out: g * 2, saves=("x",))
    assert by_rule_names.saved == ((0,),)  # the rules' name for the argument works too
    with pytest.raises(ValueError, match="saves names 'y'"):
        Operation("bad", lambda x: x, lambda g, x, out: g, saves=("y",))
    with pytest.raises(TypeError, match="tuple of names"):
        Operation("bad", lambda x: x, lambda g, x, out: g, saves="x")


def test_an_operation_that_saves_only_its_result_ignores_changes_to_its_input():
    exp_like = Operation("my_exp", np.exp, lambda g, x, out: g * out, saves=("out",))
    x = Value([0.0, 1.0])
    y = exp_like(x)
    with no_grad():
        x.add_(5.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0]))


def test_formulas_default_to_none_for_each_rule():
    cube = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2)
    assert cube.formulas == (None,)
    assert Operation("cube", lambda x: x ** 3, lambda g, x, out: g, formulas=["g * 3 * x**2"]).formulas == (
        "g * 3 * x**2",)


def test_values_can_be_weakly_referenced():
    """Tools that watch a graph without keeping it alive hold weak references (PyTorch tensors allow them)."""
    v = Value([1.0]) * 2
    ref = weakref.ref(v)
    assert ref() is v
    del v
    gc.collect()
    assert ref() is None
