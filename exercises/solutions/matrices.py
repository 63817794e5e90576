"""Worked solutions: matmul, and a Linear layer's three rules (exercises/matrices.py)."""

import numpy as np

from tinygrad_edu import Operation

from .. import Array


def matmul_rule_a(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/da for out = a @ b, a of shape (n, k), b of shape (k, m).

    out[i, j] = sum over t of a[i, t] * b[t, j], so dout[i, j]/da[i, t] = b[t, j],
    and a[i, t] affects only row i of out. Summing over that row:
        dL/da[i, t] = sum over j of g[i, j] * b[t, j] = (g @ b.T)[i, t].
    Shapes check it: g (n, m) @ b.T (m, k) gives (n, k), a's shape.
    """
    return g @ b.T


def matmul_rule_b(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/db for out = a @ b.

    dout[i, j]/db[t, j] = a[i, t], and b[t, j] affects only column j of out:
        dL/db[t, j] = sum over i of a[i, t] * g[i, j] = (a.T @ g)[t, j].
    Shapes: a.T (k, n) @ g (n, m) gives (k, m), b's shape.
    """
    return a.T @ g


matmul = Operation("matmul", np.matmul, matmul_rule_a, matmul_rule_b)


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x @ w.T + b


def linear_rule_x(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/dx for out = x @ w.T + b.

    This is matmul's rule for its first argument with w.T in place of b:
    g @ (w.T).T = g @ w, shape (batch, outputs) @ (outputs, inputs) = (batch, inputs).
    """
    return g @ w


def linear_rule_w(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/dw for out = x @ w.T + b.

    matmul's rule for its second argument gives dL/d(w.T) = x.T @ g, and
    transposing back: dL/dw = (x.T @ g).T = g.T @ x, shape (outputs, inputs).
    The product sums over the batch: every example's gradient adds up in w's.
    """
    return g.T @ x


def linear_rule_b(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/db for out = x @ w.T + b.

    out[n, j] = ... + b[j] for every row n, with slope 1, so
    dL/db[j] = sum over n of g[n, j]: g summed over the batch (axis 0).
    Not the mean: L already decides how the examples are weighted (MSELoss
    divides by their number itself), and g carries that.
    """
    return g.sum(axis=0)


linear = Operation("linear", _linear, linear_rule_x, linear_rule_w, linear_rule_b)
