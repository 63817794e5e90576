"""The README's code runs and prints what its comments say it prints."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    """The README's ```python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def run(code):
    """Execute code in a fresh namespace; return what it printed and the namespace."""
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), namespace)
    return printed.getvalue().splitlines(), namespace


def test_opening_example_prints_what_it_promises():
    """The first block prints the gradients 1.0 and 2.0, then XOR learned: [0. 1. 1. 0.]."""
    lines, _ = run(python_blocks()[0])
    assert lines == ["1.0 2.0", "[0. 1. 1. 0.]"]


def test_custom_operation_example():
    """The Operation example prints cube(2) = 8 and its gradient 12 = 3 * 2**2."""
    block = next(b for b in python_blocks() if "Operation(" in b)
    lines, namespace = run(block)
    assert lines == ["8.0 12.0"]
    assert namespace["y"].op.name == "cube"
