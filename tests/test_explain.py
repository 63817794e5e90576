"""explain(): the backward pass printed node by node, and returned as data.

Its gradients are backward()'s on every operation of the op table and equal
the course neuron's hand derivation; the printed lines carry the real
numbers; labels, formulas, compact arrays and the limit read as documented;
no .grad is touched; bad arguments are refused before anything is printed.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import raises
from hypothesis import given
from hypothesis import strategies as st
from op_table import OPS

import tinygrad_edu as tg
from tinygrad_edu import Operation, Value, explain, nn
from tinygrad_edu.explain import ExplainStep, compact, format_steps

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------- helpers


def gradients(steps):
    """Value -> gradient, from explain's steps."""
    return {step.value: step.gradient for step in steps}


def check_against_backward(loss, values, steps):
    """Every step's gradient equals backward()'s .grad of its Value; every input's gradient is the sum of the
    shares passed to it along its edges; the leaves given are all there. (Gradients must be None before.)"""
    for step in steps:
        assert step.value.grad is None, f"explain touched the .grad of {step.node_label}"
    loss.backward()
    for step in steps:
        np.testing.assert_allclose(step.gradient, step.value.grad, rtol=1e-12, atol=1e-12,
                                   err_msg=f"the gradient of {step.node_label}")
        assert step.gradient.shape == step.value.shape and step.gradient.dtype == step.value.dtype
    shares = {}
    for step in steps:
        for edge in step.edges:
            x = step.value.inputs[edge.position]
            assert edge.input_label == next(s.node_label for s in steps if s.value is x)
            shares[x] = shares[x] + edge.passed if x in shares else edge.passed
    found = gradients(steps)
    for x, total in shares.items():
        np.testing.assert_allclose(total, found[x], rtol=1e-12, atol=1e-12)
    for v in values:
        assert v in found, "a leaf that requires grad is missing from the steps"


# ---------------------------------------------------------------------- every operation of the op table


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_explain_gives_backwards_gradients_on_every_op(op, data):
    """sum(op(x) * u) with a random upstream gradient u: explain's gradient for every Value (leaves and
    intermediate ones) equals what backward() stores, to 1e-12, and explain leaves every .grad None."""
    arrays_, params = data.draw(op.case, label="inputs and constants")
    values = [Value(a) for a in arrays_]
    result = op.fn(*values, **params)
    u = data.draw(op.upstream(result.shape), label="upstream gradient")
    loss = (result * u).sum()
    steps = explain(loss, print_steps=False)
    assert steps[0].value is loss and np.asarray(steps[0].gradient) == 1
    check_against_backward(loss, values, steps)


# ---------------------------------------------------------------------- the course neuron

# The notebook's starting weights: numpy.random.seed(42), then 2 * random((3, 1)) - 1.
WEIGHTS = (2 * np.random.RandomState(42).random_sample((3, 1)) - 1).ravel()
TRAIN_INPUTS = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=float)
TRAIN_OUTPUTS = np.array([0, 0, 1, 0, 1, 1], dtype=float)


def scalar_neuron(inputs, target):
    """examples/chain_rule.py's neuron from scalar Values: z = sum(wi * xi), out = sigmoid(z), 0.5 (y - out)**2."""
    w = [Value(wi, name=f"w{i}") for i, wi in enumerate(WEIGHTS, start=1)]
    x = [Value(xi, requires_grad=False) for xi in inputs]
    z = w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
    z.name = "z"
    out = z.sigmoid()
    out.name = "out"
    loss = 0.5 * (target - out) ** 2
    loss.name = "loss"
    return w, z, out, loss


def hand_derivation(inputs, target):
    """out and dloss/dwi = (out - y) * out * (1 - out) * xi, by hand in float64."""
    out = 1 / (1 + np.exp(-(WEIGHTS @ np.asarray(inputs))))
    return out, (out - target) * out * (1 - out) * np.asarray(inputs)


@pytest.mark.parametrize("inputs, target", list(zip(TRAIN_INPUTS.tolist(), TRAIN_OUTPUTS.tolist())))
def test_course_neuron_gradients_equal_the_hand_derivation(inputs, target):
    """For every training row of the course notebook, explain's dloss/dwi equal (out - y) out (1 - out) xi
    to 10 digits, and dloss/dout and dloss/dz are the intermediate factors of that product."""
    w, z, out, loss = scalar_neuron(inputs, target)
    o, by_hand = hand_derivation(inputs, target)
    found = gradients(explain(loss, print_steps=False))
    for wi, expected in zip(w, by_hand):
        np.testing.assert_allclose(found[wi], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(found[out], o - target, rtol=1e-10)
    np.testing.assert_allclose(found[z], (o - target) * o * (1 - o), rtol=1e-10)
    assert all(wi.grad is None for wi in w)


def test_course_neuron_printed_text(capsys):
    """The printed pass for inputs (1, 1, 0) and target 1 (examples/chain_rule.py's default), line by line,
    with the numbers that hand derivation gives (out - y = -0.3429, times out (1 - out) = -0.07725)."""
    w, z, out, loss = scalar_neuron([1.0, 1.0, 0.0], 1.0)
    assert explain(loss) is None
    lines = capsys.readouterr().out.splitlines()
    o, by_hand = hand_derivation([1.0, 1.0, 0.0], 1.0)
    assert o == pytest.approx(0.6571, abs=5e-5) and by_hand[0] == pytest.approx(-0.07725, abs=5e-6)
    assert lines[0].startswith("L = loss; newest Value first.")
    assert lines[1] == f"loss = mul(a=0.5, b=pow_1) = {0.5 * (1 - o) ** 2:.4g}   dL/dloss = 1"
    assert lines[2] == "  dL/dpow_1 += g * a = 0.5"
    assert f"sub_1 = sub(1, out) = {1 - o:.4g}   dL/dsub_1 = {1 - o:.4g}" in lines
    assert "  dL/dout += -g = -0.3429" in lines
    # The line of the issue: out = sigmoid(z), its complete gradient, and the share passed back to z.
    at = lines.index("out = sigmoid(z) = 0.6571   dL/dout = -0.3429")
    assert lines[at + 1] == "  dL/dz += g * out * (1 - out) = -0.07725"
    assert "mul_2 = mul(a=w2, b=1) = 0.9014   dL/dmul_2 = -0.07725" in lines
    assert "mul_3 = mul(a=w3, b=0) = 0   dL/dmul_3 = -0.07725" in lines  # x3 = 0: nothing reaches w3
    assert lines[-4:] == ["Leaves, with their complete gradients:", "  dL/dw1 = -0.07725", "  dL/dw2 = -0.07725",
                          "  dL/dw3 = 0"]


def notebook_model():
    """The course neuron as a model: Linear(3, 1, bias=False) with the notebook's weights, then Sigmoid."""
    linear = nn.Linear(3, 1, bias=False)
    linear.load_state_dict({"weight": WEIGHTS[None, :]})
    return nn.Sequential(linear, nn.Sigmoid())


def test_course_neuron_as_a_model_on_the_training_set(capsys):
    """Linear, Sigmoid, half the summed squared error over the six training rows: the weight's gradient is
    X.T @ ((out - y) out (1 - out)) to 10 digits, and the printed lines call it by the model's name, 0.weight."""
    model = notebook_model()
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(TRAIN_INPUTS), TRAIN_OUTPUTS[:, None])
    out = 1 / (1 + np.exp(-(TRAIN_INPUTS @ WEIGHTS)))
    by_hand = TRAIN_INPUTS.T @ ((out - TRAIN_OUTPUTS) * out * (1 - out))

    steps = explain(loss, model, print_steps=False)
    [leaf] = [s for s in steps if s.op_name is None]
    assert leaf.node_label == "0.weight" and leaf.value is model[0].weight
    np.testing.assert_allclose(leaf.gradient, by_hand[None, :], rtol=1e-10)
    assert model[0].weight.grad is None

    explain(loss, model)
    text = capsys.readouterr().out
    row = ", ".join(f"{v:.4g}" for v in by_hand)
    assert f"  dL/d0.weight += g.T @ x = [[{row}]]" in text
    assert f"  dL/d0.weight = [[{row}]]" in text
    assert "linear_without_bias(x=array of shape (6, 3), w=0.weight)" in text
    # Without the model, the parameter goes by its own name ("weight", set by Linear).
    explain(loss)
    assert f"  dL/dweight = [[{row}]]" in capsys.readouterr().out


def test_course_neuron_intermediate_gradients_match_pytorch():
    """dL/dz and dL/dout on the training set equal PyTorch's (retain_grad) for the same neuron."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison with it is skipped")
    w = Value(WEIGHTS, name="w")
    z = Value(TRAIN_INPUTS, requires_grad=False) @ w
    out = z.sigmoid()
    loss = 0.5 * ((out - TRAIN_OUTPUTS) ** 2).sum()
    found = gradients(explain(loss, print_steps=False))

    tw = torch.tensor(WEIGHTS, requires_grad=True)
    tz = torch.tensor(TRAIN_INPUTS) @ tw
    tout = torch.sigmoid(tz)
    tz.retain_grad()
    tout.retain_grad()
    (0.5 * ((tout - torch.tensor(TRAIN_OUTPUTS)) ** 2).sum()).backward()
    for mine, theirs in [(z, tz), (out, tout), (w, tw)]:
        np.testing.assert_allclose(found[mine], theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------- steps as data


def test_steps_are_newest_first_then_the_leaves():
    """Every Value comes after all the Values made from it; the leaves come last, in the order they were
    used; the first step is the root with gradient 1."""
    a, b = Value(np.array([1.0, -2.0]), name="a"), Value(0.5, name="b")
    c = a * b
    d = c.exp() + c
    loss = (d * a).sum()
    steps = explain(loss, print_steps=False)
    assert [s.node_label for s in steps] == ["sum_1", "mul_2", "add_1", "exp_1", "mul_1", "a", "b"]
    assert [s.op_name for s in steps] == ["sum", "mul", "add", "exp", "mul", None, None]
    assert all(isinstance(s, ExplainStep) for s in steps)
    position = {s.value: i for i, s in enumerate(steps)}
    for s in steps:
        for x in s.value.inputs:
            if isinstance(x, Value):
                assert position[x] > position[s.value]
    check_against_backward(loss, [a, b], steps)


def test_an_input_used_twice_gets_two_shares():
    """x * x: two edges into x (positions 0 and 1), each passing g * x; x's gradient is their sum, 2 x g."""
    x = Value(3.0, name="x")
    y = x * x
    steps = explain(y, print_steps=False)
    [(step)] = [s for s in steps if s.op_name == "mul"]
    assert [(e.input_label, e.formula, float(e.passed), e.position) for e in step.edges] == [
        ("x", "g * b", 3.0, 0), ("x", "g * a", 3.0, 1)]
    assert float(gradients(steps)[x]) == 6.0


def test_constants_and_values_without_gradient_are_not_steps():
    """Only Values that want a gradient are steps; a constant Value is shown in the expression by its numbers."""
    x = Value(2.0, name="x")
    c = Value(np.array([1.0, 2.0]), requires_grad=False)
    y = (x * c).sum()
    steps = explain(y, print_steps=False)
    assert [s.node_label for s in steps] == ["sum_1", "mul_1", "x"]
    assert steps[1].expression == "mul(a=x, b=[1, 2])"
    assert [e.input_label for e in steps[1].edges] == ["x"]


def test_explain_leaves_existing_gradients_alone():
    """After backward(), explain neither adds to .grad nor replaces it."""
    x = Value(np.array([1.0, 2.0]), name="x")
    y = (x * x).sum()
    y.backward()
    before = x.grad.copy()
    steps = explain(y, print_steps=False)
    np.testing.assert_array_equal(x.grad, before)
    np.testing.assert_array_equal(gradients(steps)[x], before)


def test_a_root_with_several_elements_takes_a_gradient():
    """explain(v, gradient=u) starts from u, as backward(u) does."""
    x = Value(np.array([1.0, 2.0, 3.0]), name="x")
    y = x.exp()
    u = np.array([0.5, -1.0, 2.0])
    steps = explain(y, gradient=u, print_steps=False)
    np.testing.assert_array_equal(steps[0].gradient, u)
    np.testing.assert_allclose(gradients(steps)[x], u * np.exp([1.0, 2.0, 3.0]), rtol=1e-15)


def test_float32_graph():
    """A float32 graph gives float32 gradients equal to backward()'s."""
    x = Value(np.array([0.5, -1.5], dtype=np.float32), name="x")
    w = Value(np.array([2.0, 3.0], dtype=np.float32), name="w")
    loss = (x * w).tanh().sum()
    steps = explain(loss, print_steps=False)
    assert all(s.gradient.dtype == np.float32 for s in steps)
    check_against_backward(loss, [x, w], steps)


def test_a_root_that_is_a_leaf():
    """explain on a leaf: one step, its gradient 1, printed under 'Leaves'."""
    x = Value(2.0, name="x")
    out = io.StringIO()
    explain(x, file=out)
    assert out.getvalue().splitlines()[1:] == ["Leaves, with their complete gradients:", "  dL/dx = 1"]


def test_a_graph_from_create_graph_can_be_explained():
    """The gradient grad(..., create_graph=True) returns is a graph of its own: explain walks it too, and
    gives backward()'s second derivative (d/dx of 3 x**2 is 6 x)."""
    x = Value(2.0, name="x")
    [dx] = tg.grad(x ** 3, x, create_graph=True)
    steps = explain(dx, print_steps=False)
    assert float(gradients(steps)[x]) == pytest.approx(12.0, rel=1e-15)
    check_against_backward(dx, [x], steps)


# ---------------------------------------------------------------------- labels


def test_generated_labels_follow_the_forward_order_and_are_stable():
    """Unnamed Values are labelled by operation and count in the order the forward pass made them
    (mul_1 before mul_2), leaves leaf_1, leaf_2; building the same graph again gives the same labels."""
    def build():
        a, b = Value(1.5), Value(-0.5)
        return ((a * b) * a + b).sigmoid()

    first = [s.node_label for s in explain(build(), print_steps=False)]
    assert first == ["sigmoid_1", "add_1", "mul_2", "mul_1", "leaf_1", "leaf_2"]
    assert [s.node_label for s in explain(build(), print_steps=False)] == first


def test_given_names_come_first_and_repeated_names_are_told_apart():
    """A Value's name wins over a generated label (even one that looks generated), a generated label
    skips names already taken, and two Values with one name get '#2'."""
    a = Value(1.0, name="x")
    b = Value(2.0, name="x")
    c = (a * b)
    d = c * 2.0
    d.name = "mul_1"  # a name that a generated label would have taken
    steps = explain(d, print_steps=False)
    assert [s.node_label for s in steps] == ["mul_1", "mul_2", "x", "x#2"]
    assert steps[1].expression == "mul(a=x, b=x#2)"


def test_a_model_names_its_parameters_and_a_dict_works_too():
    """explain(loss, model) labels parameters by named_parameters() (0.weight, 0.bias, 2.weight...);
    a dict of names to Values does the same."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = model(np.array([[0.5, -1.0]])).sum()
    labels = {s.node_label for s in explain(loss, model, print_steps=False) if s.op_name is None}
    assert labels == {"0.weight", "0.bias", "2.weight", "2.bias"}
    w = Value(1.0)
    y = w * 3.0
    assert [s.node_label for s in explain(y, {"my weight": w}, print_steps=False)] == ["mul_1", "my weight"]


# ---------------------------------------------------------------------- formulas and expressions


def test_formulas_come_from_the_operation_or_name_the_rule():
    """A user Operation's formulas are printed; without them a named rule shows its function name and a
    lambda the operation and the argument's position."""
    def cube_rule(g, x, out):
        return g * 3 * x ** 2

    with_formula = Operation("cube", lambda x: x ** 3, cube_rule, formulas=["g * 3 * x**2"])
    named_rule = Operation("cube", lambda x: x ** 3, cube_rule)
    nameless = Operation("cube", lambda x: x ** 3, lambda g, x, out: g * 3 * x ** 2)
    x = Value(2.0, name="x")
    for op, formula, shown in [(with_formula, "g * 3 * x**2", "cube(x=x)"),
                               (named_rule, "cube_rule(g, ...)", "cube(x)"),
                               (nameless, "the rule of cube for its argument 0", "cube(x)")]:
        out = io.StringIO()
        explain(op(x), file=out)
        lines = out.getvalue().splitlines()
        assert lines[1] == f"cube_1 = {shown} = 8   dL/dcube_1 = 1"
        assert lines[2] == f"  dL/dx += {formula} = 12"


def test_expressions_name_arguments_when_the_formulas_use_them():
    """Arguments are written name=value when a formula refers to those names (pow's x and p, sum's axes),
    and plainly otherwise (add's rules are just g)."""
    x = Value(np.array([[1.0, 2.0], [3.0, 4.0]]), name="x")
    y = Value(np.array([[0.5, 0.5], [0.5, 0.5]]), name="y")
    loss = ((x + y) ** 2).sum(axis=0).sum()
    steps = explain(loss, print_steps=False)
    expressions = [s.expression for s in steps if s.op_name is not None]
    assert expressions == ["sum(x=sum_1, axes=(0,), keepdims=False)", "sum(x=pow_1, axes=(0,), keepdims=False)",
                           "pow(x=add_1, p=2)", "add(x, y)"]


def test_compact_numbers_and_arrays():
    """Single numbers with 4 significant digits (0, not -0), small arrays whole on one line, large arrays
    as their shape and four elements; digits= changes the precision."""
    assert compact(np.float64(-0.0773), 4) == "-0.0773"
    assert compact(np.array(-0.0)) == "0"
    assert compact(np.array(2 / 3), 2) == "0.67"
    assert compact(np.array([[1.0, -0.5], [0.25, 1e-7]])) == "[[1, -0.5], [0.25, 1e-07]]"
    assert compact(np.arange(100.0).reshape(10, 10) / 3) == "shape (10, 10): [0, 0.3333, 0.6667, ..., 33]"
    assert compact(np.zeros((0, 3))) == "shape (0, 3): []"
    assert compact(np.array([True, False])) == "[True, False]"


def test_digits_changes_the_printed_numbers(capsys):
    """digits=8 prints 8 significant digits."""
    w, z, out, loss = scalar_neuron([1.0, 1.0, 0.0], 1.0)
    explain(loss, digits=8)
    o = hand_derivation([1.0, 1.0, 0.0], 1.0)[0]
    assert f"out = sigmoid(z) = {o:.8g}   dL/dout = {o - 1:.8g}" in capsys.readouterr().out


def test_a_large_graph_is_summarised_after_the_limit():
    """A chain of 100 operations with limit=10 prints 10 Values, then says how many were left out;
    limit=None prints all 101. The steps returned are always all of them."""
    x = Value(0.5, name="x")
    y = x
    for _ in range(100):
        y = y * 1.01
    out = io.StringIO()
    explain(y, limit=10, file=out)
    lines = out.getvalue().splitlines()
    assert sum(1 for line in lines if re.match(r"mul_\d+ = ", line)) == 10
    assert lines[-1] == ("... 91 more Values left out (90 operations, 1 leaf): limit=10; "
                         "explain(..., limit=None) shows them all")
    assert len(explain(y, limit=10, print_steps=False)) == 101
    out = io.StringIO()
    explain(y, limit=None, file=out)
    assert "left out" not in out.getvalue() and "  dL/dx = 2.705" in out.getvalue()


def test_format_steps_prints_what_explain_prints():
    """format_steps(explain(..., print_steps=False)) is explain's printed text."""
    *_, loss = scalar_neuron([1.0, 0.0, 1.0], 0.0)
    out = io.StringIO()
    explain(loss, file=out)
    assert format_steps(explain(loss, print_steps=False)) + "\n" == out.getvalue()


# ---------------------------------------------------------------------- what the engine refuses, explain refuses


def test_explain_refuses_what_backward_refuses():
    """A number changed in place after use raises backward()'s error; inside detect_anomaly() a rule that
    makes a NaN raises FloatingPointError, as backward() does."""
    c = Value(np.array([1.0, 2.0]), requires_grad=False)
    x = Value(np.array([3.0, 4.0]))
    y = (x * c).sum()
    c.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        explain(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()

    bad = Operation("bad", lambda v: v * 2, lambda g, v, out: g * np.nan)
    with tg.detect_anomaly():
        z = bad(Value(1.0))
        with pytest.raises(FloatingPointError, match="the derivative rule of 'bad' for its argument 0"):
            explain(z)


def test_lines_are_printed_as_the_pass_runs(capsys):
    """A rule that fails half-way through the pass: the lines of the Values before it are already printed,
    so the text shows how far the chain rule got. (The failing Value's own line is not: a Value's line is
    written when its first rule has run.)"""
    def broken_rule(g, x, out):
        raise ZeroDivisionError("the rule broke")

    broken = Operation("broken", lambda x: x * 2, broken_rule, formulas=["2 * g"])
    x = Value(np.array([1.0, 2.0]), name="x")
    loss = (broken(x) * 3.0).sum()
    with pytest.raises(ZeroDivisionError, match="the rule broke"):
        explain(loss)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == ["sum_1 = sum(x=mul_1, axes=(0,), keepdims=False) = 18   dL/dsum_1 = 1",
                         "  dL/dmul_1 += g copied along the summed axes = [1, 1]",
                         "mul_1 = mul(a=broken_1, b=3) = [6, 12]   dL/dmul_1 = [1, 1]",
                         "  dL/dbroken_1 += g * b = [3, 3]"]
    assert x.grad is None


def test_bad_arguments_are_refused_before_anything_is_printed(capsys):
    """Each bad argument gets an error naming explain and what is wrong, and nothing is printed."""
    x = Value(np.array([1.0, 2.0]), name="x")
    y = x * 2
    cases = [
        (lambda: explain(np.ones(2)), TypeError, ["explain: value must be a Value, got ndarray"]),
        (lambda: explain(Value(1.0, requires_grad=False)), RuntimeError, ["explain:", "does not require grad"]),
        (lambda: explain(y), ValueError, ["explain:", "shape (2,)", "gradient="]),
        (lambda: explain(y, gradient=np.ones(3)), ValueError, ["explain: gradient has shape (3,)", "(2,)"]),
        (lambda: explain(y, gradient=np.ones(2), limit=-1), ValueError, ["explain: limit must be", "-1"]),
        (lambda: explain(y, gradient=np.ones(2), limit=2.5), ValueError, ["explain: limit must be"]),
        (lambda: explain(y, gradient=np.ones(2), digits=0), ValueError, ["explain: digits must be", "1 to 17"]),
        (lambda: explain(y, gradient=np.ones(2), digits=True), ValueError, ["explain: digits must be"]),
        (lambda: explain(y, 3, gradient=np.ones(2)), TypeError, ["explain: model must be a Module", "int"]),
        (lambda: explain(y, {"w": 1.0}, gradient=np.ones(2)), TypeError, ["(name, Value) pairs", "(str, float)"]),
        (lambda: explain(y, gradient=np.ones(2), print_steps="no"), TypeError, ["explain: print_steps"]),
        (lambda: explain(y, gradient=np.ones(2), file="out.txt"), TypeError, ["explain: file must be", "str"]),
    ]
    for call, kind, fragments in cases:
        with raises(kind, *fragments):
            call()
    assert capsys.readouterr().out == ""
    assert x.grad is None


# ---------------------------------------------------------------------- the documentation's example


def test_the_examples_in_docs_explain_md_print_what_the_page_shows(capsys):
    """Each Python block of docs/explain.md that a text block follows, run now, prints exactly that text."""
    page = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n((?:(?!```).)*)```\s*\n```text\n((?:(?!```).)*)```", page, re.S)
    assert len(examples) == 2
    for code, shown in examples:
        exec(compile(code, "docs/explain.md", "exec"), {})
        assert capsys.readouterr().out == shown
