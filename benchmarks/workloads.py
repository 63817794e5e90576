"""The five benchmark workloads: their data, and their tinygrad_edu and PyTorch versions.

Every implementation of a workload starts from the same arrays (made here from
fixed seeds) and returns the same quantities (final weights, or gradients) as a
list of numpy arrays, so run.py can check they agree before it trusts a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hand_numpy
import numpy as np
from hand_numpy import Run

import tinygrad_edu
from tinygrad_edu import nn, optim


@dataclass
class Workload:
    """A named problem: ``make(dtype, size)`` builds its inputs; each implementation takes them,
    prepares (untimed) and returns the run to time."""

    name: str
    description: str
    make: Callable[[Any, int], dict[str, Any]]
    implementations: dict[str, Callable[..., Run]] = field(default_factory=dict)


def _uniform_layer(rng: np.random.Generator, fan_in: int, fan_out: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    bound = 1 / np.sqrt(fan_in)
    return (rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype),
            rng.uniform(-bound, bound, fan_out).astype(dtype))


# ---------------------------------------------------------------------- the problems


def make_single_neuron(dtype: Any, steps: int) -> dict[str, Any]:
    """W1's inputs: the notebook's data and starting weights."""
    X = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=dtype)
    y = np.array([[0, 0, 1, 0, 1, 1]], dtype=dtype).T
    w = (2 * np.random.RandomState(42).random_sample((3, 1)) - 1).astype(dtype)  # the notebook's start
    return {"X": X, "y": y, "w": w, "steps": steps, "lr": 1.0}


def make_xor(dtype: Any, steps: int) -> dict[str, Any]:
    """W2's inputs: XOR and a 2-4-1 network's starting weights."""
    rng = np.random.default_rng(2)
    W1, b1 = _uniform_layer(rng, 2, 4, dtype)
    W2, b2 = _uniform_layer(rng, 4, 1, dtype)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([[0], [1], [1], [0]], dtype=dtype)
    return {"X": X, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "steps": steps, "lr": 1.0}


def make_mlp(dtype: Any, steps: int) -> dict[str, Any]:
    """W3's inputs: 128 standard-normal rows, one-hot targets, 784-256-10 starting weights."""
    rng = np.random.default_rng(3)
    W1, b1 = _uniform_layer(rng, 784, 256, dtype)
    W2, b2 = _uniform_layer(rng, 256, 10, dtype)
    X = rng.standard_normal((128, 784)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 128)]
    return {"X": X, "y": Y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "steps": steps, "lr": 0.1}


def make_chain(dtype: Any, n: int) -> dict[str, Any]:
    """W4's input: the length of the chain."""
    return {"n": n}


def make_tiny(dtype: Any, iterations: int) -> dict[str, Any]:
    """W5's inputs: three 1-element arrays and the iteration count."""
    return {"a": np.array([0.5], dtype), "b": np.array([-1.5], dtype), "c": np.array([2.0], dtype),
            "iterations": iterations}


# ---------------------------------------------------------------------- tinygrad_edu
# Each function builds its model from the given weights (not timed) and returns the timed run.


def _linear(weight: np.ndarray, bias: np.ndarray | None) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, dtype=weight.dtype)
    layer.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    return layer


def _training(model: nn.Module, loss_of: Callable[[], Any], lr: float, steps: int) -> Run:
    optimizer = optim.SGD(model.parameters(), lr=lr)

    def run() -> list[np.ndarray]:
        for _ in range(steps):
            optimizer.zero_grad()
            loss_of().backward()
            optimizer.step()
        return [p.data for p in model.parameters()]
    return run


def ours_single_neuron(X: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int, lr: float) -> Run:
    """W1 with Linear, Sigmoid, MSELoss(reduction='sum') * 0.5 and SGD."""
    model = nn.Sequential(_linear(w.T, None), nn.Sigmoid())
    loss_fn = nn.MSELoss(reduction="sum")
    train = _training(model, lambda: 0.5 * loss_fn(model(X), y), lr, steps)
    return lambda: [train()[0].T]


def ours_mlp(activation: type[nn.Module]) -> Callable[..., Run]:
    """W2 (sigmoid) or W3 (ReLU) with Sequential, Linear, the activation, MSELoss and SGD."""
    def prepare(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                steps: int, lr: float) -> Run:
        output = [nn.Sigmoid()] if activation is nn.Sigmoid else []  # W2 squashes its output, W3 does not
        model = nn.Sequential(_linear(W1, b1), activation(), _linear(W2, b2), *output)
        loss_fn = nn.MSELoss()
        return _training(model, lambda: loss_fn(model(X), y), lr, steps)
    return prepare


def ours_chain(n: int) -> Run:
    """W4 with Values."""
    def run() -> list[np.ndarray]:
        x = tinygrad_edu.Value(1.0)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0001
        y.backward()
        return [y.data, x.grad]
    return run


def ours_tiny(a: np.ndarray, b: np.ndarray, c: np.ndarray, iterations: int) -> Run:
    """W5 with Values."""
    a, b, c = tinygrad_edu.Value(a), tinygrad_edu.Value(b), tinygrad_edu.Value(c)

    def run() -> list[np.ndarray]:
        for _ in range(iterations):
            (a * b + c).sum().backward()
        return [a.grad, b.grad, c.grad]
    return run


# ---------------------------------------------------------------------- PyTorch (imported only when asked for)


def torch_versions() -> dict[str, Callable[..., Run]]:
    """The PyTorch implementations, keyed by workload; empty when torch is not installed."""
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)  # small graphs: thread hand-offs only cost time

    def linear(weight: np.ndarray, bias: np.ndarray | None) -> Any:
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                                dtype=torch.float64 if weight.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(weight))
            if bias is not None:
                layer.bias.copy_(torch.from_numpy(bias))
        return layer

    def training(model: Any, loss_of: Callable[[], Any], lr: float, steps: int) -> Run:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)

        def run() -> list[np.ndarray]:
            for _ in range(steps):
                optimizer.zero_grad()
                loss_of().backward()
                optimizer.step()
            return [p.detach().numpy().copy() for p in model.parameters()]
        return run

    def single_neuron(X: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int, lr: float) -> Run:
        model = torch.nn.Sequential(linear(w.T.copy(), None), torch.nn.Sigmoid())
        loss_fn = torch.nn.MSELoss(reduction="sum")
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        train = training(model, lambda: 0.5 * loss_fn(model(Xt), yt), lr, steps)
        return lambda: [train()[0].T]

    def mlp(activation: Any) -> Callable[..., Run]:
        def prepare(X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                    steps: int, lr: float) -> Run:
            output = [torch.nn.Sigmoid()] if activation is torch.nn.Sigmoid else []
            model = torch.nn.Sequential(linear(W1, b1), activation(), linear(W2, b2), *output)
            loss_fn = torch.nn.MSELoss()
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
            return training(model, lambda: loss_fn(model(Xt), yt), lr, steps)
        return prepare

    def chain(n: int) -> Run:
        def run() -> list[np.ndarray]:
            x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0001 + 0.0001
            y.backward()
            return [y.detach().numpy(), x.grad.numpy()]
        return run

    def tiny(a: np.ndarray, b: np.ndarray, c: np.ndarray, iterations: int) -> Run:
        a, b, c = (torch.tensor(v, requires_grad=True) for v in (a, b, c))

        def run() -> list[np.ndarray]:
            for _ in range(iterations):
                (a * b + c).sum().backward()
            return [a.grad.numpy(), b.grad.numpy(), c.grad.numpy()]
        return run

    return {"W1": single_neuron, "W2": mlp(torch.nn.Sigmoid), "W3": mlp(torch.nn.ReLU), "W4": chain, "W5": tiny}


WORKLOADS = {
    "W1": Workload("W1", "single neuron (notebook), size = training steps", make_single_neuron,
                   {"numpy": hand_numpy.single_neuron, "tinygrad_edu": ours_single_neuron}),
    "W2": Workload("W2", "XOR 2-4-1 sigmoid MLP, size = training steps", make_xor,
                   {"numpy": hand_numpy.mlp_sigmoid, "tinygrad_edu": ours_mlp(nn.Sigmoid)}),
    "W3": Workload("W3", "784-256-10 ReLU MLP, batch 128, size = training steps", make_mlp,
                   {"numpy": hand_numpy.mlp_relu, "tinygrad_edu": ours_mlp(nn.ReLU)}),
    "W4": Workload("W4", "chain y = y * 1.0001 + 0.0001, forward + backward, size = links", make_chain,
                   {"numpy": hand_numpy.chain, "tinygrad_edu": ours_chain}),
    "W5": Workload("W5", "(a * b + c).sum().backward() on 1-element arrays, size = iterations", make_tiny,
                   {"numpy": hand_numpy.tiny_ops, "tinygrad_edu": ours_tiny}),
}
