"""The random number generator the library draws from (initial weights), and ``manual_seed``.

Like PyTorch's default generator, it starts from a fixed seed, so a program
that never calls ``manual_seed`` still gets the same weights on every run.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0

_generator = np.random.default_rng(DEFAULT_SEED)


def manual_seed(seed: int) -> np.random.Generator:
    """Restart the library's generator from ``seed``, so that what follows is reproducible; returns it.

    As in PyTorch, the seed is a 64-bit integer, and a negative one counts as
    its unsigned twin (-1 is the same seed as 2**64 - 1).
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"manual_seed: the seed must be an integer, got {seed!r}")
    if not -2**63 <= seed < 2**64:
        raise ValueError(f"manual_seed: the seed must fit in 64 bits (from -2**63 to 2**64 - 1), got {seed}")
    _generator = np.random.default_rng(int(seed) % 2**64)
    return _generator


def generator() -> np.random.Generator:
    """The numpy Generator that layers draw their initial weights from."""
    return _generator
