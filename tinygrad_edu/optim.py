"""Optimizers: SGD (with momentum, dampening, weight decay, Nesterov) and Adam.

Each ``step()`` applies the same update as the PyTorch optimizer of the same
name, in place on each parameter's data. Parameters whose ``grad`` is None
(nothing reached them in the last backward pass) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .value import Value


_BLOCK = 16000  # elements: 125 KB of float64, under the size the allocator hands back to the system


def subtract_scaled(data: np.ndarray, scale: float, array: np.ndarray) -> None:
    """``data -= scale * array``, in place, computed a block of elements at a time.

    Written out plainly, ``scale * array`` is a temporary as large as the
    parameter, made and freed on every step. For large parameters the memory
    allocator gives those pages back to the system and takes them again the
    next step, and touching fresh pages costs more than the arithmetic (the
    temporary also adds to peak memory). A small buffer reused block by block
    gives the same numbers without either cost.
    """
    if data.size <= _BLOCK or not data.flags.c_contiguous:
        data -= scale * array
        return
    flat_data, flat_array = data.reshape(-1), np.ravel(array)
    buffer = np.empty(_BLOCK, dtype=data.dtype)
    for start in range(0, flat_data.size, _BLOCK):
        stop = min(start + _BLOCK, flat_data.size)
        flat_data[start:stop] -= np.multiply(flat_array[start:stop], scale, out=buffer[:stop - start])


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, and the hyper-parameters."""

    def __init__(self, params: Iterable[Value], hyperparameters: dict[str, Any]) -> None:
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got an empty list of parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Value")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears more than once")
        self.hyperparameters = hyperparameters
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self.update(p, p.grad, state)

    def update(self, p: Value, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Change p.data in place, given its gradient and its state; each optimizer defines it."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The hyper-parameters and a copy of the per-parameter state, to resume training later."""
        return {"hyperparameters": dict(self.hyperparameters),
                "state": {i: {key: np.copy(value) for key, value in s.items()}
                          for i, s in enumerate(self.state) if s}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; a mismatch raises ValueError and changes nothing."""
        name = type(self).__name__
        hyperparameters, saved = state_dict.get("hyperparameters"), state_dict.get("state")
        if not isinstance(hyperparameters, dict) or not isinstance(saved, dict):
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'hyperparameters' and 'state'")
        if set(hyperparameters) != set(self.hyperparameters):
            raise ValueError(f"{name}.load_state_dict: hyper-parameters {sorted(hyperparameters)} do not "
                             f"match this optimizer's {sorted(self.hyperparameters)}")
        state: list[dict[str, Any]] = [{} for _ in self.params]
        for index, entries in saved.items():  # keys are ints, or strings after save/load
            i = int(index)
            if not 0 <= i < len(self.params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but this optimizer "
                                 f"has {len(self.params)} parameters")
            p = self.params[i]
            for key, value in entries.items():
                if key not in self.per_parameter_arrays + ("step",):
                    raise ValueError(f"{name}.load_state_dict: unknown state '{key}' for parameter {i}")
                if key != "step" and np.shape(value) != p.shape:
                    raise ValueError(f"{name}.load_state_dict: '{key}' of parameter {i} has shape "
                                     f"{np.shape(value)}, but the parameter has shape {p.shape}")
                state[i][key] = int(value) if key == "step" else np.array(value, dtype=p.dtype)
        # Saved files hold numbers as arrays: turn them back into Python numbers.
        hyperparameters = {key: tuple(np.asarray(v).tolist()) if np.ndim(v) else np.asarray(v).item()
                           for key, v in hyperparameters.items()}
        type(self)._validate(**hyperparameters)
        self.hyperparameters = hyperparameters
        self.state = state

    per_parameter_arrays: tuple[str, ...] = ()

    @staticmethod
    def _validate(**hyperparameters: Any) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update::

        g = grad + weight_decay * p
        b = g on the first step, then momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov, else  b     (only when momentum > 0)
        p = p - lr * g
    """

    per_parameter_arrays = ("momentum_buffer",)

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        self._validate(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    @staticmethod
    def _validate(lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool) -> None:
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if not value >= 0:
                raise ValueError(f"SGD: {name} must be >= 0, got {value!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update(self, p: Value, grad: np.ndarray, state: dict[str, Any]) -> None:
        """One SGD step on p."""
        h = self.hyperparameters
        if h["weight_decay"]:
            grad = grad + h["weight_decay"] * p.data
        if h["momentum"]:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, dtype=p.dtype)
            else:
                buffer *= h["momentum"]
                buffer += (1 - h["dampening"]) * grad
            grad = grad + h["momentum"] * buffer if h["nesterov"] else buffer
        subtract_scaled(p.data, h["lr"], grad)  # p -= lr * grad


class Adam(Optimizer):
    """Adam, PyTorch's update (weight decay added to the gradient, as in torch.optim.Adam)::

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    per_parameter_arrays = ("m", "v")

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self._validate(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    @staticmethod
    def _validate(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            if not value >= 0:
                raise ValueError(f"Adam: {name} must be >= 0, got {value!r}")
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")

    def update(self, p: Value, grad: np.ndarray, state: dict[str, Any]) -> None:
        """One Adam step on p."""
        h = self.hyperparameters
        beta1, beta2 = h["betas"]
        if h["weight_decay"]:
            grad = grad + h["weight_decay"] * p.data
        if not state:
            state.update(step=0, m=np.zeros_like(p.data), v=np.zeros_like(p.data))
        state["step"] += 1
        m, v, t = state["m"], state["v"], state["step"]
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * (grad * grad)
        step_size = h["lr"] / (1 - beta1 ** t)
        denominator = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + h["eps"]
        p.data -= step_size * (m / denominator)
