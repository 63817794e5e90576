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
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            value = dict(enumerate(value))  # a list of dicts (param_groups) is saved as a dict keyed "0", "1", ...
        if isinstance(value, dict):
            assert_same_tree(loaded[str(key)], value)
        else:
            expected = np.asarray(value)
            assert isinstance(loaded[str(key)], np.ndarray)
            assert loaded[str(key)].dtype == expected.dtype and loaded[str(key)].shape == expected.shape
            np.testing.assert_array_equal(loaded[str(key)], expected)


def test_module_state_dict_round_trip(tmp_path):
    """A model's state dict comes back with the same names, shapes, dtypes and numbers; loading it reproduces
    the model."""
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
    assert loaded["optimizer"]["param_groups"]["0"]["betas"].tolist() == [0.9, 0.999]  # the list saved by index
    assert loaded["epoch"].shape == () and int(loaded["epoch"]) == 3
    again = optim.Adam(layer.parameters(), lr=0.5)
    again.load_state_dict(loaded["optimizer"])
    assert again.param_groups[0]["lr"] == 0.01
    np.testing.assert_array_equal(again.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_empty_nested_dict_survives_round_trip(tmp_path):
    """An optimizer that holds no state yet (before its first step, or plain SGD) saves and loads: 'state' stays
    a dict."""
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
    """Keys with '/' (the nesting mark) or empty keys are ValueErrors; objects and strings are TypeErrors; nothing
    is written."""
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


def test_load_never_unpickles(tmp_path, monkeypatch):
    """load reads the arrays itself: neither pickle nor numpy.load (which could be told to unpickle) is called."""
    def forbidden(*args, **kwargs):
        raise AssertionError("load must not unpickle")

    tg.save({"w": np.ones(1), "opt": {"lr": 0.5}}, tmp_path / "ok.npz")
    for module, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (np, "load")]:
        monkeypatch.setattr(module, name, forbidden)
    for weights_only in (None, True, False):
        loaded = tg.load(tmp_path / "ok.npz", weights_only=weights_only)
        assert loaded["w"].tolist() == [1.0] and float(loaded["opt"]["lr"]) == 0.5


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


# ---------------------------------------------------------------------- crafted files: load allocates little


# A bzip2 stream of 4 GiB of zero bytes (3,023 bytes; made with bz2.BZ2Compressor(9) from 64 chunks of 64 MiB),
# stored here zlib-compressed and in base64, since making it takes about a minute. As an entry of an .npz, it
# inflated whole when numpy read the entry's first bytes: the process grew by 4 GB before any check could run.
BZIP2_4GIB_OF_ZEROS = (
    "eNpzisqwNHSMVAuO5ON8dJ8xvs+B4QADA4cCg0GDr5vTAtWVXA3TR+VH5UflR+VH5UflR+VH5UflR+VH5ektf3f1klMMJ/cgy69QmnJq"
    "QVdw906lORoe3pPSnzUAAKDQkXI=")


def bzip2_bomb():
    import base64
    import zlib

    return zlib.decompress(base64.b64decode(BZIP2_4GIB_OF_ZEROS))


def zip_of(entries):
    """A zip file's bytes, written field by field, so that an entry can carry any method, sizes and data:
    entries are (name, method, stored bytes, claimed uncompressed size, CRC)."""
    import zlib

    body, directory = b"", b""
    for name, method, data, size, crc in entries:
        encoded = name.encode()
        if crc is None:
            crc = zlib.crc32(data)
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0)
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, len(body)) + encoded
        body += local + encoded + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return body + directory + end


def npy_bytes(array=None, header=None):
    """An .npy file's bytes: of an array, or a header claiming anything, followed by no numbers."""
    import io

    buffer = io.BytesIO()
    if header is not None:
        np.lib.format.write_array_header_1_0(buffer, header)
    else:
        np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def stored(name, data):
    return (name, 0, data, len(data), None)


MARK = stored("__tinygrad_edu_format__.npy", npy_bytes(np.array(1)))

LOAD_AND_MEASURE = """
import json, resource, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
import tinygrad_edu as tg

tg.load(sys.argv[3])  # a valid save first: the one-time costs of a first load (caches) are not counted
try:  # a safety net, should load ever allocate without limit: 512 MB more address space than now
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (now + (512 << 20), resource.getrlimit(resource.RLIMIT_AS)[1]))
except (OSError, ValueError):
    pass  # no /proc (not Linux): tracemalloc still measures
tracemalloc.start()
try:
    tg.load(sys.argv[2])
    outcome = ("returned", "")
except BaseException as error:
    outcome = (type(error).__name__, str(error))
print(json.dumps({"error": outcome[0], "message": outcome[1], "peak": tracemalloc.get_traced_memory()[1]}))
"""


# What a load costs whatever the file holds: opening the zip and parsing a .npy header (Python's parser
# allocates about 16 KiB for it) peak at about 23 KiB here, so the bound for a crafted file is 10 times its
# size plus this much: far below the megabytes to terabytes its entries claim.
FIXED_COST = 32 << 10


def load_in_a_fresh_process(tmp_path, raw):
    """Write raw bytes as a file, load it in a fresh Python (with a memory limit as a safety net) and return
    what load raised and the peak of memory it allocated, measured by tracemalloc."""
    import json
    import subprocess
    import sys

    path = tmp_path / "crafted.npz"
    path.write_bytes(raw)
    tg.save({"w": np.ones(3)}, tmp_path / "valid.npz")
    root = str(pathlib.Path(tg.__file__).parent.parent)
    done = subprocess.run([sys.executable, "-c", LOAD_AND_MEASURE, root, str(path), str(tmp_path / "valid.npz")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_bzip2_entry_really_is_a_bomb():
    """The crafted stream is 3 KB and inflates to more than any memory check here would allow: its first
    megabyte of output is zeros with more to come (the whole is 4 GiB, measured when it was made)."""
    import bz2

    stream = bzip2_bomb()
    assert len(stream) < 3_100
    inflating = bz2.BZ2Decompressor()
    first = inflating.decompress(stream, max_length=1 << 20)
    assert first == bytes(1 << 20) and not inflating.eof


@pytest.mark.parametrize("method", [zipfile_method for zipfile_method in (12, 8)], ids=["bzip2", "deflate"])
def test_a_compressed_entry_is_refused_before_it_inflates(tmp_path, method):
    """A 3 KB save whose one array is a bzip2 entry inflating to 4 GiB (or a deflate entry): a ValueError saying
    the entry is compressed, raised before any of it is inflated; load's peak allocation stays below 10 times
    the file's size (plus the fixed cost of any load)."""
    import zlib

    if method == 12:
        data = bzip2_bomb()
    else:
        squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = squeezer.compress(bytes(1 << 21)) + squeezer.flush()  # 2 MiB of zeros in about 2 KB
    raw = zip_of([MARK, ("w.npy", method, data, 128, 0)])  # the header claims 128 bytes: it lies
    assert len(raw) < 3_400
    result = load_in_a_fresh_process(tmp_path, raw)
    assert result["error"] == "ValueError", result
    assert "load: cannot read" in result["message"] and "its entry 'w.npy' is compressed" in result["message"]
    assert result["peak"] < 10 * len(raw) + FIXED_COST, result


@pytest.mark.parametrize("shape", [(10**8,), (2**40,), (3, 0, 2**62)], ids=["800MB", "8TB", "overflowing"])
def test_a_header_claiming_a_huge_shape_is_refused_before_allocating(tmp_path, shape):
    """A stored entry whose .npy header claims a huge array but holds 8 bytes of numbers: a ValueError naming
    the shape and the bytes actually there, before any array is allocated (peak below 10 times the file, plus
    the fixed cost of any load)."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    raw = zip_of([MARK, stored("w.npy", npy_bytes(header=header) + bytes(8))])
    result = load_in_a_fresh_process(tmp_path, raw)
    assert result["error"] == "ValueError", result
    if 0 not in shape:
        assert f"claims an array of shape {shape}" in result["message"] and "holds 8 bytes" in result["message"]
    assert result["peak"] < 10 * len(raw) + FIXED_COST, result


def test_overlapping_entries_are_refused(tmp_path):
    """Two entries sharing bytes (the first's numbers hold the whole second entry) would let a file hold more
    arrays than it has bytes: refused, naming both."""
    inner_npy = npy_bytes(np.arange(4.0))
    inner_local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, zlib_crc(inner_npy), len(inner_npy),
                              len(inner_npy), 5, 0) + b"b.npy"
    carried = inner_local + inner_npy
    outer_npy = npy_bytes(np.frombuffer(carried, np.uint8))
    raw = bytearray(zip_of([MARK, stored("a.npy", outer_npy)]))
    # a second directory entry for the local header inside a.npy's numbers
    inner_offset = bytes(raw).index(inner_local)
    directory_start = bytes(raw).index(b"PK\x01\x02")
    end_start = bytes(raw).index(b"PK\x05\x06")
    extra = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, zlib_crc(inner_npy), len(inner_npy),
                        len(inner_npy), 5, 0, 0, 0, 0, 0, inner_offset) + b"b.npy"
    directory = bytes(raw[directory_start:end_start]) + extra
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 3, 3, len(directory), directory_start, 0)
    path = tmp_path / "overlap.npz"
    path.write_bytes(bytes(raw[:directory_start]) + directory + end)
    with pytest.raises(ValueError, match="its entries 'a.npy' and 'b.npy' overlap in the file"):
        tg.load(path)


def zlib_crc(data):
    import zlib

    return zlib.crc32(data)


@pytest.mark.parametrize("entry, message", [
    (stored("w.npy", npy_bytes(header={"descr": [("a", "<f8"), ("b", "<i4")], "fortran_order": False,
                                        "shape": (1,)}) + bytes(12)), "holds [('a', '<f8'), ('b', '<i4')] numbers"),
    (stored("w.npy", npy_bytes(header={"descr": "|O", "fortran_order": False, "shape": (1,)}) + bytes(8)),
     "holds object numbers"),
    (stored("w.npy", npy_bytes(header={"descr": "<c16", "fortran_order": False, "shape": (1,)}) + bytes(16)),
     "holds complex128 numbers"),
    (stored("w.npy", npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (2,)}) + bytes(8)),
     "claims an array of shape (2,) and dtype float64 (16 bytes), but holds 8 bytes"),
    (stored("w.npy", npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (1,)}) + bytes(16)),
     "but holds 16 bytes"),
    (stored("w.npy", npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (-1, -8)}) + bytes(8)),
     "claims the shape (-1, -8)"),
    (stored("w.npy", b"\x93NUMPY\x03\x00" + bytes(20)), "in .npy format (3, 0)"),
    (stored("w.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 60_000) + b"{" * 60_000),
     "has a .npy header of 60000 bytes"),
    (stored("w.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31)), "has a .npy header of 2147483648 bytes"),
    (stored("w.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 3000) + b"{}"), "EOF"),
    (("w.npy", 0, npy_bytes(np.ones(2)), 1 << 30, None), "claims 1073741824 bytes stored in"),
    (stored("w.npy", npy_bytes(np.ones(2))), None),
], ids=["structured", "object", "complex", "too-few-bytes", "too-many-bytes", "negative-shape", "version-3",
        "huge-header", "huge-header-length", "header-beyond-entry", "sizes-disagree", "valid"])
def test_crafted_entries_are_refused_with_clear_errors(tmp_path, entry, message):
    """Each way an entry's header can disagree with what a save holds: a ValueError naming load, the file and
    what is wrong (the last, a valid entry, loads)."""
    path = tmp_path / "crafted.npz"
    path.write_bytes(zip_of([MARK, entry]))
    if message is None:
        np.testing.assert_array_equal(tg.load(path)["w"], np.ones(2))
        return
    with pytest.raises(ValueError, match="load: cannot read .*crafted.npz.* as a tinygrad_edu save") as caught:
        tg.load(path)
    assert message in str(caught.value)


def test_an_entry_beyond_the_end_of_the_file_is_refused(tmp_path):
    """A directory entry whose size runs past the end of the file is refused before anything is read."""
    raw = bytearray(zip_of([MARK, stored("w.npy", npy_bytes(np.ones(2)))]))
    entry = raw.rfind(b"PK\x01\x02")
    raw[entry + 20: entry + 28] = struct.pack("<LL", 10**9, 10**9)  # compressed and uncompressed sizes
    path = tmp_path / "long.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="claims 1000000000 bytes, beyond the end of the file"):
        tg.load(path)


@pytest.mark.parametrize("mark, message", [
    (np.zeros(1, dtype=[("a", "<f8")]), "holds [('a', '<f8')] numbers"),
    (np.array(1.0), "its format mark is not a whole number (it holds float64 numbers of shape ())"),
    (np.array([1, 1]), "its format mark is not a whole number (it holds int64 numbers of shape (2,))"),
], ids=["structured", "float", "two-numbers"])
def test_a_strange_format_mark_is_a_value_error(tmp_path, mark, message):
    """A format mark of a structured dtype (a TypeError inside numpy before), a float or several numbers:
    a ValueError naming load and the file."""
    path = tmp_path / "x.npz"
    path.write_bytes(zip_of([stored("__tinygrad_edu_format__.npy", npy_bytes(mark)),
                             stored("w.npy", npy_bytes(np.ones(1)))]))
    with pytest.raises(ValueError, match="load: cannot read .*x.npz") as caught:
        tg.load(path)
    assert message in str(caught.value)


def test_fortran_ordered_and_large_arrays_round_trip(tmp_path):
    """A transposed (Fortran-ordered) array, a 0-size one and one larger than a read chunk come back exact."""
    rng = np.random.default_rng(0)
    state = {"t": rng.standard_normal((3, 5)).T, "empty": np.zeros((0, 4), np.float32),
             "big": rng.standard_normal(100_000), "flags": np.array([True, False, True])}
    assert state["t"].flags.f_contiguous and not state["t"].flags.c_contiguous
    tg.save(state, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    assert_same_tree(loaded, state)


def test_a_legitimate_save_loads_within_a_small_multiple_of_its_size(tmp_path):
    """Loading allocates about the file's size: a 2,000-entry save (the most overhead per byte) and an 800 KB
    array both load with a peak below 5 times the file."""
    import tracemalloc

    many = {f"k{i}": np.float64(i) for i in range(2000)}
    big = {"w": np.ones(100_000)}
    for state in (many, big):
        path = tmp_path / "x.npz"
        tg.save(state, path)
        tg.load(path)  # one-time costs first
        tracemalloc.start()
        try:
            tg.load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 5 * path.stat().st_size


@pytest.mark.parametrize("call, kind, fragments", [
    (lambda tmp: tg.load(None), TypeError, ("load: expects a file name", "got NoneType")),
    (lambda tmp: tg.load(3), TypeError, ("load: expects a file name", "got int")),
    (lambda tmp: tg.save({"w": np.ones(1)}, None), TypeError, ("save: expects a file name", "got NoneType")),
    (lambda tmp: tg.save({"w": np.ones(1)}, 3), TypeError, ("save: expects a file name", "got int")),
    (lambda tmp: tg.load(tmp / "x.npz", weights_only="yes"), TypeError,
     ("load: weights_only must be True, False or None",)),
    (lambda tmp: tg.load(tmp / "x.npz", map_location="cuda"), RuntimeError, ("load:", "CPU only")),
    (lambda tmp: tg.load(tmp / "x.npz", map_location=7), TypeError, ("load: a device is a name",)),
    (lambda tmp: tg.load(tmp / "x.npz", pickle_module=pickle), TypeError, ("pickle_module",)),
], ids=["load-none", "load-int", "save-none", "save-int", "weights-only-str", "map-cuda", "map-int", "pickle-module"])
def test_bad_arguments_name_save_or_load(tmp_path, call, kind, fragments):
    """None, a number (which open() would take as a file descriptor), a bad weights_only or map_location:
    errors naming the call; nothing is written."""
    from helpers import raises

    tg.save({"w": np.ones(1)}, tmp_path / "x.npz")
    with raises(kind, *fragments):
        call(tmp_path)
    assert os.listdir(tmp_path) == ["x.npz"]


def test_load_takes_pytorch_arguments():
    """weights_only (None, True, False) and map_location='cpu' are accepted, as torch.load's, and change nothing."""
    import io

    buffer = io.BytesIO()
    tg.save({"w": np.arange(2.0)}, buffer)
    for kwargs in ({}, {"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"},
                   {"map_location": tg.device("cpu"), "weights_only": True}):
        buffer.seek(0)
        np.testing.assert_array_equal(tg.load(buffer, **kwargs)["w"], [0.0, 1.0])
