"""Reverse-mode differentiation: the backward loop, and grad().

A Value remembers the operation that made it (``_op``) and that operation's
arguments (``_inputs``); the operation has one derivative rule per argument.
Backpropagation walks the graph from the output back to the leaves, every
Value before its inputs, and applies the chain rule one edge at a time::

    gradient of input  +=  rule(gradient of output, *arguments, output)

``backpropagate`` is that loop; ``fit_to_input`` reduces a gradient that numpy
broadcasting made too big back to its input's shape.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import numpy as np

from .grad_mode import enable_grad, no_grad
from .value import Value, seed_gradient


def fit_to_input(gradient: Any, x: Value, node: Value, position: int) -> Any:
    """Return ``gradient`` summed over the axes numpy broadcast ``x`` along, in ``x``'s dtype.

    A rule may return its gradient in any shape that broadcasting ``x`` could
    have produced: ``x``'s own, or with axes added in front, or with size-1
    axes stretched. This is the one place that sums those away. A gradient
    that cannot be reduced to ``x.shape`` is a bug in the rule of ``node``,
    and is reported as one.
    """
    if not isinstance(gradient, (np.ndarray, np.generic, Value)):
        raise RuntimeError(f"the derivative rule of '{node._op.name}' for its argument {position} returned "
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


def _bad_rule(node: Value, position: int, got: tuple[int, ...], want: tuple[int, ...]) -> str:
    return (f"the derivative rule of '{node._op.name}' for its argument {position} returned a gradient "
            f"of shape {got}, which does not reduce to that argument's shape {want}: the rule is wrong")


def backpropagate(roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool = False) -> dict[Value, Any]:
    """Every Value the roots depend on, mapped to the gradient of the final quantity with respect to it.

    ``seeds[i]`` is the gradient to start from at ``roots[i]``. Gradients are
    summed in a dictionary that belongs to this pass only, so ``.grad`` fields
    left by earlier passes never leak in; that dictionary is the result.

    The order: a Value's gradient is complete once every Value made from it
    has passed its share back. Every Value is numbered when it is made, and
    the Values made from x are newer than x, so they have larger numbers. The
    Values waiting for their turn are kept in a heap and the newest one is
    always taken next: by then everything made from it has been done. (This
    is a reverse topological order, found without a separate walk.) Leaves
    (Values with no recorded inputs: made with Value(...), or under no_grad)
    have nothing further back, so they never wait: their gradients are
    complete when the loop ends.

    Rules receive numpy arrays, unless ``create_graph`` is set: then they
    receive the Values themselves, so the gradients they build are Values
    with a graph of their own, ready to be differentiated again.
    """
    grads: dict[Value, Any] = {}
    waiting: list[tuple[int, Value]] = []  # (-number, Value): heapq pops the smallest, so the newest
    leaves: list[Value] = []  # nothing further back: they never wait, their gradients are done at the end
    for root, seed in zip(roots, seeds):
        if root in grads:
            grads[root] = grads[root] + seed
        else:
            grads[root] = seed
            if not root._inputs:
                leaves.append(root)
            else:
                heapq.heappush(waiting, (-root._number, root))
    while waiting:
        node = heapq.heappop(waiting)[1]
        g = grads[node]  # complete now: every use of node has added its share
        if not create_graph and type(g) is not np.ndarray:
            g = grads[node] = np.asarray(g)  # numpy turns 0-d results into scalars; gradients are arrays
        op = node._op
        inputs = node._inputs
        if create_graph:
            args = [*inputs, node]
        else:  # the arrays behind the Values (a plain loop: cheaper than a comprehension here)
            args = []
            for x in inputs:
                args.append(x.data if isinstance(x, Value) else x)
            args.append(node.data)
        for position, x in enumerate(inputs):
            if isinstance(x, Value) and x.requires_grad:
                gx = op.rules[position](g, *args)  # the chain rule, for this one edge
                if getattr(gx, "shape", None) != x.data.shape or gx.dtype is not x.data.dtype:
                    gx = fit_to_input(gx, x, node, position)
                previous = grads.get(x)
                if previous is not None:  # a later share: the sum is a new array
                    grads[x] = previous + gx
                elif x._inputs:
                    grads[x] = gx
                    heapq.heappush(waiting, (-x._number, x))
                else:  # a leaf, nothing further back: its gradient is complete when the loop ends
                    if not create_graph and (gx is g or gx.base is not None):
                        # A leaf's gradient (a parameter's) must be an array of its own, which
                        # may be edited in place: not node's gradient passed on, nor a view.
                        gx = gx.copy()
                    grads[x] = gx
                    leaves.append(x)
    for leaf in leaves:
        if not create_graph and type(grads[leaf]) is not np.ndarray:
            grads[leaf] = np.asarray(grads[leaf])
    return grads


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
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
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
        seed = seed_gradient(out, given, "grad")
        seeds.append(given if create_graph and isinstance(given, Value) else Value(seed, requires_grad=False))
    with enable_grad() if create_graph else no_grad():
        pass_seeds = seeds if create_graph else [s.data for s in seeds]
        grads = backpropagate(outputs, pass_seeds, create_graph)
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
