"""The learning-path notebooks (examples/notebooks/) run top to bottom in a fresh kernel without an error,
and print what they were committed printing, so their stored outputs never go stale.

The running and the comparison live in examples/notebooks/run_all.py (which also refreshes the stored
outputs); here they are used, and the comparison itself is tested on small notebooks made in memory.
Cells tagged "nbval-ignore-output" (pictures, timings) or "optional-output" (PyTorch) are not compared.
No test here measures time: docs/notebooks.md records how long each notebook takes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbformat", reason="the notebook tests need nbformat: pip install -e \".[test]\"")

import nbformat  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "examples" / "notebooks"
EXPECTED = ["01_gradient_descent", "02_single_neuron", "03_xor", "04_inside_the_engine", "05_digits"]


def _load_run_all():
    spec = importlib.util.spec_from_file_location("notebook_runner", FOLDER / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["notebook_runner"] = module
    spec.loader.exec_module(module)
    return module


run_all = _load_run_all()
NOTEBOOKS = run_all.notebooks()


def test_the_five_notebooks_are_there_in_order():
    assert [path.stem for path in NOTEBOOKS] == EXPECTED


# ---------------------------------------------------------------------- what is stored


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_outputs_exist(path):
    """Committed executed, top to bottom in one run: every code cell numbered 1, 2, 3..., none with an error,
    and text to compare in several cells."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), \
        f"{path.name} was not run top to bottom before it was stored: python examples/notebooks/run_all.py"
    for cell in code:
        assert all(output.output_type != "error" for output in cell.outputs), f"{path.name}: a stored error"
    compared = [cell for cell in code if not run_all.ignored(cell) and run_all.text_outputs(cell)]
    assert len(compared) >= 2, f"{path.name}: only {len(compared)} cells with printed text to compare"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_tags_are_the_known_ones(path):
    """A misspelt tag would quietly make a cell compared (or a figure fail): only IGNORE_TAGS are used."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        assert tags <= run_all.IGNORE_TAGS, f"{path.name}: unknown tags {tags - run_all.IGNORE_TAGS}"


def test_pictures_are_stored():
    """Each notebook with plots keeps them, so it reads on a code host (04 has none)."""
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        pictures = sum("image/png" in output.get("data", {})
                       for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs)
        if path.stem != "04_inside_the_engine":
            assert pictures >= 1, f"{path.name} stores no picture"


def test_the_course_numbers_are_in_notebook_02():
    """02 prints the course notebook's weights and predictions, from numpy and from tinygrad_edu (twice each)."""
    notebook = nbformat.read(FOLDER / "02_single_neuron.ipynb", as_version=4)
    printed = "".join(text for cell in notebook.cells if cell.cell_type == "code"
                      for _, text in run_all.text_outputs(cell))
    for number in ("-4.21652261", "12.79677774", "-4.21664048", "0.01453545", "0.99981224"):
        assert printed.count(number) >= 2, f"{number} is printed {printed.count(number)} times"


# ---------------------------------------------------------------------- running them


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_and_prints_what_it_stored(path):
    """Run in a fresh kernel (an exception in any cell fails here, with the cell and the traceback), then every
    compared cell's text must match the stored text, numbers to a relative 1e-6."""
    for module in ("nbclient", "ipykernel", "matplotlib", "sklearn"):  # the runner, the kernel, the notebooks' imports
        pytest.importorskip(module, reason=f"running the notebooks needs {module}: pip install -e \".[test]\"")
    fresh = run_all.execute(path)
    differences = run_all.compare(nbformat.read(path, as_version=4), fresh)
    assert differences == [], (f"{path.name} now prints something else than it stored (if the change is "
                               f"meant, refresh it: python examples/notebooks/run_all.py {path.name}):\n"
                               + "\n".join(differences))


# ---------------------------------------------------------------------- the comparison itself


def notebook_printing(*texts: str, tags: tuple[str, ...] = ()):
    """A notebook in memory: a markdown cell, then one code cell per text, each having printed that text."""
    cells = [new_markdown_cell("# a title")]
    for count, text in enumerate(texts, start=1):
        cell = new_code_cell(f"print({count})", execution_count=count)
        cell.outputs = [new_output("stream", name="stdout", text=text)]
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)
    return new_notebook(cells=cells)


STORED = ("weights after training:\n[[-4.21652261]\n [12.79677774]\n [-4.21664048]]\n", "prediction [0.01453545]\n")


def test_same_outputs_compare_equal():
    assert run_all.compare(notebook_printing(*STORED), notebook_printing(*STORED)) == []


def test_a_changed_number_fails():
    fresh = notebook_printing(STORED[0].replace("12.79677774", "12.79687774"), STORED[1])
    differences = run_all.compare(notebook_printing(*STORED), fresh)
    assert len(differences) == 1
    assert "cell 1" in differences[0] and "12.79677774 is now 12.79687774" in differences[0]


def test_a_changed_number_in_a_stored_notebook_fails():
    """The real 02 notebook against itself with one stored digit changed."""
    stored = nbformat.read(FOLDER / "02_single_neuron.ipynb", as_version=4)
    changed = nbformat.read(FOLDER / "02_single_neuron.ipynb", as_version=4)
    assert run_all.compare(stored, changed) == []
    edited = 0  # cells changed: compare() reports the first difference of each cell
    for cell in changed.cells:
        streams = [output for output in cell.get("outputs", []) if output.output_type == "stream"]
        if any("0.99981224" in output.text for output in streams):
            for output in streams:
                output.text = output.text.replace("0.99981224", "0.99981324")
            edited += 1
    assert edited >= 1
    differences = run_all.compare(stored, changed)
    assert len(differences) == edited and all("0.99981224 is now 0.99981324" in d for d in differences)


def test_numbers_within_the_tolerance_pass():
    """Rounding differences in the last digits of a long float (another BLAS, another CPU) are not changes."""
    fresh = notebook_printing(STORED[0].replace("12.79677774", "12.796777740000003"), STORED[1])
    assert run_all.compare(notebook_printing(*STORED), fresh) == []
    assert run_all.compare_text("loss 2.1e-17", "loss -3.5e-18") is None  # both are zero, in float64
    assert run_all.compare_text("loss 0.5", "loss 0.5000006") is not None  # 1.2e-6 relative is too much


def test_numpy_padding_is_not_a_difference():
    assert run_all.compare_text("[ 0.5 -1. ]", "[0.5 -1.]") is None
    assert run_all.compare_text("x =    3", "x = 3") is None


def test_changed_words_and_missing_lines_fail():
    assert "line 2" in run_all.compare_text("a 1\nright 2\n", "a 1\nwrong 2\n")
    assert run_all.compare_text("a 1\nb 2\n", "a 1\n") is not None
    assert run_all.compare_text("[1 2]", "[12]") is not None  # two numbers are not one
    assert run_all.compare_text("nan", "inf") is not None


def test_a_missing_or_extra_output_fails():
    silent = notebook_printing(*STORED)
    silent.cells[2].outputs = []
    assert len(run_all.compare(notebook_printing(*STORED), silent)) == 1
    assert len(run_all.compare(silent, notebook_printing(*STORED))) == 1
    warned = notebook_printing(*STORED)
    warned.cells[1].outputs.append(new_output("stream", name="stderr", text="DeprecationWarning: ...\n"))
    assert len(run_all.compare(notebook_printing(*STORED), warned)) == 1


def test_a_different_number_of_cells_fails():
    assert run_all.compare(notebook_printing(*STORED), notebook_printing(STORED[0])) != []


@pytest.mark.parametrize("tag", sorted(run_all.IGNORE_TAGS))
def test_tagged_cells_are_not_compared(tag):
    stored = notebook_printing("training took 1.2 s\n", tags=(tag,))
    fresh = notebook_printing("training took 3.4 s\n", tags=(tag,))
    assert run_all.compare(stored, fresh) == []
    assert run_all.compare(notebook_printing("training took 1.2 s\n"), notebook_printing("training took 3.4 s\n"))


def test_pictures_are_not_compared_but_their_text_is():
    stored, fresh = notebook_printing("a plot\n"), notebook_printing("a plot\n")
    stored.cells[1].outputs.append(new_output("display_data", data={"image/png": "AAAA",
                                                                    "text/plain": "<Figure size 640x480>"}))
    fresh.cells[1].outputs.append(new_output("display_data", data={"image/png": "BBBB",
                                                                   "text/plain": "<Figure size 800x600>"}))
    assert run_all.compare(stored, fresh) == []
    fresh.cells[1].outputs[0].text = "another plot\n"
    assert run_all.compare(stored, fresh) != []


def test_split_streams_are_joined():
    """The kernel may deliver one cell's printing in several pieces; only the whole text counts."""
    fresh = notebook_printing(*STORED)
    first, second = STORED[0][:20], STORED[0][20:]
    fresh.cells[1].outputs = [new_output("stream", name="stdout", text=first),
                              new_output("stream", name="stdout", text=second)]
    assert run_all.compare(notebook_printing(*STORED), fresh) == []


def test_results_are_compared():
    """A cell's last expression (execute_result) is text to compare too."""
    stored, fresh = notebook_printing("x\n"), notebook_printing("x\n")
    stored.cells[1].outputs.append(new_output("execute_result", data={"text/plain": "0.25"}, execution_count=1))
    fresh.cells[1].outputs.append(new_output("execute_result", data={"text/plain": "0.75"}, execution_count=1))
    assert run_all.compare(stored, fresh) != []
