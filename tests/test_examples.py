"""The examples run as a user would run them, and print what the README promises:
the notebook's numbers to the last digit, XOR learned by the network and not by
one neuron, a PNG plot, and the chain rule by hand equal to backward()."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import nn

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"[-+]?\d+\.\d+"


def run_example(*args, timeout=120, want_stderr=False):
    """Run `python examples/<args>` from the repository root; return its stdout (and stderr).

    A non-zero exit fails the test."""
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} exited with {result.returncode}:\n{result.stderr}"
    return (result.stdout, result.stderr) if want_stderr else result.stdout


def numbers_after(text, heading, until=None):
    """The decimal numbers, as printed, between a heading line and the next heading (or the end)."""
    start = text.index(heading) + len(heading)
    end = text.index(until, start) if until else len(text)
    return re.findall(NUMBER, text[start:end])


# ---------------------------------------------------------------------- single neuron


@pytest.fixture(scope="module")
def single_neuron_output():
    return run_example("examples/single_neuron.py")


def test_single_neuron_prints_the_notebooks_numbers(single_neuron_output):
    """Weights before and after 10,000 steps and both predictions equal the notebook's, all 8 decimals."""
    out = single_neuron_output
    before = "Neural network weights before training (random initialization):"
    after = "Neural network weights after training:"
    first = "Inferring predicting from the network for [1, 0, 0] -> ?:"
    second = "Inferring predicting from the network for [0, 1, 1] -> ?:"
    assert numbers_after(out, before, after) == ["-0.25091976", "0.90142861", "0.46398788"]
    assert numbers_after(out, after, first) == ["-4.21652261", "12.79677774", "-4.21664048"]
    assert numbers_after(out, first, second) == ["0.01453545"]
    assert numbers_after(out, second) == ["0.99981224"]


def test_single_neuron_graph_option(tmp_path):
    """--graph draws the loss's graph when `dot` is installed, and otherwise says how to install it."""
    path = tmp_path / "neuron.svg"
    out = run_example("examples/single_neuron.py", "--steps", "2", "--graph", str(path))
    if shutil.which("dot") is None:
        assert not path.exists()
    else:
        assert f"graph of the loss written to {path}" in out
        assert b"<svg" in path.read_bytes()


# ---------------------------------------------------------------------- XOR


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    """One run of the XOR example without progress bars, also writing its plot."""
    plot = tmp_path_factory.mktemp("xor") / "xor.png"
    plotting = ["--plot", str(plot)] if importlib.util.find_spec("matplotlib") else []
    out, err = run_example("examples/xor.py", "--no-progress", *plotting, want_stderr=True)
    return out, err, plot


def truth_table(out, heading):
    """{(x1, x2): output} from the table printed under the heading."""
    section = out[out.index(heading):]
    rows = re.findall(r"^\s+([01])\s+([01]) \|\s+([01])\s+\| (\d\.\d{4})", section, flags=re.M)[:4]
    assert len(rows) == 4
    return {(int(a), int(b)): (int(t), float(o)) for a, b, t, o in rows}


def on_the_right_side(table):
    return [(o > 0.5) == (t == 1) and abs(o - 0.5) >= 1e-3 for t, o in table.values()]


def test_xor_network_learns_and_single_neuron_does_not(xor_run):
    """All four outputs of the 2-4-1 network are on the target's side of 0.5; the single neuron's are not."""
    out, err, _ = xor_run
    network = truth_table(out, "A 2-4-1 network")
    neuron = truth_table(out, "One neuron (2-1)")
    assert set(network) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert [t for t, _ in network.values()] == [0, 1, 1, 0]
    assert all(on_the_right_side(network))
    assert not all(on_the_right_side(neuron))
    assert "All four right" in out
    assert "step" not in err  # --no-progress: no tqdm bars (they go to stderr)


def test_xor_plot_is_a_png(xor_run):
    """--plot writes a PNG file (signature checked) of a real size."""
    pytest.importorskip("matplotlib", reason="matplotlib (the examples extra) is not installed: "
                        "pip install -e '.[test,examples]'")
    out, _, plot = xor_run
    assert f"plot written to {plot}" in out
    content = plot.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(content) > 10_000


# ---------------------------------------------------------------------- chain rule and --help


def chain_rule_columns(out):
    """[(by hand, by backward())] for dloss/dw1..3 as printed."""
    rows = re.findall(rf"^dloss/dw(\d)\s+({NUMBER})\s+({NUMBER})$", out, flags=re.M)
    assert [r[0] for r in rows] == ["1", "2", "3"]
    return [(a, b) for _, a, b in rows]


@pytest.mark.parametrize("args", [[], ["--inputs", "0.5", "-1", "2", "--target", "0"]], ids=["default", "custom"])
def test_chain_rule_by_hand_equals_backward(args):
    """Both columns print the same ten-decimal numbers, and they are not all zero."""
    out = run_example("examples/chain_rule.py", *args)
    columns = chain_rule_columns(out)
    assert all(by_hand == backward for by_hand, backward in columns)
    assert any(float(by_hand) != 0 for by_hand, _ in columns)
    if not args:
        assert columns[0][0] == "-0.0772537204"


def test_chain_rule_prints_no_negative_zero():
    """Where the sigmoid saturates (out = y = 1) every gradient is 0, and all nine numbers print as
    +0.0000000000, the intermediate gradients too, never as -0.0000000000."""
    out = run_example("examples/chain_rule.py", "--inputs", "1000", "1000", "1000", "--target", "1")
    assert "-0.0000000000" not in out
    assert out.count("+0.0000000000") == 9


@pytest.mark.parametrize("script, options", [
    ("examples/single_neuron.py", ["--steps", "--lr", "--graph"]),
    ("examples/xor.py", ["--seed", "--steps", "--lr", "--hidden", "--plot", "--no-progress"]),
    ("examples/chain_rule.py", ["--inputs", "--target"]),
])
def test_help(script, options):
    """--help exits 0 and lists the example's options."""
    out = run_example(script, "--help", timeout=30)
    assert out.startswith("usage:")
    for option in options:
        assert option in out


USAGE_ERRORS = [  # (script, option, bad value, what stderr says)
    ("xor.py", "--steps", "0", "must be at least 1, got 0"),  # no step, no loss to report
    ("xor.py", "--hidden", "0", "must be at least 1, got 0"),
    ("xor.py", "--seed", "-1", "must be at least 0, got -1"),
    ("xor.py", "--seed", "1.5", "must be a whole number"),
    ("xor.py", "--seed", str(2**64), f"must be below 2**64, got {2**64}"),
    ("xor.py", "--lr", "-1", "must be a finite number above 0"),
    ("xor.py", "--lr", "0", "must be a finite number above 0"),
    ("xor.py", "--lr", "nan", "must be a finite number above 0"),
    ("xor.py", "--lr", "inf", "must be a finite number above 0"),
    ("xor.py", "--plot", "xor.txt", "must end in .png, .svg or .pdf"),
    ("xor.py", "--plot", "xor", "must end in .png, .svg or .pdf"),
    ("xor.py", "--plot", "", "must end in .png, .svg or .pdf"),
    ("xor.py", "--plot", "missing/xor.png", "the folder 'missing' does not exist"),
    ("xor.py", "--plot", "folder.png", "'folder.png' is a folder, not a file name"),
    ("single_neuron.py", "--steps", "-5", "must be at least 1, got -5"),
    ("single_neuron.py", "--steps", "0", "must be at least 1, got 0"),  # no step, no loss to draw
    ("single_neuron.py", "--lr", "-1", "must be a finite number above 0"),
    ("single_neuron.py", "--lr", "nan", "must be a finite number above 0"),
    ("single_neuron.py", "--lr", "inf", "must be a finite number above 0"),
    ("single_neuron.py", "--graph", "neuron.txt", "must end in .svg or .png"),
    ("single_neuron.py", "--graph", "neuron.dot", "must end in .svg or .png"),
    ("single_neuron.py", "--graph", "neuron", "must end in .svg or .png"),
    ("single_neuron.py", "--graph", "missing/neuron.svg", "the folder 'missing' does not exist"),
    ("single_neuron.py", "--graph", "folder.svg", "'folder.svg' is a folder, not a file name"),
]


@pytest.mark.parametrize("script, option, value, message", USAGE_ERRORS,
                         ids=[f"{script} {option} {value!r}" for script, option, value, _ in USAGE_ERRORS])
def test_bad_options_are_usage_errors(tmp_path, script, option, value, message):
    """A bad option stops the example before any training with argparse's usage error (exit status 2) naming
    the option, not a traceback. It runs in a folder of its own, holding only the folders 'folder.png' and
    'folder.svg', so that 'missing/' is missing and nothing a faulty run might write lands in the repository."""
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "folder.svg").mkdir()
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), option, value], cwd=tmp_path,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"argument {option}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing trained, nothing printed


def load_example(name):
    """examples/<name>.py imported as a module, so that a test can call its functions."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_truth_table_calls_nan_wrong(capsys):
    """An output of nan is on neither side of 0.5, so every row says WRONG (a target-0 row once said
    right, since nan > 0.5 and target == 1 are both False) and the table does not count as learned."""
    xor = load_example("xor")
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.full((1, 2), np.nan), "bias": np.zeros(1)})
    with np.errstate(invalid="ignore"):  # nan in, nan out: numpy's warning says nothing new here
        learned = xor.truth_table(nn.Sequential(layer, nn.Sigmoid()), "nan everywhere")
    rows = capsys.readouterr().out.splitlines()[-4:]
    assert [row.split("|")[-1].split() for row in rows] == [["nan", "WRONG"]] * 4
    assert not learned
