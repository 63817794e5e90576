"""Optimizers (one file each) and learning-rate schedules, with PyTorch's names and updates.

  optimizer.py      the base class: parameter groups, per-parameter state, a checked step(), state dicts
  sgd.py            SGD, with momentum, dampening, weight decay and Nesterov momentum
  adam.py           Adam
  adamw.py          AdamW: Adam with decoupled weight decay
  rmsprop.py        RMSprop, plain or centered, with momentum
  lr_scheduler.py   StepLR: learning rates that change with the epochs

Each ``step()`` applies the same update as the PyTorch optimizer of the same
name, in place on each parameter's data. Parameters whose ``grad`` is None
(nothing reached them in the last backward pass) are left alone.
"""

from typing import Any

from ..checks import not_offered
from . import lr_scheduler
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]


def __getattr__(name: str) -> Any:
    """PyTorch's other optimizers are not offered: an error that says so, and lists what is."""
    if not name.startswith("_"):
        raise not_offered(name, "optim", [n for n in __all__ if n != "lr_scheduler"])
    raise AttributeError(f"module 'tinygrad_edu.optim' has no attribute '{name}'")
