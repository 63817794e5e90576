"""Layers: Linear; the activations Sigmoid, Tanh, ReLU, LeakyReLU, Softmax and LogSoftmax; Dropout;
and the shape layers Flatten, Unflatten and Identity.

Each layer is a thin module over a function of this file or a Value method:
nothing here but Linear has a derivative rule of its own (Linear is one
operation in ``ops.py``, so that a network's graph has one node per layer).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import dtypes, ops
from ..checks import to_float_array
from ..device import check_device
from ..grad_mode import is_grad_enabled
from ..random import generator
from ..value import Value
from .module import Module
from .parameter import Parameter


def as_value(x: Any) -> Value:
    """x itself if it is a Value, else x as a constant Value (numpy arrays, lists and numbers)."""
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


# ---------------------------------------------------------------------- Linear


class Linear(Module):
    """y = x @ weight.T + bias, for x of shape (..., in_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,),
    both Parameters drawn uniformly from [-1/sqrt(in_features), 1/sqrt(in_features)]
    as PyTorch does by default, from the library's generator (see ``manual_seed``).
    ``dtype`` is float64 unless ``set_default_dtype`` changed the default. A
    float64 layer computes float32 input in float64; a float32 layer refuses
    float64 input rather than quietly compute in float64.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {n!r}")
        check_device(device, "Linear")
        try:
            chosen = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype, "Linear")
        except TypeError:
            chosen = None
        if chosen is None or chosen not in dtypes.FLOATS:  # (None == float64 in numpy: tested apart)
            raise TypeError(f"Linear: dtype must be float32 or float64, got {dtype!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = 1 / math.sqrt(in_features)
        rng = generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)).astype(chosen))
        self.weight.name = "weight"
        self.bias = None
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(chosen))
            self.bias.name = "bias"

    def forward(self, x: Any) -> Value:
        """x @ weight.T + bias."""
        dtype = self.weight.data.dtype
        if isinstance(x, Value):
            if x.data.dtype != dtype:
                if not (dtype == np.float64 and x.data.dtype == np.float32):
                    # numpy would compute in float64 from here on, unnoticed
                    raise TypeError(f"Linear: the input is {x.data.dtype} but the layer is {dtype}; convert one "
                                    f"of them (x.to({dtype})" + (f", or Linear(..., dtype={x.data.dtype}))"
                                                                   if x.data.dtype.kind == "f" else ")"))
                x = x.astype(dtype)  # float32 into a float64 layer: exact, and the gradient is cast back
            shape = x.data.shape
        else:
            # Constant input (data) takes the layer's float type, so a float32 layer stays
            # float32 whatever numbers it is given. Anything but a float array (a list,
            # integers, strings...) is first checked as Value(...) checks its data.
            if type(x) is not np.ndarray or x.dtype.kind != "f" or x.dtype.itemsize > 8:
                x = to_float_array(x, "Linear")
            if x.dtype is not dtype:
                x = x.astype(dtype)
            shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear: the input's last axis has {shape[-1] if shape else 'no'} features "
                             f"(shape {shape}), but this layer takes in_features={self.in_features}")
        if self.bias is None:
            return ops.linear_without_bias(x, self.weight)
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The sizes, as in ``Linear(in_features=2, out_features=4, bias=True)``."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def linear(x: Any, weight: Any, bias: Any = None) -> Value:
    """x @ weight.T + bias, for weight of shape (out, in) (or (in,)) and bias of shape (out,) (or ()).

    Dtypes follow ``Linear``: constant input takes the weight's dtype, a
    float32 Value meets a float64 weight in float64, and a float64 Value and
    a float32 weight are an error.
    """
    w = as_value(weight)
    if w.ndim not in (1, 2) or w.data.dtype not in dtypes.FLOATS:
        raise ValueError(f"linear: the weight must be floats of shape (out_features, in_features), got "
                         f"shape {w.shape} and dtype {w.dtype}")
    if isinstance(x, Value):
        if x.data.dtype.kind != "f" or x.data.itemsize > w.data.itemsize:
            raise TypeError(f"linear: the input is {x.data.dtype} but the weight is {w.dtype}; convert one of "
                            f"them (x.to({w.dtype}))")
    else:
        x = to_float_array(x, "linear").astype(w.data.dtype, copy=False)
    if not x.shape or x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: the input has shape {x.shape} but the weight has shape {w.shape}; the "
                         "input's last axis must match the weight's last axis")
    if w.ndim == 1:  # one output, and no axis for it in the result, as in PyTorch
        out = ops.matmul(x, w)
        return out if bias is None else out + bias  # type: ignore[no-any-return]
    bias_shape = np.shape(bias.data if isinstance(bias, Value) else bias)
    if bias is not None and bias_shape != (w.shape[0],):
        raise ValueError(f"linear: the bias must have shape {(w.shape[0],)} for a weight of shape {w.shape}, "
                         f"got {bias_shape}")
    if bias is None:
        return ops.linear_without_bias(x, w)  # type: ignore[no-any-return]
    return ops.linear(x, w, bias)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- activations


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: Any) -> Value:
        """sigmoid of every element."""
        return ops.sigmoid(x if isinstance(x, Value) else as_value(x))  # type: ignore[no-any-return]


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Value:
        """tanh of every element."""
        return ops.tanh(x if isinstance(x, Value) else as_value(x))  # type: ignore[no-any-return]


class ReLU(Module):
    """max(x, 0), elementwise."""

    inplace: bool = False  # a class default: a ReLU pickled before the option existed has none

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        _check_flag(inplace, "ReLU", "inplace")
        self.inplace = inplace

    def forward(self, x: Any) -> Value:
        """relu of every element."""
        if self.inplace:
            return relu(x, inplace=True)
        return ops.relu(x if isinstance(x, Value) else as_value(x))  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        """``inplace=True`` when set, as PyTorch prints it."""
        return "inplace=True" if self.inplace else ""


def relu(x: Any, inplace: bool = False) -> Value:
    """max(x, 0) elementwise; derivative 1 where x > 0, else 0.

    ``inplace=True`` changes x itself where that affects no gradient (see
    ``in_place_or_new``).
    """
    _check_flag(inplace, "relu", "inplace")
    x = as_value(x)
    if inplace:
        return in_place_or_new(x, lambda: x.clamp_(min=0), x.relu)
    return x.relu()


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Value:
    """x where x > 0, else negative_slope * x; derivative 1 where x > 0, else negative_slope (at 0 too, as PyTorch)."""
    _check_number(negative_slope, "leaky_relu", "negative_slope")
    _check_flag(inplace, "leaky_relu", "inplace")
    x = as_value(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"leaky_relu: takes float Values, got {x.data.dtype} (PyTorch refuses integers too)")
    positive = x.data > 0  # NaN is not: NaN * slope keeps it NaN, as in PyTorch

    def change() -> Value:
        x[~positive] = x.data[~positive] * negative_slope
        return x

    def new() -> Value:
        return ops.where(positive, x, x * negative_slope)  # type: ignore[no-any-return]

    return in_place_or_new(x, change, new) if inplace else new()


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (0.01 by default), elementwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        _check_number(negative_slope, "LeakyReLU", "negative_slope")
        _check_flag(inplace, "LeakyReLU", "inplace")
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Any) -> Value:
        """leaky_relu of every element."""
        return leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """The slope, as in ``LeakyReLU(negative_slope=0.01)``."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


def implicit_dim(ndim: int, name: str) -> int:
    """The axis PyTorch's softmax takes when no ``dim`` is given (with its warning): 0 for 0, 1 and 3 axes, else 1."""
    warnings.warn(f"{name}: implicit choice of dim is deprecated (as in PyTorch); pass dim=", UserWarning,
                  stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(x: Any, dim: int | None = None, name: str = "softmax") -> Value:
    """exp(x) / sum(exp(x)) along ``dim``, so that the values along it are positive and sum to 1."""
    x = as_value(x)
    return x.softmax(dim=implicit_dim(x.ndim, name) if dim is None else dim)


def log_softmax(x: Any, dim: int | None = None, name: str = "log_softmax") -> Value:
    """x - log(sum(exp(x))) along ``dim``: the log of softmax, computed without overflow."""
    x = as_value(x)
    return x.log_softmax(dim=implicit_dim(x.ndim, name) if dim is None else dim)


class Softmax(Module):
    """softmax along ``dim``: exp(x) / sum(exp(x)), positive and summing to 1 along that axis."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Value:
        """softmax of x along dim."""
        return softmax(x, self.dim, "Softmax")

    def extra_repr(self) -> str:
        """The axis, as in ``Softmax(dim=1)``."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x) without overflow."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Value:
        """log_softmax of x along dim."""
        return log_softmax(x, self.dim, "LogSoftmax")

    def extra_repr(self) -> str:
        """The axis, as in ``LogSoftmax(dim=1)``."""
        return f"dim={self.dim}"


# ---------------------------------------------------------------------- dropout


def dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """In training, each element is zeroed with probability p and the others are scaled by 1 / (1 - p),
    so the expected value of every element is unchanged; otherwise x itself.

    The mask is drawn from the library's generator (``manual_seed``), so the
    same seed does not give PyTorch's mask. d/dx = the same mask, scaled.
    """
    _check_probability(p, "dropout")
    _check_flag(training, "dropout", "training")
    _check_flag(inplace, "dropout", "inplace")
    if not training:
        return x
    x = as_value(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"dropout: expects float numbers, got a Value of dtype {x.data.dtype}")
    dtype = x.data.dtype
    keep = generator().random(x.data.shape) >= p  # True with probability 1 - p
    # The kept elements are multiplied by 1 / (1 - p) rounded to x's dtype, as PyTorch does; p = 1 keeps
    # nothing, and multiplies by 0 (so inf and NaN inputs give NaN, as in PyTorch).
    factor = keep.astype(dtype) * dtype.type(1 / (1 - p)) if p < 1 else np.zeros(x.data.shape, dtype)
    if inplace:
        return in_place_or_new(x, lambda: x.mul_(factor), lambda: x * factor)
    return x * factor


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scaling the rest by 1 / (1 - p); in eval, the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_probability(p, "Dropout")
        _check_flag(inplace, "Dropout", "inplace")
        self.p = p
        self.inplace = inplace

    def forward(self, x: Any) -> Any:
        """x with dropout applied in training mode (``model.train()``), x itself in eval mode."""
        return dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The probability, as in ``Dropout(p=0.5, inplace=False)``."""
        return f"p={self.p}, inplace={self.inplace}"


# ---------------------------------------------------------------------- shapes


class Identity(Module):
    """Returns its input unchanged (arguments given when it is made are ignored, as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        """x itself."""
        return x


class Flatten(Module):
    """Merge the axes from ``start_dim`` to ``end_dim`` into one: (N, 28, 28) becomes (N, 784) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Value:
        """x with those axes merged."""
        return as_value(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The axes, as in ``Flatten(start_dim=1, end_dim=-1)``."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into axes of the sizes ``unflattened_size``: (N, 784) into (N, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of integers, got "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, x: Any) -> Value:
        """x with axis dim split."""
        x = as_value(x)
        from ..checks import normalize_axes

        d = normalize_axes(self.dim, x.ndim, "Unflatten")[0]
        sizes = tuple(self.unflattened_size)
        known = math.prod(n for n in sizes if n != -1)
        if (-1 not in sizes and known != x.shape[d]) or (-1 in sizes and (known == 0 or x.shape[d] % known)):
            raise ValueError(f"Unflatten: axis {self.dim} of a Value of shape {x.shape} has {x.shape[d]} "
                             f"elements, which cannot be split into {sizes}")
        return x.unflatten(d, sizes)

    def extra_repr(self) -> str:
        """The axis and sizes, as in ``Unflatten(dim=1, unflattened_size=(2, 5))``."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


# ---------------------------------------------------------------------- helpers


def in_place_or_new(x: Value, change: Any, new: Any) -> Any:
    """``change()`` (x changed in place, returned) unless x is part of a graph, and then ``new()``.

    The rule of the in-place operators (``x += 1``): a Value computed in a
    graph cannot be changed in place here, so the layer gives a new Value
    with the same numbers PyTorch's in-place layer would give (the code uses
    what the layer returns). A leaf that requires grad is PyTorch's error,
    raised by the in-place method.
    """
    if x.requires_grad and x.inputs and is_grad_enabled():
        return new()
    return change()




def _check_flag(flag: Any, op: str, name: str) -> None:
    if not isinstance(flag, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {flag!r}")


def _check_number(x: Any, op: str, name: str) -> None:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {x!r}")


def _check_probability(p: Any, op: str) -> None:
    _check_number(p, op, "p")
    if not 0 <= p <= 1:
        raise ValueError(f"{op}: the dropout probability p must be between 0 and 1, got {p}")
