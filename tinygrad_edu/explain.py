"""explain(): watch the chain rule run, one Value at a time, on any graph.

``explain(loss)`` runs a backward pass from ``loss`` and prints it as it
happens. For every Value, newest first, one line gives its name, the
operation that made it, its value and its complete gradient; under it, one
line per input that wants a gradient gives the derivative rule (its formula,
from the Operation) and the share of the gradient passed back along that edge::

    out = sigmoid(z) = 0.6571   dL/dout = -0.3429
      dL/dz += g * out * (1 - out) = -0.07729

In a formula, ``g`` is the gradient of the Value on the line above (dL/dout
here), ``out`` is that Value, and the other letters are the operation's
arguments, named as in the header line (``mul(a=w1, b=x1)``). An input used
twice gets two shares, hence ``+=``. The leaves come last, with their final
gradients. Lines are printed as the pass reaches them, so if a rule fails
the text shows how far the chain rule got. No ``.grad`` is read or written:
explain computes the pass on the side (with ``autograd.backpropagate`` and
an observer), so it can be run before or after ``backward()`` without
changing anything.

``import tinygrad_edu.explain`` gives the function (the package exports it
under the module's name); the rest of this module is reached with
``from tinygrad_edu.explain import ExplainStep, Edge, format_steps``.

Names. A Value's ``name`` (``Value(2.0, name="w1")``, or ``z.name = "z"``) is
used when it has one; given a model (``explain(loss, model)``), its
parameters are called by their ``named_parameters()`` names (``0.weight``);
every other Value gets a label made from its operation and a count in the
order the forward pass made them (``mul_1``, ``mul_2``, ``sigmoid_1``), or
``leaf_1`` for an unnamed leaf. A Value that wants no gradient and has no
name is shown by its numbers, as a constant is.

What notebooks call:

    explain(loss)                        print the pass
    explain(loss, model)                 the same, with the model's parameter names
    steps = explain(loss, print_steps=False)
                                         the pass as data: a list of ExplainStep
    print(format_steps(steps))           the text explain() prints, from that data
    viz.Graph(loss, model)               the graph as a picture (viz.py): shown
                                         inline in a notebook

Options: ``limit`` (how many Values are printed before the rest are
summarised; None prints all), ``digits`` (significant digits of printed
numbers), ``gradient`` (the gradient to start from, for a root with more
than one element, as in ``backward(gradient=)``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO, overload

import numpy as np

from . import anomaly, autograd, checks
from .grad_mode import is_anomaly_enabled, no_grad
from .value import Value

# Arrays with at most this many elements are printed whole; larger ones as their shape and a few elements.
SMALL_ARRAY = 6
SMALL_CONSTANT = 3  # constant arguments in an expression are shown by their numbers up to this many elements


@dataclass(frozen=True)
class Edge:
    """One share of the chain rule: the gradient passed back from a Value to one of its inputs.

    ``passed = rule(g, *arguments, out)``, summed over the axes broadcasting
    added, where ``formula`` is that rule in words and symbols. The input's
    complete gradient is the sum of the ``passed`` of every edge into it.
    """

    input_label: str
    formula: str
    passed: np.ndarray
    position: int  # which argument of the operation the input is (x * x has two edges into x)


@dataclass(frozen=True)
class ExplainStep:
    """One Value of the backward pass: its complete gradient dL/d(value), and the shares it passes back.

    ``op_name`` is None for a leaf (a Value made by ``Value(...)``, such as a
    parameter), which passes nothing back: its ``edges`` are empty and its
    ``gradient`` is what ``backward()`` would add to its ``.grad``.
    ``expression`` is the operation applied to its arguments' labels
    (``"sigmoid(z)"``), empty for a leaf.
    """

    node_label: str
    op_name: str | None
    expression: str
    gradient: np.ndarray
    edges: tuple[Edge, ...]
    value: Value = field(repr=False, compare=False)  # the Value itself, for tools and tests


@overload
def explain(value: Value, model: Any = ..., *, gradient: Any = ..., print_steps: Literal[True] = ...,
            limit: int | None = ..., digits: int = ..., file: TextIO | None = ...) -> None: ...


@overload
def explain(value: Value, model: Any = ..., *, gradient: Any = ..., print_steps: Literal[False],
            limit: int | None = ..., digits: int = ..., file: TextIO | None = ...) -> list[ExplainStep]: ...


def explain(value: Value, model: Any = None, *, gradient: Any = None, print_steps: bool = True,
            limit: int | None = 40, digits: int = 4, file: TextIO | None = None) -> list[ExplainStep] | None:
    """Backpropagate from ``value`` and show each step of the chain rule; no ``.grad`` is touched.

    For every Value L depends on (L is ``value``), newest first: dL/d(that
    Value), complete, and for each of its inputs that wants a gradient the
    share ``rule(g, ...)`` passed back to it (the chain rule for one edge:
    dL/dinput += dL/dout * dout/dinput). Then every leaf with its gradient.
    The gradients are those ``value.backward(gradient)`` would add to ``.grad``.

    ``model``: a Module (or a dict of names to Values) whose parameter names
    label the parameters. ``gradient``: dL/d(value) to start from, needed
    when ``value`` has more than one element (as for ``backward``).
    With ``print_steps=True`` (the default) the pass is printed to ``file``
    (standard output by default) and None is returned; with
    ``print_steps=False`` nothing is printed and the steps are returned, a
    list of ``ExplainStep``: the operations newest first, then the leaves.
    ``limit`` is the most Values printed (the rest are counted, not shown;
    None shows all) and ``digits`` the significant digits of printed numbers.
    """
    if not isinstance(value, Value):
        raise TypeError(f"explain: value must be a Value, got {type(value).__name__}")
    if not isinstance(print_steps, (bool, np.bool_)):
        raise TypeError(f"explain: print_steps must be True or False, got {print_steps!r}")
    _check_limit_and_digits(limit, digits, "explain")
    if file is not None and not callable(getattr(file, "write", None)):
        raise TypeError(f"explain: file must be a text stream with a write() method, got {type(file).__name__}")
    names = parameter_names(model, "explain")
    seed = checks.seed_gradient(value, gradient, "explain")

    order = forward_order(value)
    labels = make_labels(order, names, digits)
    watching = anomaly.backward_observer() if is_anomaly_enabled() else None
    stream = file if file is not None else sys.stdout
    text = Lines(labels[value], limit, digits, lambda line: print(line, file=stream)) if print_steps else None
    edges_of: dict[Value, list[Edge]] = {}  # the nodes in the order the pass completes them: newest first
    expressions: dict[Value, str] = {}

    def observe(node: Value, position: int, g: Any, gx: Any) -> None:
        if watching is not None:  # inside detect_anomaly(), its check of every rule still runs
            watching(node, position, g, gx)
        edges = edges_of.get(node)
        if edges is None:  # node's first edge: its gradient g is complete
            edges = edges_of[node] = []
            expressions[node] = expression(node, labels, digits)
            if text is not None:
                text.value(labels[node], expressions[node], node.data, g)
        edge = Edge(labels[node.inputs[position]], formula_of(node, position), np.asarray(gx), position)
        edges.append(edge)
        if text is not None:
            text.edge(edge)

    with no_grad():  # the rules get numbers, and record nothing
        grads = autograd.backpropagate([value], [seed], observer=observe)

    steps = [ExplainStep(labels[node], getattr(node.op, "name", None), expressions[node], np.asarray(grads[node]),
                         tuple(edges), node)
             for node, edges in edges_of.items()]
    position_of = {v: i for i, v in enumerate(order)}
    leaves = sorted((v for v in grads if not v.inputs), key=position_of.__getitem__)
    steps += [ExplainStep(labels[v], None, "", np.asarray(grads[v]), (), v) for v in leaves]
    if text is None:
        return steps
    for step in steps[len(edges_of):]:
        text.leaf(step.node_label, step.gradient)
    text.finish()
    return None


def format_steps(steps: Iterable[ExplainStep], limit: int | None = 40, digits: int = 4) -> str:
    """The text ``explain()`` prints for these steps (the first step's Value is L).

    At most ``limit`` steps are shown (None: all); a last line says how many
    operations and leaves were left out. Numbers have ``digits`` significant digits.
    """
    _check_limit_and_digits(limit, digits, "format_steps")
    steps = list(steps)
    if not steps:
        return "explain: nothing to show (no steps)"
    lines: list[str] = []
    text = Lines(steps[0].node_label, limit, digits, lines.append)
    for step in steps:
        if step.op_name is None:
            text.leaf(step.node_label, step.gradient)
            continue
        text.value(step.node_label, step.expression, step.value.data, step.gradient)
        for edge in step.edges:
            text.edge(edge)
    text.finish()
    return "\n".join(lines)


class Lines:
    """explain's text, written one line at a time as the pass runs, at most ``limit`` Values of it.

    ``value`` starts an operation's Value (its expression, data and complete
    gradient), ``edge`` adds one share it passes back, ``leaf`` a leaf's
    gradient; ``finish`` says how many Values the limit left out.
    """

    def __init__(self, root_label: str, limit: int | None, digits: int, write: Callable[[str], None]) -> None:
        self.limit, self.digits, self.write = limit, digits, write
        self.shown = 0
        self.showing = True  # whether the current Value's edges are shown
        self.leaves_started = False
        self.operations_left_out = self.leaves_left_out = 0
        write(f"L = {root_label}; newest Value first. In a rule, g = dL/d(the Value above it) and out = that Value.")

    def _room(self) -> bool:
        return self.limit is None or self.shown < self.limit

    def value(self, label: str, expression: str, data: Any, gradient: Any) -> None:
        """The line of an operation's Value: ``label = expression = data   dL/dlabel = gradient``."""
        self.showing = self._room()
        if not self.showing:
            self.operations_left_out += 1
            return
        self.shown += 1
        self.write(f"{label} = {expression} = {compact(data, self.digits)}   "
                   f"dL/d{label} = {compact(gradient, self.digits)}")

    def edge(self, edge: Edge) -> None:
        """The line of one share: ``  dL/dinput += formula = passed``."""
        if self.showing:
            self.write(f"  dL/d{edge.input_label} += {edge.formula} = {compact(edge.passed, self.digits)}")

    def leaf(self, label: str, gradient: Any) -> None:
        """The line of a leaf and its complete gradient (under a heading, for the first)."""
        if not self._room():
            self.leaves_left_out += 1
            return
        if not self.leaves_started:
            self.leaves_started = True
            self.write("Leaves, with their complete gradients:")
        self.shown += 1
        self.write(f"  dL/d{label} = {compact(gradient, self.digits)}")

    def finish(self) -> None:
        """The last line, if the limit left Values out: how many, of which kind."""
        left_out = self.operations_left_out + self.leaves_left_out
        if left_out:
            self.write(f"... {_count(left_out, 'more Value', 'more Values')} left out "
                       f"({_count(self.operations_left_out, 'operation')}, "
                       f"{_count(self.leaves_left_out, 'leaf', 'leaves')}): limit={self.limit}; "
                       "explain(..., limit=None) shows them all")


# ---------------------------------------------------------------------- names


def parameter_names(model: Any, caller: str) -> dict[Value, str]:
    """A model's parameters mapped to their names: from ``named_parameters()``, or a dict of names to Values."""
    if model is None:
        return {}
    if isinstance(model, Mapping):
        pairs = list(model.items())
    elif callable(getattr(model, "named_parameters", None)):
        pairs = list(model.named_parameters())
    else:
        raise TypeError(f"{caller}: model must be a Module (something with named_parameters()) or a dict of "
                        f"names to Values, got {type(model).__name__}")
    names: dict[Value, str] = {}
    for name, parameter in pairs:
        if not isinstance(name, str) or not isinstance(parameter, Value):
            raise TypeError(f"{caller}: the model's parameters must be (name, Value) pairs, got "
                            f"({type(name).__name__}, {type(parameter).__name__})")
        names.setdefault(parameter, name)  # a Value held under two names keeps its first, as named_parameters
    return names


def forward_order(root: Value) -> list[Value]:
    """Every Value behind root, each after all of its inputs (the order a forward pass can compute them).

    An iterative depth-first walk through ``inputs``, arguments in order, so
    the order depends only on the graph's shape: building the same graph
    again gives the same order (and so the same labels).
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((x, False) for x in reversed(node.inputs) if isinstance(x, Value) and x not in seen)
    return order


def make_labels(order: list[Value], names: Mapping[Value, str], digits: int = 4) -> dict[Value, str]:
    """A distinct, readable label for every Value of ``order``.

    The model's name for a parameter first, then a Value's own ``name``;
    otherwise the operation and a count (``mul_1``, ``mul_2`` in the order of
    ``order``) or ``leaf_1``. A Value that wants no gradient and has no name
    is labelled by its numbers, since that is all there is to know about it.
    A label already taken gets ``#2``, ``#3`` added.
    """
    labels: dict[Value, str] = {}
    taken: set[str] = set()
    counts: dict[str, int] = {}

    def unique(label: str) -> str:
        if label not in taken:
            return label
        k = 2
        while f"{label}#{k}" in taken:
            k += 1
        return f"{label}#{k}"

    for v in order:  # given names first, so that a generated label never takes one
        given = names.get(v) or v.name
        if given:
            labels[v] = unique(str(given))
            taken.add(labels[v])
    for v in order:
        if v in labels:
            continue
        if not v.requires_grad:
            labels[v] = compact(v.data, digits)
            continue
        kind = v.op.name if v.op is not None else "leaf"
        while True:
            counts[kind] = counts.get(kind, 0) + 1
            label = f"{kind}_{counts[kind]}"
            if label not in taken:
                break
        labels[v] = label
        taken.add(label)
    return labels


# ---------------------------------------------------------------------- formulas and expressions


def formula_of(node: Value, position: int) -> str:
    """The derivative rule of node's operation for argument ``position``, as text.

    The Operation's ``formulas`` when it has one; otherwise the rule
    function's name, or, for a nameless rule (a lambda), the operation's name
    and the argument's position.
    """
    op = node.op
    assert op is not None  # only Values made by an operation pass gradients back
    if position < len(op.formulas) and op.formulas[position]:
        return str(op.formulas[position])
    name = getattr(op.rules[position], "__name__", "<lambda>")
    return f"{name}(g, ...)" if name != "<lambda>" else f"the rule of {op.name} for its argument {position}"


def argument_names(node: Value) -> list[str] | None:
    """The names the operation's rules (or else its forward) give its arguments, or None if they do not say.

    The rules' names come first: the formulas are written in them.
    """
    op = node.op
    assert op is not None
    count = len(node.inputs)
    for rule in op.rules:
        code = getattr(rule, "__code__", None)
        if code is not None and code.co_argcount >= count + 1:  # rule(g, *arguments, out)
            return list(code.co_varnames[1:count + 1])
    code = getattr(op.forward, "__code__", None)
    if code is not None and code.co_argcount == count:
        return list(code.co_varnames[:count])
    return None


MAX_ARGUMENTS_SHOWN = 6


def expression(node: Value, labels: Mapping[Value, str], digits: int = 4) -> str:
    """``op(arguments)`` with each argument's label (a constant by its numbers), e.g. ``mul(a=w1, b=0.5)``.

    Arguments are written ``name=...`` when one of the operation's formulas
    mentions one of the names, so that a reader can tell what the letters stand for.
    """
    op = node.op
    assert op is not None
    shown = [labels[x] if isinstance(x, Value) else constant_text(x, digits) for x in node.inputs]
    names = argument_names(node)
    if names is not None:
        words = set(re.findall(r"[A-Za-z_]\w*", " ".join(f for f in op.formulas if f)))
        if words & set(names):
            shown = [f"{n}={s}" for n, s in zip(names, shown)]
    if len(shown) > MAX_ARGUMENTS_SHOWN:
        shown = shown[:MAX_ARGUMENTS_SHOWN - 1] + [f"... {len(shown) - MAX_ARGUMENTS_SHOWN + 1} more"]
    return f"{op.name}({', '.join(shown)})"


def constant_text(x: Any, digits: int = 4) -> str:
    """A constant argument, short: numbers and small arrays by their numbers, large arrays by their shape."""
    if isinstance(x, (bool, np.bool_)) or x is None:
        return repr(bool(x)) if x is not None else "None"
    if isinstance(x, (int, float, np.number)):
        return number_text(x, digits)
    if isinstance(x, np.ndarray):
        return compact(x, digits) if x.size <= SMALL_CONSTANT else f"array of shape {x.shape}"
    if isinstance(x, (np.dtype, type)):
        return np.dtype(x).name
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------- numbers


def number_text(x: Any, digits: int = 4) -> str:
    """One number with ``digits`` significant digits (0.0, not -0.0; integers and booleans as they are)."""
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x) + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def compact(a: Any, digits: int = 4) -> str:
    """An array in one short line: a single number as a number, a small array whole, a large one as its
    shape and a few elements (the first three and the last)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number_text(a.item(), digits)
    if 0 < a.size <= SMALL_ARRAY:
        return _nested(a, digits)
    flat = a.ravel()
    if flat.size == 0:
        return f"shape {a.shape}: []"
    first = ", ".join(number_text(v, digits) for v in flat[:3])
    return f"shape {a.shape}: [{first}, ..., {number_text(flat[-1], digits)}]"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _nested(a: np.ndarray, digits: int) -> str:
    """A small array as nested brackets on one line: [[1, 2], [3, 4]] (recursion as deep as its axes)."""
    if a.ndim == 0:
        return number_text(a.item(), digits)
    return "[" + ", ".join(_nested(row, digits) for row in a) + "]"


def _check_limit_and_digits(limit: Any, digits: Any, caller: str) -> None:
    if limit is not None and (isinstance(limit, (bool, np.bool_)) or not isinstance(limit, (int, np.integer))
                              or limit < 0):
        raise ValueError(f"{caller}: limit must be a whole number of at least 0, or None for no limit; got {limit!r}")
    if isinstance(digits, (bool, np.bool_)) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 17:
        raise ValueError(f"{caller}: digits must be a whole number from 1 to 17, got {digits!r}")
