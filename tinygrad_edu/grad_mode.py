"""Grad mode: whether operations record the graph that backpropagation needs.

On by default. ``no_grad`` turns it off for a block or a function (for
evaluation, and for updating parameters); ``enable_grad`` turns it back on;
``set_grad_enabled(mode)`` sets it either way.
The flag belongs to the thread that sets it.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Generator
from functools import wraps
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    """Whether operations record a graph; one flag per thread, on by default."""

    enabled = True


_mode = _GradMode()


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
