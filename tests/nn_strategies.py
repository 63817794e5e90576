"""Named hypothesis strategies for the layer, loss and optimizer tests.

Shapes stay small (batch sizes and feature counts 1 to 4) because gradcheck
runs two forward passes per input element. Elements stay inside the smooth
domain of what is tested: away from 0 for ReLU, probabilities in
(0.05, 0.95) for binary cross entropy.
"""

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Half of the active profile's examples (conftest.py picks the profile with
# HYPOTHESIS_PROFILE): a gradcheck of a whole module is costlier than one of a
# single operation, and the thorough profile still scales this up.
NN_EXAMPLES = max(4, settings.default.max_examples // 2)

features = st.integers(1, 4)
batch_sizes = st.integers(1, 4)
reductions = st.sampled_from(["mean", "sum", "none"])


def batch_shapes(max_dims=2):
    """Leading (batch) axes for a layer's input: () for one example, up to two axes of 1 to 4."""
    return hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=4)


def reals(lo=-2.0, hi=2.0):
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo=0.1, hi=2.0):
    """Floats with lo <= |x| <= hi, either sign: ReLU's kink at 0 is never within reach of eps."""
    return st.tuples(st.sampled_from([-1.0, 1.0]), reals(lo, hi)).map(lambda sv: sv[0] * sv[1])


def arrays(shape, elements=None):
    """float64 arrays of ``shape`` (default elements: reals in [-2, 2])."""
    return hnp.arrays(np.float64, shape, elements=reals() if elements is None else elements)


def probabilities(shape):
    """float64 probabilities in [0.05, 0.95]: binary cross entropy is smooth there."""
    return arrays(shape, reals(0.05, 0.95))


def targets01(shape):
    """float64 targets in [0, 1] (soft labels included)."""
    return arrays(shape, reals(0.0, 1.0))


def upstream_gradients(shape):
    """A gradient arriving from further up: no element near 0, so no element's rule drops out."""
    return arrays(shape, away_from_zero(0.25, 2.0))


@st.composite
def class_problems(draw):
    """(logits, classes): logits (N, C) with integer classes (N,), or unbatched logits (C,) with a class ()."""
    n_classes = draw(st.integers(1, 4))
    batched = draw(st.booleans())
    shape = (draw(batch_sizes),) if batched else ()
    logits = draw(arrays(shape + (n_classes,), reals(-3.0, 3.0)))
    classes = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n_classes - 1)))
    return logits, classes
