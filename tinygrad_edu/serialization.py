"""save and load: state dicts to and from numpy ``.npz`` files, never pickle.

An ``.npz`` file is a zip of plain arrays, and it is read with
``allow_pickle=False``, so loading a file cannot run code. Nested dicts (an
optimizer's state) are stored flat, their keys joined with ``/``.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from .value import Value

_MARK = "__tinygrad_edu_format__"
_FORMAT = 1


def save(state_dict: dict[Any, Any], path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write a state dict (names to arrays or numbers; dicts of them may nest) to ``path`` (or a binary file).

    Every entry is checked, and the whole file is built in memory, before
    ``path`` is opened: a state dict that cannot be saved leaves an existing
    file as it was.
    """
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: the first argument is the state dict (a dict), got {type(state_dict).__name__}; "
                        "call save(model.state_dict(), path)")
    if isinstance(path, io.TextIOBase):
        raise TypeError("save: the file is open in text mode; open it in binary mode ('wb')")
    flat = {_MARK: np.array(_FORMAT)}
    _flatten(state_dict, "", flat)
    if not hasattr(path, "write"):
        target = os.fsdecode(path)
        folder = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"save: the folder {folder!r} does not exist")
        if os.path.isdir(target):
            raise IsADirectoryError(f"save: {target!r} is a folder; give a file name")
    # The archive np.savez writes (one .npy file per array in an uncompressed
    # zip), written here so that no key can clash with savez's own arguments.
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        for name, array in flat.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)
    if hasattr(path, "write"):
        path.write(content.getbuffer())
    else:
        with open(target, "wb") as file:
            file.write(content.getbuffer())


def load(path: str | os.PathLike[str] | IO[bytes]) -> dict[str, Any]:
    """Read what ``save`` wrote, from a path or a binary file (numbers come back as 0-d arrays, keys as strings).

    A file that is not such a save, or is damaged, gives a ValueError saying so.
    """
    if isinstance(path, io.TextIOBase):
        raise TypeError("load: the file is open in text mode; open it in binary mode ('rb')")
    name = repr(os.fsdecode(path)) if not hasattr(path, "read") else "the file"
    try:
        if hasattr(path, "read"):
            return _read_archive(path)
        with open(path, "rb") as file:
            return _read_archive(file)
    except FileNotFoundError:
        raise
    # A damaged zip can fail in any of these ways, depending on which bytes are hit (MemoryError:
    # a damaged header that claims an enormous array).
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error,
            MemoryError) as error:
        raise ValueError(f"load: cannot read {name} as a tinygrad_edu save: {error}") from None


def _read_archive(file: IO[bytes]) -> dict[str, Any]:
    archive = np.load(file, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError("it holds a single .npy array, not a tinygrad_edu save")
    with archive:
        if _MARK not in archive.files:
            raise ValueError("it is an .npz file, but not one written by tinygrad_edu.save")
        if archive[_MARK].shape != () or archive[_MARK] != _FORMAT:
            raise ValueError(f"it was written in format {archive[_MARK]}, and this version reads format {_FORMAT}")
        flat = {key: archive[key] for key in archive.files if key != _MARK}
    strays = [key for key, array in flat.items() if not isinstance(array, np.ndarray)]
    if strays:
        raise ValueError(f"its entry {strays[0]!r} is not a .npy array")
    return _unflatten(flat)


def _flatten(tree: dict[Any, Any], prefix: str, flat: dict[str, np.ndarray]) -> None:
    keys = [str(key) for key in tree]
    if len(set(keys)) < len(keys):
        twice = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ValueError(f"save: two keys would both be saved as {prefix + twice!r} (keys are saved as strings)")
    for key in keys:
        if not key or "/" in key or "\0" in key:
            raise ValueError(f"save: key {key!r} is empty or contains '/' (which marks nesting) or a NUL character")
        try:  # names inside a zip are UTF-8, at most 65,535 bytes
            fits = len((prefix + key + ".npy").encode()) <= 65_535
        except UnicodeEncodeError:
            raise ValueError(f"save: key {key!r} cannot be written as UTF-8") from None
        if not fits:
            raise ValueError(f"save: the name {(prefix + key)[:40]!r}... is longer than a zip file allows")
        if key.endswith(".npy"):  # numpy's reader drops that ending, so "w.npy" would come back as "w"
            raise ValueError(f"save: key {key!r} ends in '.npy', which numpy's .npz reader cannot tell apart "
                             f"from {key[:-4]!r}")
        if prefix + key == _MARK:
            raise ValueError(f"save: the key {_MARK!r} is reserved for the file's format")
    for key, value in zip(keys, tree.values()):
        name = prefix + key
        if isinstance(value, (list, tuple)) and value and all(isinstance(item, dict) for item in value):
            value = dict(enumerate(value))  # a list of dicts (an optimizer's param_groups): saved under "0", "1", ...
        if isinstance(value, dict):
            if not value:
                flat[name + "/"] = np.array(0)  # a key ending in "/" stands for an empty dict
            _flatten(value, name + "/", flat)
            continue
        try:
            array = np.asarray(value.data if isinstance(value, Value) else value)
        except (ValueError, TypeError, RuntimeError) as error:  # a ragged list; a tensor that requires grad
            raise ValueError(f"save: cannot make an array of '{name}': {error}") from None
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
            if not isinstance(node, dict):
                raise ValueError(f"'{part}' is both an array and a group of entries")
        if last:
            if isinstance(node.get(last), dict):
                raise ValueError(f"'{last}' is both an array and a group of entries")
            node[last] = array
    return root
