"""Run the learning-path notebooks in a fresh kernel: store their outputs, or check them against the stored ones.

The notebooks are committed with their outputs, so that they read on a code
host without running them. When the library changes, refresh them:

    python examples/notebooks/run_all.py                  # every notebook, outputs written in place
    python examples/notebooks/run_all.py 03_xor.ipynb     # only the ones named
    python examples/notebooks/run_all.py --check          # run and compare, write nothing; exit 1 on a difference

The comparison (also used by tests/test_notebooks.py) looks at the text each
code cell printed or returned: numbers are compared with a relative tolerance
(``REL_TOL``), everything else literally (runs of spaces count as one space,
since numpy pads numbers to a common width). Pictures are never compared, and
neither is any cell tagged with one of ``IGNORE_TAGS`` in its metadata:

    nbval-ignore-output  output that changes from run to run (timings), or that is only a picture
    optional-output      output that depends on an optional package (PyTorch): it differs where it is missing

Needs nbclient, nbformat and ipykernel (``pip install -e ".[test]"``).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
IGNORE_TAGS = frozenset({"nbval-ignore-output", "optional-output"})
REL_TOL = 1e-6
ABS_TOL = 1e-12  # numbers printed as 0 on one run and 1e-17 on another are the same answer
CELL_TIMEOUT = 600  # seconds one cell may take before the run is abandoned (a hang, not a slow machine)

# A number as Python and numpy print them: 12, -4.21652261, 1.5e-07, .5, 3. (nan and inf are compared as words)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def notebooks() -> list[Path]:
    """The learning-path notebooks, in their reading order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, timeout: int = CELL_TIMEOUT) -> Any:
    """The notebook at ``path`` run top to bottom in a fresh kernel, started in the notebook's folder.

    Returns the executed notebook (an ``nbformat.NotebookNode``); the file is
    not changed. A cell that raises stops the run with nbclient's
    ``CellExecutionError``, which shows the cell and the traceback.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # record_timing=False: no execution timestamps in the cells' metadata, so a re-run only changes what changed.
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def ignored(cell: Any) -> bool:
    """True when the cell's output is not compared (it carries one of IGNORE_TAGS)."""
    return bool(IGNORE_TAGS.intersection(cell.get("metadata", {}).get("tags", [])))


def text_outputs(cell: Any) -> list[tuple[str, str]]:
    """The text a code cell showed, as (kind, text) pairs in order: kind is "stdout", "stderr", "result" or "error".

    Consecutive pieces of the same stream are joined (the kernel may split one
    print into several messages). Pictures, and the "<Figure ...>" line shown
    with them, are left out.
    """
    shown: list[tuple[str, str]] = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            name, text = output["name"], output["text"]
            if shown and shown[-1][0] == name:
                shown[-1] = (name, shown[-1][1] + text)
            else:
                shown.append((name, text))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if any(mime.startswith("image/") for mime in data) or "text/plain" not in data:
                continue
            shown.append(("result", data["text/plain"]))
        elif kind == "error":
            shown.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
    return shown


def _pieces(text: str) -> tuple[list[str], list[str]]:
    """Split text into its numbers and the words between them (spaces squeezed, so numpy's padding is ignored)."""
    numbers = NUMBER.findall(text)
    words = [re.sub(r"[ \t]+", " ", piece).strip(" \t") for piece in NUMBER.split(text)]
    return numbers, words


def _first_difference(stored: str, fresh: str, rel_tol: float, abs_tol: float) -> tuple[str, str] | None:
    """The first pair of numbers (or of words) that differ, as text; None when the texts agree."""
    stored_numbers, stored_words = _pieces(stored)
    fresh_numbers, fresh_words = _pieces(fresh)
    if stored_words != fresh_words or len(stored_numbers) != len(fresh_numbers):
        return stored, fresh
    for old, new in zip(stored_numbers, fresh_numbers):
        if not math.isclose(float(old), float(new), rel_tol=rel_tol, abs_tol=abs_tol):
            return old, new
    return None


def compare_text(stored: str, fresh: str, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> str | None:
    """None when the two texts agree (numbers within the tolerance, the rest literally); else the first difference."""
    if _first_difference(stored, fresh, rel_tol, abs_tol) is None:
        return None
    stored_lines, fresh_lines = stored.splitlines(), fresh.splitlines()
    for line_number, (old, new) in enumerate(zip(stored_lines, fresh_lines), start=1):
        difference = _first_difference(old, new, rel_tol, abs_tol)
        if difference is None:
            continue
        if difference == (old, new):
            return f"line {line_number} was {old!r}, now {new!r}"
        return f"the number {difference[0]} is now {difference[1]} (line {line_number}: {old.strip()!r})"
    return f"{len(stored_lines)} lines stored, {len(fresh_lines)} now (the lines they share agree)"


def compare(stored: Any, fresh: Any, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> list[str]:
    """The differences between a notebook's stored outputs and a fresh run's, one message per cell ([] if none).

    Cells are matched by position; cells tagged with IGNORE_TAGS are skipped.
    """
    stored_cells, fresh_cells = stored["cells"], fresh["cells"]
    if len(stored_cells) != len(fresh_cells):
        return [f"the notebooks have {len(stored_cells)} and {len(fresh_cells)} cells"]
    differences = []
    for index, (old, new) in enumerate(zip(stored_cells, fresh_cells)):
        if old["cell_type"] != "code" or ignored(old):
            continue
        old_shown, new_shown = text_outputs(old), text_outputs(new)
        where = f"cell {index} ({_first_line(old)})"
        if [kind for kind, _ in old_shown] != [kind for kind, _ in new_shown]:
            differences.append(f"{where}: stored outputs {[k for k, _ in old_shown]}, "
                               f"now {[k for k, _ in new_shown]}")
            continue
        for (kind, old_text), (_, new_text) in zip(old_shown, new_shown):
            difference = compare_text(old_text, new_text, rel_tol, abs_tol)
            if difference is not None:
                differences.append(f"{where}, {kind}: {difference}")
                break
    return differences


def _first_line(cell: Any) -> str:
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return next((line.strip() for line in source.splitlines() if line.strip()), "empty")[:60]


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks named (or all), then store their outputs or, with --check, compare them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook file names in this folder (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="compare the fresh outputs with the stored ones instead of storing them")
    args = parser.parse_args(argv)

    import time

    import nbformat

    paths = [HERE / name for name in args.names] if args.names else notebooks()
    for path in paths:
        if not path.is_file():
            parser.error(f"no notebook {path.name!r} in {HERE}")
    failed = False
    for path in paths:
        start = time.perf_counter()
        fresh = execute(path)
        seconds = time.perf_counter() - start
        if args.check:
            differences = compare(nbformat.read(path, as_version=4), fresh)
            failed = failed or bool(differences)
            verdict = "same outputs" if not differences else "DIFFERENT:\n  " + "\n  ".join(differences)
            print(f"{path.name}: ran in {seconds:.1f} s, {verdict}")
        else:
            nbformat.write(fresh, path)
            print(f"{path.name}: ran in {seconds:.1f} s, outputs stored")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
