"""Learning-rate schedules: change each parameter group's ``"lr"`` as the epochs go by.

Call ``scheduler.step()`` once per epoch, after that epoch's
``optimizer.step()`` calls, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, real_number


class LRScheduler:
    """Base class of the schedules: keeps the epoch count and writes each group's new rate into the optimizer.

    Making a scheduler counts as epoch 0: it stores each group's starting
    rate as ``"initial_lr"`` (kept if already there) and sets the rates of
    epoch 0. A subclass defines ``get_lr()``, the rates of epoch
    ``last_epoch``, and lists its settings in ``settings`` (for state dicts).
    """

    settings: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: the first argument is the optimizer whose rates it changes, "
                            f"got {type(optimizer).__name__}")
        if isinstance(last_epoch, (bool, np.bool_)) or not isinstance(last_epoch, (int, np.integer)) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an integer >= -1, got {last_epoch!r}")
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:  # resuming: the optimizer's groups must remember their starting rates
            for g, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(f"{name}: last_epoch={last_epoch} resumes a schedule, but param_groups[{g}] "
                                     "has no 'initial_lr'; load the optimizer's state first, or start from -1")
        self.optimizer = optimizer
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch ``last_epoch``; each schedule defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self) -> None:
        """Move on to the next epoch: set each group's ``"lr"`` to the schedule's rate for it."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group set by the last ``step()`` (or by making the scheduler)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The schedule's settings and position, PyTorch's names: enough to resume it with load_state_dict."""
        state = {key: getattr(self, key) for key in self.settings}
        state.update(base_lrs=list(self.base_lrs), last_epoch=self.last_epoch, _step_count=self._step_count,
                     _last_lr=list(self._last_lr))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (also after save/load); a mismatch raises ValueError.

        Nothing changes unless all of it fits. As in PyTorch, the optimizer's
        rates are not changed here: they come back with the optimizer's own
        load_state_dict.
        """
        name = f"{type(self).__name__}.load_state_dict"
        expected = {*self.settings, "base_lrs", "last_epoch", "_step_count", "_last_lr"}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with {sorted(expected)}, got {got}")
        groups = len(self.optimizer.param_groups)
        rates = {}
        for key in ("base_lrs", "_last_lr"):
            values = state_dict[key]
            if isinstance(values, np.ndarray) and values.ndim == 1:  # a saved file gives arrays for lists
                values = values.tolist()
            if not isinstance(values, (list, tuple)):
                raise ValueError(f"{name}: '{key}' must be a list of rates, got {type(values).__name__}")
            if len(values) != groups:
                raise ValueError(f"{name}: '{key}' holds {len(values)} rates, but the optimizer has {groups} groups")
            rates[key] = [real_number(_item(v), f"{key}[{i}]", name) for i, v in enumerate(values)]
        counts = {}
        for key, low in (("last_epoch", -1), ("_step_count", 0)):
            count = np.asarray(state_dict[key])
            if count.shape or count.dtype.kind not in "iu" or count < low:
                raise ValueError(f"{name}: '{key}' must be an integer >= {low}, got {state_dict[key]!r}")
            counts[key] = int(count)
        settings = self._checked_settings({key: _item(state_dict[key]) for key in self.settings}, name)
        for key, value in {**settings, **rates, **counts}.items():
            setattr(self, key, value)

    def _checked_settings(self, settings: dict[str, Any], call: str) -> dict[str, Any]:
        """The schedule's settings, checked (a ValueError naming ``call``); each schedule checks its own."""
        return settings


class StepLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` every ``step_size`` epochs.

    At epoch e the rate is ``initial_lr * gamma ** (e // step_size)``; as in
    PyTorch it is computed by multiplying the current rate by gamma at each
    multiple of step_size, so a rate changed by hand carries on from there.
    """

    settings = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        checked = self._checked_settings({"step_size": step_size, "gamma": gamma}, "StepLR")
        self.step_size, self.gamma = checked["step_size"], checked["gamma"]
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], call: str) -> dict[str, Any]:
        """step_size is an integer >= 1; gamma a finite real number >= 0."""
        step_size = settings["step_size"]
        if isinstance(step_size, (bool, np.bool_)) or not isinstance(step_size, (int, np.integer)) or step_size < 1:
            raise ValueError(f"{call}: step_size must be an integer >= 1 (epochs between changes), got {step_size!r}")
        return {"step_size": int(step_size), "gamma": real_number(settings["gamma"], "gamma", call)}

    def get_lr(self) -> list[float]:
        """Each group's current rate, times gamma when the epoch is a positive multiple of step_size."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


def _item(value: Any) -> Any:
    """A saved number as a Python number (a file gives 0-d arrays)."""
    return value.item() if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0 else value


def __getattr__(name: str) -> Any:
    """PyTorch's other schedules are not offered: an error that says so, and lists what is."""
    if not name.startswith("_"):
        from ..checks import not_offered

        raise not_offered(name, "optim.lr_scheduler", ["LRScheduler", "StepLR"])
    raise AttributeError(f"module 'tinygrad_edu.optim.lr_scheduler' has no attribute '{name}'")
