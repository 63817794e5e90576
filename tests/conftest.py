"""Hypothesis profiles, chosen with the environment variable HYPOTHESIS_PROFILE.

    ci        (the default) the same examples on every run, enough to matter,
              sized so the whole suite runs in a few minutes on two cores
    dev       few random examples, for a quick loop while editing
    thorough  many random examples, for a long run before a release

    HYPOTHESIS_PROFILE=thorough pytest
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import tinygrad_edu

# deadline=None: a gradcheck on a big example may take a while, and that is not a failure.
COMMON = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])

# derandomize: every run tries the same examples, so a CI failure reproduces.
settings.register_profile("ci", max_examples=30, derandomize=True, database=None, **COMMON)
settings.register_profile("dev", max_examples=8, **COMMON)
settings.register_profile("thorough", max_examples=400, **COMMON)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def fixed_seed():
    """Restart the library's generator before every test, so a test's initial weights do not
    depend on how many layers the tests before it created."""
    tinygrad_edu.manual_seed(0)
