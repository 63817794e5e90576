"""PyTorch's ``torch.nn.functional`` (``import tinygrad_edu.nn.functional as F``): the layers and losses as functions.

Each function takes PyTorch's arguments, in PyTorch's order, and calls the
same computation as the module of the same name (``F.cross_entropy`` and
``nn.CrossEntropyLoss``), so nothing here has a derivative of its own.
``size_average`` and ``reduce`` are PyTorch's deprecated spelling of
``reduction``, accepted with PyTorch's warning.
"""

from __future__ import annotations

from typing import Any

from ..value import Value
from . import layers, losses
from .layers import as_value


def relu(input: Any, inplace: bool = False) -> Value:  # noqa: A002 (PyTorch's name)
    """max(x, 0) elementwise; derivative 1 where x > 0, else 0."""
    return layers.relu(input, inplace)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Value:  # noqa: A002
    """x where x > 0, else negative_slope * x; derivative 1 or negative_slope."""
    return layers.leaky_relu(input, negative_slope, inplace)


def sigmoid(input: Any) -> Value:  # noqa: A002 (PyTorch's name)
    """1 / (1 + exp(-x)) elementwise, computed without overflow; derivative s (1 - s)."""
    return as_value(input).sigmoid()


def tanh(input: Any) -> Value:  # noqa: A002 (PyTorch's name)
    """tanh(x) elementwise; derivative 1 - tanh(x)**2."""
    return as_value(input).tanh()


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Value:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` converts the input first, as in PyTorch."""
    return layers.softmax(_as_dtype(input, dtype), dim)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Value:  # noqa: A002
    """x - log(sum(exp(x))) along ``dim``, without overflow; ``dtype`` converts the input first."""
    return layers.log_softmax(_as_dtype(input, dtype), dim)


def linear(input: Any, weight: Any, bias: Any = None) -> Value:  # noqa: A002 (PyTorch's name)
    """input @ weight.T + bias, for weight of shape (out_features, in_features)."""
    return layers.linear(input, weight, bias)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:  # noqa: A002
    """With ``training`` (True by default, as in PyTorch), zero each element with probability p and scale the rest
    by 1 / (1 - p); otherwise the input itself. In a model, pass ``training=self.training``."""
    return layers.dropout(input, p, training, inplace)


def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean", weight: Any = None) -> Value:
    """(input - target)**2 per element, reduced.

    With ``weight`` (of the input's shape) each squared error is multiplied
    by its weight, and the mean is the weighted mean: divided by the sum of
    the weights, as in PyTorch.
    """
    reduction = losses.legacy_reduction(size_average, reduce, reduction, "mse_loss")
    if weight is None:
        return losses.mse_loss(input, target, reduction)
    losses.check_reduction(reduction, "mse_loss")
    squared = losses.mse_loss(input, target, "none")
    w = losses.elementwise_weight(weight, squared, "mse_loss")
    if w.shape != squared.shape:
        raise ValueError(f"mse_loss: the weight has shape {w.shape} but the input has shape {squared.shape}; "
                         "they must be equal")
    if reduction == "mean":
        return (squared * w).sum() / w.sum()
    return losses.reduce_losses(squared * w, reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                         reduce: Any = None, reduction: str = "mean") -> Value:
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p and targets t in [0, 1], logs clamped at -100."""
    reduction = losses.legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    return losses.binary_cross_entropy(input, target, reduction, weight=weight)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Value:
    """Binary cross entropy of sigmoid(input), computed from the logits without overflow."""
    reduction = losses.legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy_with_logits")
    return losses.binary_cross_entropy_with_logits(input, target, reduction, weight=weight, pos_weight=pos_weight)


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Value:
    """-input[n, target[n]] for log-probabilities (N, C) and class indices (N,), weighted and reduced."""
    reduction = losses.legacy_reduction(size_average, reduce, reduction, "nll_loss")
    return losses.nll_loss(input, target, reduction, weight=weight, ignore_index=ignore_index)


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Value:
    """-log softmax(input)[target] for logits (N, C) and class indices (N,) or probabilities (N, C), reduced."""
    reduction = losses.legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    return losses.cross_entropy(input, target, reduction, weight=weight, ignore_index=ignore_index,
                                label_smoothing=label_smoothing)


def _as_dtype(x: Any, dtype: Any) -> Value:
    x = as_value(x)
    return x if dtype is None else x.to(dtype)


NOT_OFFERED = (
    "conv1d", "conv2d", "conv3d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "batch_norm", "layer_norm", "group_norm", "embedding", "one_hot", "pad", "interpolate",
    "gelu", "silu", "elu", "selu", "softplus", "softsign", "hardtanh", "relu6", "logsigmoid", "softmin",
    "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_similarity", "normalize", "dropout2d",
    "scaled_dot_product_attention", "multi_head_attention_forward", "unfold", "fold", "grid_sample",
)
OFFERED = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout", "mse_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"]


def __getattr__(name: str) -> Any:
    if name in NOT_OFFERED:
        raise AttributeError(f"tinygrad_edu does not offer nn.functional.{name}; it offers {', '.join(OFFERED)}")
    raise AttributeError(f"module 'tinygrad_edu.nn.functional' has no attribute '{name}'")
