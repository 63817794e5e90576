"""Exercises 8 and 9: matrix product, and a Linear layer's three rules.

For matrices the chain rule's sum over paths becomes a matrix product. For
out = a @ b, with a of shape (n, k) and b of shape (k, m),

    out[i, j] = sum over t of a[i, t] * b[t, j],

so a[i, t] reaches L through every out[i, j] (j = 0 .. m-1), with slope
b[t, j]. Write that sum as a product of g = dL/dout (shape (n, m)) and an
argument. Checking the shapes is a great help: dL/da must come out (n, k).

Replace each ``raise NotImplementedError``, then run

    python -m exercises.check matmul linear

Write rules with operators (``@`` is the matrix product), ``.T`` (the
transpose) and ``.sum(axis=...)``: numpy arrays and Values both have them,
and the grader also checks second derivatives, calling your rules with Values.
"""

import numpy as np

from tinygrad_edu import Operation

from . import Array


def matmul_rule_a(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/da for out = a @ b (both matrices): an array of a's shape (n, k)."""
    raise NotImplementedError("matmul_rule_a is not written yet")


def matmul_rule_b(g: Array, a: Array, b: Array, out: Array) -> Array:
    """dL/db for out = a @ b (both matrices): an array of b's shape (k, m)."""
    raise NotImplementedError("matmul_rule_b is not written yet")


matmul = Operation("matmul", np.matmul, matmul_rule_a, matmul_rule_b)


# A Linear layer (nn.Linear) maps a batch of inputs x, one row per example,
# shape (batch, inputs), to out = x @ w.T + b, shape (batch, outputs), with
# the weight w of shape (outputs, inputs) and the bias b of shape (outputs,).
# numpy broadcasting adds b to every row.


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x @ w.T + b


def linear_rule_x(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/dx for out = x @ w.T + b: shape (batch, inputs). This is what the layer passes back."""
    raise NotImplementedError("linear_rule_x is not written yet")


def linear_rule_w(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/dw for out = x @ w.T + b: shape (outputs, inputs), like w. What SGD subtracts from w."""
    raise NotImplementedError("linear_rule_w is not written yet")


def linear_rule_b(g: Array, x: Array, w: Array, b: Array, out: Array) -> Array:
    """dL/db for out = x @ w.T + b: shape (outputs,), like b.

    b[j] is added to out[n, j] for every row n of the batch.
    """
    raise NotImplementedError("linear_rule_b is not written yet")


linear = Operation("linear", _linear, linear_rule_x, linear_rule_w, linear_rule_b)
