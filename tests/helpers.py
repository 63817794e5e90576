"""Helpers shared by the tests: what an error must say (raises), and that a failing call changed nothing
(unchanged)."""

import re
from contextlib import contextmanager

import numpy as np
import pytest


def raises(kind, *fragments):
    """pytest.raises(kind) whose message contains every fragment, literally."""
    return pytest.raises(kind, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


@contextmanager
def unchanged(*values):
    """Assert that the block leaves the data and .grad of every Value as they were."""
    data = [v.data.copy() for v in values]
    grads = [None if v.grad is None else v.grad.copy() for v in values]
    yield
    for v, d, g in zip(values, data, grads):
        np.testing.assert_array_equal(v.data, d)
        if g is None:
            assert v.grad is None
        else:
            np.testing.assert_array_equal(v.grad, g)


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    """Assert a numpy array (or Value) equals a torch tensor to rtol (1e-10 by default), shapes included."""
    from tinygrad_edu import Value

    ours = ours.data if isinstance(ours, Value) else np.asarray(ours)
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
