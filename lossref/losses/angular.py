"""Losses that are a cross-entropy over cosine similarities: InfoNCE and NT-Xent between
embeddings, CosFace and ArcFace on the cosines between features and class weights.

Each one builds a matrix of logits from cosines and hands it to the softmax
cross-entropy of :mod:`lossref.losses.classification` (whose log-sum-exp keeps a tiny loss
to the last bit): InfoNCE with targets ``arange(N)``, CosFace and ArcFace with the
margin applied to the target class and the result multiplied by ``scale``. NT-Xent
(optax's labelled form) is a softplus per positive pair.

Cosines of embeddings need their norms. They are computed without overflow (scaled by
the largest entry, so a row of 1e300 has the direction it has, where torch's
``F.normalize`` returns 0) and floored, each loss with its model's floor: InfoNCE divides
by ``max(|x|, 1e-12)`` (``torch.nn.functional.normalize``), NT-Xent by
``sqrt(max(|x|^2, eps))`` with ``eps`` the dtype's machine epsilon (optax's
``cosine_similarity``), so that the zero vector has the cosine 0 with everything.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    check_flag,
    check_float,
    check_real,
    check_reduction,
    check_tensor,
    first_flagged,
    is_float,
    is_tensor,
    quiet_ieee,
)
from lossref.losses import _optax
from lossref.losses._sigmoid import sigmoid_numpy, softplus_numpy, softplus_torch
from lossref.losses.classification import (
    cross_entropy_grad,
    cross_entropy_numpy,
    cross_entropy_torch,
)
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["arcface_loss", "cosface_loss", "info_nce_loss", "ntxent_loss"]

#: ``torch.nn.functional.normalize``'s floor on the norm (InfoNCE).
NORMALIZE_EPS = 1e-12


# ---------------------------------------------------------------- checks


def _convert(prepare: str):
    return as_array if prepare == "numpy" else check_tensor


def _check_positive(value: Any, name: str) -> float:
    value = check_real(value, name)
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def _check_embeddings(x: Any, name: str) -> None:
    """A float matrix (N, D) with N >= 1 and D >= 1."""
    check_float(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), one embedding per row, got shape "
                         f"{tuple(x.shape)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must hold at least one row of at least one entry, got shape "
                         f"{tuple(x.shape)}")


def _is_int(x: Any) -> bool:
    if is_tensor(x):
        return not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    return np.issubdtype(x.dtype, np.integer)


def _long(x: Any) -> Any:
    return x.long() if is_tensor(x) else x.astype(np.int64, copy=False)


# ---------------------------------------------------------------- unit vectors


# --8<-- [start:unit_rows_numpy]
def _unit_rows_numpy(x: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """``(u, n)``: the rows of ``x`` divided by ``max(|x|, floor)``, and ``|x|`` (N, 1).
    The norm is ``a sqrt(sum((x / a)^2))`` with ``a`` the row's largest ``|x_i|``, which
    neither overflows (a row of 1e300) nor underflows (a row of 1e-300)."""
    a = np.max(np.abs(x), axis=1, keepdims=True)
    a_safe = np.where(a > 0, a, 1)  # the zero row: norm 0 (an infinite or NaN one: NaN)
    n = np.sqrt(np.square(x / a_safe).sum(axis=1, keepdims=True))
    n *= a
    return x / np.maximum(n, floor), n


def _unit_rows_grad_numpy(g, u, n, floor):
    """The gradient with respect to ``x`` from ``g``, the one with respect to ``u``:
    ``(g - u (u . g)) / |x|`` where ``|x| >= floor`` (the projection that removes the
    radial part), ``g / floor`` below, where ``u = x / floor`` is linear in ``x``. At
    ``|x| = floor`` exactly the first formula, as torch's ``clamp_min`` passes the
    gradient to the norm there."""
    radial = (u * g).sum(axis=1, keepdims=True)
    return np.where(n >= floor, (g - u * radial) / n, g / floor)
# --8<-- [end:unit_rows_numpy]


# --8<-- [start:unit_rows_torch]
def _unit_rows_torch(x: torch.Tensor, floor: float) -> torch.Tensor:
    """:func:`_unit_rows_numpy` from tensor operations: the scale ``a`` is detached (the
    norm does not depend on it), and ``linalg.vector_norm`` has the gradient 0 at the
    zero row, where ``sqrt`` of a sum of squares would give ``0 * inf = nan``."""
    a = x.detach().abs().amax(dim=1, keepdim=True)
    a = torch.where(a > 0, a, torch.ones_like(a))
    n = torch.linalg.vector_norm(x / a, dim=1, keepdim=True) * a
    return x / n.clamp_min(floor)
# --8<-- [end:unit_rows_torch]


# ---------------------------------------------------------------- info_nce_loss


def _check_info_nce(query, key, temperature, reduction, prepare):
    convert = _convert(prepare)
    query, key = convert(query, "query"), convert(key, "key")
    check_reduction(reduction)
    temperature = _check_positive(temperature, "temperature")
    _check_embeddings(query, "query")
    _check_embeddings(key, "key")
    if tuple(query.shape) != tuple(key.shape):
        raise ValueError(f"key must have the shape of query {tuple(query.shape)} (key i is the "
                         f"positive of query i, and both live in one space of dimension D), got "
                         f"{tuple(key.shape)}")
    if key.dtype != query.dtype:
        raise TypeError(f"key dtype {key.dtype} differs from query dtype {query.dtype}")
    return query, key, temperature


# --8<-- [start:info_nce_loss_numpy]
@quiet_ieee
def info_nce_loss_numpy(query, key, *, temperature=0.07, reduction="mean"):
    """InfoNCE: the cross-entropy of the logits ``S_ij = cos(q_i, k_j) / temperature``
    with the target ``i`` in row ``i``: ``log sum_j exp(S_ij) - S_ii``. Key ``i`` is the
    positive of query ``i``, the other keys its negatives. Cosines as
    ``torch.nn.functional.normalize``: ``x / max(|x|, 1e-12)``, ``|x|`` without overflow.

    Examples:
        >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> info_nce_loss_numpy(q, q, temperature=1.0).round(6)  # log(1 + e^-1)
        np.float64(0.313262)
    """
    q, k, temperature = _check_info_nce(query, key, temperature, reduction, "numpy")
    u_q, _ = _unit_rows_numpy(q, NORMALIZE_EPS)
    u_k, _ = _unit_rows_numpy(k, NORMALIZE_EPS)
    logits = (u_q @ u_k.T) / temperature
    return cross_entropy_numpy(logits, np.arange(len(q)), reduction=reduction)
# --8<-- [end:info_nce_loss_numpy]


# --8<-- [start:info_nce_loss_grad]
@quiet_ieee
def info_nce_loss_grad(query, key, *, temperature=0.07, reduction="mean"):
    """Gradients with respect to ``query`` and ``key``. With ``G = (softmax(S) - I) / tau``
    (divided by N for ``mean``), the gradient with respect to the unit vectors is
    ``G u_k`` for the queries and ``G^T u_q`` for the keys; the normalisation then
    removes each row's radial part and divides by its norm (``_unit_rows_grad_numpy``).

    Examples:
        >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> g_query, g_key = info_nce_loss_grad(q, 2 * q, temperature=1.0)
        >>> g_query.round(6)  # the radial part is gone: row i is orthogonal to q_i
        array([[0.      , 0.134471],
               [0.134471, 0.      ]])
    """
    q, k, temperature = _check_info_nce(query, key, temperature, reduction, "numpy")
    u_q, n_q = _unit_rows_numpy(q, NORMALIZE_EPS)
    u_k, n_k = _unit_rows_numpy(k, NORMALIZE_EPS)
    logits = (u_q @ u_k.T) / temperature
    (g,) = cross_entropy_grad(logits, np.arange(len(q)), reduction=reduction)
    g /= temperature
    return (_unit_rows_grad_numpy(g @ u_k, u_q, n_q, NORMALIZE_EPS),
            _unit_rows_grad_numpy(g.T @ u_q, u_k, n_k, NORMALIZE_EPS))
# --8<-- [end:info_nce_loss_grad]


# --8<-- [start:info_nce_loss_torch]
def info_nce_loss_torch(query, key, *, temperature=0.07, reduction="mean"):
    """InfoNCE from elementary tensor operations, differentiable in ``query`` and ``key``."""
    q, k, temperature = _check_info_nce(query, key, temperature, reduction, "torch")
    logits = (_unit_rows_torch(q, NORMALIZE_EPS) @ _unit_rows_torch(k, NORMALIZE_EPS).T
              ) / temperature
    target = torch.arange(len(q), device=q.device)
    return cross_entropy_torch(logits, target, reduction=reduction)
# --8<-- [end:info_nce_loss_torch]


# ---------------------------------------------------------------- ntxent_loss


def _check_ntxent(embeddings, labels, temperature, prepare):
    convert = _convert(prepare)
    x, labels = convert(embeddings, "embeddings"), convert(labels, "labels")
    temperature = _check_positive(temperature, "temperature")
    _check_embeddings(x, "embeddings")
    if is_float(labels) or not _is_int(labels):
        raise TypeError(f"labels must hold integers (one group id per embedding), got dtype "
                        f"{labels.dtype} (optax compares them with ==, which rounding makes "
                        "unreliable for floats)")
    if tuple(labels.shape) != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), one per row of embeddings, "
                         f"got {tuple(labels.shape)}")
    labels = _long(labels)
    same = labels[:, None] == labels[None, :]
    positive = same & ~(torch.eye(len(x), dtype=torch.bool, device=x.device)
                        if is_tensor(x) else np.eye(len(x), dtype=bool))
    if not bool(positive.any()):
        raise ValueError("labels hold no positive pair (no label occurs twice): NT-Xent "
                         "averages over positive pairs, an empty mean (optax returns nan)")
    return x, positive, ~same, temperature


def _ntxent_floor(dtype) -> float:
    """optax's floor: ``sqrt(max(|x|^2, eps))`` is ``max(|x|, sqrt(eps))``."""
    return math.sqrt(float(np.finfo(np.dtype(str(dtype).removeprefix("torch."))).eps))


# --8<-- [start:ntxent_loss_numpy]
def _negatives_logsumexp_numpy(s, negative):
    """``L_i = log sum_{k negative for i} exp(s_ik)`` (N, 1); -inf for a row without
    negatives."""
    m = np.where(negative, s, -np.inf).max(axis=1, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0)
    total = np.where(negative, np.exp(s - m_safe), 0).sum(axis=1, keepdims=True)
    return np.log(total) + m_safe


@quiet_ieee
def ntxent_loss_numpy(embeddings, labels, *, temperature=0.07):
    """NT-Xent in optax's labelled form (``optax.losses.ntxent``). With ``s_ij =
    cos(x_i, x_j) / temperature``, every pair ``i != j`` of equal labels is a positive;
    its denominator holds itself and every ``k`` with another label:
    ``l_ij = -log(exp(s_ij) / (exp(s_ij) + sum_{k: y_k != y_i} exp(s_ik)))``, which is
    ``softplus(L_i - s_ij)``; the loss is the mean over the positive pairs (both orders).

    Examples:
        >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
        >>> ntxent_loss_numpy(x, np.array([0, 0, 1]), temperature=1.0).round(6)
        np.float64(0.328523)
    """
    x, positive, negative, temperature = _check_ntxent(embeddings, labels, temperature,
                                                       "numpy")
    u, _ = _unit_rows_numpy(x, _ntxent_floor(x.dtype))
    s = (u @ u.T) / temperature
    per_pair = softplus_numpy(_negatives_logsumexp_numpy(s, negative) - s)
    return per_pair[positive].mean()
# --8<-- [end:ntxent_loss_numpy]


# --8<-- [start:ntxent_loss_grad]
@quiet_ieee
def ntxent_loss_grad(embeddings, labels, *, temperature=0.07):
    """Gradient with respect to ``embeddings``. Per positive pair,
    ``d l_ij / d s_ij = -sigma_ij`` and ``d l_ij / d s_ik = sigma_ij w_ik`` for each
    negative ``k``, with ``sigma_ij = sigmoid(L_i - s_ij)`` and ``w_ik = exp(s_ik - L_i)``;
    summed into ``G`` (divided by the number of pairs), ``s = U U^T / tau`` gives
    ``(G + G^T) U / tau`` for the unit vectors ``U``, then the normalisation's gradient.

    Examples:
        >>> x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
        >>> ntxent_loss_grad(x, np.array([0, 0, 1]), temperature=1.0)[0].round(4)
        array([[ 0.    ,  0.1071],
               [-0.017 ,  0.1704],
               [ 0.2792,  0.    ]])
    """
    x, positive, negative, temperature = _check_ntxent(embeddings, labels, temperature,
                                                       "numpy")
    floor = _ntxent_floor(x.dtype)
    u, n = _unit_rows_numpy(x, floor)
    s = (u @ u.T) / temperature
    lse = _negatives_logsumexp_numpy(s, negative)
    sigma = np.where(positive, sigmoid_numpy(lse - s), 0) / positive.sum()
    g = np.where(negative, np.exp(s - lse), 0) * sigma.sum(axis=1, keepdims=True) - sigma
    g = ((g + g.T) @ u) / temperature
    return (_unit_rows_grad_numpy(g, u, n, floor).astype(x.dtype, copy=False),)
# --8<-- [end:ntxent_loss_grad]


# --8<-- [start:ntxent_loss_torch]
def ntxent_loss_torch(embeddings, labels, *, temperature=0.07):
    """NT-Xent from elementary tensor operations, differentiable in ``embeddings``."""
    x, positive, negative, temperature = _check_ntxent(embeddings, labels, temperature,
                                                       "torch")
    u = _unit_rows_torch(x, _ntxent_floor(x.dtype))
    s = (u @ u.T) / temperature
    lse = torch.logsumexp(s.masked_fill(~negative, -math.inf), dim=1, keepdim=True)
    return softplus_torch(lse - s)[positive].mean()
# --8<-- [end:ntxent_loss_torch]


# ---------------------------------------------------------------- face margins


def _check_face(input, target, reduction, scale, margin, prepare, *, max_margin=math.inf):
    """Cosines ``input`` (N, C) or (C,) in [-1, 1] (NaN passes), class indices ``target``
    (N,) or ()."""
    convert = _convert(prepare)
    input, target = convert(input, "input"), convert(target, "target")
    check_reduction(reduction)
    scale = _check_positive(scale, "scale")
    margin = check_real(margin, "margin")
    if not 0 <= margin <= max_margin:
        why = ("a negative margin favours the target class instead of penalising it"
               if margin < 0 else "an angle beyond pi wraps around")
        raise ValueError(f"margin must be in [0, {max_margin:g}], got {margin} ({why})")
    check_float(input, "input")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ValueError(f"input must hold cosines of shape (N, C) or (C,) with C >= 1, got "
                         f"shape {tuple(input.shape)}")
    expected = tuple(input.shape[:-1])
    if is_float(target) or not _is_int(target):
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(f"target must have shape {expected} for input of shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    outside = (input < -1) | (input > 1)
    if bool(outside.any()):
        raise ValueError(f"input holds cosines and must be in [-1, 1], got "
                         f"{first_flagged(input, outside)} (the face losses take cos(theta) "
                         "between normalised features and class weights, not raw logits)")
    n_classes = input.shape[-1]
    bad = (target < 0) | (target >= n_classes)
    if bool(bad.any()):
        raise ValueError(f"target contains class index {int(target[bad].reshape(-1)[0])}, "
                         f"outside [0, {n_classes - 1}] (torch's own indexing would fail, or "
                         "on a GPU read another row)")
    if reduction == "mean" and input.ndim == 2 and input.shape[0] == 0:
        raise ValueError("reduction='mean' is undefined for an empty input (torch returns "
                         "nan); use reduction='sum' or 'none'")
    return input, _long(target), scale, margin


# --8<-- [start:margin_logits_numpy]
def _margin_logits_numpy(c, target, scale, psi):
    """``scale * c`` with the target entry of each row replaced by ``scale * psi(c_y)``;
    also returns the target positions."""
    rows = c.reshape(-1, c.shape[-1])
    at = (np.arange(len(rows)), target.reshape(-1))
    z = rows * scale
    z[at] = scale * psi(rows[at])
    return z.reshape(c.shape), at


def _margin_grad_numpy(c, target, scale, psi, dpsi, reduction):
    """The cross-entropy gradient with respect to the logits, times ``scale``, and at the
    target entries times ``psi'(c_y)``."""
    z, at = _margin_logits_numpy(c, target, scale, psi)
    (g,) = cross_entropy_grad(z, target, reduction=reduction)
    g = g.reshape(-1, c.shape[-1])
    g *= scale
    g[at] *= dpsi(c.reshape(-1, c.shape[-1])[at])
    return (g.reshape(c.shape),)
# --8<-- [end:margin_logits_numpy]


# --8<-- [start:margin_logits_torch]
def _margin_logits_torch(c, target, scale, psi):
    rows = c.reshape(-1, c.shape[-1])
    index = target.reshape(-1, 1)
    z = rows.scatter(1, index, psi(rows.gather(1, index)))
    return (scale * z).reshape(c.shape)
# --8<-- [end:margin_logits_torch]


def _cosface_target(margin):
    return lambda c: c - margin


# --8<-- [start:cosface_loss_numpy]
@quiet_ieee
def cosface_loss_numpy(input, target, *, scale=64.0, margin=0.35, reduction="mean"):
    """CosFace / AM-Softmax: the cross-entropy of ``scale * (cos theta_j - margin [j = y])``
    for cosines ``input`` (N, C) or (C,) in [-1, 1] and class indices ``target``.

    Examples:
        >>> c = np.array([[0.9, 0.1]])
        >>> cosface_loss_numpy(c, np.array([0]), scale=4.0, margin=0.2).round(6)  # softplus(-2.4)
        np.float64(0.086836)
    """
    c, target, scale, margin = _check_face(input, target, reduction, scale, margin, "numpy")
    z, _ = _margin_logits_numpy(c, target, scale, _cosface_target(margin))
    return cross_entropy_numpy(z, target, reduction=reduction)
# --8<-- [end:cosface_loss_numpy]


# --8<-- [start:cosface_loss_grad]
@quiet_ieee
def cosface_loss_grad(input, target, *, scale=64.0, margin=0.35, reduction="mean"):
    """Gradient with respect to the cosines: ``scale (p - onehot(y))`` per row, ``p`` the
    softmax of the margin logits (divided by N for ``mean``).

    Examples:
        >>> cosface_loss_grad(np.array([[0.9, 0.1]]), np.array([0]), scale=4.0, margin=0.2)
        (array([[-0.33269079,  0.33269079]]),)
    """
    c, target, scale, margin = _check_face(input, target, reduction, scale, margin, "numpy")
    return _margin_grad_numpy(c, target, scale, _cosface_target(margin),
                              np.ones_like, reduction)
# --8<-- [end:cosface_loss_grad]


# --8<-- [start:cosface_loss_torch]
def cosface_loss_torch(input, target, *, scale=64.0, margin=0.35, reduction="mean"):
    """CosFace from elementary tensor operations."""
    c, target, scale, margin = _check_face(input, target, reduction, scale, margin, "torch")
    z = _margin_logits_torch(c, target, scale, _cosface_target(margin))
    return cross_entropy_torch(z, target, reduction=reduction)
# --8<-- [end:cosface_loss_torch]


# --8<-- [start:arcface_target]
class _ArcFaceTarget:
    """The target logit ``psi(c)`` of ArcFace and its derivative, as insightface computes
    it (``recognition/arcface_torch/losses.py``, the version with ``easy_margin``):
    ``cos(theta + m) = c cos m - sin(theta) sin m`` with ``sin(theta) = sqrt(1 - c^2)``
    where ``c > cos(pi - m)``; there ``theta + m > pi``, and ``c - m sin(pi - m)``
    replaces it. ``easy_margin``: ``cos(theta + m)`` where ``c > 0``, ``c`` itself
    elsewhere. ``1 - c^2`` is computed as ``(1 - c)(1 + c)``, exact near ``c = 1``.

    The derivative of ``sin(theta)`` is ``-c / sin(theta)``, infinite at ``c = 1``;
    there lossref takes it as 0, so ``psi'(1) = cos m`` (autograd of the official
    formula gives ``-inf``, or ``nan`` where the softmax has rounded to 1)."""

    def __init__(self, margin: float, easy_margin: bool):
        self.cos_m, self.sin_m = math.cos(margin), math.sin(margin)
        self.threshold = 0.0 if easy_margin else math.cos(math.pi - margin)
        # beyond the threshold: easy_margin keeps c, the official fallback shifts it
        self.shift = 0.0 if easy_margin else math.sin(math.pi - margin) * margin

    def numpy(self, c):
        sin = np.sqrt((1 - c) * (1 + c))
        return np.where(c > self.threshold, c * self.cos_m - sin * self.sin_m, c - self.shift)

    def grad(self, c):
        sin = np.sqrt((1 - c) * (1 + c))
        slope = self.cos_m + np.where(sin > 0, c, 0) * self.sin_m / np.where(sin > 0, sin, 1)
        return np.where(c > self.threshold, slope, 1)

    def torch(self, c):
        u = (1 - c) * (1 + c)
        # the inner where keeps sqrt's infinite derivative at 0 out of the graph
        sin = torch.where(u > 0, torch.where(u > 0, u, 1).sqrt(), 0)
        return torch.where(c > self.threshold, c * self.cos_m - sin * self.sin_m,
                           c - self.shift)
# --8<-- [end:arcface_target]


def _check_arcface(input, target, reduction, scale, margin, easy_margin, prepare):
    checked = _check_face(input, target, reduction, scale, margin, prepare, max_margin=math.pi)
    return (*checked, check_flag(easy_margin, "easy_margin"))


# --8<-- [start:arcface_loss_numpy]
@quiet_ieee
def arcface_loss_numpy(input, target, *, scale=64.0, margin=0.5, easy_margin=False,
                       reduction="mean"):
    """ArcFace: the cross-entropy of ``scale * cos theta_j`` with the target's logit
    ``scale * cos(theta_y + margin)`` (see :class:`_ArcFaceTarget` for the official
    fallback where ``theta_y + margin > pi`` and for ``easy_margin``).

    Examples:
        >>> c = np.array([[0.8, 0.6]])
        >>> arcface_loss_numpy(c, np.array([0]), scale=2.0, margin=0.0).round(6)
        np.float64(0.513015)
        >>> arcface_loss_numpy(c, np.array([0]), scale=2.0, margin=0.5).round(6)
        np.float64(0.89586)
    """
    c, target, scale, margin, easy = _check_arcface(input, target, reduction, scale, margin,
                                                    easy_margin, "numpy")
    z, _ = _margin_logits_numpy(c, target, scale, _ArcFaceTarget(margin, easy).numpy)
    return cross_entropy_numpy(z, target, reduction=reduction)
# --8<-- [end:arcface_loss_numpy]


# --8<-- [start:arcface_loss_grad]
@quiet_ieee
def arcface_loss_grad(input, target, *, scale=64.0, margin=0.5, easy_margin=False,
                      reduction="mean"):
    """Gradient with respect to the cosines: ``scale (p - onehot(y))``, and at the target
    times ``psi'(c_y) = cos m + c_y sin m / sin(theta_y)`` on the margin branch (``cos m``
    at ``c_y = 1``), 1 on the other.

    Examples:
        >>> arcface_loss_grad(np.array([[0.8, 0.6]]), np.array([0]), scale=2.0)[0].round(6)
        array([[-1.795133,  1.183487]])
    """
    c, target, scale, margin, easy = _check_arcface(input, target, reduction, scale, margin,
                                                    easy_margin, "numpy")
    psi = _ArcFaceTarget(margin, easy)
    return _margin_grad_numpy(c, target, scale, psi.numpy, psi.grad, reduction)
# --8<-- [end:arcface_loss_grad]


# --8<-- [start:arcface_loss_torch]
def arcface_loss_torch(input, target, *, scale=64.0, margin=0.5, easy_margin=False,
                       reduction="mean"):
    """ArcFace from elementary tensor operations."""
    c, target, scale, margin, easy = _check_arcface(input, target, reduction, scale, margin,
                                                    easy_margin, "torch")
    z = _margin_logits_torch(c, target, scale, _ArcFaceTarget(margin, easy).torch)
    return cross_entropy_torch(z, target, reduction=reduction)
# --8<-- [end:arcface_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")


def _directions(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _big(dtype) -> float:
    return 1e300 if dtype == np.float64 else 1e37


def _tiny(dtype) -> float:
    return 1e-300 if dtype == np.float64 else 1e-30


def _info_nce_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(110)
    # first: small and smooth (gradcheck, the bad-input table, the finite differences)
    for reduction in _REDUCTIONS:
        yield Case(f"n4d3-{reduction}", (_directions(rng, (4, 3), dtype),
                                         _directions(rng, (4, 3), dtype)),
                   {"temperature": 0.5, "reduction": reduction})
    for shape in ((1, 3), (5, 2), (3, 8), (6, 1)):
        for temperature in (0.07, 1.0, 10.0):
            yield Case(f"n{shape[0]}d{shape[1]}-t{temperature}",
                       (_directions(rng, shape, dtype, 3.0), _directions(rng, shape, dtype)),
                       {"temperature": temperature, "reduction": "none"})
    q = _directions(rng, (4, 3), dtype)
    yield Case("default", (q, q + _directions(rng, (4, 3), dtype, 0.3)), {"reduction": "mean"})
    yield Case("key-is-query", (q, q.copy()), {"temperature": 0.1, "reduction": "sum"})
    yield Case("opposite", (q, -q), {"temperature": 0.1, "reduction": "none"})
    yield Case("tied-keys", (q, np.repeat(q[:1], 4, axis=0)), {"reduction": "none"})
    # the norm's floor: a zero row, a row of norm exactly 1e-12, rows far below it
    at_floor = np.zeros((4, 3), dtype)
    at_floor[0] = 0.0
    at_floor[1, 0] = NORMALIZE_EPS
    at_floor[2] = [3e-13, -2e-13, 1e-13]
    at_floor[3] = [0.5, 0.2, -0.1]
    for reduction in ("none", "sum"):
        yield Case(f"floor-query-{reduction}", (at_floor, q), {"reduction": reduction})
        yield Case(f"floor-key-{reduction}", (q, at_floor), {"reduction": reduction})
    big, tiny = _big(dtype), _tiny(dtype)
    yield Case("huge-rows", ((q * big).astype(dtype), q), {"reduction": "none"})
    yield Case("huge-keys", (q, (q * big).astype(dtype)), {"reduction": "mean"})
    yield Case("tiny-rows", ((q * tiny).astype(dtype), q), {"reduction": "none"})


def _ntxent_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(111)
    pairs = np.array([0, 0, 1, 1])
    yield Case("n4-default", (_directions(rng, (4, 3), dtype), pairs), {})  # first: bench
    for name, labels in {"pairs": np.array([0, 0, 1, 1, 2, 2]),
                         "triple-single": np.array([3, 1, 3, 3, 7, 1]),
                         "one-group": np.array([5, 5, 5, 5, 5, 5]),
                         "one-pair": np.array([0, 1, 2, 3, 4, 0])}.items():
        for temperature in (0.07, 0.5, 2.0):
            yield Case(f"{name}-t{temperature}", (_directions(rng, (6, 4), dtype, 2.0), labels),
                       {"temperature": temperature})
    x = _directions(rng, (4, 3), dtype)
    yield Case("default", (x, pairs), {})
    yield Case("d1", (_directions(rng, (5, 1), dtype), np.array([0, 1, 0, 1, 1])), {})
    yield Case("duplicates", (np.repeat(x[:2], 2, axis=0), pairs), {"temperature": 0.1})
    floor = x.copy()
    floor[0] = 0.0
    floor[2] = [1e-9, 0.0, 0.0]
    yield Case("zero-and-tiny-rows", (floor, pairs), {"temperature": 0.2})
    yield Case("huge-rows", ((x * _big(dtype)).astype(dtype), pairs), {})
    yield Case("tiny-rows", ((x * _tiny(dtype)).astype(dtype), pairs), {})


def _cosines(rng, shape, dtype, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(dtype)


def _face_cases(dtype, arcface: bool) -> Iterator[Case]:
    rng = np.random.default_rng(112 + arcface)
    # ArcFace's thresholds -cos(m) inside [-0.9, 0.9] (where the property tests look)
    margins = (0.5, 0.0, 0.8, 1.2) if arcface else (0.35, 0.0, 0.1, 1.0)
    extra = ({"easy_margin": False}, {"easy_margin": True}) if arcface else ({},)
    # first: moderate scale, away from every kink (gradcheck, finite differences)
    c, y = _cosines(rng, (5, 4), dtype, -0.8, 0.8), rng.integers(0, 4, 5)
    for reduction in _REDUCTIONS:
        yield Case(f"s8-{reduction}", (c, y), {"scale": 8.0, "reduction": reduction})
    for margin in margins:
        for options in extra:
            for scale in (64.0, 1.0, 16.0):
                name = f"m{margin}-s{scale}" + ("-easy" if options.get("easy_margin") else "")
                yield Case(name, (_cosines(rng, (6, 5), dtype), rng.integers(0, 5, 6)),
                           {"scale": scale, "margin": margin, "reduction": "none", **options})
    yield Case("default", (_cosines(rng, (6, 5), dtype), rng.integers(0, 5, 6)),
               {"reduction": "mean"})
    for reduction in _REDUCTIONS:
        yield Case(f"unbatched-{reduction}", (_cosines(rng, (7,), dtype), np.array(3)),
                   {"scale": 30.0, "reduction": reduction})
    yield Case("one-class", (_cosines(rng, (3, 1), dtype), np.zeros(3, np.int64)),
               {"reduction": "none"})
    # two classes, many rows: the target's logit tied with the other's (where the softmax
    # Hessian is largest: the property tests need a random direction close to its top
    # eigenvector), and the target at -1 against +1 (the largest gradient)
    for margin in margins if not arcface else (0.0,):
        other = np.linspace(-0.85, 0.85 - margin, 190)
        c = np.concatenate([np.stack([other + margin, other], axis=1),
                            [[-1.0, 1.0], [1.0, -1.0]]]).astype(dtype)
        yield Case(f"two-classes-m{margin}", (c, np.zeros(len(c), np.int64)),
                   {"scale": 64.0, "margin": margin, "reduction": "none"})
    # kinks and edges: cos = +-1 at the target and elsewhere, ties, and for ArcFace the
    # thresholds cos(pi - m) exactly and one ulp either side (0 with easy_margin), and
    # a target cosine just below 1, where d cos(theta + m) / d cos(theta) is 3e6
    rows = [[1.0, 0.3, -0.2], [-1.0, 0.3, -0.2], [0.3, 1.0, -1.0], [0.4, 0.4, 0.4],
            [0.0, 0.5, -0.5], [-0.2, 0.9, 0.9], [1 - 1e-14, 1.0, 0.2]]
    if arcface:
        for margin in margins:
            threshold = math.cos(math.pi - margin)
            rows += [[t, 0.1, -0.3] for t in (threshold, np.nextafter(threshold, 1.0),
                                              np.nextafter(threshold, -1.0))]
    c = np.array(rows, dtype).clip(-1, 1)
    y = np.zeros(len(rows), np.int64)
    y[2] = 1
    for margin in margins[:2]:
        for options in extra:
            for scale in (64.0, 2.0):
                name = f"edges-m{margin}-s{scale}" + ("-easy" if options.get("easy_margin") else "")
                yield Case(name, (c, y), {"scale": scale, "margin": margin,
                                          "reduction": "none", **options})


def _cosface_cases(dtype) -> Iterator[Case]:
    yield from _face_cases(dtype, arcface=False)


def _arcface_cases(dtype) -> Iterator[Case]:
    yield from _face_cases(dtype, arcface=True)


# ---------------------------------------------------------------- properties

_EMBEDDING_NOTES = {
    "convex": "the cosine x / |x| is not convex in x (and the loss is not convex in the "
              "cosines of a row's negatives and positive together after normalisation)",
    "grad_bound": "the normalisation divides the gradient by |x| (by the floor below it): "
                  "it grows without a useful bound as an embedding nears the zero vector",
    "minimiser": "an embedding loss: there is no random outcome whose statistic a constant "
                 "prediction would estimate",
}


def _info_nce_properties() -> Properties:
    return Properties(
        convex=False, smooth=False, grad_lipschitz=None, grad_bound=None, minimiser=None,
        breakdown_point=None, proper=None,
        notes={**_EMBEDDING_NOTES,
               "smooth": "smooth except where an embedding's norm equals the floor 1e-12 "
                         "(torch's F.normalize: x / max(|x|, 1e-12)), where the "
                         "gradient jumps"})


def _ntxent_properties() -> Properties:
    return Properties(
        convex=False, smooth=False, grad_lipschitz=None, grad_bound=None, minimiser=None,
        breakdown_point=None, proper=None,
        notes={**_EMBEDDING_NOTES,
               "smooth": "smooth except where an embedding's norm equals optax's floor "
                         "sqrt(eps) (1.5e-8 in float64), where the gradient jumps"})


_FACE_PROPER_NOTE = ("cosines are no predicted distribution; with margin 0 the loss is the "
                     "log score of softmax(scale c), and a margin moves the expected loss's "
                     "minimiser away from the true class distribution")


@functools.lru_cache(maxsize=256)
def _face_grad_bound(scale: float, gap: float) -> float:
    """``sup scale |p - onehot(y)|`` over rows of cosines of every number of classes. The
    norm grows as the target's probability falls and as the wrong mass concentrates, so
    the logits sit at their extremes: the target ``scale gap`` below ``k`` classes at the
    top and ``k'`` classes at ``-scale``, and the largest norm over ``k <= 2000``,
    ``k' < 2000`` is taken, with its limit ``scale`` as ``k`` grows. For ``scale gap >= 2``
    it is two classes, ``scale sqrt(2) sigmoid(scale gap)``; at smaller scales many classes
    spread the wrong mass and the supremum tends to ``scale``."""
    k = np.arange(1, 2001, dtype=np.float64)[:, None]
    k_low = np.arange(0, 2000, dtype=np.float64)[None, :]
    # weights relative to a top class (cosine 1): the target's e^(-scale gap), a low
    # class's (cosine -1) e^(-2 scale); no overflow at any scale
    target, low = math.exp(-scale * gap), math.exp(-2 * scale)
    total = target + k + k_low * low
    norm2 = (1 - target / total) ** 2 + (k + k_low * low**2) / total**2
    return float(scale * math.sqrt(max(float(norm2.max()), 1.0)))


def _face_minimiser_note() -> str:
    return ("the cosines are bounded and the margin shifts the target's logit: no constant "
            "prediction is the class distribution or its mode in general")


def _cosface_properties(scale=64.0, margin=0.35) -> Properties:
    scale = _check_positive(scale, "scale")
    return Properties(
        convex=True, smooth=True, grad_lipschitz=scale**2 / 2,
        grad_bound=_face_grad_bound(scale, 2 + margin), minimiser=None, breakdown_point=None,
        proper=None,
        notes={"convex": "the cross-entropy of an affine function of the cosines",
               "grad_lipschitz": "scale^2 times the softmax Hessian diag(p) - p p^T, whose "
                                 "largest eigenvalue is at most 1/2",
               "grad_bound": "scale |p - onehot(y)|; for scale (2 + margin) >= 2 largest "
                             "with two classes, the target at -1 and the other at +1: scale "
                             "sqrt(2) sigmoid(scale (2 + margin)); at smaller scales more "
                             "classes spread the wrong mass and the supremum tends to scale",
               "minimiser": _face_minimiser_note(),
               "proper": _FACE_PROPER_NOTE})


def _arcface_properties(scale=64.0, margin=0.5, easy_margin=False) -> Properties:
    scale = _check_positive(scale, "scale")
    plain = margin == 0
    cut = "0 (easy_margin)" if easy_margin else "cos(pi - m)"
    return Properties(
        convex=plain, smooth=plain, grad_lipschitz=scale**2 / 2 if plain else None,
        grad_bound=_face_grad_bound(scale, 2.0) if plain else None, minimiser=None,
        breakdown_point=None, proper=None,
        notes={"convex": "with margin 0 it is the cross-entropy of scale c; with a margin "
                         "-log p_y is not convex in c_y near 1, where cos(theta + m) bends "
                         f"sharply, and it jumps at c_y = {cut}",
               "smooth": f"with a margin the target logit is discontinuous at c_y = {cut}: "
                         "the official fallback c - m sin m meets cos(theta + m) = -1 at "
                         "-cos m - m sin m (-1.117 at m = 0.5), and easy_margin jumps from "
                         "-sin m to 0",
               "grad_lipschitz": "with a margin the gradient is unbounded near c_y = 1",
               "grad_bound": "with a margin d cos(theta + m) / d cos(theta) = cos m + c sin m "
                             "/ sin(theta) tends to infinity as c_y tends to 1; with margin 0 "
                             "scale sqrt(2) sigmoid(2 scale), as CosFace's",
               "minimiser": _face_minimiser_note(),
               "proper": _FACE_PROPER_NOTE})


# ---------------------------------------------------------------- records

_OORD = Reference("A. van den Oord, Y. Li, O. Vinyals", "Representation learning with "
                  "contrastive predictive coding", 2018, "arXiv", arxiv="1807.03748")
_CLIP = Reference("A. Radford, J. W. Kim, C. Hallacy, A. Ramesh, G. Goh, S. Agarwal, G. Sastry, "
                  "A. Askell, P. Mishkin, J. Clark, G. Krueger, I. Sutskever",
                  "Learning transferable visual models from natural language supervision",
                  2021, "ICML", arxiv="2103.00020")
_SIMCLR = Reference("T. Chen, S. Kornblith, M. Norouzi, G. Hinton", "A simple framework for "
                    "contrastive learning of visual representations", 2020, "ICML",
                    arxiv="2002.05709")
_COSFACE = Reference("H. Wang, Y. Wang, Z. Zhou, X. Ji, D. Gong, J. Zhou, Z. Li, W. Liu",
                     "CosFace: large margin cosine loss for deep face recognition", 2018,
                     "CVPR", arxiv="1801.09414")
_AMSOFTMAX = Reference("F. Wang, J. Cheng, W. Liu, H. Liu", "Additive margin softmax for face "
                       "verification", 2018, "IEEE Signal Processing Letters 25(7)",
                       arxiv="1801.05599")
_ARCFACE = Reference("J. Deng, J. Guo, N. Xue, S. Zafeiriou", "ArcFace: additive angular "
                     "margin loss for deep face recognition", 2019, "CVPR", arxiv="1801.07698")

info_nce_loss = register(Loss(
    name="info_nce_loss", title="InfoNCE", task="embedding", page="losses/embedding.md",
    numpy=info_nce_loss_numpy, grad=info_nce_loss_grad, torch=info_nce_loss_torch,
    builtin_path=None, cases=_info_nce_cases, wrt=(0, 1), references=(_OORD, _CLIP),
    declare=_info_nce_properties,
))

ntxent_loss = register(Loss(
    name="ntxent_loss", title="NT-Xent", task="embedding", page="losses/embedding.md",
    numpy=ntxent_loss_numpy, grad=ntxent_loss_grad, torch=ntxent_loss_torch,
    builtin_path=None, cases=_ntxent_cases, wrt=(0,), references=(_SIMCLR,),
    declare=_ntxent_properties,
    optax=Counterpart("optax.losses:ntxent", _optax.ntxent,
                      "ntxent(embeddings, labels, temperature=0.07)"),
))

cosface_loss = register(Loss(
    name="cosface_loss", title="CosFace (AM-Softmax)", task="classification",
    page="losses/face-margins.md", numpy=cosface_loss_numpy, grad=cosface_loss_grad,
    torch=cosface_loss_torch, builtin_path=None, cases=_cosface_cases,
    references=(_COSFACE, _AMSOFTMAX), declare=_cosface_properties,
))

arcface_loss = register(Loss(
    name="arcface_loss", title="ArcFace", task="classification",
    page="losses/face-margins.md", numpy=arcface_loss_numpy, grad=arcface_loss_grad,
    torch=arcface_loss_torch, builtin_path=None, cases=_arcface_cases,
    references=(_ARCFACE,), declare=_arcface_properties,
))
