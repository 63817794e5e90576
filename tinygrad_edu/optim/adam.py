"""Adam: steps scaled by running averages of the gradient and of its square."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..value import Value
from .optimizer import Optimizer, _pieces, lerp_into, real_number


class Adam(Optimizer):
    """Adam, PyTorch's update (weight decay added to the gradient, as in torch.optim.Adam)::

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``m`` and ``v`` start at zero; dividing by ``1 - beta**t`` undoes the
    pull towards zero that this start gives them in the first steps ``t``.
    They are kept per parameter as ``state[p]["exp_avg"]`` and
    ``state[p]["exp_avg_sq"]``, with the step count ``state[p]["step"]``.
    """

    state_arrays = ("exp_avg", "exp_avg_sq")
    state_counters = ("step",)
    old_state_names = {"m": "exp_avg", "v": "exp_avg_sq"}
    decoupled_weight_decay = False  # AdamW: True

    def __init__(self, params: Iterable[Value] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @classmethod
    def check_hyperparameters(cls, group: Mapping[str, Any], call: str) -> dict[str, Any]:
        """lr, eps and weight_decay are real numbers >= 0; betas two real numbers in [0, 1)."""
        settings: dict[str, Any] = {key: real_number(group[key], key, call) for key in ("lr", "eps", "weight_decay")}
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{call}: betas must be two real numbers in [0, 1), got {betas!r}")
        settings["betas"] = tuple(real_number(b, f"betas[{i}]", call, high=1.0, high_included=False)
                                  for i, b in enumerate(betas))
        return settings

    def update(self, group: dict[str, Any], params: list[Value], grads: list[np.ndarray]) -> None:
        """One Adam (or AdamW) step on each parameter of the group."""
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        shrink = 1 - lr * decay if self.decoupled_weight_decay else None
        for p, grad in zip(params, grads):
            state = self.state[p]
            if state:
                m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"] + 1
            else:  # both moments start at zero; they are kept in state once the first step is done
                m, v, t = np.zeros(p.shape, dtype=p.dtype), np.zeros(p.shape, dtype=p.dtype), 1
            step_size = lr / (1 - beta1 ** t)
            root_correction = (1 - beta2 ** t) ** 0.5
            for data, g, m_piece, v_piece in _pieces(p.data, grad, m, v):
                if decay:
                    if shrink is None:
                        g = g + decay * data
                    else:
                        data *= shrink
                lerp_into(m_piece, g, 1 - beta1)
                v_piece *= beta2
                v_piece += (1 - beta2) * (g * g)
                data -= step_size * m_piece / (np.sqrt(v_piece) / root_correction + eps)
            state.update(step=t, exp_avg=m, exp_avg_sq=v)
