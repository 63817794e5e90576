"""save and load: state dicts to and from numpy ``.npz`` files, never pickle.

An ``.npz`` file is a zip of ``.npy`` arrays, stored uncompressed. Nested
dicts (an optimizer's state) are stored flat, their keys joined with ``/``.

Loading a file from elsewhere is safe: nothing is ever unpickled (object
arrays are refused), so a file cannot run code; and ``load`` checks the zip's
table of contents and every array's header against the file's size before it
reads any numbers, so a crafted file cannot make it allocate much more memory
than the file itself takes (a compressed entry that would inflate to
gigabytes, or a header claiming a huge shape, is refused first).
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from .device import check_device
from .value import Value

_MARK = "__tinygrad_edu_format__"
_FORMAT = 1
_MAX_HEADER = 4096  # bytes of a .npy header: ours take under 200 (numpy's own limit is 10,000)
_CHUNK = 1 << 16  # the numbers of an array are read 64 KB at a time, straight into the array

PathOrFile = str | bytes | os.PathLike[str] | os.PathLike[bytes] | IO[bytes]


def save(state_dict: dict[Any, Any], path: PathOrFile) -> None:
    """Write a state dict (names to arrays or numbers; dicts of them may nest) to ``path`` (or a binary file).

    Every entry is checked, and the whole file is built in memory, before
    ``path`` is opened: a state dict that cannot be saved leaves an existing
    file as it was. Nothing is pickled: the file holds plain arrays only.
    (PyTorch's ``torch.save`` takes no ``weights_only``, and neither does this.)
    """
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: the first argument is the state dict (a dict), got {type(state_dict).__name__}; "
                        "call save(model.state_dict(), path)")
    _check_target(path, "save", "wb")
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


def load(path: PathOrFile, map_location: Any = None, *, weights_only: bool | None = None) -> dict[str, Any]:
    """Read what ``save`` wrote, from a path or a binary file (numbers come back as 0-d arrays, keys as strings).

    Nothing is ever unpickled, whatever ``weights_only`` says: a save holds
    plain arrays only, so ``weights_only=True`` (PyTorch's safe mode) is what
    this always does, and ``weights_only=False`` is accepted, for code written
    for PyTorch, and changes nothing. ``map_location`` may name the CPU (or be
    None): everything is on the CPU.

    Safe on files from elsewhere: before any array is read, the zip's table
    of contents and every array's header are checked against the file's
    size, so no file can make ``load`` allocate much more than its own size.
    A file that is not such a save, is damaged or crafted gives a ValueError
    saying so.
    """
    _check_target(path, "load", "rb")
    check_device(map_location, "load")
    if weights_only is not None and not isinstance(weights_only, (bool, np.bool_)):
        raise TypeError(f"load: weights_only must be True, False or None, got {weights_only!r}")
    name = "the file" if hasattr(path, "read") else repr(os.fsdecode(path))  # type: ignore[arg-type]
    try:
        if hasattr(path, "read"):
            return _read_archive(path)  # type: ignore[arg-type]
        with open(path, "rb") as file:  # type: ignore[arg-type]
            return _read_archive(file)
    except FileNotFoundError:
        raise
    # A damaged zip can fail in any of these ways, depending on which bytes are hit.
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error,
            struct.error, SyntaxError, RecursionError, MemoryError) as error:
        raise ValueError(f"load: cannot read {name} as a tinygrad_edu save: {error}") from None


def _check_target(path: Any, op: str, mode: str) -> None:
    """A path (str, bytes, os.PathLike) or a binary file; anything else names the call."""
    if isinstance(path, io.TextIOBase):
        raise TypeError(f"{op}: the file is open in text mode; open it in binary mode ({mode!r})")
    method = "write" if op == "save" else "read"
    if not (isinstance(path, (str, bytes, os.PathLike)) or hasattr(path, method)):
        raise TypeError(f"{op}: expects a file name (str or pathlib.Path) or a file open in binary mode "
                        f"({mode!r}), got {type(path).__name__}")


def _read_archive(file: IO[bytes]) -> dict[str, Any]:
    """The arrays of a save, each checked before it is read (see _entries and _read_array)."""
    file.seek(0, os.SEEK_END)
    file_size = file.tell()
    file.seek(0)
    start = file.read(6)
    if start.startswith(b"\x93NUMPY"):
        raise ValueError("it holds a single .npy array, not a tinygrad_edu save")
    if not start.startswith(b"PK\x03\x04"):
        raise ValueError("it is not a zip file (a save is an .npz file: a zip of .npy arrays)")
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        entries = _entries(archive, file, file_size)
        if _MARK not in entries:
            raise ValueError("it is an .npz file, but not one written by tinygrad_edu.save")
        mark = _read_array(archive, entries[_MARK])
        if mark.shape != () or mark.dtype.kind not in "iu":
            raise ValueError(f"its format mark is not a whole number (it holds {mark.dtype} numbers of shape "
                             f"{mark.shape})")
        if mark != _FORMAT:
            raise ValueError(f"it was written in format {mark}, and this version reads format {_FORMAT}")
        flat = {key: _read_array(archive, info) for key, info in entries.items() if key != _MARK}
    return _unflatten(flat)


def _entries(archive: zipfile.ZipFile, file: IO[bytes], file_size: int) -> dict[str, zipfile.ZipInfo]:
    """The zip's entries by array name, once each is known to be an uncompressed .npy stored inside the file.

    save writes only stored (uncompressed) entries, so anything else is
    refused: a compressed entry could inflate to far more than the file. No
    two entries may share bytes, so together they hold at most the file's size.
    """
    entries: dict[str, zipfile.ZipInfo] = {}
    spans = []
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise ValueError(f"its entry {name!r} is not a .npy array")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"its entry {name!r} is compressed (zip method {info.compress_type}); save writes "
                             "only uncompressed entries, and a compressed one could inflate to far more than the file")
        if info.flag_bits & 0x41:
            raise ValueError(f"its entry {name!r} is encrypted")
        if info.file_size != info.compress_size:
            raise ValueError(f"its entry {name!r} claims {info.file_size} bytes stored in {info.compress_size}, "
                             "which an uncompressed entry cannot")
        file.seek(info.header_offset)
        local = file.read(30)  # the entry's own header: its signature, then the lengths of its name and extra field
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise ValueError(f"its entry {name!r} points at no entry header")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        end = start + info.compress_size
        if end > file_size:
            raise ValueError(f"its entry {name!r} claims {info.compress_size} bytes, beyond the end of the file")
        key = name[:-4]
        if key in entries:
            raise ValueError(f"it has two entries named {name!r}")
        entries[key] = info
        spans.append((info.header_offset, end, name))
    spans.sort()
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise ValueError(f"its entries {first!r} and {second!r} overlap in the file")
    return entries


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One entry's array, its header checked against the entry's size before any memory is set aside for it."""
    name = info.filename
    with archive.open(info) as entry:
        # An .npy file: a magic string, the format version, the header's length, the header (a Python dict
        # literal giving dtype, order and shape), then the numbers.
        prefix = entry.read(10)
        version = np.lib.format.read_magic(io.BytesIO(prefix))
        if version == (2, 0):
            prefix += entry.read(2)  # format 2 gives the header's length in 4 bytes, format 1 in 2
        elif version != (1, 0):
            raise ValueError(f"its entry {name!r} is in .npy format {version}, which save does not write")
        header_length = struct.unpack("<H" if version == (1, 0) else "<I", prefix[8:])[0]
        if header_length > _MAX_HEADER:
            raise ValueError(f"its entry {name!r} has a .npy header of {header_length} bytes; save writes headers "
                             f"under {_MAX_HEADER}")
        head = io.BytesIO(prefix + entry.read(header_length))
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        head.seek(8)
        shape, fortran_order, dtype = read_header(head, max_header_size=_MAX_HEADER)
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "biuf":
            raise ValueError(f"its entry {name!r} holds {dtype} numbers; a save holds only booleans, integers and "
                             "floats (never objects, which would need pickle)")
        if any(n < 0 for n in shape):
            raise ValueError(f"its entry {name!r} claims the shape {shape}")
        count = math.prod(shape)
        header_size = len(prefix) + header_length
        if header_size + count * dtype.itemsize != info.file_size:  # Python integers: no overflow
            raise ValueError(f"its entry {name!r} claims an array of shape {shape} and dtype {dtype} "
                             f"({count * dtype.itemsize} bytes), but holds {info.file_size - header_size} bytes")
        array = np.empty(count, dtype)
        raw = array.view(np.uint8)  # the array's bytes, filled as they are read
        done = 0
        while done < raw.size:
            chunk = entry.read(min(_CHUNK, raw.size - done))
            if not chunk:
                raise ValueError(f"its entry {name!r} ends before its numbers do")
            raw[done:done + len(chunk)] = np.frombuffer(chunk, np.uint8)
            done += len(chunk)
        entry.read(1)  # at the end of the entry: zipfile checks the entry's CRC
    if fortran_order:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


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
