"""Module: parameter discovery and names, zero_grad, train/eval, repr, state_dict and
load_state_dict; Sequential; Linear's initialization, inputs, dtypes and errors; manual_seed."""

import collections
import math
import re

import numpy as np
import pytest
from helpers import raises

import tinygrad_edu as tg
from tinygrad_edu import Value, nn


class Affine(nn.Module):
    """A hand-written layer: one Value per attribute, plus attributes that are not parameters."""

    def __init__(self, n):
        super().__init__()
        self.scale = Value(np.full(n, 2.0))
        self.size = n
        self.label = "affine"
        self.constant = np.ones(n)  # a numpy array is not a parameter
        self.nothing = None
        self.shift = Value(np.zeros(n))

    def forward(self, x):
        return x * self.scale + self.shift


class Net(nn.Module):
    """Parameters directly, in a submodule, in a list, a tuple, a dict and a nested list."""

    def __init__(self):
        super().__init__()
        self.first = Value(np.ones(2))
        self.hidden = nn.Linear(2, 3)
        self.layers = [nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)]
        self.pair = (Value(1.0), Value(2.0))
        self.blocks = {"a": nn.Linear(1, 1), "b": Affine(1)}
        self.nested = [[Value(3.0)], {"deep": Value(4.0)}]

    def forward(self, x):
        x = self.hidden(x * self.first)
        for layer in self.layers:
            x = layer(x)
        return self.blocks["b"](self.blocks["a"](x))


NET_NAMES = [
    "first", "hidden.weight", "hidden.bias",
    "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
    "pair.0", "pair.1",
    "blocks.a.weight", "blocks.a.bias", "blocks.b.scale", "blocks.b.shift",
    "nested.0.0", "nested.1.deep",
]


# ---------------------------------------------------------------------- finding parameters


def test_call_runs_forward():
    """module(x) returns what forward(x) computes."""
    layer = Affine(3)
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_array_equal(layer(x).data, layer.forward(x).data)
    np.testing.assert_array_equal(layer(x).data, 2 * x)


def test_named_parameters_finds_everything_with_dotted_names_in_definition_order():
    """Values in attributes, submodules, lists, tuples, dicts and nested containers, with PyTorch-style names."""
    net = Net()
    named = list(net.named_parameters())
    assert [name for name, _ in named] == NET_NAMES
    assert named[1][1] is net.hidden.weight
    assert named[5][1] is net.layers[2].weight
    assert named[12][1] is net.blocks["b"].shift
    assert named[14][1] is net.nested[1]["deep"]
    assert [p for _, p in named] == net.parameters()
    assert all(type(p) is nn.Parameter for name, p in named if name.endswith(("weight", "bias")))
    assert all(type(p) is Value for name, p in named if not name.endswith(("weight", "bias")))


def test_non_values_are_not_parameters():
    """Numbers, strings, numpy arrays and None on a module are not parameters."""
    assert [name for name, _ in Affine(2).named_parameters()] == ["scale", "shift"]


def test_shared_value_is_listed_once_under_its_first_name():
    """A Value stored twice (tied weights) is one parameter, named where it is first found; a module's
    own Values are found before its submodules', so here that is "again" (PyTorch's names too). The
    state dict lists it under every name, as PyTorch's does."""

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 2)
            self.decoder = nn.Linear(2, 3)
            self.again = self.encoder.weight  # the same Value: not repeated
            self.many = [self.encoder.bias, self.encoder.bias]

    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["again", "encoder.bias", "decoder.weight", "decoder.bias"]
    assert len({id(p) for p in model.parameters()}) == 4
    assert list(model.state_dict()) == ["again", "encoder.weight", "encoder.bias", "decoder.weight",
                                        "decoder.bias", "many.0", "many.1"]


def test_shared_submodule_parameters_listed_once():
    """A module used twice in a Sequential contributes its parameters once."""
    tg.manual_seed(0)
    block = nn.Linear(2, 2)
    model = nn.Sequential(block, nn.Tanh(), block)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    params = model.parameters()
    assert len(params) == 2 and params[0] is block.weight and params[1] is block.bias


def test_sequential_names_match_torch_convention():
    """Sequential numbers its modules; activations have no parameters; nesting adds a level."""
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "3.1.weight", "3.1.bias"]
    assert [p.shape for p in model.parameters()] == [(4, 2), (4,), (3, 4), (3,), (1, 3), (1,)]


def test_zero_grad_clears_every_parameter_gradient():
    """After backward every parameter has a gradient; zero_grad sets all of them to None."""
    net = Net()
    net(np.array([[1.0, 2.0]])).sum().backward()
    used = [name for name, p in net.named_parameters() if p.grad is not None]
    assert "hidden.weight" in used and "blocks.b.shift" in used
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_and_eval_are_recursive():
    """eval() and train() set `training` on the module and every module inside it, lists and dicts included."""
    net = Net()
    modules = net.modules()
    assert len(modules) == 1 + 1 + 3 + 2  # net, hidden, three in layers, two in blocks
    assert all(m.training for m in modules)
    assert net.eval() is net
    assert not any(m.training for m in modules)
    assert not net.layers[1].training and not net.blocks["b"].training
    assert net.train() is net
    assert all(m.training for m in modules)
    net.train(False)
    assert not any(m.training for m in modules)


# ---------------------------------------------------------------------- repr


def test_sequential_repr_shows_the_tree():
    """The repr of nested modules reads like PyTorch's: one indented line per child, sizes shown."""
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Sequential(nn.Linear(4, 1, bias=False), nn.ReLU()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): Sigmoid()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=1, bias=False)\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")")
    assert repr(nn.Tanh()) == "Tanh()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_repr_shows_submodules_held_in_lists_and_dicts():
    """Modules in a list or dict attribute are part of the tree (parameters() and eval() find them), so the
    repr shows them."""
    text = repr(Net())
    assert "(hidden): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "Linear(in_features=3, out_features=1, bias=True)" in text  # layers[2]
    assert "Tanh()" in text  # layers[1]
    assert "Linear(in_features=1, out_features=1, bias=True)" in text  # blocks["a"]
    assert "Affine()" in text  # blocks["b"]


# ---------------------------------------------------------------------- state_dict, load_state_dict


def test_state_dict_is_a_copy_by_name():
    """state_dict maps every dotted name to a copy of the data: changing one side leaves the other alone."""
    net = Net()
    state = net.state_dict()
    assert list(state) == NET_NAMES
    for name, p in net.named_parameters():
        assert isinstance(state[name], np.ndarray) and not isinstance(state[name], Value)
        np.testing.assert_array_equal(state[name], p.data)
        assert not np.shares_memory(state[name], p.data)
    state["hidden.weight"][...] = 123.0
    assert not np.any(net.hidden.weight.data == 123.0)
    net.hidden.bias.data[...] = -7.0
    assert not np.any(state["hidden.bias"] == -7.0)


def test_load_state_dict_round_trip_gives_the_same_outputs():
    """Loading one model's state into a differently initialized one makes them compute the same thing."""
    tg.manual_seed(1)
    a = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    tg.manual_seed(2)
    b = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert not np.allclose(a(x).data, b(x).data)
    state = a.state_dict()
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    state["0.weight"][...] = 0.0  # the loaded values were copied, not shared
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert not np.shares_memory(b[0].weight.data, a[0].weight.data)


def test_load_state_dict_accepts_values_and_lists():
    """Entries may be Values or nested lists of numbers, converted to the parameter's shape."""
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": [[1.0, 2.0]], "bias": Value([0.5])})
    np.testing.assert_array_equal(layer.weight.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(layer.bias.data, [0.5])
    assert layer.weight.dtype == np.float64


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.pop("0.bias"), ["missing: '0.bias'"]),
    (lambda d: d.update(extra=np.zeros(2)), ["unexpected: 'extra'"]),
    (lambda d: d.update({"2.weight": np.zeros((2, 4))}), ["'2.weight'", "(2, 4)", "(1, 4)"]),
    (lambda d: (d.pop("0.weight"), d.update({"3.weight": np.zeros(1), "2.bias": np.zeros((1, 1))})),
     ["missing: '0.weight'", "unexpected: '3.weight'", "'2.bias'", "(1, 1)", "(1,)"]),
], ids=["missing", "unexpected", "wrong-shape", "all-three-at-once"])
def test_load_state_dict_rejects_and_changes_nothing(change, expected):
    """Missing, unexpected and wrongly shaped entries: one ValueError naming each, and no parameter changed."""
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    before = model.state_dict()
    bad = {name: np.full_like(array, 9.0) for name, array in before.items()}
    change(bad)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(bad)
    for text in expected:
        assert text in str(info.value)
    after = model.state_dict()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_load_state_dict_rejects_non_numbers():
    """An entry of strings is rejected with its name, and nothing changes."""
    layer = nn.Linear(1, 1)
    before = layer.state_dict()
    with pytest.raises(ValueError, match="'bias'"):
        layer.load_state_dict({"weight": np.ones((1, 1)), "bias": np.array(["x"])})
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


def test_module_load_state_dict_with_a_ragged_entry():
    """A ragged nested list for 'weight': ValueError naming 'weight'; neither weight nor bias changes."""
    layer = nn.Linear(2, 2)
    before = layer.state_dict()
    state = {"weight": [[1.0, 2.0], [3.0]], "bias": [9.0, 9.0]}
    with raises(ValueError, "weight"):
        layer.load_state_dict(state)
    for name, array in layer.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_module_load_state_dict_with_a_ragged_nested_entry_names_it():
    """In a Sequential the message names the dotted entry ('0.weight') that is ragged."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    before = model.state_dict()
    state = dict(before)
    state["2.weight"] = [[1.0], [2.0, 3.0]]
    with raises(ValueError, "2.weight"):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])



def test_load_state_dict_refuses_read_only_data_and_changes_nothing():
    """A parameter whose data cannot be written (replaced by a broadcast view) is named in the error, and
    the parameters listed before it keep their numbers."""
    layer = nn.Linear(2, 2)
    layer.bias.data = np.broadcast_to(np.zeros(1), (2,))
    weight = layer.weight.data.copy()
    with pytest.raises(ValueError, match=r"^load_state_dict into Linear: 'bias' cannot be written: its data is "
                                         r"read-only$"):
        layer.load_state_dict({"weight": np.full((2, 2), 7.0), "bias": np.ones(2)})
    np.testing.assert_array_equal(layer.weight.data, weight)


def test_a_modules_own_values_come_before_its_submodules():
    """Whatever the order of assignment, a module's own Values are listed first, then its submodules' and
    containers' parameters in the order they were assigned (PyTorch's order)."""

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2)
            self.scale = Value(np.ones(2))
            self.extras = [Value(1.0)]
            self.shift = Value(np.zeros(2))

    assert [name for name, _ in Scaled().named_parameters()] == [
        "scale", "shift", "inner.weight", "inner.bias", "extras.0"]


def test_a_tied_model_loads_its_state_dict_under_any_of_its_names():
    """A layer used twice: state_dict() lists its parameters under both names; loading takes both (the
    later name is copied last), either one alone (as older saves have only the first), but not neither."""
    block = nn.Linear(2, 2)
    model = nn.Sequential(block, nn.Tanh(), block)
    saved = {name: np.full_like(array, i) for i, (name, array) in enumerate(model.state_dict().items())}
    assert list(saved) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.load_state_dict(saved)
    np.testing.assert_array_equal(block.weight.data, saved["2.weight"])
    model.load_state_dict({"0.weight": saved["0.weight"], "0.bias": saved["0.bias"]})
    np.testing.assert_array_equal(block.weight.data, saved["0.weight"])
    model.load_state_dict({"2.weight": saved["2.weight"], "0.bias": saved["0.bias"]})
    np.testing.assert_array_equal(block.weight.data, saved["2.weight"])
    with pytest.raises(ValueError, match=r"^load_state_dict into Sequential: missing: '0\.weight'$"):
        model.load_state_dict({"0.bias": saved["0.bias"], "2.bias": saved["2.bias"]})


def test_a_list_that_repeats_parameters_does_not_make_them_required_twice():
    """A module that also keeps its layers' parameters in a plain list (which PyTorch would not register)
    loads a state dict without the list's names, as saved before or by PyTorch, and one with them."""

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = nn.Linear(2, 3), nn.Linear(3, 1)
            self.params = [self.l1.weight, self.l1.bias, self.l2.weight, self.l2.bias]

    model, other = MLP(), MLP()
    full = other.state_dict()
    assert list(full)[-4:] == ["params.0", "params.1", "params.2", "params.3"]
    model.load_state_dict({name: array for name, array in full.items() if not name.startswith("params")})
    np.testing.assert_array_equal(model.l2.weight.data, other.l2.weight.data)
    model.load_state_dict(full)
    np.testing.assert_array_equal(model.l1.bias.data, other.l1.bias.data)


# ---------------------------------------------------------------------- Sequential


def test_a_subclass_of_sequential_keeps_its_own_parameters():
    """Values and modules that a subclass of Sequential stores are parameters too: its own Values first,
    then the sequence's modules, then its other modules."""

    class Scaled(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 2))
            self.scale = Value(np.ones(2))
            self.head = nn.Linear(2, 1)
            self.note = "not a parameter"

    model = Scaled()
    assert [name for name, _ in model.named_parameters()] == [
        "scale", "0.weight", "0.bias", "head.weight", "head.bias"]
    assert [name for name, _ in model.named_children()] == ["0", "head"]  # modules only, as in PyTorch
    assert [name for name, _ in model[:1].named_parameters()] == ["0.weight", "0.bias"]
    assert "(head): Linear" in repr(model)


def test_sequential_indexing_slicing_iteration_len():
    """model[i], model[-1], model[a:b] (a Sequential of the same modules), iter and len."""
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    assert len(model) == 4
    assert list(model) == layers and all(a is b for a, b in zip(model, layers))
    assert model[0] is layers[0] and model[-1] is layers[3]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head[0] is layers[0] and head[1] is layers[1]
    assert len(model[::2]) == 2 and model[::2][1] is layers[2]
    x = np.array([[0.5, -1.0]])
    np.testing.assert_array_equal(model(x).data, model[2:](head(x)).data)
    with pytest.raises(IndexError):
        model[4]


def test_sequential_forward_applies_modules_in_order():
    """Sequential(f, g)(x) == g(f(x))."""
    f, g = nn.Linear(2, 2), nn.Tanh()
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_array_equal(nn.Sequential(f, g)(x).data, np.tanh(x @ f.weight.data.T + f.bias.data))
    assert len(nn.Sequential()) == 0 and nn.Sequential()(x) is x


def test_sequential_rejects_non_modules():
    """A function or a Value is not a Module: TypeError naming its position."""
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.Linear(1, 1), np.tanh)


# ---------------------------------------------------------------------- Linear


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 2), (4, 7), (100, 5)])
def test_linear_shapes_and_initial_bounds(n_in, n_out):
    """weight (out, in) and bias (out,), float64, all within +-1/sqrt(in), and not all equal."""
    layer = nn.Linear(n_in, n_out)
    assert layer.weight.shape == (n_out, n_in) and layer.bias.shape == (n_out,)
    assert layer.weight.dtype == np.float64 and layer.weight.requires_grad
    bound = 1 / math.sqrt(n_in)
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.data) <= bound)
    values = np.concatenate([layer.weight.data.ravel(), layer.bias.data])
    assert len(np.unique(values)) == values.size  # drawn, not a constant fill


def test_linear_initialization_fills_its_range():
    """Many draws spread over most of [-1/sqrt(in), 1/sqrt(in)], both signs (a uniform, not a narrower law)."""
    w = nn.Linear(16, 500).weight.data
    assert w.max() > 0.9 * 0.25 and w.min() < -0.9 * 0.25
    assert abs(w.mean()) < 0.02


def test_linear_without_bias():
    """bias=False: no bias parameter, and the output is x @ weight.T."""
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(layer(x).data, layer.weight.data @ x, rtol=1e-15)


def test_manual_seed_makes_weights_reproducible():
    """The same seed gives the same weights; a different seed gives different ones."""
    tg.manual_seed(123)
    a = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)).state_dict()
    tg.manual_seed(123)
    b = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)).state_dict()
    tg.manual_seed(124)
    c = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)).state_dict()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])


def test_layers_draw_from_the_library_generator_only():
    """numpy's global seed does not change the weights; the library generator does advance between layers."""
    tg.manual_seed(5)
    np.random.seed(0)
    a = nn.Linear(3, 3).weight.data
    tg.manual_seed(5)
    np.random.seed(1)
    b = nn.Linear(3, 3).weight.data
    c = nn.Linear(3, 3).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("seed, error", [(1.5, TypeError), (True, TypeError), ("1", TypeError), (None, TypeError),
                                         (2**64, ValueError), (-2**63 - 1, ValueError)])
def test_manual_seed_rejects_bad_seeds(seed, error):
    """Seeds must be integers that fit in 64 bits (PyTorch's range); the generator is left as it was."""
    before = tg.random.generator()
    with raises(error, "manual_seed", repr(seed) if error is TypeError else str(seed)):
        tg.manual_seed(seed)
    assert tg.random.generator() is before


def test_a_negative_seed_is_its_unsigned_twin_as_in_pytorch():
    """manual_seed(-1) gives the weights of manual_seed(2**64 - 1), and returns the generator it made."""
    first = tg.manual_seed(-1)
    assert first is tg.random.generator()
    a = nn.Linear(3, 2).weight.data
    tg.manual_seed(2**64 - 1)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.data, a)
    tg.manual_seed(0)
    assert not np.array_equal(nn.Linear(3, 2).weight.data, a)


@pytest.mark.parametrize("make_input", [
    lambda a: a,                      # numpy array
    lambda a: a.tolist(),             # nested list
    lambda a: Value(a),               # Value
], ids=["numpy", "list", "Value"])
@pytest.mark.parametrize("batch_shape", [(), (1,), (5,), (2, 3)], ids=str)
def test_linear_accepts_batched_inputs(make_input, batch_shape):
    """Inputs of shape (..., in): numpy arrays, lists and Values, unbatched, batched and 3-D."""
    layer = nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal(batch_shape + (3,))
    y = layer(make_input(x))
    assert y.shape == batch_shape + (2,)
    np.testing.assert_allclose(y.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-14)


def test_linear_integer_numpy_input():
    """An integer numpy array (as in the notebook) is read as floats."""
    layer = nn.Linear(3, 1, bias=False)
    layer.load_state_dict({"weight": np.array([[0.5, -1.0, 2.0]])})
    y = layer(np.array([1, 0, 1]))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, [2.5])


def test_linear_constant_input_gets_no_gradient_but_parameters_do():
    """A numpy input is a constant: backward fills the parameters' gradients only."""
    layer = nn.Linear(2, 1)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, [[4.0, 6.0]])
    np.testing.assert_array_equal(layer.bias.grad, [2.0])


@pytest.mark.parametrize("shape", [(4,), (2, 4), (3, 2, 2)])
def test_linear_wrong_last_dimension_names_both_sizes(shape):
    """An input whose last axis is not in_features raises ValueError with both sizes."""
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError) as info:
        layer(np.ones(shape))
    message = str(info.value)
    assert re.search(rf"\b{shape[-1]}\b", message) and "in_features=3" in message


@pytest.mark.parametrize("n_in, n_out", [(0, 1), (1, 0), (-2, 3), (2.0, 3), (True, 1)])
def test_linear_rejects_bad_sizes(n_in, n_out):
    """Feature counts must be positive integers."""
    with pytest.raises(ValueError):
        nn.Linear(n_in, n_out)


@pytest.mark.parametrize("x", [
    np.array([[0.5, -1.0]]),          # float64 array
    [[0.5, -1.0]],                    # list
    np.array([[1, -2]]),              # int array
], ids=["float64 array", "list", "int array"])
def test_float32_linear_returns_float32(x):
    """nn.Linear(2, 3, dtype=float32) on a float64 array, a list or an int array: float32 out, float32 grads."""
    layer = nn.Linear(2, 3, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == (1, 3)
    expected = np.asarray(x, dtype=np.float32) @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)
    y.sum().backward()
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32


def test_float32_linear_without_bias_returns_float32():
    """The bias-free float32 Linear on a float64 input also returns float32."""
    layer = nn.Linear(2, 3, bias=False, dtype=np.float32)
    assert layer(np.array([[0.5, -1.0]])).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.int64, np.bool_])
def test_linear_refuses_dtypes_that_cannot_carry_gradients(dtype):
    """nn.Linear with dtype int32, float16, ...: an error naming Linear (parameters need gradients, which only
    float32 and float64 carry)."""
    with pytest.raises((ValueError, TypeError), match="Linear"):
        nn.Linear(2, 3, dtype=dtype)



def test_a_slice_of_a_sequential_keeps_the_names_of_its_modules():
    """As in PyTorch: model[1:] names its modules "1", "2" and its parameters "2.weight", so a state
    dict saved from a slice loads into the same slice; layers added by hand are named by position."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    tail = model[1:]
    assert [name for name, _ in tail.named_children()] == ["1", "2"]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    assert list(model[::2].state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(tail[1:].state_dict()) == ["2.weight", "2.bias"]
    assert "(2): Linear(in_features=3, out_features=1, bias=True)" in repr(tail)
    model[1:].load_state_dict(tail.state_dict())
    model.layers.append(nn.Linear(1, 1))  # the names no longer match the layers: positions again
    assert list(model.state_dict())[-2:] == ["3.weight", "3.bias"]
    assert list(model[2:].state_dict()) == ["2.weight", "2.bias", "3.weight", "3.bias"]
    legacy = nn.Sequential(nn.Tanh(), nn.Linear(1, 1))
    del legacy.__dict__["_names"]  # as a Sequential pickled by an older version comes back
    assert list(legacy[1:].state_dict()) == ["1.weight", "1.bias"]


# ---------------------------------------------------------------------- PyTorch's module-walking names


def test_children_are_the_modules_directly_inside_each_once():
    """named_children gives modules only (not Values, sizes or flags), the ones in lists and dicts too, each once
    under its first name; it does not look inside them. children() is the same modules without names."""
    net = Net()
    assert [name for name, _ in net.named_children()] == ["hidden", "layers.0", "layers.1", "layers.2",
                                                          "blocks.a", "blocks.b"]
    assert list(nn.Linear(2, 3).named_children()) == []
    shared = nn.Linear(2, 2)
    tied = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in tied.named_children()] == ["0", "1"]
    assert list(tied.children()) == [shared, tied[1]]


def test_named_modules_and_apply_visit_modules_in_pytorchs_order():
    """named_modules: the module itself as "", then every module inside, each once, parents first. apply calls
    its function on each child (its children first) and then on the module, and returns it; as in PyTorch,
    a module twice in one parent is visited once, and a module in two parents once under each."""
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    model = nn.Sequential(inner, nn.Linear(2, 1), inner)
    assert [name for name, _ in model.named_modules()] == ["", "0", "0.0", "0.1", "1"]
    assert model.modules() == [m for _, m in model.named_modules()]
    visited = []
    assert model.apply(visited.append) is model
    assert visited == [inner[0], inner[1], inner, model[1], model]
    shared = nn.Linear(2, 2)
    left, right = nn.Sequential(shared, nn.Tanh()), nn.Sequential(shared, nn.ReLU())
    visited.clear()
    nn.Sequential(left, right).apply(visited.append)
    assert visited[:3] == [shared, left[1], left] and visited[3:6] == [shared, right[1], right]


def test_apply_does_not_go_round_a_module_that_holds_its_parent():
    """A module that refers back to a module it is inside is not entered again: apply ends."""
    outer = nn.Sequential(nn.Linear(2, 2))
    outer[0].owner = outer
    visited = []
    outer.apply(visited.append)
    assert visited == [outer[0], outer]


def test_repr_shows_a_module_under_each_of_its_names():
    """A layer used twice is printed twice, as PyTorch prints it (state_dict lists it twice too)."""
    shared = nn.Linear(2, 2)
    text = repr(nn.Sequential(shared, nn.ReLU(), shared))
    assert "(0): Linear(in_features=2" in text and "(2): Linear(in_features=2" in text


def test_a_parameter_cannot_be_replaced_by_an_array():
    """layer.weight = array would silently stop training the weight and drop it from state_dict: a TypeError,
    naming the module and the attribute, and the parameter stays. A Value or None may replace it."""
    layer = nn.Linear(2, 2)
    weight = layer.weight
    with raises(TypeError, "Linear", "'weight'", "ndarray", "weight.data[...]"):
        layer.weight = weight.data * 2
    assert layer.weight is weight and [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    replacement = Value(np.zeros((2, 2)))
    layer.weight = replacement
    assert layer.parameters()[0] is replacement
    layer.bias = None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    layer.note = "anything"  # attributes that are not parameters are free
    layer.note = 3


@pytest.mark.parametrize("mode", ["False", 0, None, 1.0])
def test_train_refuses_modes_that_are_not_booleans(mode):
    """train("False") would leave the model training: anything but True/False is a ValueError, changing nothing."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh()).eval()
    with raises(ValueError, "train", "True or False", repr(mode)):
        model.train(mode)
    assert not any(m.training for m in model.modules())
    assert model.train(np.bool_(True)).training is True and model[1].training is True


def test_linear_refuses_a_float64_value_in_a_float32_layer():
    """A float32 layer given a float64 Value raises, as PyTorch does: numpy would compute in float64 from
    there on without a word. A float64 layer computes float32 input in float64 (the gradient comes back
    as float32). Integer Values are refused by both. Plain arrays and lists take the layer's dtype."""
    small, large = nn.Linear(3, 2, dtype=np.float32), nn.Linear(3, 2)
    with raises(TypeError, "Linear", "float64", "float32"):
        small(Value(np.ones(3)))
    x = Value(np.array([1.0, -2.0, 0.5], dtype=np.float32))
    y = large(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, large(x.data.astype(np.float64)).data)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, large.weight.data.sum(axis=0), rtol=1e-7)
    with raises(TypeError, "Linear", "int64", "float64"):
        large(tg.tensor([1, 2, 3]))
    assert small(np.ones(3)).dtype == np.float32 and small([1, 2, 3]).dtype == np.float32
    assert large(np.ones(3, dtype=np.float16)).dtype == np.float64
    np.testing.assert_array_equal(large(range(3)).data, large(np.arange(3.0)).data)


@pytest.mark.parametrize("data", [np.array([1 + 2j, 0, 0]), ["1", "2", "3"], np.array([1, None, 2], dtype=object),
                                  np.array([1, 2, 3], dtype="datetime64[s]"), [[1, 2, 3], [4, 5]]],
                         ids=["complex", "strings", "objects", "dates", "ragged"])
def test_linear_refuses_input_that_is_not_real_numbers(data):
    """Input that is not real numbers is an error naming Linear, not a silent cast (complex lost its imaginary
    part, strings were parsed, None became NaN)."""
    with pytest.raises((TypeError, ValueError), match="^Linear: "):
        nn.Linear(3, 2)(data)


# ---------------------------------------------------------------------- Parameter


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0 to compare "
                                               "with it)")


def test_parameter_is_a_value_that_requires_grad_and_shares_the_tensors_numbers():
    """Parameter(tensor): a Value subclass, a leaf that requires grad, sharing the tensor's array (as PyTorch's
    shares its storage), so an in-place change through either is seen by both, the in-place check included."""
    source = tg.tensor([1.0, 2.0])
    p = nn.Parameter(source)
    assert isinstance(p, Value) and p.requires_grad and p.is_leaf and p.op is None
    assert np.shares_memory(p.data, source.data)
    y = p * p
    source.add_(1.0)
    assert p.data.tolist() == [2.0, 3.0]
    with raises(RuntimeError, "modified by an inplace operation"):
        y.sum().backward()
    computed = Value(np.ones(2)) * 3
    q = nn.Parameter(computed)
    assert q.is_leaf and q.requires_grad and type(q * 2) is Value


def test_parameter_from_numbers_frozen_integers_and_empty():
    """From a list it copies like Value(...); requires_grad=False freezes it; integers may not require grad
    (PyTorch's error) but are kept as they are when frozen; Parameter() is empty."""
    p = nn.Parameter([[1, 2]])
    assert p.dtype == np.float64 and p.shape == (1, 2)
    assert not nn.Parameter(tg.zeros(2), requires_grad=False).requires_grad
    with raises(RuntimeError, "Parameter", "only float", "int64"):
        nn.Parameter(tg.tensor([1, 2]))
    frozen = nn.Parameter(tg.tensor([1, 2]), requires_grad=False)
    assert frozen.dtype == np.int64
    assert nn.Parameter().shape == (0,)


def test_parameter_repr_copy_and_pickle():
    """repr says Parameter, as PyTorch's does; copies and pickles stay Parameters (and leaves)."""
    import copy
    import pickle

    p = nn.Parameter(tg.tensor([0.5, -1.0]))
    assert repr(p).startswith("Parameter containing:\nValue(data=[ 0.5, -1. ]")
    for twin in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(twin) is nn.Parameter and twin.requires_grad and np.array_equal(twin.data, p.data)


def test_parameters_are_parameters_and_leaf_values_that_require_grad():
    """PyTorch's registered parameters: a Parameter (frozen or not) counts; a Value that requires grad counts
    (the micrograd style); a constant tensor(...), a computed Value and an array do not."""

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(tg.ones(2))
            self.frozen = nn.Parameter(tg.ones(2), requires_grad=False)
            self.plain = Value(np.zeros(2))
            self.constant = tg.tensor([1.0, 2.0])
            self.cache = self.plain * 2  # computed: not a parameter

    model = Model()
    assert [name for name, _ in model.named_parameters()] == ["scale", "frozen", "plain"]
    assert "constant" not in model.state_dict() and "cache" not in model.state_dict()
    model.plain.requires_grad_(False)  # a plain Value that stops requiring grad is a constant from then on
    assert [name for name, _ in model.named_parameters()] == ["scale", "frozen"]


def test_parameter_names_and_state_dict_match_torch_for_a_hand_written_module(torch):
    """A module with Parameters, a constant tensor and a buffer, in tinygrad_edu and in PyTorch: the same
    parameter names, buffer names and state dict keys, in the same order."""
    def build(lib):
        class Poly(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = lib.nn.Linear(2, 2)
                self.a = lib.nn.Parameter(lib.randn(()))
                self.constant = lib.tensor([1.0, 2.0])
                self.register_buffer("running", lib.zeros(2))
                self.b = lib.nn.Parameter(lib.randn(3), requires_grad=False)
                self.register_buffer("scratch", lib.ones(1), persistent=False)
        return Poly()

    ours, theirs = build(tg), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == [
        n for n, _ in theirs.named_parameters(prefix="m", recurse=False)]


def test_replacing_a_parameter_by_a_constant_tensor_is_refused():
    """layer.weight = tensor(...) (which does not require grad) would silently stop training it: a TypeError,
    as in PyTorch; a Parameter or a Value that requires grad may replace it."""
    layer = nn.Linear(2, 2)
    with raises(TypeError, "Linear", "'weight'", "nn.Parameter"):
        layer.weight = tg.zeros(2, 2)
    layer.weight = nn.Parameter(tg.zeros(2, 2))
    layer.weight = Value(np.ones((2, 2)))
    assert layer.parameters()[0].data[0, 0] == 1.0


# ---------------------------------------------------------------------- register_parameter, buffers


def test_register_parameter_sets_the_attribute_and_checks_it():
    """register_parameter(name, Parameter or None) is an attribute assignment with PyTorch's checks."""
    module = nn.Module()
    module.register_parameter("w", nn.Parameter(tg.ones(3)))
    module.register_parameter("unused", None)
    assert [name for name, _ in module.named_parameters()] == ["w"] and module.unused is None
    with raises(TypeError, "register_parameter", "Value", "nn.Parameter"):
        module.register_parameter("v", Value(np.ones(2)))
    with raises(KeyError, "register_parameter", "'.'"):
        module.register_parameter("a.b", nn.Parameter(tg.ones(1)))
    module.note = "text"
    with raises(KeyError, "register_parameter", "'note' already exists"):
        module.register_parameter("note", nn.Parameter(tg.ones(1)))
    with raises(KeyError, "register_buffer", "'forward' already exists"):
        module.register_buffer("forward", tg.ones(1))
    with raises(TypeError, "register_parameter", "string"):
        module.register_parameter(3, None)


def test_buffers_are_saved_loaded_and_converted_but_not_trained():
    """A buffer is in buffers() and state_dict() (not in parameters()), loads with load_state_dict (a missing one
    is reported), follows to(dtype) if it holds floats, and cannot be replaced by an array; del forgets it."""

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 1)
            self.register_buffer("mean", tg.zeros(2))
            self.register_buffer("steps", tg.tensor(0))
            self.register_buffer("scratch", tg.ones(2), persistent=False)

    model = Counter()
    assert [name for name, _ in model.named_buffers()] == ["mean", "steps", "scratch"]
    assert model.buffers()[0] is model.mean
    assert [name for name, _ in model.named_parameters()] == ["layer.weight", "layer.bias"]
    assert list(model.state_dict()) == ["mean", "steps", "layer.weight", "layer.bias"]
    state = model.state_dict()
    state["mean"] = np.array([1.0, 2.0])
    state["steps"] = np.array(5)
    model.load_state_dict(state)
    assert model.mean.data.tolist() == [1.0, 2.0] and model.steps.item() == 5
    del state["mean"]
    with raises(ValueError, "missing: 'mean'"):
        model.load_state_dict(state)
    model.float()
    assert model.mean.dtype == np.float32 and model.scratch.dtype == np.float32 and model.steps.dtype == np.int64
    with raises(TypeError, "Counter", "buffer 'mean'", "ndarray"):
        model.mean = np.zeros(2)
    model.mean = tg.ones(2)  # a Value replaces a buffer, which stays a buffer
    assert [name for name, _ in model.named_buffers()][0] == "mean"
    del model.scratch
    assert [name for name, _ in model.named_buffers()] == ["mean", "steps"]
    with raises(TypeError, "register_buffer", "ndarray"):
        model.register_buffer("x", np.zeros(2))


# ---------------------------------------------------------------------- to, float, double, requires_grad_


def test_double_converts_in_place_keeping_the_parameters_an_optimizer_holds(torch):
    """model.double() and model.float() change the dtype of every parameter and gradient in place: the same
    Parameter objects, so an optimizer made before still trains them, in the new dtype, as in PyTorch."""
    from tinygrad_edu import optim

    model = nn.Sequential(nn.Linear(3, 2, dtype=tg.float32), nn.Tanh(), nn.Linear(2, 1, dtype=tg.float32))
    reference = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    params = model.parameters()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    their_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    x, t = np.random.default_rng(0).standard_normal((4, 3)), np.zeros((4, 1))
    nn.mse_loss(model(x.astype(np.float32)), t.astype(np.float32)).backward()  # a float32 gradient, then
    torch.nn.functional.mse_loss(reference(torch.tensor(x, dtype=torch.float32)),
                                 torch.tensor(t, dtype=torch.float32)).backward()
    assert model.double() is model  # the parameters and their gradients become float64
    reference.double()
    assert model.parameters() == params and all(p.dtype == np.float64 and p.grad.dtype == np.float64
                                               for p in params)
    their_x = torch.tensor(x)
    for _ in range(3):
        optimizer.step()
        optimizer.zero_grad()
        their_optimizer.step()
        their_optimizer.zero_grad()
        nn.mse_loss(model(x), t).backward()
        torch.nn.functional.mse_loss(reference(their_x), torch.tensor(t)).backward()
    for p, q in zip(model.parameters(), reference.parameters()):  # the first step's float32 gradient: 1e-6
        assert p.dtype == np.float64
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6)
    assert model.float() is model and model[0].weight.dtype == np.float32


def test_to_takes_dtypes_devices_and_tensors():
    """to(dtype), to("cpu"), to(device, dtype), to(dtype=...), to(tensor): converted in place and self returned;
    another device, or an integer dtype, is an error naming the call; a graph built before can no longer be
    differentiated (the in-place check)."""
    model = nn.Linear(2, 2)
    loss = model(Value(np.ones(2))).sum()  # the input requires grad, so its rule reads the weight
    assert model.to("cpu") is model and model.weight.dtype == np.float64
    assert model.to(tg.device("cpu"), tg.float32) is model and model.weight.dtype == np.float32
    model.to(dtype=tg.float64)
    model.to(tg.tensor([1.0], dtype=tg.float32))
    assert model.bias.dtype == np.float32 and model.cpu() is model
    with raises(RuntimeError, "modified by an inplace operation"):
        loss.backward()
    with raises(RuntimeError, "Linear.to", "cuda", "CPU only"):
        model.to("cuda")
    with raises(RuntimeError, "Linear.cuda", "CPU only"):
        model.cuda()
    with raises(TypeError, "Linear.to", "float32 or float64", "int64"):
        model.to(tg.int64)
    with raises(TypeError, "Linear.half", "float16"):
        model.half()


def test_requires_grad_freezes_and_unfreezes_every_parameter():
    """requires_grad_(False) freezes every parameter (they stay parameters: Linear's are Parameters), so
    backward leaves them without gradient; requires_grad_() unfreezes; both return the module."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert model.requires_grad_(False) is model
    assert len(model.parameters()) == 4 and not any(p.requires_grad for p in model.parameters())
    x = Value(np.ones((1, 2)))
    model(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in model.parameters())
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())
    with raises(TypeError, "requires_grad_", "True or False"):
        model.requires_grad_("no")


# ---------------------------------------------------------------------- load_state_dict: strict, bad input


@pytest.mark.parametrize("bad", [[("weight", np.ones((1, 2)))], None, np.ones(3), "weights.npz"])
def test_load_state_dict_refuses_what_is_not_a_dict_naming_the_call(bad):
    """A list of pairs, None, an array or a path is a TypeError naming load_state_dict (was AttributeError)."""
    layer = nn.Linear(2, 1)
    before = layer.state_dict()
    with raises(TypeError, "load_state_dict into Linear", "dict", type(bad).__name__):
        layer.load_state_dict(bad)
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


def test_load_state_dict_strict_false_reports_missing_and_unexpected_like_torch(torch):
    """strict=False loads what matches and returns (missing_keys, unexpected_keys), as PyTorch does; a wrong
    shape is still an error; strict=True returns two empty lists when everything matches."""
    ours, theirs = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    state = {"0.weight": np.full((3, 2), 2.0), "extra": np.zeros(1)}
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result.missing_keys == expected.missing_keys and result.unexpected_keys == expected.unexpected_keys
    assert np.all(ours[0].weight.data == 2.0)
    assert tuple(ours.load_state_dict(ours.state_dict())) == ([], [])
    with raises(ValueError, "wrong shape for '0.bias'"):
        ours.load_state_dict({"0.bias": np.zeros(4)}, strict=False)


# ---------------------------------------------------------------------- ModuleList, Sequential's list methods


def test_module_list_behaves_as_a_list_and_its_parameters_are_found(torch):
    """Indexing, negative indices, slices (a ModuleList numbered from 0), len, iteration, append, extend, insert,
    pop, item assignment and deletion; parameters named by position, as PyTorch names them; the repr is PyTorch's
    (a run of identical modules printed once)."""
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(2)])
                self.blocks.append(lib.nn.ReLU())
                self.blocks.extend([lib.nn.Linear(2, 3)])
                self.blocks.insert(1, lib.nn.Tanh())
                self.head = lib.nn.Linear(3, 1)

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return self.head(x)
        return Net()

    ours, theirs = build(tg), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    blocks = ours.blocks
    assert len(blocks) == 5 and isinstance(blocks[1], nn.Tanh) and isinstance(blocks[-1], nn.Linear)
    assert [type(b).__name__ for b in blocks] == ["Linear", "Tanh", "Linear", "ReLU", "Linear"]
    tail = blocks[2:]
    assert isinstance(tail, nn.ModuleList) and [n for n, _ in tail.named_parameters()][0] == "0.weight"
    assert isinstance(blocks.pop(), nn.Linear) and len(blocks) == 4
    blocks[0] = nn.Sigmoid()
    del blocks[1]
    assert [type(b).__name__ for b in blocks] == ["Sigmoid", "Linear", "ReLU"]
    assert [n for n, _ in blocks.named_parameters()] == ["1.weight", "1.bias"]
    blocks += [nn.Tanh()]
    assert len(blocks + nn.ModuleList([nn.ReLU()])) == 5
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_module_list_errors_name_the_call():
    """A non-module, an index out of range, and forward (a ModuleList has none) are clear errors."""
    blocks = nn.ModuleList([nn.ReLU()])
    with raises(TypeError, "ModuleList.append", "ufunc", "not a Module"):
        blocks.append(np.tanh)
    with raises(TypeError, "ModuleList.extend", "item 1", "int"):
        blocks.extend([nn.Tanh(), 3])
    assert len(blocks) == 1  # nothing was added
    with raises(TypeError, "ModuleList.extend", "single", "Linear", "append"):
        blocks.extend(nn.Linear(1, 1))
    with raises(IndexError, "ModuleList", "index 3", "1 modules"):
        blocks[3]
    with raises(NotImplementedError, "ModuleList does not define forward()"):
        blocks(np.ones(1))


def test_sequential_append_extend_insert_match_torchs_names(torch):
    """append/extend number the new modules after the others, insert renumbers by position: the state dict
    names equal PyTorch's after each, and forward runs the modules in the new order."""
    ours = nn.Sequential(nn.Linear(2, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3))
    for lib, model in ((tg, ours), (torch, theirs)):
        assert model.append(lib.nn.ReLU()) is model
        model.extend([lib.nn.Linear(3, 2)])
        model.insert(1, lib.nn.Linear(3, 3))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    theirs.double().load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 2))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    with raises(TypeError, "Sequential.append", "not a Module"):
        ours.append("relu")


def test_sequential_append_after_a_slice_takes_an_unused_name():
    """A slice keeps its names ("1", "2"); append then names the new module "3" (PyTorch would reuse "2" and
    replace that module)."""
    tail = nn.Sequential(nn.Linear(1, 1), nn.Tanh(), nn.Linear(1, 1))[1:]
    tail.append(nn.Linear(1, 1))
    assert [name for name, _ in tail.named_children()] == ["1", "2", "3"] and len(tail) == 3
    del tail[0]
    assert [name for name, _ in tail.named_children()] == ["0", "1"]


def test_a_parameter_given_a_buffers_name_becomes_a_parameter_as_in_pytorch():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", tg.zeros(2))
            self.w = nn.Parameter(tg.ones(2))

    model = Model()
    assert [name for name, _ in model.named_parameters()] == ["w"]
    assert list(model.named_buffers()) == []


def test_a_child_module_cannot_be_replaced_by_something_else():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

    model = Model()
    with raises(TypeError, "child module 'fc'"):
        model.fc = nn.Linear  # the class, not a layer: its parameters would silently disappear
    assert len(model.parameters()) == 2
    model.fc = None  # allowed, as in PyTorch
    assert model.parameters() == []


def test_sequential_of_named_modules_and_its_index_errors():
    """Sequential(OrderedDict(...)) names its modules (attributes too), as PyTorch; a bad index names it."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    ours = nn.Sequential(collections.OrderedDict(hidden=nn.Linear(2, 3), act=nn.ReLU(), out=nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(collections.OrderedDict(hidden=torch.nn.Linear(2, 3), act=torch.nn.ReLU(),
                                                         out=torch.nn.Linear(3, 1)))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.hidden is ours[0] and ours.out is ours[2]
    with raises(IndexError, "Sequential", "index 5"):
        ours[5]
    with raises(AttributeError, "nothing"):
        _ = ours.nothing
