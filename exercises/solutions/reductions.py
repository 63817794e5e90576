"""Worked solutions: sum along an axis, log_softmax (exercises/reductions.py)."""

import numpy as np

from tinygrad_edu import Operation
from tinygrad_edu.ops import exp

from .. import Array


def _sum(x: np.ndarray, axis: int) -> np.ndarray:
    return x.sum(axis=axis)


def sum_rule(g: Array, x: Array, axis: int, out: Array) -> Array:
    """dL/dx for out = x.sum(axis=axis).

    For x of shape (2, 3, 4) and axis = 1: out[i, k] = sum over j of x[i, j, k],
    so dout[i, k]/dx[i, j, k] = 1 for every j, and x[i, j, k] reaches no other
    out element. Hence dL/dx[i, j, k] = g[i, k]: g copied along the summed axis.

    In numpy terms: put the summed axis back into g as an axis of length 1
    (shape (2, 1, 4)), then let broadcasting copy it to x's shape (2, 3, 4),
    here by multiplying with ones. Putting the length-1 axis anywhere else
    would broadcast g along the wrong axis, or not at all.
    """
    kept = list(x.shape)
    kept[axis] = 1  # a negative axis counts from the end, as Python's list indexing does
    return g.reshape(kept) * np.ones(x.shape)


reduce_sum = Operation("sum", _sum, sum_rule, None)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # log_softmax(x) = x - log(sum(exp(x))) along the axis. Shifting x by its
    # maximum m first changes nothing (the m comes back out of the log), and
    # keeps every exp at most 1, so nothing overflows.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_rule(g: Array, x: Array, axis: int, out: Array) -> Array:
    """dL/dx for out = log_softmax(x) along ``axis``.

    Along one slice, out[i] = x[i] - log(S) with S = sum over k of exp(x[k]).
    Since dS/dx[j] = exp(x[j]),
        dout[i]/dx[j] = [i == j] - exp(x[j]) / S = [i == j] - p[j],
    where p = softmax(x) = exp(x) / S = exp(out). Summing over the paths i:
        dL/dx[j] = sum over i of g[i] * ([i == j] - p[j]) = g[j] - p[j] * (sum over i of g[i]).
    keepdims=True leaves the sum of g with a length-1 axis, so broadcasting
    subtracts each slice's own sum, and exp(out) reuses the forward's result
    (exp(out) is at most 1: nothing overflows).
    """
    return g - exp(out) * g.sum(axis=axis, keepdims=True)


log_softmax = Operation("log_softmax", _log_softmax, log_softmax_rule, None)
