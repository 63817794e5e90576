"""tinygrad_edu.save and load: .npz round trips of module and optimizer state
dicts, the exact path, and clear ValueErrors (and no code run) for every file
that is not a save."""

import os
import pathlib
import pickle
import struct

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, optim


def assert_same_tree(loaded, original):
    """Same keys (as strings) at every level, and equal arrays of the same dtype and shape at the leaves."""
    assert isinstance(loaded, dict)
    assert sorted(loaded) == sorted(str(k) for k in original)
    for key, value in original.items():
        if isinstance(value, dict):
            assert_same_tree(loaded[str(key)], value)
        else:
            expected = np.asarray(value)
            assert isinstance(loaded[str(key)], np.ndarray)
            assert loaded[str(key)].dtype == expected.dtype and loaded[str(key)].shape == expected.shape
            np.testing.assert_array_equal(loaded[str(key)], expected)


def test_module_state_dict_round_trip(tmp_path):
    """A model's state dict comes back with the same names, shapes, dtypes and numbers; loading it reproduces the model."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, bias=False))
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    loaded = tg.load(path)
    assert_same_tree(loaded, model.state_dict())
    tg.manual_seed(1)
    copy = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, bias=False))
    copy.load_state_dict(loaded)
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(copy(x).data, model(x).data)


def test_nested_optimizer_state_round_trip(tmp_path):
    """Nested dicts (an Adam state after a few steps) keep their structure; int keys come back as strings."""
    layer = nn.Linear(2, 3)
    opt = optim.Adam(layer.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        (layer(np.ones((1, 2))) ** 2).sum().backward()
        opt.step()
    checkpoint = {"model": layer.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    tg.save(checkpoint, tmp_path / "ckpt")
    loaded = tg.load(tmp_path / "ckpt")
    assert_same_tree(loaded, checkpoint)
    assert set(loaded["optimizer"]["state"]) == {"0", "1"}
    assert loaded["optimizer"]["hyperparameters"]["betas"].tolist() == [0.9, 0.999]
    assert loaded["epoch"].shape == () and int(loaded["epoch"]) == 3


def test_empty_nested_dict_survives_round_trip(tmp_path):
    """An optimizer that holds no state yet (before its first step, or plain SGD) saves and loads: 'state' stays a dict."""
    p = Value(np.zeros(2))
    state = optim.SGD([p], lr=0.1).state_dict()
    assert state["state"] == {}
    tg.save(state, tmp_path / "sgd.npz")
    loaded = tg.load(tmp_path / "sgd.npz")
    assert loaded.get("state") == {}
    optim.SGD([p], lr=0.3).load_state_dict(loaded)


def test_dtypes_and_values_kept(tmp_path):
    """float32, int, bool and 0-d entries keep their dtype; Values are saved as their data."""
    state = {"f32": np.arange(3, dtype=np.float32), "i": np.array([1, -2]), "b": np.array(True),
             "scalar": 2.5, "value": Value(np.array([[1.0, 2.0]]))}
    tg.save(state, tmp_path / "mixed.npz")
    loaded = tg.load(tmp_path / "mixed.npz")
    assert loaded["f32"].dtype == np.float32 and loaded["i"].dtype.kind == "i" and loaded["b"].dtype == bool
    assert loaded["scalar"].shape == () and float(loaded["scalar"]) == 2.5
    np.testing.assert_array_equal(loaded["value"], [[1.0, 2.0]])


@pytest.mark.parametrize("name", ["weights.bin", "weights", "weights.NPZ", "w.npz.tmp"])
@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_path_is_used_exactly(tmp_path, name, as_path):
    """save writes exactly the given file name (nothing appended), as str or pathlib.Path, and load reads it."""
    target = tmp_path / name
    tg.save({"w": np.ones(2)}, target if as_path else str(target))
    assert sorted(os.listdir(tmp_path)) == [name]
    np.testing.assert_array_equal(tg.load(target if as_path else str(target))["w"], [1.0, 1.0])


def test_save_refuses_what_it_cannot_store(tmp_path):
    """Keys with '/' (the nesting mark) or empty keys are ValueErrors; objects and strings are TypeErrors; nothing is written."""
    with pytest.raises(ValueError):
        tg.save({"a/b": np.ones(1)}, tmp_path / "x.npz")
    with pytest.raises(ValueError):
        tg.save({"": np.ones(1)}, tmp_path / "x.npz")
    with pytest.raises(TypeError):
        tg.save({"w": np.array([object()], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError):
        tg.save({"w": "text"}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("key", ["file", "allow_pickle", "args", "kwds"])
def test_keys_that_name_numpy_arguments_round_trip(tmp_path, key):
    """Keys that np.savez would take as its own arguments are saved and loaded like any other."""
    tg.save({key: np.arange(3.0), "w": np.ones(2)}, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    assert sorted(loaded) == sorted([key, "w"])
    np.testing.assert_array_equal(loaded[key], np.arange(3.0))


@pytest.mark.parametrize("state, message", [
    ({0: np.ones(1), "0": np.zeros(1)}, r"two keys would both be saved as '0'"),
    ({"opt": {1: np.ones(1), "1": {}}}, r"two keys would both be saved as 'opt/1'"),
    ({"__tinygrad_edu_format__": np.ones(1)}, r"'__tinygrad_edu_format__' is reserved"),
    ({"w": np.ones(1), "a\x00b": np.ones(1)}, r"or a NUL character"),
    ({"w": np.ones(1), "k" * 70_000: 1.0}, r"is longer than a zip file allows"),
    ({"w": np.ones(1), "bad\udcff": 1.0}, r"cannot be written as UTF-8"),
    ({"w": np.ones(1), "ragged": [[1, 2], [3]]}, r"cannot make an array of 'ragged'"),
], ids=["top-level", "nested", "reserved", "nul", "too-long", "surrogate", "ragged"])
def test_keys_that_would_collide_are_refused_and_the_old_file_kept(tmp_path, state, message):
    """Keys that would overwrite each other (or the format mark) are a ValueError naming them, raised before
    the file is opened: a save that is there already stays readable and unchanged."""
    path = tmp_path / "x.npz"
    tg.save({"w": np.arange(2.0)}, path)
    with pytest.raises(ValueError, match=message):
        tg.save(state, path)
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(2.0))


# ---------------------------------------------------------------------- files that are not a save


class MakesAFileWhenUnpickled:
    """Unpickling this calls open(path, 'w'): if load ever unpickled, the file would appear."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_file_is_refused_without_running_it(tmp_path):
    """A pickle (of an object whose unpickling would create a file) is a ValueError, and the file is not created."""
    marker = tmp_path / "unpickled"
    path = tmp_path / "model.npz"
    with open(path, "wb") as f:
        pickle.dump({"w": MakesAFileWhenUnpickled(marker)}, f)
    with pytest.raises(ValueError, match="model.npz"):
        tg.load(path)
    assert not marker.exists()


def test_npz_with_an_object_array_is_refused_without_running_it(tmp_path):
    """An .npz carrying save's format mark but holding a pickled object array: ValueError, nothing unpickled."""
    marker = tmp_path / "unpickled"
    path = tmp_path / "evil.npz"
    np.savez(path, __tinygrad_edu_format__=np.array(1),
             w=np.array([MakesAFileWhenUnpickled(marker)], dtype=object))
    with pytest.raises(ValueError):
        tg.load(path)
    assert not marker.exists()


def good_save_bytes(tmp_path):
    tg.save({"w": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}, tmp_path / "good.npz")
    return bytearray((tmp_path / "good.npz").read_bytes())


def truncated(raw):
    return raw[: len(raw) // 2]


def flipped_data_byte(raw):
    raw[raw.rfind(b"\x93NUMPY") + 130] ^= 0xFF  # inside the last array's numbers: the CRC check fails
    return raw


def set_last_entry_field(offset, value):
    """Overwrite a 2-byte field of the last central-directory entry (the zip's table of contents)."""
    def corrupt(raw):
        entry = raw.rfind(b"PK\x01\x02")
        raw[entry + offset: entry + offset + 2] = struct.pack("<H", value)
        return raw
    return corrupt


@pytest.mark.parametrize("corrupt", [
    lambda raw: bytearray(b"\x00\x01garbage" * 10),
    lambda raw: bytearray(),
    truncated,
    flipped_data_byte,
    set_last_entry_field(10, 99),      # compression method 99: unknown
    set_last_entry_field(8, 1),        # "encrypted" flag
    set_last_entry_field(8, 64),       # "strong encryption" flag
], ids=["garbage", "empty", "truncated", "flipped-byte", "unknown-compression", "encrypted-flag",
        "strong-encryption-flag"])
def test_corrupt_files_are_value_errors(tmp_path, corrupt):
    """Garbage, empty, truncated or damaged saves all give one clear ValueError naming the file."""
    raw = corrupt(good_save_bytes(tmp_path))
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="damaged.npz"):
        tg.load(path)


def test_text_file_is_a_value_error(tmp_path):
    """A text file is not a save."""
    path = tmp_path / "weights.txt"
    path.write_text("weight = [1.0, 2.0]\n")
    with pytest.raises(ValueError, match="weights.txt"):
        tg.load(path)


def test_npy_file_is_a_value_error(tmp_path):
    """A single-array .npy file is not a save: ValueError saying so."""
    path = tmp_path / "array.npy"
    np.save(path, np.arange(3.0))
    with pytest.raises(ValueError, match=r"\.npy"):
        tg.load(path)


def test_plain_npz_is_a_value_error(tmp_path):
    """An .npz written by numpy.savez, not by save, is refused as not one of ours."""
    path = tmp_path / "plain.npz"
    np.savez(path, weight=np.ones((2, 2)))
    with pytest.raises(ValueError, match="not one written by tinygrad_edu.save"):
        tg.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    """A path that does not exist is FileNotFoundError, as for open()."""
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nothing.npz")


def test_load_never_allows_pickle(tmp_path, monkeypatch):
    """load calls numpy.load with allow_pickle=False."""
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    tg.save({"w": np.ones(1)}, tmp_path / "ok.npz")
    monkeypatch.setattr(np, "load", spy)
    tg.load(tmp_path / "ok.npz")
    assert calls == [False]


def test_save_writes_a_zip_of_npy_arrays(tmp_path):
    """The file is an ordinary .npz (zip) that numpy itself reads without pickle."""
    tg.save({"w": np.arange(4.0), "opt": {"lr": 0.1}}, tmp_path / "f")
    raw = (tmp_path / "f").read_bytes()
    assert raw[:4] == b"PK\x03\x04"
    with np.load(pathlib.Path(tmp_path / "f"), allow_pickle=False) as archive:
        assert set(archive.files) == {"__tinygrad_edu_format__", "w", "opt/lr"}
        np.testing.assert_array_equal(archive["w"], np.arange(4.0))


def test_save_takes_a_bytes_path(tmp_path):
    """A path given as bytes (as os.fsencode makes) works for save as it does for load."""
    path = os.fsencode(tmp_path / "x.npz")
    tg.save({"w": np.arange(2.0)}, path)
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(2.0))


def test_a_key_ending_in_npy_is_refused(tmp_path):
    """numpy's .npz reader drops a '.npy' ending, so 'w.npy' would come back as 'w': refused, naming it."""
    with pytest.raises(ValueError, match=r"key 'w\.npy' ends in '\.npy'"):
        tg.save({"w": np.ones(1), "w.npy": np.zeros(1)}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- a save that fails half-way


def test_a_save_that_fails_half_way_leaves_the_old_file_and_no_stray_file(tmp_path, monkeypatch):
    """The whole file is built in memory before the path is opened: when writing an array fails (here the
    third), the old save is still there, whole, and no other file appears."""
    path = tmp_path / "x.npz"
    tg.save({"w": np.arange(3.0)}, path)
    real_write = np.lib.format.write_array
    written = []

    def fail_on_the_third(entry, array, **kwargs):
        written.append(array)
        if len(written) == 3:
            raise OSError("No space left on device")
        real_write(entry, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fail_on_the_third)
    with pytest.raises(OSError, match="No space left"):
        tg.save({"w": np.ones(2), "b": np.zeros(4)}, path)
    monkeypatch.undo()
    assert len(written) == 3
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(3.0))
    assert sorted(os.listdir(tmp_path)) == ["x.npz"]


def test_save_refuses_a_missing_folder_a_folder_and_a_swapped_call(tmp_path):
    """A folder that does not exist, a folder as the file, and save(path, state) are errors naming save."""
    with pytest.raises(FileNotFoundError, match="save: the folder .* does not exist"):
        tg.save({"w": np.ones(1)}, tmp_path / "missing" / "x.npz")
    with pytest.raises(IsADirectoryError, match="save: .* is a folder"):
        tg.save({"w": np.ones(1)}, tmp_path)
    with pytest.raises(TypeError, match=r"save: the first argument is the state dict \(a dict\), got str"):
        tg.save(str(tmp_path / "x.npz"), {"w": np.ones(1)})
    assert os.listdir(tmp_path) == []


def test_save_and_load_through_an_open_file():
    """Both take a binary file object as well as a path, as torch.save and torch.load do."""
    import io

    buffer = io.BytesIO()
    tg.save({"w": np.arange(3.0), "opt": {"step": 4}}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    np.testing.assert_array_equal(loaded["w"], np.arange(3.0))
    assert loaded["opt"]["step"] == 4


def write_raw_save(path, entries, format_number=1):
    """A zip laid out like a save (format mark first), with the given (member name, array or bytes) entries."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, content in [("__tinygrad_edu_format__.npy", np.array(format_number)), *entries]:
            with archive.open(name, "w") as entry:
                if isinstance(content, bytes):
                    entry.write(content)
                else:
                    np.lib.format.write_array(entry, content)


@pytest.mark.parametrize("entries, message", [
    ([("a.npy", np.ones(1)), ("a/b.npy", np.ones(1))], "'a' is both an array and a group of entries"),
    ([("a/b.npy", np.ones(1)), ("a.npy", np.ones(1))], "'a' is both an array and a group of entries"),
    ([("a.txt", b"hello")], "its entry 'a.txt' is not a .npy array"),
], ids=["array-then-group", "group-then-array", "not-npy"])
def test_a_save_with_a_broken_layout_is_a_value_error(tmp_path, entries, message):
    """Files marked as saves whose entries contradict each other, or are not arrays, are refused, not
    half-loaded (an IndexError, a silently dropped group, raw bytes)."""
    path = tmp_path / "x.npz"
    write_raw_save(path, entries)
    with pytest.raises(ValueError, match=f"load: cannot read .* as a tinygrad_edu save: {message}"):
        tg.load(path)


def test_a_save_in_another_format_is_refused(tmp_path):
    """The format number is checked: a file marked format 2 is not read as format 1."""
    path = tmp_path / "x.npz"
    write_raw_save(path, [("w.npy", np.ones(1))], format_number=2)
    with pytest.raises(ValueError, match="written in format 2, and this version reads format 1"):
        tg.load(path)


def test_save_writes_through_a_symlink_and_keeps_the_files_mode(tmp_path):
    """Saving over an existing file rewrites that file: a symlink still points at it (now holding the new
    weights) and a private file (mode 0600) stays private, as with torch.save."""
    real = tmp_path / "real.npz"
    tg.save({"w": np.zeros(2)}, real)
    os.chmod(real, 0o600)
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    tg.save({"w": np.ones(2)}, link)
    assert link.is_symlink()
    np.testing.assert_array_equal(tg.load(real)["w"], np.ones(2))
    assert (real.stat().st_mode & 0o777) == 0o600


def test_save_and_load_refuse_files_open_in_text_mode(tmp_path):
    """A file opened with "w" or "r" (text) is a TypeError naming the function and the mode to use."""
    tg.save({"w": np.ones(1)}, tmp_path / "x.npz")
    with open(tmp_path / "y.npz", "w") as text_file:
        with pytest.raises(TypeError, match=r"save: the file is open in text mode; open it in binary mode \('wb'\)"):
            tg.save({"w": np.ones(1)}, text_file)
    with open(tmp_path / "x.npz") as text_file:
        with pytest.raises(TypeError, match=r"load: the file is open in text mode; open it in binary mode \('rb'\)"):
            tg.load(text_file)
