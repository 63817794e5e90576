"""Datasets and the DataLoader that cuts them into batches, under PyTorch's names (``torch.utils.data``).

A dataset is anything with ``len(dataset)`` and ``dataset[i]`` for i from 0 to
len - 1: a list works, and so does ``TensorDataset(X, y)``, whose item i is
``(X[i], y[i])``. A ``DataLoader`` visits the indices in order (or, with
``shuffle=True``, in a new random order on every pass), takes ``batch_size``
of them at a time, and joins the items into one batch: Values are stacked
along a new first axis, numbers become a Value, and tuples, lists and dicts
are joined element by element (``collate``).

    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for xb, yb in loader:          # xb: 64 rows of X, yb: the matching labels
        ...

Shuffling draws from the library's generator (``manual_seed``), so the same
seed gives the same order on every run, though not PyTorch's order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .. import creation, dtypes, functions, random
from ..checks import describe
from ..value import Value

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate", "default_convert"]


class Dataset:
    """A collection of samples: subclasses define ``__getitem__(i)`` (sample i) and ``__len__()`` (how many).

    The base class holds nothing; it names the two methods a DataLoader
    calls. As in PyTorch it defines no ``__len__`` of its own, so a subclass
    that forgets it is told so by the DataLoader.
    """

    def __getitem__(self, index: int) -> Any:
        """Sample ``index``; every subclass must say what that is."""
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __getitem__(self, index) "
                                  "(and __len__(self)) to say what its samples are")


class TensorDataset(Dataset):
    """Samples cut along the first axis of one or more Values: item i is ``(values[0][i], values[1][i], ...)``.

    Every Value must have the same length along its first axis (the number
    of samples); they are kept, not copied, in ``tensors``.
    """

    tensors: tuple[Value, ...]

    def __init__(self, *tensors: Value) -> None:
        if not tensors:
            raise TypeError("TensorDataset: give at least one Value, e.g. TensorDataset(X, y)")
        for i, v in enumerate(tensors):
            if not isinstance(v, Value):
                raise TypeError(f"TensorDataset: argument {i} is {describe(v)}, not a Value; make one with "
                                "tensor(...)")
            if v.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d Value; the samples are cut along the "
                                 "first axis, so every Value needs at least one")
        lengths = [v.shape[0] for v in tensors]
        if any(n != lengths[0] for n in lengths):
            shapes = ", ".join(str(v.shape) for v in tensors)
            raise ValueError(f"TensorDataset: every Value must have the same length along the first axis "
                             f"(the number of samples); got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Value, ...]:
        """``(v[index] for v in tensors)``, as a tuple."""
        return tuple(v[index] for v in self.tensors)

    def __len__(self) -> int:
        """The number of samples: the length of the first axis."""
        return self.tensors[0].shape[0]


def default_collate(batch: Sequence[Any]) -> Any:
    """Join a list of samples into one batch, as PyTorch's default collation does.

    - Values are stacked along a new first axis (``stack``): n samples of shape
      s give a batch of shape (n, *s), of the same dtype, recording the stack
      in the graph when a sample requires grad.
    - numpy arrays and numpy numbers become Values first, keeping their dtype.
    - Python floats become a float64 Value, ints an int64 Value, bools a bool Value.
    - Strings are returned as they came (the list of strings).
    - dicts are joined key by key; tuples and lists element by element, giving
      a list (PyTorch's choice, also for tuples: ``xb, yb = batch`` works either way).
    """
    first = batch[0]
    if isinstance(first, Value):
        return functions.stack(list(batch), 0)
    if isinstance(first, np.ndarray) and first.dtype.kind in "biuf":
        return default_collate([creation.as_tensor(b) for b in batch])
    if isinstance(first, np.generic) and np.asarray(first).dtype.kind in "biuf":
        return creation.tensor(np.array(batch))
    if isinstance(first, float):
        return creation.tensor(list(batch), dtype=dtypes.float64)
    if isinstance(first, int):  # bools too: tensor() keeps them bool, as PyTorch's collation does
        return creation.tensor(list(batch))
    if isinstance(first, (str, bytes)):
        return batch  # as it came: a list at the top, a tuple inside a tuple sample (PyTorch's behaviour)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple keeps its type
        return type(first)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(first, Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError(f"default_collate: every sample of a batch must have the same length; got "
                               f"lengths {[len(sample) for sample in batch]}")
        return [default_collate(field) for field in zip(*batch)]
    raise TypeError(f"default_collate: a batch can hold Values, numpy arrays, numbers, strings, dicts, tuples or "
                    f"lists; found {describe(first)}")


def default_convert(sample: Any) -> Any:
    """One sample as a loader gives it without batching (``batch_size=None``): numpy arrays become Values."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind in "biuf":
        return creation.as_tensor(sample)
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(field) for field in sample))
    if isinstance(sample, (tuple, list)):
        return [default_convert(field) for field in sample]
    return sample


class DataLoader:
    """Batches of a dataset, one pass per ``for`` loop: ``for xb, yb in DataLoader(data, batch_size=64)``.

    Each pass takes the indices 0 .. len(dataset) - 1 in order, or with
    ``shuffle=True`` in a new random permutation (drawn from the library's
    generator when the pass starts), cuts them into groups of ``batch_size``
    and joins each group's samples with ``collate_fn`` (``default_collate``
    unless given). The last batch is smaller when ``batch_size`` does not
    divide the number of samples, unless ``drop_last=True`` leaves it out.
    ``batch_size=None`` gives the samples one by one, unjoined.
    ``len(loader)`` is the number of batches a pass gives.

    ``num_workers`` and ``pin_memory`` are accepted for code written for
    PyTorch and change nothing: batches are always made in this process, on
    the CPU.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False) -> None:
        if sampler is not None or batch_sampler is not None:  # PyTorch's positions, so arguments land right
            raise TypeError("DataLoader: samplers are not offered by tinygrad_edu; use shuffle=True for a random "
                            "order each pass")
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must support dataset[i] (a Dataset, a TensorDataset, a "
                            f"list...), got {describe(dataset)}")
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) has no __len__, so the loader "
                            "cannot know which indices to draw (in order or shuffled); define __len__ on it")
        if batch_size is not None and (isinstance(batch_size, (bool, np.bool_))
                                       or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a whole number >= 1 (or None for samples one by "
                             f"one), got {batch_size!r}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last), ("pin_memory", pin_memory)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a whole number >= 0, got {num_workers!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of a list of samples, got "
                            f"{describe(collate_fn)}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: drop_last=True needs a batch_size (with batch_size=None there are no "
                             "batches to drop)")
        if shuffle and len(dataset) == 0:
            raise ValueError("DataLoader: shuffle=True needs a dataset with at least one sample; this one is empty")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None else default_convert)
        self.pin_memory = bool(pin_memory)
        self.drop_last = bool(drop_last)

    def __len__(self) -> int:
        """How many batches a pass gives: len(dataset) / batch_size, rounded up (down with drop_last)."""
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        """One pass over the dataset, batch by batch; every ``for`` loop starts a new pass."""
        n = len(self.dataset)
        if self.shuffle:
            order = [int(i) for i in random.generator().permutation(n)]
        else:
            order = list(range(n))
        if self.batch_size is None:
            for i in order:
                yield self.collate_fn(self.dataset[i])
            return
        size = self.batch_size
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            yield self.collate_fn([self.dataset[i] for i in order[start:start + size]])

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


def __getattr__(name: str) -> Any:
    """PyTorch's other data tools (samplers, random_split, Subset...) are not offered: an error that says so."""
    if not name.startswith("_"):
        from ..checks import not_offered

        raise not_offered(name, "utils.data", __all__)
    raise AttributeError(f"module 'tinygrad_edu.utils.data' has no attribute '{name}'")
