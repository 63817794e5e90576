"""Named hypothesis strategies for shapes, arrays in a domain, and upstream gradients.

Finite differences are only trustworthy where a function is smooth, so the
array strategies keep their elements inside a domain (bounded, finite) and a
margin away from the points where a derivative jumps or blows up: 0 for log,
sqrt, division, relu and abs; the bounds of clip; ties for max and maximum.
The behaviour exactly at those points is tested separately, against PyTorch.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 3  # small arrays: gradcheck costs two forward passes per input element

# ---------------------------------------------------------------------- shapes


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE):
    """Array shapes, including 0-d shapes () and axes of size 1."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3):
    """A tuple of num_shapes shapes that numpy can broadcast together, e.g. ((3, 1), (2, 1, 4))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE
    ).map(lambda result: result.input_shapes)


@st.composite
def broadcast_targets(draw, shape):
    """A shape that ``shape`` broadcasts to: new leading axes, and size-1 axes stretched."""
    leading = draw(st.lists(st.integers(1, MAX_SIDE), max_size=2))
    stretched = [draw(st.integers(1, MAX_SIDE)) if n == 1 else n for n in shape]
    return tuple(leading) + tuple(stretched)


def batch_shapes(min_dims=0, max_dims=2):
    """Leading (batch) shapes for matmul."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE)


sides = st.integers(1, 4)


@st.composite
def matmul_vector_vector(draw):
    """(n,) @ (n,): an inner product, a 0-d result."""
    n = draw(sides)
    return (n,), (n,)


@st.composite
def matmul_vector_matrix(draw):
    """(n,) @ (..., n, p): the vector is read as a row, and that axis is dropped from the result."""
    n, p = draw(sides), draw(sides)
    return (n,), draw(batch_shapes()) + (n, p)


@st.composite
def matmul_matrix_vector(draw):
    """(..., m, n) @ (n,): the vector is read as a column, and that axis is dropped from the result."""
    m, n = draw(sides), draw(sides)
    return draw(batch_shapes()) + (m, n), (n,)


@st.composite
def matmul_matrix_matrix(draw):
    """(m, n) @ (n, p)."""
    m, n, p = draw(sides), draw(sides), draw(sides)
    return (m, n), (n, p)


@st.composite
def matmul_batched(draw):
    """(A..., m, n) @ (B..., n, p) where the batch shapes A and B broadcast, e.g. (2, 1, m, n) @ (3, n, p)."""
    batch_a, batch_b = draw(broadcastable_shapes(2, min_dims=1, max_dims=3))
    m, n, p = draw(sides), draw(sides), draw(sides)
    return batch_a + (m, n), batch_b + (n, p)


# ---------------------------------------------------------------------- elements in a domain


def reals(lo=-2.0, hi=2.0):
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def positive(lo=0.2, hi=3.0):
    """Floats in [lo, hi], lo > 0: for log, sqrt, fractional powers and the base of x ** y."""
    return reals(lo, hi)


def away_from_zero(lo=0.2, hi=3.0):
    """Floats with lo <= |x| <= hi, either sign: for division, relu and abs."""
    return st.tuples(st.sampled_from([-1.0, 1.0]), reals(lo, hi)).map(lambda sv: sv[0] * sv[1])


def away_from(points, margin=0.05, lo=-2.0, hi=2.0):
    """Floats in [lo, hi] at least ``margin`` from every point (the bounds of clip, for example)."""
    return reals(lo, hi).filter(lambda v: all(abs(v - p) >= margin for p in points))


def dyadic(lo=-4, hi=4, denominator=16):
    """Multiples of 1/denominator: exact in float32, so a float32 round trip loses nothing."""
    return st.integers(lo * denominator, hi * denominator).map(lambda k: k / denominator)


def on_grid(offset, lo=-3, hi=3, jitter=0.3):
    """Floats k + offset + u with integer k and |u| <= jitter.

    Elements drawn with offset 0 and with offset 0.5 are always at least
    0.5 - 2 * jitter apart, so ``maximum(x, y)`` never meets a near-tie.
    """
    return st.tuples(st.integers(lo, hi), reals(-jitter, jitter)).map(lambda ku: ku[0] + offset + ku[1])


# ---------------------------------------------------------------------- arrays


def arrays(shape, elements=None):
    """float64 arrays of ``shape`` with the given elements (default: reals in [-2, 2])."""
    return hnp.arrays(np.float64, shape, elements=reals() if elements is None else elements)


def distinct_arrays(shape):
    """float64 arrays whose elements are all different, at least 0.02 apart: max has no ties."""
    return hnp.arrays(np.float64, shape, elements=st.integers(-150, 150).map(lambda k: k / 50), unique=True)


def bool_arrays(shape):
    """Boolean arrays (masks and conditions) of ``shape``."""
    return hnp.arrays(np.bool_, shape)


def upstream_gradients(shape):
    """A gradient arriving from further up the graph: no element is near 0, so none drops out."""
    return hnp.arrays(np.float64, shape, elements=away_from_zero(0.25, 2.0))


def dyadic_upstream_gradients(shape):
    """Upstream gradients that are exact in float32 (for the float32 round trip)."""
    return hnp.arrays(np.float64, shape, elements=dyadic(-2, 2).filter(lambda v: v != 0))
