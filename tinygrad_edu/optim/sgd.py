"""SGD: stochastic gradient descent, with momentum, dampening, weight decay and Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..value import Value
from .optimizer import _BLOCK, Optimizer, _pieces, flag, real_number


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update::

        g = grad + weight_decay * p
        b = g on the first step, then momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov, else  b     (only when momentum > 0)
        p = p - lr * g

    ``b``, the momentum buffer, is kept per parameter as ``state[p]["momentum_buffer"]``.
    """

    state_arrays = ("momentum_buffer",)

    def __init__(self, params: Iterable[Value] | Iterable[dict[str, Any]], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    @classmethod
    def check_hyperparameters(cls, group: Mapping[str, Any], call: str) -> dict[str, Any]:
        """lr, momentum, dampening and weight_decay are real numbers >= 0; Nesterov needs momentum, no dampening."""
        settings = {key: real_number(group[key], key, call) for key in ("lr", "momentum", "dampening", "weight_decay")}
        settings["nesterov"] = flag(group["nesterov"], "nesterov", call)
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            raise ValueError(f"{call}: Nesterov momentum needs momentum > 0 and dampening = 0")
        return settings

    def update(self, group: dict[str, Any], params: list[Value], grads: list[np.ndarray]) -> None:
        """One SGD step on each parameter of the group."""
        lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
        if not momentum:
            for p, grad in zip(params, grads):
                # A small parameter is one piece: taken here, it spares a call per parameter per step.
                for data, g in ((p.data, grad),) if grad.size <= _BLOCK else _pieces(p.data, grad):
                    data -= lr * (g + decay * data if decay else g)
            return
        dampening, nesterov = group["dampening"], group["nesterov"]
        for p, grad in zip(params, grads):
            state = self.state[p]
            first = "momentum_buffer" not in state
            # A first buffer is filled piece by piece below, and kept only once it is whole.
            buffer = np.empty(p.shape, dtype=p.dtype) if first else state["momentum_buffer"]
            for data, g, b in _pieces(p.data, grad, buffer):
                if decay:
                    g = g + decay * data
                if first:
                    b[...] = g
                else:
                    b *= momentum
                    b += (1 - dampening) * g
                data -= lr * (g + momentum * b if nesterov else b)
            state["momentum_buffer"] = buffer
