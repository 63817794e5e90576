"""The limit: each workload's forward and backward arithmetic written out by hand in numpy.

No graph, no objects, no checks: the derivative of every step is worked out on
paper and typed in. A framework on numpy cannot do less work than this, so its
time divided by this time is what the framework costs.

Each function takes the workload's inputs, makes its own copies of the
weights (not timed), and returns the run that is timed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Run = Callable[[], list[np.ndarray]]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The textbook sigmoid, as the notebook writes it."""
    return 1 / (1 + np.exp(-z))


def single_neuron(X: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int, lr: float) -> Run:
    """W1: the notebook's loop. loss = 0.5 * sum((y - out)**2), out = sigmoid(X @ w)."""
    w = w.copy()

    def run() -> list[np.ndarray]:
        for _ in range(steps):
            out = sigmoid(X @ w)
            w[...] += lr * (X.T @ ((y - out) * out * (1 - out)))  # -lr * dloss/dw
        return [w]
    return run


def mlp_sigmoid(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                steps: int, lr: float) -> Run:
    """W2: 2-4-1 network, sigmoid hidden and output, mean squared error, plain gradient descent."""
    W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()

    def run() -> list[np.ndarray]:
        for _ in range(steps):
            h = sigmoid(X @ W1.T + b1)
            out = sigmoid(h @ W2.T + b2)
            d_out = (2 / out.size) * (out - y)
            d_z2 = d_out * out * (1 - out)
            d_h = d_z2 @ W2
            d_z1 = d_h * h * (1 - h)
            W2[...] -= lr * (d_z2.T @ h)
            b2[...] -= lr * d_z2.sum(axis=0)
            W1[...] -= lr * (d_z1.T @ X)
            b1[...] -= lr * d_z1.sum(axis=0)
        return [W1, b1, W2, b2]
    return run


def mlp_relu(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
             steps: int, lr: float) -> Run:
    """W3: 784-256-10 network, ReLU hidden, mean squared error against one-hot targets."""
    W1, b1, W2, b2 = W1.copy(), b1.copy(), W2.copy(), b2.copy()

    def run() -> list[np.ndarray]:
        for _ in range(steps):
            z1 = X @ W1.T + b1
            h = np.maximum(z1, 0)
            out = h @ W2.T + b2
            d_out = (2 / out.size) * (out - y)
            d_h = d_out @ W2
            d_z1 = d_h * (z1 > 0)
            W2[...] -= lr * (d_out.T @ h)
            b2[...] -= lr * d_out.sum(axis=0)
            W1[...] -= lr * (d_z1.T @ X)
            b1[...] -= lr * d_z1.sum(axis=0)
        return [W1, b1, W2, b2]
    return run


def chain(n: int) -> Run:
    """W4: y = y * 1.0001 + 0.0001, n times from x = 1; dy/dx is the product of the n factors 1.0001."""
    def run() -> list[np.ndarray]:
        y = np.array(1.0)
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        grad = np.array(1.0)
        for _ in range(n):
            grad = grad * 1.0001  # the add passes the gradient on unchanged
        return [np.asarray(y), np.asarray(grad)]
    return run


def tiny_ops(a: np.ndarray, b: np.ndarray, c: np.ndarray, iterations: int) -> Run:
    """W5: (a * b + c).sum() and its gradients, accumulated, on 1-element arrays."""
    def run() -> list[np.ndarray]:
        grad_a, grad_b, grad_c = np.zeros_like(a), np.zeros_like(b), np.zeros_like(c)
        for _ in range(iterations):
            t = a * b
            u = t + c
            u.sum()
            g_u = np.ones_like(u)  # d sum / d u
            grad_a = grad_a + g_u * b
            grad_b = grad_b + g_u * a
            grad_c = grad_c + g_u
        return [grad_a, grad_b, grad_c]
    return run
