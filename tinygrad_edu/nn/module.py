"""Module, the base class of layers and models; Sequential, a chain of modules; ModuleList, a list of them.

A module's parameters are simply the Values stored on it that are meant to
be trained: Parameters, and leaf Values that require grad, held directly as
attributes, inside lists, tuples or dicts, or inside its submodules. Nothing
needs registering; ``named_parameters()`` finds them each once, in PyTorch's
order (a module's own parameters first, then its buffers, then its
submodules' and containers', in the order they were assigned) and with
PyTorch's dotted names (``"0.weight"``, ``"hidden.bias"``). A constant kept on
a module (``tensor(...)``, which does not require grad) is not a parameter.

Buffers are the one thing registered: numbers a module keeps and saves in
its ``state_dict()`` but does not train (a running mean, a mask). A buffer is
a Value that needs no grad, like any constant, so only its name tells it
apart: ``register_buffer(name, value)`` records that name.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import forget_gradients
from ..device import check_device, device
from ..value import Value, mark_changed
from .parameter import Parameter

# What the walk finds a Value to be, on a module: trained, or kept and saved, or kept but not saved.
PARAMETER, BUFFER, UNSAVED_BUFFER = "parameter", "buffer", "unsaved buffer"

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def is_parameter(x: Any) -> bool:
    """True for what a module counts as a parameter: a Parameter, or a leaf Value that requires grad."""
    return isinstance(x, Parameter) or (isinstance(x, Value) and x.requires_grad and not x.inputs)


class Module:
    """Base class for layers and models: subclasses set Values and modules as attributes and define ``forward``."""

    training: bool = True  # a class default, so a subclass that skips super().__init__() still works
    _buffer_names: dict[str, bool] = {}  # read only: register_buffer gives a module a dict of its own

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``module(x)`` runs ``module.forward(x)``."""
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; a parameter or buffer may only be replaced by a Value or None, as in PyTorch.

        ``layer.weight = array`` would otherwise turn the weight into a constant
        that no longer trains and is missing from ``state_dict()``; so would
        ``layer.weight = tensor(...)``, a Value that does not require grad.
        (Unlike PyTorch, parameters are not registered: once one is set to
        None, the name is an ordinary attribute again.)
        """
        old = vars(self).get(name)
        if isinstance(old, Value) and not (value is None or isinstance(value, Value)):
            if name in self._buffer_names or is_parameter(old):
                what = "buffer" if name in self._buffer_names else "parameter"
                raise TypeError(f"{type(self).__name__}: cannot replace the {what} '{name}' by a value of type "
                                f"{type(value).__name__}; assign a Value (or None to remove it), or change its "
                                f"numbers in place with {name}.data[...] = ...")
        elif is_parameter(old) and isinstance(value, Value) and not is_parameter(value):
            raise TypeError(f"{type(self).__name__}: cannot replace the parameter '{name}' by a Value that does "
                            "not require grad (it would stop being a parameter); assign nn.Parameter(value), "
                            "or a Value that requires grad")
        elif isinstance(old, Module) and not (value is None or isinstance(value, Module)):
            raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as the child module "
                            f"'{name}' (a Module or None is needed), as PyTorch refuses")
        if isinstance(value, Parameter) and name in self._buffer_names:
            del self._buffer_names[name]  # a Parameter given a buffer's name is a parameter now, as in PyTorch
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        """Delete an attribute (a buffer's name is forgotten with it)."""
        super().__delattr__(name)
        if name in self._buffer_names:
            del self._buffer_names[name]

    # ------------------------------------------------------------------ registering by name

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter, or None) as the attribute ``name``: ``self.name = param``, checked."""
        self._check_new_name(name, "register_parameter", allow=is_parameter)
        if not (param is None or isinstance(param, Parameter)):
            raise TypeError(f"register_parameter: cannot use {type(param).__name__} as the parameter '{name}' "
                            "(an nn.Parameter or None is needed; wrap a Value as nn.Parameter(value))")
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Value | None, persistent: bool = True) -> None:
        """Keep ``tensor`` (a Value, or None) as the buffer ``name``: moved by ``to()``, saved in ``state_dict()``
        (unless ``persistent=False``), never trained."""
        self._check_new_name(name, "register_buffer", allow=lambda old: name in self._buffer_names)
        if not (tensor is None or isinstance(tensor, Value)):
            raise TypeError(f"register_buffer: cannot use {type(tensor).__name__} as the buffer '{name}' "
                            "(a Value or None is needed; make one with tensor(...))")
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(f"register_buffer: persistent must be True or False, got {persistent!r}")
        if "_buffer_names" not in vars(self):
            object.__setattr__(self, "_buffer_names", {})
        self._buffer_names[name] = bool(persistent)
        object.__setattr__(self, name, tensor)

    def _check_new_name(self, name: Any, op: str, allow: Callable[[Any], bool]) -> None:
        """PyTorch's rules for a registered name: a non-empty string without dots, not taken by something else."""
        if not isinstance(name, str):
            raise TypeError(f"{op}: the name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{op}: the name must be non-empty and contain no '.', got {name!r}")
        mine = vars(self)
        # (A class attribute that is None is a default for the name, which may then be registered.)
        if (name in mine and not allow(mine[name])) or (name not in mine and getattr(type(self), name, None)
                                                        is not None):
            taken = mine[name] if name in mine else getattr(type(self), name)
            raise KeyError(f"{op}: attribute '{name}' already exists and is something else "
                           f"({type(taken).__name__})")

    # ------------------------------------------------------------------ finding parameters and buffers

    def _own_members(self) -> Iterator[tuple[str, Any]]:
        """(name, attribute) for everything this module holds, in assignment order: where the walk starts."""
        return iter(vars(self).items())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the modules directly inside this one (also in its lists and dicts), each once."""
        return ((name, item) for name, item, _ in _walk(self, into_modules=False)
                if isinstance(item, Module) and item is not self)

    def children(self) -> Iterator[Module]:
        """The modules directly inside this one, each once."""
        return (module for _, module in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, each once (under its first name), in PyTorch's order.

        ``recurse=False`` gives only this module's own (not its submodules').
        """
        return _named(self, (PARAMETER,), prefix, recurse)

    def parameters(self, recurse: bool = True) -> list[Value]:
        """Every parameter of this module and its submodules, each once, in PyTorch's order.

        A parameter is a Parameter (trained or frozen) or a leaf Value that
        requires grad; a constant Value is not one.
        """
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every buffer (see ``register_buffer``), each once, in PyTorch's order."""
        return _named(self, (BUFFER, UNSAVED_BUFFER), prefix, recurse)

    def buffers(self, recurse: bool = True) -> list[Value]:
        """Every buffer of this module and its submodules, each once."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def modules(self) -> list[Module]:
        """This module and every module inside it, each once, parents before children."""
        return [module for _, module in self.named_modules()]

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named "") and every module inside it, each once."""
        return ((name, item) for name, item, _ in _walk(self) if isinstance(item, Module))

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

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (False freezes them); returns self.

        Freezing keeps a Parameter (every layer's weights) among the
        parameters; a plain Value that stops requiring grad is a constant from
        then on, and is no longer found (make it an ``nn.Parameter`` to keep it).
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.requires_grad_: expects True or False, got {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad_(bool(requires_grad))
        return self

    def train(self, mode: bool = True) -> Module:
        """Put this module and its submodules in training mode (or evaluation mode with False)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put this module and its submodules in evaluation mode (dropout then passes its input through)."""
        return self.train(False)

    # ------------------------------------------------------------------ dtypes and devices

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(tensor)``: convert the float parameters and
        buffers to that dtype, in place; returns self.

        The same Parameter objects are kept (their arrays are replaced by
        converted copies, gradients too), so an optimizer made before still
        holds them. Integer buffers keep their dtype, as in PyTorch. Only the
        CPU exists here: another device is an error that says so.
        """
        name = f"{type(self).__name__}.to"
        dtype = kwargs.pop("dtype", None)
        check_device(kwargs.pop("device", None), name)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"{name}: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, (str, device)) or arg is None:
                check_device(arg, name)
            elif isinstance(arg, Value):
                dtype = arg.dtype
            else:
                dtype = arg
        if dtype is None:
            return self
        chosen = dtypes.as_dtype(dtype, name)
        if chosen.kind != "f":
            raise TypeError(f"{name}: a module's parameters are floats; the dtype must be float32 or float64, "
                            f"got {chosen}")
        return self._convert(chosen)

    def float(self) -> Module:
        """Convert every float parameter and buffer to float32, in place; returns self."""
        return self._convert(dtypes.float32)

    def double(self) -> Module:
        """Convert every float parameter and buffer to float64, in place; returns self."""
        return self._convert(dtypes.float64)

    def half(self) -> Module:
        raise TypeError(f"{type(self).__name__}.half: float16 is not offered by tinygrad_edu; use float() "
                        "(float32) or double()")

    def cpu(self) -> Module:
        """This module: everything here is on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        raise RuntimeError(f"{type(self).__name__}.cuda: tinygrad_edu runs on the CPU only "
                           "(cuda.is_available() is False)")

    def _convert(self, dtype: np.dtype) -> Module:
        """Give every float parameter and buffer data of ``dtype`` (and its gradient), keeping the Values."""
        found = [v for _, v, _ in _walk(self) if isinstance(v, Value)]
        changing = [v for v in found if v.data.dtype.kind == "f" and v.data.dtype != dtype]
        for v in changing:
            v.data = v.data.astype(dtype)
            if v.grad is not None:
                v.grad = v.grad.astype(dtype)
        mark_changed(changing)  # a graph built from the old numbers can no longer be differentiated
        return self

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """A copy of every parameter's and (persistent) buffer's data, by dotted name.

        A parameter held in two places (a layer used twice) appears under each
        of its names, as in PyTorch, so state dicts of tied models match.
        ``keep_vars=True`` gives the Values themselves instead of copies.
        """
        return {prefix + name: (v if keep_vars else v.data.copy()) for name, v in self._every_name()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict``'s arrays into the parameters and buffers of the same names.

        A parameter held in two places may be given under either name or both
        (``state_dict()`` lists both, older saves and PyTorch's plain-list
        attributes only the first). Missing and unexpected names (unless
        ``strict=False``), arrays of the wrong shape and Values that cannot be
        written are all reported together in one ValueError, and then nothing
        is changed. Returns the missing and unexpected names, as PyTorch does.
        """
        name = f"load_state_dict into {type(self).__name__}"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expects a dict of arrays by name (such as model.state_dict(), or what "
                            f"load(path) returns), got {type(state_dict).__name__}")
        if not isinstance(strict, (bool, np.bool_)):
            raise TypeError(f"{name}: strict must be True or False, got {strict!r}")
        by_name = dict(self._every_name())
        arrays, problems = {}, []
        for key, value in state_dict.items():
            try:
                arrays[key] = np.asarray(value.data if isinstance(value, Value) else value)
            except ValueError as error:  # e.g. a ragged nested list
                problems.append(f"not an array in '{key}': {error}")
        given = {id(by_name[key]) for key in arrays if key in by_name}
        missing = [key for key, v, kind in _walk(self) if kind in (PARAMETER, BUFFER) and id(v) not in given]
        unexpected = [key for key in arrays if key not in by_name]
        if strict:
            problems += [f"missing: '{key}'" for key in missing]
            problems += [f"unexpected: '{key}'" for key in unexpected]
        loaded = {key: (by_name[key], array) for key, array in arrays.items() if key in by_name}
        problems += [f"wrong shape for '{key}': got {array.shape}, expected {v.shape}"
                     for key, (v, array) in loaded.items() if array.shape != v.shape]
        problems += [f"not numbers in '{key}': dtype {array.dtype}"
                     for key, (v, array) in loaded.items() if array.dtype.kind not in "biuf"]
        problems += [f"'{key}' cannot be written: its data is read-only"
                     for key, (v, array) in loaded.items() if not v.data.flags.writeable]
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        for v, array in loaded.values():
            v.data[...] = array
        mark_changed(v for v, _ in loaded.values())
        return IncompatibleKeys(missing, unexpected)

    def _every_name(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter and saved buffer under every name it has: the state dict."""
        return ((name, item) for name, item, kind in _walk(self, each_once=False) if kind in (PARAMETER, BUFFER))

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (e.g. sizes); empty by default."""
        return ""

    def __repr__(self) -> str:
        # Every name a child has, as PyTorch prints a layer used twice twice.
        children = [(name, item) for name, item, _ in _walk(self, into_modules=False, each_once=False)
                    if isinstance(item, Module) and item is not self]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 4), Sigmoid(), Linear(4, 1))``, or
    ``Sequential(OrderedDict(hidden=Linear(2, 4), ...))`` to name them.

    Indexable (``model[0]``, slices give a Sequential), iterable, and ``len()``
    counts its modules; their parameters are named ``"0.weight"``, ``"2.bias"``...
    by position. A slice keeps the names the modules had, as in PyTorch:
    ``model[2:]``'s first parameter is still ``"2.weight"``.
    """

    _names: tuple[str, ...] = ()  # the modules' names; a Sequential pickled before names were kept has none

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        names = None
        if len(modules) == 1 and isinstance(modules[0], Mapping):  # Sequential(OrderedDict(name=module, ...))
            names = tuple(str(name) for name in modules[0])
            modules = tuple(modules[0].values())
        for i, module in enumerate(modules):
            _check_module(module, "Sequential", f"argument {i}")
        self.layers = list(modules)
        self._names = names if names is not None else tuple(str(i) for i in range(len(self.layers)))

    def __getattr__(self, name: str) -> Any:
        """A module by the name it was given (``Sequential(OrderedDict(hidden=...)).hidden``), as PyTorch."""
        layers = self.__dict__.get("layers")
        if layers is not None and not name.startswith("_"):
            for known, module in zip(self._layer_names(), layers):
                if known == name:
                    return module
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

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
            # module.forward(x) is module(x) without Module.__call__'s extra call (a module that
            # defines its own __call__ is called through it)
            x = module.forward(x) if type(module).__call__ is Module.__call__ else module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        """The module at ``index``, or a Sequential of a slice of them."""
        if isinstance(index, slice):
            part = Sequential(*self.layers[index])
            part._names = self._layer_names()[index]
            return part
        return self.layers[_list_index(index, len(self.layers), "Sequential")]

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at ``index`` (it keeps that name)."""
        _check_module(module, "Sequential", "the new module")
        names = self._layer_names()
        self.layers[_list_index(index, len(self.layers), "Sequential")] = module
        self._names = names

    def __delitem__(self, index: int | slice) -> None:
        """Remove the module(s) at ``index``; the rest are numbered by position again, as in PyTorch."""
        del self.layers[index if isinstance(index, slice) else _list_index(index, len(self.layers), "Sequential")]
        self._names = tuple(str(i) for i in range(len(self.layers)))

    def __iter__(self) -> Iterator[Module]:
        """The modules, in order."""
        return iter(self.layers)

    def __len__(self) -> int:
        """The number of modules."""
        return len(self.layers)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end, named by its position (``"3"`` for the fourth); returns self.

        After a slice that kept its names (``model[2:]``, named "2" and "3"),
        the new module takes the next number not in use ("4"), where PyTorch
        would reuse "2" and so replace the module of that name.
        """
        _check_module(module, "Sequential.append")
        names = self._layer_names()
        name = str(len(names))
        if name in names:
            name = str(max(int(n) for n in names) + 1)
        self.layers.append(module)
        self._names = (*names, name)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """``append`` each of ``modules`` in turn; returns self."""
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before position ``index``; every module is named by its position again; returns self."""
        _check_module(module, "Sequential.insert")
        self.layers.insert(index, module)
        self._names = tuple(str(i) for i in range(len(self.layers)))
        return self


class ModuleList(Module):
    """A list of modules whose parameters are found (named ``"0.weight"``, ``"1.bias"``... by position).

    Indexing, slicing (a ModuleList), ``len``, iteration, ``append``,
    ``extend``, ``insert``, ``pop``, ``+=`` and item assignment work as on a
    list; the names follow the positions. Like PyTorch's, it has no
    ``forward``: a model iterates over it in its own forward. (A plain Python
    list of modules on a module works here too, which it does not in PyTorch.)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._items: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def _own_members(self) -> Iterator[tuple[str, Any]]:
        """The modules named by position, then anything else stored on it."""
        others = ((name, item) for name, item in vars(self).items() if name != "_items")
        return itertools.chain(((str(i), m) for i, m in enumerate(self._items)), others)

    def __getitem__(self, index: int | slice) -> Any:
        """The module at ``index``, or a ModuleList of a slice of them (numbered from 0)."""
        if isinstance(index, slice):
            return ModuleList(self._items[index])
        return self._items[_list_index(index, len(self._items), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at ``index``."""
        _check_module(module, "ModuleList", "the new module")
        self._items[_list_index(index, len(self._items), "ModuleList")] = module

    def __delitem__(self, index: int | slice) -> None:
        """Remove the module(s) at ``index``; the rest are numbered by position."""
        del self._items[index if isinstance(index, slice) else _list_index(index, len(self._items), "ModuleList")]

    def __len__(self) -> int:
        """The number of modules."""
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        """The modules, in order."""
        return iter(self._items)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        """``modules_list += others``: extend."""
        return self.extend(modules)

    def __add__(self, other: ModuleList) -> ModuleList:
        """A new ModuleList of this one's modules followed by ``other``'s."""
        return ModuleList([*self._items, *other])

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        _check_module(module, "ModuleList.append")
        self._items.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend: expects an iterable of modules, got a single "
                            f"{type(modules).__name__} (use append)")
        new = list(modules)
        for i, module in enumerate(new):
            _check_module(module, "ModuleList.extend", f"item {i}")
        self._items.extend(new)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        _check_module(module, "ModuleList.insert")
        self._items.insert(index, module)

    def pop(self, index: int = -1) -> Module:
        """Remove the module at ``index`` (the last by default) and return it."""
        return self._items.pop(_list_index(index, len(self._items), "ModuleList.pop"))

    def __repr__(self) -> str:
        """PyTorch's form: one line per module, a run of identical ones shown once as ``(0-2): 3 x Linear(...)``."""
        if not self._items:
            return "ModuleList()"
        runs: list[list[Any]] = []  # [first position, last position, text]
        for i, module in enumerate(self._items):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
                 for first, last, text in runs]
        return "ModuleList(\n" + "\n".join("  " + line.replace("\n", "\n  ") for line in lines) + "\n)"


def _check_module(module: Any, op: str, which: str = "the argument") -> None:
    if not isinstance(module, Module):
        raise TypeError(f"{op}: {which} is not a Module (got {type(module).__name__})")


def _list_index(index: Any, length: int, op: str) -> int:
    """A list position, checked: an IndexError that names the container and its length."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{op}: an index must be an integer (or a slice), got {index!r}")
    if not -length <= index < length:
        raise IndexError(f"{op}: index {index} is out of range for {length} modules")
    return int(index)


def _named(module: Module, kinds: tuple[str, ...], prefix: str, recurse: bool) -> Iterator[tuple[str, Value]]:
    """(prefix + dotted name, Value) for the Values of these kinds: named_parameters and named_buffers."""
    start = f"{prefix}." if prefix else ""
    return ((start + name, item) for name, item, kind in _walk(module, into_modules=recurse) if kind in kinds)


def _members(item: Any) -> list[tuple[str, Any, str | None]]:
    """(name, thing, kind) for what the walk goes on to, directly inside a module, list, tuple or dict.

    The kind of a Value is PARAMETER, BUFFER or UNSAVED_BUFFER; a Value of
    none of these (a constant) is left out, as is anything that is not a
    Value, module or container. A module's own parameters come first, then
    its buffers, then the rest in the order of assignment (PyTorch's order).
    """
    if isinstance(item, Module):
        buffers = item._buffer_names
        members: list[tuple[str, Any, str | None]] = []
        for name, x in item._own_members():
            if isinstance(x, Value):
                kind = (BUFFER if buffers[name] else UNSAVED_BUFFER) if name in buffers else (
                    PARAMETER if is_parameter(x) else None)
                if kind is not None:
                    members.append((name, x, kind))
            elif isinstance(x, (Module, list, tuple, dict)):
                members.append((name, x, None))
        rank = {PARAMETER: 0, BUFFER: 1, UNSAVED_BUFFER: 1, None: 2}
        return sorted(members, key=lambda member: rank[member[2]])
    if isinstance(item, (list, tuple)):
        named: Iterable[tuple[str, Any]] = ((str(i), x) for i, x in enumerate(item))
    elif isinstance(item, dict):
        named = ((str(key), x) for key, x in item.items())
    else:
        return []
    return [(name, x, PARAMETER if isinstance(x, Value) else None) for name, x in named
            if is_parameter(x) or isinstance(x, (Module, list, tuple, dict))]


def _walk(root: Module, into_modules: bool = True, each_once: bool = True) -> Iterator[tuple[str, Any, str | None]]:
    """(dotted name, item, kind) for root and every parameter, buffer, Module, list, tuple and dict inside it.

    Depth first, in the order ``_members`` gives. With ``each_once`` every
    object is found once, under its first name: a Value shared by two layers
    is one parameter. Without it, an object is found under each of its names.
    Either way a module that refers back to one it is inside is not entered
    again, so the walk cannot go round in circles. With
    ``into_modules=False`` the walk does not look inside modules other than root.
    """
    seen: set[int] = set()
    # An explicit stack, children pushed in reverse; each entry carries the ids of the items it is inside.
    stack: list[tuple[str, Any, str | None, frozenset[int]]] = [("", root, None, frozenset())]
    while stack:
        name, item, kind, outer = stack.pop()
        if id(item) in outer or (each_once and id(item) in seen):
            continue
        seen.add(id(item))
        yield name, item, kind
        if item is root or into_modules or not isinstance(item, Module):
            members = _members(item)
            if members:
                prefix = f"{name}." if name else ""
                inside = outer if each_once else outer | {id(item)}  # `seen` already stops cycles when each_once
                stack.extend((prefix + child_name, child, child_kind, inside)
                             for child_name, child, child_kind in reversed(members))
