"""Exercises 1 to 3: the derivative rules of exp, tanh and sigmoid.

A derivative rule is the chain rule for one edge of the graph. The rule
``exp_rule(g, x, out)`` is called during backward() with

    x    the argument the operation was applied to,
    out  what the forward computed from it (here out = exp(x)),
    g    dL/dout: the gradient of the final result L with respect to out
         (an array of out's shape),

and returns dL/dx, an array of x's shape. These three functions work element
by element: out[i] depends on x[i] only, so the chain rule reads

    dL/dx[i] = dL/dout[i] * dout[i]/dx[i] = g[i] * f'(x[i]).

Numpy multiplies arrays element by element, so one line does every i at once.

Replace each ``raise NotImplementedError`` with your rule, then run

    python -m exercises.check exp tanh sigmoid

Write rules with operators (+ - * / **) on g, x and out. The grader also
checks second derivatives, and for that it calls your rules with Values
instead of numpy arrays: operators work on both, np.exp(...) does not.
"""

import numpy as np

from tinygrad_edu import Operation

from . import Array


def exp_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = exp(x).

    The slope of exp at x is exp(x) itself, and out already holds it.
    """
    raise NotImplementedError("exp_rule is not written yet")


exp = Operation("exp", np.exp, exp_rule)


def tanh_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = tanh(x) = (e^x - e^-x) / (e^x + e^-x).

    Work out d tanh(x)/dx, then write it with out (which is tanh(x)) rather
    than with x: the forward has already paid for tanh(x).
    """
    raise NotImplementedError("tanh_rule is not written yet")


tanh = Operation("tanh", np.tanh, tanh_rule)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # sigmoid(x) = 1 / (1 + exp(-x)), computed as exp(-log(1 + exp(-x))):
    # np.logaddexp(0, -x) is log(e^0 + e^-x) without forming e^-x, which
    # would overflow for x below about -710.
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = sigmoid(x) = 1 / (1 + exp(-x)).

    Differentiate 1 / (1 + exp(-x)) and you will find that the slope can be
    written with sigmoid(x) alone; out holds sigmoid(x).
    """
    raise NotImplementedError("sigmoid_rule is not written yet")


sigmoid = Operation("sigmoid", _sigmoid, sigmoid_rule)
