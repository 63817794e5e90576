"""The grader: ``python -m exercises.check [NAME ...]`` (or ``python exercises/check.py``).

For each exercise it takes your Operation (the forward given, the rules
yours) and, on a few sets of small random inputs,

1. calls each rule once with numpy arrays: a rule that still raises
   NotImplementedError is "not written yet"; one that fails, returns
   nothing, changes its arguments or returns an array of the wrong shape is
   reported as such, with the line that failed;
2. runs ``tinygrad_edu.gradcheck``: every derivative your rules give,
   dout[i]/dx[j], against central finite differences
   (out(x + eps) - out(x - eps)) / (2 eps), which need no rules at all;
3. runs ``tinygrad_edu.gradgradcheck``: the same for the derivatives of your
   rules' results (second derivatives). For that the backward pass calls
   your rules with Values, and what they compute must follow those Values.

A failure names the argument whose rule is wrong, the element where it
first disagrees, and the number expected against the number your rule gave.
Exit status 0 when every exercise checked passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if not __package__:  # run as a file (python exercises/check.py): make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinygrad_edu import GradcheckError, Operation, Value, gradcheck, gradgradcheck  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------- the exercises


@dataclass(frozen=True)
class Case:
    """One set of inputs: the arguments that get gradients, in order, then the constants after them (an axis)."""

    values: dict[str, np.ndarray]
    constants: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The inputs in words, e.g. ``x of shape (2, 3), axis = 1``."""
        parts = [f"{name} of shape {array.shape}" for name, array in self.values.items()]
        parts += [f"{name} = {value!r}" for name, value in self.constants.items()]
        return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """An exercise: the Operation called ``attribute`` in exercises/<topic>.py, and the inputs it is checked on."""

    name: str
    topic: str
    attribute: str
    arguments: tuple[str, ...]  # the Operation's arguments, one rule each (None for an axis)
    cases: Callable[[np.random.Generator], list[Case]]
    elementwise: bool = False  # out[i] depends on each argument's element i only
    second_order: bool = True

    @property
    def path(self) -> str:
        """Where the learner writes it, relative to the repository."""
        return f"exercises/{self.topic}.py"


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Numbers between 0.5 and 2 in size, of either sign: safe to divide by."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


# Shapes are chosen so that typical mistakes give wrong numbers, not only wrong
# shapes: square matrices first (a transposed product still fits), then
# rectangular ones and a batch of one (where a forgotten sum shows as a shape).
EXERCISES: tuple[Exercise, ...] = (
    Exercise("exp", "elementwise", "exp", ("x",), lambda rng: [Case({"x": rng.uniform(-2, 2, (2, 3))})],
             elementwise=True),
    Exercise("tanh", "elementwise", "tanh", ("x",), lambda rng: [Case({"x": rng.uniform(-2, 2, (2, 3))})],
             elementwise=True),
    Exercise("sigmoid", "elementwise", "sigmoid", ("x",), lambda rng: [Case({"x": rng.uniform(-4, 4, (2, 3))})],
             elementwise=True),
    Exercise("div", "arithmetic", "div", ("a", "b"),
             lambda rng: [Case({"a": rng.uniform(-2, 2, (2, 3)), "b": _away_from_zero(rng, (2, 3))})],
             elementwise=True),
    Exercise("pow", "arithmetic", "power", ("x", "p"),
             lambda rng: [Case({"x": rng.uniform(0.5, 2, (2, 3)), "p": rng.uniform(-2, 3, (2, 3))}),
                          Case({"x": rng.uniform(-2, 2, (2, 3))}, {"p": 3.0})],
             elementwise=True),
    Exercise("sum", "reductions", "reduce_sum", ("x", "axis"),
             lambda rng: [Case({"x": rng.standard_normal((3, 3))}, {"axis": 0}),
                          Case({"x": rng.standard_normal((2, 3, 4))}, {"axis": 1}),
                          Case({"x": rng.standard_normal((2, 3))}, {"axis": -1})]),
    Exercise("log_softmax", "reductions", "log_softmax", ("x", "axis"),
             lambda rng: [Case({"x": 2 * rng.standard_normal((2, 3))}, {"axis": -1}),
                          Case({"x": 2 * rng.standard_normal((3, 3))}, {"axis": 0}),
                          Case({"x": 2 * rng.standard_normal((2, 3, 2))}, {"axis": 1})]),
    Exercise("matmul", "matrices", "matmul", ("a", "b"),
             lambda rng: [Case({"a": rng.standard_normal((3, 3)), "b": rng.standard_normal((3, 3))}),
                          Case({"a": rng.standard_normal((2, 3)), "b": rng.standard_normal((3, 4))})]),
    Exercise("linear", "matrices", "linear", ("x", "w", "b"),
             lambda rng: [Case({"x": rng.standard_normal((3, 3)), "w": rng.standard_normal((3, 3)),
                                "b": rng.standard_normal(3)}),
                          Case({"x": rng.standard_normal((4, 3)), "w": rng.standard_normal((2, 3)),
                                "b": rng.standard_normal(2)}),
                          Case({"x": rng.standard_normal((1, 2)), "w": rng.standard_normal((3, 2)),
                                "b": rng.standard_normal(3)})]),
)

BY_NAME: dict[str, Exercise] = {exercise.name: exercise for exercise in EXERCISES}


# ---------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    """The grader's answer for one exercise.

    ``status`` is "PASS", "FAIL" or "TODO" (not written yet); ``message`` says
    why, for people. For a wrong derivative, ``argument`` names the argument
    whose rule is wrong, and ``expected`` (finite differences) and ``got``
    (the rules) are the first pair of numbers that disagree: the derivative
    of out[out_index] (for a second derivative, of dL/d argument[out_index])
    with respect to the element in_index, on the inputs ``case``.
    ``second_order`` says whether it was a second derivative.
    """

    exercise: str
    status: str
    message: str
    argument: str | None = None
    expected: float | None = None
    got: float | None = None
    second_order: bool = False
    case: Case | None = None
    out_index: tuple[int, ...] | None = None
    in_index: tuple[int, ...] | None = None


def load(exercise: Exercise, solutions: bool = False) -> Operation | Verdict:
    """The exercise's Operation from exercises/<topic>.py (or exercises/solutions/), or a FAIL saying why not."""
    module_name = f"exercises.{'solutions.' if solutions else ''}{exercise.topic}"
    path = f"exercises/{'solutions/' if solutions else ''}{exercise.topic}.py"
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # a syntax error, a bad import: anything a learner's edit can cause
        return Verdict(exercise.name, "FAIL", f"{path} could not be imported:\n{_error_text(error)}")
    operation = getattr(module, exercise.attribute, None)
    if not isinstance(operation, Operation):
        return Verdict(exercise.name, "FAIL", f"{path} should define {exercise.attribute} = Operation(...); "
                                              f"it is {type(operation).__name__}")
    return operation


def grade(exercise: Exercise, operation: Operation) -> Verdict:
    """Check ``operation``'s rules on the exercise's inputs: a PASS, a FAIL with a hint, or a TODO."""
    if len(operation.rules) != len(exercise.arguments):
        return Verdict(exercise.name, "FAIL",
                       f"the Operation has {len(operation.rules)} rules, but {exercise.name} takes "
                       f"{len(exercise.arguments)} arguments ({', '.join(exercise.arguments)}): one rule each")
    rng = np.random.default_rng(0)  # the same inputs on every run, so a hint can be followed up
    unwritten: list[int] = []
    for case in exercise.cases(rng):
        failure, newly_unwritten = _try_rules(exercise, operation, case, unwritten, rng)
        if failure is not None:
            return failure
        unwritten += newly_unwritten
        written = [i for i in range(len(case.values)) if i not in unwritten]
        if not written:
            continue
        failure = _compare(exercise, operation, case, written)
        if failure is not None:
            return failure
    if unwritten:
        names = [_where(operation.rules[i]) for i in unwritten]
        right = [_function_name(operation.rules[i]) for i in range(len(exercise.arguments))
                 if i not in unwritten and operation.rules[i] is not None]
        done = f"{' and '.join(right)} {'is' if len(right) == 1 else 'are'} right so far; " if right else ""
        return Verdict(exercise.name, "TODO", f"{done}not written yet: {', '.join(names)}")
    checked = "first and second derivatives agree" if exercise.second_order else "derivatives agree"
    return Verdict(exercise.name, "PASS", f"{checked} with finite differences")


# ---------------------------------------------------------------------- step 1: each rule once, on numpy arrays


def _try_rules(exercise: Exercise, operation: Operation, case: Case, skip: Sequence[int],
               rng: np.random.Generator) -> tuple[Verdict | None, list[int]]:
    """Call each rule once with numpy arrays: (a FAIL, or None; the positions not written yet)."""
    arrays = list(case.values.values())
    constants = list(case.constants.values())
    out = np.asarray(operation.forward(*arrays, *constants))
    g = rng.standard_normal(out.shape)
    unwritten = []
    for position, name in enumerate(case.values):
        if position in skip:
            continue
        rule = operation.rules[position]
        if rule is None:
            return _fail(exercise, f"the Operation has no rule for {name} (None where {name}'s rule goes)"), []
        given = [g.copy(), *(a.copy() for a in arrays), *constants, out.copy()]
        try:
            result = rule(*given)
        except NotImplementedError:
            unwritten.append(position)
            continue
        except Exception as error:
            return _fail(exercise, f"the rule for {name}, {_where(rule)}, failed, given numpy arrays.\n"
                                   f"inputs: {case.describe()}\n{_error_text(error, rule)}", name), []
        names = ("g", *case.values, *case.constants, "out")
        before = (g, *arrays, *constants, out)
        changed = [n for n, old, new in zip(names, before, given)
                   if isinstance(old, np.ndarray) and not np.array_equal(old, new, equal_nan=True)]
        if changed:
            return _fail(exercise, f"the rule for {name}, {_where(rule)}, changed {' and '.join(changed)} in "
                                   "place (with +=, *= or an assignment into it). Its arguments belong to the "
                                   "backward pass, and other rules read them after yours: compute a new array "
                                   "instead (g * x, not g *= x).", name), []
        if result is None:
            return _fail(exercise, f"the rule for {name}, {_where(rule)}, returned None: is the "
                                   "`return` missing?", name), []
        problem = _not_shaped_like(result, arrays[position].shape)
        if problem:
            return _fail(exercise, _shape_message(name, rule, problem, arrays[position].shape, case), name), []
    return None, unwritten


def _not_shaped_like(result: Any, shape: tuple[int, ...]) -> str | None:
    """What ``result`` is, in words, when it is not an array of ``shape``; None when it is."""
    if isinstance(result, (int, float)):  # a plain number would broadcast silently: the shape is part of the answer
        return "a plain number"
    got = getattr(result, "shape", None)
    if got is None:
        return f"a {type(result).__name__}"
    return None if got == shape else f"an array of shape {got}"


def _shape_message(name: str, rule: Callable[..., Any], got: str, want: tuple[int, ...], case: Case) -> str:
    return (f"the rule for {name}, {_where(rule)}, returned {got}, but dL/d{name} must have "
            f"{name}'s shape {want}: one number for each element of {name}.\ninputs: {case.describe()}")


# ---------------------------------------------------------------------- steps 2 and 3: gradcheck, gradgradcheck


class _RuleFailed(Exception):
    """Raised through the backward pass when a rule fails inside gradcheck, to say which rule it was."""

    def __init__(self, position: int, error: Exception, on_values: bool) -> None:
        super().__init__(position, error, on_values)
        self.position, self.error, self.on_values = position, error, on_values


def _watched(rule: Callable[..., Any], position: int, shape: tuple[int, ...]) -> Callable[..., Any]:
    """``rule``, reporting a failure or a wrong shape as a _RuleFailed that names the argument."""
    def watched(g: Any, *args: Any) -> Any:
        try:
            result = rule(g, *args)
        except Exception as error:
            raise _RuleFailed(position, error, isinstance(g, Value)) from error
        problem = _not_shaped_like(result, shape)
        if problem:
            raise _RuleFailed(position, ValueError(f"returned {problem}, not an array of shape {shape}"),
                              isinstance(g, Value))
        return result
    return watched


def _compare(exercise: Exercise, operation: Operation, case: Case, written: list[int]) -> Verdict | None:
    """gradcheck, then gradgradcheck, of the written rules on one case: a FAIL, or None."""
    shapes = [a.shape for a in case.values.values()]
    rules = [_watched(rule, i, shapes[i]) if rule is not None and i < len(shapes) else rule
             for i, rule in enumerate(operation.rules)]
    checked = Operation(operation.name, operation.forward, *rules)
    constants = tuple(case.constants.values())

    def apply(*values: Value) -> Value:
        return checked(*values, *constants)

    names = list(case.values)
    inputs = [Value(array.copy(), requires_grad=i in written) for i, array in enumerate(case.values.values())]
    for second in (False, True):
        if second and not exercise.second_order:
            break
        try:
            if second:
                gradgradcheck(apply, inputs)
            else:
                gradcheck(apply, inputs)
        except GradcheckError as error:
            return _wrong_numbers(exercise, operation, case, names, written, str(error), second)
        except _RuleFailed as failed:
            name = names[failed.position]
            rule = operation.rules[failed.position]
            if failed.on_values:
                return _fail(exercise, f"the rule for {name}, {_where(rule)}, works on numpy arrays but fails when "
                                       "given Values, as it is for second derivatives:\n"
                                       f"{_error_text(failed.error, rule)}\n{_VALUES_ADVICE}", name, second=True)
            return _fail(exercise, f"the rule for {name}, {_where(rule)}, failed during the check.\n"
                                   f"inputs: {case.describe()}\n{_error_text(failed.error, rule)}", name)
    return None


_VALUES_ADVICE = ("For second derivatives the backward pass gives your rule Values, not numpy arrays, and "
                  "differentiates what it computes. Use operators (+ - * / ** @), the methods .sum, .reshape "
                  "and .T, and exp/log from tinygrad_edu.ops on g, x and out; numpy functions (np.exp, np.sum), "
                  ".data and float(...) turn them into plain numbers that no longer follow the inputs.")

# gradcheck's message: "d(output k)/d(input i) disagrees at output element (..), input element (..): analytic A,
# numeric N, ...". The grader reads the parts back to say them in the exercise's own words.
_GRADCHECK = re.compile(r"d\(output (\d+)\)/d\(input (\d+)\) disagrees at output element \(([^)]*)\), "
                        r"input element \(([^)]*)\): analytic (\S+), numeric (\S+),")


def _wrong_numbers(exercise: Exercise, operation: Operation, case: Case, names: list[str], written: list[int],
                   message: str, second: bool) -> Verdict:
    """A FAIL for a GradcheckError: which rule, which elements, expected against got."""
    match = _GRADCHECK.search(message)
    if match is None:  # the checker's message changed: show it as it is
        return _fail(exercise, f"gradcheck found a wrong derivative.\ninputs: {case.describe()}\n{message}")
    output, input_, out_at, in_at = int(match[1]), int(match[2]), _index(match[3]), _index(match[4])
    got, expected = float(match[5]), float(match[6])
    if second:
        # The outputs are the first derivatives dL/dv, one per checked argument v; the inputs are
        # the arguments, then g (the upstream gradient, which the first derivatives depend on too).
        wrong = written[output]
        moved = names[input_] if input_ < len(names) else "g"
        what = f"d (dL/d{names[wrong]}{_at(out_at)}) / d {moved}{_at(in_at)}"
        yours = "your rule's result, differentiated"
    else:
        wrong = input_
        what = f"d out{_at(out_at)} / d {names[wrong]}{_at(in_at)}{_there(exercise, case, out_at, in_at)}"
        yours = f"your rule, given g = 1 at out{_at(out_at)} and 0 elsewhere"
    name, rule = names[wrong], operation.rules[wrong]
    assert rule is not None
    lines = [f"the rule for {name}, {_where(rule)}, gives a wrong {'second derivative' if second else 'derivative'}.",
             f"inputs: {case.describe()}",
             f"{what}:",
             f"  expected {expected:>12.6g}   (finite differences)",
             f"  got      {got:>12.6g}   ({yours})"]
    pattern = _pattern(expected, got)
    if pattern:
        lines.append(pattern)
    if second:
        lines.append("Your rule gives the right first derivatives, so part of it probably does not follow the "
                     "Values it is given. " + _VALUES_ADVICE)
    return Verdict(exercise.name, "FAIL", "\n".join(lines), name, expected, got, second, case, out_at, in_at)


def _pattern(expected: float, got: float) -> str | None:
    """A guess at the kind of mistake, from how got compares with expected."""
    if not np.isfinite(got):
        return f"Your rule gives {got} here: a division by zero, or an overflow?"
    if not np.isfinite(expected):
        return None
    if abs(expected) < 1e-7:
        return ("Expected 0: that output element does not depend on that input element at all, so your rule "
                "sends gradient where none belongs. Is each element of g multiplied by its own element's slope? "
                "With matrices or an axis: a transpose, or the wrong axis?")
    if abs(got) < 1e-12:
        return "Your rule gives 0 where the output does depend on this element: is a term or g itself missing?"
    ratio = got / expected
    for factor, text in ((-1.0, "-1"), (2.0, "2"), (0.5, "1/2"), (3.0, "3"), (1 / 3, "1/3"), (4.0, "4"),
                         (0.25, "1/4"), (-2.0, "-2"), (-0.5, "-1/2")):
        if abs(ratio - factor) <= 1e-3 * abs(factor):
            if factor == -1.0:
                return "got is expected with the sign flipped: is a minus sign missing, or one too many?"
            return f"got is {text} times expected: a factor too many or too few?"
    return None


# ---------------------------------------------------------------------- small helpers


def _fail(exercise: Exercise, message: str, argument: str | None = None, second: bool = False) -> Verdict:
    return Verdict(exercise.name, "FAIL", message, argument, second_order=second)


def _index(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _at(index: tuple[int, ...]) -> str:
    return f"[{', '.join(str(i) for i in index)}]" if index else ""


def _there(exercise: Exercise, case: Case, out_at: tuple[int, ...], in_at: tuple[int, ...]) -> str:
    """For an elementwise operation, the arguments' values at the element in question."""
    if not exercise.elementwise or out_at != in_at:
        return ""
    values = [f"{name}{_at(in_at)} = {array[in_at]:.6g}" for name, array in case.values.items()]
    values += [f"{name} = {value!r}" for name, value in case.constants.items()]
    return f", at {', '.join(values)}"


def _function_name(rule: Callable[..., Any] | None) -> str:
    return getattr(rule, "__name__", repr(rule))


def _where(rule: Callable[..., Any] | None) -> str:
    """``name (file:line)`` for a rule, as a learner would look for it."""
    name = _function_name(rule)
    try:
        path = Path(inspect.getsourcefile(rule) or "")  # type: ignore[arg-type]
        line = inspect.getsourcelines(rule)[1]  # type: ignore[arg-type]
    except (TypeError, OSError):
        return name
    return f"{name} ({_shown_path(path)}:{line})"


def _shown_path(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _error_text(error: BaseException, rule: Callable[..., Any] | None = None) -> str:
    """The error, and the line of the learner's file it came from when that can be told."""
    text = f"  {type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)
    source = getattr(getattr(rule, "__code__", None), "co_filename", None)
    mine = [f for f in frames if f.filename == source] if source else []
    if isinstance(error, SyntaxError) and error.filename:
        return f"  SyntaxError: {error.msg}\n  at {_shown_path(Path(error.filename))}:{error.lineno}: " \
               f"{(error.text or '').strip()}"
    if mine:
        frame = mine[-1]
        text += f"\n  at line {frame.lineno}: {(frame.line or '').strip()}"
    return text


# ---------------------------------------------------------------------- the command


def run(names: Sequence[str], solutions: bool = False) -> list[Verdict]:
    """Grade the named exercises (all when empty), in the order of EXERCISES."""
    verdicts = []
    for exercise in EXERCISES:
        if names and exercise.name not in names:
            continue
        loaded = load(exercise, solutions)
        verdicts.append(loaded if isinstance(loaded, Verdict) else grade(exercise, loaded))
    return verdicts


def show_solution(name: str) -> str:
    """The worked solution of one exercise: the source of its rules, derivation included."""
    exercise = BY_NAME[name]
    loaded = load(exercise, solutions=True)
    if isinstance(loaded, Verdict):
        return loaded.message
    parts = [f"# exercises/solutions/{exercise.topic}.py: the rules of {exercise.attribute}\n"]
    parts += [inspect.getsource(rule) for rule in loaded.rules if rule is not None]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Grade the exercises, print a verdict for each; 0 if all pass."""
    parser = argparse.ArgumentParser(
        prog="python -m exercises.check",
        description="Check your derivative rules against finite differences (gradcheck and gradgradcheck).")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"the exercises to check (default: all): {', '.join(BY_NAME)}")
    parser.add_argument("--solutions", action="store_true", help="grade the worked solutions instead of your files")
    parser.add_argument("--solution", metavar="NAME", help="print the worked solution of one exercise")
    args = parser.parse_args(argv)
    for name in [*args.names, *([args.solution] if args.solution else [])]:
        if name not in BY_NAME:
            parser.error(f"there is no exercise {name!r}; the exercises are {', '.join(BY_NAME)}")
    if args.solution:
        print(show_solution(args.solution))
        return 0
    verdicts = run(args.names, args.solutions)
    width = max(len(v.exercise) for v in verdicts)
    indent = " " * (width + 10)
    for verdict in verdicts:
        lines = []
        for line in verdict.message.splitlines():  # long lines wrapped, each keeping its own indent
            inner = " " * (len(line) - len(line.lstrip()))
            # A no-break space inside parentheses keeps a shape such as (2, 3) on one line.
            unbroken = re.sub(r"\([^()]*\)", lambda m: m[0].replace(" ", "\xa0"), line.lstrip())
            wrapped = textwrap.wrap(unbroken, 110 - len(indent), initial_indent=inner,
                                    subsequent_indent=inner + "  ", break_on_hyphens=False)
            lines += [part.replace("\xa0", " ") for part in wrapped] or [""]
        print(f"  {verdict.exercise:<{width}}  {verdict.status}  {lines[0]}")
        for line in lines[1:]:
            print(f"{indent}{line}")
    counts = {status: sum(v.status == status for v in verdicts) for status in ("PASS", "FAIL", "TODO")}
    print(f"\n{counts['PASS']} of {len(verdicts)} pass, {counts['FAIL']} fail, {counts['TODO']} not written yet.")
    return 0 if counts["PASS"] == len(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
