"""Exercises 6 and 7: sum along an axis, and log_softmax.

Here out[i] depends on many elements of x, so the chain rule adds up every
path from x[j] to L:

    dL/dx[j] = sum over i of  g[i] * dout[i]/dx[j],   with g = dL/dout.

``axis`` is a plain int chosen by the caller (it has no derivative: its rule
in the Operation is None); it may be negative, counting from the last axis.
The rule still receives it, after x: ``sum_rule(g, x, axis, out)``.

Replace each ``raise NotImplementedError``, then run

    python -m exercises.check sum log_softmax

Write rules with operators, the methods ``.sum(axis=..., keepdims=...)`` and
``.reshape(shape)`` (which numpy arrays and Values both have), numpy arrays
made from shapes alone (np.ones(x.shape)), and the function ``exp`` imported
below. Not np.exp or np.sum applied to g, x or out: the grader also checks
second derivatives, calling your rules with Values.
"""

import numpy as np

from tinygrad_edu import Operation
from tinygrad_edu.ops import exp  # noqa: F401 (for your log_softmax_rule)

from . import Array


def _sum(x: np.ndarray, axis: int) -> np.ndarray:
    return x.sum(axis=axis)


def sum_rule(g: Array, x: Array, axis: int, out: Array) -> Array:
    """dL/dx for out = x.sum(axis=axis), an array with that axis removed.

    Every x element along the summed axis adds to one out element with slope
    1. So each x element gets the g of the out element it went into: g has
    out's shape, and the answer has x's.
    """
    raise NotImplementedError("sum_rule is not written yet")


reduce_sum = Operation("sum", _sum, sum_rule, None)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # log_softmax(x) = x - log(sum(exp(x))) along the axis. Shifting x by its
    # maximum m first changes nothing (the m comes back out of the log), and
    # keeps every exp at most 1, so nothing overflows.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_rule(g: Array, x: Array, axis: int, out: Array) -> Array:
    """dL/dx for out = log_softmax(x) along ``axis``: out[i] = x[i] - log(sum over k of exp(x[k])).

    Work out dout[i]/dx[j] (two cases: i == j and i != j), then sum over i as
    above. softmax(x) = exp(out) will appear; the answer is one line.
    """
    raise NotImplementedError("log_softmax_rule is not written yet")


log_softmax = Operation("log_softmax", _log_softmax, log_softmax_rule, None)
