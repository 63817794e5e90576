"""The Optimizer base class: parameter groups, per-parameter state, a checked step, state dicts.

An optimizer holds its parameters in ``param_groups``, PyTorch's layout: a
list of dicts, each with ``"params"`` (a list of Values) and every
hyper-parameter (``"lr"``, ...), so one model can train its parts at
different rates. ``state`` maps a parameter to what the optimizer remembers
about it (a momentum buffer, moment estimates, a step count). ``step()``
checks every parameter with a gradient before it changes any, then calls the
subclass's ``update`` once per group.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .. import checks
from ..autograd import forget_gradients
from ..grad_mode import enable_grad
from ..value import Value, mark_changed

_BLOCK = 16000  # elements: 125 KB of float64, under the size the allocator hands back to the system


def _pieces(*arrays: np.ndarray) -> tuple[tuple[np.ndarray, ...], ...]:
    """Matching pieces of same-shaped arrays, at most ``_BLOCK`` elements each, as writable views.

    An update written plainly (``p -= lr * g``) makes temporaries as large as
    the parameter on every step. For large parameters the memory allocator
    gives those pages back to the system and takes them again the next step,
    and touching fresh pages costs more than the arithmetic (the temporaries
    also add to peak memory). Applying the same formula to one piece at a
    time keeps every temporary small, and gives the same numbers, since each
    element is computed on its own. Small parameters, and arrays that are not
    C-contiguous (whose flat views would be copies), are one piece.
    """
    if arrays[0].size <= _BLOCK or not all(a.flags.c_contiguous for a in arrays):
        return (arrays,)
    flat = [a.reshape(-1) for a in arrays]
    return tuple(tuple(a[start:start + _BLOCK] for a in flat) for start in range(0, flat[0].size, _BLOCK))


def lerp_into(average: np.ndarray, target: np.ndarray, weight: float) -> None:
    """Move ``average`` the fraction ``weight`` of the way to ``target``, in place: a + weight * (t - a).

    Measured from the nearer end, as PyTorch's ``lerp`` does: for weight
    >= 0.5 it is t - (t - a) * (1 - weight), which keeps the digits of a
    small target when the average is far from it (weight 1 gives t exactly).
    """
    if weight < 0.5:
        average += weight * (target - average)
    else:
        average[...] = target - (target - average) * (1 - weight)


# ---------------------------------------------------------------------- checks of hyper-parameters


def real_number(value: Any, name: str, call: str, high: float = math.inf, high_included: bool = True) -> float:
    """``value`` as a Python float, if it is a finite real number in [0, high] (or [0, high)); else ValueError."""
    number = None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            number = None
    if (number is None or not math.isfinite(number) or number < 0 or number > high
            or (number == high and not high_included)):
        wanted = ("a finite real number >= 0" if high == math.inf
                  else f"a real number in [0, {high:g}{']' if high_included else ')'}")
        raise ValueError(f"{call}: {name} must be {wanted}, got {value!r}")
    return number


def flag(value: Any, name: str, call: str) -> bool:
    """``value`` as a Python bool, if it is True or False; else ValueError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{call}: {name} must be True or False, got {value!r}")
    return bool(value)


def _plain(value: Any) -> Any:
    """A saved hyper-parameter as Python values: a file gives 0-d arrays for numbers, 1-d ones for tuples."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item() if np.ndim(value) == 0 else tuple(np.asarray(value).tolist())
    return value


class ParamGroup(dict[str, Any]):
    """One parameter group: a dict of ``"params"`` and hyper-parameters, checked when one is assigned.

    ``group["lr"] = 0.01`` is how PyTorch code (and a learning-rate
    scheduler) changes a rate during training; an invalid value is refused
    there, with the rates unchanged, rather than found half-way through a
    later step.
    """

    def __init__(self, entries: Mapping[str, Any], check: Callable[[Mapping[str, Any], str], dict[str, Any]],
                 call: str) -> None:
        super().__init__(entries)
        self._check, self._call = check, call

    def __setitem__(self, key: str, value: Any) -> None:
        """Set one entry, checked with the others (and made a plain Python number) if it is a hyper-parameter."""
        if key == "params":
            raise ValueError(f"{self._call}: 'params' cannot be replaced; make a new optimizer, or add the "
                             "parameters with add_param_group")
        settings = self._check({**self, key: value}, self._call)
        super().__setitem__(key, settings.get(key, value))

    def __reduce__(self) -> tuple[Any, ...]:
        """Copied and pickled whole (copy.deepcopy of an optimizer), not entry by entry through __setitem__."""
        return (type(self), (dict(self), self._check, self._call))


class Optimizer:
    """Base class of the optimizers: parameter groups, per-parameter state, step, zero_grad, state dicts.

    ``Optimizer(params, defaults)``: ``params`` is a list of Values (one
    group) or a list of dicts ``{"params": [...], "lr": ..., ...}`` (one group
    each, missing hyper-parameters taken from ``defaults``).

    A subclass defines ``update(group, params, grads)``, which changes each
    parameter's data in place; it may check and normalise its hyper-parameters
    in ``check_hyperparameters``, and names the state it keeps for a
    parameter: ``state_arrays`` (shaped like the parameter; those in
    ``optional_state`` may be missing) and ``state_counters`` (integers).
    """

    state_arrays: tuple[str, ...] = ()
    state_counters: tuple[str, ...] = ()
    optional_state: tuple[str, ...] = ()
    old_state_names: dict[str, str] = {}  # state names this library saved before it took PyTorch's

    def __init__(self, params: Iterable[Value] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.defaults = {**defaults, **self.check_hyperparameters(defaults, name)}
        self.param_groups: list[ParamGroup] = []
        self.state: defaultdict[Value, dict[str, Any]] = defaultdict(dict)
        for group in _group_list(params, name):
            self._add_group(group, name)

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters of its own (missing ones taken from ``defaults``)."""
        self._add_group(param_group, f"{type(self).__name__}.add_param_group")

    def _add_group(self, group: Any, call: str) -> None:
        """Check a group (its parameters, and its hyper-parameters merged with the defaults), then add it."""
        where = f"{type(self).__name__} param_groups[{len(self.param_groups)}]"
        if not isinstance(group, Mapping):
            raise TypeError(f"{call}: a parameter group is a dict such as {{'params': [...], 'lr': 0.01}}, "
                            f"got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{call}: a parameter group needs a 'params' entry (the list of Values)")
        strays = [key for key in group if not isinstance(key, str)]
        if strays:
            raise TypeError(f"{call}: the keys of a parameter group are names (strings), got {strays[0]!r}")
        params = self._checked_params(group["params"], call)
        entries = {**self.defaults, **{key: value for key, value in group.items() if key != "params"}}
        entries.update(self.check_hyperparameters(entries, where))
        self.param_groups.append(ParamGroup({"params": params, **entries}, type(self).check_hyperparameters, where))

    def _checked_params(self, params: Any, call: str) -> list[Value]:
        """The parameters of a new group as a list, each a leaf Value with writable data, none seen before."""
        if isinstance(params, Value):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{call}: parameters must be in an ordered collection such as a list (a set's "
                            "order changes from run to run)")
        elif not isinstance(params, Iterable) or isinstance(params, (str, bytes, Mapping)):
            raise TypeError(f"{call}: 'params' must be a list of Values, got {type(params).__name__}")
        params = list(params)
        known = {id(p): i for i, p in enumerate(self._all_params())}
        start = len(known)
        for i, p in enumerate(params, start):
            if not isinstance(p, Value):
                raise TypeError(f"{call}: parameter {i} is a {type(p).__name__}, not a Value")
            if p.inputs:
                raise ValueError(f"{call}: parameter {i} was computed by '{p.op.name if p.op else '?'}'; an "
                                 "optimizer updates leaf Values (made with Value(...) or tensor(...), or "
                                 "computed without a graph), whose data it can change")
            if p.op is not None and p.data.base is not None:
                raise ValueError(f"{call}: parameter {i} was computed by '{p.op.name}' as a view of another "
                                 "Value's memory, which each step would change too; pass a copy (.clone())")
            if not p.data.flags.writeable:
                raise ValueError(f"{call}: the data of parameter {i} is read-only (a broadcast view?), so "
                                 "it cannot be updated in place")
            if id(p) in known:
                raise ValueError(f"{call}: parameter {i} is parameter {known[id(p)]} again (a parameter "
                                 "appears more than once)")
            known[id(p)] = i
        return params

    def _all_params(self) -> list[Value]:
        """Every parameter of every group, in order (the positions state_dict() numbers them by)."""
        return [p for group in self.param_groups for p in group["params"]]

    @classmethod
    def check_hyperparameters(cls, group: Mapping[str, Any], call: str) -> dict[str, Any]:
        """The hyper-parameters of ``group`` checked (a ValueError naming ``call`` if invalid), as Python values.

        Each optimizer checks its own; the base class knows none.
        """
        return {}

    # ------------------------------------------------------------------ a step

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (or, with ``set_to_none=False``, fill it with zeros)."""
        for group in self.param_groups:
            forget_gradients(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return what ``closure`` (if given) returned.

        ``closure``, PyTorch's optional argument, recomputes the loss (with its
        backward pass) before the update. Every parameter with a gradient is
        checked before the first is changed, so a parameter that cannot be
        updated (its data replaced, or made read-only, since the gradient was
        computed) is reported with the model untouched.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states = self.state
        work, changed = [], []
        for group in self.param_groups:
            params, grads = [], []
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    data = p.data
                    if (not isinstance(data, np.ndarray) or data.shape != grad.shape or data.dtype.kind != "f"
                            or not data.flags.writeable or states and _misfit_state(states.get(p), data.shape)):
                        raise ValueError(self._refusal(p, grad))
                    params.append(p)
                    grads.append(grad)
            if params:
                work.append((group, params, grads))
                changed += params
        for group, params, grads in work:
            self.update(group, params, grads)
        mark_changed(changed)  # a graph built before this step can no longer be differentiated
        return loss

    def update(self, group: dict[str, Any], params: list[Value], grads: list[np.ndarray]) -> None:
        """Change each parameter's data in place, given its gradient and the group's hyper-parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not define update(group, params, grads)")

    def _refusal(self, p: Value, grad: np.ndarray) -> str:
        """The error message of ``step`` for a parameter it cannot update: which one, and why."""
        data = p.data
        if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
            problem = f"its data is {checks.describe(data)}, not a float array"
        elif data.shape != grad.shape:
            problem = f"its data has shape {data.shape} but its gradient has shape {grad.shape}"
        elif not data.flags.writeable:
            problem = "its data is read-only"
        else:
            state = self.state[p]
            key = _misfit_state(state, data.shape) or ""
            problem = f"its data has shape {data.shape} but the optimizer's '{key}' has shape {state[key].shape}"
        position = next(i for i, q in enumerate(self._all_params()) if q is p)
        return f"{type(self).__name__}.step: parameter {position} cannot be updated: {problem}; nothing was changed"

    # ------------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """A copy of the state, in PyTorch's layout, to resume training later.

        ``{"state": {position: {name: array or count}}, "param_groups": [{hyper-parameters..., "params":
        [positions]}]}``, where a position numbers the parameters across the groups in order.
        """
        state: dict[int, dict[str, Any]] = {}
        groups = []
        position = 0
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = list(range(position, position + len(group["params"])))
            groups.append(packed)
            for p in group["params"]:
                if self.state.get(p):
                    state[position] = {key: value.copy() if isinstance(value, np.ndarray) else value
                                       for key, value in self.state[p].items()}
                position += 1
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (also after save/load, or in this library's older layout).

        The groups must match this optimizer's: as many, with as many
        parameters each. Their hyper-parameters are taken over, and the state
        is copied in each parameter's dtype. Anything that does not fit
        raises ValueError and changes nothing.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise ValueError(f"{name}: expected the dict that state_dict() returns, got {type(state_dict).__name__}")
        if "hyperparameters" in state_dict and "param_groups" not in state_dict:
            state_dict = self._from_old_layout(state_dict, name)
        saved_groups, saved_state = state_dict.get("param_groups"), state_dict.get("state")
        if not isinstance(saved_state, Mapping) or saved_groups is None:
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups', got keys {sorted(state_dict)}")
        saved_groups = _saved_group_list(saved_groups, name)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the saved state has {len(saved_groups)} parameter groups, this optimizer "
                             f"has {len(self.param_groups)}")
        by_position: dict[int, Value] = {}
        groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            where = f"{name}: param_groups[{g}]"
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"{where} is not a dict with 'params'")
            positions = _positions(saved["params"], where)
            if len(positions) != len(group["params"]):
                raise ValueError(f"{where} holds {len(positions)} parameters, but this optimizer's group "
                                 f"holds {len(group['params'])}")
            missing = [key for key in self.defaults if key not in saved]
            if missing:
                raise ValueError(f"{where} has no {missing} (saved by another kind of optimizer?)")
            entries = {str(key): _plain(value) for key, value in saved.items() if key != "params"}
            entries.update(self.check_hyperparameters(entries, where))
            for position, p in zip(positions, group["params"]):
                if position in by_position:
                    raise ValueError(f"{where} numbers two parameters {position}")
                by_position[position] = p
            groups.append(ParamGroup({"params": group["params"], **entries}, type(self).check_hyperparameters,
                                     f"{type(self).__name__} param_groups[{g}]"))
        state: defaultdict[Value, dict[str, Any]] = defaultdict(dict)
        for key, entries in saved_state.items():  # keys are ints, or strings after save/load
            position = _position(key, name)
            if position not in by_position or not isinstance(entries, Mapping):
                raise ValueError(f"{name}: no parameter {position} here (the saved groups number "
                                 f"{sorted(by_position)}), or its state is not a dict")
            p = by_position[position]
            state[p] = self._loaded_state(entries, p, position, name)
        self.param_groups = groups
        self.state = state

    def _loaded_state(self, entries: Mapping[str, Any], p: Value, position: int, name: str) -> dict[str, Any]:
        """A parameter's saved state, checked against the names this optimizer keeps and the parameter's shape."""
        known = self.state_arrays + self.state_counters
        unknown = [key for key in entries if key not in known]
        missing = [key for key in known if key not in entries and key not in self.optional_state]
        if unknown or missing:
            raise ValueError(f"{name}: the state of parameter {position} has {sorted(entries)}, expected "
                             f"{sorted(known)}" + (f" (unknown: {unknown})" if unknown else f" (missing: {missing})"))
        state: dict[str, Any] = {}
        for key in self.state_arrays:
            if key not in entries:
                continue
            try:
                array = np.asarray(entries[key])
            except ValueError as error:  # a ragged nested list
                raise ValueError(f"{name}: '{key}' of parameter {position} is not an array: {error}") from None
            if array.dtype.kind not in "biuf":
                raise ValueError(f"{name}: '{key}' of parameter {position} is not numbers (dtype {array.dtype})")
            if array.shape != p.shape:
                raise ValueError(f"{name}: '{key}' of parameter {position} has shape {array.shape}, but the "
                                 f"parameter has shape {p.shape}")
            state[key] = np.array(array, dtype=p.dtype, order="C")  # C order: see _pieces
        for key in self.state_counters:
            count = np.asarray(entries[key])  # a saved file gives a 0-d array
            if count.shape or count.dtype.kind not in "iu" or count < 0:
                raise ValueError(f"{name}: '{key}' of parameter {position} must be an integer >= 0, "
                                 f"got {entries[key]!r}")
            state[key] = int(count)
        return state

    def _from_old_layout(self, old: Mapping[str, Any], name: str) -> dict[str, Any]:
        """A state dict saved by this library before it took PyTorch's layout, in the new layout.

        The old layout, ``{"hyperparameters": {...}, "state": {position: {...}}}``,
        held one group and named Adam's moments "m" and "v".
        """
        hyperparameters, state = old["hyperparameters"], old.get("state")
        if not isinstance(hyperparameters, Mapping) or not isinstance(state, Mapping):
            raise ValueError(f"{name}: expected 'hyperparameters' and 'state' to be dicts (the older layout)")
        if len(self.param_groups) != 1:
            raise ValueError(f"{name}: a state in the older layout holds one parameter group, but this optimizer "
                             f"has {len(self.param_groups)}")
        renamed = {key: {self.old_state_names.get(k, k): v for k, v in entries.items()}
                   if isinstance(entries, Mapping) else entries for key, entries in state.items()}
        params = list(range(len(self.param_groups[0]["params"])))
        return {"state": renamed, "param_groups": [{**hyperparameters, "params": params}]}

    def __repr__(self) -> str:
        """The class, and each group's number of parameters and hyper-parameters."""
        def describe(group: Mapping[str, Any]) -> str:
            count = len(group["params"])
            settings = ", ".join(f"{key}={value}" for key, value in group.items() if key != "params")
            return f"{count} parameter{'s' if count != 1 else ''}, {settings}"
        if len(self.param_groups) == 1:
            return f"{type(self).__name__}({describe(self.param_groups[0])})"
        return f"{type(self).__name__}(" + "; ".join(
            f"group {g}: {describe(group)}" for g, group in enumerate(self.param_groups)) + ")"


def _misfit_state(state: dict[str, Any] | None, shape: tuple[int, ...]) -> str | None:
    """The name of a state array whose shape is not ``shape`` (None if all fit, or there is no state)."""
    if state:
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.shape != shape:
                return key
    return None


def _group_list(params: Any, name: str) -> list[Any]:
    """The constructor's ``params`` as a list of groups: a list of Values is one group, a list of dicts many."""
    if callable(params) or hasattr(params, "parameters") or isinstance(params, Value):
        raise TypeError(f"{name}: params must be a list of Values, such as model.parameters() "
                        f"(with the parentheses); got {type(params).__name__}")
    if isinstance(params, Mapping):
        raise TypeError(f"{name}: params is a dict; a parameter group goes inside a list: [{{'params': ...}}]")
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{name}: parameters must be in an ordered collection such as a list (a set's order "
                        "changes from run to run)")
    if not isinstance(params, Iterable) or isinstance(params, (str, bytes)):
        raise TypeError(f"{name}: params must be an iterable of Values (such as model.parameters()) or of "
                        f"parameter groups (dicts); got {type(params).__name__}")
    items = list(params)
    if not items:
        raise ValueError(f"{name}: got an empty list of parameters")
    dicts = [isinstance(item, Mapping) for item in items]
    if all(dicts):
        return items
    if any(dicts):
        raise TypeError(f"{name}: params mixes Values and parameter groups (dicts); give one or the other")
    return [{"params": items}]


def _saved_group_list(groups: Any, name: str) -> list[Any]:
    """Saved param_groups as a list: a list as state_dict() gives it, or a dict keyed by position after load()."""
    if isinstance(groups, Mapping):
        try:
            keys = sorted(int(key) for key in groups)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: 'param_groups' is a dict whose keys are not positions: {list(groups)}") from None
        if keys != list(range(len(groups))):
            raise ValueError(f"{name}: 'param_groups' is numbered {keys}, not 0 to {len(groups) - 1}")
        by_key = {int(key): group for key, group in groups.items()}
        return [by_key[k] for k in keys]
    if not isinstance(groups, (list, tuple)):
        raise ValueError(f"{name}: 'param_groups' must be a list of dicts, got {type(groups).__name__}")
    return list(groups)


def _position(key: Any, name: str) -> int:
    """A state key as a parameter position (saved files turn int keys into strings)."""
    try:
        position = int(key)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: state keys are parameter positions, got {key!r}") from None
    if isinstance(key, (bool, float)) or position < 0:
        raise ValueError(f"{name}: state keys are parameter positions, got {key!r}")
    return position


def _positions(params: Any, where: str) -> list[int]:
    """A saved group's 'params' (a list of positions, or a 1-d integer array after load()) as ints."""
    try:
        array = np.asarray(params)
    except ValueError:
        array = np.asarray(None)
    if array.ndim != 1 or (array.size and (array.dtype.kind not in "iu" or array.min() < 0)):
        raise ValueError(f"{where}: 'params' must be a list of parameter positions (integers >= 0), got {params!r}")
    return [int(i) for i in array]
