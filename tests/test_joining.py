"""stack and concatenate: any iterable of pieces, clear errors, and a backward pass linear in the number
of pieces."""

import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value


def test_stack_of_a_generator_keeps_every_piece():
    """stack(generator) used to drop the leading pieces (a dtype scan consumed them)."""
    values = [Value(float(i)) for i in range(1, 5)]
    stacked = tg.stack(v for v in values)
    assert stacked.tolist() == [1.0, 2.0, 3.0, 4.0]
    (stacked * np.arange(1.0, 5.0)).sum().backward()
    assert [v.grad.item() for v in values] == [1.0, 2.0, 3.0, 4.0]


def test_concatenate_of_a_generator():
    pieces = [Value(np.full(2, float(i))) for i in range(3)]
    joined = tg.concatenate(p for p in pieces)
    assert joined.tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]


@pytest.mark.parametrize("call, message", [
    (lambda: tg.stack(None), "stack: expects a list"),
    (lambda: tg.concatenate(None), "concatenate: expects a list"),
    (lambda: tg.stack([]), "stack: needs at least one"),
    (lambda: tg.concatenate(Value([1.0, 2.0])), "concatenate: expects a list"),
    (lambda: tg.stack([Value([1.0]), Value([1.0, 2.0])]), "stack: every piece must have the same shape"),
    (lambda: tg.concatenate([Value([[1.0]]), Value([1.0])]), "concatenate: every piece"),
    (lambda: tg.concatenate([Value(1.0), Value(2.0)]), "concatenate: cannot join 0-d pieces"),
    (lambda: tg.stack([Value([1.0])], axis=2), "stack: axis 2 is out of range"),
    (lambda: tg.stack([Value([1.0])], axis=1.0), "stack: axis must be an integer"),
])
def test_bad_pieces_are_clear_errors(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


@pytest.mark.parametrize("n", [1, 31, 32, 33, 100, 1025])
@pytest.mark.parametrize("axis", [0, -1])
def test_long_lists_join_correctly_on_any_axis(n, axis):
    """Lists longer than one node takes are joined in groups; the numbers and gradients must not show it."""
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal((2, 3)) for _ in range(n)]
    values = [Value(a) for a in arrays]
    stacked = tg.stack(values, axis=axis)
    joined = tg.concatenate(values, axis=axis)
    np.testing.assert_array_equal(stacked.data, np.stack(arrays, axis=axis))
    np.testing.assert_array_equal(joined.data, np.concatenate(arrays, axis=axis))
    u_stack, u_join = rng.standard_normal(stacked.shape), rng.standard_normal(joined.shape)
    ((stacked * u_stack).sum() + (joined * u_join).sum()).backward()
    expected_stack = np.moveaxis(u_stack, axis, 0)
    expected_join = np.split(u_join, n, axis=axis)
    for i, v in enumerate(values):
        np.testing.assert_allclose(v.grad, expected_stack[i] + expected_join[i], rtol=1e-12)


def backward_seconds(n):
    values = [Value(float(i)) for i in range(n)]
    total = tg.stack(values).sum()
    start = time.perf_counter()
    total.backward()
    return time.perf_counter() - start


def test_the_backward_pass_scales_linearly_with_the_number_of_pieces():
    """8 times the pieces takes about 8 times as long (it was quadratic: 64 times). The ratio of two runs in
    one process is measured, not a time: the best of three runs of each size, and a generous bound (30x)."""
    small = min(backward_seconds(2_000) for _ in range(3))
    large = min(backward_seconds(16_000) for _ in range(3))
    assert large / small < 30, f"16,000 pieces took {large / small:.1f} times as long as 2,000"
