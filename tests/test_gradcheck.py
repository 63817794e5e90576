"""gradcheck and gradgradcheck: their own arguments. A bad step, tolerance, flag, function, input or upstream
gradient is an error naming the check, raised before the function is called. (The checks of the operations'
derivatives are in test_gradcheck_ops.py.)"""

import numpy as np
import pytest
from helpers import raises

from tinygrad_edu import GradcheckError, Value, gradcheck, gradgradcheck


def square(x):
    return x * x


def x():
    return Value(np.array([0.5, -1.5]))


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("kwargs, kind, fragments", [
    ({"eps": "abc"}, TypeError, ("eps must be a real number", "'abc'")),
    ({"eps": None}, TypeError, ("eps must be a real number", "None")),
    ({"eps": True}, TypeError, ("eps must be a real number", "True")),
    ({"eps": 1j}, TypeError, ("eps must be a real number", "1j")),
    ({"eps": 0.0}, ValueError, ("eps must be a finite number > 0", "0.0")),
    ({"eps": -1e-6}, ValueError, ("eps must be a finite number > 0",)),
    ({"eps": float("nan")}, ValueError, ("eps must be a finite number > 0", "nan")),
    ({"atol": float("inf")}, ValueError, ("atol must be a finite number >= 0", "inf")),
    ({"atol": -1.0}, ValueError, ("atol must be a finite number >= 0",)),
    ({"rtol": "0.1"}, TypeError, ("rtol must be a real number", "'0.1'")),
    ({"rtol": [1e-3]}, TypeError, ("rtol must be a real number",)),
    ({"raise_exception": "no"}, TypeError, ("raise_exception must be True or False", "'no'")),
], ids=["eps-str", "eps-none", "eps-bool", "eps-complex", "eps-zero", "eps-negative", "eps-nan", "atol-inf",
        "atol-negative", "rtol-str", "rtol-list", "raise-str"])
def test_bad_settings_name_the_check(check, kwargs, kind, fragments):
    """Each bad step, tolerance or flag: an error naming the check and the argument, before fn is called."""
    calls = []

    def counted(v):
        calls.append(v)
        return v * v

    with raises(kind, f"{check.__name__}: ", *fragments):
        check(counted, x(), **kwargs)
    assert calls == []


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("args, kind, fragments", [
    ((None, Value(np.ones(2))), TypeError, ("the first argument is the function to check", "NoneType")),
    ((Value(np.ones(2)), square), TypeError, ("the first argument is the function to check", "Value")),
    ((square, None), TypeError, ("inputs must be a Value or a sequence of Values", "NoneType")),
    ((square, 3.0), TypeError, ("inputs must be a Value or a sequence of Values", "float")),
    ((square, "x"), TypeError, ("inputs must be a Value or a sequence of Values", "str")),
    ((square, []), ValueError, ("no inputs given",)),
    ((square, [np.ones(2)]), TypeError, ("input 0 is a ndarray, not a Value",)),
    ((square, Value(np.ones(2, np.float32))), TypeError, ("input 0 is float32", "need float64")),
    ((square, Value(np.ones(2), requires_grad=False)), ValueError, ("no input requires grad",)),
], ids=["fn-none", "swapped", "inputs-none", "inputs-number", "inputs-str", "inputs-empty", "array", "float32",
        "nothing-to-check"])
def test_bad_functions_and_inputs_name_the_check(check, args, kind, fragments):
    """A missing or swapped function, inputs that are not Values, float32 inputs: errors naming the check."""
    with raises(kind, f"{check.__name__}: ", *fragments):
        check(*args)


@pytest.mark.parametrize("kwargs, kind, fragments", [
    ({"seed": "0"}, TypeError, ("seed must be a whole number", "'0'")),
    ({"seed": 1.5}, TypeError, ("seed must be a whole number", "1.5")),
    ({"seed": -1}, ValueError, ("seed must be >= 0", "-1")),
    ({"grad_outputs": [Value(np.ones(3))]}, ValueError, ("grad_outputs[0] has shape (3,)", "output 0 has shape (2,)")),
    ({"grad_outputs": [Value(np.ones(2)), Value(np.ones(2))]}, ValueError, ("2 grad_outputs for 1 outputs",)),
    ({"grad_outputs": [np.ones(2)]}, TypeError, ("grad_output 0 is a ndarray, not a Value",)),
    ({"grad_outputs": 1.0}, TypeError, ("grad_outputs must be a Value or a sequence of Values",)),
], ids=["seed-str", "seed-float", "seed-negative", "grad-output-shape", "grad-output-count", "grad-output-array",
        "grad-outputs-number"])
def test_bad_gradgradcheck_arguments(kwargs, kind, fragments):
    """gradgradcheck's own arguments: the seed, and upstream gradients of the wrong count, shape or type."""
    with raises(kind, "gradgradcheck: ", *fragments):
        gradgradcheck(square, x(), **kwargs)


def test_good_settings_still_work():
    """Integers and numpy numbers are fine as settings; a single Value as grad_outputs is taken as a list of one;
    a wrong derivative still raises GradcheckError, or returns False with raise_exception=False."""
    assert gradcheck(square, x(), eps=np.float64(1e-6), atol=0, rtol=np.float32(1e-3))
    assert gradgradcheck(square, x(), grad_outputs=Value(np.array([1.0, -2.0])), seed=np.int64(3))

    from tinygrad_edu import Operation

    wrong = Operation("wrong", np.sin, lambda g, v, out: g * 2 * v)
    with pytest.raises(GradcheckError):
        gradcheck(wrong, x())
    assert gradcheck(wrong, x(), raise_exception=False) is False
