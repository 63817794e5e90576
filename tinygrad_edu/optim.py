"""Optimizers: SGD (with momentum, dampening, weight decay, Nesterov) and Adam.

Each ``step()`` applies the same update as the PyTorch optimizer of the same
name, in place on each parameter's data. Parameters whose ``grad`` is None
(nothing reached them in the last backward pass) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from . import checks
from .autograd import forget_gradients
from .value import Value, mark_changed

_BLOCK = 16000  # elements: 125 KB of float64, under the size the allocator hands back to the system


def _pieces(*arrays: np.ndarray) -> tuple[tuple[np.ndarray, ...], ...]:
    """Matching pieces of same-shaped arrays, at most ``_BLOCK`` elements each, as writable views.

    An update written plainly (``p -= lr * g``) makes temporaries as large as
    the parameter on every step. For large parameters the memory allocator
    gives those pages back to the system and takes them again the next step,
    and touching fresh pages costs more than the arithmetic (the temporaries
    also add to peak memory). Applying the same formula to one piece at a
    time keeps every temporary small, and gives the same numbers, since each
    element is computed on its own. Small parameters, and arrays that are not
    C-contiguous (whose flat views would be copies), are one piece.
    """
    if arrays[0].size <= _BLOCK or not all(a.flags.c_contiguous for a in arrays):
        return (arrays,)
    flat = [a.reshape(-1) for a in arrays]
    return tuple(tuple(a[start:start + _BLOCK] for a in flat) for start in range(0, flat[0].size, _BLOCK))


class Optimizer:
    """Base class: holds the parameters, their per-parameter state, and the hyper-parameters.

    A subclass names the state it keeps for a parameter once that parameter
    has been updated (``state_arrays``, shaped like the parameter, and
    ``state_counters``, integers), checks its hyper-parameters in
    ``_validate``, and defines ``update``.
    """

    state_arrays: tuple[str, ...] = ()
    state_counters: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value], hyperparameters: dict[str, Any]) -> None:
        name = type(self).__name__
        if callable(params) or hasattr(params, "parameters") or isinstance(params, Value):
            raise TypeError(f"{name}: params must be a list of Values, such as model.parameters() "
                            f"(with the parentheses); got {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty list of parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Value")
            if p.inputs or (p.op is not None and p.data.base is not None):  # in a graph, or a view of another
                raise ValueError(f"{name}: parameter {i} was computed by '{p.op.name if p.op else '?'}'; an "
                                 "optimizer updates leaf Values (made with Value(...) or tensor(...)), whose data "
                                 "it can change")
            if not p.data.flags.writeable:
                raise ValueError(f"{name}: the data of parameter {i} is read-only (a broadcast view?), so "
                                 "it cannot be updated in place")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears more than once")
        self.hyperparameters = hyperparameters
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (or, with ``set_to_none=False``, fill it with zeros)."""
        forget_gradients(self.params, set_to_none)

    def step(self) -> None:
        """Update every parameter that has a gradient.

        Every one of them is checked before the first is changed, so a
        parameter that cannot be updated (its data replaced, or made
        read-only, since the gradient was computed) is reported with the
        model untouched.
        """
        ready, changed = [], []
        for p, state in zip(self.params, self.state):
            grad = p.grad
            if grad is not None:
                data = p.data
                if (not isinstance(data, np.ndarray) or data.shape != grad.shape or data.dtype.kind != "f"
                        or not data.flags.writeable or state and self._misfit_state(state, data.shape)):
                    raise ValueError(self._refusal(p, state))
                ready.append((p, grad, state))
                changed.append(p)
        for p, grad, state in ready:
            self.update(p, grad, state)
        mark_changed(changed)  # a graph built before this step can no longer be differentiated

    def _refusal(self, p: Value, state: dict[str, Any]) -> str:
        """The error message of ``step`` for a parameter it cannot update: which one, and why."""
        data = p.data
        if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
            problem = f"its data is {checks.describe(data)}, not a float array"
        elif data.shape != p.grad.shape:  # type: ignore[union-attr]
            problem = f"its data has shape {data.shape} but its gradient has shape {p.grad.shape}"  # type: ignore[union-attr]
        elif not data.flags.writeable:
            problem = "its data is read-only"
        else:
            key = self._misfit_state(state, data.shape)
            problem = f"its data has shape {data.shape} but the optimizer's '{key}' has shape {state[key].shape}"
        position = next(i for i, q in enumerate(self.params) if q is p)
        return f"{type(self).__name__}.step: parameter {position} cannot be updated: {problem}; nothing was changed"

    def _misfit_state(self, state: dict[str, Any], shape: tuple[int, ...]) -> str | None:
        """The name of a state array kept for a parameter whose shape is not ``shape`` (None if all fit).

        A subclass may keep some of its ``state_arrays`` only some of the time: missing ones, and None, fit.
        """
        for key in self.state_arrays:
            array = state.get(key)
            if array is not None and array.shape != shape:
                return key
        return None

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
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise ValueError(f"{name}: expected the dict that state_dict() returns, got {type(state_dict).__name__}")
        hyperparameters, saved = state_dict.get("hyperparameters"), state_dict.get("state")
        if not isinstance(hyperparameters, dict) or not isinstance(saved, dict):
            raise ValueError(f"{name}: expected a dict with 'hyperparameters' and 'state'")
        if set(hyperparameters) != set(self.hyperparameters):
            raise ValueError(f"{name}: hyper-parameters {sorted(hyperparameters)} do not "
                             f"match this optimizer's {sorted(self.hyperparameters)}")
        state: list[dict[str, Any]] = [{} for _ in self.params]
        wanted = set(self.state_arrays + self.state_counters)
        for index, entries in saved.items():  # keys are ints, or strings after save/load
            try:
                i = int(index)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: state keys are parameter positions, got {index!r}") from None
            if not 0 <= i < len(self.params) or not isinstance(entries, dict):
                raise ValueError(f"{name}: no parameter {i} here (this optimizer has {len(self.params)}), "
                                 "or its state is not a dict")
            if set(entries) != wanted:
                raise ValueError(f"{name}: the state of parameter {i} has {sorted(entries)}, "
                                 f"expected {sorted(wanted)}")
            p = self.params[i]
            for key in self.state_arrays:
                try:
                    array = np.asarray(entries[key])
                except ValueError as error:  # a ragged nested list
                    raise ValueError(f"{name}: '{key}' of parameter {i} is not an array: {error}") from None
                if array.dtype.kind not in "biuf":
                    raise ValueError(f"{name}: '{key}' of parameter {i} is not numbers (dtype {array.dtype})")
                if array.shape != p.shape:
                    raise ValueError(f"{name}: '{key}' of parameter {i} has shape "
                                     f"{array.shape}, but the parameter has shape {p.shape}")
                state[i][key] = np.array(array, dtype=p.dtype, order="C")  # C order: see _pieces
            for key in self.state_counters:
                count = np.asarray(entries[key])  # a saved file gives a 0-d array
                if count.shape or count.dtype.kind not in "iu" or count < 0:
                    raise ValueError(f"{name}: '{key}' of parameter {i} must be an integer >= 0, "
                                     f"got {entries[key]!r}")
                state[i][key] = int(count)
        # Saved files hold numbers as arrays: turn them back into Python numbers.
        hyperparameters = {key: tuple(np.asarray(v).tolist()) if np.ndim(v) else np.asarray(v).item()
                           for key, v in hyperparameters.items()}
        type(self)._validate(**hyperparameters)
        self.hyperparameters = hyperparameters
        self.state = state

    @staticmethod
    def _validate(**hyperparameters: Any) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        """The class, the number of parameters and the hyper-parameters."""
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


def _check_non_negative(optimizer: str, **numbers: Any) -> None:
    for name, value in numbers.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) or not value >= 0:
            raise ValueError(f"{optimizer}: {name} must be a number >= 0, got {value!r}")


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update::

        g = grad + weight_decay * p
        b = g on the first step, then momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov, else  b     (only when momentum > 0)
        p = p - lr * g
    """

    state_arrays = ("momentum_buffer",)

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        self._validate(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    @staticmethod
    def _validate(lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool) -> None:
        _check_non_negative("SGD", lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update(self, p: Value, grad: np.ndarray, state: dict[str, Any]) -> None:
        """One SGD step on p."""
        h = self.hyperparameters
        lr, momentum, decay = h["lr"], h["momentum"], h["weight_decay"]
        if not momentum:
            for data, g in _pieces(p.data, grad):
                data -= lr * (g + decay * data if decay else g)
            return
        buffer = state.get("momentum_buffer")
        first = buffer is None
        if first:  # filled piece by piece below, and kept only once it is whole
            buffer = np.empty(p.shape, dtype=p.dtype)
        for data, g, b in _pieces(p.data, grad, buffer):
            if decay:
                g = g + decay * data
            if first:
                b[...] = g
            else:
                b *= momentum
                b += (1 - h["dampening"]) * g
            data -= lr * (g + momentum * b if h["nesterov"] else b)
        state["momentum_buffer"] = buffer


class Adam(Optimizer):
    """Adam, PyTorch's update (weight decay added to the gradient, as in torch.optim.Adam)::

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    state_arrays = ("m", "v")
    state_counters = ("step",)

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self._validate(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    @staticmethod
    def _validate(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
        _check_non_negative("Adam", lr=lr, eps=eps, weight_decay=weight_decay)
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas)):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")

    def update(self, p: Value, grad: np.ndarray, state: dict[str, Any]) -> None:
        """One Adam step on p."""
        h = self.hyperparameters
        beta1, beta2 = h["betas"]
        if state:
            first_moment, second_moment, t = state["m"], state["v"], state["step"] + 1
        else:  # both moments start at zero; they are kept in state once the first step is done
            first_moment, second_moment, t = np.zeros(p.shape, dtype=p.dtype), np.zeros(p.shape, dtype=p.dtype), 1
        step_size = h["lr"] / (1 - beta1 ** t)
        root_correction = (1 - beta2 ** t) ** 0.5
        weight = 1 - beta1  # m moves this fraction of the way to g
        for data, g, m, v in _pieces(p.data, grad, first_moment, second_moment):
            if h["weight_decay"]:
                g = g + h["weight_decay"] * data
            # PyTorch's lerp measures the move from the nearer end, which keeps
            # precision when m and g differ a lot (beta1 = 0 gives m = g exactly).
            if weight < 0.5:
                m += weight * (g - m)
            else:
                m[...] = g - (g - m) * (1 - weight)
            v *= beta2
            v += (1 - beta2) * (g * g)
            data -= step_size * (m / (np.sqrt(v) / root_correction + h["eps"]))
        state.update(step=t, m=first_moment, v=second_moment)
