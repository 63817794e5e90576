"""PyTorch's ``torch.nn.init``: fill a Value's numbers in place, with PyTorch's formulas for the ranges.

Each function changes ``tensor.data`` in place as if under ``no_grad`` (so
it may be applied to a layer's weights, which require grad), stamps the
change for the in-place check (a graph built before can no longer be
differentiated), and returns the tensor. Random numbers come from the
library's generator (``manual_seed``), or from a numpy Generator passed as
``generator=``; the same seed does not give PyTorch's numbers.

The ranges follow the two classic analyses of how the variance of the
signal grows through a layer: Glorot and Bengio's (xavier, which keeps it
for both passes when the activation is roughly linear) and He et al.'s
(kaiming, for rectifiers). Both depend on the fans: for a weight of shape
(out, in, k1, k2, ...), fan_in = in * k1 * k2 * ... and fan_out = out * k1 * k2 * ...
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..random import generator as library_generator
from ..value import Value, mark_changed

GAINS = {
    "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
    "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
    "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4,
}  # leaky_relu's gain depends on its slope: see calculate_gain


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale the weights' spread for this activation, as in PyTorch.

    1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + a**2)) for leaky_relu of slope a (0.01 by default), 3/4 for selu.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, (bool, np.bool_)) or not isinstance(slope, numbers.Real):
            raise ValueError(f"calculate_gain: the negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; one of "
                         f"{', '.join([*GAINS, 'leaky_relu'])}")
    return GAINS[nonlinearity]


def fans(tensor: Value) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, k1, k2, ...): in * k1 * k2..., out * k1 * k2..."""
    shape = _checked(tensor, "fans").shape
    if len(shape) < 2:
        raise ValueError(f"fans: fan in and fan out need a weight of at least 2 axes, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def zeros_(tensor: Value) -> Value:
    """Fill with 0."""
    return _fill(tensor, "zeros_", lambda shape: np.zeros(shape))


def ones_(tensor: Value) -> Value:
    """Fill with 1."""
    return _fill(tensor, "ones_", lambda shape: np.ones(shape))


def constant_(tensor: Value, val: float) -> Value:
    """Fill with ``val``."""
    _number(val, "constant_", "val")
    return _fill(tensor, "constant_", lambda shape: np.full(shape, val))


def uniform_(tensor: Value, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Fill with draws from the uniform distribution on [a, b)."""
    for name, x in (("a", a), ("b", b)):
        _number(x, "uniform_", name)
    if a > b:
        raise ValueError(f"uniform_: a must not be above b, got a={a}, b={b}")
    rng = _generator(generator, "uniform_")
    return _fill(tensor, "uniform_", lambda shape: rng.uniform(a, b, shape))


def normal_(tensor: Value, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Fill with draws from the normal distribution N(mean, std**2)."""
    for name, x in (("mean", mean), ("std", std)):
        _number(x, "normal_", name)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    rng = _generator(generator, "normal_")
    return _fill(tensor, "normal_", lambda shape: rng.normal(mean, std, shape))


def xavier_uniform_(tensor: Value, gain: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Glorot's uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Its standard deviation gain * sqrt(2 / (fan_in + fan_out)) balances the
    variance of the forward signal and of the backward gradient.
    """
    _number(gain, "xavier_uniform_", "gain")
    fan_in, fan_out = fans(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))  # a uniform on [-a, a] has std a / sqrt(3)
    rng = _generator(generator, "xavier_uniform_")
    return _fill(tensor, "xavier_uniform_", lambda shape: rng.uniform(-bound, bound, shape))


def xavier_normal_(tensor: Value, gain: float = 1.0, generator: np.random.Generator | None = None) -> Value:
    """Glorot's normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _number(gain, "xavier_normal_", "gain")
    fan_in, fan_out = fans(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    rng = _generator(generator, "xavier_normal_")
    return _fill(tensor, "xavier_normal_", lambda shape: rng.normal(0.0, std, shape))


def kaiming_uniform_(tensor: Value, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Value:
    """He's uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``mode='fan_in'`` keeps the variance of the forward signal, ``'fan_out'``
    that of the backward gradient. ``Linear`` draws its weight this way with
    a = sqrt(5), which gives bound = 1 / sqrt(in_features).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    rng = _generator(generator, "kaiming_uniform_")
    return _fill(tensor, "kaiming_uniform_", lambda shape: rng.uniform(-bound, bound, shape))


def kaiming_normal_(tensor: Value, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Value:
    """He's normal: N(0, std**2) with std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    rng = _generator(generator, "kaiming_normal_")
    return _fill(tensor, "kaiming_normal_", lambda shape: rng.normal(0.0, std, shape))


def _kaiming_std(tensor: Value, a: float, mode: str, nonlinearity: str, op: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fans(tensor)[0 if mode == "fan_in" else 1]
    if fan == 0:  # a weight with no elements: nothing will be drawn
        return 0.0
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


# ---------------------------------------------------------------------- helpers


def _checked(tensor: Any, op: str) -> Value:
    if not isinstance(tensor, Value):
        raise TypeError(f"{op}: expects a Value (a layer's weight, or a tensor), got {type(tensor).__name__}")
    return tensor


def _fill(tensor: Value, op: str, draw: Callable[[tuple[int, ...]], np.ndarray]) -> Value:
    """Write ``draw(shape)``'s numbers into the tensor's data (cast to its dtype), and stamp the change."""
    data = _checked(tensor, op).data
    if data.dtype.kind != "f":
        raise TypeError(f"{op}: fills float Values, got one of dtype {data.dtype}")
    if not data.flags.writeable:
        raise ValueError(f"{op}: this Value's data is read-only (a broadcast view?), so it cannot be filled")
    if data.size == 0:  # nothing to fill (PyTorch warns for the ranges, which need a size)
        return tensor
    np.copyto(data, draw(data.shape), casting="unsafe")
    mark_changed((tensor,))
    return tensor


def _number(x: Any, op: str, name: str) -> None:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {x!r}")


def _generator(generator: Any, op: str) -> np.random.Generator:
    if generator is None:
        return library_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy Generator (manual_seed returns one), got "
                        f"{type(generator).__name__}")
    return generator


NOT_OFFERED = ("trunc_normal_", "orthogonal_", "sparse_", "dirac_", "eye_", "uniform", "normal", "xavier_uniform",
               "kaiming_uniform", "constant", "zeros", "ones")


def __getattr__(name: str) -> Any:
    if name in NOT_OFFERED:
        raise AttributeError(f"tinygrad_edu does not offer nn.init.{name}; it offers zeros_, ones_, constant_, "
                             "uniform_, normal_, xavier_uniform_, xavier_normal_, kaiming_uniform_, "
                             "kaiming_normal_, calculate_gain")
    raise AttributeError(f"module 'tinygrad_edu.nn.init' has no attribute '{name}'")
