"""autograd.Function: an operation of your own, written as PyTorch's ``torch.autograd.Function``.

Subclass ``Function`` with two static methods::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):              # x ** 3
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):             # d(x**3)/dx = 3 x**2, times the gradient g of the output
            x, = ctx.saved_tensors
            return g * 3 * x ** 2

    y = Cube.apply(Value(2.0))            # y.data == 8; y.backward() gives 12

``forward`` receives a fresh context ``ctx`` and the arguments of ``apply``; it
computes with Values, but records no graph (it runs under ``no_grad``): the
Function is one step of the graph, whose derivative is ``backward``.
``backward`` receives the context and one gradient per output of ``forward``
(the gradient of the final result with respect to that output) and returns one
gradient per argument of ``forward``: None for an argument that needs none.

How it sits in the engine: each call of ``apply`` becomes an ``Operation``
(ops.py) named after the class, whose derivative rule for argument i calls
``backward`` (once per backward pass, for all arguments together) and returns
its i-th gradient. The backward loop then treats it like any other operation:
broadcasting is summed away, the in-place check covers what
``save_for_backward`` kept, anomaly mode watches it.

Second derivatives. On an ordinary ``backward()``, ``backward`` runs without
recording, on Values holding the numbers. Under ``grad(..., create_graph=True)``
it runs with recording on, receiving Values of the graph (the gradient, and
the saved Values themselves), so what it computes is recorded and can be
differentiated again, as in PyTorch: a ``backward`` written with Value
operations (``g * 3 * x ** 2``) has correct second derivatives; one that
computes on ``.data`` or numpy arrays gives gradients with no graph, whose
derivative is then missing (``grad`` of them says they do not require grad).
Values made inside ``forward`` and saved are constants to the second
derivative (PyTorch's behaviour too): save inputs or outputs instead.
"""

from __future__ import annotations

import inspect
import math
import weakref
from typing import Any

import numpy as np

from . import anomaly, ops
from .grad_mode import _mode, enable_grad, no_grad
from .ops import Operation, make
from .value import Value, share_version


class FunctionCtx:
    """The context ``forward`` and ``backward`` share: what forward saves, and anything set on it (``ctx.k = 3``).

    ``needs_input_grad[i]`` says whether argument i of ``apply`` is a Value
    that requires grad (with grad mode on): ``backward`` may skip the others.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._to_save: tuple[Any, ...] = ()  # Values, None, or saved outputs held weakly (_SavedOutput)
        self._non_differentiable: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Value | None) -> None:
        """Keep Values (inputs, outputs, or ones forward made) for ``backward``, which reads them as ``saved_tensors``.

        Saved inputs and outputs are covered by the in-place check: changed in
        place after ``apply``, they make ``backward()`` refuse, as in PyTorch.
        """
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, Value):
                raise TypeError(f"save_for_backward: saves Values (or None); argument {i} is a "
                                f"{type(v).__name__}; keep other things as attributes of ctx (ctx.k = k)")
        self._to_save = values

    @property
    def saved_tensors(self) -> tuple[Value | None, ...]:
        """The Values given to ``save_for_backward``, in order (a saved output as ``apply`` returned it)."""
        return tuple(s.get() if isinstance(s, _SavedOutput) else s for s in self._to_save)

    def mark_non_differentiable(self, *outputs: Value) -> None:
        """Say that these outputs of ``forward`` have no derivative (an index, a mask): they require no grad,
        and ``backward`` receives zeros for them."""
        self._non_differentiable = outputs


class Function:
    """Base class of an operation defined by its own ``forward`` and ``backward`` (see the module docstring).

    Apply it with ``MyFunction.apply(*args)``; do not make instances.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        """The result (a Value, or a tuple of them) of the arguments; may save Values on ``ctx`` for backward."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *args) as a @staticmethod")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Any) -> None:
        """PyTorch's other style: define this, and ``forward(*args)`` without ctx; it fills ctx from
        the arguments and the output of forward."""
        raise NotImplementedError  # never called unless a subclass defines it

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        """One gradient per argument of forward (None where none is needed), from one gradient per output."""
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs) as a @staticmethod")

    def __call__(self, *args: Any) -> Any:
        """Refused: a Function is applied through the class, as in PyTorch's new-style Functions."""
        name = type(self).__name__
        raise RuntimeError(f"{name}: apply it with {name}.apply(...), not by calling an instance; forward and "
                           "backward are static methods")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the arguments and return its result, recorded as one step of the graph.

        The result is connected to the Value arguments that require grad (if
        grad mode is on), so that backpropagation calls ``backward``.
        """
        name = cls.__name__
        if kwargs:
            raise TypeError(f"{name}.apply: takes positional arguments only (as PyTorch's apply), got "
                            f"{', '.join(kwargs)}=")
        _check_static(cls)
        recording = _mode.state[0]
        needs = tuple(recording and isinstance(a, Value) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        result = _run_forward(cls, ctx, args)
        if not any(needs):
            return _detached(result, args)
        return _Application(cls, ctx, args, result if isinstance(result, tuple) else (result,)).record(result)


def _check_static(cls: type[Function]) -> None:
    for method in ("forward", "backward"):
        if not isinstance(inspect.getattr_static(cls, method), staticmethod):
            raise TypeError(f"{cls.__name__}.{method} must be a @staticmethod (as in PyTorch): "
                            f"def {method}(ctx, ...) under @staticmethod, without self")


def _run_forward(cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...]) -> Any:
    """forward's result, computed without recording a graph: the Function is a single step of the graph."""
    with no_grad():
        if cls.setup_context is not Function.setup_context:  # PyTorch's style without ctx in forward
            result = cls.forward(*args)
            cls.setup_context(ctx, args, result)
        else:
            result = cls.forward(ctx, *args)
    if result is None:
        raise TypeError(f"{cls.__name__}.forward returned None; it must return its result (a Value, or a tuple)")
    outputs = result if isinstance(result, tuple) else (result,)
    converted = tuple(make(np.asarray(o), None, (), False) if isinstance(o, np.ndarray) else o for o in outputs)
    for k, o in enumerate(converted):
        if isinstance(o, Value) and o.dtype.kind not in "biuf":
            raise TypeError(f"{cls.__name__}.forward: output {k} holds {o.dtype}")
    return converted if isinstance(result, tuple) else converted[0]


def _detached(result: Any, args: tuple[Any, ...]) -> Any:
    """forward's result when nothing is recorded: Values that are not fresh (an argument returned) are detached."""
    def fresh(o: Any) -> Any:
        if isinstance(o, Value) and (o.requires_grad or any(o is a for a in args)):
            return o.detach()
        return o

    return tuple(fresh(o) for o in result) if isinstance(result, tuple) else fresh(result)


class _SavedOutput:
    """An output of forward saved for backward, held by a weak reference.

    The output Value holds the Operation, whose rules hold ctx: a strong
    reference from ctx back to the output would be a reference cycle, which
    only the garbage collector frees. While backward can run the output is
    normally alive; if it was dropped (an unused output of several), its
    numbers stand in, cut again from the joint Value when that is alive.
    """

    __slots__ = ("ref", "remake")

    def __init__(self, out: Value, remake: Any) -> None:
        self.ref = weakref.ref(out)
        self.remake = remake

    def get(self) -> Value:
        out = self.ref()
        return out if out is not None else self.remake()


class _Application:
    """One call of a Function, recorded: the Operation whose rules call ``backward``.

    One differentiable output is made by that Operation directly. Several are
    made as slices of one joint Value (their numbers laid end to end), which
    the Operation makes: the joint Value's gradient then holds every output's
    gradient, so that ``backward`` is called once with all of them. Only
    what backward needs is kept here (never the outputs, see _SavedOutput).
    """

    def __init__(self, cls: type[Function], ctx: FunctionCtx, args: tuple[Any, ...],
                 forward_outputs: tuple[Any, ...]) -> None:
        self.cls, self.ctx, self.args = cls, ctx, args
        self.name = cls.__name__
        marked = ctx._non_differentiable
        self.differentiable = [k for k, o in enumerate(forward_outputs)
                               if isinstance(o, Value) and o.dtype.kind == "f" and not any(o is m for m in marked)]
        self.output_kinds = [(o.shape, o.dtype) if isinstance(o, Value) else None for o in forward_outputs]
        self._cache: tuple[Any, tuple[Any, ...]] | None = None  # (g, gradients) of the latest backward call
        positions = [i for i, a in enumerate(args) if isinstance(a, Value)]
        rules = [self._rule(i) if i in positions else None for i in range(len(args))]
        formulas = [f"{self.name}.backward(ctx, g)[{i}]" if i in positions else None for i in range(len(args))]
        self.op = Operation(self.name, self._forward_numbers, *rules, formulas=formulas, saves=())
        # backward runs once for every argument: each rule reads every saved argument
        saved = tuple(i for i in positions if any(s is args[i] for s in ctx._to_save))
        self.op.saved = (saved,) * len(args)

    def record(self, result: Any) -> Any:
        """apply's result: forward's, with each differentiable output made a Value of the graph."""
        ctx, args = self.ctx, self.args
        forward_outputs = result if isinstance(result, tuple) else (result,)
        outputs = list(forward_outputs)
        for k, o in enumerate(outputs):
            if isinstance(o, Value) and k not in self.differentiable:
                outputs[k] = o.detach() if (o.requires_grad or any(o is a for a in args)) else o
        saved_outputs: dict[int, _SavedOutput] = {}  # by id() of forward's output
        if len(self.differentiable) == 1:
            k = self.differentiable[0]
            data = forward_outputs[k].data
            outputs[k] = self._record(self.op, data, args)
            if any(s is forward_outputs[k] for s in ctx._to_save):
                self.op.saved = tuple((*rule, -1) for rule in self.op.saved)  # backward reads the output too
                saved_outputs[id(forward_outputs[k])] = _SavedOutput(outputs[k], _constant(data))
        elif self.differentiable:
            joint_dtype = np.result_type(*(forward_outputs[k].dtype for k in self.differentiable))
            joint = self._record(self.op, self._joined([forward_outputs[k].data for k in self.differentiable],
                                                       joint_dtype), args)
            start = 0
            for k in self.differentiable:
                o = forward_outputs[k]
                saved = any(s is o for s in ctx._to_save)
                cut = _slice_operation(self.name, k, start, o, saved)
                outputs[k] = self._record(cut, o.data, (joint,))
                if saved:
                    saved_outputs[id(o)] = _SavedOutput(outputs[k], _recut(o.data, cut, weakref.ref(joint)))
                start += o.data.size
        # backward reads a saved output as the Value apply returned (connected to the graph)
        ctx._to_save = tuple(saved_outputs.get(id(s), s) if s is not None else None for s in ctx._to_save)
        return tuple(outputs) if isinstance(result, tuple) else outputs[0]

    def _record(self, op: Operation, data: np.ndarray, inputs: tuple[Any, ...]) -> Value:
        out = make(data, op, inputs, True)
        for a in self.args:  # an output that is (a view of) an argument shares its in-place stamp
            if isinstance(a, Value) and np.may_share_memory(a.data, data):
                share_version(out, a)
        if _mode.anomaly:
            anomaly.watch_forward(op, inputs, [a.data if isinstance(a, Value) else a for a in inputs], out)
        return out

    @staticmethod
    def _joined(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate([a.astype(dtype, copy=False).reshape(-1) for a in arrays])

    def _forward_numbers(self, *arrays: Any) -> np.ndarray:
        """The Operation's forward, for anyone calling it on numbers: the Function run again on them."""
        leaves = tuple(make(np.asarray(a), None, (), False) if isinstance(b, Value) else a
                       for a, b in zip(arrays, self.args))
        result = _run_forward(self.cls, FunctionCtx((False,) * len(leaves)), leaves)
        outputs = result if isinstance(result, tuple) else (result,)
        chosen = [outputs[k].data for k in self.differentiable]
        return chosen[0] if len(chosen) == 1 else self._joined(chosen, np.result_type(*chosen))

    # ------------------------------------------------------------------ backward

    def _rule(self, i: int) -> Any:
        def rule(g: Any, *_arguments_and_out: Any) -> Any:
            gradients = self._gradients(g)
            last = max(j for j, a in enumerate(self.args) if isinstance(a, Value) and a.requires_grad)
            if i == last:
                self._cache = None  # every argument has had its gradient: let the arrays go
            return gradients[i]

        return rule

    def _gradients(self, g: Any) -> tuple[Any, ...]:
        """Call backward once for the gradient g reaching this call (the rules of all arguments share it)."""
        cached = self._cache
        if cached is not None and cached[0] is g:
            return cached[1]
        differentiable = isinstance(g, Value)  # under create_graph, what backward computes is recorded
        with enable_grad() if differentiable else no_grad():
            returned = self.cls.backward(self.ctx, *self._grad_outputs(g))
        gradients = self._checked(returned, differentiable, g)
        self._cache = (g, gradients)
        return gradients

    def _grad_outputs(self, g: Any) -> list[Any]:
        """One gradient per output of forward: the output's own, zeros for outputs without a derivative,
        None for outputs that are not Values."""
        pieces: dict[int, Any] = {}
        if len(self.differentiable) == 1:
            pieces[self.differentiable[0]] = g
        else:
            start = 0
            for k in self.differentiable:
                shape, dtype = self.output_kinds[k]  # type: ignore[misc]
                size = math.prod(shape)
                piece = g[start:start + size].reshape(shape)
                pieces[k] = piece if piece.dtype == dtype else piece.astype(dtype)
                start += size
        grads: list[Value | None] = []
        for k, kind in enumerate(self.output_kinds):
            if k in pieces:
                piece = pieces[k]
                grads.append(piece if isinstance(piece, Value) else make(np.asarray(piece), None, (), False))
            elif kind is not None:
                shape, dtype = kind
                grads.append(make(np.zeros(shape, dtype if dtype.kind == "f" else np.float64), None, (), False))
            else:
                grads.append(None)
        return grads

    def _checked(self, returned: Any, differentiable: bool, g: Any) -> tuple[Any, ...]:
        """backward's gradients, one per argument, checked: counts, types and shapes name the Function."""
        name, args = self.name, self.args
        grads = returned if isinstance(returned, tuple) else (returned,)
        if len(grads) > len(args) and all(x is None for x in grads[len(args):]):
            grads = grads[:len(args)]  # PyTorch allows extra Nones at the end
        if len(grads) != len(args):
            raise RuntimeError(f"{name}.backward returned {len(grads)} gradient{'s' if len(grads) != 1 else ''}, "
                               f"but {name}.forward took {len(args)} argument{'s' if len(args) != 1 else ''} "
                               "(after ctx): return one gradient per argument, None for one that needs none")
        known = [a.data for a in args if isinstance(a, Value)] + [
            s.data for s in self.ctx.saved_tensors if isinstance(s, Value)]
        checked: list[Any] = []
        for i, (arg, gradient) in enumerate(zip(args, grads)):
            if not isinstance(arg, Value):
                if gradient is not None:
                    raise RuntimeError(f"{name}.backward returned a gradient for argument {i}, which is not a "
                                       f"Value (a {type(arg).__name__}); return None there")
                checked.append(None)
                continue
            if gradient is None or not arg.requires_grad:
                checked.append(np.zeros(arg.shape, arg.dtype) if arg.dtype.kind == "f" else None)
                continue
            if not isinstance(gradient, (Value, np.ndarray, np.generic)):
                raise TypeError(f"{name}.backward returned a {type(gradient).__name__} as the gradient of "
                                f"argument {i}; return a Value (or None)")
            shape, kind = np.shape(gradient), gradient.dtype.kind
            try:
                fits = np.broadcast_shapes(shape, arg.shape) == shape
            except ValueError:
                fits = False
            if not fits or kind not in "biuf":
                what = f"of shape {shape}" if not fits else f"of dtype {gradient.dtype}"
                raise RuntimeError(f"{name}.backward returned a gradient {what} for argument {i}, a Value of "
                                   f"shape {arg.shape} and dtype {arg.dtype}: a gradient has the shape of its "
                                   "argument (or one its argument broadcasts to)")
            if isinstance(gradient, Value) and not differentiable:
                gradient = gradient.data
            elif isinstance(gradient, np.generic):
                gradient = np.asarray(gradient)
            if isinstance(gradient, np.ndarray) and any(gradient is d for d in known):
                gradient = gradient.copy()  # never hand an argument's own numbers on as a gradient
            checked.append(gradient)
        return tuple(checked)


def _constant(data: np.ndarray) -> Any:
    return lambda: make(data, None, (), False)


def _recut(data: np.ndarray, cut: Operation, joint: weakref.ref[Value]) -> Any:
    """A dropped output of several, made again: cut from the joint Value if that is alive (so that second
    derivatives still reach the arguments), else its numbers alone."""
    def remake() -> Value:
        alive = joint()
        return make(data, cut, (alive,), True) if alive is not None else make(data, None, (), False)

    return remake


def _slice_operation(name: str, k: int, start: int, output: Value, saved: bool) -> Operation:
    """Output k of a Function with several outputs: its numbers cut from the joint Value (see _Application)."""
    stop, shape = start + output.data.size, output.shape

    def scatter(g: Any, joint: Any, out: Any) -> Any:
        # The joint Value's gradient: this output's gradient in its place, zeros elsewhere.
        total = joint.shape[0]
        if isinstance(g, Value):
            return ops.concatenate([np.zeros(start, joint.dtype), g.reshape(-1), np.zeros(total - stop, joint.dtype)])
        full = np.zeros(total, joint.dtype)
        full[start:stop] = np.reshape(g, -1)
        return full

    op = Operation(f"{name}[{k}]", lambda joint: joint[start:stop].reshape(shape), scatter,
                   formulas=[f"g in place {k} of the joint gradient"], saves=())
    if saved:  # backward reads this output: the in-place check covers it
        op.saved = ((-1,),)
    return op
