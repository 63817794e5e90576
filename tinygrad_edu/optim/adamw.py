"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..value import Value
from .adam import Adam


class AdamW(Adam):
    """AdamW, PyTorch's update: Adam whose weight decay shrinks the parameter instead of joining the gradient::

        p = p * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * grad       v = beta2 * v + (1 - beta2) * grad**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    In Adam the decay term passes through m and v, so a weight with large
    gradients is barely decayed; here every weight shrinks by the same
    factor. The default weight_decay is 1e-2 (Adam's is 0), as in PyTorch.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Value] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
