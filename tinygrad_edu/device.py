"""Devices, answered honestly: tinygrad_edu computes on the CPU with numpy, and nowhere else.

PyTorch code asks where it may run (``torch.cuda.is_available()``,
``torch.accelerator.current_accelerator()``) and moves data there
(``model.to(device)``). Here every question gets the true answer (no CUDA,
no MPS, no accelerator), ``"cpu"`` is accepted wherever a device is, and any
other device is an error that says so, rather than a quiet move to the CPU.
"""

from __future__ import annotations

from typing import Any


class device:  # noqa: N801 (PyTorch's name)
    """A device name, as PyTorch's ``torch.device("cpu")``; only "cpu" can hold Values here."""

    type: str  # noqa: A003 (PyTorch's name)
    index: int | None

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:  # noqa: A002 (PyTorch's name)
        given = type
        if isinstance(type, device):
            given, index = type.type, type.index
        if not isinstance(given, str):
            raise TypeError(f"device: expects a name such as 'cpu', got {given!r}")
        name, _, number = given.partition(":")
        self.type = name
        self.index = int(number) if number else index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


def check_device(where: Any, op: str) -> None:
    """Accept None and the CPU; any other device is an error naming the call."""
    if where is None:
        return
    named = where if isinstance(where, device) else device(where) if isinstance(where, str) else None
    if named is None:
        raise TypeError(f"{op}: a device is a name such as 'cpu', got {where!r}")
    if named.type != "cpu":
        raise RuntimeError(f"{op}: tinygrad_edu computes on the CPU only, so device '{named}' is not available "
                           "(cuda.is_available() is False); use 'cpu'")


class _Cuda:
    """PyTorch's ``torch.cuda``: no CUDA here."""

    @staticmethod
    def is_available() -> bool:
        """False: tinygrad_edu runs on the CPU only."""
        return False

    @staticmethod
    def device_count() -> int:
        """0: no CUDA devices."""
        return 0


class _Mps:
    """PyTorch's ``torch.backends.mps``: no Apple GPU here."""

    @staticmethod
    def is_available() -> bool:
        """False: tinygrad_edu runs on the CPU only."""
        return False

    @staticmethod
    def is_built() -> bool:
        """False."""
        return False


class _Cudnn:
    """PyTorch's ``torch.backends.cudnn``: absent; its switches can be set (tutorials set them) and change nothing."""

    benchmark = False
    deterministic = False
    enabled = False

    @staticmethod
    def is_available() -> bool:
        """False: no cuDNN here."""
        return False


class _Backends:
    """PyTorch's ``torch.backends``: ``mps``, ``cuda`` and ``cudnn``, all absent."""

    mps = _Mps()
    cuda = _Cuda()
    cudnn = _Cudnn()


class _Accelerator:
    """PyTorch's ``torch.accelerator``: no accelerator here."""

    @staticmethod
    def is_available() -> bool:
        """False: tinygrad_edu runs on the CPU only."""
        return False

    @staticmethod
    def current_accelerator(check_available: bool = False) -> None:
        """None: there is no accelerator."""
        return None

    @staticmethod
    def device_count() -> int:
        """0."""
        return 0


cuda = _Cuda()
backends = _Backends()
accelerator = _Accelerator()


def set_default_device(where: Any) -> None:
    """Accept the CPU (the only device); any other is an error."""
    check_device(where, "set_default_device")


def get_default_device() -> device:
    """The CPU."""
    return device("cpu")
