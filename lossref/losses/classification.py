"""Classification losses over class scores: cross-entropy and negative log-likelihood.

Both accept torch's layouts: ``(N, C)`` with targets ``(N,)``, ``(N, C, d1, ..., dk)``
with targets ``(N, d1, ..., dk)``, and unbatched ``(C,)`` with a scalar target.
Internally every layout is flattened to rows ``(R, C)`` with one target per row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    check_float,
    check_in_range,
    check_int,
    check_reduction,
    check_tensor,
    check_weight,
    is_float,
    is_tensor,
    quiet_ieee,
    reduce,
)
from lossref.losses import _optax
from lossref.losses._softmax import exp_shifted_numpy, exp_shifted_torch, log_softmax_numpy
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["cross_entropy", "nll_loss"]


# ---------------------------------------------------------------- shared checks


def _is_int(x: Any) -> bool:
    if is_tensor(x):
        return not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    dtype = np.asarray(x).dtype
    return np.issubdtype(dtype, np.integer) and dtype != np.bool_


def _index_shape(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of class-index targets for scores of ``input_shape``."""
    return () if len(input_shape) == 1 else input_shape[:1] + input_shape[2:]


def _check_common(input: Any, weight: Any, reduction: str, input_name: str = "input") -> int:
    """Checks shared by every classification loss; returns the number of classes C."""
    check_reduction(reduction)
    check_float(input, input_name)
    if input.ndim == 0:
        raise ValueError(f"{input_name} must have a class dimension, got a scalar")
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if n_classes == 0:
        raise ValueError(f"{input_name} has 0 classes along its class dimension")
    if weight is not None:
        check_float(weight, "weight")
        if tuple(weight.shape) != (n_classes,):
            raise ValueError(
                f"weight must have shape ({n_classes},), one entry per class, "
                f"got {tuple(weight.shape)}"
            )
        check_weight(weight)
    return n_classes


def _check_index_target(input: Any, target: Any, ignore_index: int, n_classes: int) -> None:
    expected = _index_shape(tuple(input.shape))
    if is_float(target):
        if tuple(target.shape) == expected:
            raise TypeError(
                f"target holds class indices of shape {expected} but has dtype "
                f"{target.dtype}; class indices must be integers"
            )
        raise ValueError(
            f"target must have shape {expected} (class indices) or {tuple(input.shape)} "
            f"(probabilities), got {tuple(target.shape)}"
        )
    if not _is_int(target):
        raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target must have shape {expected} for input of shape {tuple(input.shape)}, "
            f"got {tuple(target.shape)}"
            + (" (a target of the input's shape must hold floating-point probabilities)"
               if tuple(target.shape) == tuple(input.shape) else "")
        )
    bad = ((target < 0) | (target >= n_classes)) & (target != ignore_index)
    if bool(bad.any()):
        value = int(target[bad].reshape(-1)[0])
        raise ValueError(
            f"target contains class index {value}, outside [0, {n_classes - 1}] "
            f"(and not ignore_index={ignore_index})"
        )


def _check_probability_target(input: Any, target: Any) -> None:
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"probability target must have the shape of input {tuple(input.shape)}, "
            f"got {tuple(target.shape)}"
        )
    if input.dtype != target.dtype:
        raise TypeError(f"target dtype {target.dtype} differs from input dtype {input.dtype}")
    tensor = is_tensor(target)
    if (target.numel() if tensor else target.size) == 0:
        return
    # NaN passes (the loss is then nan, as in torch); only numbers out of range fail
    if bool(((target < 0) | (target > 1)).any()):
        raise ValueError("probability target has entries outside [0, 1]")
    class_axis = 0 if input.ndim == 1 else 1
    error = abs(target.sum(axis=class_axis) - 1)
    machine_eps = (torch.finfo if tensor else np.finfo)(target.dtype).eps
    if bool((error > max(8 * input.shape[class_axis] * machine_eps, 1e-6)).any()):
        raise ValueError(
            "probability target rows must sum to 1 along the class dimension "
            f"(one is off by {float(error.max()):.3g})"
        )


def _check_mean_defined(denominator: Any, reduction: str) -> None:
    if reduction == "mean" and not bool(denominator > 0):
        raise ValueError(
            "reduction='mean' is undefined here: no target contributes "
            "(empty batch, every target equals ignore_index, or zero total weight); "
            "torch returns nan. Use reduction='sum' or 'none'."
        )


# ---------------------------------------------------------------- layout helpers


def _as_numpy(input, target, weight, ignore_index=-100):
    """Arrays from array-likes (``weight`` keeps its dtype until it has been checked);
    integer class indices of any integer dtype become int64, like ``ignore_index``."""
    input, target = as_array(input, "input"), as_array(target, "target")
    weight = None if weight is None else as_array(weight, "weight")
    return input, _long(target), weight, check_int(ignore_index, "ignore_index")


def _as_torch(input, target, weight, ignore_index=-100):
    """The torch counterpart of :func:`_as_numpy`; torch itself takes int64 and uint8
    class indices, lossref any integer dtype."""
    check_tensor(input, "input")
    check_tensor(target, "target")
    if weight is not None:
        check_tensor(weight, "weight")
    return input, _long(target), weight, check_int(ignore_index, "ignore_index")


def _long(target):
    if not _is_int(target):
        return target  # probabilities, or a bad dtype that the checks will name
    return target.long() if is_tensor(target) else target.astype(np.int64, copy=False)


def _rows_numpy(x: np.ndarray) -> np.ndarray:
    """``(C,)`` or ``(N, C, d...)`` scores as ``(R, C)`` rows."""
    if x.ndim == 1:
        return x[None, :]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows_numpy(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_rows_numpy` for an array of the input's shape."""
    if len(shape) == 1:
        return rows[0]
    moved = (shape[0], *shape[2:], shape[1])
    return np.moveaxis(rows.reshape(moved), -1, 1)


def _rows_torch(x: torch.Tensor) -> torch.Tensor:
    if x.ndim == 1:
        return x.unsqueeze(0)
    return x.movedim(1, -1).reshape(-1, x.shape[1])


# ---------------------------------------------------------------- nll_loss


# --8<-- [start:nll_numpy]
def _targets_numpy(target, weight, ignore_index, dtype):
    """Per row: ``valid`` (not ignored), the class index (0 where ignored, so that it can
    always be gathered) and the weight ``w[y]`` (0 where ignored)."""
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    w_row = valid if weight is None else np.where(valid, weight[safe], 0)
    return valid, safe, w_row.astype(dtype)


def _nll_rows_numpy(logp_target, valid, w_row):
    """Per-row ``-w[y] * logp[y]`` from the log-probabilities at the targets (0 where
    ignored, even where ``logp[y]`` is -inf)."""
    return np.where(valid, -w_row * logp_target, 0).astype(w_row.dtype)


@quiet_ieee
def nll_loss_numpy(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    ``mean`` divides by the summed weight of the non-ignored targets, like torch.

    Examples:
        >>> logp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
        >>> round(float(nll_loss_numpy(logp, np.array([0, 2]))), 10)  # (-log 0.7 - log 0.8) / 2
        0.2899092476
    """
    input, target, weight, ignore_index = _as_numpy(input, target, weight, ignore_index)
    _check_common(input, weight, reduction)
    _check_index_target(input, target, ignore_index, _classes(input))
    weight = None if weight is None else weight.astype(input.dtype, copy=False)
    rows = _rows_numpy(input)
    valid, safe, w_row = _targets_numpy(target.reshape(-1), weight, ignore_index, input.dtype)
    per_row = _nll_rows_numpy(rows[np.arange(len(rows)), safe], valid, w_row)
    _check_mean_defined(w_row.sum(), reduction)
    return reduce(per_row.reshape(target.shape), reduction, w_row.sum())
# --8<-- [end:nll_numpy]


@quiet_ieee
def nll_loss_grad(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Gradient of :func:`nll_loss_numpy` with respect to ``input``: ``-w[y]`` at the
    target entry of each row, 0 elsewhere (divided by the summed weight for ``mean``)."""
    input, target, weight, ignore_index = _as_numpy(input, target, weight, ignore_index)
    _check_common(input, weight, reduction)
    _check_index_target(input, target, ignore_index, _classes(input))
    weight = None if weight is None else weight.astype(input.dtype, copy=False)
    rows = _rows_numpy(input)
    _, safe, w_row = _targets_numpy(target.reshape(-1), weight, ignore_index, input.dtype)
    _check_mean_defined(w_row.sum(), reduction)
    grad = np.zeros(rows.shape, rows.dtype)
    grad[np.arange(len(rows)), safe] = -w_row / w_row.sum() if reduction == "mean" else -w_row
    return (_unrows_numpy(grad, input.shape),)


# --8<-- [start:nll_torch]
def _targets_torch(target, weight, ignore_index, dtype):
    valid = target != ignore_index
    safe = torch.where(valid, target, 0)
    w_row = valid if weight is None else torch.where(valid, weight[safe], 0)
    return valid, safe, w_row.to(dtype)


def _nll_rows_torch(logp_target, valid, w_row):
    return torch.where(valid, -w_row * logp_target, 0)


def nll_loss_torch(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """:func:`torch.nn.functional.nll_loss` from elementary tensor operations."""
    input, target, weight, ignore_index = _as_torch(input, target, weight, ignore_index)
    _check_common(input, weight, reduction)
    _check_index_target(input, target, ignore_index, _classes(input))
    rows = _rows_torch(input)
    valid, safe, w_row = _targets_torch(target.reshape(-1), weight, ignore_index, input.dtype)
    per_row = _nll_rows_torch(rows.gather(1, safe[:, None])[:, 0], valid, w_row)
    _check_mean_defined(w_row.sum(), reduction)
    return reduce(per_row.reshape(target.shape), reduction, w_row.sum())
# --8<-- [end:nll_torch]


def _classes(input: Any) -> int:
    return input.shape[0] if input.ndim == 1 else input.shape[1]


# ---------------------------------------------------------------- cross_entropy


def _check_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing) -> bool:
    """Validate every argument; True when ``target`` holds probabilities."""
    n_classes = _check_common(input, weight, reduction)
    check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    probabilities = is_float(target) and tuple(target.shape) == tuple(input.shape)
    if probabilities:
        _check_probability_target(input, target)
    else:
        _check_index_target(input, target, ignore_index, n_classes)
    return probabilities


# --8<-- [start:cross_entropy_numpy]
@quiet_ieee
def cross_entropy_numpy(input, target, weight=None, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    """Cross-entropy between softmax(``input``) and ``target`` (indices or probabilities).

    Index targets: ``(1-eps) * w[y] * (-logp[y]) + eps/C * sum_c w[c] * (-logp[c])`` per
    row, ``mean`` divides by the summed ``w[y]`` of non-ignored rows. Probability targets:
    ``-sum_c w[c] * t[c] * logp[c]`` with ``t`` smoothed to ``(1-eps) t + eps/C``, ``mean``
    divides by the number of rows.

    Examples:
        >>> logits = np.array([[10.0, 8.0, 6.0], [7.0, 9.0, 5.0], [5.0, 4.0, 10.0]])
        >>> cross_entropy_numpy(logits, np.array([0, 1, 2])).round(4)
        np.float64(0.0983)
    """
    input, target, weight, ignore_index = _as_numpy(input, target, weight, ignore_index)
    probabilities = _check_cross_entropy(input, target, weight, ignore_index, reduction,
                                         label_smoothing)
    eps, n_classes = label_smoothing, _classes(input)
    weight = None if weight is None else weight.astype(input.dtype, copy=False)
    w = np.ones(n_classes, input.dtype) if weight is None else weight
    rows = _rows_numpy(input)
    # -log_softmax(rows) = (m - rows) + log1p(rest), two terms >= 0: taken at the targets,
    # and in full only for soft targets or smoothing
    m, _, rest = exp_shifted_numpy(rows)
    log_z = np.log1p(rest[:, 0])
    if probabilities:
        t = _rows_numpy(target)
        if eps:
            t = t * (1 - eps) + eps / n_classes
        wt = t * w
        per_row = ((m - rows) * wt).sum(axis=1) + log_z * wt.sum(axis=1)
        out_shape, denominator = input.shape[:1] + input.shape[2:], len(per_row)
    else:
        valid, safe, w_row = _targets_numpy(target.reshape(-1), weight, ignore_index, input.dtype)
        logp_target = (rows[np.arange(len(rows)), safe] - m[:, 0]) - log_z
        per_row = _nll_rows_numpy(logp_target, valid, w_row)
        if eps:
            smooth = np.where(valid, (m - rows) @ w + log_z * w.sum(), 0)
            per_row = (1 - eps) * per_row + eps / n_classes * smooth
        out_shape, denominator = target.shape, w_row.sum()
    if input.ndim == 1:
        out_shape = ()
    _check_mean_defined(denominator, reduction)
    return reduce(per_row.reshape(out_shape).astype(input.dtype), reduction, denominator)
# --8<-- [end:cross_entropy_numpy]


# --8<-- [start:cross_entropy_grad]
@quiet_ieee
def cross_entropy_grad(input, target, weight=None, ignore_index=-100, reduction="mean",
                       label_smoothing=0.0):
    """Gradient of :func:`cross_entropy_numpy` with respect to ``input``.

    Per row, with ``p = softmax(input)`` and smoothed target ``t``:
    ``dL/dz = p * sum_c(w[c] t[c]) - w * t``, which is ``w[y] (p - onehot(y))`` for a
    hard target without smoothing. ``mean`` divides by the same denominator as the loss.

    Examples:
        >>> cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([1]))
        (array([[ 0.5, -0.5]]),)
    """
    input, target, weight, ignore_index = _as_numpy(input, target, weight, ignore_index)
    probabilities = _check_cross_entropy(input, target, weight, ignore_index, reduction,
                                         label_smoothing)
    eps, n_classes = label_smoothing, _classes(input)
    weight = None if weight is None else weight.astype(input.dtype, copy=False)
    w = np.ones(n_classes, input.dtype) if weight is None else weight
    rows = _rows_numpy(input)
    if probabilities:
        t = _rows_numpy(target)
        if eps:
            t = t * (1 - eps) + eps / n_classes
        wt = w * t
        wt_sum, denominator = wt.sum(axis=1), len(rows)
    else:
        # t = (1 - eps) onehot(y) + eps / C on the rows that are not ignored
        valid, safe, w_row = _targets_numpy(target.reshape(-1), weight, ignore_index, input.dtype)
        wt_sum, denominator = (1 - eps) * w_row + eps / n_classes * w.sum() * valid, w_row.sum()
    _check_mean_defined(denominator, reduction)
    scale = 1 / denominator if reduction == "mean" else 1
    _, e, rest = exp_shifted_numpy(rows)  # softmax p = e / (1 + rest)
    grad = e  # p * sum_c(w t) - w t, in place in e (one pass for p * sum_c(w t))
    grad *= (wt_sum * scale)[:, None] / (1 + rest)
    if probabilities:
        grad -= wt * scale
    else:
        grad[np.arange(len(rows)), safe] -= (1 - eps) * w_row * scale
        if eps:
            grad -= eps / n_classes * scale * w * valid[:, None]
    return (_unrows_numpy(grad, input.shape),)
# --8<-- [end:cross_entropy_grad]


# --8<-- [start:cross_entropy_torch]
def cross_entropy_torch(input, target, weight=None, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    """:func:`torch.nn.functional.cross_entropy` from elementary tensor operations."""
    input, target, weight, ignore_index = _as_torch(input, target, weight, ignore_index)
    probabilities = _check_cross_entropy(input, target, weight, ignore_index, reduction,
                                         label_smoothing)
    eps, n_classes = label_smoothing, _classes(input)
    w = torch.ones(n_classes, dtype=input.dtype, device=input.device) if weight is None else weight
    rows = _rows_torch(input)
    m, _, rest = exp_shifted_torch(rows, dim=1)  # as in cross_entropy_numpy
    log_z = torch.log1p(rest[:, 0])
    if probabilities:
        t = _rows_torch(target)
        if eps:
            t = t * (1 - eps) + eps / n_classes
        wt = t * w
        per_row = ((m - rows) * wt).sum(dim=1) + log_z * wt.sum(dim=1)
        out_shape, denominator = input.shape[:1] + input.shape[2:], per_row.numel()
    else:
        valid, safe, w_row = _targets_torch(target.reshape(-1), weight, ignore_index, input.dtype)
        logp_target = (rows.gather(1, safe[:, None])[:, 0] - m[:, 0]) - log_z
        per_row = _nll_rows_torch(logp_target, valid, w_row)
        if eps:
            smooth = torch.where(valid, (m - rows) @ w + log_z * w.sum(), 0)
            per_row = (1 - eps) * per_row + eps / n_classes * smooth
        out_shape, denominator = target.shape, w_row.sum()
    if input.ndim == 1:
        out_shape = ()
    _check_mean_defined(denominator, reduction)
    return reduce(per_row.reshape(out_shape), reduction, denominator)
# --8<-- [end:cross_entropy_torch]


# ---------------------------------------------------------------- parity cases


def _logits(rng: np.random.Generator, shape, dtype, scale=3.0) -> np.ndarray:
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _probabilities(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    class_axis = 0 if len(shape) == 1 else 1
    raw = rng.random(shape) + 1e-3
    return (raw / raw.sum(axis=class_axis, keepdims=True)).astype(dtype)


_LAYOUTS = {"NC": (6, 5), "NCd": (3, 4, 2, 3), "C": (7,)}
_REDUCTIONS = ("none", "mean", "sum")


def _index_target(rng, shape, n_ignored=0, ignore_index=-100):
    target = rng.integers(0, shape[0] if len(shape) == 1 else shape[1], _index_shape(shape))
    flat = target.reshape(-1)
    flat[:n_ignored] = ignore_index
    return flat.reshape(target.shape)


def _cases(dtype, smoothing: bool) -> Iterator[Case]:
    rng = np.random.default_rng(0)
    for layout, shape in _LAYOUTS.items():
        n_classes = shape[0] if len(shape) == 1 else shape[1]
        weights = {"none": None, "w": rng.uniform(0.2, 2.0, n_classes).astype(dtype)}
        for reduction in _REDUCTIONS:
            for wname, weight in weights.items():
                for ignore in ((-100, 0), (-100, 1), (2, 1)) if layout != "C" else ((-100, 0),):
                    for eps in (0.0, 0.1, 1.0) if smoothing else (0.0,):
                        ignore_index, n_ignored = ignore
                        yield Case(
                            f"{layout}-{reduction}-{wname}-ii{ignore_index}x{n_ignored}-ls{eps}",
                            (_logits(rng, shape, dtype),
                             _index_target(rng, shape, n_ignored, ignore_index)),
                            dict(weight=weight, ignore_index=ignore_index, reduction=reduction,
                                 **({"label_smoothing": eps} if smoothing else {})),
                        )


def _cross_entropy_cases(dtype) -> Iterator[Case]:
    yield from _cases(dtype, smoothing=True)
    rng = np.random.default_rng(1)
    for layout, shape in _LAYOUTS.items():
        n_classes = shape[0] if len(shape) == 1 else shape[1]
        for reduction in _REDUCTIONS:
            for weight in (None, rng.uniform(0.2, 2.0, n_classes).astype(dtype)):
                for eps in (0.0, 0.25):
                    yield Case(
                        f"prob-{layout}-{reduction}-{'w' if weight is not None else 'none'}-ls{eps}",
                        (_logits(rng, shape, dtype), _probabilities(rng, shape, dtype)),
                        dict(weight=weight, reduction=reduction, label_smoothing=eps),
                    )
    big = np.finfo(dtype).max / 4
    extreme = np.array([[big, -big, 0.0], [-big, big, 1.0], [30.0, 0.0, -30.0],
                        [80.0, 0.0, 0.0], [1.0, 1.0, 1.0], [5.0, 5.0, -5.0]], dtype)
    for reduction in _REDUCTIONS:
        yield Case(f"extreme-{reduction}", (extreme, np.array([0, 0, 2, 0, 1, 1])),
                   dict(reduction=reduction))


def _nll_cases(dtype) -> Iterator[Case]:
    for case in _cases(dtype, smoothing=False):
        logits, target = case.args
        yield Case(case.id, (log_softmax_numpy(logits, axis=0 if logits.ndim == 1 else 1), target),
                   case.kwargs)


_BRIDLE = Reference("J. S. Bridle", "Probabilistic interpretation of feedforward classification "
                    "network outputs, with relationships to statistical pattern recognition",
                    1990, "Neurocomputing (NATO ASI Series F68)", doi="10.1007/978-3-642-76153-9_28")
_SHANNON = Reference("C. E. Shannon", "A mathematical theory of communication", 1948,
                     "Bell System Technical Journal 27(3)",
                     doi="10.1002/j.1538-7305.1948.tb01338.x")
_SZEGEDY = Reference("C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
                     "Rethinking the Inception architecture for computer vision", 2016, "CVPR",
                     arxiv="1512.00567")

def _cross_entropy_properties(label_smoothing=0.0) -> Properties:
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    return Properties(
        convex=True, smooth=True, grad_lipschitz=0.5, grad_bound=math.sqrt(1 + (1 - eps) ** 2),
        minimiser="distribution" if eps == 0 else "smoothed-distribution",
        breakdown_point=None, proper=eps == 0,
        notes={"grad_lipschitz": "the Hessian diag(p) - p p^T has largest eigenvalue at most "
                                 "1/2, reached at p = (1/2, 1/2, 0, ...)",
               "grad_bound": "|p - t| approaches sqrt(1 + (1 - eps)^2) as p tends to a wrong "
                             "class and C grows",
               "minimiser": "the expected loss under q is minimised at softmax(z) = "
                            "(1 - eps) q + eps / C",
               "proper": "the log score is strictly proper; label smoothing moves the "
                         "minimiser away from q"})


def _nll_properties() -> Properties:
    return Properties(
        convex=True, smooth=True, grad_lipschitz=0.0, grad_bound=1.0,
        minimiser="distribution", breakdown_point=None, proper=True,
        notes={"convex": "linear in the log-probabilities",
               "minimiser": "over log-probabilities (rows with logsumexp 0): the log score"})


cross_entropy = register(Loss(
    name="cross_entropy", title="Cross-entropy", task="classification",
    page="losses/cross-entropy.md", numpy=cross_entropy_numpy, grad=cross_entropy_grad,
    torch=cross_entropy_torch, builtin_path="torch.nn.functional:cross_entropy",
    cases=_cross_entropy_cases, references=(_SHANNON, _BRIDLE, _SZEGEDY),
    declare=_cross_entropy_properties,
    optax=Counterpart("optax.losses:softmax_cross_entropy", _optax.softmax_cross_entropy,
                      "softmax_cross_entropy(logits, one_hot_labels, axis=-1)"),
))

nll_loss = register(Loss(
    name="nll_loss", title="Negative log-likelihood", task="classification",
    page="losses/nll.md", numpy=nll_loss_numpy, grad=nll_loss_grad, torch=nll_loss_torch,
    builtin_path="torch.nn.functional:nll_loss", cases=_nll_cases, references=(_BRIDLE,),
    declare=_nll_properties,
))
