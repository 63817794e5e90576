"""Time tinygrad_edu against hand-written numpy and PyTorch on the five workloads, in one run.

    python benchmarks/run.py                      # everything, 7 repeats
    python benchmarks/run.py --workloads W1,W3 --repeats 3 --json results.json
    python benchmarks/run.py --smoke              # tiny sizes: checks the script works

Each implementation builds its model from the shared initial weights (not
timed), and its training run is timed. All are warmed up on a small size, then
they take turns for ``--repeats`` rounds; the table shows medians and each
median divided by hand-written numpy's. Every implementation's answer is
compared with hand-written numpy's (1e-9 in float64, 1e-4 in float32): a
disagreement is marked WRONG RESULT in the table and makes the script exit
with status 1, so a fast wrong answer cannot pass. Peak memory is measured in a
fresh process per implementation: after a warm-up, freed memory is handed
back to the system, and the peak growth of the resident set during the run
is what the run needed.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# One BLAS thread everywhere (PyTorch is set to one thread too): on a small
# machine, BLAS threads fighting for cores would measure scheduling, not frameworks.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workloads import WORKLOADS, torch_versions  # noqa: E402

IMPLEMENTATIONS = ("numpy", "tinygrad_edu", "torch")

# (workload, dtype, size): the sizes the issue names. --smoke swaps in SMOKE_SIZES.
STANDARD_CASES = [("W1", "float64", 10_000), ("W2", "float64", 5_000), ("W3", "float64", 50),
                  ("W3", "float32", 50), ("W4", "float64", 100_000), ("W4", "float64", 1_000_000),
                  ("W5", "float64", 1_000)]
SMOKE_SIZES = {"W1": 20, "W2": 20, "W3": 2, "W4": 500, "W5": 20}
WARMUP_SIZES = {"W1": 200, "W2": 200, "W3": 2, "W4": 2_000, "W5": 100}
TOLERANCE = {"float64": 1e-9, "float32": 1e-4}
MAX_REPEATS = {("W4", 1_000_000): 3}  # about 20 s a run for the frameworks: three rounds are enough


@dataclass
class Measurement:
    """One implementation on one case: its median time, its peak memory, its answer's agreement."""

    implementation: str
    times: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    agrees: bool | None = None
    note: str = ""

    @property
    def median(self) -> float:
        """The median of the timed runs, in seconds."""
        return statistics.median(self.times)


@dataclass
class Case:
    """One workload at one dtype and size, with a measurement per implementation."""

    workload: str
    dtype: str
    size: int
    measurements: dict[str, Measurement] = field(default_factory=dict)

    def ratio(self, implementation: str) -> float | None:
        """This implementation's median time over hand-written numpy's (None if either did not run)."""
        mine, limit = self.measurements.get(implementation), self.measurements.get("numpy")
        if not mine or not limit or not mine.times or not limit.times:
            return None
        return mine.median / limit.median


def implementation_of(workload: str, implementation: str) -> Any:
    """The function that prepares a run of ``workload`` with ``implementation`` (None if unavailable)."""
    if implementation == "torch":
        return torch_versions().get(workload)
    return WORKLOADS[workload].implementations[implementation]


def run_once(workload: str, implementation: str, dtype: str, size: int) -> tuple[float, list[np.ndarray]]:
    """Build the inputs and let the implementation prepare (not timed), then time its run."""
    inputs = WORKLOADS[workload].make(np.dtype(dtype), size)
    run = implementation_of(workload, implementation)(**inputs)
    gc.collect()
    start = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - start
    return elapsed, [np.asarray(r) for r in result]


def agree(result: list[np.ndarray], reference: list[np.ndarray], dtype: str, implementation: str) -> str:
    """'' when result matches reference (values within tolerance, shapes, dtype), else what differs."""
    tolerance = TOLERANCE[dtype]
    if len(result) != len(reference):
        return f"{len(result)} results, expected {len(reference)}"
    for i, (r, ref) in enumerate(zip(result, reference)):
        if r.shape != ref.shape:
            return f"result {i} has shape {r.shape}, expected {ref.shape}"
        if implementation != "numpy" and r.dtype != np.dtype(dtype) and ref.ndim:
            return f"result {i} is {r.dtype}, expected {dtype} end to end"
        if not np.allclose(r, ref, rtol=tolerance, atol=tolerance):
            worst = float(np.max(np.abs(r - ref)))
            return f"result {i} differs from hand-written numpy by up to {worst:.3g} (tolerance {tolerance})"
    return ""


def peak_memory_mb(workload: str, implementation: str, dtype: str, size: int) -> float | None:
    """Peak growth of the resident set, in MB, while one run executes in a fresh process."""
    command = [sys.executable, os.path.abspath(__file__), "--memory-child",
               f"{workload}:{implementation}:{dtype}:{size}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  memory run of {implementation} on {workload} failed:\n{done.stderr}", file=sys.stderr)
        return None
    last = done.stdout.strip().splitlines()[-1]
    return None if last == "unavailable" else float(last)


def _resident_kb(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field_name} not found in /proc/self/status")


def _give_back_free_memory() -> None:
    """Ask the C allocator to return freed memory to the system (glibc only; elsewhere a no-op)."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def memory_child(spec: str) -> None:
    """Run one case and print the peak resident-set growth in MB (the --memory-child mode)."""
    workload, implementation, dtype, size = spec.split(":")
    prepare = implementation_of(workload, implementation)
    # A small warm-up run first, so one-time set-up (thread pools, caches) is not counted.
    prepare(**WORKLOADS[workload].make(np.dtype(dtype), min(SMOKE_SIZES[workload], int(size))))()
    run = prepare(**WORKLOADS[workload].make(np.dtype(dtype), int(size)))
    gc.collect()
    _give_back_free_memory()  # so that what the run needs must grow the resident set again
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the kernel's high-water mark, so only the run counts
        before = _resident_kb("VmRSS")
        run()
        peak = _resident_kb("VmHWM")
    except OSError:  # no /proc (not Linux): the high-water mark cannot be reset, so there is no sound number
        print("unavailable")
        return
    print(max(peak - before, 0) / 1024)


def measure(case: Case, implementations: list[str], repeats: int, memory: bool, smoke: bool) -> None:
    """Fill in the measurements of one case, and check every answer against hand-written numpy's.

    The implementations take turns, one run each per round, so a machine that
    is slower for a while slows them all alike and their ratios stay fair.
    """
    available = [i for i in implementations if implementation_of(case.workload, i) is not None]
    warmup = SMOKE_SIZES[case.workload] if smoke else WARMUP_SIZES[case.workload]
    for implementation in available:
        case.measurements[implementation] = Measurement(implementation)
        run_once(case.workload, implementation, case.dtype, min(warmup, case.size))
    answers: dict[str, list[list[np.ndarray]]] = {i: [] for i in available}  # every round's answer
    for _ in range(repeats):
        for implementation in available:
            elapsed, answer = run_once(case.workload, implementation, case.dtype, case.size)
            case.measurements[implementation].times.append(elapsed)
            answers[implementation].append(answer)
    for implementation in available:
        m = case.measurements[implementation]
        notes = (agree(mine, reference, case.dtype, implementation)
                 for mine, reference in zip(answers[implementation], answers["numpy"]))
        m.note = next((note for note in notes if note), "")
        m.agrees = not m.note
        if memory:
            m.peak_mb = peak_memory_mb(case.workload, implementation, case.dtype, case.size)


def format_table(cases: list[Case], implementations: list[str]) -> str:
    """Markdown table: median time, ratio to hand-written numpy, peak memory growth."""
    head = "| workload | dtype | size | " + " | ".join(implementations) + " |"
    rows = [head, "|" + "---|" * (3 + len(implementations))]
    for case in cases:
        cells = []
        for implementation in implementations:
            m = case.measurements.get(implementation)
            if m is None or not m.times:
                cells.append("not run")
                continue
            text = _duration(m.median, case)
            if implementation != "numpy":
                text += f" ({case.ratio(implementation):.2f}x)"
            if m.peak_mb is not None:
                text += f", {m.peak_mb:.1f} MB"
            if m.agrees is False:
                text += " WRONG RESULT"
            cells.append(text)
        rows.append(f"| {case.workload} | {case.dtype} | {case.size:,} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _duration(seconds: float, case: Case) -> str:
    if case.workload == "W5":
        return f"{seconds / case.size * 1e6:.1f} us/iter"
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


# The project's performance targets for tinygrad_edu, as ratios to hand-written numpy in the same run.
RATIO_TARGETS = {("W1", "float64", 10_000): 3.0, ("W2", "float64", 5_000): 2.5, ("W3", "float64", 50): 1.1,
                 ("W3", "float32", 50): 1.1, ("W4", "float64", 100_000): 3.0, ("W5", "float64", 1_000): 3.0}
MEMORY_TARGETS = {"W3": 1.2}  # peak memory as a ratio to hand-written numpy's
W4_MEMORY_LIMIT_MB = 1024  # the million-operation chain


def target_report(cases: list[Case]) -> list[str]:
    """One line per target: what it is, what was measured, met or not."""
    lines = []
    for case in cases:
        ours = case.measurements.get("tinygrad_edu")
        if ours is None or not ours.times:
            continue
        ratio = case.ratio("tinygrad_edu")
        limit = RATIO_TARGETS.get((case.workload, case.dtype, case.size))
        if limit is not None and ratio is not None:
            lines.append(f"{'met' if ratio <= limit else 'NOT met'}: {case.workload} {case.dtype} "
                         f"{case.size:,}: {ratio:.2f}x numpy (target <= {limit}x)")
        if case.workload == "W4" and case.size >= 1_000_000 and ours.peak_mb is not None:
            lines.append(f"{'met' if ours.peak_mb < W4_MEMORY_LIMIT_MB else 'NOT met'}: W4 {case.size:,} "
                         f"completes, peak memory {ours.peak_mb:.0f} MB (target < {W4_MEMORY_LIMIT_MB} MB)")
        torch = case.measurements.get("torch")
        if torch is not None and torch.times:
            faster = ours.median < torch.median
            lines.append(f"{'met' if faster else 'NOT met'}: {case.workload} {case.dtype} {case.size:,}: "
                         f"tinygrad_edu {ours.median / torch.median:.2f}x PyTorch's time (target < 1x)")
        numpy_run = case.measurements.get("numpy")
        memory_limit = MEMORY_TARGETS.get(case.workload)
        if memory_limit and ours.peak_mb and numpy_run and numpy_run.peak_mb:
            ratio_mb = ours.peak_mb / numpy_run.peak_mb
            lines.append(f"{'met' if ratio_mb <= memory_limit else 'NOT met'}: {case.workload} {case.dtype} "
                         f"peak memory {ratio_mb:.2f}x numpy's (target <= {memory_limit}x)")
    return lines


def parse_sizes(text: str, running: list[str], parser: argparse.ArgumentParser) -> dict[str, int]:
    """``W4=1000000,W1=2000`` as {workload: size}; anything else is a usage error."""
    sizes = {}
    for item in text.split(","):
        workload, _, size = item.partition("=")
        if workload not in running:
            parser.error(f"--sizes: {workload!r} is not among the workloads to run ({','.join(running)})")
        if workload in sizes:
            parser.error(f"--sizes: {workload} is given more than one size")
        if not (size.isascii() and size.isdigit()) or int(size) < 1:  # isdigit alone takes '²' and '١'
            parser.error(f"--sizes: {item!r} is not WORKLOAD=SIZE with a whole size of at least 1, e.g. W1=2000")
        sizes[workload] = int(size)
    return sizes


def main() -> int:
    """Run the chosen cases, print the table and the targets; exit status 1 if any answer disagreed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5", help="comma-separated (default: all)")
    parser.add_argument("--implementations", default=",".join(IMPLEMENTATIONS),
                        help="comma-separated from numpy, tinygrad_edu, torch (default: all installed)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (default: 7)")
    parser.add_argument("--dtype", choices=("standard", "float64", "float32"), default="standard",
                        help="standard: the issue's cases (W3 in both dtypes); or every workload in one dtype")
    parser.add_argument("--sizes", help="override sizes, e.g. W4=1000000,W1=2000")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one repeat: check the script runs")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--json", metavar="PATH", help="also write the measurements as JSON")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return 0

    chosen = args.workloads.split(",")
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {sorted(WORKLOADS)}")
    implementations = args.implementations.split(",")
    if any(i not in IMPLEMENTATIONS for i in implementations):
        parser.error(f"unknown implementations in {args.implementations!r}; choose from {IMPLEMENTATIONS}")
    if "numpy" not in implementations:
        implementations.insert(0, "numpy")  # the reference every result is checked against
    if "torch" in implementations and not torch_versions():
        print("PyTorch is not installed: its column is skipped (pip install torch==2.13.0)")
        implementations.remove("torch")

    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.json and (os.path.isdir(args.json) or args.json.endswith(os.sep)):
        parser.error(f"--json {args.json}: give a file to write, not a folder")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        parser.error(f"--json {args.json}: its folder does not exist")
    cases = [c for c in STANDARD_CASES if c[0] in chosen]
    if args.dtype != "standard":
        if args.dtype == "float32" and "W4" in chosen:
            print("W4 is skipped in float32: its chain runs on Python floats, which are float64")
        cases = [(w, args.dtype, n) for w, d, n in cases
                 if d == "float64" and not (w == "W4" and args.dtype != "float64")]
    if not cases:
        parser.error(f"nothing to run for --workloads {args.workloads} --dtype {args.dtype}")
    if args.smoke:
        cases = list(dict.fromkeys((w, d, SMOKE_SIZES[w]) for w, d, _ in cases))
    if args.sizes:
        overrides = parse_sizes(args.sizes, list(dict.fromkeys(w for w, _, _ in cases)), parser)
        cases = list(dict.fromkeys((w, d, overrides.get(w, n)) for w, d, n in cases))
    repeats = 1 if args.smoke else args.repeats

    fewer = sorted({f"{w} at {n:,}: {MAX_REPEATS[w, n]}" for w, _, n in cases
                    if MAX_REPEATS.get((w, n), repeats) < repeats})
    rounds = f"median of {repeats} round{'s' if repeats > 1 else ''} after a warm-up"
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, one BLAS thread; "
          + rounds + (f" ({', '.join(fewer)})" if fewer else "") + "\n")
    results = []
    for workload, dtype, size in cases:
        case = Case(workload, dtype, size)
        print(f"{workload} ({WORKLOADS[workload].description}), {dtype}, size {size:,} ...", flush=True)
        measure(case, implementations, min(repeats, MAX_REPEATS.get((workload, size), repeats)),
                not args.no_memory, args.smoke)
        results.append(case)

    print("\n" + format_table(results, implementations) + "\n")
    wrong = [(c, m) for c in results for m in c.measurements.values() if m.agrees is False]
    for case, m in wrong:
        print(f"WRONG RESULT: {m.implementation} on {case.workload} {case.dtype}: {m.note}")
    if not args.smoke:
        print("Targets (the project's performance goals for tinygrad_edu):")
        print("\n".join(target_report(results)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{**asdict(c), "measurements": {k: {**asdict(m), "median": m.median}
                                                      for k, m in c.measurements.items()}}
                       for c in results], out, indent=2)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
