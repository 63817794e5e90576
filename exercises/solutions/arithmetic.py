"""Worked solutions: div, pow (exercises/arithmetic.py).

Both operations work element by element, so each rule is g times one
partial derivative.
"""

import numpy as np

from tinygrad_edu import Operation
from tinygrad_edu.ops import log

from .. import Array


def div_rule_a(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/da for out = a / b.

    With b held fixed, a / b is a line in a with slope 1 / b: dL/da = g / b.
    """
    return g / b


def div_rule_b(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/db for out = a / b.

    a / b = a * b^-1, so d(a / b)/db = -a * b^-2 = -(a / b) / b = -out / b,
    and dL/db = -g * out / b. Written with out, the rule never squares b:
    b**2 overflows for |b| above 1e154 in float64, although the answer may not.
    """
    return -g * out / b


div = Operation("div", np.true_divide, div_rule_a, div_rule_b)


def pow_rule_x(g: Array, x: Array, p: Array, out: Array) -> Array:
    """dL/dx for out = x ** p.

    The power rule: d(x^p)/dx = p * x^(p - 1), for any real p (where x^(p-1)
    is defined). So dL/dx = g * p * x^(p - 1). This works whether p is an
    array, a Value or a plain number.
    """
    return g * p * x ** (p - 1)


def pow_rule_p(g: Array, x: Array, p: Array, out: Array) -> Array:
    """dL/dp for out = x ** p, for x > 0.

    x^p = exp(p * log(x)); by the chain rule d(x^p)/dp = exp(p * log(x)) * log(x)
    = out * log(x). So dL/dp = g * out * log(x). (For x <= 0, log(x) is not a
    real number; the library's own pow rule handles x == 0 separately.)
    """
    return g * out * log(x)


power = Operation("pow", np.power, pow_rule_x, pow_rule_p)
