"""The hinge family: binary hinge, squared hinge and perceptron on labels in {-1, 1};
torch's multi-class margin (Weston–Watkins, summed over the classes and divided by C) and
multi-label margin; the Crammer–Singer multi-class hinge.

Every loss here is a hinge ``max(0, z)`` of a margin violation ``z``, which is linear in
the scores. Two subgradient conventions at ``z = 0`` meet in this module, and each is
stated where it is used:

- torch's own kernels (``multi_margin_loss``, ``multilabel_margin_loss``) count a term
  only where ``z > 0``: at exactly ``z = 0`` the gradient is 0. Their test is false for
  NaN too, so a NaN score adds nothing to the loss (torch's result, kept for parity).
- The losses torch does not have (``hinge_loss``, ``squared_hinge_loss``,
  ``perceptron_loss``, ``multiclass_hinge_loss``) count a term where ``z >= 0``, as
  torch's ``clamp_min`` does in ``margin_ranking_loss`` and ``hinge_embedding_loss``: so
  ``hinge_loss(x, y, margin=m)`` equals ``margin_ranking_loss(x, 0, y, margin=m)`` with its
  gradient, and the perceptron moves on ``y x = 0`` (Rosenblatt's rule counts a score of
  0 as a mistake, so zero-initialised weights do learn). NaN propagates.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    check_float,
    check_not_empty,
    check_real,
    check_reduction,
    check_tensor,
    check_weight,
    first_flagged,
    is_tensor,
    quiet_ieee,
    reduce,
)
from lossref.losses import _optax
from lossref.losses.classification import _is_int, _long
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["hinge_loss", "multi_margin_loss", "multiclass_hinge_loss",
           "multilabel_margin_loss", "perceptron_loss", "squared_hinge_loss"]


# ---------------------------------------------------------------- checks


def _convert(prepare: str):
    return as_array if prepare == "numpy" else check_tensor


def _check_margin(margin: Any, torch_does: str) -> float:
    """A margin >= 0: 0 is allowed (the perceptron), a negative one asks for a score on
    the wrong side of the boundary and rewards it: no classifier means that."""
    margin = check_real(margin, "margin")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}: a negative margin counts "
                         f"scores on the wrong side of the decision boundary as correct "
                         f"({torch_does})")
    return margin


def _check_binary(input, target, reduction, margin, prepare):
    """Scores and labels in {-1, 1} of the same shape and float dtype (NaN passes)."""
    convert = _convert(prepare)
    x, y = convert(input, "input"), convert(target, "target")
    check_reduction(reduction)
    check_float(x, "input")
    check_float(y, "target")
    if y.dtype != x.dtype:
        raise TypeError(f"target dtype {y.dtype} differs from input dtype {x.dtype}")
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"target must have the shape of input {tuple(x.shape)}, got "
                         f"{tuple(y.shape)}: one label per score")
    bad = (y != 1) & (y != -1) & (y == y)
    if bool(bad.any()):
        value = first_flagged(y, bad)
        hint = (" (a 0/1 label: write 2 y - 1)" if value == 0 else "")
        raise ValueError(f"target holds labels and must be -1 or 1, got {value}{hint}; "
                         "any other number silently rescales the margin term")
    check_not_empty(tuple(x.shape), reduction)
    return x, y, margin


def _check_p(p: Any) -> int:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be 1 or 2, got {type(p).__name__}")
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (torch raises too), got {p}")
    return int(p)


def _check_scores(x, reduction) -> tuple[int, int]:
    """Scores ``(C,)`` or ``(N, C)``; returns (N, C), N = 1 for one unbatched row."""
    check_reduction(reduction)
    check_float(x, "input")
    if x.ndim not in (1, 2):
        raise ValueError(f"input must have shape (C,) or (N, C), got {tuple(x.shape)} "
                         "(torch raises too)")
    n_classes = x.shape[-1]
    if n_classes == 0:
        raise ValueError("input has 0 classes along its last dimension")
    check_not_empty(tuple(x.shape[:-1]), reduction)
    return (x.shape[0] if x.ndim == 2 else 1), n_classes


def _check_class_index(x, target, n_classes: int) -> Any:
    """Integer class indices of shape ``()`` for ``(C,)`` scores, ``(N,)`` for ``(N, C)``."""
    if not _is_int(target):
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    expected = tuple(x.shape[:-1])
    if tuple(target.shape) != expected:
        raise ValueError(f"target must have shape {expected} for input of shape "
                         f"{tuple(x.shape)}, got {tuple(target.shape)}")
    bad = (target < 0) | (target >= n_classes)
    if bool(bad.any()):
        raise ValueError(f"target contains class index {int(target[bad].reshape(-1)[0])}, "
                         f"outside [0, {n_classes - 1}] (torch raises too)")
    return _long(target)


def _check_multi_class(input, target, reduction, prepare, weight=None):
    convert = _convert(prepare)
    x, target = convert(input, "input"), convert(target, "target")
    n_rows, n_classes = _check_scores(x, reduction)
    target = _check_class_index(x, target, n_classes)
    if weight is not None:
        weight = convert(weight, "weight")
        check_float(weight, "weight")
        if weight.dtype != x.dtype:
            raise TypeError(f"weight dtype {weight.dtype} differs from input dtype {x.dtype}")
        if tuple(weight.shape) != (n_classes,):
            raise ValueError(f"weight must have shape ({n_classes},), one entry per class, "
                             f"got {tuple(weight.shape)}")
        check_weight(weight)
    return x.reshape(n_rows, n_classes), target.reshape(n_rows), weight


# ---------------------------------------------------------------- binary hinge family


# --8<-- [start:margin_violation]
def _margin_violation(x, y, margin):
    """``z = margin - y x``, the amount by which ``y x`` falls short of the margin;
    NumPy arrays and tensors alike, in their own dtype."""
    return margin - y * x
# --8<-- [end:margin_violation]


# --8<-- [start:hinge_loss_numpy]
@quiet_ieee
def hinge_loss_numpy(input, target, *, margin=1.0, reduction="mean"):
    """Hinge loss on labels ``y`` in {-1, 1}: ``max(0, margin - y x)`` per element
    (Cortes & Vapnik 1995); ``margin=0`` is the perceptron loss.

    Examples:
        >>> hinge_loss_numpy(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]),
        ...                  reduction="none")
        array([0. , 0.5, 2. ])
    """
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has no hinge_loss"), "numpy")
    z = np.asarray(_margin_violation(x, y, margin))
    return reduce(np.maximum(z, 0, out=z), reduction)
# --8<-- [end:hinge_loss_numpy]


# --8<-- [start:hinge_loss_grad]
@quiet_ieee
def hinge_loss_grad(input, target, *, margin=1.0, reduction="mean"):
    """``-y`` where ``y x <= margin`` (the kink ``y x = margin`` included, as torch's
    ``clamp_min``), 0 beyond; divided by the number of elements for ``mean``.

    Examples:
        >>> hinge_loss_grad(np.array([2.0, 1.0, 0.5]), np.array([1.0, 1.0, 1.0]),
        ...                 reduction="sum")
        (array([ 0., -1., -1.]),)
    """
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has no hinge_loss"), "numpy")
    # a product, not np.where: a NaN label gives a NaN gradient, as autograd's does
    grad = np.asarray(-y * (_margin_violation(x, y, margin) >= 0))
    grad += 0.0  # -0.0 (from -1 * 0) prints as 0
    if reduction == "mean":
        grad /= x.size
    return (grad,)
# --8<-- [end:hinge_loss_grad]


# --8<-- [start:hinge_loss_torch]
def hinge_loss_torch(input, target, *, margin=1.0, reduction="mean"):
    """The hinge loss from tensor operations; ``clamp_min`` passes the gradient at the
    kink ``y x = margin``, the convention of :func:`hinge_loss_grad`."""
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has no hinge_loss"), "torch")
    return reduce(_margin_violation(x, y, margin).clamp_min(0), reduction)
# --8<-- [end:hinge_loss_torch]


# --8<-- [start:squared_hinge_loss_numpy]
@quiet_ieee
def squared_hinge_loss_numpy(input, target, *, margin=1.0, reduction="mean"):
    """Squared hinge on labels in {-1, 1}: ``max(0, margin - y x)^2`` per element.

    Examples:
        >>> squared_hinge_loss_numpy(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]),
        ...                          reduction="none")
        array([0.  , 0.25, 4.  ])
    """
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has none"), "numpy")
    z = np.asarray(_margin_violation(x, y, margin))
    np.maximum(z, 0, out=z)
    return reduce(np.multiply(z, z, out=z), reduction)
# --8<-- [end:squared_hinge_loss_numpy]


# --8<-- [start:squared_hinge_loss_grad]
@quiet_ieee
def squared_hinge_loss_grad(input, target, *, margin=1.0, reduction="mean"):
    """``-2 y max(0, margin - y x)``: continuous, 0 at the kink; divided by the number of
    elements for ``mean``.

    Examples:
        >>> squared_hinge_loss_grad(np.array([2.0, 0.5]), np.array([1.0, 1.0]),
        ...                         reduction="sum")
        (array([ 0., -1.]),)
    """
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has none"), "numpy")
    grad = np.asarray(np.maximum(_margin_violation(x, y, margin), 0))
    grad *= -2 * y
    grad += 0.0  # -0.0 prints as 0
    if reduction == "mean":
        grad /= x.size
    return (grad,)
# --8<-- [end:squared_hinge_loss_grad]


# --8<-- [start:squared_hinge_loss_torch]
def squared_hinge_loss_torch(input, target, *, margin=1.0, reduction="mean"):
    """The squared hinge from tensor operations."""
    x, y, margin = _check_binary(input, target, reduction, _check_margin(
        margin, "lossref's own loss; torch has none"), "torch")
    return reduce(_margin_violation(x, y, margin).clamp_min(0).square(), reduction)
# --8<-- [end:squared_hinge_loss_torch]


# --8<-- [start:perceptron_loss_numpy]
@quiet_ieee
def perceptron_loss_numpy(input, target, *, reduction="mean"):
    """Perceptron loss on labels in {-1, 1}: ``max(0, -y x)``, the hinge at margin 0
    (Rosenblatt 1958).

    Examples:
        >>> perceptron_loss_numpy(np.array([2.0, 0.0, -1.5]), np.array([1.0, 1.0, 1.0]),
        ...                       reduction="none")
        array([0. , 0. , 1.5])
    """
    return hinge_loss_numpy(input, target, margin=0.0, reduction=reduction)
# --8<-- [end:perceptron_loss_numpy]


# --8<-- [start:perceptron_loss_grad]
def perceptron_loss_grad(input, target, *, reduction="mean"):
    """``-y`` where ``y x <= 0``: a score of exactly 0 counts as a mistake, as in
    Rosenblatt's update rule (so weights that start at 0 move).

    Examples:
        >>> perceptron_loss_grad(np.array([2.0, 0.0]), np.array([1.0, 1.0]), reduction="sum")
        (array([ 0., -1.]),)
    """
    return hinge_loss_grad(input, target, margin=0.0, reduction=reduction)
# --8<-- [end:perceptron_loss_grad]


# --8<-- [start:perceptron_loss_torch]
def perceptron_loss_torch(input, target, *, reduction="mean"):
    """The perceptron loss from tensor operations (the hinge at margin 0)."""
    return hinge_loss_torch(input, target, margin=0.0, reduction=reduction)
# --8<-- [end:perceptron_loss_torch]


# ---------------------------------------------------------------- multi_margin_loss

_MULTI_MARGIN_MARGIN = "torch computes it without a word"


# --8<-- [start:multi_margin_loss_numpy]
def _multi_margin_terms_numpy(x, y, margin):
    """``h_j = max(0, z_j)`` with ``z_j = margin + (x_j - x_y)``, 0 at the target;
    ``fmax`` gives 0 for a NaN ``z_j``, as torch's test ``z > 0`` does (a NaN term counts
    0). The difference comes first: torch's ``(margin - x_y) + x_j`` loses the margin
    where the scores dwarf it (a row [1e300, 1e300, -1e300] with target 0 costs 1/3; torch
    says 0)."""
    rows = np.arange(len(y))
    h = x - x[rows, y][:, None]
    h += margin
    np.fmax(h, 0, out=h)
    h[rows, y] = 0
    return h


@quiet_ieee
def multi_margin_loss_numpy(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """torch's multi-class margin loss (Weston & Watkins 1999, divided by C): per row
    ``w[y] / C * sum_{j != y} max(0, margin - x_y + x_j)^p``; ``w[y]`` multiplies the
    power (torch's kernel, measured; its documentation writes it inside the max). A term
    at exactly ``z = 0`` and a NaN term count 0, as in torch. ``mean`` divides by N.

    Examples:
        >>> multi_margin_loss_numpy(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
        np.float64(0.325)
    """
    p = _check_p(p)
    x2, y, weight = _check_multi_class(input, target, reduction, "numpy", weight)
    h = _multi_margin_terms_numpy(x2, y, _check_margin(margin, _MULTI_MARGIN_MARGIN))
    if p == 2:
        h *= h
    loss = h.sum(axis=1)
    if weight is not None:
        loss *= weight[y]
    loss /= x2.shape[1]
    return reduce(loss.reshape(np.shape(input)[:-1]), reduction)
# --8<-- [end:multi_margin_loss_numpy]


# --8<-- [start:multi_margin_loss_grad]
@quiet_ieee
def multi_margin_loss_grad(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """``g_j = w[y] / C`` (``p = 1``) or ``2 w[y] z_j / C`` (``p = 2``) for every counted
    term ``j``, and ``g_y = -sum_j g_j``; 0 at ``z_j = 0`` exactly (torch's ``z > 0``).

    Examples:
        >>> multi_margin_loss_grad(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
        (array([[ 0.25,  0.25,  0.25, -0.75]]),)
    """
    p = _check_p(p)
    x2, y, weight = _check_multi_class(input, target, reduction, "numpy", weight)
    grad = _multi_margin_terms_numpy(x2, y, _check_margin(margin, _MULTI_MARGIN_MARGIN))
    if p == 1:
        np.greater(grad, 0, out=grad)          # 1 where the term counts (z > 0), else 0
    scale = np.full(len(y), 1 / (x2.shape[1] * (len(y) if reduction == "mean" else 1)),
                    x2.dtype)
    scale *= p if weight is None else p * weight[y]
    grad *= scale[:, None]
    grad[np.arange(len(y)), y] = -grad.sum(axis=1)
    return (grad.reshape(np.shape(input)),)
# --8<-- [end:multi_margin_loss_grad]


# --8<-- [start:multi_margin_loss_torch]
def multi_margin_loss_torch(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """:func:`torch.nn.functional.multi_margin_loss` from tensor operations. The counted
    terms are selected with ``where`` before the power, so that an infinite term that
    does not count cannot put ``0 * inf = nan`` into the gradient."""
    p = _check_p(p)
    x2, y, weight = _check_multi_class(input, target, reduction, "torch", weight)
    margin = _check_margin(margin, _MULTI_MARGIN_MARGIN)
    z = margin + (x2 - x2.gather(1, y[:, None]))  # the difference first (see NumPy's)
    other = torch.arange(x2.shape[1], device=x2.device) != y[:, None]
    h = torch.where(other & (z > 0), z, 0.0) ** p
    if weight is not None:
        h = h * weight[y][:, None]
    loss = h.sum(dim=1) / x2.shape[1]
    return reduce(loss.reshape(input.shape[:-1]), reduction)
# --8<-- [end:multi_margin_loss_torch]


# ---------------------------------------------------------------- multiclass_hinge_loss

_CS_MARGIN = "lossref's own loss; torch has no Crammer–Singer hinge"


def _check_crammer_singer(input, target, margin, reduction, prepare):
    x2, y, _ = _check_multi_class(input, target, reduction, prepare)
    if x2.shape[1] < 2:
        raise ValueError("input needs at least 2 classes: the Crammer–Singer hinge compares "
                         "the target's score with the best other class")
    return x2, y, _check_margin(margin, _CS_MARGIN)


# --8<-- [start:multiclass_hinge_loss_numpy]
def _best_other_numpy(x, y):
    """``max_{j != y} x_j`` per row (NaN propagates) and the scores with the target's
    replaced by -inf."""
    others = x.copy()
    others[np.arange(len(y)), y] = -np.inf
    return others.max(axis=1), others


@quiet_ieee
def multiclass_hinge_loss_numpy(input, target, *, margin=1.0, reduction="mean"):
    """Crammer–Singer multi-class hinge: ``max(0, margin + max_{j != y} x_j - x_y)`` per
    row (Crammer & Singer 2001); ``mean`` divides by N.

    Examples:
        >>> multiclass_hinge_loss_numpy(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
        np.float64(0.6)
    """
    x2, y, margin = _check_crammer_singer(input, target, margin, reduction, "numpy")
    best, _ = _best_other_numpy(x2, y)
    # the difference first: exact for tied scores of any size ((m + 1e300) - 1e300 = 0)
    z = margin + (best - x2[np.arange(len(y)), y])
    return reduce(np.maximum(z, 0, out=z).reshape(np.shape(input)[:-1]), reduction)
# --8<-- [end:multiclass_hinge_loss_numpy]


# --8<-- [start:multiclass_hinge_loss_grad]
@quiet_ieee
def multiclass_hinge_loss_grad(input, target, *, margin=1.0, reduction="mean"):
    """Where ``z >= 0`` (the kink included): ``-1`` at the target and ``+1`` at the best
    other class, split evenly among tied best classes (autograd of ``amax`` does the
    same); 0 where ``z < 0``; a row whose ``z`` is NaN gets NaN.

    Examples:
        >>> multiclass_hinge_loss_grad(np.array([[0.5, 0.5, 0.2]]), np.array([2]),
        ...                            reduction="sum")
        (array([[ 0.5,  0.5, -1. ]]),)
    """
    x2, y, margin = _check_crammer_singer(input, target, margin, reduction, "numpy")
    rows = np.arange(len(y))
    best, others = _best_other_numpy(x2, y)
    z = margin + (best - x2[rows, y])
    tied = others == best[:, None]
    active = (z >= 0).astype(x2.dtype)
    if reduction == "mean":
        active /= len(y)
    grad = tied * (active / tied.sum(axis=1))[:, None]
    grad[rows, y] = -active
    grad[np.isnan(z)] = np.nan
    return (grad.astype(x2.dtype, copy=False).reshape(np.shape(input)),)
# --8<-- [end:multiclass_hinge_loss_grad]


# --8<-- [start:multiclass_hinge_loss_torch]
def multiclass_hinge_loss_torch(input, target, *, margin=1.0, reduction="mean"):
    """The Crammer–Singer hinge from tensor operations: ``amax`` splits the gradient among
    tied best classes, ``clamp_min`` passes it at the kink ``z = 0``."""
    x2, y, margin = _check_crammer_singer(input, target, margin, reduction, "torch")
    is_target = torch.arange(x2.shape[1], device=x2.device) == y[:, None]
    best = x2.masked_fill(is_target, -math.inf).amax(dim=1)
    z = margin + (best - x2.gather(1, y[:, None])[:, 0])
    return reduce(z.clamp_min(0).reshape(input.shape[:-1]), reduction)
# --8<-- [end:multiclass_hinge_loss_torch]


# ---------------------------------------------------------------- multilabel_margin_loss


def _target_lists(t, n_classes: int):
    """``(t, listed, is_target)`` for target rows ``t`` (NumPy or torch): ``t`` cut to its
    first ``K`` columns, K the longest list; ``listed[:, k]`` whether entry k comes before
    its row's first -1; ``is_target[:, c]`` whether the row lists class c. Unlisted
    entries are written to a spare column, then dropped."""
    listed = (t == -1).cumsum(1) == 0
    longest = int(listed.sum(1).max()) if len(t) else 0
    t, listed = t[:, :longest], listed[:, :longest]
    if is_tensor(t):
        is_target = torch.zeros(len(t), n_classes + 1, dtype=torch.bool, device=t.device)
        is_target.scatter_(1, torch.where(listed, t, n_classes), True)
    else:
        is_target = np.zeros((len(t), n_classes + 1), bool)
        np.put_along_axis(is_target, np.where(listed, t, n_classes), True, axis=1)
    return t, listed, is_target[:, :n_classes]


def _check_multilabel_margin(input, target, reduction, prepare):
    """Scores ``(C,)`` or ``(N, C)`` and an integer target of the same shape listing each
    row's classes, ended by the first -1; returns ``x`` as rows and the target lists of
    :func:`_target_lists`."""
    convert = _convert(prepare)
    x, target = convert(input, "input"), convert(target, "target")
    n_rows, n_classes = _check_scores(x, reduction)
    if not _is_int(target):
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    if tuple(target.shape) != tuple(x.shape):
        raise ValueError(f"target must have the shape of input {tuple(x.shape)}, got "
                         f"{tuple(target.shape)} (torch raises too)")
    t = _long(target).reshape(n_rows, n_classes)
    bad = (t < -1) | (t >= n_classes)
    if bool(bad.any()):
        raise ValueError(f"target contains {int(t[bad].reshape(-1)[0])}, outside [-1, "
                         f"{n_classes - 1}]: class indices, ended by -1 (torch raises too, "
                         "also after the -1)")
    t, listed, is_target = _target_lists(t, n_classes)
    repeats = is_target.sum(1) != listed.sum(1)
    if bool(repeats.any()):
        row = int(repeats.nonzero()[0][0] if is_tensor(repeats) else np.flatnonzero(repeats)[0])
        classes = [int(c) for c in t[row][listed[row]]]
        twice = next(c for c in classes if classes.count(c) > 1)
        raise ValueError(f"target row {row} lists class {twice} twice before its -1: torch "
                         "would count that class's terms once per listing; list it once")
    return x.reshape(n_rows, n_classes), t, listed, is_target


# --8<-- [start:multilabel_margin_loss_numpy]
def _multilabel_terms_numpy(x, t, listed, is_target):
    """``h[n, k, i] = max(0, 1 + (x_i - x_j))`` (the difference first, exact for tied
    scores of any size, where torch's ``(1 - x_j) + x_i`` loses the 1) for the class ``j`` that
    row n lists at position k and every class ``i``: 0 where ``i`` is listed too (its
    score replaced by -inf), where position k is past the list's end (``x_j`` replaced by
    +inf), and where a term is NaN (``fmax``, as torch's test ``z > 0``). The block is
    (N, K, C), K the longest list."""
    others = np.where(is_target, -np.inf, x)
    x_listed = np.where(listed, np.take_along_axis(x, np.where(listed, t, 0), 1), np.inf)
    h = others[:, None, :] - x_listed[:, :, None]
    h += 1
    return np.fmax(h, 0, out=h)


@quiet_ieee
def multilabel_margin_loss_numpy(input, target, reduction="mean"):
    """torch's multi-label margin loss: per row ``sum_{j in T} sum_{i not in T}
    max(0, 1 - (x_j - x_i)) / C``, where ``T`` is the set of classes the target row lists
    before its first -1 (entries after it are ignored; a row without -1 lists C classes).
    A class listed twice raises (torch would count its terms twice); a term at exactly
    ``z = 0``, and a NaN term, count 0 as in torch. ``mean`` divides by N.

    Examples:
        >>> multilabel_margin_loss_numpy(np.array([[0.1, 0.2, 0.4, 0.8]]),
        ...                              np.array([[3, 0, -1, 1]]))
        np.float64(0.85)
    """
    x2, t, listed, is_target = _check_multilabel_margin(input, target, reduction, "numpy")
    loss = _multilabel_terms_numpy(x2, t, listed, is_target).sum(axis=(1, 2))
    loss /= x2.shape[1]
    return reduce(loss.reshape(np.shape(input)[:-1]), reduction)
# --8<-- [end:multilabel_margin_loss_numpy]


# --8<-- [start:multilabel_margin_loss_grad]
@quiet_ieee
def multilabel_margin_loss_grad(input, target, reduction="mean"):
    """Each counted pair ``(j, i)`` adds ``1/C`` to ``g_i`` and ``-1/C`` to ``g_j``;
    divided by N for ``mean``.

    Examples:
        >>> multilabel_margin_loss_grad(np.array([[0.1, 0.2, 0.4, 0.8]]),
        ...                             np.array([[3, 0, -1, 1]]))
        (array([[-0.5,  0.5,  0.5, -0.5]]),)
    """
    x2, t, listed, is_target = _check_multilabel_margin(input, target, reduction, "numpy")
    counted = _multilabel_terms_numpy(x2, t, listed, is_target) > 0
    grad = counted.sum(axis=1, dtype=x2.dtype)             # +1 per counted pair, at i
    as_target = np.zeros((len(x2), x2.shape[1] + 1), x2.dtype)
    np.put_along_axis(as_target, np.where(listed, t, x2.shape[1]),
                      counted.sum(axis=2, dtype=x2.dtype), axis=1)
    grad -= as_target[:, :-1]                             # -1 per counted pair, at j
    grad /= x2.shape[1] * (len(x2) if reduction == "mean" else 1)
    return (grad.reshape(np.shape(input)),)
# --8<-- [end:multilabel_margin_loss_grad]


# --8<-- [start:multilabel_margin_loss_torch]
def multilabel_margin_loss_torch(input, target, reduction="mean"):
    """:func:`torch.nn.functional.multilabel_margin_loss` from tensor operations, on the
    (N, K, C) block of :func:`multilabel_margin_loss_numpy`; ``where`` (not a product
    with a mask) keeps the uncounted infinite terms out of the gradient."""
    x2, t, listed, is_target = _check_multilabel_margin(input, target, reduction, "torch")
    others = x2.masked_fill(is_target, -math.inf)
    x_listed = x2.gather(1, torch.where(listed, t, 0)).masked_fill(~listed, math.inf)
    z = 1 + (others[:, None, :] - x_listed[:, :, None])
    loss = torch.where(z > 0, z, 0.0).sum(dim=(1, 2)) / x2.shape[1]
    return reduce(loss.reshape(input.shape[:-1]), reduction)
# --8<-- [end:multilabel_margin_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")


def _pm1(rng, shape, dtype):
    return rng.choice([-1.0, 1.0], shape).astype(dtype)


def _binary_cases(dtype, margins) -> Iterator[Case]:
    """Random scores of several shapes, every margin and reduction; scores exactly at the
    kink ``y x = margin`` (and at 0); extreme and tiny scores."""
    rng = np.random.default_rng(110)
    for layout, shape in {"N": (6,), "NC": (4, 3), "NCd": (2, 3, 4), "0d": ()}.items():
        x = np.asarray(2 * rng.standard_normal(shape), dtype)
        y = np.asarray(_pm1(rng, shape, dtype))
        for margin in margins:
            kwargs = {} if margin is None else {"margin": margin}
            for reduction in _REDUCTIONS:
                tag = "" if margin is None else f"-m{margin:g}"
                yield Case(f"{layout}{tag}-{reduction}", (x, y), {**kwargs, "reduction": reduction})
    big = 1e300 if dtype == np.float64 else 1e38
    tiny = float(np.finfo(dtype).smallest_subnormal)
    for margin in margins:
        m = 0.0 if margin is None else margin
        y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0], dtype)
        x = np.array([m, -m, -m, m, 0.0, 0.0, big, big, tiny, -tiny], dtype)
        kwargs = {} if margin is None else {"margin": margin}
        tag = "" if margin is None else f"-m{margin:g}"
        for reduction in _REDUCTIONS:
            yield Case(f"kinks{tag}-{reduction}", (x, y), {**kwargs, "reduction": reduction})


def _hinge_cases(dtype) -> Iterator[Case]:
    return _binary_cases(dtype, (1.0, 0.0, 0.5, 2.0))


def _perceptron_cases(dtype) -> Iterator[Case]:
    return _binary_cases(dtype, (None,))


def _class_rows(rng, shape, dtype):
    x = (1.5 * rng.standard_normal(shape)).astype(dtype)
    y = rng.integers(0, shape[-1], shape[:-1]).astype(np.int64)
    return x, np.asarray(y)


def _kink_rows(dtype):
    """Rows whose margin violation is exactly 0 at each margin of the cases (0, 1, 2.5),
    with and without a tie among the other classes, six times over (so that a property
    test that probes a few rows at random meets a kink): every difference is exact."""
    rows, labels = [], []
    for m in (0.0, 1.0, 2.5):
        rows += [[0.0, m, 0.0, -1.0], [m, 0.0, -1.0, -2.0]]
        labels += [1, 0]
    x = np.tile(np.array(rows, dtype), (6, 1))
    return x, np.tile(np.array(labels), 6)


def _wide_rows(dtype):
    """Two rows of 64 classes whose target scores far below every other: every term of
    the multi-class margin is active at any positive scale, where its gradient's norm,
    sqrt((C - 1)/C) = 0.992, comes near its supremum 1 over C."""
    x = np.tile(np.linspace(0.0, 1.0, 64), (2, 1)).astype(dtype)
    x[0, 5], x[1, 60] = -3.0, -4.0
    return x, np.array([5, 60])


def _extreme_rows(dtype):
    big = 1e300 if dtype == np.float64 else 1e38
    tiny = float(np.finfo(dtype).smallest_subnormal)
    x = np.array([[big, 0.0, -big], [-big, big, 0.5], [tiny, -tiny, 0.0]], dtype)
    return x, np.array([0, 0, 1])


def _multi_margin_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(111)
    layouts = {"NC": (5, 4), "C": (4,), "C2": (6, 2), "NC1": (3, 1)}
    for layout, shape in layouts.items():
        x, y = _class_rows(rng, shape, dtype)
        weight = rng.uniform(0.2, 2.0, shape[-1]).astype(dtype)
        for p in (1, 2):
            for margin in (1.0, 0.0, 2.5):
                for w in ((None, weight) if layout == "NC" else (None,)):
                    for reduction in _REDUCTIONS:
                        kwargs = {"p": p, "margin": margin, "weight": w, "reduction": reduction}
                        yield Case(f"{layout}-p{p}-m{margin:g}{'-w' if w is not None else ''}"
                                   f"-{reduction}", (x, y), kwargs)
    for p in (1, 2):
        for reduction in _REDUCTIONS:
            yield Case(f"kinks-p{p}-{reduction}", _kink_rows(dtype),
                       {"p": p, "reduction": reduction})
    yield Case("extreme-p1", _extreme_rows(dtype), {"reduction": "none"})
    for p in (1, 2):
        yield Case(f"wide-p{p}", _wide_rows(dtype), {"p": p, "reduction": "none"})


def _multiclass_hinge_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(112)
    for layout, shape in {"NC": (5, 4), "C": (4,), "C2": (6, 2), "NC7": (3, 7)}.items():
        x, y = _class_rows(rng, shape, dtype)
        for margin in (1.0, 0.0, 2.5):
            for reduction in _REDUCTIONS:
                yield Case(f"{layout}-m{margin:g}-{reduction}", (x, y),
                           {"margin": margin, "reduction": reduction})
    for reduction in _REDUCTIONS:
        yield Case(f"kinks-{reduction}", _kink_rows(dtype), {"reduction": reduction})
    yield Case("extreme", _extreme_rows(dtype), {"reduction": "none"})
    yield Case("wide", _wide_rows(dtype), {"reduction": "sum"})


def _label_lists(rng, n_rows, n_classes):
    """Target rows: a random set of classes listed first, -1, then arbitrary entries
    (ignored); one row with no -1 (every class listed) and one with an empty set."""
    t = np.empty((n_rows, n_classes), np.int64)
    for r in range(n_rows):
        k = 0 if r == 1 else (n_classes if r == 2 else int(rng.integers(1, n_classes)))
        t[r, :k] = rng.permutation(n_classes)[:k]
        if k < n_classes:
            t[r, k] = -1
            t[r, k + 1:] = rng.integers(-1, n_classes, n_classes - k - 1)
    return t


def _multilabel_margin_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(113)
    for layout, shape in {"NC": (5, 4), "NC6": (4, 6)}.items():
        x = (1.5 * rng.standard_normal(shape)).astype(dtype)
        t = _label_lists(rng, *shape)
        for reduction in _REDUCTIONS:
            yield Case(f"{layout}-{reduction}", (x, t), {"reduction": reduction})
    x = (1.5 * rng.standard_normal(5)).astype(dtype)
    yield Case("C-none", (x, np.array([3, 0, -1, 4, 4])), {"reduction": "none"})
    yield Case("C-mean", (x, np.array([2, -1, 0, 0, 0])), {"reduction": "mean"})
    # differences of exactly 1 between listed and unlisted classes, and ties
    kinks = np.array([[0.0, 1.0, 0.0, -1.0], [2.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0],
                      [3.0, 2.0, 2.0, -5.0]], dtype)
    t = np.array([[1, -1, 0, 0], [0, 3, -1, 2], [2, -1, -1, -1], [0, -1, 1, 2]])
    for reduction in _REDUCTIONS:
        yield Case(f"kinks-{reduction}", (kinks, t), {"reduction": reduction})
    x, _ = _extreme_rows(dtype)
    yield Case("extreme", (x, np.array([[0, -1, 0], [1, 2, -1], [1, -1, 2]])),
               {"reduction": "none"})
    # many classes, half of them listed: a row's gradient norm sqrt(k (C - k) / C) grows
    # with C (sqrt(C)/2 = 4 here), so no bound holds over every C
    wide = (0.1 * rng.standard_normal((2, 64))).astype(dtype)
    listed = np.stack([rng.permutation(64)[:32] for _ in range(2)])
    yield Case("wide-none", (wide, np.concatenate([listed, -np.ones((2, 32), int)], 1)),
               {"reduction": "none"})


# ---------------------------------------------------------------- properties

_NOT_PROPER = ("no: the expected loss is smallest at the mode, so stating the true "
               "probability scores worse than stating certainty")
_NOT_PROPER_MC = ("no: read as log-probabilities, the scores log q are beaten by scores "
                  "that separate the likely classes by the margin (with C = 2 these losses "
                  "are hinges of the score difference)")
_NO_MINIMISER_MC = ("none of the listed kinds: when no class has probability above 1/2 "
                    "the expected loss can be minimised by scores that tie the top classes "
                    "(all equal, for Crammer–Singer), so the loss is not Fisher consistent "
                    "(Lee, Lin & Wahba 2004; Zhang 2004; Tewari & Bartlett 2007)")


def _hinge_properties(margin=1.0) -> Properties:
    notes = {"grad_bound": "|d/dx max(0, margin - y x)| = |y| = 1 where the hinge is active"}
    if margin == 0:
        return Properties(
            convex=True, smooth=False, grad_lipschitz=None, grad_bound=1.0, minimiser=None,
            breakdown_point=None, proper=False, link="identity",
            notes={**notes, "minimiser": _PERCEPTRON_MINIMISER, "proper": _PERCEPTRON_PROPER})
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=1.0, minimiser="mode",
        breakdown_point=None, proper=False, link="margin",
        notes={**notes,
               "smooth": "the slope jumps from -y to 0 at y x = margin",
               "minimiser": "q max(0, m - c) + (1 - q) max(0, m + c) is linear, m + c (1 - 2q), "
                            "on [-m, m] and larger outside: minimised at c = m sign(2q - 1)",
               "proper": _NOT_PROPER + ": c = m (2q - 1) scores worse than m sign(2q - 1)"})


_PERCEPTRON_MINIMISER = ("none: c = 0 has expected loss 0 whatever P(Y = 1), so the "
                         "minimiser says nothing about the label")
_PERCEPTRON_PROPER = "no: c = 0 is optimal for every distribution"


def _squared_hinge_properties(margin=1.0) -> Properties:
    notes = {"smooth": "C^1: the derivative -2 y max(0, margin - y x) is continuous; not C^2",
             "grad_lipschitz": "the second derivative is 2 y^2 = 2 where the hinge is active",
             "grad_bound": "the derivative grows linearly with the violation"}
    if margin == 0:
        return Properties(
            convex=True, smooth=True, grad_lipschitz=2.0, grad_bound=None, minimiser=None,
            breakdown_point=None, proper=False, link="identity",
            notes={**notes, "minimiser": _PERCEPTRON_MINIMISER, "proper": _PERCEPTRON_PROPER})
    return Properties(
        convex=True, smooth=True, grad_lipschitz=2.0, grad_bound=None,
        minimiser="distribution", breakdown_point=None, proper=True, link="margin",
        notes={**notes,
               "minimiser": "on [-m, m] the derivative of q (m - c)^2 + (1 - q)(m + c)^2 is "
                            "0 at c = m (2q - 1)",
               "proper": "with p = (1 + c/m)/2 the loss is 4 m^2 (1 - p)^2 for y = 1 and "
                         "4 m^2 p^2 for y = -1: 4 m^2 times the binary Brier score "
                         "(p - y')^2, i.e. 2 m^2 times Brier's (1950) two-class score, "
                         "strictly proper; scores outside [-m, m] only do worse"})


def _perceptron_properties() -> Properties:
    return _hinge_properties(margin=0.0)


def _multi_margin_properties(p=1, margin=1.0) -> Properties:
    if p == 2:
        return Properties(
            convex=True, smooth=True, grad_lipschitz=2.0, grad_bound=None, minimiser=None,
            breakdown_point=None, proper=False,
            notes={"smooth": "C^1: each term max(0, z)^2 has the continuous derivative 2 max(0, z)",
                   "grad_lipschitz": "the Hessian (2/C) sum_j (e_j - e_y)(e_j - e_y)^T over "
                                     "the active j is 2/C times a star graph's Laplacian, "
                                     "whose largest eigenvalue is at most C: 2, for every C",
                   "grad_bound": "the gradient grows with the violations",
                   "minimiser": "none of the listed kinds: with C = 2 the minimising score "
                                "difference is m (2q - 1), the squared hinge's; for C >= 3 "
                                "it is no fixed function of q (it ranks the classes as q "
                                "does in numerical trials; no consistency result is claimed)",
                   "proper": _NOT_PROPER_MC})
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=1.0, minimiser=None,
        breakdown_point=None, proper=False,
        notes={"grad_bound": "with k active terms the gradient has k entries 1/C and -k/C "
                             "at the target: norm sqrt(k (k + 1))/C <= sqrt((C - 1)/C), "
                             "which tends to 1 as C grows (per row, without weights)",
               "minimiser": _NO_MINIMISER_MC, "proper": _NOT_PROPER_MC})


def _multiclass_hinge_properties(margin=1.0) -> Properties:
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=math.sqrt(2.0),
        minimiser=None, breakdown_point=None, proper=False,
        notes={"convex": "a maximum of functions linear in the scores",
               "grad_bound": "e_j - e_y for the best other class j: norm sqrt(2), for every C "
                             ">= 2 (smaller where ties split the +1)",
               "minimiser": _NO_MINIMISER_MC if margin > 0 else _PERCEPTRON_MINIMISER,
               "proper": _NOT_PROPER_MC})


def _multilabel_margin_properties() -> Properties:
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=None, minimiser=None,
        breakdown_point=None, proper=None,
        notes={"grad_bound": "with k listed classes and every pair active the gradient has "
                             "k entries -(C - k)/C and C - k entries k/C: norm "
                             "sqrt(k (C - k)/C), up to sqrt(C)/2: it grows with the number "
                             "of classes C, without bound",
               "minimiser": "none of the listed kinds: the pairwise hinge orders labels but "
                            "its minimiser is no function of the label probabilities",
               "proper": "not asked: the target is a set of labels, not one class, and "
                         "the scores are not read as a distribution over classes"})


# ---------------------------------------------------------------- records

_CORTES = Reference("C. Cortes, V. Vapnik", "Support-vector networks", 1995,
                    "Machine Learning 20(3)", doi="10.1007/BF00994018")
_ROSENBLATT = Reference("F. Rosenblatt", "The perceptron: a probabilistic model for "
                        "information storage and organization in the brain", 1958,
                        "Psychological Review 65(6)", doi="10.1037/h0042519")
_WESTON = Reference("J. Weston, C. Watkins", "Support vector machines for multi-class "
                    "pattern recognition", 1999, "ESANN 1999",
                    link="https://www.esann.org/sites/default/files/proceedings/legacy/"
                         "es1999-461.pdf")
_CRAMMER = Reference("K. Crammer, Y. Singer", "On the algorithmic implementation of "
                     "multiclass kernel-based vector machines", 2001,
                     "Journal of Machine Learning Research 2",
                     link="https://jmlr.org/papers/v2/crammer01a.html")
_TEWARI = Reference("A. Tewari, P. L. Bartlett", "On the consistency of multiclass "
                    "classification methods", 2007, "Journal of Machine Learning Research 8",
                    link="https://jmlr.org/papers/v8/tewari07a.html")
_LIN = Reference("Y. Lin", "Support vector machines and the Bayes rule in classification",
                 2002, "Data Mining and Knowledge Discovery 6", doi="10.1023/A:1015469627679")
_BARTLETT = Reference("P. L. Bartlett, M. I. Jordan, J. D. McAuliffe", "Convexity, "
                      "classification, and risk bounds", 2006, "Journal of the American "
                      "Statistical Association 101(473)", doi="10.1198/016214505000000907")
_LEE = Reference("Y. Lee, Y. Lin, G. Wahba", "Multicategory support vector machines: theory "
                 "and application to the classification of microarray data and satellite "
                 "radiance data", 2004, "Journal of the American Statistical Association "
                 "99(465)", doi="10.1198/016214504000000098")
_ZHANG = Reference("T. Zhang", "Statistical analysis of some multi-category large margin "
                   "classification methods", 2004, "Journal of Machine Learning Research 5",
                   link="https://jmlr.org/papers/v5/zhang04b.html")
_ELISSEEFF = Reference("A. Elisseeff, J. Weston", "A kernel method for multi-labelled "
                       "classification", 2001, "Advances in Neural Information Processing "
                       "Systems 14", link="https://papers.nips.cc/paper/2001/hash/"
                       "39dcaf7a053dc372fbc391d4e6b5d693-Abstract.html")

_PAGE = "losses/hinge.md"

hinge_loss = register(Loss(
    name="hinge_loss", title="Hinge", task="binary", page=_PAGE, numpy=hinge_loss_numpy,
    grad=hinge_loss_grad, torch=hinge_loss_torch, builtin_path=None, cases=_hinge_cases,
    references=(_CORTES, _LIN, _BARTLETT), declare=_hinge_properties,
    optax=Counterpart("optax.losses:hinge_loss", _optax.hinge,
                      "hinge_loss(predictor_outputs, targets)"),
))

squared_hinge_loss = register(Loss(
    name="squared_hinge_loss", title="Squared hinge", task="binary", page=_PAGE,
    numpy=squared_hinge_loss_numpy, grad=squared_hinge_loss_grad,
    torch=squared_hinge_loss_torch, builtin_path=None, cases=_hinge_cases,
    references=(_CORTES,), declare=_squared_hinge_properties,
))

perceptron_loss = register(Loss(
    name="perceptron_loss", title="Perceptron", task="binary", page=_PAGE,
    numpy=perceptron_loss_numpy, grad=perceptron_loss_grad, torch=perceptron_loss_torch,
    builtin_path=None, cases=_perceptron_cases, references=(_ROSENBLATT,),
    declare=_perceptron_properties,
    optax=Counterpart("optax.losses:perceptron_loss", _optax.perceptron,
                      "perceptron_loss(predictor_outputs, targets)"),
))

multi_margin_loss = register(Loss(
    name="multi_margin_loss", title="Multi-class margin (Weston–Watkins)",
    task="classification", page=_PAGE, numpy=multi_margin_loss_numpy,
    grad=multi_margin_loss_grad, torch=multi_margin_loss_torch,
    builtin_path="torch.nn.functional:multi_margin_loss", cases=_multi_margin_cases,
    references=(_WESTON, _LEE, _ZHANG, _TEWARI), declare=_multi_margin_properties,
))

multiclass_hinge_loss = register(Loss(
    name="multiclass_hinge_loss", title="Multi-class hinge (Crammer–Singer)",
    task="classification", page=_PAGE, numpy=multiclass_hinge_loss_numpy,
    grad=multiclass_hinge_loss_grad, torch=multiclass_hinge_loss_torch, builtin_path=None,
    cases=_multiclass_hinge_cases, references=(_CRAMMER, _LEE, _ZHANG, _TEWARI),
    declare=_multiclass_hinge_properties,
    optax=Counterpart("optax.losses:multiclass_hinge_loss", _optax.multiclass_hinge,
                      "multiclass_hinge_loss(scores, labels)"),
))

multilabel_margin_loss = register(Loss(
    name="multilabel_margin_loss", title="Multi-label margin", task="classification",
    page=_PAGE, numpy=multilabel_margin_loss_numpy, grad=multilabel_margin_loss_grad,
    torch=multilabel_margin_loss_torch,
    builtin_path="torch.nn.functional:multilabel_margin_loss",
    cases=_multilabel_margin_cases, references=(_ELISSEEFF,),
    declare=_multilabel_margin_properties,
))
