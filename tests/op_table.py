"""The one table of operations that drives the gradcheck, gradgradcheck and PyTorch tests.

Each row is an ``Op``: a name, the operation on Values, the same operation in
PyTorch, its arity (how many Values it takes), and a strategy that draws the
input arrays (inside the operation's smooth domain) together with any
constants the operation needs (an index, an axis, a constant array). A new
operation needs one row here and is then tested three ways.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    arrays,
    away_from,
    away_from_zero,
    bool_arrays,
    broadcast_targets,
    broadcastable_shapes,
    distinct_arrays,
    dyadic,
    dyadic_upstream_gradients,
    matmul_batched,
    matmul_matrix_matrix,
    matmul_matrix_vector,
    matmul_vector_matrix,
    matmul_vector_vector,
    on_grid,
    positive,
    reals,
    shapes,
    upstream_gradients,
)

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # the PyTorch tests skip themselves; the table is still needed without torch
    torch = None


@dataclass(frozen=True)
class Op:
    """One row: ``fn(*values, **params)`` on Values, ``torch_fn(*tensors, **params)`` in PyTorch."""

    name: str
    fn: Callable[..., Any]
    torch_fn: Callable[..., Any]
    arity: int
    case: Any  # strategy drawing (tuple of `arity` float64 arrays, dict of params)
    eps: float = 1e-6  # finite-difference step for gradcheck
    upstream: Callable[..., Any] = upstream_gradients  # shape -> strategy of upstream gradients

    def __repr__(self):
        return self.name


def tensor(a):
    """A numpy constant as a float64 (or bool, or integer) torch tensor."""
    return torch.as_tensor(np.array(a))  # a contiguous copy: torch refuses negative strides


# ---------------------------------------------------------------------- cases: arrays and constants


@st.composite
def unary(draw, elements=None, min_dims=0, max_dims=3, array_strategy=None, params=None):
    """One array of any shape (0-d included), made by array_strategy(shape) if given; fixed params."""
    shape = draw(shapes(min_dims, max_dims))
    make = array_strategy or (lambda s: arrays(s, elements))
    return (draw(make(shape)),), dict(params or {})


@st.composite
def binary(draw, x_elements=None, y_elements=None):
    """Two arrays whose shapes broadcast against each other."""
    sx, sy = draw(broadcastable_shapes(2))
    return (draw(arrays(sx, x_elements)), draw(arrays(sy, y_elements))), {}


@st.composite
def with_constant(draw, x_elements=None, c_elements=None):
    """One array, and a constant array ``c`` whose shape broadcasts against it."""
    sx, sc = draw(broadcastable_shapes(2))
    return (draw(arrays(sx, x_elements)),), {"c": draw(arrays(sc, c_elements))}


@st.composite
def matmul_case(draw, shape_pair, constant=None):
    """Two matmul operands; with constant='left' or 'right' that operand is a constant array ``c``."""
    sa, sb = draw(shape_pair)
    a, b = draw(arrays(sa)), draw(arrays(sb))
    if constant == "left":
        return (b,), {"c": a}
    if constant == "right":
        return (a,), {"c": b}
    return (a, b), {}


@st.composite
def indexed(draw, min_shape, extra_axis_first=False):
    """An array at least as big as ``min_shape`` on its axes, plus maybe one more axis (last, or first)."""
    extra = draw(shapes(0, 1))
    shape = tuple(draw(st.integers(n, n + 1)) for n in min_shape)
    return (draw(arrays(extra + shape if extra_axis_first else shape + extra)),), {}


@st.composite
def masked(draw, whole_shape):
    """An array and a boolean mask over all of its axes, or over the first one only; it selects something.

    (Selecting nothing is tested on its own in test_semantics.py.)
    """
    shape = draw(shapes(1, 3))
    mask = draw(bool_arrays(shape if whole_shape else shape[:1]).filter(np.any))
    return (draw(arrays(shape)),), {"index": mask}


@st.composite
def random_basic_index(draw):
    """An array and a basic index selecting something: ints, slices (negative steps too), None, Ellipsis."""
    shape = draw(shapes(0, 3))
    index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)
                 .filter(lambda i: np.empty(shape)[i].size > 0))
    return (draw(arrays(shape)),), {"index": index}


@st.composite
def random_integer_array_index(draw):
    """An array and a tuple of integer arrays indexing it; positions may repeat."""
    shape = draw(shapes(1, 3))
    index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    return (draw(arrays(shape)),), {"index": index}


@st.composite
def joinable(draw, axis, count):
    """``count`` arrays that agree on every axis except ``axis``, and a constant ``c`` like them."""
    rest = draw(shapes(0, 2))
    position = axis % (len(rest) + 1)
    parts = [draw(arrays(rest[:position] + (draw(st.integers(1, 3)),) + rest[position:])) for _ in range(count + 1)]
    return tuple(parts[:count]), {"c": parts[count], "axis": axis}


@st.composite
def stackable(draw, count):
    """``count`` arrays of one shape, a constant ``c`` of that shape, and an axis for the new axis."""
    shape = draw(shapes(0, 2))
    parts = [draw(arrays(shape)) for _ in range(count + 1)]
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return tuple(parts[:count]), {"c": parts[count], "axis": axis}


@st.composite
def where_case(draw, constant_y=False):
    """A boolean condition and two branches, all three shapes broadcasting together."""
    sc, sx, sy = draw(broadcastable_shapes(3))
    cond = draw(bool_arrays(sc))
    if constant_y:
        return (draw(arrays(sx)),), {"cond": cond}
    return (draw(arrays(sx)), draw(arrays(sy))), {"cond": cond}


@st.composite
def no_ties(draw, constant=False):
    """Two operands for maximum/minimum that are never within 0.1 of each other (no near-ties)."""
    sx, sy = draw(broadcastable_shapes(2))
    x = draw(arrays(sx, on_grid(0.5)))
    y = draw(arrays(sy, on_grid(0.0)))
    return ((x,), {"c": y}) if constant else ((x, y), {})


@st.composite
def permuted(draw):
    """An array and a permutation of its axes, some written as negative numbers."""
    shape = draw(shapes(1, 3))
    order = draw(st.permutations(range(len(shape))))
    axes = tuple(a - len(shape) if draw(st.booleans()) else a for a in order)
    return (draw(arrays(shape)),), {"axes": axes}


@st.composite
def reshaped(draw):
    """An array and a new shape with the same number of elements: the axes reversed, then a 1."""
    shape = draw(shapes(0, 3))
    return (draw(arrays(shape)),), {"shape": tuple(reversed(shape)) + (1,)}


@st.composite
def broadcast_case(draw):
    """An array and a shape it broadcasts to."""
    shape = draw(shapes(0, 3))
    return (draw(arrays(shape)),), {"shape": draw(broadcast_targets(shape))}


# ---------------------------------------------------------------------- helpers for PyTorch's side


def torch_dims(t, axis):
    """PyTorch's dim for numpy's axis: every axis when None."""
    return tuple(range(t.ndim)) if axis is None else axis


def torch_index(index):
    """An index for torch: numpy integer and boolean arrays become tensors."""
    if isinstance(index, tuple):
        return tuple(torch_index(i) for i in index)
    return tensor(index) if isinstance(index, np.ndarray) else index


def torch_take_numpy_index(t, index):
    """t[index] with numpy's meaning, for indices torch lacks (negative slice steps).

    numpy works out which flat positions the index selects; torch gathers
    them, and its own backward scatters the gradient back.
    """
    positions = np.arange(t.numel()).reshape(tuple(t.shape))[index]
    return t.reshape(-1)[tensor(positions)]


def torch_max(t, axis, keepdims):
    # Full reductions use torch.max(), whose backward shares the gradient among ties like amax.
    return t.max() if axis is None and not keepdims else torch.amax(t, dim=torch_dims(t, axis), keepdim=keepdims)


def torch_min(t, axis, keepdims):
    return t.min() if axis is None and not keepdims else torch.amin(t, dim=torch_dims(t, axis), keepdim=keepdims)


# ---------------------------------------------------------------------- the table

OPS = [
    # arithmetic, with numpy broadcasting between the operands
    Op("add", lambda x, y: x + y, lambda x, y: x + y, 2, binary()),
    Op("sub", lambda x, y: x - y, lambda x, y: x - y, 2, binary()),
    Op("mul", lambda x, y: x * y, lambda x, y: x * y, 2, binary()),
    Op("div", lambda x, y: x / y, lambda x, y: x / y, 2, binary(y_elements=away_from_zero())),
    Op("neg", lambda x: -x, lambda x: -x, 1, unary()),
    # constants on either side
    Op("number_minus_x", lambda x: 2 - x, lambda x: 2 - x, 1, unary()),
    Op("x_minus_number", lambda x: x - 1.5, lambda x: x - 1.5, 1, unary()),
    Op("x_div_number", lambda x: x / 3, lambda x: x / 3, 1, unary()),
    Op("number_div_x", lambda x: 1.5 / x, lambda x: 1.5 / x, 1, unary(away_from_zero())),
    Op("numpy_float64_times_x", lambda x: np.float64(2.5) * x, lambda x: 2.5 * x, 1, unary()),
    Op("array_plus_x", lambda x, c: c + x, lambda x, c: tensor(c) + x, 1, with_constant()),
    Op("array_times_x", lambda x, c: c * x, lambda x, c: tensor(c) * x, 1, with_constant()),
    Op("x_minus_array", lambda x, c: x - c, lambda x, c: x - tensor(c), 1, with_constant()),
    Op("array_div_x", lambda x, c: c / x, lambda x, c: tensor(c) / x, 1, with_constant(x_elements=away_from_zero())),
    # powers
    Op("x_pow_2", lambda x: x ** 2, lambda x: x ** 2, 1, unary()),
    Op("x_pow_3", lambda x: x ** 3, lambda x: x ** 3, 1, unary()),
    Op("x_pow_0", lambda x: x ** 0, lambda x: x ** 0, 1, unary()),
    Op("x_pow_half", lambda x: x ** 0.5, lambda x: x ** 0.5, 1, unary(positive())),
    Op("x_pow_minus_1.5", lambda x: x ** -1.5, lambda x: x ** -1.5, 1, unary(positive())),
    Op("number_pow_x", lambda x: 2 ** x, lambda x: 2 ** x, 1, unary()),
    Op("array_pow_x", lambda x, c: c ** x, lambda x, c: tensor(c) ** x, 1, with_constant(c_elements=positive())),
    Op("x_pow_array", lambda x, c: x ** c, lambda x, c: x ** tensor(c), 1,
       with_constant(x_elements=positive(), c_elements=st.sampled_from([0.0, 1.0, 2.0, -1.0]) | reals())),
    # x ** y with y == 0 exactly is a kink of the rules (d/dx is set to 0 there, as in PyTorch); see test_against_torch.
    Op("x_pow_y", lambda x, y: x ** y, lambda x, y: x ** y, 2,
       binary(x_elements=positive(), y_elements=away_from_zero(0.05, 2.0))),
    # matmul, in every case of numpy's promotion of 1-D operands and batch broadcasting
    Op("matmul_vector_vector", lambda a, b: a @ b, lambda a, b: a @ b, 2, matmul_case(matmul_vector_vector())),
    Op("matmul_vector_matrix", lambda a, b: a @ b, lambda a, b: a @ b, 2, matmul_case(matmul_vector_matrix())),
    Op("matmul_matrix_vector", lambda a, b: a @ b, lambda a, b: a @ b, 2, matmul_case(matmul_matrix_vector())),
    Op("matmul_matrix_matrix", lambda a, b: a @ b, lambda a, b: a @ b, 2, matmul_case(matmul_matrix_matrix())),
    Op("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, 2, matmul_case(matmul_batched())),
    Op("array_matmul_x", lambda x, c: c @ x, lambda x, c: tensor(c) @ x, 1, matmul_case(matmul_batched(), "left")),
    Op("x_matmul_vector_array", lambda x, c: x @ c, lambda x, c: x @ tensor(c), 1,
       matmul_case(matmul_matrix_vector(), "right")),
    # elementwise functions, inside their smooth domains
    Op("exp", lambda x: x.exp(), lambda x: torch.exp(x), 1, unary()),
    Op("log", lambda x: x.log(), lambda x: torch.log(x), 1, unary(positive())),
    Op("sqrt", lambda x: x.sqrt(), lambda x: torch.sqrt(x), 1, unary(positive())),
    Op("abs", lambda x: x.abs(), lambda x: torch.abs(x), 1, unary(away_from_zero(0.05))),
    Op("builtin_abs", lambda x: abs(x), lambda x: torch.abs(x), 1, unary(away_from_zero(0.05))),
    Op("sigmoid", lambda x: x.sigmoid(), lambda x: torch.sigmoid(x), 1, unary(reals(-20, 20))),
    Op("tanh", lambda x: x.tanh(), lambda x: torch.tanh(x), 1, unary(reals(-3, 3))),
    Op("sin", lambda x: x.sin(), lambda x: torch.sin(x), 1, unary()),
    Op("cos", lambda x: x.cos(), lambda x: torch.cos(x), 1, unary()),
    Op("clone", lambda x: x.clone() * 2, lambda x: x.clone() * 2, 1, unary()),
    Op("relu", lambda x: x.relu(), lambda x: torch.relu(x), 1, unary(away_from_zero(0.05))),
    Op("clip_both", lambda x: x.clip(-0.5, 0.8), lambda x: torch.clamp(x, -0.5, 0.8), 1,
       unary(away_from([-0.5, 0.8]))),
    Op("clip_lo", lambda x: x.clip(min=-0.3), lambda x: torch.clamp(x, min=-0.3), 1, unary(away_from([-0.3]))),
    Op("clip_hi", lambda x: x.clip(max=0.4), lambda x: torch.clamp(x, max=0.4), 1, unary(away_from([0.4]))),
    Op("astype_float64", lambda x: x.astype(np.float64), lambda x: x.to(torch.float64), 1, unary()),
    # float32 resolves x + 1e-6 poorly; multiples of 1/16 and a step of 2**-10 are exact in float32.
    Op("astype_float32_round_trip", lambda x: x.astype(np.float32).astype(np.float64),
       lambda x: x.to(torch.float32).to(torch.float64), 1, unary(dyadic()), eps=2.0 ** -10,
       upstream=dyadic_upstream_gradients),
    Op("softmax_last_axis", lambda x: x.softmax(), lambda x: torch.softmax(x, dim=-1), 1, unary(min_dims=1)),
    Op("softmax_axis0", lambda x: x.softmax(axis=0), lambda x: torch.softmax(x, dim=0), 1, unary(min_dims=1)),
    Op("log_softmax_last_axis", lambda x: x.log_softmax(), lambda x: torch.log_softmax(x, dim=-1), 1,
       unary(min_dims=1)),
    Op("log_softmax_axis0", lambda x: x.log_softmax(axis=0), lambda x: torch.log_softmax(x, dim=0), 1,
       unary(min_dims=1)),
    # shape operations
    Op("reshape_minus_one", lambda x: x.reshape(-1), lambda x: x.reshape(-1), 1, unary()),
    Op("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape), 1, reshaped()),
    Op("transpose_reverse", lambda x: x.transpose(), lambda x: x.permute(tuple(reversed(range(x.ndim)))), 1, unary()),
    Op("T", lambda x: x.T, lambda x: x.permute(tuple(reversed(range(x.ndim)))), 1, unary()),
    # Two separate integers swap those axes (PyTorch's transpose); more or fewer are numpy's permutation.
    Op("transpose_axes", lambda x, axes: x.transpose(*axes),
       lambda x, axes: x.transpose(*axes) if len(axes) == 2 else x.permute(axes), 1, permuted()),
    Op("transpose_axes_tuple", lambda x, axes: x.transpose(axes), lambda x, axes: x.permute(axes), 1, permuted()),
    Op("swapaxes_first_last", lambda x: x.swapaxes(0, -1), lambda x: torch.swapaxes(x, 0, -1), 1, unary(min_dims=1)),
    Op("broadcast_to", lambda x, shape: x.broadcast_to(shape), lambda x, shape: x.broadcast_to(shape), 1,
       broadcast_case()),
    # PyTorch's names for shape operations (compositions of reshape and transpose)
    Op("unsqueeze_squeeze", lambda x: x.unsqueeze(0).unsqueeze(-1).squeeze(0) * 1.5,
       lambda x: x.unsqueeze(0).unsqueeze(-1).squeeze(0) * 1.5, 1, unary()),
    Op("flatten", lambda x: x.flatten(), lambda x: x.flatten(), 1, unary()),
    Op("view", lambda x: x.view(-1, 1), lambda x: x.reshape(-1, 1), 1, unary()),
    Op("permute", lambda x, axes: x.permute(*axes), lambda x, axes: x.permute(axes), 1, permuted()),
    Op("transpose_swap_first_last", lambda x: x.transpose(0, -1), lambda x: x.transpose(0, -1), 1,
       unary(min_dims=1)),
    # indexing: each kind of index
    Op("getitem_int", lambda x: x[1], lambda x: x[1], 1, indexed((2,))),
    Op("getitem_negative_ints", lambda x: x[-1, 0], lambda x: x[-1, 0], 1, indexed((1, 1))),
    Op("getitem_slices", lambda x: x[1:, ::2], lambda x: x[1:, ::2], 1, indexed((2, 1))),
    Op("getitem_negative_step", lambda x: x[::-1], lambda x: x.flip(0), 1, indexed((1,))),
    Op("getitem_newaxis_ellipsis", lambda x: x[None, ..., None, 0], lambda x: x[None, ..., None, 0], 1,
       indexed((1,))),
    Op("getitem_ellipsis_int", lambda x: x[..., 1], lambda x: x[..., 1], 1, indexed((1, 2), True)),
    Op("getitem_repeated_ints", lambda x: x[[0, 2, 0, 0]], lambda x: x[tensor([0, 2, 0, 0])], 1, indexed((3,))),
    Op("getitem_int_array_2d", lambda x: x[np.array([[1, 0], [1, 1]])], lambda x: x[tensor([[1, 0], [1, 1]])], 1,
       indexed((2,))),
    Op("getitem_int_array_pairs", lambda x: x[[0, 0, 1], [1, 1, 0]], lambda x: x[tensor([0, 0, 1]), tensor([1, 1, 0])],
       1, indexed((2, 2))),
    Op("getitem_slice_and_array", lambda x: x[:, [1, 1, 0]], lambda x: x[:, tensor([1, 1, 0])], 1, indexed((1, 2))),
    Op("getitem_bool_mask", lambda x, index: x[index], lambda x, index: x[tensor(index)], 1, masked(True)),
    Op("getitem_bool_mask_first_axis", lambda x, index: x[index], lambda x, index: x[tensor(index)], 1, masked(False)),
    Op("getitem_random_basic", lambda x, index: x[index], torch_take_numpy_index, 1, random_basic_index()),
    Op("getitem_random_integer_arrays", lambda x, index: x[index], lambda x, index: x[torch_index(index)], 1,
       random_integer_array_index()),
    # joining, with a constant array among the Values
    Op("concatenate_axis0", lambda x, y, z, c, axis: tg.concatenate([x, c, y, z], axis=axis),
       lambda x, y, z, c, axis: torch.cat([x, tensor(c), y, z], dim=axis), 3, joinable(0, 3)),
    Op("concatenate_last_axis", lambda x, y, z, c, axis: tg.concatenate([x, y, z, c], axis=axis),
       lambda x, y, z, c, axis: torch.cat([x, y, z, tensor(c)], dim=axis), 3, joinable(-1, 3)),
    Op("stack", lambda x, y, z, c, axis: tg.stack([x, c, y, z], axis=axis),
       lambda x, y, z, c, axis: torch.stack([x, tensor(c), y, z], dim=axis), 3, stackable(3)),
    # selection
    Op("where", lambda x, y, cond: tg.where(cond, x, y), lambda x, y, cond: torch.where(tensor(cond), x, y), 2,
       where_case()),
    Op("where_constant_branch", lambda x, cond: tg.where(cond, x, 0.5),
       lambda x, cond: torch.where(tensor(cond), x, 0.5), 1, where_case(constant_y=True)),
    Op("maximum", lambda x, y: tg.maximum(x, y), lambda x, y: torch.maximum(x, y), 2, no_ties()),
    Op("minimum", lambda x, y: tg.minimum(x, y), lambda x, y: torch.minimum(x, y), 2, no_ties()),
    Op("maximum_with_zero", lambda x: tg.maximum(x, 0.0), lambda x: torch.maximum(x, tensor(0.0)), 1,
       unary(away_from_zero(0.05))),
    Op("minimum_array_first", lambda x, c: tg.minimum(c, x), lambda x, c: torch.minimum(tensor(c), x), 1,
       no_ties(constant=True)),
    # PyTorch's max(dim)/min(dim): the values at the indices, the gradient to the index
    Op("max_dim_values", lambda x: x.max(0)[0], lambda x: x.max(0)[0], 1, unary(min_dims=1,
       array_strategy=distinct_arrays)),
    Op("min_dim_keepdim_values", lambda x: x.min(-1, True).values, lambda x: x.min(-1, True).values, 1,
       unary(min_dims=1, array_strategy=distinct_arrays)),
]

# Reductions: every family with every kind of axis. (label, axis, keepdims, fewest axes the input needs)
AXIS_CASES = [
    ("all", None, False, 0),
    ("all_keepdims", None, True, 0),
    ("axis0_keepdims", 0, True, 1),
    ("axis_minus1", -1, False, 1),
    ("axes_0_minus1", (0, -1), False, 2),
    ("axes_1_0_keepdims", (1, 0), True, 2),
]
# (method, the same in PyTorch, the arrays it is checked on: max and min need inputs without ties)
REDUCTIONS = [
    ("sum", lambda t, axis, keepdims: t.sum(dim=torch_dims(t, axis), keepdim=keepdims), None),
    ("mean", lambda t, axis, keepdims: t.mean(dim=torch_dims(t, axis), keepdim=keepdims), None),
    ("max", torch_max, distinct_arrays),
    ("min", torch_min, distinct_arrays),
    ("logsumexp", lambda t, axis, keepdims: torch.logsumexp(t, dim=torch_dims(t, axis), keepdim=keepdims), None),
]
OPS += [
    Op(f"{method}_{label}", lambda x, axis, keepdims, method=method: getattr(x, method)(axis=axis, keepdims=keepdims),
       torch_method, 1, unary(min_dims=min_dims, array_strategy=make, params={"axis": axis, "keepdims": keepdims}))
    for method, torch_method, make in REDUCTIONS
    for label, axis, keepdims, min_dims in AXIS_CASES
]
OPS_BY_NAME = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "two rows share a name"
