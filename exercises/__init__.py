"""Graded exercises: write the derivative rules of nine operations, and check them.

Start with exercises/README.md. In short: each file below holds Operations
whose forward computation is given and whose derivative rules are yours to
write (each rule raises NotImplementedError until you do); then run

    python -m exercises.check            # every exercise
    python -m exercises.check sigmoid    # one

and the grader (check.py) compares your rules with finite differences,
naming the argument whose rule is wrong, where, and by how much.

  elementwise.py  exp, tanh, sigmoid
  arithmetic.py   div, pow
  reductions.py   sum along an axis, log_softmax
  matrices.py     matmul, and a Linear layer's three rules (input, weight, bias)
  solutions/      the same files, worked (python -m exercises.check --solution NAME prints one)
"""

from typing import Any

# What a rule receives and returns: a numpy array on an ordinary backward
# pass, and a Value when the grader checks second derivatives.
Array = Any
