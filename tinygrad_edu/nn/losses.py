"""Loss functions, as functions and as modules: MSE, binary cross entropy (on probabilities
and on logits), negative log likelihood and cross entropy over classes.

Each takes ``reduction``: 'mean' (the default), 'sum', or 'none' for the
per-element losses. A prediction and a target of different shapes are an
error, never broadcast: broadcasting (N, 1) against (N,) would silently
compare every prediction with every target.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .. import checks, ops
from ..checks import to_float_array
from ..value import Value
from .layers import as_value
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, name: str) -> None:
    """A ValueError naming the call unless ``reduction`` is 'mean', 'sum' or 'none'."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def legacy_reduction(size_average: Any, reduce: Any, reduction: str, name: str) -> str:
    """The reduction PyTorch's deprecated ``size_average`` and ``reduce`` options stand for (with its warning).

    Unset, they leave ``reduction`` as given. Otherwise, as in PyTorch, each
    defaults to True: reduce=False gives 'none', else size_average picks
    'mean' (True) or 'sum' (False).
    """
    if size_average is None and reduce is None:
        return reduction
    for option, given in (("size_average", size_average), ("reduce", reduce)):
        if given is not None and not isinstance(given, (bool, np.bool_)):
            raise TypeError(f"{name}: {option} (PyTorch's deprecated option) must be True, False or None, got "
                            f"{given!r}; give the reduction by name, e.g. {name}(reduction='sum')")
    warnings.warn(f"{name}: size_average and reduce are deprecated (as in PyTorch); use reduction='mean', "
                  "'sum' or 'none'", UserWarning, stacklevel=3)
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def reduce_losses(losses: Value, reduction: str) -> Value:
    """The mean or the sum of the per-element losses, or the losses themselves for 'none'."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def elementwise_weight(weight: Any, prediction: Value, name: str, what: str = "weight") -> np.ndarray:
    """A rescaling weight for per-element losses, as a constant array that broadcasts to the prediction's shape."""
    array = to_float_array(checks.data_of(weight), name).astype(prediction.data.dtype, copy=False)
    try:
        fits = np.broadcast_shapes(array.shape, prediction.shape) == prediction.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: the {what} has shape {array.shape}, which does not broadcast to the "
                         f"prediction's shape {prediction.shape}")
    return array


def _matching(prediction: Any, target: Any, name: str) -> tuple[Value, Any]:
    """The prediction as a Value and the target as a Value or a constant array of the same shape."""
    if not isinstance(prediction, Value):
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
                        None,
                        formulas=["g * 2 * (p - t)  (/ n for the mean)", "-g * 2 * (p - t)  (/ n for the mean)", None],
                        saves=("p", "t"))


def mse_loss(prediction: Any, target: Any, reduction: str = "mean") -> Value:
    """(prediction - target)**2 per element, then reduced.

    d/dprediction = 2 (prediction - target), divided by n for the mean.
    """
    if reduction not in REDUCTIONS:  # check_reduction's test, inline: mse_loss is on every step of W1-W3
        check_reduction(reduction, "mse_loss")
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
    lambda g, p, t, out: g * (ops.log(1 - p) - ops.log(p)),
    formulas=["g * (p - t) / (p * (1 - p))", "g * (log(1 - p) - log(p))"], saves={"p": ("p", "t"), "t": ("p",)})


def binary_cross_entropy(prediction: Any, target: Any, reduction: str = "mean", *, weight: Any = None) -> Value:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1] and targets t in [0, 1].

    ``weight`` (broadcast to the prediction's shape) multiplies each element's loss before the reduction.
    """
    check_reduction(reduction, "binary_cross_entropy")
    prediction, target = _matching(prediction, target, "binary_cross_entropy")
    for what, x in (("prediction", prediction.data), ("target", checks.data_of(target))):
        if not np.all((x >= 0) & (x <= 1)):
            raise ValueError(f"binary_cross_entropy: every element of the {what} must be between 0 and 1 "
                             "(for raw scores rather than probabilities, use BCEWithLogitsLoss)")
    losses = _bce_op(prediction, target)
    if weight is not None:
        losses = losses * elementwise_weight(weight, prediction, "binary_cross_entropy")
    return reduce_losses(losses, reduction)


def _bce_with_logits(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    # The loss is log(1 + exp(-x)) + (1 - t) x. Written as
    # max(x, 0) - x t + log(1 + exp(-|x|)), no exp can overflow.
    return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))


_bce_with_logits_op = ops.Operation(
    "binary_cross_entropy_with_logits", _bce_with_logits,
    lambda g, x, t, out: g * (ops.sigmoid(x) - t),   # d/dx = sigmoid(x) - t
    lambda g, x, t, out: g * -x,                     # d/dt = -x
    formulas=["g * (sigmoid(x) - t)", "-g * x"], saves={"x": ("x", "t"), "t": ("x",)})


def _bce_with_logits_weighted(x: np.ndarray, t: np.ndarray, pos_weight: np.ndarray) -> np.ndarray:
    # With the positive class's term weighted by w: -(w t log s + (1 - t) log(1 - s)) for s = sigmoid(x),
    # which is (1 - t) x + (1 + (w - 1) t) softplus(-x); softplus(-x) = log(1 + exp(-x)) is written
    # max(-x, 0) + log(1 + exp(-|x|)), so no exp can overflow.
    return (1 - t) * x + (1 + (pos_weight - 1) * t) * _softplus(-x)


def _softplus(x: Any) -> Any:
    """log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): no exp above 1, so nothing overflows."""
    if isinstance(x, Value):  # under create_graph: the same formula from operations
        return ops.relu(x) + ops.log(1 + ops.exp(-ops.absolute(x)))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


_bce_with_logits_weighted_op = ops.Operation(
    "binary_cross_entropy_with_logits", _bce_with_logits_weighted,
    # d/dx = (1 - t) - (1 + (w - 1) t) sigmoid(-x)
    lambda g, x, t, w, out: g * ((1 - t) - (1 + (w - 1) * t) * ops.sigmoid(-x)),
    # d/dt = -x + (w - 1) softplus(-x)
    lambda g, x, t, w, out: g * ((w - 1) * _softplus(-x) - x),
    None,
    formulas=["g * ((1 - t) - (1 + (w - 1) * t) * sigmoid(-x))", "g * ((w - 1) * softplus(-x) - x)", None],
    saves={"x": ("x", "t", "w"), "t": ("x", "w")})


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean", *, weight: Any = None,
                                     pos_weight: Any = None) -> Value:
    """Binary cross entropy of sigmoid(logits), computed from the logits without overflow.

    ``weight`` (broadcast to the logits' shape) multiplies each element's
    loss; ``pos_weight`` (broadcast along the last axis, one per class)
    multiplies the term of the positive targets: -(w t log s + (1 - t) log(1 - s)).
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(reduction, name)
    logits, target = _matching(logits, target, name)
    if pos_weight is None:
        losses = _bce_with_logits_op(logits, target)
    else:
        positive = elementwise_weight(pos_weight, logits, name, "pos_weight")
        losses = _bce_with_logits_weighted_op(logits, target, positive)
    if weight is not None:
        losses = losses * elementwise_weight(weight, logits, name)
    return reduce_losses(losses, reduction)


# ---------------------------------------------------------------------- classes: negative log likelihood, cross entropy
#
# Inputs hold one score per class along axis 1: (N, C), or (N, C, d1, d2, ...) for a class per
# position (a pixel, a word), or (C,) for a single example. Class targets then have the shape
# without that axis: (N,), (N, d1, d2, ...) or ().


def _class_axis_shape(shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """The class axis of an input of this shape, and the shape of the class targets that go with it."""
    return (0, ()) if len(shape) == 1 else (1, shape[:1] + shape[2:])


def _class_indices(target: Any, scores: Value, ignore_index: int, name: str) -> np.ndarray:
    """The target as an integer array of class indices of the right shape and range, checked."""
    try:
        classes = np.asarray(checks.data_of(target))
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{name}: cannot make an array of class indices from this {type(target).__name__}: "
                         f"{error}") from None
    if classes.dtype.kind not in "iu":
        raise TypeError(f"{name}: the target must hold integer class indices (int64), got dtype {classes.dtype}"
                        + (" (probabilities must have the shape of the input)" if classes.dtype.kind == "f"
                           and name.startswith("cross_entropy") else ""))
    if scores.ndim == 0 or classes.shape != _class_axis_shape(scores.shape)[1]:
        raise ValueError(f"{name}: an input of shape (N, C) needs a target of shape (N,) (or (C,) and (), or "
                         f"(N, C, d1, ...) and (N, d1, ...)); got input {scores.shape} and target {classes.shape}")
    n_classes = scores.shape[_class_axis_shape(scores.shape)[0]]
    outside = ((classes < 0) | (classes >= n_classes)) & (classes != ignore_index)
    if outside.any():
        bad = classes[outside]
        raise ValueError(f"{name}: class indices must be in [0, {n_classes}) (or ignore_index={ignore_index}), "
                         f"got values from {bad.min()} to {bad.max()} outside it")
    return classes


def _class_weight(weight: Any, scores: Value, name: str) -> np.ndarray | None:
    """The per-class weight as a constant array of C numbers in the input's dtype (None if not given)."""
    if weight is None:
        return None
    if isinstance(weight, str):  # F.cross_entropy(x, y, "sum"): PyTorch's third argument is the weight
        raise TypeError(f"{name}: weight must hold one number per class, got the string {weight!r}; give the "
                        f"reduction by name: reduction={weight!r}")
    array = to_float_array(checks.data_of(weight), name).astype(scores.data.dtype, copy=False)
    n_classes = scores.shape[_class_axis_shape(scores.shape)[0]] if scores.ndim else 0
    if array.shape != (n_classes,):
        raise ValueError(f"{name}: weight must hold one number per class, shape ({n_classes},), got shape "
                         f"{array.shape}")
    return array


def _check_ignore_index(ignore_index: Any, name: str) -> None:
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{name}: ignore_index must be an integer, got {ignore_index!r}")


def _picked_losses(log_probs: Value, classes: np.ndarray, weight: np.ndarray | None,
                   ignore_index: int) -> tuple[Value, np.ndarray | None, np.ndarray | None]:
    """-w[y] * log_probs[..., y, ...] for every target position, the weights w[y] used (0 where ignored; None when
    all are 1), and the mask of ignored positions (None when none is)."""
    ignored = classes == ignore_index
    if not ignored.any():
        ignored_or_none, safe = None, classes
    else:
        ignored_or_none, safe = ignored, np.where(ignored, 0, classes)  # any valid class: its weight becomes 0
    if log_probs.ndim == 1:
        index: tuple[Any, ...] = (safe,)
    else:
        positions: tuple[Any, ...] = tuple(np.indices(classes.shape, sparse=True))  # each axis's positions
        index = (positions[0], safe, *positions[1:])
    picked = log_probs[index]
    sample_weight = None if weight is None else weight[safe]
    if ignored_or_none is not None:
        kept = (~ignored_or_none).astype(log_probs.data.dtype)
        sample_weight = kept if sample_weight is None else sample_weight * kept
    losses = -picked if sample_weight is None else picked * -sample_weight
    if ignored_or_none is not None:  # where(), not the 0 weight alone: an ignored -inf times 0 would be NaN
        losses = ops.where(ignored_or_none, 0.0, losses)
    return losses, sample_weight, ignored_or_none


def _weighted_reduce(losses: Value, sample_weight: np.ndarray | None, reduction: str) -> Value:
    """Reduce per-position losses; a weighted mean divides by the sum of the weights used, as PyTorch does."""
    if reduction != "mean" or sample_weight is None:
        return reduce_losses(losses, reduction)
    total = sample_weight.sum()
    if total == 0:  # every target ignored: the mean is NaN, and its gradient 0, as in PyTorch
        return losses.sum() * 0.0 + np.nan
    return losses.sum() / total


def nll_loss(log_probs: Any, target: Any, reduction: str = "mean", *, weight: Any = None,
             ignore_index: int = -100) -> Value:
    """The negative log likelihood -log_probs[n, y_n] of each target class y_n, reduced.

    ``log_probs`` holds log-probabilities (a ``log_softmax``'s output), shape
    (N, C), (N, C, d1, ...) or (C,); the target holds class indices of shape
    (N,), (N, d1, ...) or (). With ``weight`` (one number per class) each
    loss is multiplied by its class's weight, and the mean divides by the sum
    of the weights used. Targets equal to ``ignore_index`` add nothing and do
    not count in the mean.
    """
    name = "nll_loss"
    check_reduction(reduction, name)
    _check_ignore_index(ignore_index, name)
    log_probs = as_value(log_probs)
    classes = _class_indices(target, log_probs, ignore_index, name)
    losses, sample_weight, _ = _picked_losses(log_probs, classes, _class_weight(weight, log_probs, name),
                                              ignore_index)
    return _weighted_reduce(losses, sample_weight, reduction)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean", *, weight: Any = None,
                  ignore_index: int = -100, label_smoothing: float = 0.0) -> Value:
    """-log softmax(logits)[target], reduced: nll_loss of the log_softmax over the class axis.

    ``logits`` have shape (N, C), (N, C, d1, ...) or (C,). The target is
    either class indices of shape (N,), (N, d1, ...) or () (integers: a
    numpy array, a list or an int64 Value), or class probabilities of the
    logits' own shape (floats), whose loss is -sum_c t_c log softmax(logits)_c.
    ``weight``, ``ignore_index`` as in ``nll_loss``. ``label_smoothing`` = e
    mixes the target with the uniform distribution: (1 - e) of the loss
    above plus e times the mean over classes of -w_c log softmax(logits)_c.
    """
    name = "cross_entropy"
    check_reduction(reduction, name)
    _check_ignore_index(ignore_index, name)
    if (isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(label_smoothing, numbers.Real)
            or not 0 <= label_smoothing <= 1):
        raise ValueError(f"{name}: label_smoothing must be a number between 0 and 1, got {label_smoothing!r}")
    logits = as_value(logits)
    class_weight = _class_weight(weight, logits, name)
    if logits.ndim == 0:
        raise ValueError(f"{name}: the logits need a class axis, shape (N, C) or (C,); got shape ()")
    axis = _class_axis_shape(logits.shape)[0]
    n_classes = logits.shape[axis]
    log_probs = logits.log_softmax(dim=axis)
    # The weight of each class, shaped to multiply log_probs along the class axis.
    along = None if class_weight is None else class_weight.reshape((-1,) + (1,) * (logits.ndim - 1 - axis))
    if _is_probabilities(target, logits):
        if ignore_index != -100:
            raise ValueError(f"{name}: ignore_index applies to class indices, not to probability targets")
        t = target if isinstance(target, Value) else np.asarray(target).astype(logits.data.dtype, copy=False)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / n_classes
        terms = log_probs * t if along is None else log_probs * t * along
        return reduce_losses(-terms.sum(axis=axis), reduction)
    classes = _class_indices(target, logits, ignore_index, name)
    losses, sample_weight, ignored = _picked_losses(log_probs, classes, class_weight, ignore_index)
    if not label_smoothing:
        return _weighted_reduce(losses, sample_weight, reduction)
    # Smoothing: the loss against the uniform distribution, -sum_c w_c log p_c / C, at every target position.
    smooth = -(log_probs if along is None else log_probs * along).sum(axis=axis)
    if ignored is not None:
        smooth = smooth * (~ignored).astype(logits.data.dtype)
    mixed = losses * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)
    if reduction == "mean" and sample_weight is None:
        return mixed.mean()
    return _weighted_reduce(mixed, sample_weight, reduction)


def _is_probabilities(target: Any, logits: Value) -> bool:
    """True for a float target of the logits' shape: class probabilities rather than class indices."""
    if isinstance(target, Value):
        return target.data.dtype.kind == "f" and target.shape == logits.shape
    if isinstance(target, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(target)
        except ValueError:
            return False  # a ragged list: _class_indices names the call
        return array.dtype.kind == "f" and array.shape == logits.shape
    return False


# ---------------------------------------------------------------------- the same losses as modules
#
# The modules take PyTorch's arguments, in PyTorch's order. size_average and reduce are PyTorch's
# deprecated spelling of reduction (see legacy_reduction).


class _Loss(Module):
    reduction = "mean"  # a class default, so the repr of a loss that failed to be made still works

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(size_average, str):  # MSELoss("sum"): PyTorch would read "sum" as size_average=True
            raise TypeError(f"{name}: the first argument is PyTorch's deprecated size_average, not the reduction; "
                            f"give the reduction by name: {name}(reduction={size_average!r})")
        reduction = legacy_reduction(size_average, reduce, reduction, name)
        check_reduction(reduction, name)
        self.reduction = reduction

    def extra_repr(self) -> str:
        """The reduction, as in ``MSELoss(reduction='mean')``."""
        return f"reduction='{self.reduction}'"


class _WeightedLoss(_Loss):
    # Class defaults: a loss pickled before these options existed still works.
    weight: Value | None = None  # a buffer (see register_buffer), as in PyTorch

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        if isinstance(weight, str):  # CrossEntropyLoss("sum"): in PyTorch the first argument is the weight
            raise TypeError(f"{type(self).__name__}: the first argument is the weight, not the reduction; give "
                            f"the reduction by name: {type(self).__name__}(reduction={weight!r})")
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _constant(weight, type(self).__name__, "weight"))  # saved, as in PyTorch


def _constant(x: Any, name: str, what: str) -> Value | None:
    """A loss's weight as a float Value that needs no gradient (None stays None)."""
    if x is None:
        return None
    array = to_float_array(checks.data_of(x), f"{name}: {what}")
    return Value(array, requires_grad=False)


class MSELoss(_Loss):
    """Mean squared error: (prediction - target)**2, reduced by ``reduction``."""

    def forward(self, prediction: Any, target: Any) -> Value:
        """The loss of prediction against target (same shapes)."""
        return mse_loss(prediction, target, self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: -w (t log p + (1 - t) log(1 - p)), logs clamped at -100."""

    def forward(self, prediction: Any, target: Any) -> Value:
        """The loss of probabilities against targets in [0, 1] (same shapes)."""
        return binary_cross_entropy(prediction, target, self.reduction, weight=self.weight)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of sigmoid(logits), computed stably from the logits (``pos_weight``: see the function)."""

    pos_weight: Value | None = None

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", _constant(pos_weight, "BCEWithLogitsLoss", "pos_weight"))

    def forward(self, logits: Any, target: Any) -> Value:
        """The loss of logits against targets in [0, 1] (same shapes)."""
        return binary_cross_entropy_with_logits(logits, target, self.reduction, weight=self.weight,
                                                pos_weight=self.pos_weight)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices, for log-probabilities (``nll_loss``)."""

    ignore_index: int = -100

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        _check_ignore_index(ignore_index, "NLLLoss")
        self.ignore_index = ignore_index

    def forward(self, log_probs: Any, target: Any) -> Value:
        """The loss of log-probabilities (N, C) against class indices (N,)."""
        return nll_loss(log_probs, target, self.reduction, weight=self.weight, ignore_index=self.ignore_index)


class CrossEntropyLoss(_WeightedLoss):
    """-log softmax(logits)[class] for logits (N, C) and class indices (N,) or probabilities (N, C)
    (``cross_entropy``: weight, ignore_index and label_smoothing as there)."""

    ignore_index: int = -100
    label_smoothing: float = 0.0

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        _check_ignore_index(ignore_index, "CrossEntropyLoss")
        if (isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(label_smoothing, numbers.Real)
                or not 0 <= label_smoothing <= 1):
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be a number between 0 and 1, got "
                             f"{label_smoothing!r}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, logits: Any, target: Any) -> Value:
        """The loss of logits against class indices or class probabilities."""
        return cross_entropy(logits, target, self.reduction, weight=self.weight, ignore_index=self.ignore_index,
                             label_smoothing=self.label_smoothing)
