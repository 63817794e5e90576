"""Loss functions, as functions and as modules: MSE, binary cross entropy (on probabilities
and on logits) and cross entropy over classes.

Each takes ``reduction``: 'mean' (the default), 'sum', or 'none' for the
per-element losses. A prediction and a target of different shapes are an
error, never broadcast: broadcasting (N, 1) against (N,) would silently
compare every prediction with every target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks, ops
from ..checks import to_float_array
from ..value import Value
from .layers import as_value
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Value, reduction: str) -> Value:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _matching(prediction: Any, target: Any, name: str) -> tuple[Value, Any]:
    """The prediction as a Value and the target as a Value or a constant array of the same shape."""
    prediction = as_value(prediction)
    dtype, shape = prediction.data.dtype, prediction.data.shape
    if not isinstance(target, Value) and not (type(target) is np.ndarray and target.dtype is dtype):
        target = to_float_array(target, name).astype(dtype, copy=False)
    if target.shape != shape:
        raise ValueError(f"{name}: the prediction has shape {prediction.shape} but the target has shape "
                         f"{target.shape}; they must be equal (reshape one of them: broadcasting would "
                         "silently compare the wrong pairs)")
    return prediction, target


# ---------------------------------------------------------------------- mean squared error


def _squared_error(p: np.ndarray, t: np.ndarray, reduction: str) -> np.ndarray:
    d = p - t
    if reduction == "none":
        return d * d
    total = np.vdot(d, d)  # the sum of squares, in one call
    return total if reduction == "sum" else total / d.size


def _squared_error_rule(g: Any, p: Any, t: Any, reduction: str, out: Any) -> Any:
    # d/dp (p - t)**2 = 2 (p - t); the mean divides by the number of elements.
    scale = g * 2 if reduction != "mean" else g * 2 / p.size  # numpy's division: an empty p gives an empty gradient
    return scale * (p - t)


# One operation rather than subtract, square and sum: a training step's loss is a single node.
_mse_op = ops.Operation("mse_loss", _squared_error,
                        _squared_error_rule,
                        lambda g, p, t, reduction, out: -_squared_error_rule(g, p, t, reduction, out),
                        None)


def mse_loss(prediction: Any, target: Any, reduction: str = "mean") -> Value:
    """(prediction - target)**2 per element, then reduced.

    d/dprediction = 2 (prediction - target), divided by n for the mean.
    """
    _check_reduction(reduction, "mse_loss")
    prediction, target = _matching(prediction, target, "mse_loss")
    return _mse_op(prediction, target, reduction)


# ---------------------------------------------------------------------- binary cross entropy


def _bce(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    # -(t log p + (1 - t) log(1 - p)), with each log clamped at -100 as PyTorch
    # does, so p = 0 or 1 gives a large finite loss instead of inf.
    with np.errstate(divide="ignore"):
        return (t - 1) * np.maximum(np.log1p(-p), -100) - t * np.maximum(np.log(p), -100)


_BCE_EPSILON = float(np.float32(1e-12))

_bce_op = ops.Operation(
    "binary_cross_entropy", _bce,
    # d/dp = (p - t) / (p (1 - p)); PyTorch keeps the denominator at least
    # 1e-12 as a float32, which is 9.99999996e-13.
    lambda g, p, t, out: g * (p - t) / ops.maximum(p * (1 - p), _BCE_EPSILON),
    # d/dt = log(1 - p) - log(p) = -logit(p).
    lambda g, p, t, out: g * (ops.log(1 - p) - ops.log(p)))


def binary_cross_entropy(prediction: Any, target: Any, reduction: str = "mean") -> Value:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1] and targets t in [0, 1]."""
    _check_reduction(reduction, "binary_cross_entropy")
    prediction, target = _matching(prediction, target, "binary_cross_entropy")
    for what, x in (("prediction", prediction.data), ("target", checks.data_of(target))):
        if not np.all((x >= 0) & (x <= 1)):
            raise ValueError(f"binary_cross_entropy: every element of the {what} must be between 0 and 1 "
                             "(for raw scores rather than probabilities, use BCEWithLogitsLoss)")
    return _reduce(_bce_op(prediction, target), reduction)


def _bce_with_logits(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    # The loss is log(1 + exp(-x)) + (1 - t) x. Written as
    # max(x, 0) - x t + log(1 + exp(-|x|)), no exp can overflow.
    return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))


_bce_with_logits_op = ops.Operation(
    "binary_cross_entropy_with_logits", _bce_with_logits,
    lambda g, x, t, out: g * (ops.sigmoid(x) - t),   # d/dx = sigmoid(x) - t
    lambda g, x, t, out: g * -x)                     # d/dt = -x


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """Binary cross entropy of sigmoid(logits), computed from the logits without overflow."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    logits, target = _matching(logits, target, "binary_cross_entropy_with_logits")
    return _reduce(_bce_with_logits_op(logits, target), reduction)


# ---------------------------------------------------------------------- cross entropy over classes


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Value:
    """-log softmax(logits)[target]: logits of shape (N, C) (or (C,)), integer classes of shape (N,) (or ())."""
    _check_reduction(reduction, "cross_entropy")
    logits = as_value(logits)
    if isinstance(target, Value):
        raise TypeError("cross_entropy: the target must hold integer class indices (a numpy array or a "
                        "list of ints), not a Value, which holds floats")
    classes = np.asarray(target)
    if classes.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: the target must hold integer class indices, got dtype {classes.dtype}")
    if logits.ndim not in (1, 2) or classes.shape != logits.shape[:-1]:
        raise ValueError(f"cross_entropy: logits of shape (N, C) need a target of shape (N,) "
                         f"(or (C,) and ()); got logits {logits.shape} and target {classes.shape}")
    n_classes = logits.shape[-1]
    if classes.size and (classes.min() < 0 or classes.max() >= n_classes):
        raise ValueError(f"cross_entropy: class indices must be in [0, {n_classes}), got values from "
                         f"{classes.min()} to {classes.max()}")
    log_probs = logits.log_softmax(axis=-1)
    picked = log_probs[classes] if logits.ndim == 1 else log_probs[np.arange(len(classes)), classes]
    return _reduce(-picked, reduction)


# ---------------------------------------------------------------------- the same losses as modules


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        """The reduction, as in ``MSELoss(reduction='mean')``."""
        return f"reduction='{self.reduction}'"


class MSELoss(_Loss):
    """Mean squared error: (prediction - target)**2, reduced by ``reduction``."""

    def forward(self, prediction: Any, target: Any) -> Value:
        """The loss of prediction against target (same shapes)."""
        return mse_loss(prediction, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities: -(t log p + (1 - t) log(1 - p)), logs clamped at -100."""

    def forward(self, prediction: Any, target: Any) -> Value:
        """The loss of probabilities against targets in [0, 1] (same shapes)."""
        return binary_cross_entropy(prediction, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of sigmoid(logits), computed stably from the logits."""

    def forward(self, logits: Any, target: Any) -> Value:
        """The loss of logits against targets in [0, 1] (same shapes)."""
        return binary_cross_entropy_with_logits(logits, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """-log softmax(logits)[class] for logits (N, C) and integer class targets (N,)."""

    def forward(self, logits: Any, target: Any) -> Value:
        """The loss of logits against class indices."""
        return cross_entropy(logits, target, self.reduction)
