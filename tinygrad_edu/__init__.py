"""tinygrad_edu: a small, readable autograd engine on numpy for learning backpropagation.

Where things are (read them in this order):
  ops.py            every primitive operation, forward and derivative rules side by side
  value.py          the Value class: making Values, their methods, backward()
  autograd.py       the backward loop (newest Value first), grad(), the in-place check
  nn/, optim/       layers, losses, optimizers and schedules built from those operations
  utils/data.py     Dataset, TensorDataset, DataLoader

Beside the engine, for what a learner can skip at first:
  checks.py         validation of arguments: clear errors before anything changes
  protocols.py      how a Value behaves with Python and numpy (comparisons, copies, printing)
  grad_mode.py      no_grad, enable_grad, inference_mode, detect_anomaly: the thread's modes
  anomaly.py        anomaly mode: which operation first made a NaN
  dtypes.py         float32/float64/int64/int32/bool under PyTorch's names; the default float type
  tensor_api.py     PyTorch's method names on Value (view, unsqueeze, add_, max(dim)...)
  creation.py       tensor, zeros, randn, arange... made the PyTorch way
  functions.py      PyTorch's module-level functions (cat, exp, max...)
  device.py         devices: the CPU, and honest answers about the rest
  gradcheck.py      finite-difference checks of first and second derivatives
  explain.py        explain(): the chain rule printed node by node on any graph
  function.py       autograd.Function: an operation from forward/backward with ctx, as PyTorch's
  random.py         the generator initial weights come from; manual_seed
  serialization.py  save and load state dicts as .npz files
  viz.py            the graph as Graphviz DOT, SVG or PNG, or inline in a notebook (viz.Graph)

``import tinygrad_edu as torch`` gives PyTorch's names for what is offered.
"""

from . import nn, optim, utils, viz
from .autograd import grad
from .creation import (
                       Tensor,
                       arange,
                       as_tensor,
                       empty,
                       empty_like,
                       eye,
                       from_numpy,
                       full,
                       full_like,
                       is_tensor,
                       linspace,
                       ones,
                       ones_like,
                       rand,
                       rand_like,
                       randint,
                       randn,
                       randn_like,
                       randperm,
                       tensor,
                       zeros,
                       zeros_like,
)
from .device import accelerator, backends, cuda, device, get_default_device, set_default_device
from .dtypes import bool_, double, float32, float64, get_default_dtype, int32, int64, long, set_default_dtype
from .explain import explain
from .functions import (
                       abs,
                       amax,
                       amin,
                       argmax,
                       argmin,
                       cat,
                       clamp,
                       clip,
                       concat,
                       cos,
                       exp,
                       flatten,
                       log,
                       log_softmax,
                       logsumexp,
                       matmul,
                       max,
                       mean,
                       min,
                       mm,
                       numel,
                       permute,
                       pow,
                       relu,
                       reshape,
                       sigmoid,
                       sin,
                       softmax,
                       sqrt,
                       squeeze,
                       stack,
                       sum,
                       tanh,
                       transpose,
                       unsqueeze,
)
from .grad_mode import (
                       detect_anomaly,
                       enable_grad,
                       inference_mode,
                       is_anomaly_enabled,
                       is_grad_enabled,
                       no_grad,
                       set_detect_anomaly,
                       set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import Operation, concatenate, maximum, minimum, where
from .random import manual_seed
from .serialization import load, save
from .tensor_api import Size
from .value import Value

# PyTorch's names that are Python's too: torch.float is float32, torch.int int32, torch.bool bool.
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001

__all__ = [
    "Value", "Operation", "concatenate", "maximum", "minimum", "stack", "where",
    "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "manual_seed", "save", "load", "nn", "optim", "viz", "explain",
]
__version__ = "0.1.0"
