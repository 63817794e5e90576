"""The modes of the thread: grad mode (whether operations record a graph) and anomaly mode.

Grad mode is on by default. ``no_grad`` turns it off for a block or a function
(for evaluation, and for updating parameters); ``enable_grad`` turns it back
on; ``set_grad_enabled(mode)`` sets it either way; ``inference_mode`` is
PyTorch's faster ``no_grad`` (here the same). Anomaly mode
(``detect_anomaly``, ``set_detect_anomaly``) is off by default; ``anomaly.py``
says what it does. Each flag belongs to the thread that sets it, and the
engine reads both from one place: ``_mode``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Generator
from functools import wraps
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class _Modes(threading.local):
    """The modes of one thread: grad mode on, anomaly mode off, until changed.

    Both live in one tuple, ``state``, so that an operation reads the thread's
    modes once (``recording, watching = _mode.state``): each read of a
    thread's attribute costs several hundred instructions.
    """

    state: tuple[bool, bool] = (True, False)  # (grad mode, anomaly mode)

    @property
    def enabled(self) -> bool:
        """Grad mode: whether operations record a graph."""
        return self.state[0]

    @enabled.setter
    def enabled(self, on: bool) -> None:
        self.state = (on, self.state[1])

    @property
    def anomaly(self) -> bool:
        """Anomaly mode: whether operations check their results (see anomaly.py)."""
        return self.state[1]

    @anomaly.setter
    def anomaly(self, on: bool) -> None:
        global anomaly_threads
        if on != self.state[1]:
            anomaly_threads += 1 if on else -1
        self.state = (self.state[0], on)


_mode = _Modes()

# How many threads are in anomaly mode: while none is, backward() need not read its thread's modes.
anomaly_threads = 0


def is_grad_enabled() -> bool:
    """True when operations in this thread record the graph for backpropagation."""
    return _mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode and restores it on exit.

    Works as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``.
    """

    enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        if func is None:
            return super().__new__(cls)
        return super().__new__(cls)(func)  # used as a bare decorator: @no_grad

    def __enter__(self) -> None:
        self._previous = _mode.enabled
        _mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _mode.enabled = self._previous

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):
            return self._around_each_step(func)  # type: ignore[return-value]

        @wraps(func)
        def with_mode(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return with_mode  # type: ignore[return-value]

    def _around_each_step(self, func: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
        """A generator function whose body runs in this mode each time it is resumed (calling it only
        creates the generator), while the caller's code between items keeps the caller's mode."""
        mode = type(self)

        @wraps(func)
        def generator_with_mode(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            inner = func(*args, **kwargs)
            try:
                with mode():
                    item = next(inner)
                while True:
                    try:
                        sent = yield item
                    except GeneratorExit:  # the caller closed us: let the body's finally blocks run in the mode
                        with mode():
                            inner.close()
                        raise
                    except BaseException as error:  # thrown in by the caller: the body may handle it
                        with mode():
                            item = inner.throw(error)
                    else:
                        with mode():
                            item = inner.send(sent)
            except StopIteration as finished:
                return finished.value

        return generator_with_mode


class no_grad(_SetGradMode):
    """Operations inside ``with no_grad():`` (or a function decorated with it) record no graph.

    Their results have ``requires_grad=False``, so nothing can backpropagate
    through them: use it for evaluation and for updating parameters.
    """

    enabled = False


class enable_grad(_SetGradMode):
    """Turn graph recording back on inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled:
    """Turn graph recording on (True) or off (False), as PyTorch's function of the same name.

    Called on its own, ``set_grad_enabled(False)`` changes the mode for the rest
    of the thread. As ``with set_grad_enabled(mode):`` the previous mode comes
    back at the end of the block, and as a decorator ``@set_grad_enabled(mode)``
    the function runs in that mode (like ``no_grad``/``enable_grad``).
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self.enabled = bool(mode)
        self._previous = _mode.enabled
        _mode.enabled = self.enabled

    def __enter__(self) -> None:
        """Set the mode (again: it may have changed since this object was made)."""
        _mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _mode.enabled = self._previous

    def __call__(self, func: F) -> F:
        """Used as a decorator: the mode set on creation is undone, and ``func`` gets the mode for its calls."""
        _mode.enabled = self._previous
        return (enable_grad if self.enabled else no_grad)()(func)


class inference_mode(_SetGradMode):
    """PyTorch's faster ``no_grad`` for evaluation; here it is ``no_grad`` (nothing is recorded either way).

    ``inference_mode(False)`` turns graph recording on, as PyTorch's does (like ``enable_grad``).
    """

    enabled = False

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # used as a bare decorator: @inference_mode
            return no_grad()(mode)
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"inference_mode: mode must be True or False, got {mode!r}")
        made = super().__new__(cls)
        made.enabled = not mode
        return made

    def __call__(self, func: F) -> F:
        """Used as a decorator: ``func`` runs in this mode (no_grad's, or enable_grad's for False)."""
        return (enable_grad if self.enabled else no_grad)()(func)


# ---------------------------------------------------------------------- anomaly mode


def is_anomaly_enabled() -> bool:
    """True when anomaly mode is on in this thread (see ``detect_anomaly``)."""
    return _mode.anomaly


class set_detect_anomaly:
    """Turn anomaly mode on (True) or off (False) in this thread, as PyTorch's function of the same name.

    Called on its own it changes the mode for the rest of the thread; as
    ``with set_detect_anomaly(True):`` the previous mode comes back after the
    block.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_detect_anomaly: mode must be True or False, got {mode!r}")
        self._previous = _mode.anomaly
        self._on = bool(mode)
        _mode.anomaly = self._on

    def __enter__(self) -> None:
        _mode.anomaly = self._on

    def __exit__(self, *exc_info: object) -> None:
        _mode.anomaly = self._previous


class detect_anomaly:
    """Find the operation that made a NaN: ``with detect_anomaly():`` or ``@detect_anomaly()``.

    (``check_nan=False`` turns the checks off: anomaly mode here is the checks and the
    record of where Values were made, which serves only them.)

    Inside it, an operation whose result is NaN where its arguments had none,
    or infinite where they were finite, raises at once, naming itself, the
    shapes of its arguments and the line of your code that called it; so does
    a derivative rule whose gradient turns NaN during ``backward()``. Each
    Value made inside remembers where it was made, which costs time: use it
    to debug, not to train.
    """

    def __init__(self, check_nan: bool = True) -> None:
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"detect_anomaly: check_nan must be True or False, got {check_nan!r}")
        self._on = bool(check_nan)

    def __enter__(self) -> None:
        self._previous = _mode.anomaly
        _mode.anomaly = self._on

    def __exit__(self, *exc_info: object) -> None:
        _mode.anomaly = self._previous

    def __call__(self, func: F) -> F:
        @wraps(func)
        def in_anomaly_mode(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self._on):
                return func(*args, **kwargs)

        return in_anomaly_mode  # type: ignore[return-value]
