"""Layers: Linear, and the activations Sigmoid, Tanh and ReLU as modules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from ..checks import to_float_array
from ..random import generator
from ..value import Value
from .module import Module


def as_value(x: Any) -> Value:
    """x itself if it is a Value, else x as a constant Value (numpy arrays, lists and numbers)."""
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


class Linear(Module):
    """y = x @ weight.T + bias, for x of shape (..., in_features).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,),
    both drawn uniformly from [-1/sqrt(in_features), 1/sqrt(in_features)] as
    PyTorch does by default, from the library's generator (see ``manual_seed``).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float64) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {n!r}")
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise ValueError(f"Linear: dtype must be float32 or float64, got {np.dtype(dtype)}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = 1 / math.sqrt(in_features)
        rng = generator()
        self.weight = Value(rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype), name="weight")
        self.bias = Value(rng.uniform(-bound, bound, out_features).astype(dtype), name="bias") if bias else None

    def forward(self, x: Any) -> Value:
        """x @ weight.T + bias."""
        dtype = self.weight.data.dtype
        if isinstance(x, Value):
            if x.data.dtype != dtype:  # numpy would compute in float64 from here on, unnoticed
                raise TypeError(f"Linear: the input is {x.data.dtype} but the layer is {dtype}; convert one "
                                f"of them (x.astype(np.{dtype}), or Linear(..., dtype=np.{x.data.dtype}))")
            shape = x.data.shape
        else:
            # Constant input (data) takes the layer's float type, so a float32 layer stays
            # float32 whatever numbers it is given. Anything but a float array (a list,
            # integers, strings...) is first checked as Value(...) checks its data.
            if type(x) is not np.ndarray or x.dtype.kind != "f" or x.dtype.itemsize > 8:
                x = to_float_array(x, "Linear")
            x = np.asarray(x, dtype=dtype)
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


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: Any) -> Value:
        """sigmoid of every element."""
        return as_value(x).sigmoid()


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Value:
        """tanh of every element."""
        return as_value(x).tanh()


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x: Any) -> Value:
        """relu of every element."""
        return as_value(x).relu()
