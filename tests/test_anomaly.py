"""Anomaly mode: detect_anomaly() names the operation that first made a NaN (or an infinity), and the
line of the user's code that called it; outside it nothing is checked."""

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value


def test_a_nan_made_in_the_forward_pass_names_the_operation_and_the_line():
    x = Value([1.0, 0.0])
    with tg.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"'div' made a NaN.*shape \(2,\).*test_anomaly.py.*x / x"):
            x / x  # 0 / 0 at the second element


def test_an_infinity_made_from_finite_numbers_is_named():
    with tg.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"'exp' made an infinity.*test_anomaly.py"):
            Value([1.0, 1000.0]).exp()


def test_a_nan_that_was_already_there_is_not_blamed_on_the_next_operation():
    with tg.detect_anomaly():
        y = Value([np.nan, 1.0]) * 2
    assert np.isnan(y.data[0])


def test_a_rule_that_turns_numbers_into_nan_during_backward_is_named_with_its_line():
    x = Value([0.0, 4.0])
    with tg.detect_anomaly():
        root = x.sqrt()  # the line the error must name
        loss = (root * 0.0).sum()
        with pytest.raises(FloatingPointError, match=r"rule of 'sqrt'.*NaN.*test_anomaly.py.*x.sqrt\(\)"):
            loss.backward()  # sqrt's rule: 0 / (2 * 0) at x = 0
    assert x.grad is None


def test_outside_anomaly_mode_nothing_is_checked():
    x = Value([0.0, 4.0])
    loss = (x.sqrt() * 0.0).sum()
    with np.errstate(invalid="ignore"):
        loss.backward()
    assert np.isnan(x.grad[0]) and x.grad[1] == 0.0
    assert not tg.is_anomaly_enabled()


def test_backward_in_anomaly_mode_without_a_recorded_line_says_how_to_get_it():
    x = Value([0.0])
    loss = (x.sqrt() * 0.0).sum()
    with tg.detect_anomaly(), pytest.raises(FloatingPointError, match="run the forward pass inside detect_anomaly"):
        loss.backward()


def test_the_modes_as_function_context_manager_and_decorator():
    assert not tg.is_anomaly_enabled()
    tg.set_detect_anomaly(True)
    assert tg.is_anomaly_enabled()
    tg.set_detect_anomaly(False)
    with tg.set_detect_anomaly(True):
        assert tg.is_anomaly_enabled()
    assert not tg.is_anomaly_enabled()

    @tg.detect_anomaly()
    def make_nan():
        assert tg.is_anomaly_enabled()
        return Value([0.0]) / 0.0

    with pytest.raises(FloatingPointError, match="div"):
        make_nan()
    assert not tg.is_anomaly_enabled()
    with pytest.raises(TypeError, match="set_detect_anomaly"):
        tg.set_detect_anomaly("yes")


def test_anomaly_mode_belongs_to_the_thread_that_sets_it():
    seen = []

    def other_thread():
        seen.append(tg.is_anomaly_enabled())
        seen.append(float((Value([0.0]) / 0.0).data[0]))  # no error here

    with tg.detect_anomaly(), np.errstate(invalid="ignore"):
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen[0] is False and np.isnan(seen[1])


def test_grad_in_anomaly_mode_watches_the_rules_too():
    x = Value([0.0])
    with tg.detect_anomaly():
        y = (x.sqrt() * 0.0).sum()
        with pytest.raises(FloatingPointError, match="sqrt"):
            tg.grad(y, x)
