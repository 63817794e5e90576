"""tinygrad_edu: a small, readable autograd engine on numpy for learning backpropagation.

Where things are:
  value.py          the Value class: making Values, their methods, backward()
  ops.py            every primitive operation, forward and derivative rules side by side
  autograd.py       the backward loop (newest Value first), grad()
  grad_mode.py      no_grad, enable_grad, set_grad_enabled: whether operations record a graph
  gradcheck.py      finite-difference checks of first and second derivatives
  nn/               Module, Sequential, Linear, activations, losses
  optim.py          SGD and Adam
  random.py         the generator initial weights come from; manual_seed
  serialization.py  save and load state dicts as .npz files
  viz.py            the graph as Graphviz DOT, SVG or PNG
"""

from . import nn, optim, viz
from .autograd import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import Operation, concatenate, maximum, minimum, stack, where
from .random import manual_seed
from .serialization import load, save
from .value import Value

__all__ = [
    "Value", "Operation", "concatenate", "maximum", "minimum", "stack", "where",
    "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "manual_seed", "save", "load", "nn", "optim", "viz",
]
__version__ = "0.1.0"
