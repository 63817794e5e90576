"""Parameter: a Value that a Module counts among its parameters, whether or not it requires grad.

A module's parameters are found by walking its attributes (see module.py).
Any leaf Value that requires grad counts; a Parameter counts even when it is
frozen (``requires_grad_(False)``), as PyTorch's registered parameters do, so
freezing a layer does not drop its weights from ``parameters()`` or
``state_dict()``. A constant such as ``tensor([1.0, 2.0])`` kept on a module
is neither.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import get_default_dtype
from ..value import Value, share_version


class Parameter(Value):
    """A leaf Value meant to be trained: ``Parameter(tensor)`` shares the tensor's numbers and requires grad.

    Like PyTorch's ``nn.Parameter``: made from a Value it shares that Value's
    array (no copy) and is a new leaf, whatever graph the Value came from;
    made from numbers, a list or a numpy array it copies them as ``Value(...)``
    does. ``Parameter()`` is an empty float Value. Operations on a Parameter
    give plain Values.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=get_default_dtype())
        if not isinstance(data, Value):
            super().__init__(data, requires_grad=requires_grad)
            return
        if requires_grad and data.data.dtype.kind != "f":
            raise RuntimeError(f"Parameter: only float Values can require gradients, this one holds "
                               f"{data.data.dtype} (pass requires_grad=False to keep it as it is)")
        super().__init__(0.0, requires_grad=requires_grad)
        self.data = data.data  # shared, as PyTorch's Parameter shares the tensor's storage
        share_version(self, data)  # so an in-place change through either is seen by the other

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
