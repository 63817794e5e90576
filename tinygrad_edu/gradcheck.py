"""Gradient checking: compare the backward pass with central finite differences.

``gradcheck`` builds the full Jacobian of a function twice, once from the
derivative rules (one backward pass per output element) and once numerically,
``(f(x + eps) - f(x - eps)) / (2 eps)`` one input element at a time, and raises
at the first element where they disagree by more than ``atol + rtol * |numeric|``.
``gradgradcheck`` does the same for the function that computes first
derivatives, which checks second derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import grad
from .value import Value


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic derivative disagrees with the numeric one."""


def gradcheck(fn: Callable[..., Any], inputs: Value | Sequence[Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check d fn(*inputs) / d inputs against central finite differences, in float64.

    ``fn`` returns a Value or a tuple of Values; only inputs with
    ``requires_grad=True`` are checked, and only outputs that require grad
    (if none does, their numeric derivatives must all be 0). Returns True, or
    raises ``GradcheckError`` naming the output, the input, the element
    indices, the analytic and numeric values and the error (with
    ``raise_exception=False`` it returns False instead, as PyTorch's does).
    Inputs are perturbed in place one element at a time and restored exactly
    afterwards.
    """
    _check_settings("gradcheck", fn, eps, atol, rtol, raise_exception)
    inputs = _checked_inputs(inputs, "gradcheck")
    wrt = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    outputs = _as_outputs(fn(*inputs), "gradcheck")
    # Outputs that do not require grad are skipped, unless none does: then every
    # analytic Jacobian is zero, and the numeric ones must be zero too.
    checked = [k for k, out in enumerate(outputs) if out.requires_grad]
    if not checked:
        checked = list(range(len(outputs)))
    try:
        for k in checked:
            analytic = _analytic_jacobians(outputs[k], [inputs[i] for i in wrt])
            for i, jac in zip(wrt, analytic):
                numeric = _numeric_jacobian(fn, inputs, k, i, eps)
                _compare(jac, numeric, k, i, outputs[k].shape, inputs[i].shape, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Value | Sequence[Value], grad_outputs: Sequence[Value] | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of the function ``(inputs, g) -> grad(fn(inputs), inputs, g)``.

    ``grad_outputs`` (the upstream gradients g) are drawn from a standard
    normal with ``seed`` when not given; they are checked as inputs too, as
    the first derivatives depend on them linearly.
    """
    _check_settings("gradgradcheck", fn, eps, atol, rtol, raise_exception)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"gradgradcheck: seed must be a whole number (it seeds the random grad_outputs), got {seed!r}")
    if seed < 0:
        raise ValueError(f"gradgradcheck: seed must be >= 0, got {seed}")
    inputs = _checked_inputs(inputs, "gradgradcheck")
    if not any(x.requires_grad for x in inputs):
        raise ValueError("gradgradcheck: no input requires grad, so there is nothing to check")
    outputs = [out for out in _as_outputs(fn(*inputs), "gradgradcheck") if out.requires_grad]
    if not outputs:
        raise ValueError("gradgradcheck: no output of the function requires grad, so it has no first "
                         "derivatives whose derivatives could be checked")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Value(rng.standard_normal(out.shape)) for out in outputs]
    else:
        if isinstance(grad_outputs, Value):
            grad_outputs = [grad_outputs]
        grad_outputs = _checked_inputs(grad_outputs, "gradgradcheck", "grad_outputs")
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs that "
                             "require grad; give one per output")
        for k, (g, out) in enumerate(zip(grad_outputs, outputs)):
            if g.shape != out.shape:
                raise ValueError(f"gradgradcheck: grad_outputs[{k}] has shape {g.shape}, but output {k} has shape "
                                 f"{out.shape}")
    wrt = [x for x in inputs if x.requires_grad]
    n = len(inputs)

    def first_derivatives(*args: Value) -> tuple[Value, ...]:
        outs = [out for out in _as_outputs(fn(*args[:n]), "gradgradcheck") if out.requires_grad]
        grads = grad(outs, [x for x in args[:n] if x.requires_grad], list(args[n:]),
                     create_graph=True, allow_unused=True)
        return tuple(Value(np.zeros(x.shape), requires_grad=False) if g is None else g for g, x in zip(grads, wrt))

    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps, atol, rtol, raise_exception)


def _check_settings(name: str, fn: Any, eps: Any, atol: Any, rtol: Any, raise_exception: Any) -> None:
    """The check's own arguments: a function, a positive step, non-negative tolerances, a flag."""
    if not callable(fn):
        raise TypeError(f"{name}: the first argument is the function to check, got {type(fn).__name__}; "
                        f"call {name}(fn, inputs)")
    for label, number, positive in (("eps", eps, True), ("atol", atol, False), ("rtol", rtol, False)):
        if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: {label} must be a real number, got {number!r}")
        if not np.isfinite(number) or number < 0 or (positive and number == 0):
            need = "a finite number > 0 (the finite-difference step)" if positive else "a finite number >= 0"
            raise ValueError(f"{name}: {label} must be {need}, got {number!r}")
    if not isinstance(raise_exception, (bool, np.bool_)):
        raise TypeError(f"{name}: raise_exception must be True or False, got {raise_exception!r}")


def _checked_inputs(inputs: Value | Sequence[Value], name: str, what: str = "inputs") -> tuple[Value, ...]:
    if not isinstance(inputs, Value) and (isinstance(inputs, (str, bytes, dict)) or not hasattr(inputs, "__iter__")):
        raise TypeError(f"{name}: {what} must be a Value or a sequence of Values, got {type(inputs).__name__}")
    inputs = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    if not inputs:
        raise ValueError(f"{name}: no {what} given")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"{name}: {what[:-1]} {i} is a {type(x).__name__}, not a Value")
        if x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"{name}: input {i} is {x.dtype}; finite differences with eps around 1e-6 "
                            "need float64 (float32 resolves only about 1e-7 relative, so the check would be noise)")
        if x.requires_grad and not x.data.flags.writeable:
            raise ValueError(f"{name}: the data of input {i} is read-only (a broadcast view?), and the check "
                             "changes inputs in place one element at a time; pass Value(data.copy()) instead")
    return inputs


def _as_outputs(result: Any, name: str) -> tuple[Value, ...]:
    if isinstance(result, (list, tuple)):
        outputs = tuple(result)
    else:
        outputs = (result,)
    for k, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"{name}: the function's output {k} is a {type(out).__name__}, not a Value")
    return outputs


def _analytic_jacobians(out: Value, wrt: list[Value]) -> list[np.ndarray]:
    """One (out.size, x.size) matrix per input, one backward pass per output element."""
    jacobians = [np.zeros((out.size, x.size)) for x in wrt]
    if not out.requires_grad:
        return jacobians
    for j in range(out.size):
        seed = np.zeros(out.size)
        seed[j] = 1.0
        grads = grad(out, wrt, Value(seed.reshape(out.shape), requires_grad=False), allow_unused=True)
        for jac, g in zip(jacobians, grads):
            if g is not None:
                jac[j] = g.data.ravel()
    return jacobians


def _numeric_jacobian(fn: Callable[..., Any], inputs: tuple[Value, ...], k: int, i: int, eps: float) -> np.ndarray:
    """(out.size, x.size) central differences of output k with respect to input i."""
    x = inputs[i].data
    out_size = _as_outputs(fn(*inputs), "gradcheck")[k].size
    jacobian = np.zeros((out_size, x.size))
    for e in range(x.size):
        index = np.unravel_index(e, x.shape)
        original = x[index]
        try:
            x[index] = original + eps
            plus = _as_outputs(fn(*inputs), "gradcheck")[k].data.astype(np.float64).ravel()
            x[index] = original - eps
            minus = _as_outputs(fn(*inputs), "gradcheck")[k].data.astype(np.float64).ravel()
        finally:
            x[index] = original
        jacobian[:, e] = (plus - minus) / (2 * eps)
    return jacobian


def _compare(analytic: np.ndarray, numeric: np.ndarray, k: int, i: int, out_shape: tuple[int, ...],
             in_shape: tuple[int, ...], atol: float, rtol: float) -> None:
    error = np.abs(analytic - numeric)
    bad = ~(error <= atol + rtol * np.abs(numeric))  # also catches NaN on either side
    if bad.any():
        j, e = np.argwhere(bad)[0]
        raise GradcheckError(
            f"gradcheck: d(output {k})/d(input {i}) disagrees at output element "
            f"{tuple(int(v) for v in np.unravel_index(j, out_shape))}, input element "
            f"{tuple(int(v) for v in np.unravel_index(e, in_shape))}: analytic {float(analytic[j, e])!r}, "
            f"numeric {float(numeric[j, e])!r}, error {error[j, e]:.3g} > atol + rtol * |numeric| = "
            f"{atol + rtol * abs(numeric[j, e]):.3g}\n"
            f"analytic Jacobian:\n{analytic}\nnumeric Jacobian:\n{numeric}")
