"""Hypothesis profiles, chosen with the environment variable HYPOTHESIS_PROFILE.

    ci        (the default) the same examples on every run, enough to matter,
              sized so the whole suite runs in a few minutes on two cores
    dev       few random examples, for a quick loop while editing
    thorough  many random examples, for a long run before a release

    HYPOTHESIS_PROFILE=thorough pytest
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,  # every run tries the same examples, so CI failures reproduce
    database=None,
    deadline=None,  # a gradcheck on a big example may take a while; that is not a failure
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=8,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
