"""save and load: state dicts to and from numpy ``.npz`` files, never pickle.

An ``.npz`` file is a zip of plain arrays, and it is read with
``allow_pickle=False``, so loading a file cannot run code. Nested dicts (an
optimizer's state) are stored flat, their keys joined with ``/``.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np

from .value import Value

_MARK = "__tinygrad_edu_format__"
_FORMAT = 1


def save(state_dict: dict[Any, Any], path: str | os.PathLike[str]) -> None:
    """Write a state dict (names to arrays or numbers; dicts of them may nest) to ``path``."""
    flat = {_MARK: np.array(_FORMAT)}
    _flatten(state_dict, "", flat)
    with open(path, "wb") as file:  # a file object, so numpy does not append ".npz" to the name
        np.savez(file, **flat)


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read what ``save`` wrote (numbers come back as 0-d arrays, keys as strings).

    A file that is not such a save, or is damaged, gives a ValueError saying so.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as file:
            archive = np.load(file, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single .npy array, not a tinygrad_edu save")
            with archive:
                if _MARK not in archive.files:
                    raise ValueError("it is an .npz file, but not one written by tinygrad_edu.save")
                flat = {key: archive[key] for key in archive.files if key != _MARK}
    except FileNotFoundError:
        raise
    # A damaged zip can fail in any of these ways, depending on which bytes are hit.
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
        raise ValueError(f"load: cannot read {name!r} as a tinygrad_edu save: {error}") from None
    return _unflatten(flat)


def _flatten(tree: dict[Any, Any], prefix: str, flat: dict[str, np.ndarray]) -> None:
    for key, value in tree.items():
        key = str(key)
        if not key or "/" in key:
            raise ValueError(f"save: key {key!r} is empty or contains '/', which marks nesting")
        name = prefix + key
        if isinstance(value, dict):
            if not value:
                flat[name + "/"] = np.array(0)  # a key ending in "/" stands for an empty dict
            _flatten(value, name + "/", flat)
            continue
        array = np.asarray(value.data if isinstance(value, Value) else value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save: '{name}' holds {type(value).__name__} of dtype {array.dtype}; "
                            "only numbers and arrays of numbers can be saved")
        flat[name] = array


def _unflatten(flat: dict[str, np.ndarray]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, array in flat.items():
        *path, last = name.split("/")
        node = root
        for part in path:
            node = node.setdefault(part, {})
        if last:
            node[last] = array
    return root
