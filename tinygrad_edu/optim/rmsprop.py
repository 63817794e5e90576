"""RMSprop: steps divided by the root of a running average of the squared gradient."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..value import Value
from .optimizer import Optimizer, _pieces, flag, lerp_into, real_number


class RMSprop(Optimizer):
    """RMSprop, PyTorch's update::

        g = grad + weight_decay * p
        s = alpha * s + (1 - alpha) * g**2               (the running mean square, from s = 0)
        a = alpha * a + (1 - alpha) * g   if centered    (the running mean, from a = 0)
        d = sqrt(s - a**2) + eps   if centered, else  sqrt(s) + eps
        b = momentum * b + g / d,  p = p - lr * b   if momentum > 0 (from b = 0)
        p = p - lr * g / d                          otherwise

    Each weight's step is its gradient divided by the typical size of its
    recent gradients, so weights with small gradients still move; centered
    measures that size around the mean (a variance) instead of around 0.
    Kept per parameter: ``state[p]["square_avg"]`` (s), ``"grad_avg"`` (a,
    when centered), ``"momentum_buffer"`` (b, when momentum > 0) and ``"step"``.
    """

    state_arrays = ("square_avg", "momentum_buffer", "grad_avg")
    state_counters = ("step",)
    optional_state = ("momentum_buffer", "grad_avg")

    def __init__(self, params: Iterable[Value] | Iterable[dict[str, Any]], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                                  "weight_decay": weight_decay})

    @classmethod
    def check_hyperparameters(cls, group: Mapping[str, Any], call: str) -> dict[str, Any]:
        """lr, momentum, eps and weight_decay are real numbers >= 0; alpha is in [0, 1]; centered True or False."""
        settings: dict[str, Any] = {key: real_number(group[key], key, call)
                                    for key in ("lr", "momentum", "eps", "weight_decay")}
        settings["alpha"] = real_number(group["alpha"], "alpha", call, high=1.0)
        settings["centered"] = flag(group["centered"], "centered", call)
        return settings

    def update(self, group: dict[str, Any], params: list[Value], grads: list[np.ndarray]) -> None:
        """One RMSprop step on each parameter of the group."""
        lr, alpha, eps, decay = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered = group["momentum"], group["centered"]
        for p, grad in zip(params, grads):
            state = self.state[p]
            # The running averages start at zero (so does one that a changed setting asks for in mid-training);
            # they are kept in state once the step is done.
            square_avg = _or_zeros(state.get("square_avg"), p)
            grad_avg = _or_zeros(state.get("grad_avg"), p) if centered else None
            buffer = _or_zeros(state.get("momentum_buffer"), p) if momentum > 0 else None
            extra = [a for a in (grad_avg, buffer) if a is not None]
            for data, g, s, *rest in _pieces(p.data, grad, square_avg, *extra):
                if decay:
                    g = g + decay * data
                s *= alpha
                s += (1 - alpha) * g * g
                if centered:
                    a = rest[0]
                    lerp_into(a, g, 1 - alpha)
                    root = np.sqrt(s - a * a)
                else:
                    root = np.sqrt(s)
                root += eps
                if momentum > 0:
                    b = rest[-1]
                    b *= momentum
                    b += g / root
                    data -= lr * b
                else:
                    data -= lr * g / root
            state["square_avg"] = square_avg
            if centered:
                state["grad_avg"] = grad_avg
            if momentum > 0:
                state["momentum_buffer"] = buffer
            state["step"] = state.get("step", 0) + 1


def _or_zeros(average: np.ndarray | None, p: Value) -> np.ndarray:
    """A running average, or zeros shaped like ``p`` if there is none yet."""
    return np.zeros(p.shape, dtype=p.dtype) if average is None else average
