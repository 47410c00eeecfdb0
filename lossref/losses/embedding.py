"""Ranking and metric-learning losses: margin ranking, hinge embedding, cosine embedding,
the two triplet losses (torch's semantics) and the contrastive loss of Hadsell, Chopra and
LeCun (2006), which torch does not have.

Labels are ``1`` (similar pair, or ``input1`` ranked above ``input2``) and ``-1``
(dissimilar, or ranked below). torch computes with any label and returns nonsense without a
word (``hinge_embedding_loss`` with ``y = 0.3`` adds both of its branches, ``x + max(0,
margin - x)``; ``cosine_embedding_loss`` gives 0); lossref raises. NaN labels propagate as
torch propagates them.

Distances follow torch: ``pairwise_distance`` adds ``eps`` to the *difference*,
``d(a, b) = ||a - b + eps||_p`` (not ``||a - b|| + eps``), and norms are computed as
``(sum |v|^p)^(1/p)`` without rescaling, so a distance overflows beyond about 1e154 in
float64 (1e19 in float32), in lossref as in torch. At a kink, the subgradient is torch's:
``clamp_min`` passes the gradient where its argument is exactly 0, the norm's gradient is 0
at a zero vector, ``sign(0) = 0`` for ``p = 1``, ties of the ``p = inf`` norm and of the
``swap`` minimum share the gradient equally.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    broadcast_shape,
    check_flag,
    check_float,
    check_nonnegative,
    check_not_empty,
    check_real,
    check_reduction,
    check_tensor,
    first_flagged,
    is_tensor,
    quiet_ieee,
    reduce,
)
from lossref.losses import _optax
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["contrastive_loss", "cosine_embedding_loss", "hinge_embedding_loss",
           "l1_distance", "margin_ranking_loss", "squared_euclidean_distance",
           "triplet_margin_loss", "triplet_margin_with_distance_loss"]

#: torch's ``EPSILON`` in ``cosine_embedding_loss``, added to each squared norm: a C++
#: ``float`` 1e-12, which is 9.99999996e-13 in double precision (the gradient at a zero
#: vector, about 1 / sqrt(EPSILON), shows the difference: 2e-9 relative).
COSINE_EPS = float(np.float32(1e-12))
#: torch's ``pairwise_distance`` default, the distance of ``triplet_margin_with_distance_loss``.
PAIRWISE_EPS = 1e-6


# ---------------------------------------------------------------- shared checks


def _arrays(prepare: str, **named: Any) -> list[Any]:
    """Each argument as a floating-point array (``prepare="numpy"``) or tensor, all of the
    first one's dtype."""
    convert = as_array if prepare == "numpy" else check_tensor
    out = [convert(x, name) for name, x in named.items()]
    for (name, _), x in zip(named.items(), out, strict=True):
        check_float(x, name)
    first, dtype = next(iter(named)), out[0].dtype
    for (name, _), x in zip(named.items(), out, strict=True):
        if x.dtype != dtype:
            raise TypeError(f"{name} dtype {x.dtype} differs from {first} dtype {dtype}")
    return out


def _check_labels(target: Any, what_torch_does: str) -> None:
    """Labels are -1 or 1 (NaN passes and propagates as in torch)."""
    bad = (target != 1) & (target != -1) & (target == target)
    if bool(bad.any()):
        value = first_flagged(target, bad)
        raise ValueError(f"target holds labels and must be -1 or 1, got {value}; torch "
                         f"does not check this and {what_torch_does}")


def _same_ndim(**arrays: Any) -> None:
    if len({a.ndim for a in arrays.values()}) > 1:
        described = ", ".join(f"{n} {tuple(a.shape)}" for n, a in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must have the same number of dimensions "
                         f"(torch raises too), got shapes {described}")


def _embeddings(**arrays: Any) -> tuple[int, ...]:
    """Vectors along the last dimension, of one embedding dimension, whose other
    dimensions broadcast; returns the broadcast shape of the distances (the batch)."""
    _same_ndim(**arrays)
    for name, a in arrays.items():
        if a.ndim == 0:
            raise ValueError(f"{name} must hold embeddings along its last dimension, got "
                             "a scalar (shape ())")
    dims = {name: a.shape[-1] for name, a in arrays.items()}
    if len(set(dims.values())) > 1:
        described = ", ".join(f"{n} {tuple(a.shape)}" for n, a in arrays.items())
        raise ValueError(f"embedding dimension mismatch (the last dimension): got shapes "
                         f"{described}; torch broadcasts a size-1 embedding silently and "
                         "compares vectors that were not meant to meet")
    if 0 in dims.values():
        raise ValueError(f"{next(iter(dims))} has embedding dimension 0 (its last "
                         "dimension): no distance to measure")
    return broadcast_shape(**arrays)[:-1]


def _check_pair_target(target: Any, batch: tuple[int, ...], name1: str = "input1") -> None:
    """One label per pair: a 0-d target for 1-D inputs, a 1-D target (broadcasting to
    the N pairs) for 2-D inputs, as torch requires."""
    if len(batch) > 1:
        raise ValueError(f"{name1} must be one embedding (D,) or a batch (N, D), got "
                         f"{len(batch) + 1} dimensions (torch raises too)")
    if target.ndim != len(batch):
        raise ValueError(f"target must have shape {batch} (one label per pair) for "
                         f"embeddings of {len(batch) + 1} dimension(s), got shape "
                         f"{tuple(target.shape)} (torch raises too)")
    try:
        fits = tuple(np.broadcast_shapes(tuple(target.shape), batch)) == batch
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"target of shape {tuple(target.shape)} does not broadcast to the "
                         f"{batch[0]} pairs")


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of the broadcast shape back onto an argument of ``shape``."""
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _passes(z):
    """Where ``clamp_min(z, 0)`` passes the gradient in torch's backward: ``z >= 0``, the
    kink included (not at NaN: a NaN comes back through the factors multiplied in)."""
    return z >= 0


def _mean_scale(grads: list[np.ndarray], reduction: str, count: int) -> None:
    if reduction == "mean":
        for g in grads:
            g /= count


# ---------------------------------------------------------------- margin_ranking_loss


def _check_ranking(input1, input2, target, margin, reduction, prepare):
    x1, x2, y = _arrays(prepare, input1=input1, input2=input2, target=target)
    check_reduction(reduction)
    margin = check_nonnegative(margin, "margin")
    _same_ndim(input1=x1, input2=x2, target=y)
    shape = broadcast_shape(input1=x1, input2=x2, target=y)
    _check_labels(y, "computes max(0, -y (x1 - x2) + margin) with any y")
    check_not_empty(shape, reduction)
    return x1, x2, y, margin


# --8<-- [start:margin_ranking_loss_numpy]
@quiet_ieee
def margin_ranking_loss_numpy(input1, input2, target, margin=0.0, reduction="mean"):
    """``max(0, -y (x1 - x2) + margin)``: ``y = 1`` asks for ``x1 >= x2 + margin``,
    ``y = -1`` for ``x2 >= x1 + margin``. The three arguments have the same number of
    dimensions and broadcast (``x1`` of shape (N, 1) against ``x2`` of shape (1, M)
    ranks every pair).

    Examples:
        >>> margin_ranking_loss_numpy(np.array([0.2, 3.0]), np.array([1.0, 1.0]),
        ...                           np.array([1.0, -1.0]), margin=0.5, reduction="none")
        array([1.3, 2.5])
    """
    x1, x2, y, margin = _check_ranking(input1, input2, target, margin, reduction, "numpy")
    loss = np.maximum((x1 - x2) * -y + margin, 0)
    return reduce(loss, reduction)
# --8<-- [end:margin_ranking_loss_numpy]


# --8<-- [start:margin_ranking_loss_grad]
@quiet_ieee
def margin_ranking_loss_grad(input1, input2, target, margin=0.0, reduction="mean"):
    """``(-y, y)`` where ``-y (x1 - x2) + margin >= 0`` (torch's ``clamp_min`` passes the
    gradient at exactly 0), else 0; summed over broadcast dimensions.

    Examples:
        >>> margin_ranking_loss_grad(np.array([0.0, 1.0]), np.array([1.0, 0.0]),
        ...                          np.array([1.0, 1.0]), margin=1.0, reduction="sum")
        (array([-1., -1.]), array([1., 1.]))
    """
    x1, x2, y, margin = _check_ranking(input1, input2, target, margin, reduction, "numpy")
    z = (x1 - x2) * -y + margin
    g2 = (_passes(z) * y).astype(x1.dtype)  # a product: a NaN label gives NaN, as in torch
    g1 = -g2
    _mean_scale([g1, g2], reduction, z.size)
    return _unbroadcast(g1, x1.shape), _unbroadcast(g2, x2.shape)
# --8<-- [end:margin_ranking_loss_grad]


# --8<-- [start:margin_ranking_loss_torch]
def margin_ranking_loss_torch(input1, input2, target, margin=0.0, reduction="mean"):
    """:func:`torch.nn.functional.margin_ranking_loss` from elementary operations."""
    x1, x2, y, margin = _check_ranking(input1, input2, target, margin, reduction, "torch")
    return reduce((-y * (x1 - x2) + margin).clamp_min(0), reduction)
# --8<-- [end:margin_ranking_loss_torch]


# ---------------------------------------------------------------- hinge_embedding_loss


def _check_hinge_embedding(input, target, margin, reduction, prepare):
    x, y = _arrays(prepare, input=input, target=target)
    check_reduction(reduction)
    margin = check_nonnegative(margin, "margin")
    if broadcast_shape(input=x, target=y) != tuple(x.shape):
        raise ValueError(f"target of shape {tuple(y.shape)} does not broadcast to input's "
                         f"shape {tuple(x.shape)} (torch broadcasts both, silently, to "
                         f"{broadcast_shape(input=x, target=y)})")
    _check_labels(y, "computes where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0): "
                     "a label such as 0.3 (or torch.randn targets, as a widely copied "
                     "example passes) adds both branches, x + max(0, margin - x)")
    check_not_empty(tuple(x.shape), reduction)
    return x, y, margin


# --8<-- [start:hinge_embedding_loss_numpy]
@quiet_ieee
def hinge_embedding_loss_numpy(input, target, margin=1.0, reduction="mean"):
    """``x`` where ``y = 1`` and ``max(0, margin - x)`` where ``y = -1``; ``x`` is usually
    a distance between the two items of a pair (for example their L1 distance). Written
    as torch writes it, ``where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0)``,
    so that a NaN label gives torch's value.

    Examples:
        >>> hinge_embedding_loss_numpy(np.array([0.3, 0.3, 2.0]), np.array([1.0, -1.0, -1.0]),
        ...                            reduction="none")
        array([0.3, 0.7, 0. ])
    """
    x, y, margin = _check_hinge_embedding(input, target, margin, reduction, "numpy")
    hinge = np.maximum(margin - x, 0)
    loss = np.where(y != 1, hinge, 0) + np.where(y != -1, x, 0)
    return reduce(loss.astype(x.dtype, copy=False), reduction)
# --8<-- [end:hinge_embedding_loss_numpy]


# --8<-- [start:hinge_embedding_loss_grad]
@quiet_ieee
def hinge_embedding_loss_grad(input, target, margin=1.0, reduction="mean"):
    """``1`` where ``y = 1``; ``-1`` where ``y = -1`` and ``x <= margin`` (torch's
    ``clamp_min`` passes the gradient at ``x = margin``), else 0.

    Examples:
        >>> hinge_embedding_loss_grad(np.array([0.3, 1.0, 2.0]), np.array([1.0, -1.0, -1.0]),
        ...                           reduction="sum")
        (array([ 1., -1.,  0.]),)
    """
    x, y, margin = _check_hinge_embedding(input, target, margin, reduction, "numpy")
    grad = np.where(y != 1, -_passes(margin - x).astype(x.dtype), 0) + np.where(y != -1, 1, 0)
    grad = np.broadcast_to(grad, x.shape).astype(x.dtype)
    _mean_scale([grad], reduction, x.size)
    return (grad,)
# --8<-- [end:hinge_embedding_loss_grad]


# --8<-- [start:hinge_embedding_loss_torch]
def hinge_embedding_loss_torch(input, target, margin=1.0, reduction="mean"):
    """:func:`torch.nn.functional.hinge_embedding_loss` from elementary operations."""
    x, y, margin = _check_hinge_embedding(input, target, margin, reduction, "torch")
    zero = x.new_zeros(())
    loss = torch.where(y != 1, (margin - x).clamp_min(0), zero) + torch.where(y != -1, x, zero)
    return reduce(loss, reduction)
# --8<-- [end:hinge_embedding_loss_torch]


# ---------------------------------------------------------------- cosine_embedding_loss


def _check_cosine(input1, input2, target, margin, reduction, prepare):
    x1, x2, y = _arrays(prepare, input1=input1, input2=input2, target=target)
    check_reduction(reduction)
    margin = check_real(margin, "margin")
    if not -1 <= margin <= 1:
        raise ValueError(f"margin must be in [-1, 1] (it is compared with a cosine), got "
                         f"{margin}; torch computes max(0, cos - margin) anyway, which is 0 "
                         "for every pair when margin >= 1 and never 0 when margin < -1")
    batch = _embeddings(input1=x1, input2=x2)
    _check_pair_target(y, batch)
    _check_labels(y, "gives 0 for any label other than 1 and -1")
    check_not_empty(batch, reduction)
    return x1, x2, y, margin


# --8<-- [start:cosine_numpy]
def _cosine_numpy(x1, x2):
    """torch's cosine, ``<x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))`` along the
    last axis, with the square roots taken before the product: torch multiplies the
    squared norms first, which overflows once ``|x1| |x2|`` passes 1.3e154 (float64) or
    1.8e19 (float32), and then returns a cosine of 0 without a word. Also returns the two
    regularised squared norms and the denominator."""
    m1 = np.einsum("...i,...i->...", x1, x1) + COSINE_EPS
    m2 = np.einsum("...i,...i->...", x2, x2) + COSINE_EPS
    denominator = np.sqrt(m1) * np.sqrt(m2)
    dot = np.einsum("...i,...i->...", *np.broadcast_arrays(x1, x2))
    return dot / denominator, m1, m2, denominator
# --8<-- [end:cosine_numpy]


# --8<-- [start:cosine_embedding_loss_numpy]
@quiet_ieee
def cosine_embedding_loss_numpy(input1, input2, target, margin=0.0, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``y = 1`` and ``max(0, cos(x1, x2) - margin)`` where
    ``y = -1``, with torch's cosine (1e-12 added to each squared norm, so that a zero
    vector has cosine 0). Embeddings along the last dimension: (D,) with a 0-d target,
    or (N, D) with a target of shape (N,).

    Examples:
        >>> cosine_embedding_loss_numpy(np.array([[1.0, 0.0], [1.0, 1.0]]),
        ...                             np.array([[1.0, 1.0], [1.0, 1.0]]),
        ...                             np.array([1.0, -1.0]), margin=0.5, reduction="none")
        array([0.29289322, 0.5       ])
    """
    x1, x2, y, margin = _check_cosine(input1, input2, target, margin, reduction, "numpy")
    cos = _cosine_numpy(x1, x2)[0]
    loss = np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)
    return reduce(loss.astype(x1.dtype, copy=False), reduction)
# --8<-- [end:cosine_embedding_loss_numpy]


# --8<-- [start:cosine_embedding_loss_grad]
@quiet_ieee
def cosine_embedding_loss_grad(input1, input2, target, margin=0.0, reduction="mean"):
    """``w (x2 / s - cos x1 / m1)`` for ``x1`` and ``w (x1 / s - cos x2 / m2)`` for ``x2``,
    with ``m_i = |x_i|^2 + 1e-12``, ``s = sqrt(m1 m2)`` and ``w = -1`` for ``y = 1``,
    ``w = 1`` for ``y = -1`` where ``cos >= margin`` (``clamp_min`` passes the gradient at
    ``cos = margin``), else 0.

    Examples:
        >>> cosine_embedding_loss_grad(np.array([3.0, 4.0]), np.array([4.0, 3.0]),
        ...                            np.array(1.0))
        (array([-0.0448,  0.0336]), array([ 0.0336, -0.0448]))
    """
    x1, x2, y, margin = _check_cosine(input1, input2, target, margin, reduction, "numpy")
    cos, m1, m2, denominator = _cosine_numpy(x1, x2)
    w = np.where(y == 1, -1, 0) + np.where(y == -1, _passes(cos - margin), 0)
    over_s, w_cos = (w / denominator)[..., None], (w * cos)[..., None]
    g1 = over_s * x2 - w_cos / m1[..., None] * x1
    g2 = over_s * x1 - w_cos / m2[..., None] * x2
    g1, g2 = g1.astype(x1.dtype, copy=False), g2.astype(x1.dtype, copy=False)
    _mean_scale([g1, g2], reduction, cos.size)
    return _unbroadcast(g1, x1.shape), _unbroadcast(g2, x2.shape)
# --8<-- [end:cosine_embedding_loss_grad]


# --8<-- [start:cosine_embedding_loss_torch]
def cosine_embedding_loss_torch(input1, input2, target, margin=0.0, reduction="mean"):
    """:func:`torch.nn.functional.cosine_embedding_loss` from elementary operations, with
    the square roots of the squared norms multiplied (see :func:`_cosine_numpy`)."""
    x1, x2, y, margin = _check_cosine(input1, input2, target, margin, reduction, "torch")
    m1 = (x1 * x1).sum(-1) + COSINE_EPS
    m2 = (x2 * x2).sum(-1) + COSINE_EPS
    cos = (x1 * x2).sum(-1) / (m1.sqrt() * m2.sqrt())  # no overflow of m1 m2
    zero = cos.new_zeros(())
    loss = (torch.where(y == 1, 1 - cos, zero)
            + torch.where(y == -1, (cos - margin).clamp_min(0), zero))
    return reduce(loss, reduction)
# --8<-- [end:cosine_embedding_loss_torch]


# ---------------------------------------------------------------- distances


# --8<-- [start:p_norm_numpy]
def _p_norm_numpy(v, p):
    """``||v||_p`` along the last axis, as torch computes it (no rescaling)."""
    if p == 2:
        return np.sqrt(np.einsum("...i,...i->...", v, v))
    a = np.abs(v)
    if p == 1:
        return a.sum(-1)
    if p == math.inf:
        return a.max(-1)
    return (a ** p).sum(-1) ** (1 / p)


def _p_norm_grad_numpy(v, d, p):
    """torch's gradient of ``||v||_p`` (``d``) with respect to ``v``: ``v / d`` for p = 2
    and ``sign(v)`` for p = 1; for p = inf, ``sign(v)`` on the entries of largest ``|v|``,
    shared equally among ties; else ``sign(v) |v|^(p-1) / d^(p-1)``. It is 0 at ``v = 0``
    (and, for p < 1, at every entry ``v_i = 0``). NaN propagates."""
    d = d[..., None]
    if p == 2:
        return v / np.where(d == 0, np.inf, d)
    if p == 1:
        return np.sign(v)
    a = np.abs(v)
    if p == math.inf:
        top = (a == d) | np.isnan(v)
        return np.sign(v) * top / top.sum(-1, keepdims=True)
    with np.errstate(all="ignore"):
        scaled = np.where(a == 0, 0, np.sign(v) * a ** (p - 1))
    return scaled * np.where(d == 0, 0, d ** (1 - p))
# --8<-- [end:p_norm_numpy]


# --8<-- [start:distance_functions]
def l1_distance(x1, x2):
    """``sum |x1 - x2|`` along the last dimension, for NumPy arrays and tensors alike (a
    named distance whose gradient ``.grad`` knows: ``sign(x1 - x2)``, 0 at a tie)."""
    return abs(x1 - x2).sum(-1)


def squared_euclidean_distance(x1, x2):
    """``sum (x1 - x2)^2`` along the last dimension, for NumPy arrays and tensors alike
    (gradient ``2 (x1 - x2)``)."""
    return ((x1 - x2) ** 2).sum(-1)


#: the distance functions whose gradient ``triplet_margin_with_distance_loss.grad``
#: knows, each with d distance / d x1 (d / d x2 is its negative)
_DISTANCE_GRADS: dict[Callable[..., Any], Callable[[np.ndarray], np.ndarray]] = {
    l1_distance: np.sign,
    squared_euclidean_distance: lambda diff: 2 * diff,
}
# --8<-- [end:distance_functions]


# ---------------------------------------------------------------- triplet losses


def _check_triplet_margin(margin, swap):
    margin = check_real(margin, "margin")
    if not margin > 0:
        raise ValueError(f"margin must be greater than 0, got {margin} (torch raises too)")
    return margin, check_flag(swap, "swap")


def _check_triplet(anchor, positive, negative, margin, p, eps, swap, reduction, prepare):
    a, pos, n = _arrays(prepare, anchor=anchor, positive=positive, negative=negative)
    check_reduction(reduction)
    margin, swap = _check_triplet_margin(margin, swap)
    p = check_real(p, "p")
    if not p > 0:
        raise ValueError(f"p must be positive (the order of the norm; math.inf for the "
                         f"maximum), got {p}; torch counts non-zero entries for p = 0, which "
                         "has no gradient, and computes no norm for p < 0")
    eps = check_nonnegative(eps, "eps")
    batch = _embeddings(anchor=a, positive=pos, negative=n)
    check_not_empty(batch, reduction)
    return a, pos, n, margin, p, eps, swap


def _triplet_hinge_grad(z, reduction):
    """The gradient of the reduced ``max(0, z)`` with respect to ``z``: 1 where ``z >= 0``
    (``clamp_min`` passes it at 0), divided by the number of triplets for ``mean``."""
    w = _passes(z).astype(z.dtype)
    return w / z.size if reduction == "mean" else w


def _swap_weights(d_an, d_pn):
    """torch.minimum's backward: the gradient goes to the smaller distance, half to each
    at a tie."""
    to_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0))
    return to_an.astype(d_an.dtype), (1 - to_an).astype(d_an.dtype)


def _triplet_grads(shapes, dtype, w, swap, d_an, d_pn, grad_ap, grad_an, grad_pn):
    """Assemble the gradients of ``max(0, margin + d(a, p) - min(d(a, n), d(p, n)))``
    from ``w`` (the hinge's gradient, per triplet) and ``grad_xy = d d(x, y) / d x``."""
    w = w[..., None]
    ga, gp = w * grad_ap, -w * grad_ap
    if swap:
        to_an, to_pn = _swap_weights(d_an, d_pn)
        w_an, w_pn = w * to_an[..., None], w * to_pn[..., None]
        ga, gp, gn = ga - w_an * grad_an, gp - w_pn * grad_pn, w_an * grad_an + w_pn * grad_pn
    else:
        ga, gn = ga - w * grad_an, w * grad_an
    return tuple(_unbroadcast(g, s).astype(dtype, copy=False)
                 for g, s in zip((ga, gp, gn), shapes, strict=True))


# --8<-- [start:triplet_margin_loss_numpy]
@quiet_ieee
def triplet_margin_loss_numpy(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                              swap=False, reduction="mean"):
    """``max(0, d(a, p) - d(a, n) + margin)`` with torch's ``d(x, y) = ||x - y + eps||_p``
    along the last dimension; ``swap=True`` uses ``min(d(a, n), d(p, n))`` for the
    negative distance (Balntas et al. 2016).

    Examples:
        >>> triplet_margin_loss_numpy(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]),
        ...                           np.array([[1.0, 0.0]]), eps=0.0, reduction="none")
        array([5.])
    """
    a, pos, n, margin, p, eps, swap = _check_triplet(anchor, positive, negative, margin, p,
                                                     eps, swap, reduction, "numpy")
    d_ap = _p_norm_numpy(a - pos + eps, p)
    d_neg = _p_norm_numpy(a - n + eps, p)
    if swap:
        d_neg = np.minimum(d_neg, _p_norm_numpy(pos - n + eps, p))
    return reduce(np.maximum(margin + d_ap - d_neg, 0).astype(a.dtype, copy=False), reduction)
# --8<-- [end:triplet_margin_loss_numpy]


# --8<-- [start:triplet_margin_loss_grad]
@quiet_ieee
def triplet_margin_loss_grad(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                             swap=False, reduction="mean"):
    """With ``w = 1`` where the hinge is active (``>= 0``) and ``u_xy`` the gradient of
    ``||x - y + eps||_p`` with respect to ``x``: ``w (u_ap - u_an)`` for the anchor,
    ``-w u_ap`` for the positive, ``w u_an`` for the negative (with ``swap``, the
    ``d(p, n)`` term takes the negative part where it is the smaller distance).

    Examples:
        >>> triplet_margin_loss_grad(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]),
        ...                          np.array([[1.0, 0.0]]), eps=0.0)
        (array([[ 0.4, -0.8]]), array([[0.6, 0.8]]), array([[-1.,  0.]]))
    """
    a, pos, n, margin, p, eps, swap = _check_triplet(anchor, positive, negative, margin, p,
                                                     eps, swap, reduction, "numpy")
    v_ap, v_an = a - pos + eps, a - n + eps
    d_ap, d_an = _p_norm_numpy(v_ap, p), _p_norm_numpy(v_an, p)
    d_pn = grad_pn = None
    d_neg = d_an
    if swap:
        v_pn = pos - n + eps
        d_pn = _p_norm_numpy(v_pn, p)
        d_neg = np.minimum(d_an, d_pn)
        grad_pn = _p_norm_grad_numpy(v_pn, d_pn, p)
    w = _triplet_hinge_grad(margin + d_ap - d_neg, reduction)
    return _triplet_grads((a.shape, pos.shape, n.shape), a.dtype, w, swap, d_an, d_pn,
                          _p_norm_grad_numpy(v_ap, d_ap, p), _p_norm_grad_numpy(v_an, d_an, p),
                          grad_pn)
# --8<-- [end:triplet_margin_loss_grad]


# --8<-- [start:triplet_margin_loss_torch]
def triplet_margin_loss_torch(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                              swap=False, reduction="mean"):
    """:func:`torch.nn.functional.triplet_margin_loss` from elementary operations
    (``torch.linalg.vector_norm`` of the shifted differences)."""
    a, pos, n, margin, p, eps, swap = _check_triplet(anchor, positive, negative, margin, p,
                                                     eps, swap, reduction, "torch")

    def distance(x, y):
        return torch.linalg.vector_norm(x - y + eps, ord=p, dim=-1)

    d_neg = distance(a, n)
    if swap:
        d_neg = torch.minimum(d_neg, distance(pos, n))
    return reduce((margin + distance(a, pos) - d_neg).clamp_min(0), reduction)
# --8<-- [end:triplet_margin_loss_torch]


# ---------------------------------------------------------------- triplet_margin_with_distance_loss


def _check_with_distance(anchor, positive, negative, distance_function, margin, swap,
                         reduction, prepare):
    a, pos, n = _arrays(prepare, anchor=anchor, positive=positive, negative=negative)
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"distance_function must be a callable or None, got "
                        f"{type(distance_function).__name__}")
    check_reduction(reduction)
    margin, swap = _check_triplet_margin(margin, swap)
    batch = _embeddings(anchor=a, positive=pos, negative=n)
    check_not_empty(batch, reduction)
    return a, pos, n, margin, swap, batch


def _distance(fn, x, y, batch, prepare):
    """``fn(x, y)``, checked: an array (NumPy entry points) or tensor (torch ones) of the
    distances' shape ``batch``, with no negative value (NaN passes)."""
    if fn is None:
        if prepare == "numpy":
            return _p_norm_numpy(x - y + PAIRWISE_EPS, 2)
        return torch.linalg.vector_norm(x - y + PAIRWISE_EPS, dim=-1)
    kind = "NumPy arrays" if prepare == "numpy" else "tensors"
    try:
        d = fn(x, y)
    except (TypeError, AttributeError, RuntimeError) as error:
        raise TypeError(f"distance_function failed on {kind} ({type(error).__name__}: "
                        f"{error}); .numpy and .grad need a NumPy distance function, .torch "
                        "a torch one") from error
    if prepare == "numpy":
        if is_tensor(d) or not isinstance(d, (np.ndarray, np.generic, numbers.Real)):
            raise TypeError(f"distance_function must return a NumPy array for NumPy "
                            f"arrays, got {type(d).__name__}")
        d = np.asarray(d)
    elif not is_tensor(d):
        raise TypeError(f"distance_function must return a tensor for tensors, got "
                        f"{type(d).__name__} (a NumPy function cannot be differentiated "
                        "by autograd)")
    if tuple(d.shape) != batch:
        raise ValueError(f"distance_function must return one distance per pair, of shape "
                         f"{batch}, got shape {tuple(d.shape)} (reduce over the last "
                         "dimension, the embedding, only)")
    if not is_tensor(d) and not np.issubdtype(d.dtype, np.floating):
        raise TypeError(f"distance_function must return floating-point distances, got "
                        f"dtype {d.dtype}")
    if bool((d < 0).any()):
        raise ValueError(f"distance_function returned a negative distance, "
                         f"{first_flagged(d, d < 0)}; a distance is never negative")
    return d


# --8<-- [start:triplet_margin_with_distance_loss_numpy]
@quiet_ieee
def triplet_margin_with_distance_loss_numpy(anchor, positive, negative, *,
                                            distance_function=None, margin=1.0, swap=False,
                                            reduction="mean"):
    """``max(0, d(a, p) - d(a, n) + margin)`` for a distance function ``d`` that maps two
    NumPy arrays (embeddings along the last dimension) to their distances; None is
    torch's ``pairwise_distance``, ``||x - y + 1e-6||_2``.

    Examples:
        >>> triplet_margin_with_distance_loss_numpy(
        ...     np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]]),
        ...     distance_function=l1_distance, reduction="none")
        array([7.])
    """
    a, pos, n, margin, swap, batch = _check_with_distance(
        anchor, positive, negative, distance_function, margin, swap, reduction, "numpy")
    d_neg = _distance(distance_function, a, n, batch, "numpy")
    if swap:
        d_neg = np.minimum(d_neg, _distance(distance_function, pos, n, batch, "numpy"))
    d_ap = _distance(distance_function, a, pos, batch, "numpy")
    return reduce(np.maximum(margin + d_ap - d_neg, 0).astype(a.dtype, copy=False), reduction)
# --8<-- [end:triplet_margin_with_distance_loss_numpy]


# --8<-- [start:triplet_margin_with_distance_loss_grad]
@quiet_ieee
def triplet_margin_with_distance_loss_grad(anchor, positive, negative, *,
                                           distance_function=None, margin=1.0, swap=False,
                                           reduction="mean"):
    """As :func:`triplet_margin_loss_grad`, for ``distance_function`` None (the Euclidean
    distance with eps 1e-6), :func:`l1_distance` or :func:`squared_euclidean_distance`.
    The gradient of any other function is not known analytically: a ``ValueError`` says
    so (``.torch`` differentiates any torch distance function by autograd).

    Examples:
        >>> triplet_margin_with_distance_loss_grad(
        ...     np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]]),
        ...     distance_function=squared_euclidean_distance)
        (array([[-4., -8.]]), array([[6., 8.]]), array([[-2.,  0.]]))
    """
    a, pos, n, margin, swap, batch = _check_with_distance(
        anchor, positive, negative, distance_function, margin, swap, reduction, "numpy")
    if distance_function is None:
        def dist(x, y):
            v = x - y + PAIRWISE_EPS
            d = _p_norm_numpy(v, 2)
            return d, _p_norm_grad_numpy(v, d, 2)
    elif distance_function in _DISTANCE_GRADS:
        derivative = _DISTANCE_GRADS[distance_function]

        def dist(x, y):
            return (_distance(distance_function, x, y, batch, "numpy"),
                    derivative(x - y))
    else:
        raise ValueError(f"distance_function {getattr(distance_function, '__name__', '')!r}: "
                         ".grad knows the gradient of None (pairwise_distance), l1_distance "
                         "and squared_euclidean_distance only; differentiate another "
                         "function with .torch and autograd")
    (d_ap, grad_ap), (d_an, grad_an) = dist(a, pos), dist(a, n)
    d_pn = grad_pn = None
    d_neg = d_an
    if swap:
        d_pn, grad_pn = dist(pos, n)
        d_neg = np.minimum(d_an, d_pn)
    w = _triplet_hinge_grad(margin + d_ap - d_neg, reduction)
    return _triplet_grads((a.shape, pos.shape, n.shape), a.dtype, w, swap, d_an, d_pn,
                          grad_ap, grad_an, grad_pn)
# --8<-- [end:triplet_margin_with_distance_loss_grad]


# --8<-- [start:triplet_margin_with_distance_loss_torch]
def triplet_margin_with_distance_loss_torch(anchor, positive, negative, *,
                                            distance_function=None, margin=1.0, swap=False,
                                            reduction="mean"):
    """:func:`torch.nn.functional.triplet_margin_with_distance_loss` from elementary
    operations; ``distance_function`` maps two tensors to their distances."""
    a, pos, n, margin, swap, batch = _check_with_distance(
        anchor, positive, negative, distance_function, margin, swap, reduction, "torch")
    d_neg = _distance(distance_function, a, n, batch, "torch")
    if swap:
        d_neg = torch.minimum(d_neg, _distance(distance_function, pos, n, batch, "torch"))
    d_ap = _distance(distance_function, a, pos, batch, "torch")
    return reduce((margin + d_ap - d_neg).clamp_min(0), reduction)
# --8<-- [end:triplet_margin_with_distance_loss_torch]


# ---------------------------------------------------------------- contrastive_loss


def _check_contrastive(input1, input2, target, margin, reduction, prepare):
    x1, x2, y = _arrays(prepare, input1=input1, input2=input2, target=target)
    check_reduction(reduction)
    margin = check_nonnegative(margin, "margin")
    batch = _embeddings(input1=x1, input2=x2)
    _check_pair_target(y, batch)
    _check_labels(y, "has no contrastive loss; label 1 is a similar pair, -1 a dissimilar "
                     "one (Hadsell et al. write 0 and 1, the other way round)")
    check_not_empty(batch, reduction)
    return x1, x2, y, margin


# --8<-- [start:contrastive_loss_numpy]
@quiet_ieee
def contrastive_loss_numpy(input1, input2, target, *, margin=1.0, reduction="mean"):
    """The contrastive loss of Hadsell, Chopra and LeCun (2006): ``d^2 / 2`` for a
    similar pair (``y = 1``) and ``max(0, margin - d)^2 / 2`` for a dissimilar one
    (``y = -1``), ``d`` the Euclidean distance between ``x1`` and ``x2`` along the last
    dimension. The labels are those of ``cosine_embedding_loss``; the paper writes
    ``Y = 0`` for similar and ``Y = 1`` for dissimilar pairs, the reverse.

    Examples:
        >>> contrastive_loss_numpy(np.array([[0.0, 0.0], [0.0, 0.0]]),
        ...                        np.array([[0.3, 0.4], [0.3, 0.4]]),
        ...                        np.array([1.0, -1.0]), margin=2.0, reduction="none")
        array([0.125, 1.125])
    """
    x1, x2, y, margin = _check_contrastive(input1, input2, target, margin, reduction, "numpy")
    diff = x1 - x2
    squared = np.einsum("...i,...i->...", diff, diff)
    gap = np.maximum(margin - np.sqrt(squared), 0)
    loss = 0.5 * np.where(y == 1, squared, np.where(y == -1, gap * gap, np.nan))
    return reduce(loss.astype(x1.dtype, copy=False), reduction)
# --8<-- [end:contrastive_loss_numpy]


# --8<-- [start:contrastive_loss_grad]
@quiet_ieee
def contrastive_loss_grad(input1, input2, target, *, margin=1.0, reduction="mean"):
    """``c (x1 - x2)`` for ``x1`` and its negative for ``x2``, with ``c = 1`` for a similar
    pair and ``c = -max(0, margin - d) / d`` for a dissimilar one. At ``d = 0`` the
    direction is undefined and lossref takes ``c = 0``, as torch's norm backward does (a
    pair of identical embeddings labelled dissimilar gets no gradient).

    Examples:
        >>> contrastive_loss_grad(np.array([0.0, 0.0]), np.array([0.3, 0.4]),
        ...                       np.array(-1.0), margin=2.0)
        (array([0.9, 1.2]), array([-0.9, -1.2]))
    """
    x1, x2, y, margin = _check_contrastive(input1, input2, target, margin, reduction, "numpy")
    diff = x1 - x2
    d = np.sqrt(np.einsum("...i,...i->...", diff, diff))
    pull = -np.maximum(margin - d, 0) / np.where(d == 0, np.inf, d)
    c = np.where(y == 1, 1, np.where(y == -1, pull, np.nan))
    if reduction == "mean":
        c = c / c.size
    g1 = (c[..., None] * diff).astype(x1.dtype, copy=False)
    return _unbroadcast(g1, x1.shape), _unbroadcast(-g1, x2.shape)
# --8<-- [end:contrastive_loss_grad]


# --8<-- [start:contrastive_loss_torch]
def contrastive_loss_torch(input1, input2, target, *, margin=1.0, reduction="mean"):
    """The contrastive loss from tensor operations; ``torch.linalg.vector_norm`` has the
    gradient 0 at a zero vector, the convention of :func:`contrastive_loss_grad`."""
    x1, x2, y, margin = _check_contrastive(input1, input2, target, margin, reduction, "torch")
    diff = x1 - x2
    squared = (diff * diff).sum(-1)
    # the norm of the dissimilar pairs only: torch.where's backward sends 0 to the branch
    # it did not take, and 0 times a NaN or infinite norm's gradient would be NaN
    apart = torch.where((y == -1)[..., None], diff, diff.new_zeros(()))
    gap = (margin - torch.linalg.vector_norm(apart, dim=-1)).clamp_min(0)
    loss = 0.5 * torch.where(y == 1, squared, torch.where(y == -1, gap * gap, math.nan))
    return reduce(loss, reduction)
# --8<-- [end:contrastive_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")


def _pm1(rng, shape, dtype):
    return rng.choice([-1.0, 1.0], shape).astype(dtype)


def _big(dtype, for_norms: bool = False) -> float:
    """A large finite input: 1e300 (float64) or 1e38 (float32) element-wise; for a norm
    (squares are summed) 1e150 or 1e18."""
    if for_norms:
        return 1e150 if dtype == np.float64 else 1e18
    return 1e300 if dtype == np.float64 else 1e38


def _reductions(name: str, args: tuple, kwargs: dict | None = None) -> Iterator[Case]:
    for reduction in _REDUCTIONS:
        yield Case(f"{name}-{reduction}", args, {**(kwargs or {}), "reduction": reduction})


# Broadcasting (x1 of shape (N, 1) against x2 of shape (1, M); one anchor against many)
# is accepted as torch accepts it and tested in tests/test_embedding_family.py; the cases
# keep one example per output element, so that the declared per-example properties apply.


def _ranking_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(110)
    for layout, shape in {"N": (6,), "NM": (3, 4)}.items():
        x1, x2 = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
        y = _pm1(rng, shape, dtype)
        for margin in (0.0, 0.5):
            yield from _reductions(f"{layout}-m{margin:g}", (x1, x2, y), {"margin": margin})
    yield Case("scalar", tuple(np.asarray(v, dtype) for v in (0.5, 1.0, 1.0)), {})
    # exactly on the kink: -y (x1 - x2) + margin = 0, and either side of it
    x1 = np.array([0.0, 1.0, 2.0, 1.0, 0.5, 0.75], dtype)
    x2 = np.array([1.0, 1.0, 1.0, 2.0, 0.0, 0.25], dtype)
    y = np.array([1.0, 1.0, 1.0, -1.0, -1.0, 1.0], dtype)
    yield from _reductions("kink", (x1, x2, y), {"margin": 1.0})
    big = _big(dtype)
    x1 = np.array([big, -big, 1e-30, 0.0, big], dtype)
    x2 = np.array([-big, big, -1e-30, 0.0, big], dtype)
    yield from _reductions("extreme", (x1, x2, np.array([1, 1, -1, 1, -1], dtype)))


def _hinge_embedding_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(111)
    for layout, shape in {"N": (7,), "NC": (3, 4)}.items():
        x = np.abs(2 * rng.standard_normal(shape)).astype(dtype)
        y = _pm1(rng, shape, dtype)
        for margin in (1.0, 0.5):
            yield from _reductions(f"{layout}-m{margin:g}", (x, y), {"margin": margin})
    yield Case("bcast-target", (np.abs(rng.standard_normal((4, 3))).astype(dtype),
                                _pm1(rng, (3,), dtype)), {"reduction": "sum"})
    # exactly at x = margin for y = -1, and either side; a negative input
    x = np.array([0.0, 0.5, 1.0, 1.5, -0.5, 1.0], dtype)
    y = np.array([-1.0, -1.0, -1.0, -1.0, -1.0, 1.0], dtype)
    yield from _reductions("kink", (x, y))
    big = _big(dtype)
    x = np.array([big, -big, 1e-30, 0.0, big, -big], dtype)
    yield from _reductions("extreme", (x, np.array([1, 1, -1, -1, -1, -1], dtype)))


def _cosine_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(112)
    x1, x2 = (rng.standard_normal((5, 3)).astype(dtype) for _ in range(2))
    y = _pm1(rng, (5,), dtype)
    for margin in (0.0, 0.3, -0.5):
        yield from _reductions(f"ND-m{margin:g}", (x1, x2, y), {"margin": margin})
    yield Case("D", (x1[0], x2[0], np.asarray(-1.0, dtype)), {"margin": -0.2})
    yield Case("D-y1", (x1[1], x2[1], np.asarray(1.0, dtype)), {})
    yield Case("bcast-target", (x1, x2, np.array([-1.0], dtype)), {"margin": 0.1})
    # cos = +1, cos = -1, cos = 0, zero vectors, and cos exactly at the margin 0
    a = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [3.0, 0.0],
                  [1.0, 1.0]], dtype)
    b = np.array([[2.0, 4.0], [-1.0, -2.0], [0.0, 5.0], [0.0, 0.0], [1.0, 1.0], [0.0, 2.0],
                  [2.0, 2.0]], dtype)
    y = np.array([1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0], dtype)
    yield from _reductions("kink", (a, b, y))
    # as large as torch's product of squared norms stays finite (beyond, torch's cosine
    # is 0 and lossref's is right: tests/test_embedding_family.py)
    big = 1e75 if dtype == np.float64 else 1e9
    a = np.array([[big, big], [1e-30, 0.0], [big, -big], [1e-5, 1e-5]], dtype)
    b = np.array([[big, 0.0], [1e-30, 1e-30], [-big, 1.0], [1e-5, -1e-5]], dtype)
    yield from _reductions("extreme", (a, b, np.array([1.0, 1.0, -1.0, 1.0], dtype)))


def _triplet_inputs(rng, shape, dtype):
    return tuple(rng.standard_normal(shape).astype(dtype) for _ in range(3))


def _triplet_kinks(dtype):
    """Hinge exactly at 0 (d(a, p) + 1 = d(a, n) with eps 0), a = p (norm at 0), an
    entry of a - p at 0 (p = 1, inf), ties of the inf-norm, d(a, n) = d(p, n) (swap)."""
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.0]], dtype)
    p = np.array([[1.0, 0.0, 0.0], [1.0, 2.0, 0.0], [2.0, 3.0, 0.5], [1.0, 0.0, 0.0]], dtype)
    n = np.array([[0.0, 2.0, 0.0], [1.0, 2.5, 0.0], [1.0, 2.5, 0.0], [0.5, 1.0, 0.0]], dtype)
    return a, p, n


def _triplet_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(113)
    a, p, n = _triplet_inputs(rng, (5, 4), dtype)
    for norm in (2.0, 1.0, 3.0, math.inf):
        yield from _reductions(f"p{norm:g}", (a, p, n), {"p": norm, "margin": 2.0})
    for swap in (False, True):
        yield from _reductions(f"eps0-swap{swap:d}", (a, p, n), {"eps": 0.0, "swap": swap})
    yield from _reductions("eps0-3d", _triplet_inputs(rng, (2, 3, 4), dtype), {"eps": 0.0})
    yield Case("swap-m0.5", (a, p, n), {"swap": True, "margin": 0.5})
    yield Case("D", tuple(x[0] for x in (a, p, n)), {"eps": 0.1})
    # a - p and a - n opposite, d(a, p) = d(a, n): the gradient's largest norm, sqrt(6)
    opposite = (np.zeros((2, 3), dtype), np.array([[1.0, 0, 0], [0, -2.0, 0]], dtype),
                np.array([[-1.0, 0, 0], [0, 2.0, 0]], dtype))
    for norm in (2.0, 1.0, 3.0, math.inf):
        yield Case(f"opposite-p{norm:g}", opposite, {"p": norm, "reduction": "none"})
    k = _triplet_kinks(dtype)
    for norm in (2.0, 1.0, math.inf):
        for swap in (False, True):
            yield Case(f"kink-p{norm:g}-swap{swap:d}", k, {"p": norm, "eps": 0.0, "swap": swap,
                                                           "reduction": "none"})
    yield from _reductions("extreme", _extreme_triplets(dtype))


def _extreme_triplets(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A huge triplet (norms near overflow), a tiny one and a zero one."""
    big = _big(dtype, for_norms=True)
    a = np.array([[big, 0.0], [1e-30, 0.0], [0.0, 0.0]], dtype)
    p = np.array([[0.0, big], [0.0, 1e-30], [0.0, 0.0]], dtype)
    n = np.array([[-big, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype)
    return a, p, n


def _with_distance_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(114)
    a, p, n = _triplet_inputs(rng, (5, 4), dtype)
    for name, fn in (("default", None), ("l1", l1_distance),
                     ("sq", squared_euclidean_distance)):
        for swap in (False, True):
            yield from _reductions(f"{name}-swap{swap:d}", (a, p, n),
                                   {"distance_function": fn, "swap": swap, "margin": 1.5})
    yield Case("D", tuple(x[0] for x in (a, p, n)), {"margin": 3.0})
    k = _triplet_kinks(dtype)
    for name, fn in (("l1", l1_distance), ("sq", squared_euclidean_distance)):
        for swap in (False, True):
            yield Case(f"kink-{name}-swap{swap:d}", k, {"distance_function": fn, "swap": swap,
                                                        "reduction": "none"})
    yield from _reductions("extreme", _extreme_triplets(dtype))


def _contrastive_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(115)
    x1, x2 = (rng.standard_normal((6, 3)).astype(dtype) for _ in range(2))
    y = _pm1(rng, (6,), dtype)
    for margin in (1.0, 3.0, 0.0):
        yield from _reductions(f"ND-m{margin:g}", (x1, x2, y), {"margin": margin})
    # one dissimilar pair at d = 0: the gradient's direction is undefined there (0)
    yield Case("D-d0", (x1[0], x1[0].copy(), np.asarray(-1.0, dtype)), {"margin": 4.0})
    # d = 0 on both labels, d = margin exactly (3-4-5), d beyond the margin
    a = np.zeros((5, 2), dtype)
    b = np.array([[0.0, 0.0], [0.0, 0.0], [0.6, 0.8], [3.0, 4.0], [0.3, 0.4]], dtype)
    yield from _reductions("kink", (a, b, np.array([1.0, -1.0, -1.0, -1.0, 1.0], dtype)))
    big = _big(dtype, for_norms=True)
    a = np.array([[big, 0.0], [1e-30, 0.0], [big, big]], dtype)
    b = np.array([[0.0, big], [0.0, 1e-30], [big, big]], dtype)
    yield from _reductions("extreme", (a, b, np.array([1.0, -1.0, -1.0], dtype)))


# ---------------------------------------------------------------- properties


def _not_a_location(kind: str) -> dict[str, str]:
    article = "an" if kind[0] in "aeiou" else "a"
    return {"minimiser": f"{article} {kind} loss estimates no location or distribution: its "
                         "target is a label of the pair, not a random outcome"}


def _margin_ranking_properties() -> Properties:
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=math.sqrt(2),
        minimiser=None, breakdown_point=None, proper=None,
        notes={"convex": "max(0, .) of a function affine in (x1, x2)",
               "smooth": "a kink where -y (x1 - x2) + margin = 0",
               "grad_bound": "the gradient is (-y, y) or 0, of norm sqrt(2)",
               **_not_a_location("ranking")})


def _hinge_embedding_properties() -> Properties:
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=1.0,
        minimiser=None, breakdown_point=None, proper=None,
        notes={"convex": "x for y = 1 (linear), max(0, margin - x) for y = -1",
               "smooth": "a kink at x = margin for y = -1",
               "grad_bound": "the slope is 1, -1 or 0",
               **_not_a_location("embedding")})


def _cosine_properties() -> Properties:
    return Properties(
        convex=False, smooth=False, grad_lipschitz=None, grad_bound=None,
        minimiser=None, breakdown_point=None, proper=None,
        notes={"convex": "1 - cos(x1, x2) is not convex (it is constant along rays and "
                         "not along the segments between them)",
               "smooth": "max(0, cos - margin) has a kink at cos = margin for y = -1",
               "grad_bound": "the gradient of the cosine with respect to x1 has size "
                             "sin(angle) / |x1|: it grows as |x1| -> 0 (up to about 1e6, "
                             "1 / sqrt(1e-12), with torch's eps)",
               **_not_a_location("embedding")})


def _triplet_properties(p: float = 2.0) -> Properties:
    bounded = p >= 2
    notes = {"convex": "-d(a, n) is concave: moving the negative towards the anchor "
                       "raises the loss along a curve",
             "smooth": "a kink where margin + d(a, p) - d(a, n) = 0 (and where a distance "
                       "is 0)",
             **_not_a_location("embedding")}
    if bounded:
        notes["grad_bound"] = ("the gradient of an l_p norm with p >= 2 has Euclidean norm "
                               "at most 1 (equal 1 for p = 2); with u, v those of d(a, p) "
                               "and d(a, n) the triplet's gradient is (u - v, -u, v), of "
                               "norm at most sqrt(4 + 1 + 1) = sqrt(6), reached for "
                               "v = -u (swap gives the same bound)")
    else:
        notes["grad_bound"] = ("for 1 <= p < 2 the norm's gradient has Euclidean norm up "
                               "to D^(1/p - 1/2) (sqrt(6 D) for p = 1): it grows with the "
                               "embedding dimension D; for p < 1 it is unbounded near a "
                               "zero entry")
    return Properties(
        convex=False, smooth=False, grad_lipschitz=None,
        grad_bound=math.sqrt(6) if bounded else None,
        minimiser=None, breakdown_point=None, proper=None, notes=notes)


def _with_distance_properties(distance_function: Any = None) -> Properties:
    if distance_function is None:
        return _triplet_properties(2.0)
    props = _triplet_properties(1.0 if distance_function is l1_distance else 0.5)
    note = ("l1_distance's gradient sign(x1 - x2) has norm sqrt(D): the bound grows with "
            "the embedding dimension D" if distance_function is l1_distance else
            "a squared distance has the gradient 2 (x1 - x2), unbounded; another "
            "distance function's bound is unknown")
    return dataclasses.replace(props, notes={**props.notes, "grad_bound": note})


def _contrastive_properties(margin: float = 1.0) -> Properties:
    flat = margin == 0
    notes = {"convex": ("with margin 0 the loss is d^2 / 2 on similar pairs and 0 on "
                        "dissimilar ones, convex" if flat else
                        "max(0, margin - d)^2 / 2 is largest at d = 0: a bump, not convex"),
             "smooth": ("d^2 / 2 is smooth" if flat else
                        "at d = 0 on a dissimilar pair the gradient -(margin - d) u jumps "
                        "with the direction u"),
             "grad_bound": "d^2 / 2 has the gradient (x1 - x2, x2 - x1), unbounded",
             **_not_a_location("embedding")}
    if flat:
        notes["grad_lipschitz"] = ("the Hessian of |x1 - x2|^2 / 2 in (x1, x2) is "
                                   "[[I, -I], [-I, I]], of largest eigenvalue 2")
    return Properties(
        convex=flat, smooth=flat, grad_lipschitz=2.0 if flat else None, grad_bound=None,
        minimiser=None, breakdown_point=None, proper=None, notes=notes)


# ---------------------------------------------------------------- records

_HADSELL = Reference("R. Hadsell, S. Chopra, Y. LeCun", "Dimensionality reduction by "
                     "learning an invariant mapping", 2006, "CVPR 2006",
                     doi="10.1109/CVPR.2006.100")
_JOACHIMS = Reference("T. Joachims", "Optimizing search engines using clickthrough data",
                      2002, "KDD 2002", doi="10.1145/775047.775067")
_HERBRICH = Reference("R. Herbrich, T. Graepel, K. Obermayer", "Support vector learning for "
                      "ordinal regression", 1999, "ICANN 1999", doi="10.1049/cp:19991091")
_NGUYEN = Reference("H. V. Nguyen, L. Bai", "Cosine similarity metric learning for face "
                    "verification", 2010, "ACCV 2010",
                    doi="10.1007/978-3-642-19309-5_55")
_WEINBERGER = Reference("K. Q. Weinberger, L. K. Saul", "Distance metric learning for large "
                        "margin nearest neighbor classification", 2009, "JMLR 10",
                        link="https://jmlr.org/papers/v10/weinberger09a.html")
_SCHROFF = Reference("F. Schroff, D. Kalenichenko, J. Philbin", "FaceNet: a unified "
                     "embedding for face recognition and clustering", 2015, "CVPR 2015",
                     arxiv="1503.03832")
_BALNTAS = Reference("V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk", "Learning local "
                     "feature descriptors with triplets and shallow convolutional neural "
                     "networks", 2016, "BMVC 2016",
                     link="https://bmva-archive.org.uk/bmvc/2016/papers/paper119/abstract119.pdf")

_PAGE = "losses/embedding.md"

margin_ranking_loss = register(Loss(
    name="margin_ranking_loss", title="Margin ranking", task="ranking", page=_PAGE,
    numpy=margin_ranking_loss_numpy, grad=margin_ranking_loss_grad,
    torch=margin_ranking_loss_torch, builtin_path="torch.nn.functional:margin_ranking_loss",
    cases=_ranking_cases, wrt=(0, 1), references=(_HERBRICH, _JOACHIMS),
    declare=_margin_ranking_properties,
))

hinge_embedding_loss = register(Loss(
    name="hinge_embedding_loss", title="Hinge embedding", task="embedding", page=_PAGE,
    numpy=hinge_embedding_loss_numpy, grad=hinge_embedding_loss_grad,
    torch=hinge_embedding_loss_torch, builtin_path="torch.nn.functional:hinge_embedding_loss",
    cases=_hinge_embedding_cases, wrt=(0,), references=(_HADSELL,),
    declare=_hinge_embedding_properties,
))

cosine_embedding_loss = register(Loss(
    name="cosine_embedding_loss", title="Cosine embedding", task="embedding", page=_PAGE,
    numpy=cosine_embedding_loss_numpy, grad=cosine_embedding_loss_grad,
    torch=cosine_embedding_loss_torch,
    builtin_path="torch.nn.functional:cosine_embedding_loss", cases=_cosine_cases,
    wrt=(0, 1), references=(_NGUYEN,), declare=_cosine_properties,
))

triplet_margin_loss = register(Loss(
    name="triplet_margin_loss", title="Triplet margin", task="embedding", page=_PAGE,
    numpy=triplet_margin_loss_numpy, grad=triplet_margin_loss_grad,
    torch=triplet_margin_loss_torch, builtin_path="torch.nn.functional:triplet_margin_loss",
    cases=_triplet_cases, wrt=(0, 1, 2), references=(_WEINBERGER, _SCHROFF, _BALNTAS),
    declare=_triplet_properties,
    optax=Counterpart("optax.losses:triplet_margin_loss", _optax.triplet_margin,
                      "triplet_margin_loss(anchors, positives, negatives, norm_degree=p, "
                      "margin=margin, eps=0.0)"),
))

triplet_margin_with_distance_loss = register(Loss(
    name="triplet_margin_with_distance_loss", title="Triplet margin with a distance function",
    task="embedding", page=_PAGE, numpy=triplet_margin_with_distance_loss_numpy,
    grad=triplet_margin_with_distance_loss_grad, torch=triplet_margin_with_distance_loss_torch,
    builtin_path="torch.nn.functional:triplet_margin_with_distance_loss",
    cases=_with_distance_cases, wrt=(0, 1, 2), references=(_SCHROFF, _BALNTAS),
    declare=_with_distance_properties,
))

contrastive_loss = register(Loss(
    name="contrastive_loss", title="Contrastive", task="embedding", page=_PAGE,
    numpy=contrastive_loss_numpy, grad=contrastive_loss_grad, torch=contrastive_loss_torch,
    builtin_path=None, cases=_contrastive_cases, wrt=(0, 1), references=(_HADSELL,),
    declare=_contrastive_properties,
))
