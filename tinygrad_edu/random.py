"""The random number generator the library draws from (initial weights), and ``manual_seed``.

Like PyTorch's default generator, it starts from a fixed seed, so a program
that never calls ``manual_seed`` still gets the same weights on every run.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0

_generator = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> None:
    """Restart the library's generator from ``seed``, so that what follows is reproducible."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: the seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def generator() -> np.random.Generator:
    """The numpy Generator that layers draw their initial weights from."""
    return _generator
