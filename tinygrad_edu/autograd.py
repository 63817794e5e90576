"""Reverse-mode differentiation: the backward loop, and grad().

A Value remembers the operation that made it (``op``) and that operation's
arguments (``inputs``); the operation has one derivative rule per argument.
Backpropagation visits the graph from the output back to the leaves, every
Value after every Value made from it, and applies the chain rule one edge at
a time::

    gradient of input  +=  rule(gradient of output, *arguments, output)

``backpropagate`` is that loop. The helpers below it each do one job the loop
needs and a reader can take on trust: ``unbroadcast`` sums away what numpy's
broadcasting added, ``check_unchanged`` refuses to use numbers changed in place
since the forward pass, and the others start and finish a pass.

On an ordinary pass the rules receive numpy arrays. Under ``create_graph``
(second derivatives) they receive the Values themselves, so what they compute
is recorded as a graph of its own and can be differentiated again; and a
leaf's first gradient is copied unless it is a fresh array: a parameter's
gradient may be edited in place, so it must not be another Value's gradient
passed on (``add``'s rule returns g itself) nor a view of one.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import anomaly, checks
from . import value as value_module
from .grad_mode import _mode, enable_grad, no_grad
from .value import Value

# An observer sees every edge of a backward pass: (node, position, g, gradient passed to input position).
Observer = Callable[[Value, int, Any, Any], None]


def backpropagate(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool = False,
                  observer: Observer | None = None) -> dict[Value, Any]:
    """Every Value the roots depend on, mapped to the gradient of the final quantity with respect to it.

    ``seeds[i]`` is the gradient to start from at ``roots[i]``. Gradients are
    summed in a dictionary that belongs to this pass only (``.grad`` fields are
    never read), and that dictionary is the result.

    The order: a Value's gradient is complete once every Value made from it has
    passed its share back. Values are numbered as they are made, so those made
    from x have larger numbers than x: taking the waiting Value with the
    largest number next (a heap) visits the graph in reverse topological order
    without a separate walk. Leaves have nothing further back and never wait.
    A gradient may be a numpy scalar where numpy made one (0-d results): callers take np.asarray.
    """
    grads: dict[Value, Any] = {}
    waiting: list[tuple[int, Value]] = []  # (-number, Value): heapq pops the smallest, so the newest
    for root, seed in zip(roots, seeds):  # the seeds, at the roots; those with inputs wait their turn
        if root not in grads and root.inputs:
            heapq.heappush(waiting, (-root._number, root))
        grads[root] = grads[root] + seed if root in grads else seed
    while waiting:
        node = heapq.heappop(waiting)[1]  # the newest waiting Value: every use of it has passed its share back
        g = grads[node]
        if type(g) is not np.ndarray and not create_graph:
            g = grads[node] = np.asarray(g)  # numpy gives a scalar for the sum of two 0-d arrays
        if node._number < value_module.last_change:  # something was changed in place after node was made
            check_unchanged(node)
        if create_graph:  # the rules get the Values themselves: what they compute is recorded, to differentiate
            args = [*node.inputs, node]
        else:  # the rules get the numbers: each argument's array, then the result's
            args = []
            for x in node.inputs:  # a plain loop: cheaper than a comprehension here
                args.append(x.data if isinstance(x, Value) else x)
            args.append(node.data)
        rules: Any = node.op.rules  # type: ignore[union-attr]  # a Value with inputs has its operation
        for position, x in enumerate(node.inputs):
            if not (isinstance(x, Value) and x.requires_grad):
                continue  # a constant, or a Value no gradient is wanted for
            gx = rules[position](g, *args)  # the chain rule, for this one edge
            if getattr(gx, "shape", None) != x.data.shape or gx.dtype is not x.data.dtype:
                gx = unbroadcast(gx, x, node, position)  # sum away what broadcasting added
            if observer is not None:
                observer(node, position, g, gx)
            previous = grads.get(x)
            if previous is not None:
                grads[x] = previous + gx  # a later share: add it to what x has
            elif x.inputs:
                grads[x] = gx  # the first share: x waits until every use of it has passed back
                heapq.heappush(waiting, (-x._number, x))
            else:  # a leaf: nothing further back. Its gradient must be an array of its own (see above)
                grads[x] = gx.copy() if not create_graph and (gx is g or gx.base is not None) else gx
    return grads


# ---------------------------------------------------------------------- the loop's helpers


def check_unchanged(node: Value) -> None:
    """Raise if a Value whose numbers node's rules read was changed in place after node was made.

    A derivative rule reads the numbers its operation saw in the forward pass
    (``mul``'s rule for ``a`` reads ``b``). Changed in place in between (by
    ``b.mul_(3)``, or an optimizer's step), the rule would silently compute
    with the new numbers; PyTorch refuses, and so does this. The operation
    names what its rules read (``Operation(..., saves=...)``); a Value's
    ``_version`` stamp says when its memory last changed (value.py).
    """
    op = node.op
    assert op is not None
    for rule_position, needing in enumerate(node.inputs):
        if not (isinstance(needing, Value) and needing.requires_grad):
            continue  # this rule will not run, so what it reads does not matter (as in PyTorch)
        for position in op.saved[rule_position]:
            x = node if position == -1 else node.inputs[position]
            if isinstance(x, Value) and x._version is not None and x._version[0] > node._number:
                what = "its own result" if position == -1 else f"its argument {position}"
                named = f", named '{x.name}'" if x.name else ""
                raise RuntimeError(
                    f"backward: one of the Values needed for gradient computation has been modified by an "
                    f"inplace operation: {what} (a Value of shape {x.shape}{named}) was changed in place after "
                    f"'{op.name}' used it, so its derivative rule would read the new numbers. Hint: compute the "
                    "graph again after the change, or change a copy instead (x = x * 3, or x.clone()); "
                    "detect_anomaly() shows where the operation was made.")


def unbroadcast(gradient: Any, x: Value, node: Value, position: int) -> Any:
    """Return ``gradient`` summed over the axes numpy broadcast ``x`` along, as an array of ``x``'s dtype.

    A rule may return its gradient in any shape that broadcasting ``x`` could
    have produced: ``x``'s own, or with axes added in front, or with size-1
    axes stretched. This is the one place that sums those away. A gradient
    that cannot be reduced to ``x.shape`` is a bug in the rule of ``node``,
    and is reported as one.
    """
    if isinstance(gradient, np.generic):
        gradient = np.asarray(gradient)  # numpy gives scalars for 0-d results
    elif not isinstance(gradient, (np.ndarray, Value)):
        raise RuntimeError(f"the derivative rule of '{_name(node)}' for its argument {position} returned "
                           f"a {type(gradient).__name__}, not an array: the rule is wrong")
    shape, returned = x.data.shape, gradient.shape
    if returned != shape:
        extra = gradient.ndim - len(shape)
        if extra < 0:
            raise RuntimeError(_bad_rule(node, position, returned, shape))
        if extra:  # axes numpy put in front of x
            gradient = gradient.sum(axis=tuple(range(extra)))
        if 1 in shape:  # axes of length 1 in x that numpy may have stretched
            stretched = tuple(i for i, n in enumerate(shape) if n == 1 and gradient.shape[i] != 1)
            if stretched:
                gradient = gradient.sum(axis=stretched, keepdims=True)
        if gradient.shape != shape:
            raise RuntimeError(_bad_rule(node, position, returned, shape))
    if gradient.dtype != x.data.dtype:
        gradient = gradient.astype(x.data.dtype)
    return gradient


def _name(node: Value) -> str:
    return node.op.name if node.op is not None else "?"


def _bad_rule(node: Value, position: int, got: tuple[int, ...], want: tuple[int, ...]) -> str:
    return (f"the derivative rule of '{_name(node)}' for its argument {position} returned a gradient "
            f"of shape {got}, which does not reduce to that argument's shape {want}: the rule is wrong")


def forget_gradients(values: Any, set_to_none: bool) -> None:
    """Set each Value's gradient to None, or with ``set_to_none=False`` fill it with zeros in place.

    These are PyTorch's two ways of zero_grad: None is cheaper, and tells
    "nothing reached this parameter" apart from "its gradient was zero".
    """
    for v in values:
        if set_to_none:
            v._grad = None
        elif v._grad is not None:
            v._grad[...] = 0


def grad(outputs: Value | Sequence[Value], inputs: Value | Sequence[Value], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> list[Value | None]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of stored.

    ``grad_outputs[i]`` is the gradient to start from at ``outputs[i]`` (may be
    omitted for single-element outputs, which start from 1). No ``.grad`` field
    is touched. With ``create_graph=True`` the returned Values carry a graph of
    their own, so they can be differentiated again (second derivatives,
    Hessian-vector products). An input the outputs do not depend on is an
    error, unless ``allow_unused=True``: then its gradient is None.
    ``retain_graph`` is accepted for code written for PyTorch and changes
    nothing: the graph is always kept.
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]  # type: ignore[list-item]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]  # type: ignore[list-item]
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"grad: output {i} is a {type(out).__name__}, not a Value")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (list, tuple)):
        grad_outputs = list(grad_outputs)
    else:  # one gradient (a Value, an array or a number) for one output
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value) or not x.requires_grad:
            raise ValueError(f"grad: input {i} is not a Value that requires grad")

    seeds = []
    for out, given in zip(outputs, grad_outputs):
        seed = checks.seed_gradient(out, given, "grad")
        seeds.append(given if create_graph and isinstance(given, Value) else Value(seed, requires_grad=False))
    observer = anomaly.backward_observer() if _mode.anomaly else None
    with enable_grad() if create_graph else no_grad():
        pass_seeds = seeds if create_graph else [s.data for s in seeds]
        grads = backpropagate(outputs, pass_seeds, create_graph, observer)
    results: list[Value | None] = []
    for i, x in enumerate(inputs):
        g = grads.get(x)
        if g is None:
            if not allow_unused:
                raise ValueError(f"grad: the outputs do not depend on input {i}; pass allow_unused=True "
                                 "to get None for it")
            results.append(None)
        else:
            results.append(g if isinstance(g, Value) else Value(np.asarray(g), requires_grad=False))
    return results


from .function import Function  # noqa: E402, F401 (tinygrad_edu.autograd.Function, as torch.autograd.Function)
