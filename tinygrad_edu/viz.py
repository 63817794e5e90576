"""Pictures of the graph behind a Value: Graphviz DOT source, and SVG or PNG through ``dot``.

Each Value is a box showing the operation that made it (or its name, for a
leaf), its shape, and, once ``backward()`` has run, a short summary of its data
and gradient. Arrows go from the arguments of an operation to its result;
constant arguments are listed inside the box.

    to_dot(loss)                  the DOT source, as text
    draw(loss, "graph.svg")       a file drawn by Graphviz's ``dot`` (.svg or .png)
    Graph(loss, model)            the picture inline in a notebook: the last line of a
                                  cell shows it (as SVG), or, without Graphviz, a line
                                  saying how to install it

A model (``Graph(loss, model)``, ``to_dot(loss, model=model)``) names its
parameters by ``named_parameters()`` (``0.weight``). The graph is read only
through the public links ``Value.op`` and ``Value.inputs``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .explain import parameter_names
from .value import Value

# One line on how to get Graphviz's `dot`, which turns DOT source into pictures.
GRAPHVIZ_HINT = ("Graphviz's `dot` program is not installed; install it (apt install graphviz, brew install "
                 "graphviz, or conda install graphviz) and run again")


def graph_values(root: Value) -> list[Value]:
    """Every Value behind root (root included), each once, in the order a search from root meets them."""
    found: list[Value] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(reversed([x for x in node.inputs if isinstance(x, Value)]))
    return found


RANKDIRS = ("TB", "LR", "BT", "RL")  # Graphviz's directions: top to bottom, left to right, ...


def to_dot(root: Value, rankdir: str = "TB", model: Any = None) -> str:
    """Graphviz DOT source for the graph behind ``root``: one node per Value, one edge per argument.

    ``rankdir`` is Graphviz's direction: "TB" draws the leaves at the top and
    the result at the bottom (each box then lists its rows one under another).
    ``model`` (a Module, or a dict of names to Values) names its parameters'
    boxes by their ``named_parameters()`` names instead of their own.
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_dot: root must be a Value, got {type(root).__name__}")
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    names = parameter_names(model, "to_dot")
    values = graph_values(root)
    ids = {id(v): f"v{i}" for i, v in enumerate(values)}
    lines = ["digraph tinygrad_edu {", f"  rankdir={rankdir};",
             '  node [shape=record, fontname="monospace", fontsize=10];']
    for v in values:
        lines.append(f'  {ids[id(v)]} [label="{_label(v, names.get(v))}"];')
    for v in values:
        for x in v.inputs:
            if isinstance(x, Value):
                lines.append(f"  {ids[id(x)]} -> {ids[id(v)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(root: Value, path: str | os.PathLike[str], model: Any = None) -> bool:
    """Write the graph behind ``root`` to ``path`` (.svg or .png) with Graphviz's ``dot``.

    Returns True when the file was written. Without ``dot`` installed, prints
    one line saying how to install it and returns False. ``model`` names the
    parameters, as in ``to_dot``.
    """
    return _write(lambda: to_dot(root, model=model), path, "draw")


def _write(source: Callable[[], str], path: str | os.PathLike[str], caller: str) -> bool:
    """Check path, make the DOT source (which checks the graph), then have ``dot`` draw it into path."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("svg", "png"):
        raise ValueError(f"{caller}: the file name must end in .svg or .png, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{caller}: the folder {folder!r} does not exist")
    text = source()  # checks the graph before anything runs
    dot = shutil.which("dot")
    if dot is None:
        print(f"{caller}: {GRAPHVIZ_HINT}", file=sys.stderr)
        return False
    subprocess.run([dot, f"-T{fmt}", "-o", path], input=text, text=True, check=True)
    return True


class Graph:
    """The graph behind a Value, as a picture that shows itself in a Jupyter notebook.

    ``Graph(loss)`` (or ``Graph(loss, model)``, to name the parameters) as
    the last line of a cell draws the graph inline as SVG, through Graphviz's
    ``dot``. Where ``dot`` is not installed the cell shows one line saying
    how to install it, and the DOT source is still at hand (``.source``).

    The source is taken when the Graph is made, so it shows the gradients of
    that moment; make a new Graph after ``backward()`` to see the new ones.
    """

    def __init__(self, root: Value, model: Any = None, rankdir: str = "TB") -> None:
        self.source = to_dot(root, rankdir, model)  # checks root, rankdir and model
        self.values = len(graph_values(root))  # how many boxes the picture has
        self._svg: str | None = None  # dot's picture, made once, when first asked for

    def svg(self) -> str | None:
        """The picture as SVG text, drawn by ``dot``; None when ``dot`` is not installed."""
        if self._svg is None:
            dot = shutil.which("dot")
            if dot is None:
                return None
            done = subprocess.run([dot, "-Tsvg"], input=self.source, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"Graph: Graphviz's dot failed (exit status {done.returncode}) on a graph of "
                                   f"{self.values} Values: {done.stderr.strip()}")
            start = done.stdout.find("<svg")  # from the <svg> element on: no XML prolog inside a notebook's HTML
            self._svg = done.stdout[start:] if start >= 0 else done.stdout
        return self._svg

    def save(self, path: str | os.PathLike[str]) -> bool:
        """Write the picture to ``path`` (.svg or .png), as ``draw`` does: True if written, False without dot."""
        return _write(lambda: self.source, path, "Graph.save")

    def _repr_svg_(self) -> str | None:
        """Jupyter's hook: the picture, or None (nothing to draw with) when ``dot`` is not installed."""
        return self.svg()

    def _repr_markdown_(self) -> str | None:
        """Jupyter's hook: the one-line hint when ``dot`` is missing; None when the SVG can be shown.

        (JupyterLab prefers Markdown to SVG, so this must step aside when there is a picture.)
        """
        return None if shutil.which("dot") is not None else self._hint()

    def __repr__(self) -> str:
        if shutil.which("dot") is None:
            return self._hint()
        return (f"Graph of {self.values} Values ({len(self.source)} characters of DOT source): shown as a "
                "picture in a notebook; .svg() gives the SVG text, .save(path) writes a file")

    def _hint(self) -> str:
        return (f"Graph of {self.values} Values, not drawn: {GRAPHVIZ_HINT} (the DOT source, "
                f"{len(self.source)} characters, is in .source)")


def _label(v: Value, model_name: str | None = None) -> str:
    name = model_name or v.name
    title = name or (v.op.name if v.op is not None else "leaf")
    if v.op is not None and name:
        title = f"{name} = {v.op.name}"
    constants = [_short(x) for x in v.inputs if not isinstance(x, Value)]
    if constants:
        title += " (" + ", ".join(constants) + ")"
    rows = [title, f"shape {v.shape}"]
    if v.grad is not None:
        rows += [f"data {_summary(v.data)}", f"grad {_summary(v.grad)}"]
    return "{" + "|".join(_escape(row) for row in rows) + "}"


def _summary(a: np.ndarray) -> str:
    if a.size <= 3:
        return np.array2string(np.asarray(a).ravel(), precision=4, separator=" ")
    return f"mean {a.mean():.4g} min {a.min():.4g} max {a.max():.4g}"


def _short(x: Any) -> str:
    if isinstance(x, np.ndarray) and x.size > 3:
        return f"array{x.shape}"
    text = repr(x.tolist() if isinstance(x, (np.ndarray, np.generic)) else x)  # 3.0, not np.float64(3.0)
    return text if len(text) <= 24 else text[:21] + "..."


def _escape(text: str) -> str:
    """Backslash the characters that mean something inside a Graphviz record label."""
    for char in '\\"{}|<>':
        text = text.replace(char, "\\" + char)
    # Graphviz drops raw line breaks and tabs; keep a name's line breaks as its own "\n".
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n").replace("\t", " ")
