"""tinygrad_edu.utils.data: Dataset, TensorDataset and DataLoader against torch.utils.data, batch by batch
(numbers, dtypes, shapes, the last batch), shuffling from the library's generator, and clear errors."""

from collections import namedtuple

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu.utils.data import DataLoader, Dataset, TensorDataset, default_collate


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare "
                                               "with it)")


def as_numpy(x):
    """A batch (Value, torch tensor, or lists/dicts of them) as nested numpy arrays and plain Python."""
    if isinstance(x, tg.Value):
        return x.data
    if hasattr(x, "detach"):
        return x.detach().numpy()
    if isinstance(x, dict):
        return {k: as_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(as_numpy(v) for v in x) if not hasattr(x, "_fields") else type(x)(*map(as_numpy, x))
    return x


def assert_same_batch(ours, theirs):
    """The same structure (list, dict, namedtuple), and at the leaves equal numbers of the same dtype and shape."""
    assert type(ours) is type(theirs) or (isinstance(ours, tg.Value) and hasattr(theirs, "detach"))
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for k in ours:
            assert_same_batch(ours[k], theirs[k])
    elif isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_batch(a, b)
    elif isinstance(ours, tg.Value):
        mine, reference = as_numpy(ours), as_numpy(theirs)
        assert mine.dtype == reference.dtype and mine.shape == reference.shape
        np.testing.assert_array_equal(mine, reference)
    else:
        assert ours == theirs


def digits_like(n=10, features=3, seed=0):
    """n samples of float32 features and int64 labels, as a small stand-in for a real data set."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)).astype(np.float32), rng.integers(0, 10, n)


# ---------------------------------------------------------------------- against PyTorch, in order


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (10, 5, False),
                                                      (10, 5, True), (10, 1, False), (10, 64, False),
                                                      (10, 64, True), (0, 4, False)])
def test_tensor_dataset_batches_match_pytorch(n, batch_size, drop_last):
    """TensorDataset(X, y) cut into batches in order: the same batches as torch's, to the last element
    (float32 features, int64 labels, the short last batch or none with drop_last), and the same len()."""
    torch = torch_or_skip()
    X, y = digits_like(n)
    ours = DataLoader(TensorDataset(tg.tensor(X), tg.tensor(y)), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                         batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches) == len(ours)
    for a, b in zip(our_batches, their_batches):
        assert_same_batch(a, b)
        assert a[0].dtype == np.float32 and a[1].dtype == np.int64


Point = namedtuple("Point", ["x", "label"])


@pytest.mark.parametrize("samples", [
    [(1, 2.0), (3, 4.0), (5, 6.5)],                                 # ints -> int64, floats -> float64
    [True, False, True],                                            # bools stay bool
    [np.float32(1), np.float32(2), np.float32(3)],                  # numpy numbers keep their dtype
    [np.ones(2, np.float32), np.zeros(2, np.float32), np.arange(2.0, dtype=np.float32)],
    [np.array([1, 2]), np.array([3, 4]), np.array([5, 6])],         # integer arrays stay int64
    [{"a": 1, "b": [1.5, 2]}, {"a": 2, "b": [2.5, 3]}, {"a": 3, "b": [3.5, 4]}],
    [Point(1.0, 1), Point(2.0, 0), Point(3.0, 1)],
    ["cat", "dog", "eel"],
    [(np.ones((2, 2)), "x"), (np.zeros((2, 2)), "y"), (np.ones((2, 2)), "z")],
], ids=["int-float-tuples", "bools", "numpy-scalars", "float32-arrays", "int-arrays", "dicts", "namedtuple",
        "strings", "array-and-string"])
@pytest.mark.parametrize("batch_size", [1, 2])
def test_default_collation_matches_pytorch(samples, batch_size):
    """A list of samples of each kind PyTorch's default collation takes: the same batches, types and dtypes."""
    torch = torch_or_skip()
    ours = list(DataLoader(samples, batch_size=batch_size))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=batch_size))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same_batch(a, b)


def test_tuples_of_values_become_a_list_of_stacked_values():
    """A batch of (x, y) samples is [stacked x, stacked y] (a list, as PyTorch gives): `for xb, yb in loader`."""
    X = tg.tensor(np.arange(12.0).reshape(6, 2))
    y = tg.tensor([0, 1, 2, 3, 4, 5])
    batches = list(DataLoader(TensorDataset(X, y), batch_size=4))
    assert [type(b) for b in batches] == [list, list]
    xb, yb = batches[0]
    np.testing.assert_array_equal(xb.data, np.arange(8.0).reshape(4, 2))
    np.testing.assert_array_equal(yb.data, [0, 1, 2, 3])
    assert yb.dtype == np.int64 and xb.dtype == np.float64
    np.testing.assert_array_equal(batches[1][0].data, [[8.0, 9.0], [10.0, 11.0]])


def test_batch_size_none_gives_samples_one_by_one_like_pytorch():
    """batch_size=None: no batching; numpy arrays become Values, numbers stay numbers (PyTorch's default_convert)."""
    torch = torch_or_skip()
    samples = [1, 2.5, np.arange(3), (np.ones(2), 7)]
    ours = list(DataLoader(samples, batch_size=None))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=None))
    assert len(DataLoader(samples, batch_size=None)) == 4
    for a, b in zip(ours, theirs):
        assert_same_batch(a, b)


def test_gradient_flows_back_through_the_batches():
    """Samples of a Value that requires grad are stacked in the graph: the loss of every batch reaches the Value,
    as in PyTorch (each row's gradient is its own row's)."""
    torch = torch_or_skip()
    X = np.arange(10.0).reshape(5, 2)
    ours, theirs = tg.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    for xb, in DataLoader(TensorDataset(ours), batch_size=2):
        (xb ** 2).sum().backward()
    for xb, in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(theirs), batch_size=2):
        (xb ** 2).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad, 2 * X)


# ---------------------------------------------------------------------- shuffling


def test_shuffle_visits_every_sample_once_per_pass_in_a_new_order():
    """Each pass is a permutation of all samples (in batches of the asked size), and the order changes
    from one pass to the next."""
    data = TensorDataset(tg.arange(50))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    orders = []
    for _ in range(3):
        batches = [b[0].data for b in loader]
        assert [len(b) for b in batches] == [8] * 6 + [2]
        orders.append(np.concatenate(batches))
    for order in orders:
        assert sorted(order.tolist()) == list(range(50))
    assert orders[0].tolist() != orders[1].tolist() != orders[2].tolist()
    assert orders[0].tolist() != list(range(50))


def test_shuffle_with_drop_last_drops_a_random_remainder():
    """With drop_last every pass gives full batches of distinct samples, and len() counts them."""
    loader = DataLoader(list(range(10)), batch_size=3, shuffle=True, drop_last=True)
    assert len(loader) == 3
    for _ in range(3):
        seen = np.concatenate([b.data for b in loader])
        assert len(seen) == 9 and len(set(seen.tolist())) == 9


def test_shuffle_draws_from_the_library_generator():
    """manual_seed fixes the order: the same seed gives the same passes; the permutation is drawn when a pass starts."""
    loader = DataLoader(list(range(20)), batch_size=20, shuffle=True)
    tg.manual_seed(7)
    first = [next(iter(loader)).data.tolist() for _ in range(2)]
    tg.manual_seed(7)
    again = [next(iter(loader)).data.tolist() for _ in range(2)]
    assert first == again
    tg.manual_seed(7)
    assert first[0] == np.random.default_rng(7).permutation(20).tolist()


def test_iteration_restarts_and_passes_are_independent():
    """Every for loop is a new pass; two iterators over one loader do not disturb each other."""
    loader = DataLoader(list(range(5)), batch_size=2)
    assert [b.data.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    assert [b.data.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    a, b = iter(loader), iter(loader)
    assert next(a).data.tolist() == [0, 1]
    assert next(b).data.tolist() == [0, 1]
    assert next(a).data.tolist() == [2, 3]


# ---------------------------------------------------------------------- datasets


def test_a_dataset_subclass_works_like_pytorch():
    """A Dataset subclass with __getitem__ and __len__ returning (array, label) batches as PyTorch's does."""
    torch = torch_or_skip()

    def make(base):
        class Squares(base):
            def __len__(self):
                return 7

            def __getitem__(self, i):
                return np.full(2, i * i, dtype=np.float32), i % 2

        return Squares()

    ours = list(DataLoader(make(Dataset), batch_size=3))
    theirs = list(torch.utils.data.DataLoader(make(torch.utils.data.Dataset), batch_size=3))
    for a, b in zip(ours, theirs, strict=True):
        assert_same_batch(a, b)


def test_tensor_dataset_items_and_length():
    """Item i is the tuple of row i of every Value; len is the first axis; the Values are kept, not copied."""
    X, y = tg.tensor(np.arange(6.0).reshape(3, 2)), tg.tensor([7, 8, 9])
    data = TensorDataset(X, y)
    assert len(data) == 3 and data.tensors[0] is X and data.tensors[1] is y
    x1, y1 = data[1]
    np.testing.assert_array_equal(x1.data, [2.0, 3.0])
    assert y1.item() == 8 and isinstance(data[1], tuple)


def test_tensor_dataset_refuses_mismatched_or_missing_values():
    """Different first lengths, a non-Value, a 0-d Value, nothing at all: errors naming TensorDataset."""
    with raises(ValueError, "TensorDataset", "same length", "(3, 2)", "(2,)"):
        TensorDataset(tg.zeros(3, 2), tg.zeros(2))
    with raises(TypeError, "TensorDataset: argument 1", "ndarray", "tensor(...)"):
        TensorDataset(tg.zeros(3), np.zeros(3))
    with raises(ValueError, "TensorDataset: argument 0 is a 0-d Value"):
        TensorDataset(tg.tensor(1.0))
    with raises(TypeError, "TensorDataset: give at least one Value"):
        TensorDataset()


def test_the_base_dataset_says_what_to_define():
    """A Dataset subclass without __getitem__ fails when read, naming the subclass and the method."""
    class Empty(Dataset):
        def __len__(self):
            return 3

    with raises(NotImplementedError, "Empty", "__getitem__"):
        list(DataLoader(Empty()))


# ---------------------------------------------------------------------- errors


class NoLength(Dataset):
    def __getitem__(self, i):
        return i


@pytest.mark.parametrize("make, kind, fragments", [
    (lambda: DataLoader([1, 2], batch_size=0), ValueError, ("DataLoader: batch_size", ">= 1", "got 0")),
    (lambda: DataLoader([1, 2], batch_size=-3), ValueError, ("batch_size", "got -3")),
    (lambda: DataLoader([1, 2], batch_size=2.0), ValueError, ("batch_size", "got 2.0")),
    (lambda: DataLoader([1, 2], batch_size=True), ValueError, ("batch_size", "got True")),
    (lambda: DataLoader([1, 2], batch_size="4"), ValueError, ("batch_size", "got '4'")),
    (lambda: DataLoader(NoLength(), shuffle=True), TypeError, ("DataLoader", "NoLength", "no __len__")),
    (lambda: DataLoader(NoLength()), TypeError, ("DataLoader", "NoLength", "no __len__")),
    (lambda: DataLoader(iter([1, 2])), TypeError, ("DataLoader: the dataset must support dataset[i]",)),
    (lambda: DataLoader(None), TypeError, ("DataLoader", "NoneType")),
    (lambda: DataLoader([], shuffle=True), ValueError, ("DataLoader: shuffle=True", "empty")),
    (lambda: DataLoader([1], shuffle="yes"), TypeError, ("DataLoader: shuffle must be True or False",)),
    (lambda: DataLoader([1], drop_last=1), TypeError, ("DataLoader: drop_last must be True or False",)),
    (lambda: DataLoader([1], num_workers=-1), ValueError, ("DataLoader: num_workers",)),
    (lambda: DataLoader([1], collate_fn=3), TypeError, ("DataLoader: collate_fn must be a function",)),
    (lambda: DataLoader([1], batch_size=None, drop_last=True), ValueError, ("drop_last=True needs a batch_size",)),
    (lambda: DataLoader([1], sampler=[0]), TypeError, ("sampler",)),
], ids=["batch-0", "batch-negative", "batch-float", "batch-bool", "batch-str", "no-len-shuffle", "no-len",
        "iterator", "none", "empty-shuffle", "shuffle-str", "drop-last-int", "workers", "collate", "none-drop-last",
        "sampler-not-offered"])
def test_bad_arguments_are_clear_errors(make, kind, fragments):
    """Each bad argument is refused when the loader is made, with a message naming DataLoader and the argument."""
    with raises(kind, *fragments):
        make()


def test_collation_errors_name_default_collate():
    """Samples of different lengths, and objects that cannot be batched, are errors naming default_collate."""
    with raises(RuntimeError, "default_collate", "same length", "[2, 1]"):
        list(DataLoader([(1, 2), (3,)], batch_size=2))
    with raises(TypeError, "default_collate", "object"):
        default_collate([object()])
    with raises(ValueError, "stack", "same shape"):
        list(DataLoader([np.ones(2), np.ones(3)], batch_size=2))


def test_an_empty_dataset_in_order_gives_no_batches():
    """Without shuffling an empty dataset is allowed (as in PyTorch): no batches, len 0."""
    loader = DataLoader([], batch_size=3)
    assert len(loader) == 0 and list(loader) == []


def test_collate_fn_and_workers_are_used_as_pytorch():
    """A collate_fn receives the list of samples; num_workers and pin_memory are accepted and change nothing."""
    loader = DataLoader(list(range(5)), batch_size=2, collate_fn=lambda samples: sum(samples), num_workers=2,
                        pin_memory=True)
    assert list(loader) == [1, 5, 4]


def test_import_paths():
    """`from tinygrad_edu.utils.data import ...` and `torch.utils.data....` (without importing utils first, checked
    in a fresh process) both reach the same classes."""
    import subprocess
    import sys

    import tinygrad_edu.utils.data as data

    assert tg.utils.data.DataLoader is DataLoader is data.DataLoader
    assert data.TensorDataset is TensorDataset and data.Dataset is Dataset
    fresh = subprocess.run([sys.executable, "-c", "import tinygrad_edu as torch; print(torch.utils.data.DataLoader)"],
                           capture_output=True, text=True, timeout=60)
    assert "DataLoader" in fresh.stdout, fresh.stderr


def test_names_pytorch_has_and_tinygrad_edu_does_not_offer_say_so():
    import tinygrad_edu.optim.lr_scheduler as schedules

    for get, name in [(lambda: tg.optim.Adagrad, "optim.Adagrad"),
                      (lambda: schedules.CosineAnnealingLR, "optim.lr_scheduler.CosineAnnealingLR"),
                      (lambda: tg.utils.data.random_split, "utils.data.random_split")]:
        with pytest.raises(AttributeError, match=f"does not offer {name}"):
            get()
    with pytest.raises(TypeError, match="samplers are not offered"):
        DataLoader([1, 2, 3], 2, False, object())  # PyTorch's fourth argument is sampler
