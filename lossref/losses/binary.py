"""Binary and multi-label losses: binary cross-entropy on probabilities and on logits,
and the soft margins (logistic losses on labels in {-1, 1} and {0, 1}), with torch's
semantics.

Each element is one yes/no question. ``binary_cross_entropy`` takes probabilities and
clamps each log at -100 as torch does; the three others take logits and are written with
softplus (``lossref.losses._sigmoid``), so that they neither overflow (a logit of 1e300 is
fine) nor lose the digits of a tiny loss (torch's ``binary_cross_entropy_with_logits``
returns 0.0 at logit -67 and target 0, where the loss is 7.98e-30; its
``soft_margin_loss`` returns inf at ``y x = -1000``, where the loss is 1000).

``mean`` divides by the number of elements (``multilabel_soft_margin_loss``: by the number
of rows, after averaging each row over its classes); a ``weight`` multiplies the
per-element loss and does not change that denominator.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    broadcast_shape,
    check_float,
    check_not_empty,
    check_reduction,
    check_tensor,
    check_weight,
    first_flagged,
    quiet_ieee,
    reduce,
)
from lossref.losses import _optax
from lossref.losses._sigmoid import softplus_numpy, softplus_torch
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits",
           "multilabel_soft_margin_loss", "soft_margin_loss"]

#: torch clamps each log of ``binary_cross_entropy`` at -100 (so p = 0 or 1 is finite) ...
LOG_CLAMP = -100.0
#: ... and divides its gradient by ``max(p (1 - p), 1e-12)``, where torch's 1e-12 is a C++
#: ``float`` constant: 9.99999996e-13 in double precision, so that ``1 / eps`` is
#: 1.000000004e12, the size of torch's gradient at p = 0 with y = 1.
GRAD_EPS = float(np.float32(1e-12))


# ---------------------------------------------------------------- checks


def _as(prepare: str, x: Any, name: str) -> Any:
    """An optional argument as an array (NumPy entry points) or a tensor (torch ones)."""
    if x is None:
        return None
    return as_array(x, name) if prepare == "numpy" else check_tensor(x, name)


def _check_weight_like(weight: Any, input: Any, name: str) -> None:
    """A weight (or ``pos_weight``) of input's dtype that broadcasts to input's shape
    without changing it (torch's rule: it is expanded to the input)."""
    check_float(weight, name)
    if weight.dtype != input.dtype:
        raise TypeError(f"{name} dtype {weight.dtype} differs from input dtype {input.dtype}")
    check_weight(weight, name)
    shape = tuple(input.shape)
    try:
        fits = tuple(np.broadcast_shapes(tuple(weight.shape), shape)) == shape
    except ValueError:
        fits = False
    if not fits:
        hint = (f"; pos_weight holds one weight per class, along input's last dimension "
                f"(size {shape[-1]})" if name == "pos_weight" and shape else "")
        raise ValueError(f"{name} of shape {tuple(weight.shape)} does not broadcast to "
                         f"input's shape {shape}{hint}")


def _check_pair(input, target, reduction, weight, prepare, *, same_shape: bool,
                pos_weight=None, torch_raises: bool = True):
    """Checks shared by the four losses; returns the arguments as arrays or tensors.

    ``same_shape``: the target must have input's shape (torch raises otherwise for the
    two binary cross-entropies; lossref also for the multi-label soft margin, where torch
    would broadcast a target of another shape silently). Else the target must broadcast
    to input's shape without changing it (``soft_margin_loss``, as torch)."""
    convert = as_array if prepare == "numpy" else check_tensor
    input, target = convert(input, "input"), convert(target, "target")
    weight = _as(prepare, weight, "weight")
    pos_weight = _as(prepare, pos_weight, "pos_weight")
    check_reduction(reduction)
    check_float(input, "input")
    check_float(target, "target")
    if target.dtype != input.dtype:
        raise TypeError(f"target dtype {target.dtype} differs from input dtype {input.dtype}")
    if same_shape and tuple(target.shape) != tuple(input.shape):
        torch_does = "torch raises too" if torch_raises else "torch broadcasts silently"
        raise ValueError(f"target must have the shape of input {tuple(input.shape)}, got "
                         f"{tuple(target.shape)} ({torch_does}: broadcasting would pair "
                         "elements that were not meant to meet)")
    if not same_shape and broadcast_shape(input=input, target=target) != tuple(input.shape):
        raise ValueError(f"target of shape {tuple(target.shape)} does not broadcast to "
                         f"input's shape {tuple(input.shape)}")
    for name, w in (("weight", weight), ("pos_weight", pos_weight)):
        if w is not None:
            _check_weight_like(w, input, name)
    check_not_empty(tuple(input.shape), reduction)
    return input, target, weight, pos_weight


def _check_in_unit_interval(x: Any, name: str, what: str, *, nan_ok: bool) -> None:
    bad = (x < 0) | (x > 1)
    if not nan_ok:
        bad = bad | (x != x)
    if bool(bad.any()):
        value = first_flagged(x, bad)
        raise ValueError(f"{name} holds {what} and must be in [0, 1], got {value}{_HINTS[name]}")


_HINTS = {
    "input": " (torch raises too); for logits use binary_cross_entropy_with_logits",
    "target": " (torch raises too)",
}


# ---------------------------------------------------------------- binary_cross_entropy


def _check_bce(input, target, weight, reduction, prepare):
    input, target, weight, _ = _check_pair(input, target, reduction, weight, prepare,
                                           same_shape=True)
    # torch rejects NaN here as well (its range check is false for NaN)
    _check_in_unit_interval(input, "input", "probabilities", nan_ok=False)
    _check_in_unit_interval(target, "target", "probabilities", nan_ok=False)
    return input, target, weight


# --8<-- [start:binary_cross_entropy_numpy]
@quiet_ieee
def binary_cross_entropy_numpy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` against targets in [0, 1]:
    ``-w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)]``, torch's clamp included.

    Examples:
        >>> binary_cross_entropy_numpy(np.array([0.1, 0.9, 0.8, 0.4]),
        ...                            np.array([0.0, 1.0, 1.0, 0.0])).round(4)
        np.float64(0.2362)
    """
    p, y, weight = _check_bce(input, target, weight, reduction, "numpy")
    log_p = np.maximum(np.log(p), LOG_CLAMP)
    log_q = np.maximum(np.log1p(-p), LOG_CLAMP)
    # two products, not y (log p - log(1 - p)) + log(1 - p): at p = 1 - 1e-12, y = 1 that
    # form cancels 27.6 against 27.6 and keeps three digits of the loss 1e-12
    loss = -(y * log_p + (1 - y) * log_q)
    if weight is not None:
        loss *= weight
    return reduce(loss, reduction)
# --8<-- [end:binary_cross_entropy_numpy]


# --8<-- [start:binary_cross_entropy_grad]
@quiet_ieee
def binary_cross_entropy_grad(input, target, weight=None, reduction="mean"):
    """Gradient with respect to ``input``, torch's formula:
    ``w (p - y) / max(p (1 - p), 1e-12)``, divided by the number of elements for
    ``mean``. It is the derivative of the unclamped loss, ``-y/p + (1-y)/(1-p)``, while
    ``p (1 - p) >= 1e-12``; beyond, its size stays near ``1e12`` (the clamped loss is flat
    below ``p = e^-100`` and its derivative there is 0, which torch does not report).

    Examples:
        >>> binary_cross_entropy_grad(np.array([0.5, 0.0]), np.array([1.0, 1.0]),
        ...                           reduction="sum")
        (array([-2.e+00, -1.e+12]),)
    """
    p, y, weight = _check_bce(input, target, weight, reduction, "numpy")
    grad = (p - y) / np.maximum(p * (1 - p), GRAD_EPS)
    if weight is not None:
        grad *= weight
    if reduction == "mean":
        grad /= p.size
    return (grad,)
# --8<-- [end:binary_cross_entropy_grad]


# --8<-- [start:binary_cross_entropy_torch]
def binary_cross_entropy_torch(input, target, weight=None, reduction="mean"):
    """:func:`torch.nn.functional.binary_cross_entropy` from elementary tensor operations.

    The value is the clamped formula. Autograd of ``max(log p, -100)`` would give 0 below
    the clamp and ``nan`` at p = 0, so the gradient is attached explicitly: ``value +
    g * (p - p.detach())`` has the value ``value`` and the gradient ``g``, torch's."""
    p, y, weight = _check_bce(input, target, weight, reduction, "torch")
    with torch.no_grad():
        log_p = torch.log(p).clamp_(min=LOG_CLAMP)
        log_q = torch.log1p(-p).clamp_(min=LOG_CLAMP)
        value = -(y * log_p + (1 - y) * log_q)
        grad = (p - y) / (p * (1 - p)).clamp_(min=GRAD_EPS)
    loss = value + grad * (p - p.detach())
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction)
# --8<-- [end:binary_cross_entropy_torch]


# ---------------------------------------------------------------- logistic losses


# --8<-- [start:logistic_numpy]
def _logistic_numpy(z, y, pos_weight=None):
    """``(1 - y) softplus(z) + pw y softplus(-z)``, the negative log-likelihood of a label
    ``y`` in [0, 1] under ``p = sigmoid(z)``. With ``L = log1p(exp(-|z|))``,
    ``softplus(z) = max(z, 0) + L`` and ``softplus(-z) = max(-z, 0) + L``, so the loss is
    ``((1 - y) + pw y) L + z a`` with ``a = 1 - y`` where ``z >= 0`` and ``a = -pw y``
    where ``z < 0`` (one of the two ``max`` terms is 0). One exp, one log1p, and no
    difference of nearly equal numbers: a loss of 1e-30 keeps its digits, and so does
    ``(1 - y) z`` for a soft label near 1."""
    L = np.abs(z)
    np.negative(L, out=L)
    np.exp(L, out=L)
    np.log1p(L, out=L)                         # log1p(exp(-|z|)), in place
    pos = y if pos_weight is None else pos_weight * y
    if pos_weight is None:
        slope = (z >= 0) - y                   # 1 - y where z >= 0, -y where z < 0
    else:
        L *= (1 - y) + pos
        slope = np.where(z >= 0, 1 - y, -pos)
    slope *= z
    L += slope
    return L


def _logistic_grad_numpy(z, y, pos_weight=None):
    """``(1 - y) sigmoid(z) - pw y sigmoid(-z)``, from ``e = exp(-|z|)`` and
    ``s = 1 / (1 + e)``: ``s ((1 - y) - pw y e)`` where ``z >= 0`` and
    ``s ((1 - y) e - pw y)`` where ``z < 0``. Neither sigmoid is computed as ``1 - (a
    number near 1)``, so a gradient of 1e-30 keeps its digits too."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)                           # e = exp(-|z|)
    s = 1 + e
    np.reciprocal(s, out=s)                    # s = sigmoid(|z|)
    a = 1 - y
    b = y if pos_weight is None else pos_weight * y
    grad = np.where(z >= 0, a - b * e, a * e - b)
    grad *= s
    return grad
# --8<-- [end:logistic_numpy]


# --8<-- [start:logistic_torch]
def _logistic_torch(z, y, pos_weight=None):
    """``(1 - y) softplus(z) + pw y softplus(-z)``; autograd differentiates it (the
    softplus of ``lossref.losses._sigmoid`` has the exact derivative at 0 too)."""
    pos = y if pos_weight is None else pos_weight * y
    return (1 - y) * softplus_torch(z) + pos * softplus_torch(-z)
# --8<-- [end:logistic_torch]


# ---------------------------------------------------------------- binary_cross_entropy_with_logits


def _check_bce_logits(input, target, weight, pos_weight, reduction, prepare):
    input, target, weight, pos_weight = _check_pair(
        input, target, reduction, weight, prepare, same_shape=True, pos_weight=pos_weight)
    # soft targets in [0, 1]; NaN passes and gives nan, as in torch
    _check_in_unit_interval(target, "target", "probabilities", nan_ok=True)
    return input, target, weight, pos_weight


def _nan_at_minus_inf(loss, z):
    """torch computes ``(1 - y) z + ... softplus(-z)``, which is ``-inf + inf = nan`` at a
    logit of -inf whatever the target; lossref's sum of softplus terms would give inf
    there. A non-finite input gives the builtin's result (the package contract)."""
    at_minus_inf = z == -math.inf
    if at_minus_inf.any():
        loss[at_minus_inf] = math.nan
    return loss


# --8<-- [start:binary_cross_entropy_with_logits_numpy]
@quiet_ieee
def binary_cross_entropy_with_logits_numpy(input, target, weight=None, reduction="mean",
                                           pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)`` against targets in [0, 1], computed
    from the logits: ``w [pw y softplus(-z) + (1 - y) softplus(z)]``, with ``pos_weight``
    ``pw`` broadcast along the last (class) dimension.

    Examples:
        >>> binary_cross_entropy_with_logits_numpy(np.array([-67.0]), np.array([0.0]))
        np.float64(7.984904245686979e-30)
    """
    z, y, weight, pos_weight = _check_bce_logits(input, target, weight, pos_weight,
                                                 reduction, "numpy")
    loss = _nan_at_minus_inf(_logistic_numpy(z, y, pos_weight), z)
    if weight is not None:
        loss *= weight
    return reduce(loss, reduction)
# --8<-- [end:binary_cross_entropy_with_logits_numpy]


# --8<-- [start:binary_cross_entropy_with_logits_grad]
@quiet_ieee
def binary_cross_entropy_with_logits_grad(input, target, weight=None, reduction="mean",
                                          pos_weight=None):
    """Gradient with respect to the logits: ``w [(1 - y) sigmoid(z) - pw y sigmoid(-z)]``
    (``sigmoid(z) - y`` without ``pos_weight``), divided by the number of elements for
    ``mean``.

    Examples:
        >>> binary_cross_entropy_with_logits_grad(np.array([0.0, 2.0]), np.array([1.0, 0.0]),
        ...                                       reduction="sum")
        (array([-0.5       ,  0.88079708]),)
    """
    z, y, weight, pos_weight = _check_bce_logits(input, target, weight, pos_weight,
                                                 reduction, "numpy")
    grad = _logistic_grad_numpy(z, y, pos_weight)
    if weight is not None:
        grad *= weight
    if reduction == "mean":
        grad /= z.size
    return (grad,)
# --8<-- [end:binary_cross_entropy_with_logits_grad]


# --8<-- [start:binary_cross_entropy_with_logits_torch]
def binary_cross_entropy_with_logits_torch(input, target, weight=None, reduction="mean",
                                           pos_weight=None):
    """:func:`torch.nn.functional.binary_cross_entropy_with_logits` from elementary tensor
    operations, written with softplus so that tiny losses keep their digits."""
    z, y, weight, pos_weight = _check_bce_logits(input, target, weight, pos_weight,
                                                 reduction, "torch")
    loss = _logistic_torch(z, y, pos_weight)
    at_minus_inf = z == -math.inf
    if bool(at_minus_inf.any()):  # torch's nan at a logit of -inf (see the NumPy side)
        loss = torch.where(at_minus_inf, math.nan, loss)
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction)
# --8<-- [end:binary_cross_entropy_with_logits_torch]


# ---------------------------------------------------------------- soft_margin_loss


def _check_soft_margin(input, target, reduction, prepare):
    input, target, _, _ = _check_pair(input, target, reduction, None, prepare,
                                      same_shape=False)
    bad = (target != 1) & (target != -1) & (target == target)  # NaN propagates
    if bool(bad.any()):
        value = first_flagged(target, bad)
        raise ValueError(f"target holds labels and must be -1 or 1, got {value}; torch "
                         "computes log1p(exp(-y x)) with any y. For labels in {0, 1} use "
                         "binary_cross_entropy_with_logits")
    return input, target


# --8<-- [start:soft_margin_loss_numpy]
@quiet_ieee
def soft_margin_loss_numpy(input, target, reduction="mean"):
    """The logistic loss on labels ``y`` in {-1, 1}: ``softplus(-y x) = log(1 + exp(-y x))``.

    Examples:
        >>> soft_margin_loss_numpy(np.array([-1000.0, 2.0]), np.array([1.0, -1.0]),
        ...                        reduction="none")
        array([1000.        ,    2.12692801])
    """
    x, y = _check_soft_margin(input, target, reduction, "numpy")
    return reduce(softplus_numpy(-y * x), reduction)
# --8<-- [end:soft_margin_loss_numpy]


# --8<-- [start:soft_margin_loss_grad]
@quiet_ieee
def soft_margin_loss_grad(input, target, reduction="mean"):
    """``-y sigmoid(-y x)``, divided by the number of elements for ``mean``; a target
    broadcast against ``input`` is expanded (the loss has ``input``'s shape)."""
    x, y = _check_soft_margin(input, target, reduction, "numpy")
    m = -y * x
    # sigmoid(m) = exp(-softplus(-m)): no overflow, and tiny values keep their digits
    grad = -y * np.exp(-softplus_numpy(-m))
    if reduction == "mean":
        grad /= x.size
    return (grad,)
# --8<-- [end:soft_margin_loss_grad]


# --8<-- [start:soft_margin_loss_torch]
def soft_margin_loss_torch(input, target, reduction="mean"):
    """:func:`torch.nn.functional.soft_margin_loss` from elementary tensor operations,
    with softplus: torch's builtin computes ``log1p(exp(-y x))``, whose ``exp`` overflows
    to inf beyond ``y x = -709.8`` (float64) or ``-88.7`` (float32)."""
    x, y = _check_soft_margin(input, target, reduction, "torch")
    return reduce(softplus_torch(-y * x), reduction)
# --8<-- [end:soft_margin_loss_torch]


# ---------------------------------------------------------------- multilabel_soft_margin_loss


def _check_multilabel(input, target, weight, reduction, prepare):
    input, target, weight, _ = _check_pair(input, target, reduction, weight, prepare,
                                           same_shape=True, torch_raises=False)
    if input.ndim == 0:
        raise ValueError("input must have a class dimension (its last), got a scalar")
    if input.shape[-1] == 0:
        raise ValueError("input has 0 classes along its last dimension")
    bad = ((target < 0) | (target > 1)) & (target == target)
    if bool(bad.any()):
        value = first_flagged(target, bad)
        hint = (" (labels -1/1 belong to soft_margin_loss: here a -1 is no 'no' but a "
                "weight of -1 on the 'yes' term)" if value == -1 else "")
        raise ValueError(f"target holds one 0/1 label (or a probability) per class and must "
                         f"be in [0, 1], got {value}{hint}; torch does not check this")
    return input, target, weight


# --8<-- [start:multilabel_soft_margin_loss_numpy]
@quiet_ieee
def multilabel_soft_margin_loss_numpy(input, target, weight=None, reduction="mean"):
    """One logistic loss per class, averaged over the classes (the last dimension):
    ``mean_c w_c [y_c softplus(-x_c) + (1 - y_c) softplus(x_c)]``; ``mean`` then averages
    over the rows.

    Examples:
        >>> multilabel_soft_margin_loss_numpy(np.array([[2.0, -1.0, 0.0]]),
        ...                                   np.array([[1.0, 0.0, 1.0]]), reduction="none")
        array([0.37777896])
    """
    x, y, weight = _check_multilabel(input, target, weight, reduction, "numpy")
    loss = _logistic_numpy(x, y)
    if weight is not None:
        loss *= weight
    return reduce(loss.mean(axis=-1), reduction)
# --8<-- [end:multilabel_soft_margin_loss_numpy]


# --8<-- [start:multilabel_soft_margin_loss_grad]
@quiet_ieee
def multilabel_soft_margin_loss_grad(input, target, weight=None, reduction="mean"):
    """``w_c (sigmoid(x_c) - y_c) / C``, divided by the number of rows for ``mean``."""
    x, y, weight = _check_multilabel(input, target, weight, reduction, "numpy")
    grad = _logistic_grad_numpy(x, y)
    if weight is not None:
        grad *= weight
    grad /= x.shape[-1] * (x.size // x.shape[-1] if reduction == "mean" else 1)
    return (grad,)
# --8<-- [end:multilabel_soft_margin_loss_grad]


# --8<-- [start:multilabel_soft_margin_loss_torch]
def multilabel_soft_margin_loss_torch(input, target, weight=None, reduction="mean"):
    """:func:`torch.nn.functional.multilabel_soft_margin_loss` from elementary operations."""
    x, y, weight = _check_multilabel(input, target, weight, reduction, "torch")
    loss = _logistic_torch(x, y)
    if weight is not None:
        loss = loss * weight
    return reduce(loss.mean(dim=-1), reduction)
# --8<-- [end:multilabel_soft_margin_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")


def _probabilities(rng, shape, dtype):
    return rng.uniform(0.02, 0.98, shape).astype(dtype)


def _labels01(rng, shape, dtype, soft=False):
    return (rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape)).astype(dtype)


_SHAPES = {"N": (6,), "NC": (4, 3), "NCd": (2, 3, 4)}


def _extreme_probabilities(dtype):
    """Around torch's clamp (log p < -100 below p = 3.7e-44) and its gradient's
    ``max(p (1 - p), 1e-12)``; exactly 0 and 1."""
    tiny = np.finfo(dtype).smallest_subnormal
    p = np.array([0.0, tiny, 1e-45, 1e-30, 1e-13, 1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-13,
                  1.0, 1.0], dtype)
    y = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.3, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0], dtype)
    return p, y


def _option_cases(name: str, args: tuple, options: dict[str, dict]) -> Iterator[Case]:
    """One case per option set and reduction, named ``name-option-reduction``."""
    for option, kwargs in options.items():
        for reduction in _REDUCTIONS:
            yield Case(f"{name}-{option}-{reduction}", args, {**kwargs, "reduction": reduction})


def _bce_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(30)
    for layout, shape in _SHAPES.items():
        weights = {"none": {"weight": None},
                   "full": {"weight": rng.uniform(0.2, 2.0, shape).astype(dtype)},
                   "last": {"weight": rng.uniform(0.2, 2.0, shape[-1:]).astype(dtype)}}
        for soft in (False, True):
            p, y = _probabilities(rng, shape, dtype), _labels01(rng, shape, dtype, soft)
            yield from _option_cases(f"{layout}-{'soft' if soft else 'hard'}", (p, y), weights)
    p, y = _extreme_probabilities(dtype)
    for reduction in _REDUCTIONS:
        yield Case(f"extreme-{reduction}", (p, y), {"reduction": reduction})


def _extreme_logits(dtype):
    """From -1e300 (float64; -1e38 in float32) to +1e300, through the logits where
    ``exp`` overflows (+-800) and where torch's builtin loses a tiny loss (-67, 40)."""
    big = 1e300 if dtype == np.float64 else 1e38
    z = np.array([-big, -800.0, -67.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 40.0, 67.0, 800.0, big],
                 dtype)
    return z


def _bce_logits_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(31)
    for layout, shape in _SHAPES.items():
        C = shape[-1]
        options = {
            "none": {},
            "w": {"weight": rng.uniform(0.2, 2.0, shape).astype(dtype)},
            "pw": {"pos_weight": rng.uniform(0.2, 3.0, (C,)).astype(dtype)},
            "w-pw": {"weight": rng.uniform(0.2, 2.0, (C,)).astype(dtype),
                     "pos_weight": rng.uniform(0.2, 3.0, (C,)).astype(dtype)},
        }
        if len(shape) == 2:  # a pos_weight that broadcasts along the rows instead
            options["pw-rows"] = {"pos_weight": rng.uniform(0.2, 3.0, (shape[0], 1)).astype(dtype)}
        for soft in (False, True):
            z = (4 * rng.standard_normal(shape)).astype(dtype)
            y = _labels01(rng, shape, dtype, soft)
            yield from _option_cases(f"{layout}-{'soft' if soft else 'hard'}", (z, y), options)
    z = _extreme_logits(dtype)
    for label in (0.0, 1.0, 0.25):
        y = np.full_like(z, label)
        for reduction in _REDUCTIONS:
            yield Case(f"extreme-y{label}-{reduction}", (z, y), {"reduction": reduction})
        yield Case(f"extreme-y{label}-pw", (z, y), {"pos_weight": np.array([3.0], dtype),
                                                    "reduction": "none"})


def _pm1(rng, shape, dtype):
    return rng.choice([-1.0, 1.0], shape).astype(dtype)


def _soft_margin_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(32)
    for layout, shape in _SHAPES.items():
        x = (3 * rng.standard_normal(shape)).astype(dtype)
        for reduction in _REDUCTIONS:
            yield Case(f"{layout}-{reduction}", (x, _pm1(rng, shape, dtype)),
                       {"reduction": reduction})
    # a target that broadcasts to input's shape (torch allows it, without a warning)
    yield Case("bcast-target", ((3 * rng.standard_normal((4, 3))).astype(dtype),
                                _pm1(rng, (3,), dtype)), {"reduction": "sum"})
    # torch's log1p(exp(-y x)) overflows beyond y x = -88.7 (float32) / -709.8 (float64):
    # its builtin is compared up to there, lossref beyond it against mpmath
    # (tests/test_logistic_accuracy.py)
    top = 80.0 if dtype == np.float32 else 700.0
    x = np.array([-top, -40.0, -1e-8, 0.0, 1e-8, 40.0, top], dtype)
    huge = np.append(x, 1e300 if dtype == np.float64 else 1e38).astype(dtype)  # y x = +huge
    yield from _option_cases("extreme-y1", (huge, np.ones_like(huge)), {"x": {}})
    yield Case("extreme-y-1-x-none", (x, -np.ones_like(x)), {"reduction": "none"})


def _multilabel_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(33)
    for layout, shape in {"C": (5,), **_SHAPES}.items():
        if layout == "N":
            continue
        C = shape[-1]
        weights = {"none": {"weight": None},
                   "class": {"weight": rng.uniform(0.2, 2.0, (C,)).astype(dtype)},
                   "full": {"weight": rng.uniform(0.2, 2.0, shape).astype(dtype)}}
        for soft in (False, True):
            x = (3 * rng.standard_normal(shape)).astype(dtype)
            y = _labels01(rng, shape, dtype, soft)
            yield from _option_cases(f"{layout}-{'soft' if soft else 'hard'}", (x, y), weights)
    z = _extreme_logits(dtype).reshape(3, 4)
    for label in (0.0, 1.0):
        for reduction in _REDUCTIONS:
            yield Case(f"extreme-y{label:g}-{reduction}", (z, np.full_like(z, label)),
                       {"reduction": reduction})


# ---------------------------------------------------------------- records

_COX = Reference("D. R. Cox", "The regression analysis of binary sequences", 1958,
                 "Journal of the Royal Statistical Society B 20(2)",
                 doi="10.1111/j.2517-6161.1958.tb00292.x")
_GOOD = Reference("I. J. Good", "Rational decisions", 1952,
                  "Journal of the Royal Statistical Society B 14(1)",
                  doi="10.1111/j.2517-6161.1952.tb00104.x")
_BRIER = Reference("G. W. Brier", "Verification of forecasts expressed in terms of "
                   "probability", 1950, "Monthly Weather Review 78(1)",
                   doi="10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2")
_ZHANG = Reference("T. Zhang", "Statistical behavior and consistency of classification "
                   "methods based on convex risk minimization", 2004, "Annals of Statistics "
                   "32(1)", doi="10.1214/aos/1079120130")
_MAECHLER = Reference("M. Mächler", "Accurately computing log(1 - exp(-|a|)), assessed by "
                      "the Rmpfr package", 2012, "CRAN vignette",
                      link="https://cran.r-project.org/web/packages/Rmpfr/vignettes/log1mexp-note.pdf")


def _binary_properties(*, link: str, note: str) -> Properties:
    return Properties(
        convex=True, smooth=True, grad_lipschitz=0.25, grad_bound=1.0, minimiser="distribution",
        breakdown_point=None, proper=True, link=link,
        notes={"grad_lipschitz": "the second derivative sigmoid(z)(1 - sigmoid(z)) is at "
                                 "most 1/4, at z = 0",
               "grad_bound": "|sigmoid(z) - y| < 1, approached by a confident wrong logit",
               "minimiser": note,
               "proper": "it is the log score of the probability sigmoid(z)"})


def _bce_properties() -> Properties:
    return Properties(
        convex=False, smooth=False, grad_lipschitz=None, grad_bound=None,
        minimiser="distribution", breakdown_point=None, proper=True,
        notes={"convex": "-log p is convex, but torch's clamp at -100 makes the loss flat "
                         "below p = e^-100 = 3.7e-44, which breaks convexity there; convex "
                         "on [e^-100, 1 - e^-100]",
               "smooth": "the clamp puts a corner at p = e^-100 (the slope jumps from "
                         "-e^100 to 0); the gradient torch reports, (p - y) / max(p (1 - p), "
                         "1e-12), is continuous there and is not the derivative",
               "grad_bound": "up to |p - y| / 1e-12: near 1e12 as p tends to 0 or 1 on the "
                             "wrong side",
               "minimiser": "the expected loss under P(Y = 1) = q is minimised at p = q",
               "proper": "the log score (Good 1952) is strictly proper"})


def _bce_logits_properties() -> Properties:
    return _binary_properties(
        link="logit", note="the expected loss is minimised at sigmoid(z) = P(Y = 1), with "
                           "pos_weight = None; a pos_weight w moves it to w q / (w q + 1 - q)")


def _soft_margin_properties() -> Properties:
    return _binary_properties(
        link="logit", note="the expected loss is minimised at sigmoid(z) = P(Y = 1)")


def _multilabel_properties() -> Properties:
    props = _binary_properties(
        link="logit", note="for each class, sigmoid(z_c) = P(Y_c = 1)")
    return dataclasses.replace(props, notes={
        **props.notes, "grad_lipschitz": "per class logit: a row's loss is the mean of its "
                                         "C per-class losses, so a row's constant is 1/(4C)",
        "grad_bound": "per class logit; the gradient of a row has norm below 1/sqrt(C)"})


binary_cross_entropy = register(Loss(
    name="binary_cross_entropy", title="Binary cross-entropy", task="binary",
    page="losses/binary-cross-entropy.md", numpy=binary_cross_entropy_numpy,
    grad=binary_cross_entropy_grad, torch=binary_cross_entropy_torch,
    builtin_path="torch.nn.functional:binary_cross_entropy", cases=_bce_cases,
    references=(_COX, _GOOD, _BRIER), declare=_bce_properties,
))

binary_cross_entropy_with_logits = register(Loss(
    name="binary_cross_entropy_with_logits", title="Binary cross-entropy with logits",
    task="binary", page="losses/binary-cross-entropy.md",
    numpy=binary_cross_entropy_with_logits_numpy, grad=binary_cross_entropy_with_logits_grad,
    torch=binary_cross_entropy_with_logits_torch,
    builtin_path="torch.nn.functional:binary_cross_entropy_with_logits",
    cases=_bce_logits_cases, references=(_COX, _MAECHLER), declare=_bce_logits_properties,
    optax=Counterpart("optax.losses:sigmoid_binary_cross_entropy", _optax.sigmoid_binary_cross_entropy,
                      "sigmoid_binary_cross_entropy(logits, labels)"),
))

soft_margin_loss = register(Loss(
    name="soft_margin_loss", title="Soft margin", task="binary", page="losses/soft-margin.md",
    numpy=soft_margin_loss_numpy, grad=soft_margin_loss_grad, torch=soft_margin_loss_torch,
    builtin_path="torch.nn.functional:soft_margin_loss", cases=_soft_margin_cases,
    references=(_COX, _ZHANG), declare=_soft_margin_properties,
    optax=Counterpart("optax.losses:sigmoid_binary_cross_entropy", _optax.soft_margin,
                      "sigmoid_binary_cross_entropy(x, (y + 1) / 2)"),
))

multilabel_soft_margin_loss = register(Loss(
    name="multilabel_soft_margin_loss", title="Multi-label soft margin", task="binary",
    page="losses/soft-margin.md", numpy=multilabel_soft_margin_loss_numpy,
    grad=multilabel_soft_margin_loss_grad, torch=multilabel_soft_margin_loss_torch,
    builtin_path="torch.nn.functional:multilabel_soft_margin_loss", cases=_multilabel_cases,
    references=(_COX, _ZHANG), declare=_multilabel_properties,
    optax=Counterpart("optax.losses:sigmoid_binary_cross_entropy", _optax.multilabel_logistic,
                      "sigmoid_binary_cross_entropy(x, y).mean(axis=-1)"),
))
