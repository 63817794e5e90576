"""Worked solutions: exp, tanh, sigmoid (exercises/elementwise.py).

Each rule is g times the function's slope at x, element by element (the
chain rule for one edge), with the slope written through out where that
saves work: the forward pass has computed out already.
"""

import numpy as np

from tinygrad_edu import Operation

from .. import Array


def exp_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = exp(x).

    d exp(x)/dx = exp(x) = out, so dL/dx = g * out. (g * exp(x) is the same
    number, computed a second time.)
    """
    return g * out


exp = Operation("exp", np.exp, exp_rule)


def tanh_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = tanh(x).

    tanh = sinh / cosh, so by the quotient rule
        d tanh(x)/dx = (cosh^2 - sinh^2) / cosh^2 = 1 - tanh(x)^2 = 1 - out^2,
    using cosh^2 - sinh^2 = 1. So dL/dx = g * (1 - out^2).
    """
    return g * (1 - out * out)


tanh = Operation("tanh", np.tanh, tanh_rule)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # sigmoid(x) = 1 / (1 + exp(-x)), computed as exp(-log(1 + exp(-x))):
    # np.logaddexp(0, -x) is log(e^0 + e^-x) without forming e^-x, which
    # would overflow for x below about -710.
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_rule(g: Array, x: Array, out: Array) -> Array:
    """dL/dx for out = sigmoid(x) = s.

    s = (1 + e^-x)^-1, so ds/dx = e^-x / (1 + e^-x)^2
                                = 1 / (1 + e^-x) * e^-x / (1 + e^-x)
                                = s * (1 - s),
    since e^-x / (1 + e^-x) = 1 - 1 / (1 + e^-x). So dL/dx = g * out * (1 - out).
    Using out also means the rule never computes e^-x, which overflows for very negative x.
    """
    return g * out * (1 - out)


sigmoid = Operation("sigmoid", _sigmoid, sigmoid_rule)
