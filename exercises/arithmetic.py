"""Exercises 4 and 5: the derivative rules of division and power.

An operation with two arguments has two rules, one per argument; each gets
every argument (and the output) and returns the gradient for its own
argument. ``div_rule_b(g, a, b, out)`` returns dL/db for out = a / b, in b's
shape, where g = dL/dout. Both operations work element by element, so

    dL/db[i] = g[i] * d(a[i] / b[i])/db[i].

(The grader gives a and b the same shape. When numpy broadcasts a smaller
argument, the library's backward loop sums the copies back for you; that is
not part of these exercises.)

Replace each ``raise NotImplementedError``, then run

    python -m exercises.check div pow

Write rules with operators (+ - * / **) and the function ``log`` imported
below, never np.log: the grader also checks second derivatives, calling your
rules with Values, and ``log`` works on numpy arrays and Values alike.
"""

import numpy as np

from tinygrad_edu import Operation
from tinygrad_edu.ops import log  # noqa: F401 (for your pow_rule_p)

from . import Array


def div_rule_a(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/da for out = a / b."""
    raise NotImplementedError("div_rule_a is not written yet")


def div_rule_b(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/db for out = a / b.

    Think of a / b as a * b**-1. Try to write the answer with out, a value
    the forward has computed already.
    """
    raise NotImplementedError("div_rule_b is not written yet")


div = Operation("div", np.true_divide, div_rule_a, div_rule_b)


def pow_rule_x(g: Array, x: Array, p: Array, out: Array) -> Array:
    """dL/dx for out = x ** p: the slope of the power as the base moves.

    The exponent p may be an array or a plain number (the grader tries both).
    """
    raise NotImplementedError("pow_rule_x is not written yet")


def pow_rule_p(g: Array, x: Array, p: Array, out: Array) -> Array:
    """dL/dp for out = x ** p: the slope of the power as the exponent moves (x > 0).

    Hint: x ** p = exp(p * log(x)).
    """
    raise NotImplementedError("pow_rule_p is not written yet")


power = Operation("pow", np.power, pow_rule_x, pow_rule_p)
