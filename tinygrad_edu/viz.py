"""Pictures of the graph behind a Value: Graphviz DOT source, and SVG or PNG through ``dot``.

Each Value is a box showing the operation that made it (or its name, for a
leaf), its shape, and, once ``backward()`` has run, a short summary of its data
and gradient. Arrows go from the arguments of an operation to its result;
constant arguments are listed inside the box.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

import numpy as np

from .value import Value


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


def to_dot(root: Value, rankdir: str = "TB") -> str:
    """Graphviz DOT source for the graph behind ``root``: one node per Value, one edge per argument.

    ``rankdir`` is Graphviz's direction: "TB" draws the leaves at the top and
    the result at the bottom (each box then lists its rows one under another).
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    values = graph_values(root)
    ids = {id(v): f"v{i}" for i, v in enumerate(values)}
    lines = ["digraph tinygrad_edu {", f"  rankdir={rankdir};",
             '  node [shape=record, fontname="monospace", fontsize=10];']
    for v in values:
        lines.append(f'  {ids[id(v)]} [label="{_label(v)}"];')
    for v in values:
        for x in v.inputs:
            if isinstance(x, Value):
                lines.append(f"  {ids[id(x)]} -> {ids[id(v)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(root: Value, path: str | os.PathLike[str]) -> bool:
    """Write the graph behind ``root`` to ``path`` (.svg or .png) with Graphviz's ``dot``.

    Returns True when the file was written. Without ``dot`` installed, prints
    one line saying how to install it and returns False.
    """
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("svg", "png"):
        raise ValueError(f"draw: the file name must end in .svg or .png, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"draw: the folder {folder!r} does not exist")
    source = to_dot(root)  # checks root before anything runs
    dot = shutil.which("dot")
    if dot is None:
        print("draw: Graphviz's `dot` program is not installed; install it (apt install graphviz, "
              "brew install graphviz, or conda install graphviz) and run again", file=sys.stderr)
        return False
    subprocess.run([dot, f"-T{fmt}", "-o", path], input=source, text=True, check=True)
    return True


def _label(v: Value) -> str:
    title = v.name or (v.op.name if v.op is not None else "leaf")
    if v.op is not None and v.name:
        title = f"{v.name} = {v.op.name}"
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
