"""Module, the base class of layers and models, and Sequential, a chain of modules.

A module's parameters are simply the Values stored on it: directly as
attributes, inside lists, tuples or dicts, or inside its submodules. Nothing
needs registering; ``named_parameters()`` finds them each once, in PyTorch's
order (a module's own Values first, then its submodules' and containers', in
the order they were assigned) and with PyTorch's dotted names (``"0.weight"``,
``"hidden.bias"``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..autograd import forget_gradients
from ..value import Value, mark_changed


class Module:
    """Base class for layers and models: subclasses set Values and modules as attributes and define ``forward``."""

    training: bool = True  # a class default, so a subclass that skips super().__init__() still works

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``module(x)`` runs ``module.forward(x)``."""
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; a parameter (a Value) may only be replaced by a Value or None, as in PyTorch.

        ``layer.weight = array`` would otherwise turn the weight into a constant
        that no longer trains and is missing from ``state_dict()``. (Unlike
        PyTorch, nothing is registered: once a parameter is set to None, the
        name is an ordinary attribute again.)
        """
        if isinstance(vars(self).get(name), Value) and not (value is None or isinstance(value, Value)):
            raise TypeError(f"{type(self).__name__}: cannot replace the parameter '{name}' by a value of type "
                            f"{type(value).__name__}; assign a Value (or None to remove it), or change its "
                            f"numbers in place with {name}.data[...] = ...")
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ finding parameters

    def _own_members(self) -> Iterator[tuple[str, Any]]:
        """(name, attribute) for everything this module holds, in assignment order: where the walk starts."""
        return iter(vars(self).items())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the modules directly inside this one (also in its lists and dicts), each once."""
        return ((name, item) for name, item in _walk(self, into_modules=False)
                if isinstance(item, Module) and item is not self)

    def children(self) -> Iterator[Module]:
        """The modules directly inside this one, each once."""
        return (module for _, module in self.named_children())

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, each once (under its first name), in PyTorch's order."""
        return ((name, item) for name, item in _walk(self) if isinstance(item, Value))

    def parameters(self) -> list[Value]:
        """Every parameter (Value) of this module and its submodules, each once, in PyTorch's order."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> list[Module]:
        """This module and every module inside it, each once, parents before children."""
        return [module for _, module in self.named_modules()]

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named "") and every module inside it, each once."""
        return ((name, item) for name, item in _walk(self) if isinstance(item, Module))

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every module inside this one and then on this one; returns self.

        PyTorch's order: each child (its own children first), then the module
        itself. As in PyTorch, a module held by two parents is visited once
        under each of them.
        """
        def visit(module: Module, outer: frozenset[int]) -> None:  # recursion as deep as the modules' nesting
            for child in module.children():
                if id(child) not in outer:  # a module holding one it is inside: not entered again
                    visit(child, outer | {id(child)})
            fn(module)

        visit(self, frozenset({id(self)}))
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (or, with ``set_to_none=False``, fill it with zeros)."""
        forget_gradients(self.parameters(), set_to_none)

    def train(self, mode: bool = True) -> Module:
        """Put this module and its submodules in training mode (or evaluation mode with False)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put this module and its submodules in evaluation mode."""
        return self.train(False)

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's data, by dotted name.

        A parameter held in two places (a layer used twice) appears under each
        of its names, as in PyTorch, so state dicts of tied models match.
        """
        return {name: p.data.copy() for name, p in self._every_name()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Copy ``state_dict``'s arrays into the parameters of the same names.

        A parameter held in two places may be given under either name or both
        (``state_dict()`` lists both, older saves and PyTorch's plain-list
        attributes only the first). Missing and unexpected names, arrays of
        the wrong shape and parameters that cannot be written are all
        reported together in one ValueError, and then nothing is changed.
        """
        by_name = dict(self._every_name())
        arrays, problems = {}, []
        for name, value in state_dict.items():
            try:
                arrays[name] = np.asarray(value.data if isinstance(value, Value) else value)
            except ValueError as error:  # e.g. a ragged nested list
                problems.append(f"not an array in '{name}': {error}")
        given = {id(by_name[name]) for name in arrays if name in by_name}
        problems += [f"missing: '{name}'" for name, p in self.named_parameters() if id(p) not in given]
        problems += [f"unexpected: '{name}'" for name in arrays if name not in by_name]
        loaded = {name: (by_name[name], array) for name, array in arrays.items() if name in by_name}
        problems += [f"wrong shape for '{name}': got {array.shape}, expected {p.shape}"
                     for name, (p, array) in loaded.items() if array.shape != p.shape]
        problems += [f"not numbers in '{name}': dtype {array.dtype}"
                     for name, (p, array) in loaded.items() if array.dtype.kind not in "biuf"]
        problems += [f"'{name}' cannot be written: its data is read-only"
                     for name, (p, array) in loaded.items() if not p.data.flags.writeable]
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for p, array in loaded.values():
            p.data[...] = array
        mark_changed(p for p, _ in loaded.values())

    def _every_name(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter under every name it has: what state_dict() holds."""
        return ((name, item) for name, item in _walk(self, each_once=False) if isinstance(item, Value))

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (e.g. sizes); empty by default."""
        return ""

    def __repr__(self) -> str:
        # Every name a child has, as PyTorch prints a layer used twice twice.
        children = [(name, item) for name, item in _walk(self, into_modules=False, each_once=False)
                    if isinstance(item, Module) and item is not self]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 4), Sigmoid(), Linear(4, 1))``.

    Indexable (``model[0]``, slices give a Sequential), iterable, and ``len()``
    counts its modules; their parameters are named ``"0.weight"``, ``"2.bias"``...
    by position. A slice keeps the names the modules had, as in PyTorch:
    ``model[2:]``'s first parameter is still ``"2.weight"``.
    """

    _names: tuple[str, ...] = ()  # the modules' names; a Sequential pickled before names were kept has none

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, not a Module")
        self.layers = list(modules)
        self._names = tuple(str(i) for i in range(len(self.layers)))

    def _own_members(self) -> Iterator[tuple[str, Any]]:
        """The modules with their names, then the Values, modules and containers a subclass stores on it."""
        others = ((name, item) for name, item in vars(self).items()
                  if name not in ("layers", "_names") and isinstance(item, (Value, Module, list, tuple, dict)))
        return itertools.chain(zip(self._layer_names(), self.layers), others)

    def _layer_names(self) -> tuple[str, ...]:
        """The modules' names: their positions, or the positions they had before slicing."""
        if len(self._names) != len(self.layers):  # layers added or removed by hand: named by position
            return tuple(str(i) for i in range(len(self.layers)))
        return self._names

    def forward(self, x: Any) -> Any:
        """Feed x through every module in order."""
        for module in self.layers:
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        """The module at ``index``, or a Sequential of a slice of them."""
        if isinstance(index, slice):
            part = Sequential(*self.layers[index])
            part._names = self._layer_names()[index]
            return part
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        """The modules, in order."""
        return iter(self.layers)

    def __len__(self) -> int:
        """The number of modules."""
        return len(self.layers)


def _members(item: Any) -> list[tuple[str, Any]]:
    """The named things directly inside a module, list, tuple or dict (nothing for anything else).

    A module's own Values come first, as PyTorch lists a module's parameters
    before its submodules'; otherwise the order is the order of assignment.
    """
    if isinstance(item, Module):
        return sorted(item._own_members(), key=lambda member: not isinstance(member[1], Value))
    if isinstance(item, (list, tuple)):
        return [(str(i), x) for i, x in enumerate(item)]
    if isinstance(item, dict):
        return [(str(key), x) for key, x in item.items()]
    return []


def _walk(root: Module, into_modules: bool = True, each_once: bool = True) -> Iterator[tuple[str, Any]]:
    """(dotted name, item) for root and every Value, Module, list, tuple and dict inside it.

    Depth first, in the order ``_members`` gives. With ``each_once`` every
    object is found once, under its first name: a Value shared by two layers
    is one parameter. Without it, an object is found under each of its names.
    Either way a module that refers back to one it is inside is not entered
    again, so the walk cannot go round in circles. With
    ``into_modules=False`` the walk does not look inside modules other than root.
    """
    seen: set[int] = set()
    # An explicit stack, children pushed in reverse; each entry carries the ids of the items it is inside.
    stack: list[tuple[str, Any, frozenset[int]]] = [("", root, frozenset())]
    while stack:
        name, item, outer = stack.pop()
        if id(item) in outer or (each_once and id(item) in seen):
            continue
        seen.add(id(item))
        yield name, item
        if item is root or into_modules or not isinstance(item, Module):
            members = _members(item)
            if members:
                prefix = f"{name}." if name else ""
                inside = outer if each_once else outer | {id(item)}  # `seen` already stops cycles when each_once
                stack.extend((prefix + child_name, child, inside) for child_name, child in reversed(members))
