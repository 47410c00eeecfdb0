"""Divergences between distributions: Kullback–Leibler (torch's ``kl_div``) and
Jensen–Shannon, with torch's conventions.

Both take ``input``, the model's **log**-probabilities, and ``target``, the data
distribution (probabilities, or log-probabilities with ``log_target=True``), and compute
the divergence of the model from the data, ``D(target ‖ model)``, element by element:
``kl_div`` gives ``t (log t - x)`` at each element, with ``0 log 0 = 0``. The elements are
then reduced: ``"sum"``, ``"batchmean"`` (the sum divided by ``input``'s first dimension,
which is the divergence per sample when each row is a distribution), ``"mean"`` (divided by
the number of elements, which is almost never wanted; torch warns, and so does lossref) or
``"none"``. ``input`` and ``target`` broadcast as in torch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import torch

from lossref._checks import (
    _outside_lossref,
    as_array,
    broadcast_shape,
    check_flag,
    check_float,
    check_not_empty,
    check_reduction,
    check_tensor,
    first_flagged,
    quiet_ieee,
)
from lossref.losses import _optax
from lossref.losses._elementwise import unbroadcast
from lossref.losses._sigmoid import softplus_numpy, softplus_torch
from lossref.losses._softmax import log_softmax_numpy
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["js_divergence", "kl_div"]

REDUCTIONS = ("none", "batchmean", "sum", "mean")
LOG2 = math.log(2.0)

#: torch's warning for ``kl_div(..., reduction="mean")``, word for word.
MEAN_WARNING = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release.")


def _check(input, target, reduction, log_target, prepare):
    """Checks shared by ``kl_div`` and ``js_divergence``; returns the arrays or tensors,
    ``log_target`` and the broadcast shape. NaN passes (the result is then nan)."""
    log_target = check_flag(log_target, "log_target")
    if prepare == "numpy":
        input, target = as_array(input, "input"), as_array(target, "target")
    else:
        input, target = check_tensor(input, "input"), check_tensor(target, "target")
    check_reduction(reduction, REDUCTIONS)
    check_float(input, "input")
    check_float(target, "target")
    if target.dtype != input.dtype:
        raise TypeError(f"target dtype {target.dtype} differs from input dtype {input.dtype}")
    shape = broadcast_shape(input=input, target=target)
    if bool((input > 0).any()):
        raise ValueError(
            f"input holds the model's log-probabilities and must be <= 0, got "
            f"{first_flagged(input, input > 0)}: pass log_softmax(logits), not probabilities "
            "or logits (torch does not check this)")
    if log_target and bool((target > 0).any()):
        raise ValueError(
            f"target holds log-probabilities (log_target=True) and must be <= 0, got "
            f"{first_flagged(target, target > 0)}; for probabilities pass log_target=False")
    if not log_target:
        outside = (target < 0) | (target > 1)
        if bool(outside.any()):
            hint = (" (it looks like log-probabilities: pass log_target=True)"
                    if bool((target <= 0).all()) else "")
            raise ValueError(
                f"target holds probabilities (log_target=False) and must be in [0, 1], got "
                f"{first_flagged(target, outside)}{hint}")
    check_not_empty(shape, reduction, ("mean", "batchmean"))
    return input, target, log_target, shape


def _denominator(input, shape, reduction) -> int:
    if reduction == "mean":
        return math.prod(shape)
    if reduction == "batchmean" and input.ndim:
        return input.shape[0]  # torch divides by input's first dimension
    return 1


def _reduce(loss, input, shape, reduction):
    if reduction == "none":
        return loss
    total = loss.sum()
    denominator = _denominator(input, shape, reduction)
    return total / denominator if denominator != 1 else total


#: lossref's warning for ``js_divergence(..., reduction="mean")``: the same pitfall.
JS_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the "
                   "support size. 'batchmean' (the default) divides only by the batch size, "
                   "which is the divergence per sample.")


def _warn_mean(reduction: str, message: str) -> None:
    if reduction == "mean":
        warnings.warn(message, UserWarning, stacklevel=_outside_lossref())


# ---------------------------------------------------------------- kl_div


# --8<-- [start:kl_div_numpy]
@quiet_ieee
def kl_div_numpy(input, target, reduction="mean", log_target=False):
    """``KL(target ‖ exp(input))`` element by element, torch's argument order:
    ``t (log t - x)`` with ``0 log 0 = 0`` (``log_target=False``), or
    ``exp(t) (t - x)`` (``log_target=True``).

    Examples:
        >>> p = np.array([[0.5, 0.5]])                      # the data
        >>> log_q = np.log(np.array([[0.9, 0.1]]))          # the model, as log-probabilities
        >>> kl_div_numpy(log_q, p, reduction="batchmean").round(4)  # KL(p ‖ q)
        np.float64(0.5108)
    """
    x, t, log_target, shape = _check(input, target, reduction, log_target, "numpy")
    _warn_mean(reduction, MEAN_WARNING)
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = t * (np.log(np.where(t == 0, 1, t)) - x)   # 0 log 0 = 0; nan stays nan
    return _reduce(loss, x, shape, reduction)
# --8<-- [end:kl_div_numpy]


# --8<-- [start:kl_div_grad]
@quiet_ieee
def kl_div_grad(input, target, reduction="mean", log_target=False):
    """``-t`` (``-exp(t)`` with ``log_target``): the divergence is linear in the
    log-probabilities. Divided as the reduction divides; summed back to ``input``'s shape
    where the target broadcast it.

    Examples:
        >>> kl_div_grad(np.log(np.array([[0.9, 0.1]])), np.array([[0.5, 0.5]]),
        ...             reduction="sum")
        (array([[-0.5, -0.5]]),)
    """
    x, t, log_target, shape = _check(input, target, reduction, log_target, "numpy")
    _warn_mean(reduction, MEAN_WARNING)
    grad = np.broadcast_to(-np.exp(t) if log_target else -t, shape)
    grad = grad / np.asarray(_denominator(x, shape, reduction), x.dtype)
    return (unbroadcast(grad, x.shape),)
# --8<-- [end:kl_div_grad]


# --8<-- [start:kl_div_torch]
def kl_div_torch(input, target, reduction="mean", log_target=False):
    """:func:`torch.nn.functional.kl_div` from elementary tensor operations."""
    x, t, log_target, shape = _check(input, target, reduction, log_target, "torch")
    _warn_mean(reduction, MEAN_WARNING)
    if log_target:
        loss = torch.exp(t) * (t - x)
    else:
        loss = t * (torch.log(torch.where(t == 0, 1, t)) - x)
    return _reduce(loss, x, shape, reduction)
# --8<-- [end:kl_div_torch]


# ---------------------------------------------------------------- js_divergence


# --8<-- [start:js_divergence_numpy]
def _js_parts_numpy(x, t, log_target):
    """``p``, ``q = e^x``, ``d = log q - log p`` and ``r = tanh(d / 2)``: what the
    divergence and its gradient are written in."""
    log_p = t if log_target else np.log(t)
    p = np.exp(t) if log_target else t
    d = x - log_p
    return p, np.exp(x), d, np.tanh(d / 2)


def _js_terms_numpy(x, t, log_target):
    """Per element ``1/2 [p log(p / m) + q log(q / m)]``, ``m = (p + q) / 2``, ``q = e^x``.

    With ``r = (q - p) / (q + p) = tanh((log q - log p) / 2)``, ``p = m (1 - r)`` and
    ``q = m (1 + r)``, the element is ``m/2 phi(r)`` with
    ``phi(r) = (1 - r) log(1 - r) + (1 + r) log(1 + r) = log(1 - r^2) + 2 r atanh(r)``.
    The first form cancels to ``r^2`` for ``p ~ q`` (a relative error of eps / |r|); the
    second loses at most a factor 2 there, and is used for ``|r| < 1/2``. The first is
    written ``log(p/m) = log 2 - softplus(log q - log p)``: a zero probability contributes
    0 (``0 log 0 = 0``)."""
    p, q, d, r = _js_parts_numpy(x, t, log_target)
    from_p = np.where(p == 0, 0, p * (LOG2 - softplus_numpy(d)))
    from_q = np.where(q == 0, 0, q * (LOG2 - softplus_numpy(-d)))
    near = 0.25 * (p + q) * (np.log1p(-r * r) + 2 * r * np.arctanh(r))
    return np.where(np.abs(r) < 0.5, near, 0.5 * (from_p + from_q))


@quiet_ieee
def js_divergence_numpy(input, target, *, reduction="batchmean", log_target=False):
    """Jensen–Shannon divergence ``1/2 KL(p ‖ m) + 1/2 KL(q ‖ m)`` between the data
    ``p`` (``target``) and the model ``q = exp(input)``, with ``m = (p + q) / 2``, in
    ``kl_div``'s conventions (log-probabilities as ``input``, ``log_target``, the same
    reductions). It is symmetric and at most ``log 2`` per distribution.

    Examples:
        >>> js_divergence_numpy(np.log(np.array([[0.9, 0.1]])), np.array([[0.5, 0.5]])).round(4)
        np.float64(0.1017)
        >>> js_divergence_numpy(np.array([[0.0, -np.inf]]), np.array([[0.0, 1.0]])).round(12)
        np.float64(0.69314718056)
    """
    x, t, log_target, shape = _check(input, target, reduction, log_target, "numpy")
    _warn_mean(reduction, JS_MEAN_WARNING)
    return _reduce(_js_terms_numpy(x, t, log_target), x, shape, reduction)
# --8<-- [end:js_divergence_numpy]


# --8<-- [start:js_divergence_grad]
@quiet_ieee
def js_divergence_grad(input, target, *, reduction="batchmean", log_target=False):
    """With respect to ``x = log q``: ``1/2 q log(q / m)``, divided as the reduction
    divides (the terms in ``d log m / dx`` cancel: ``-p q/(p + q) + q p/(p + q) = 0``).
    ``log(q / m)`` is ``log1p(r)`` for ``|r| < 1/2`` (exact as ``q -> p``), else
    ``log 2 - softplus(-d)`` (exact as ``q << p``, where ``r`` rounds to -1)."""
    x, t, log_target, shape = _check(input, target, reduction, log_target, "numpy")
    _warn_mean(reduction, JS_MEAN_WARNING)
    _, q, d, r = _js_parts_numpy(x, t, log_target)
    log_q_over_m = np.where(np.abs(r) < 0.5, np.log1p(r), LOG2 - softplus_numpy(-d))
    grad = np.where(q == 0, 0, 0.5 * q * log_q_over_m)
    grad = np.broadcast_to(grad, shape) / np.asarray(_denominator(x, shape, reduction), x.dtype)
    return (unbroadcast(grad, x.shape),)
# --8<-- [end:js_divergence_grad]


# --8<-- [start:js_divergence_torch]
def js_divergence_torch(input, target, *, reduction="batchmean", log_target=False):
    """:func:`js_divergence_numpy` in tensor operations. Where a ``torch.where`` discards
    a branch that would be infinite (``q = 0``; ``|r| = 1`` in the near form), its
    argument is replaced by a safe value first: autograd multiplies the discarded
    branch's infinite derivative by its zero gradient, which is nan."""
    x, t, log_target, shape = _check(input, target, reduction, log_target, "torch")
    _warn_mean(reduction, JS_MEAN_WARNING)
    log_p = t if log_target else torch.log(t)
    p = torch.exp(t) if log_target else t
    q = torch.exp(x)
    with torch.no_grad():  # which form each element takes
        close = torch.tanh((x - log_p) / 2).abs() < 0.5
    d = torch.where(p == 0, 0, x - log_p)  # log q - log p; 0 where p = 0 (no term)
    from_p = torch.where(p == 0, 0, p * (LOG2 - softplus_torch(d)))
    vanishing = q == 0
    safe_x = torch.where(vanishing, 0, x)
    from_q = torch.where(vanishing, 0, torch.exp(safe_x) * (LOG2 - softplus_torch(log_p - safe_x)))
    r = torch.tanh(torch.where(close, d, 0) / 2)
    near = 0.25 * (p + q) * (torch.log1p(-r * r) + 2 * r * torch.atanh(r))
    return _reduce(torch.where(close, near, 0.5 * (from_p + from_q)), x, shape, reduction)
# --8<-- [end:js_divergence_torch]


# ---------------------------------------------------------------- parity cases


def _distributions(rng, shape, dtype, zeros=0):
    """Rows (along axis 1, or 0 for a 1-D shape) that sum to 1, some entries exactly 0."""
    axis = 0 if len(shape) == 1 else 1
    p = rng.dirichlet(np.ones(shape[axis]), tuple(s for i, s in enumerate(shape) if i != axis))
    p = np.moveaxis(p, -1, axis)
    if zeros:
        flat = p.reshape(-1)
        flat[rng.choice(flat.size, zeros, replace=False)] = 0.0
        p = flat.reshape(shape) / p.sum(axis=axis, keepdims=True)
    return p.astype(dtype)


def _log_model(rng, shape, dtype, scale=2.0):
    z = scale * rng.standard_normal(shape)
    return log_softmax_numpy(z, axis=0 if len(shape) == 1 else 1).astype(dtype)


_SHAPES = {"C": (4,), "NC": (5, 3), "NCd": (2, 3, 4)}


def _divergence_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(40)
    for layout, shape in _SHAPES.items():
        x = _log_model(rng, shape, dtype)
        for zeros in (0, 2):
            p = _distributions(rng, shape, dtype, zeros)
            for reduction in REDUCTIONS:
                yield Case(f"{layout}-z{zeros}-{reduction}", (x, p),
                           {"reduction": reduction, "log_target": False})
                if zeros == 0:
                    yield Case(f"{layout}-logt-{reduction}", (x, np.log(p)),
                               {"reduction": reduction, "log_target": True})
    # one target row for every row of the model (torch broadcasts it)
    x = _log_model(rng, (5, 3), dtype)
    yield Case("bcast-target", (x, _distributions(rng, (3,), dtype)), {"reduction": "sum"})
    # a confident model: log-probabilities down to -700 (float64) / -80 (float32)
    low = -700.0 if dtype == np.float64 else -80.0
    x = np.array([[0.0, low, low], [low / 2, 0.0, low], [-1e-8, -18.4, low]], dtype)
    x = log_softmax_numpy(x, axis=1).astype(dtype)
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype)
    for reduction in ("none", "sum", "batchmean"):
        yield Case(f"extreme-{reduction}", (x, p), {"reduction": reduction})


# ---------------------------------------------------------------- records

_KULLBACK = Reference("S. Kullback, R. A. Leibler", "On information and sufficiency", 1951,
                      "Annals of Mathematical Statistics 22(1)", doi="10.1214/aoms/1177729694")
_LIN = Reference("J. Lin", "Divergence measures based on the Shannon entropy", 1991,
                 "IEEE Transactions on Information Theory 37(1)", doi="10.1109/18.61115")
_HINTON = Reference("G. Hinton, O. Vinyals, J. Dean", "Distilling the knowledge in a neural "
                    "network", 2015, "NeurIPS Deep Learning Workshop", arxiv="1503.02531")
_KINGMA = Reference("D. P. Kingma, M. Welling", "Auto-encoding variational Bayes", 2014,
                    "ICLR", arxiv="1312.6114")


def _kl_properties(log_target=False) -> Properties:
    check_flag(log_target, "log_target")
    return Properties(
        convex=True, smooth=True, grad_lipschitz=0.0, grad_bound=1.0, minimiser="distribution",
        breakdown_point=None, proper=True,
        notes={"convex": "linear in the log-probability x: t (log t - x)",
               "grad_bound": "the gradient is -t, and |t| <= 1",
               "minimiser": "over log-probability rows, KL(t ‖ q) is minimised at q = t "
                            "(Gibbs' inequality)",
               "proper": "with a one-hot target it is the log score"})


def _js_properties(log_target=False) -> Properties:
    check_flag(log_target, "log_target")
    return Properties(
        convex=False, smooth=True, grad_lipschitz=LOG2 / 2, grad_bound=LOG2 / 2,
        minimiser="distribution", breakdown_point=None, proper=False,
        notes={"convex": "convex in the probability q, not in the log-probability x = log q "
                         "it takes: the second derivative dips below 0 where q << t",
               "grad_lipschitz": "the second derivative is (q/2)(log(2q/(t + q)) + t/(t + q)),"
                                 " largest at q = 1, t = 0: (log 2)/2",
               "grad_bound": "the gradient (q/2) log(2q/(t + q)) is largest at q = 1, t = 0",
               "minimiser": "JS(t ‖ q) over distributions q is minimised at q = t",
               "proper": "as a score of one-hot outcomes it is not proper: its expected value "
                         "under q is minimised away from q"})


kl_div = register(Loss(
    name="kl_div", title="Kullback–Leibler divergence", task="divergence",
    page="losses/kl-divergence.md", numpy=kl_div_numpy, grad=kl_div_grad, torch=kl_div_torch,
    builtin_path="torch.nn.functional:kl_div", cases=_divergence_cases,
    references=(_KULLBACK, _HINTON, _KINGMA), declare=_kl_properties,
    optax=Counterpart("optax.losses:kl_divergence", _optax.kl_divergence,
                      "kl_divergence(log_predictions, targets)"),
))

js_divergence = register(Loss(
    name="js_divergence", title="Jensen–Shannon divergence", task="divergence",
    page="losses/kl-divergence.md", numpy=js_divergence_numpy, grad=js_divergence_grad,
    torch=js_divergence_torch, builtin_path=None, cases=_divergence_cases,
    references=(_LIN,), declare=_js_properties,
))
