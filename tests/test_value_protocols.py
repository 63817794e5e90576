"""Python and numpy protocols on Values and friends: repr, format, len, iter, bool, int, float, item,
comparisons and hashing, numpy(), np.array(), detach(), copying and pickling; an optimizer's repr, and
slicing a Sequential."""

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn, optim

# ---------------------------------------------------------------------- repr


def test_repr_of_a_leaf_shows_data_and_no_grad_yet():
    """A fresh leaf shows its numbers and grad=None, and neither an op nor a dtype (float64 is the default)."""
    text = repr(Value([1.0, 2.5]))
    assert text == "Value(data=[1. , 2.5], grad=None)"


def test_repr_after_backward_shows_grad_and_op():
    """After backward the leaf shows its gradient, and a computed Value names the operation that made it."""
    x = Value([1.0, 2.0])
    y = (x * 3).sum()
    y.backward()
    assert "grad=[3., 3.]" in repr(x)
    assert re.fullmatch(r"Value\(data=9\.?, grad=1\.?, op='sum'\)", repr(y))


def test_repr_of_a_constant_says_requires_grad_false():
    """A Value that needs no gradient says requires_grad=False instead of showing a grad."""
    text = repr(Value(3.0, requires_grad=False))
    assert "requires_grad=False" in text
    assert "grad=" not in text.replace("requires_grad=False", "")
    assert "data=3." in text


def test_repr_shows_dtype_only_for_float32():
    """float32 Values say dtype=float32; float64 Values say nothing about their dtype."""
    assert "dtype=float32" in repr(Value(np.array([1.5], dtype=np.float32)))
    assert "dtype" not in repr(Value(np.array([1.5], dtype=np.float64)))


def test_repr_shows_the_name():
    """A Value made with name= shows it."""
    assert "name='w'" in repr(Value(1.0, name="w"))


# ---------------------------------------------------------------------- format


def test_format_of_a_single_element_value():
    """format specs apply to the number of a one-element Value."""
    assert format(Value(1.23456), ".2f") == "1.23"
    assert f"{Value([1.5]):.1f}" == "1.5"
    assert f"{Value([[2.0]]):.3e}" == "2.000e+00"
    assert f"{Value(np.float32(0.25)):.2f}" == "0.25"


def test_format_without_a_spec_is_str():
    """f"{v}" with no spec is the same text as str(v)."""
    v = Value([1.0, 2.0])
    assert f"{v}" == str(v)


def test_formatting_a_several_element_value_as_a_number_is_a_clear_error():
    """f"{v:.2f}" needs one number: for a Value of two elements the error names format and the shape;
    formats that suit any text still pad the repr."""
    v = Value([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^format: '\.2f' formats one number, but this Value has shape \(2,\)"):
        f"{v:.2f}"
    assert f"{v:>40}".endswith(repr(v)) and len(f"{v:>40}") == max(40, len(repr(v)))
    assert f"{Value([2.5]):.2f}" == "2.50"


# ---------------------------------------------------------------------- len and iter


def test_len_is_the_first_axis():
    """len() is the length of the first axis, as for numpy arrays; a 0-d Value has no len."""
    assert len(Value(np.zeros((4, 2)))) == 4
    assert len(Value([1.0, 2.0, 3.0])) == 3
    with pytest.raises(TypeError, match="len"):
        len(Value(1.0))


def test_iter_yields_values_along_the_first_axis():
    """Iterating gives one Value per row, with the rows' numbers."""
    x = Value(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(rows) == 3
    assert all(isinstance(r, Value) for r in rows)
    for i, r in enumerate(rows):
        np.testing.assert_array_equal(r.data, x.data[i])


def test_iter_items_are_in_the_graph():
    """Python's sum over list(x) is a graph: backpropagating through it gives x a gradient of ones."""
    x = Value([1.0, -2.0, 3.5])
    total = sum(list(x))
    assert total.data == pytest.approx(2.5)
    total.backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))


def test_iter_items_carry_different_upstream_gradients():
    """Each item of the iteration gets its own share of the gradient: sum(i * x[i]) gives [0, 1, 2]."""
    x = Value([5.0, 6.0, 7.0])
    total = sum(i * item for i, item in enumerate(x))
    total.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 2.0])


# ---------------------------------------------------------------------- bool, float, item


@pytest.mark.parametrize("data, expected", [(0.0, False), (2.0, True), ([0.0], False), ([[-1.0]], True)])
def test_bool_of_a_single_element(data, expected):
    """bool() of a one-element Value is the truth of that element."""
    assert bool(Value(data)) is expected


def test_bool_of_several_elements_is_ambiguous():
    """bool() of a Value with more than one element raises ValueError, as numpy does."""
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Value([1.0, 2.0]))
    with pytest.raises(ValueError):
        if Value([0.0, 0.0]):
            pass


def test_float_and_item_of_a_single_element():
    """float() and item() give the single element as a Python float, whatever the shape."""
    assert float(Value(2.5)) == 2.5
    assert float(Value([[-1.25]])) == -1.25
    item = Value(np.array([3.5], dtype=np.float32)).item()
    assert item == 3.5 and type(item) is float


def test_item_of_several_elements_is_an_error_naming_item():
    """item() (and float()) of a two-element Value raise ValueError naming item and the shape."""
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        Value([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="item"):
        float(Value([1.0, 2.0]))


def test_int_and_unary_plus_as_in_pytorch():
    """int() of a one-element Value rounds towards zero; +v is v itself."""
    assert int(Value(3.7)) == 3 and int(Value([-3.7])) == -3
    with pytest.raises(ValueError, match="item"):
        int(Value([1.0, 2.0]))
    v = Value([1.0, -2.0])
    assert +v is v


# ---------------------------------------------------------------------- comparisons and hashing


def test_eq_and_ne_give_boolean_values():
    """Value == 0 is an elementwise boolean Value that needs no gradient (as PyTorch's), and != its negation."""
    v = Value([1.0, 0.0, 2.0])
    eq, ne = v == 0, v != 0
    assert isinstance(eq, Value) and eq.dtype == np.bool_ and not eq.requires_grad
    np.testing.assert_array_equal(eq.data, [False, True, False])
    np.testing.assert_array_equal(ne.data, [True, False, True])


def test_eq_between_values_and_arrays_is_elementwise():
    """Value == Value and Value == array compare the numbers, broadcasting as numpy."""
    v = Value([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(v == Value([1.0, 4.0]), [[True, False], [False, True]])
    np.testing.assert_array_equal(v != np.array([3.0, 2.0]), [[True, False], [False, True]])


def test_comparing_with_a_string_or_none_behaves_as_numpy():
    """v == "a" is all False and v != "a" all True, as for a numpy array; `in` works through them."""
    v = Value([1.0, 2.0])
    np.testing.assert_array_equal(v == "a", [False, False])
    np.testing.assert_array_equal(v != "a", [True, True])
    np.testing.assert_array_equal(v == None, [False, False])  # noqa: E711 (the comparison is the point)
    assert Value(1.0) in ["a", 1.0]


def test_values_hash_by_identity():
    """Two Values with equal numbers are different dict keys and set members; each finds itself."""
    a, b = Value([1.0, 2.0]), Value([1.0, 2.0])
    table = {a: "a", b: "b"}
    assert len(table) == 2 and table[a] == "a" and table[b] == "b"
    members = {a, b, a}
    assert len(members) == 2 and a in members
    assert Value([1.0, 2.0]) not in {a}


# ---------------------------------------------------------------------- numpy(), np.array() and detach()


def test_numpy_shares_memory_with_data():
    """numpy() is the Value's own array: writing to it changes the Value."""
    x = Value([1.0, 2.0], requires_grad=False)
    a = x.numpy()
    assert a is x.data
    a[0] = 10.0
    assert x.data[0] == 10.0


def test_numpy_of_a_value_that_requires_grad_is_refused_as_in_pytorch():
    """numpy() refuses while the Value requires grad (PyTorch's rule), naming detach(); force=True takes it."""
    x = Value([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"numpy.*detach\(\)\.numpy\(\)"):
        x.numpy()
    assert x.numpy(force=True) is x.data and x.detach().numpy() is x.data


def test_np_array_of_a_constant_value_is_a_copy():
    """np.array(v) for requires_grad=False gives the numbers; editing the result leaves v unchanged."""
    v = Value([1.0, 2.0], requires_grad=False)
    a = np.array(v)
    np.testing.assert_array_equal(a, [1.0, 2.0])
    assert not np.shares_memory(a, v.data)
    a[0] = 99.0
    np.testing.assert_array_equal(v.data, [1.0, 2.0])


def test_np_array_of_a_value_that_requires_grad_is_refused():
    """np.array(v) for requires_grad=True raises TypeError (it would cut v out of the graph)."""
    with pytest.raises(TypeError, match="requires grad"):
        np.array(Value([1.0, 2.0]))


def test_array_without_copy_refuses_a_dtype_that_needs_one():
    """np.array(v, dtype=float32, copy=False) on float64 data cannot avoid a copy: ValueError, as numpy
    raises for an ndarray; without a dtype change no copy is made."""
    v = Value([1.0, 2.0], requires_grad=False)
    with pytest.raises(ValueError, match="needs a copy"):
        np.array(v, dtype=np.float32, copy=False)
    assert np.array(v, copy=False) is v.data


def test_detach_shares_data_and_records_nothing():
    """detach() shares the data, needs no gradient, and what is computed from it has no graph."""
    x = Value([1.0, 2.0])
    d = x.detach()
    assert np.shares_memory(d.data, x.data)
    assert d.requires_grad is False
    y = d * 3 + 1
    assert y.requires_grad is False
    assert y.inputs == ()
    x.data[1] = 7.0
    assert d.data[1] == 7.0


def test_detach_cuts_the_gradient():
    """Going through a detached copy, no gradient comes back: (x * x.detach()).sum() gives x.grad = x."""
    x = Value([2.0, -3.0])
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -3.0])  # not 2x


# ---------------------------------------------------------------------- optimizer repr


def test_sgd_repr_names_class_and_hyperparameters():
    """SGD's repr names the class, the number of parameters and every hyper-parameter with its value."""
    text = repr(optim.SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD(")
    for fragment in ("2 parameters", "lr=0.1", "momentum=0.9", "dampening=0.0", "weight_decay=0.0",
                     "nesterov=False"):
        assert fragment in text


def test_adam_repr_names_class_and_hyperparameters():
    """Adam's repr names the class and lr, betas, eps and weight_decay."""
    text = repr(optim.Adam([Value(1.0)], lr=0.01, betas=(0.8, 0.99)))
    assert text.startswith("Adam(")
    for fragment in ("lr=0.01", "betas=(0.8, 0.99)", "eps=1e-08", "weight_decay=0.0"):
        assert fragment in text


# ---------------------------------------------------------------------- Sequential slicing


def test_sequential_slice_is_a_sequential_of_the_same_modules():
    """model[1:] is a Sequential holding the very same module objects (shared parameters), in order."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    tail = model[1:]
    assert type(tail) is nn.Sequential
    assert len(tail) == 2
    assert tail[0] is model[1] and tail[1] is model[2]
    assert all(a is b for a, b in zip(tail.parameters(), model[2].parameters()))
    assert [name for name, _ in tail.named_parameters()] == ["2.weight", "2.bias"]  # the names they had


def test_sequential_slices_compose_to_the_whole():
    """model[:1] then model[1:] computes exactly what model does."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_array_equal(model[1:](model[:1](x)).data, model(x).data)
    assert len(model[::2]) == 2 and model[::2][1] is model[2]
    assert len(model[5:]) == 0


# ---------------------------------------------------------------------- copies and pickling


def test_a_value_unpickled_in_another_process_backpropagates_correctly():
    """A leaf pickled here and loaded in a fresh process, then used twice there, gets the full gradient as an array.

    The backward pass takes Values newest first by the number each gets when
    made; a fresh process starts counting again, so a loaded Value must be
    numbered there, not keep this process's (larger) number.
    """
    import pickle
    import subprocess
    import sys

    for _ in range(10_000):  # make this process's numbers larger than the fresh process will reach
        Value(0.0)
    blob = pickle.dumps(Value(3.0))
    script = f"""
import pickle
import numpy as np
w = pickle.loads({blob!r})
(w * 2.0 + w * 5.0).backward()
assert type(w.grad) is np.ndarray and w.grad.shape == (), repr(w.grad)
print(float(w.grad))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "7.0"


def test_copies_of_a_value_keep_data_grad_and_name():
    """deepcopy and pickle give an equal, independent Value; copy.copy shares the data, as numpy's views would."""
    import copy
    import pickle

    v = Value([1.0, 2.0], name="w")
    (v * v).sum().backward()
    for c in (copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
        np.testing.assert_array_equal(c.data, v.data)
        np.testing.assert_array_equal(c.grad, [2.0, 4.0])
        assert c.name == "w" and c.requires_grad and c.data is not v.data
    assert copy.copy(v).data is v.data
    (c * 3.0).sum().backward()  # the copy works in a graph of its own
    np.testing.assert_array_equal(c.grad, [5.0, 7.0])
    np.testing.assert_array_equal(v.grad, [2.0, 4.0])


class TaggedValue(Value):
    """A Value subclass without __slots__, so its instances take extra attributes (defined here for pickle)."""


def test_copies_of_a_value_subclass_keep_its_own_attributes():
    """A subclass without __slots__ keeps its extra attributes through deepcopy and pickle."""
    import copy
    import pickle

    v = TaggedValue(1.0)
    v.tag = "w"
    for restored in (copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
        assert type(restored) is TaggedValue and restored.tag == "w" and restored.data == 1.0


def test_a_copied_or_pickled_result_is_a_leaf_with_the_same_numbers():
    """Results of operations pickle (with or without grad, as PyTorch's tensors do) and come back as leaves:
    same data, gradient, requires_grad and name, but not the graph, so backward() on the copy reaches only
    the copy, never the original's inputs."""
    import copy
    import pickle

    x = Value([1.0, 2.0])
    y = x * 2
    y.name = "doubled"
    (y * y).sum().backward()
    with tg.no_grad():
        constant = x * 3
    for original in (y, constant, Value([1.0], requires_grad=False) * 2):
        for restored in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original), copy.copy(original)):
            np.testing.assert_array_equal(restored.data, original.data)
            assert restored.requires_grad == original.requires_grad and restored.name == original.name
            assert restored.op is None and restored.inputs == ()
    restored = pickle.loads(pickle.dumps(y))
    np.testing.assert_array_equal(restored.grad, [4.0, 8.0])
    x.grad = None
    restored.sum().backward()
    np.testing.assert_array_equal(restored.grad, [5.0, 9.0])
    assert x.grad is None


class TaggedWithASlot(Value):
    """A Value subclass with one slot, named by a string (which Python allows)."""

    __slots__ = "tag"


class PrivateSlot(Value):
    """A Value subclass with a private slot, stored under a mangled name."""

    __slots__ = ("__key",)


def test_copies_keep_the_slots_of_value_subclasses():
    """Copying and pickling keep every slot of a subclass, also one named by a bare string or a private name."""
    import copy
    import pickle

    tagged, private = TaggedWithASlot([1.0]), PrivateSlot([2.0])
    tagged.tag, private._PrivateSlot__key = "w", 7
    for copier in (copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        assert copier(tagged).tag == "w"
        assert copier(private)._PrivateSlot__key == 7
