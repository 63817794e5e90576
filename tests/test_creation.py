"""Making Values the PyTorch way (tensor, zeros, randn, arange...) and the device questions, against PyTorch:
dtypes, shapes, values, requires_grad; random draws come from our generator, so only their shapes, dtypes
and distributions are compared."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare with it)")

# PyTorch's default float type is float32 and ours float64: compare with torch's default set to float64.


@pytest.fixture(autouse=True)
def torch_default_float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def same(ours, theirs):
    assert isinstance(ours, Value)
    expected = theirs.detach().numpy()
    assert ours.data.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours.data, expected)
    assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("data", [
    1.5, 3, True, [1, 2, 3], [1.0, 2.0], [[1, 2], [3, 4]], [True, False], [1, 2.5],
    np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float32), np.arange(6).reshape(2, 3),
], ids=repr)
def test_tensor_infers_pytorchs_dtype(data):
    same(tg.tensor(data), torch.tensor(data))


def test_tensor_options():
    same(tg.tensor([1, 2], dtype=tg.float32), torch.tensor([1, 2], dtype=torch.float32))
    same(tg.tensor([1.7, -2.2], dtype=tg.long), torch.tensor([1.7, -2.2], dtype=torch.long))
    same(tg.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True))
    same(tg.tensor(2.0, dtype=float), torch.tensor(2.0, dtype=float))
    assert tg.tensor([1.0], device="cpu").tolist() == [1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        tg.tensor([1.0], device="cuda")
    with pytest.raises(TypeError, match="uint8"):
        tg.tensor(np.array([1], dtype=np.uint8))
    with pytest.raises(ValueError, match="tensor.*array"):
        tg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="tensor"):
        tg.tensor("abc")


def test_tensor_copies_and_as_tensor_and_from_numpy_share():
    array = np.array([1.0, 2.0])
    copied, shared, from_np = tg.tensor(array), tg.as_tensor(array), tg.from_numpy(array)
    array[0] = 9.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [9.0, 2.0] and from_np.tolist() == [9.0, 2.0]
    v = tg.tensor([1.0])
    assert tg.as_tensor(v) is v
    assert tg.as_tensor(v, dtype=tg.float32).dtype == np.float32
    with pytest.raises(TypeError, match="from_numpy"):
        tg.from_numpy([1.0])


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_filled_values(name):
    same(getattr(tg, name)(2, 3), getattr(torch, name)(2, 3))
    same(getattr(tg, name)((2, 3), dtype=tg.int64), getattr(torch, name)((2, 3), dtype=torch.int64))
    same(getattr(tg, name)([4], requires_grad=True), getattr(torch, name)([4], requires_grad=True))
    assert tg.zeros(0).shape == (0,)
    same(getattr(tg, f"{name}_like")(tg.tensor([[1, 2]])), getattr(torch, f"{name}_like")(torch.tensor([[1, 2]])))


def test_full_empty_and_their_likes():
    same(tg.full((2, 2), 7), torch.full((2, 2), 7))
    same(tg.full((2,), 1.5), torch.full((2,), 1.5))
    same(tg.full((2,), True), torch.full((2,), True))
    same(tg.full_like(tg.tensor([1.0, 2.0]), 3), torch.full_like(torch.tensor([1.0, 2.0]), 3))
    assert tg.empty(2, 3).shape == (2, 3) and tg.empty(2).dtype == np.float64
    assert tg.empty_like(tg.tensor([1, 2])).dtype == np.int64
    with pytest.raises(ValueError, match="zeros"):
        tg.zeros(-1)


def test_ranges():
    same(tg.arange(5), torch.arange(5))
    same(tg.arange(1, 4), torch.arange(1, 4))
    same(tg.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25))
    same(tg.arange(5, dtype=tg.float32), torch.arange(5, dtype=torch.float32))
    np.testing.assert_allclose(tg.linspace(-1, 1, 5).data, torch.linspace(-1, 1, 5).numpy(), rtol=1e-15)
    assert tg.linspace(0, 1, 3).dtype == np.float64
    same(tg.eye(3), torch.eye(3))
    same(tg.eye(2, 3), torch.eye(2, 3))
    with pytest.raises(ValueError, match="step"):
        tg.arange(0, 1, 0)


def test_random_values_have_pytorchs_shapes_dtypes_and_distributions():
    tg.manual_seed(1)
    normal = tg.randn(200_000)
    assert normal.dtype == np.float64 and not normal.requires_grad
    assert abs(normal.data.mean()) < 0.01 and abs(normal.data.std() - 1) < 0.01
    uniform = tg.rand(2, 100_000)
    assert uniform.shape == (2, 100_000) and 0 <= uniform.data.min() and uniform.data.max() < 1
    assert abs(uniform.data.mean() - 0.5) < 0.01
    integers = tg.randint(3, 7, (1000,))
    assert integers.dtype == np.int64 and set(integers.tolist()) == {3, 4, 5, 6}
    assert tg.randint(5, size=(2, 2)).shape == (2, 2)
    permutation = tg.randperm(10)
    assert permutation.dtype == np.int64 and sorted(permutation.tolist()) == list(range(10))
    assert tg.randn(3, requires_grad=True, dtype=tg.float32).dtype == np.float32
    assert tg.randn_like(tg.zeros(2, 2)).shape == (2, 2) and tg.rand_like(tg.zeros(3)).shape == (3,)
    with pytest.raises(TypeError, match="randn.*float"):
        tg.randn(2, dtype=tg.int64)


def test_random_values_repeat_with_the_seed():
    tg.manual_seed(5)
    first = tg.randn(4).tolist() + tg.randint(10, (3,)).tolist()
    tg.manual_seed(5)
    assert tg.randn(4).tolist() + tg.randint(10, (3,)).tolist() == first


def test_devices_answer_honestly():
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    assert tg.backends.mps.is_available() is False
    assert tg.accelerator.is_available() is False and tg.accelerator.current_accelerator() is None
    assert tg.device("cpu") == "cpu" and str(tg.device("cpu")) == "cpu"
    assert repr(tg.device("cpu")) == "device(type='cpu')"
    assert tg.device("cuda:1").index == 1
    tg.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        tg.set_default_device("mps")
    with pytest.raises(RuntimeError, match="CPU only"):
        tg.zeros(2, device=tg.device("cuda"))


def test_default_dtype():
    assert tg.get_default_dtype() == tg.float64
    tg.set_default_dtype(tg.float32)
    try:
        assert tg.tensor(1.5).dtype == np.float32 and tg.randn(2).dtype == np.float32
        assert tg.tensor(np.array([1.5])).dtype == np.float64  # numpy arrays keep their dtype, as in PyTorch
    finally:
        tg.set_default_dtype(tg.float64)
    with pytest.raises(TypeError, match="set_default_dtype"):
        tg.set_default_dtype(tg.int64)


def test_dtype_names_are_numpys_dtypes():
    assert tg.float32 == np.float32 and tg.float == np.float32 and tg.double == np.float64
    assert tg.long == np.int64 and tg.int == np.int32 and tg.bool == np.bool_
    assert tg.tensor([1.0]).dtype == tg.float64


def test_bad_sizes_and_fill_values_name_the_call():
    same(tg.full(2, 3.0), torch.full((2,), 3.0))
    for call, message in [(lambda: tg.eye(-1), "eye"), (lambda: tg.eye(2.5), "eye"),
                          (lambda: tg.full((2,), "a"), "full"), (lambda: tg.full((2,), [1, 2]), "full")]:
        with pytest.raises((TypeError, ValueError), match=message):
            call()
