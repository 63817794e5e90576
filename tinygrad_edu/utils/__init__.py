"""PyTorch's ``torch.utils``: ``data`` holds datasets and the loader that cuts them into batches."""

from . import data

__all__ = ["data"]
