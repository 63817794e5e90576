"""The graded exercises (exercises/): every worked solution passes the grader and agrees with PyTorch; a
deliberately wrong rule for each exercise is caught, and the verdict names the wrong argument and shows the
expected and got numbers, which are checked against the derivatives themselves; unwritten stubs are reported
as not written yet; the command line and the README's sample output."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import Operation, Value, grad
from tinygrad_edu.ops import exp, log

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) does not put the repository on the path
    sys.path.insert(0, str(ROOT))

from exercises import check  # noqa: E402
from exercises.solutions import arithmetic, elementwise, matrices, reductions  # noqa: E402

SOLUTIONS = {"exp": elementwise.exp, "tanh": elementwise.tanh, "sigmoid": elementwise.sigmoid,
             "div": arithmetic.div, "pow": arithmetic.power, "sum": reductions.reduce_sum,
             "log_softmax": reductions.log_softmax, "matmul": matrices.matmul, "linear": matrices.linear}


def with_rule(name, argument, rule):
    """The solution's Operation for exercise ``name`` with the rule for ``argument`` replaced."""
    solution = SOLUTIONS[name]
    position = check.BY_NAME[name].arguments.index(argument)
    rules = list(solution.rules)
    rules[position] = rule
    return Operation(solution.name, solution.forward, *rules)


def jacobian_element(operation, case, argument, out_index, in_index):
    """d out[out_index] / d argument[in_index] from ``operation``'s rules: one backward pass, g one-hot."""
    values = [Value(a.copy()) for a in case.values.values()]
    out = operation(*values, *case.constants.values())
    seed = np.zeros(out.shape)
    seed[out_index] = 1.0
    gradient = grad(out, values[list(case.values).index(argument)], Value(seed, requires_grad=False))[0]
    return float(gradient.data[in_index])


def shown(number):
    """A number as the grader prints it."""
    return f"{number:.6g}"


# ---------------------------------------------------------------------- the solutions pass


def test_the_table_covers_every_solution():
    assert list(check.BY_NAME) == list(SOLUTIONS)


@pytest.mark.parametrize("name", list(check.BY_NAME))
def test_each_solution_passes_the_grader(name):
    exercise = check.BY_NAME[name]
    operation = check.load(exercise, solutions=True)
    assert operation is SOLUTIONS[name]
    verdict = check.grade(exercise, operation)
    assert (verdict.status, verdict.message) == ("PASS", "first and second derivatives agree with finite differences")


def torch_version(name, torch):
    """The PyTorch function each exercise's Operation computes, with the exercise's constants."""
    return {"exp": torch.exp, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "div": torch.div, "pow": torch.pow,
            "sum": lambda x, axis: torch.sum(x, dim=axis),
            "log_softmax": lambda x, axis: torch.log_softmax(x, dim=axis),
            "matmul": torch.matmul, "linear": torch.nn.functional.linear}[name]


@pytest.mark.parametrize("name", list(check.BY_NAME))
def test_each_solution_agrees_with_pytorch(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the solutions are compared with it")
    for seed in range(3):
        for case in check.BY_NAME[name].cases(np.random.default_rng(seed)):
            values = [Value(a.copy()) for a in case.values.values()]
            out = SOLUTIONS[name](*values, *case.constants.values())
            upstream = np.random.default_rng(seed + 10).standard_normal(out.shape)
            (out * upstream).sum().backward()
            tensors = [torch.tensor(a, requires_grad=True) for a in case.values.values()]
            expected = torch_version(name, torch)(*tensors, *case.constants.values())
            (expected * torch.tensor(upstream)).sum().backward()
            np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
            for value, tensor in zip(values, tensors):
                np.testing.assert_allclose(value.grad, tensor.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_pow_solution_takes_a_plain_number_as_exponent():
    x = Value([1.5, -2.0])
    arithmetic.power(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.array([1.5, -2.0]) ** 2, rtol=1e-15)


# ---------------------------------------------------------------------- wrong rules are caught


def sum_along_the_wrong_axis(g, x, axis, out):
    kept = list(x.shape)
    kept[axis - 1] = 1  # the axis before the summed one
    return g.reshape(kept) * np.ones(x.shape)


# (exercise, argument, the wrong rule, got / expected at the reported element when the mistake fixes it)
WRONG_NUMBERS = [
    ("exp", "x", lambda g, x, out: out, None),                               # g ignored
    ("exp", "x", lambda g, x, out: g * x, None),                             # x where exp(x) belongs
    ("tanh", "x", lambda g, x, out: g * (1 - out), None),                    # the square forgotten
    ("tanh", "x", lambda g, x, out: g * (1 + out * out), None),              # the sign inside
    ("sigmoid", "x", lambda g, x, out: g * out, None),                       # (1 - s) forgotten
    ("sigmoid", "x", lambda g, x, out: -g * out * (1 - out), -1.0),          # the sign flipped
    ("div", "a", lambda g, a, b, out: g * b, None),                          # times b, not divided
    ("div", "b", lambda g, a, b, out: g * out / b, -1.0),                    # the sign flipped
    ("div", "b", lambda g, a, b, out: -g / (b * b), None),                   # a forgotten
    ("pow", "x", lambda g, x, p, out: g * x ** (p - 1), None),               # the factor p forgotten
    ("pow", "x", lambda g, x, p, out: g * p * x ** p, None),                 # the exponent not lowered
    ("pow", "p", lambda g, x, p, out: g * log(x), None),                     # out forgotten
    ("sum", "x", sum_along_the_wrong_axis, None),
    ("log_softmax", "x", lambda g, x, axis, out: g - exp(out) * g, None),    # the sum over the slice forgotten
    ("log_softmax", "x", lambda g, x, axis, out: g - exp(out) * g.sum(), None),  # summed over every axis
    ("log_softmax", "x", lambda g, x, axis, out: g - exp(out) * g.sum(axis=0, keepdims=True), None),  # wrong axis
    ("matmul", "a", lambda g, a, b, out: g @ b, None),                       # b not transposed
    ("matmul", "b", lambda g, a, b, out: a @ g, None),                       # a not transposed
    ("linear", "x", lambda g, x, w, b, out: g @ w.T, None),                  # a transpose too many
    ("linear", "w", lambda g, x, w, b, out: x.T @ g, None),                  # dL/d(w.T), not dL/dw
    ("linear", "b", lambda g, x, w, b, out: g.mean(axis=0), 1 / 3),          # the mean over a batch of 3
    ("linear", "b", lambda g, x, w, b, out: 0.5 * g.sum(axis=0), 0.5),       # a stray 1/2
    ("linear", "b", lambda g, x, w, b, out: g.sum(axis=1), None),            # summed over the outputs
]


@pytest.mark.parametrize(("name", "argument", "rule", "ratio"), WRONG_NUMBERS,
                         ids=[f"{n}-{a}-{i}" for i, (n, a, _, _) in enumerate(WRONG_NUMBERS)])
def test_a_wrong_rule_is_caught_with_the_numbers(name, argument, rule, ratio):
    wrong = with_rule(name, argument, rule)
    verdict = check.grade(check.BY_NAME[name], wrong)
    assert verdict.status == "FAIL", verdict.message
    assert verdict.argument == argument and not verdict.second_order
    assert verdict.message.startswith(f"the rule for {argument}, ")
    # The numbers are shown, and they are the real derivatives: expected is the solution's
    # (the true one), got is the wrong rule's, at the element the verdict names.
    assert f"expected {shown(verdict.expected):>12}" in verdict.message
    assert f"got      {shown(verdict.got):>12}" in verdict.message
    assert f"d out{check._at(verdict.out_index)} / d {argument}{check._at(verdict.in_index)}" in verdict.message
    truth = jacobian_element(SOLUTIONS[name], verdict.case, argument, verdict.out_index, verdict.in_index)
    assert verdict.expected == pytest.approx(truth, rel=1e-6, abs=1e-8)
    assert verdict.got == jacobian_element(wrong, verdict.case, argument, verdict.out_index, verdict.in_index)
    assert abs(verdict.got - verdict.expected) > 1e-5 + 1e-3 * abs(verdict.expected)
    if ratio is not None:
        assert verdict.got == pytest.approx(ratio * verdict.expected, rel=1e-6)


def test_the_hint_names_the_kind_of_mistake():
    flipped = check.grade(check.BY_NAME["div"], with_rule("div", "b", WRONG_NUMBERS[7][2]))
    assert "the sign flipped" in flipped.message
    third = check.grade(check.BY_NAME["linear"], with_rule("linear", "b", WRONG_NUMBERS[20][2]))
    assert "got is 1/3 times expected" in third.message
    misplaced = check.grade(check.BY_NAME["sum"], with_rule("sum", "x", sum_along_the_wrong_axis))
    assert misplaced.expected == 0 and misplaced.got == 1
    assert "does not depend on that input element at all" in misplaced.message
    ignored = check.grade(check.BY_NAME["exp"], with_rule("exp", "x", WRONG_NUMBERS[0][2]))
    assert ignored.expected == 0 and "multiplied by its own element's slope" in ignored.message


def test_an_elementwise_hint_shows_the_inputs_at_the_element():
    verdict = check.grade(check.BY_NAME["div"], with_rule("div", "b", WRONG_NUMBERS[7][2]))
    a, b = (verdict.case.values[n][verdict.in_index] for n in "ab")
    assert f"at a{check._at(verdict.in_index)} = {a:.6g}, b{check._at(verdict.in_index)} = {b:.6g}:" in verdict.message
    assert verdict.expected == pytest.approx(-a / b ** 2, rel=1e-6)


# (exercise, argument, the wrong rule, the shapes the verdict must name)
WRONG_SHAPES = [
    ("sum", "x", lambda g, x, axis, out: g, ["(3,)", "(3, 3)"]),                     # g not spread back
    ("linear", "b", lambda g, x, w, b, out: g, ["(3, 3)", "(3,)"]),                  # the batch not summed
    ("matmul", "b", lambda g, a, b, out: g.T @ a, None),                             # right on squares only
    ("linear", "x", lambda g, x, w, b, out: g, None),                                # right on squares only
]


@pytest.mark.parametrize(("name", "argument", "rule", "shapes"), WRONG_SHAPES,
                         ids=[f"{n}-{a}-{i}" for i, (n, a, _, _) in enumerate(WRONG_SHAPES)])
def test_a_rule_of_the_wrong_shape_is_caught(name, argument, rule, shapes):
    verdict = check.grade(check.BY_NAME[name], with_rule(name, argument, rule))
    assert verdict.status == "FAIL" and verdict.argument == argument
    assert verdict.message.startswith(f"the rule for {argument}, ")
    if shapes is None:  # the square case gives numbers, or a rectangular one a shape: either names both
        assert ("expected" in verdict.message and "got" in verdict.message) or "shape" in verdict.message
    else:
        got, want = shapes
        assert f"returned an array of shape {got}, but dL/d{argument} must have {argument}'s shape {want}: " \
            in verdict.message


def test_a_rule_that_only_works_on_numpy_arrays_is_caught_at_second_derivatives():
    rule = lambda g, x, out: g * np.exp(-x) / (1 + np.exp(-x)) ** 2  # noqa: E731 (right on arrays, not on Values)
    verdict = check.grade(check.BY_NAME["sigmoid"], with_rule("sigmoid", "x", rule))
    assert (verdict.status, verdict.argument, verdict.second_order) == ("FAIL", "x", True)
    assert "works on numpy arrays but fails when given Values" in verdict.message
    assert "TypeError" in verdict.message and "np.exp" in verdict.message


def detached_tanh_rule(g, x, out):
    numbers = out.data if isinstance(out, Value) else out  # right numbers, but a constant under create_graph
    return g * (1 - numbers * numbers)


def test_a_rule_whose_result_does_not_follow_its_inputs_is_caught_at_second_derivatives():
    verdict = check.grade(check.BY_NAME["tanh"], with_rule("tanh", "x", detached_tanh_rule))
    assert (verdict.status, verdict.argument, verdict.second_order) == ("FAIL", "x", True)
    assert "gives a wrong second derivative" in verdict.message
    assert f"d (dL/dx{check._at(verdict.out_index)}) / d x{check._at(verdict.in_index)}" in verdict.message
    assert shown(verdict.expected) in verdict.message and shown(verdict.got) in verdict.message
    # The first derivatives are right: d/dx of g * (1 - tanh(x)^2) misses the term from tanh(x) itself,
    # g * -2 tanh(x) (1 - tanh(x)^2), which is what finite differences find.
    t = np.tanh(verdict.case.values["x"][verdict.in_index])
    assert verdict.out_index == verdict.in_index
    assert verdict.expected - verdict.got == pytest.approx(-2 * t * (1 - t * t) * gradgrad_upstream(verdict), rel=1e-5)


def gradgrad_upstream(verdict):
    """The upstream gradient gradgradcheck drew (seed 0) at the verdict's element."""
    out_shape = verdict.case.values["x"].shape
    return np.random.default_rng(0).standard_normal(out_shape)[verdict.in_index]


# ---------------------------------------------------------------------- not written yet, and other mistakes


def stub_rules(name):
    operation = check.load(check.BY_NAME[name])
    assert isinstance(operation, Operation), operation.message
    return operation, [r for r in operation.rules if r is not None]


@pytest.mark.parametrize("name", list(check.BY_NAME))
def test_the_unwritten_stubs_are_reported_as_not_written_yet(name):
    operation, rules = stub_rules(name)
    if not all("raise NotImplementedError" in inspect.getsource(rule) for rule in rules):
        pytest.skip(f"{check.BY_NAME[name].path} has been edited (someone is doing the exercise), "
                    "so its stubs are not checked")
    verdict = check.grade(check.BY_NAME[name], operation)
    assert verdict.status == "TODO"
    assert verdict.message.startswith("not written yet: ")
    for rule in rules:
        line = inspect.getsourcelines(rule)[1]
        assert f"{rule.__name__} ({check.BY_NAME[name].path}:{line})" in verdict.message


def not_written(g, *args):
    raise NotImplementedError


def test_a_half_written_exercise_checks_what_is_written():
    verdict = check.grade(check.BY_NAME["div"], with_rule("div", "b", not_written))
    assert verdict.status == "TODO"
    assert verdict.message.startswith("div_rule_a is right so far; not written yet: not_written (")
    linear = Operation("linear", matrices.linear.forward, not_written, matrices.linear.rules[1], not_written)
    verdict = check.grade(check.BY_NAME["linear"], linear)
    assert verdict.status == "TODO" and verdict.message.startswith("linear_rule_w is right so far")


def test_a_wrong_rule_is_caught_while_another_is_not_written():
    wrong_a = Operation("div", arithmetic.div.forward, lambda g, a, b, out: -g / b, not_written)
    verdict = check.grade(check.BY_NAME["div"], wrong_a)
    assert (verdict.status, verdict.argument) == ("FAIL", "a")
    assert verdict.got == pytest.approx(-verdict.expected)


def multiplies_matrices(g, x, out):
    return g @ out  # (2, 3) @ (2, 3): the shapes do not fit


def changes_g(g, x, out):
    g *= out
    return g


@pytest.mark.parametrize(("rule", "says"), [
    (lambda g, x, out: None, "returned None: is the `return` missing?"),
    (changes_g, "changed g in place"),
    (lambda g, x, out: 1.0, "returned a plain number, but dL/dx must have x's shape (2, 3)"),
    (lambda g, x, out: (g * out).tolist(), "returned a list, but dL/dx must have x's shape (2, 3)"),
    (multiplies_matrices, "failed, given numpy arrays.\ninputs: x of shape (2, 3)\n  ValueError: matmul: "),
])
def test_other_mistakes_are_explained(rule, says):
    verdict = check.grade(check.BY_NAME["exp"], with_rule("exp", "x", rule))
    assert (verdict.status, verdict.argument) == ("FAIL", "x")
    assert says in verdict.message


def test_an_error_in_a_rule_shows_its_line():
    verdict = check.grade(check.BY_NAME["exp"], with_rule("exp", "x", multiplies_matrices))
    line = inspect.getsourcelines(multiplies_matrices)[1] + 1
    assert verdict.status == "FAIL" and "  ValueError: matmul: " in verdict.message
    assert f"at line {line}: return g @ out  # (2, 3) @ (2, 3): the shapes do not fit" in verdict.message


def test_an_operation_with_the_wrong_number_of_rules_is_refused():
    short = Operation("linear", matrices.linear.forward, *matrices.linear.rules[:2])
    verdict = check.grade(check.BY_NAME["linear"], short)
    assert verdict.status == "FAIL"
    assert verdict.message == "the Operation has 2 rules, but linear takes 3 arguments (x, w, b): one rule each"
    none_rule = Operation("div", arithmetic.div.forward, arithmetic.div.rules[0], None)
    assert "has no rule for b" in check.grade(check.BY_NAME["div"], none_rule).message


def test_a_file_that_cannot_be_imported_is_reported():
    missing = check.Exercise("nothing", "no_such_topic", "nothing", ("x",), lambda rng: [])
    verdict = check.load(missing)
    assert verdict.status == "FAIL"
    assert verdict.message.startswith("exercises/no_such_topic.py could not be imported:\n  ModuleNotFoundError")


# ---------------------------------------------------------------------- the command and the README


def run_check(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_command_grades_the_solutions():
    result = run_check("-m", "exercises.check", "--solutions")
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"^  \S+ +PASS  ", result.stdout, flags=re.M)) == len(check.EXERCISES)
    assert result.stdout.rstrip().endswith("9 of 9 pass, 0 fail, 0 not written yet.")


def test_the_command_runs_as_a_file_and_reports_stubs():
    _, rules = stub_rules("exp")
    if "raise NotImplementedError" not in inspect.getsource(rules[0]):
        pytest.skip("exercises/elementwise.py has been edited: exp is no longer a stub")
    result = run_check("exercises/check.py", "exp")
    assert result.returncode == 1, result.stderr
    assert re.search(r"^  exp  TODO  not written yet: exp_rule \(exercises/elementwise\.py:\d+\)$",
                     result.stdout, flags=re.M), result.stdout


def test_the_command_prints_a_solution_and_refuses_unknown_names():
    result = run_check("-m", "exercises.check", "--solution", "div")
    assert result.returncode == 0
    assert "def div_rule_b(g: Array, a: Array, b: Array, out: Array) -> Array:" in result.stdout
    assert "return -g * out / b" in result.stdout
    result = run_check("-m", "exercises.check", "divide")
    assert result.returncode == 2
    assert "there is no exercise 'divide'; the exercises are exp, tanh, sigmoid, div" in result.stderr


def test_the_readme_failure_is_what_the_grader_prints(monkeypatch, capsys):
    import exercises.arithmetic

    readme = (ROOT / "exercises" / "README.md").read_text()
    block = readme[readme.index("  div  FAIL"):]
    block = block[:block.index("```")].splitlines()
    monkeypatch.setattr(exercises.arithmetic, "div", with_rule("div", "b", WRONG_NUMBERS[7][2]))
    assert check.main(["div"]) == 1
    printed = capsys.readouterr().out.splitlines()
    # From the second line on: the first names the rule's file and line (a lambda here, the stub in the README).
    assert printed[1:len(block)] == block[1:]
    assert printed[0].startswith("  div  FAIL  the rule for b, <lambda> (tests/test_exercises.py:")
    stub = check.load(check.BY_NAME["div"]).rules[1]
    if "raise NotImplementedError" in inspect.getsource(stub):  # the stub as shipped: the README gives its line
        assert f"div_rule_b (exercises/arithmetic.py:{inspect.getsourcelines(stub)[1]})" in block[0]


def test_the_readme_example_of_using_a_finished_operation():
    x = Value([0.0, 2.0])
    elementwise.sigmoid(x).sum().backward()
    assert str(x.grad) == "[0.25       0.10499359]"
    assert "print(x.grad)          # [0.25       0.10499359]" in (ROOT / "exercises" / "README.md").read_text()
