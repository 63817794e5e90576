"""Count the CPU instructions one step of a workload costs, for hand-written numpy and tinygrad_edu.

    python benchmarks/instructions.py                     # W1, W2, W5
    python benchmarks/instructions.py --workloads W4 --sizes 2000,6000

Wall-clock times on a shared virtual machine can move by a third or more from
one run to the next, which hides a 5% improvement. The number of instructions
executed hardly moves, so it is the measure to compare two versions of the
code with. Each implementation runs under valgrind's callgrind tool at two
sizes; the difference, divided by the difference in size, is the cost of one
step (training step, chain link or iteration) without the start-up. The ratio
of instructions is not the ratio of times (numpy's inner loops run more
instructions per cycle than Python's interpreter), but it moves with it.
Needs valgrind on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
KNOWN_WORKLOADS = ("W1", "W2", "W3", "W4", "W5")  # workloads.py's; not imported, so this script needs no numpy

# Run in the child: build the workload's inputs at the given size and run it once.
CHILD = """
import sys
sys.path.insert(0, {benchmarks!r})
import numpy as np
from workloads import WORKLOADS
workload = WORKLOADS[{workload!r}]
workload.implementations[{implementation!r}](**workload.make(np.float64, {size}))()
"""


def count(workload: str, implementation: str, size: int) -> int:
    """Instructions executed by a whole Python process that runs the workload at ``size``."""
    code = CHILD.format(benchmarks=BENCHMARKS, workload=workload, implementation=implementation, size=size)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                             sys.executable, "-c", code], capture_output=True, text=True, env=env)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind failed on {workload} {implementation}:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    """Count the instructions per step of each chosen workload, hand-written numpy against tinygrad_edu."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="W1,W2,W5", help="comma-separated (default: W1,W2,W5)")
    parser.add_argument("--sizes", default="500,1500", help="the two sizes to run each workload at")
    args = parser.parse_args()
    parts = args.sizes.split(",")
    sizes = [int(n) for n in parts] if all(n.isascii() and n.isdigit() for n in parts) else []
    if len(sizes) != 2 or not 0 < sizes[0] < sizes[1]:
        parser.error(f"--sizes needs two whole sizes, the first smaller, e.g. 500,1500; got {args.sizes!r}")
    unknown = [w for w in args.workloads.split(",") if w not in KNOWN_WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(KNOWN_WORKLOADS)}")
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py needs valgrind (apt-get install valgrind); it is not on the PATH")
    small, large = sizes
    print("| workload | numpy instructions per step | tinygrad_edu instructions per step | ratio |")
    print("|---|---|---|---|")
    for workload in args.workloads.split(","):
        per_step = {}
        for implementation in ("numpy", "tinygrad_edu"):
            extra = count(workload, implementation, large) - count(workload, implementation, small)
            per_step[implementation] = extra / (large - small)
        ratio = per_step["tinygrad_edu"] / per_step["numpy"]
        print(f"| {workload} | {per_step['numpy']:,.0f} | {per_step['tinygrad_edu']:,.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
