"""benchmarks/run.py: ``agree`` (the check that keeps a fast wrong answer out of the timing table), its
option checks and memory measurement, and the instruction counter."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import run  # noqa: E402


def reference(dtype):
    """A weight matrix and a 0-d loss, as a workload returns them."""
    return [np.array([[0.5, -1.25], [2.0, 3.0]], dtype=dtype), np.array(0.125, dtype=dtype)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("implementation", ["numpy", "tinygrad_edu", "torch"])
def test_equal_results_agree(dtype, implementation):
    """Results equal to the reference (same dtype) give ''."""
    assert run.agree(reference(dtype), reference(dtype), dtype, implementation) == ""


@pytest.mark.parametrize("dtype, within, beyond", [("float64", 5e-10, 1e-8), ("float32", 5e-5, 1e-3)])
def test_value_off_by_more_than_the_tolerance_is_reported(dtype, within, beyond):
    """An element off by less than the tolerance (1e-9 / 1e-4) agrees; off by more, the message says by how much."""
    close, far = reference(dtype), reference(dtype)
    close[0][1, 0] += within
    far[0][1, 0] += beyond
    assert run.agree(close, reference(dtype), dtype, "tinygrad_edu") == ""
    message = run.agree(far, reference(dtype), dtype, "tinygrad_edu")
    assert message != ""
    assert "result 0" in message and "differs" in message
    assert str(run.TOLERANCE[dtype]) in message


def test_a_wrong_scalar_result_is_reported():
    """The second result (the 0-d loss) off by 1e-6 in float64 is caught and named as result 1."""
    wrong = reference("float64")
    wrong[1] = wrong[1] + 1e-6
    message = run.agree(wrong, reference("float64"), "float64", "torch")
    assert "result 1" in message


def test_nan_is_reported():
    """A NaN where the reference has a number does not agree."""
    wrong = reference("float64")
    wrong[0][0, 0] = np.nan
    assert run.agree(wrong, reference("float64"), "float64", "tinygrad_edu") != ""


def test_shape_mismatch_is_reported():
    """A flattened result, (4,) for (2, 2), is reported with both shapes."""
    wrong = reference("float64")
    wrong[0] = wrong[0].ravel()
    message = run.agree(wrong, reference("float64"), "float64", "tinygrad_edu")
    assert "(4,)" in message and "(2, 2)" in message


def test_missing_result_is_reported():
    """Returning fewer results than the reference is reported, not silently zipped away."""
    message = run.agree(reference("float64")[:1], reference("float64"), "float64", "tinygrad_edu")
    assert re.search(r"1 result.*expected 2", message)


@pytest.mark.parametrize("implementation", ["tinygrad_edu", "torch"])
def test_framework_returning_float64_in_a_float32_case_is_reported(implementation):
    """A framework whose float32 run comes back as float64 did not compute in float32: reported, even if
    the numbers are equal."""
    result = [r.astype(np.float64) for r in reference("float32")]
    message = run.agree(result, reference("float32"), "float32", implementation)
    assert "float64" in message and "float32" in message


def test_hand_written_numpy_is_not_held_to_the_dtype():
    """The reference implementation itself ('numpy') is only checked on values and shapes."""
    result = [r.astype(np.float64) for r in reference("float32")]
    assert run.agree(result, reference("float32"), "float32", "numpy") == ""


# ---------------------------------------------------------------------- benchmarks/instructions.py


def test_instruction_count_grows_with_the_number_of_steps():
    """instructions.count runs a workload under callgrind: 40 more W5 iterations cost more instructions.

    Each W5 iteration of tinygrad_edu costs well over 10,000 instructions
    (three operations and a backward pass), so 40 more add at least 400,000.
    """
    import shutil

    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed, so benchmarks/instructions.py cannot run here")
    import instructions

    small = instructions.count("W5", "tinygrad_edu", 10)
    large = instructions.count("W5", "tinygrad_edu", 50)
    assert large - small > 40 * 10_000


@pytest.mark.parametrize("options, message", [
    (["--repeats", "0"], "--repeats must be at least 1"),
    (["--workloads", "W4", "--dtype", "float32"], "nothing to run"),
    (["--sizes", "W1"], "is not WORKLOAD=SIZE"),
    (["--sizes", "W1=abc"], "is not WORKLOAD=SIZE"),
    (["--sizes", "W1=0"], "is not WORKLOAD=SIZE"),
    (["--workloads", "W1", "--sizes", "W2=30"], "'W2' is not among the workloads to run"),
    (["--sizes", "W1=\u00b2"], "is not WORKLOAD=SIZE"),
    (["--sizes", "W1=5,W1=7"], "W1 is given more than one size"),
    (["--workloads", "W1,W4", "--dtype", "float32", "--sizes", "W4=10"], "'W4' is not among the workloads to run"),
    (["--json", "/nonexistent-folder/x.json"], "its folder does not exist"),
    (["--json", "/nonexistent-folder/"], "give a file to write, not a folder"),
    (["--json", "/"], "give a file to write, not a folder"),
], ids=["repeats", "nothing", "no-size", "not-a-number", "zero", "not-chosen", "superscript", "twice",
        "not-run-in-float32", "json-folder", "json-trailing-slash", "json-existing-folder"])
def test_bad_options_are_usage_errors_before_any_work(options, message):
    """Each bad option stops run.py at once with a usage error (exit status 2) that names it."""
    import subprocess

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    done = subprocess.run([sys.executable, str(script), *options], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("options, message", [
    (["--sizes", "5"], "--sizes needs two whole sizes"),
    (["--sizes", "1500,500"], "--sizes needs two whole sizes"),
    (["--sizes", "5,\u00b9\u2070"], "--sizes needs two whole sizes"),
    (["--workloads", "W1,W9"], "unknown workloads ['W9']"),
], ids=["one-size", "larger-first", "superscript", "unknown-workload"])
def test_instruction_counter_refuses_bad_options_as_usage_errors(options, message):
    """benchmarks/instructions.py: bad options stop it with a usage error (exit status 2), valgrind or not."""
    import subprocess

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "instructions.py"
    done = subprocess.run([sys.executable, str(script), *options], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_memory_is_unavailable_rather_than_wrong_without_proc(monkeypatch, capsys):
    """Without /proc the high-water mark cannot be reset, so the memory run says 'unavailable' (shown as no
    memory in the table) instead of a process-wide maximum that would read 0."""
    def no_proc(path, *args, **kwargs):
        raise FileNotFoundError(path)

    monkeypatch.setattr(run, "open", no_proc, raising=False)
    run.memory_child("W5:tinygrad_edu:float64:20")
    assert capsys.readouterr().out.strip() == "unavailable"


@pytest.mark.parametrize("wrong_call", [None, 2, 3], ids=["all-right", "first-round-wrong", "last-round-wrong"])
def test_a_wrong_answer_in_any_round_fails_the_run(monkeypatch, capsys, wrong_call):
    """run.py as a whole: when tinygrad_edu's answer is off by 1e-6 in any timed round (call 1 is the
    warm-up), the table says WRONG RESULT and the exit status is 1; when every answer is right, 0."""
    right = run.WORKLOADS["W5"].implementations["tinygrad_edu"]
    calls = []

    def sometimes_wrong(**inputs):
        timed = right(**inputs)

        def timed_run():
            answer = timed()
            calls.append(len(calls) + 1)
            return [a + 1e-6 for a in answer] if calls[-1] == wrong_call else answer
        return timed_run

    monkeypatch.setitem(run.WORKLOADS["W5"].implementations, "tinygrad_edu", sometimes_wrong)
    monkeypatch.setattr(sys, "argv", ["run.py", "--workloads", "W5", "--sizes", "W5=5", "--repeats", "2",
                                      "--implementations", "numpy,tinygrad_edu", "--no-memory"])
    status = run.main()
    out = capsys.readouterr().out
    assert calls == [1, 2, 3]
    if wrong_call is None:
        assert status == 0 and "WRONG RESULT" not in out
    else:
        assert status == 1 and "WRONG RESULT: tinygrad_edu on W5 float64: result 0 differs" in out
