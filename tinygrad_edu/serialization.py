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
    """Write a state dict (names to arrays or numbers; dicts of them may nest) to ``path``.

    Every entry is checked before the file is opened, so a state dict that
    cannot be saved leaves an existing file as it was.
    """
    flat = {_MARK: np.array(_FORMAT)}
    _flatten(state_dict, "", flat)
    # The archive np.savez writes (one .npy file per array in an uncompressed
    # zip), written here so that no key can clash with savez's own arguments.
    with zipfile.ZipFile(os.fsdecode(path) if isinstance(path, bytes) else path, "w") as archive:
        for name, array in flat.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


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
    keys = [str(key) for key in tree]
    if len(set(keys)) < len(keys):
        twice = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ValueError(f"save: two keys would both be saved as {prefix + twice!r} (keys are saved as strings)")
    for key in keys:
        if not key or "/" in key:
            raise ValueError(f"save: key {key!r} is empty or contains '/', which marks nesting")
        if key.endswith(".npy"):  # numpy's reader drops that ending, so "w.npy" would come back as "w"
            raise ValueError(f"save: key {key!r} ends in '.npy', which numpy's .npz reader cannot tell apart "
                             f"from {key[:-4]!r}")
        if prefix + key == _MARK:
            raise ValueError(f"save: the key {_MARK!r} is reserved for the file's format")
    for key, value in zip(keys, tree.values()):
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
