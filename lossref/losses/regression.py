"""Regression losses on residuals ``r = input - target``: MSE, L1, Smooth L1 and Huber.

``input`` and ``target`` broadcast as in torch (the per-element loss has the broadcast
shape, and a gradient is summed back to ``input``'s shape). ``weight``, where torch has it,
must have ``input``'s shape. ``mean`` follows torch: without a weight it divides by the
number of elements; with a weight, ``mse_loss`` and ``l1_loss`` divide by ``weight.sum()``
and ``huber_loss`` by the number of elements.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch.nn.functional as F

from lossref._checks import check_nonnegative, quiet_ieee
from lossref.losses import _optax
from lossref.losses._elementwise import (
    MEAN_BY_COUNT,
    MEAN_BY_WEIGHT,
    grad_scale,
    prepare_numpy,
    prepare_torch,
    unbroadcast,
    weighted_reduce,
)
from lossref.properties import Properties
from lossref.registry import Case, Counterpart, Loss, Reference, register

__all__ = ["huber_loss", "l1_loss", "mse_loss", "smooth_l1_loss"]


def _check_beta(beta) -> float:
    return check_nonnegative(beta, "beta")


def _check_delta(delta) -> float:
    delta = check_nonnegative(delta, "delta")
    if delta == 0:
        raise ValueError("delta must be positive, got 0 (torch rejects it too; "
                         "for the L1 limit use l1_loss, or smooth_l1_loss with beta=0)")
    return delta


# ---------------------------------------------------------------- mse_loss


# --8<-- [start:mse_loss_numpy]
@quiet_ieee
def mse_loss_numpy(input, target, reduction="mean", weight=None):
    """Mean squared error: ``w * (input - target)**2``, reduced.

    Examples:
        >>> mse_loss_numpy(np.array([1.5, 2.5, 3.5]), np.array([1.0, 2.0, 3.0]))
        np.float64(0.25)
    """
    input, target, weight, _ = prepare_numpy(input, target, reduction, weight)
    return weighted_reduce((input - target) ** 2, reduction, weight, MEAN_BY_WEIGHT)
# --8<-- [end:mse_loss_numpy]


# --8<-- [start:mse_loss_grad]
@quiet_ieee
def mse_loss_grad(input, target, reduction="mean", weight=None):
    """Gradient of :func:`mse_loss_numpy` with respect to ``input``: ``2 w (input - target)``,
    divided by ``N`` (or ``sum(w)``) for ``mean``.

    Examples:
        >>> mse_loss_grad(np.array([1.5, 2.5, 3.5]), np.array([1.0, 2.0, 3.0]))
        (array([0.33333333, 0.33333333, 0.33333333]),)
    """
    input, target, weight, shape = prepare_numpy(input, target, reduction, weight)
    scale = grad_scale(shape, reduction, weight, MEAN_BY_WEIGHT, input.dtype)
    return (unbroadcast((input - target) * (2 * scale), input.shape),)
# --8<-- [end:mse_loss_grad]


# --8<-- [start:mse_loss_torch]
def mse_loss_torch(input, target, reduction="mean", weight=None):
    """:func:`torch.nn.functional.mse_loss` from elementary tensor operations."""
    input, target, weight, _ = prepare_torch(input, target, reduction, weight)
    return weighted_reduce((input - target) ** 2, reduction, weight, MEAN_BY_WEIGHT)
# --8<-- [end:mse_loss_torch]


# ---------------------------------------------------------------- l1_loss


# --8<-- [start:l1_loss_numpy]
@quiet_ieee
def l1_loss_numpy(input, target, reduction="mean", weight=None):
    """Mean absolute error: ``w * |input - target|``, reduced.

    Examples:
        >>> l1_loss_numpy(np.array([1.5, 2.5, 3.5]), np.array([1.0, 2.0, 3.0]))
        np.float64(0.5)
    """
    input, target, weight, _ = prepare_numpy(input, target, reduction, weight)
    return weighted_reduce(np.abs(input - target), reduction, weight, MEAN_BY_WEIGHT)
# --8<-- [end:l1_loss_numpy]


# --8<-- [start:l1_loss_grad]
@quiet_ieee
def l1_loss_grad(input, target, reduction="mean", weight=None):
    """Gradient of :func:`l1_loss_numpy` with respect to ``input``: ``w sign(input - target)``,
    with ``sign(0) = 0`` (the subgradient torch uses), divided by ``N`` (or ``sum(w)``) for
    ``mean``.

    Examples:
        >>> l1_loss_grad(np.array([0.0, 1.0, 5.0]), np.array([0.0, 2.0, 3.0]), reduction="sum")
        (array([ 0., -1.,  1.]),)
    """
    input, target, weight, shape = prepare_numpy(input, target, reduction, weight)
    slope = np.sign(input - target)
    slope *= grad_scale(shape, reduction, weight, MEAN_BY_WEIGHT, input.dtype)
    return (unbroadcast(slope, input.shape),)
# --8<-- [end:l1_loss_grad]


# --8<-- [start:l1_loss_torch]
def l1_loss_torch(input, target, reduction="mean", weight=None):
    """:func:`torch.nn.functional.l1_loss` from elementary tensor operations."""
    input, target, weight, _ = prepare_torch(input, target, reduction, weight)
    return weighted_reduce((input - target).abs(), reduction, weight, MEAN_BY_WEIGHT)
# --8<-- [end:l1_loss_torch]


# ---------------------------------------------------------------- smooth_l1_loss


# --8<-- [start:smooth_l1_loss_numpy]
def _huber_numpy(r, delta, scale=1.0):
    """``scale * m (r - m/2)`` with ``m = clip(r, -delta, delta)`` (Huber's gradient), which
    is Huber's loss: ``0.5 r**2`` where ``|r| <= delta`` and ``delta (|r| - delta/2)``
    beyond, both branches in one formula (``np.where`` would compute both in full, then choose). Computed in
    place in ``r``, a temporary of the caller's, and one more array; ``scale`` multiplies
    ``m`` before the product, so that nothing overflows where the result does not."""
    m = np.clip(r, -delta, delta)
    m *= 0.5              # m/2 for now (in place: NumPy would allocate for m / 2)
    r -= m                # r - m/2
    m *= 2 * scale        # scale * m
    r *= m
    return r


def _smooth_l1_numpy(r, beta):
    if beta == 0:  # the L1 limit; the quadratic branch would divide by 0
        return np.abs(r)
    return _huber_numpy(r, beta, scale=1 / beta)  # smooth L1 is Huber over beta


@quiet_ieee
def smooth_l1_loss_numpy(input, target, reduction="mean", beta=1.0):
    """Smooth L1: ``0.5 r**2 / beta`` where ``|r| < beta``, ``|r| - 0.5 beta`` elsewhere.

    Examples:
        >>> smooth_l1_loss_numpy(np.array([0.5, 3.0]), np.zeros(2), reduction="none")
        array([0.125, 2.5  ])
    """
    beta = _check_beta(beta)
    input, target, _, _ = prepare_numpy(input, target, reduction)
    return weighted_reduce(_smooth_l1_numpy(input - target, beta), reduction)
# --8<-- [end:smooth_l1_loss_numpy]


# --8<-- [start:smooth_l1_loss_grad]
@quiet_ieee
def smooth_l1_loss_grad(input, target, reduction="mean", beta=1.0):
    """Gradient of :func:`smooth_l1_loss_numpy` with respect to ``input``: the residual
    clipped to ``[-beta, beta]``, divided by ``beta`` (``sign(r)`` when ``beta = 0``).

    Examples:
        >>> smooth_l1_loss_grad(np.array([-3.0, 0.5, 3.0]), np.zeros(3), reduction="sum")
        (array([-1. ,  0.5,  1. ]),)
    """
    beta = _check_beta(beta)
    input, target, _, shape = prepare_numpy(input, target, reduction)
    r = input - target
    slope = np.sign(r) if beta == 0 else np.clip(r, -beta, beta) / beta
    slope *= grad_scale(shape, reduction, dtype=input.dtype)
    return (unbroadcast(slope, input.shape),)
# --8<-- [end:smooth_l1_loss_grad]


# --8<-- [start:smooth_l1_loss_torch]
def _huber_torch(r, delta, scale=1.0):
    """:func:`_huber_numpy` from tensor operations; ``F.hardtanh`` is
    ``clamp(r, -delta, delta)`` with a one-kernel backward (clamp's takes four)."""
    m = F.hardtanh(r, -delta, delta)
    return (m if scale == 1 else m * scale) * (r - 0.5 * m)


def _smooth_l1_torch(r, beta):
    if beta == 0:  # the L1 limit; the quadratic branch would divide by 0
        return r.abs()
    return _huber_torch(r, beta, scale=1 / beta)  # smooth L1 is Huber over beta


def smooth_l1_loss_torch(input, target, reduction="mean", beta=1.0):
    """:func:`torch.nn.functional.smooth_l1_loss` from elementary tensor operations."""
    beta = _check_beta(beta)
    input, target, _, _ = prepare_torch(input, target, reduction)
    return weighted_reduce(_smooth_l1_torch(input - target, beta), reduction)
# --8<-- [end:smooth_l1_loss_torch]


# ---------------------------------------------------------------- huber_loss


# --8<-- [start:huber_loss_numpy]
@quiet_ieee
def huber_loss_numpy(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber: ``0.5 r**2`` where ``|r| < delta``, ``delta (|r| - 0.5 delta)`` elsewhere;
    times ``weight``; ``mean`` divides by the number of elements even with a weight.

    Examples:
        >>> huber_loss_numpy(np.array([0.5, 3.0]), np.zeros(2), reduction="none", delta=2.0)
        array([0.125, 4.   ])
    """
    delta = _check_delta(delta)
    input, target, weight, _ = prepare_numpy(input, target, reduction, weight)
    per_element = _huber_numpy(input - target, delta)
    return weighted_reduce(per_element, reduction, weight, MEAN_BY_COUNT)
# --8<-- [end:huber_loss_numpy]


# --8<-- [start:huber_loss_grad]
@quiet_ieee
def huber_loss_grad(input, target, reduction="mean", delta=1.0, weight=None):
    """Gradient of :func:`huber_loss_numpy` with respect to ``input``: the residual clipped
    to ``[-delta, delta]``, times ``weight``, divided by ``N`` for ``mean``.

    Examples:
        >>> huber_loss_grad(np.array([-3.0, 0.5, 3.0]), np.zeros(3), reduction="sum", delta=2.0)
        (array([-2. ,  0.5,  2. ]),)
    """
    delta = _check_delta(delta)
    input, target, weight, shape = prepare_numpy(input, target, reduction, weight)
    slope = np.clip(input - target, -delta, delta)
    slope *= grad_scale(shape, reduction, weight, MEAN_BY_COUNT, input.dtype)
    return (unbroadcast(slope, input.shape),)
# --8<-- [end:huber_loss_grad]


# --8<-- [start:huber_loss_torch]
def huber_loss_torch(input, target, reduction="mean", delta=1.0, weight=None):
    """:func:`torch.nn.functional.huber_loss` from elementary tensor operations."""
    delta = _check_delta(delta)
    input, target, weight, _ = prepare_torch(input, target, reduction, weight)
    per_element = _huber_torch(input - target, delta)  # shown with smooth_l1_loss_torch
    return weighted_reduce(per_element, reduction, weight, MEAN_BY_COUNT)
# --8<-- [end:huber_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")
# (input shape, target shape): equal, broadcasting either way, scalars, one element
_SHAPES = {
    "4x3": ((4, 3), (4, 3)),
    "4x3-vs-3": ((4, 3), (3,)),
    "3-vs-4x3": ((3,), (4, 3)),
    "5x1-vs-1x6": ((5, 1), (1, 6)),
    "2x3x4": ((2, 3, 4), (2, 3, 4)),
    "scalar": ((), ()),
    "scalar-vs-5": ((), (5,)),
    "1": ((1,), (1,)),
}
# residual magnitudes, spread over both sides of beta/delta, and extremes
_SCALES = {"unit": 1.0, "tiny": 1e-8, "huge": 1e8}


def _pair(rng, shapes, dtype, scale):
    input_shape, target_shape = shapes
    input = (scale * rng.standard_normal(input_shape)).astype(dtype)
    target = (scale * rng.standard_normal(target_shape)).astype(dtype)
    return np.asarray(input), np.asarray(target)


def _kink_pair(dtype, at):
    """Residuals exactly at 0 and at +-at: where the branches meet."""
    target = np.array([1.0, 2.0, -3.0, 0.5, 4.0, 7.0], dtype)
    offsets = np.array([0.0, at, -at, 3 * at, -0.25 * at, 0.0], dtype)
    return (target + offsets).astype(dtype), target


def _shape_cases(rng, dtype, extra_kwargs, with_weight):
    for sname, shapes in _SHAPES.items():
        for scale_name, scale in _SCALES.items():
            if scale_name != "unit" and sname not in ("4x3", "5x1-vs-1x6"):
                continue
            for reduction in _REDUCTIONS:
                for kname, kwargs in extra_kwargs.items():
                    weights = {"noweight": None}
                    if with_weight:
                        weights["w"] = np.asarray(rng.uniform(0.1, 2.0, shapes[0]).astype(dtype))
                    for wname, weight in weights.items():
                        args = _pair(rng, shapes, dtype, scale)
                        kw = dict(reduction=reduction, **kwargs)
                        if with_weight:
                            kw["weight"] = weight
                        yield Case(f"{sname}-{scale_name}-{reduction}-{kname}-{wname}", args, kw)


def _mse_l1_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(3)
    yield from _shape_cases(rng, dtype, {"default": {}}, with_weight=True)
    for reduction in _REDUCTIONS:
        yield Case(f"kinks-{reduction}", _kink_pair(dtype, 1.0), {"reduction": reduction})


def _smooth_l1_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(4)
    betas = {f"beta{b}": {"beta": b} for b in (0.0, 0.5, 1.0, 2.0)}
    yield from _shape_cases(rng, dtype, betas, with_weight=False)
    for reduction in _REDUCTIONS:
        for b in (0.0, 0.5, 1.0, 2.0):
            yield Case(f"kinks-{reduction}-beta{b}", _kink_pair(dtype, b or 1.0),
                       {"reduction": reduction, "beta": b})


def _huber_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(5)
    deltas = {f"delta{d}": {"delta": d} for d in (0.5, 1.0, 3.0)}
    yield from _shape_cases(rng, dtype, deltas, with_weight=True)
    for reduction in _REDUCTIONS:
        for d in (0.5, 1.0, 3.0):
            yield Case(f"kinks-{reduction}-delta{d}", _kink_pair(dtype, d),
                       {"reduction": reduction, "delta": d})


# ---------------------------------------------------------------- records

_STIGLER = Reference("S. M. Stigler", "Gauss and the invention of least squares", 1981,
                     "The Annals of Statistics 9(3)", doi="10.1214/aos/1176345451")
_KOENKER = Reference("R. Koenker, G. Bassett", "Regression quantiles", 1978,
                     "Econometrica 46(1)", doi="10.2307/1913643")
_HUBER = Reference("P. J. Huber", "Robust estimation of a location parameter", 1964,
                   "The Annals of Mathematical Statistics 35(1)", doi="10.1214/aoms/1177703732")
_GIRSHICK = Reference("R. Girshick", "Fast R-CNN", 2015, "ICCV", arxiv="1504.08083")


def _mse_properties() -> Properties:
    return Properties(
        convex=True, smooth=True, grad_lipschitz=2.0, grad_bound=None, minimiser="mean",
        breakdown_point=0.0, proper=None,
        notes={"grad_lipschitz": "the second derivative of r^2 is 2",
               "minimiser": "E[(c - Y)^2] = Var Y + (c - E Y)^2, for any Y of finite variance"})


def _l1_properties() -> Properties:
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=1.0, minimiser="median",
        breakdown_point=0.5, proper=None,
        notes={"smooth": "the gradient sign(r) jumps from -1 to 1 at r = 0"})


def _smooth_l1_properties(beta=1.0) -> Properties:
    beta = _check_beta(beta)
    if beta == 0:  # the L1 limit
        return _l1_properties()
    return Properties(
        convex=True, smooth=True, grad_lipschitz=1 / beta, grad_bound=1.0,
        minimiser="m-estimate", breakdown_point=0.5, proper=None,
        notes={"grad_lipschitz": "the second derivative is 1/beta inside |r| < beta, 0 outside",
               "breakdown_point": "a bounded, monotone psi: Huber's location M-estimate"})


def _huber_properties(delta=1.0) -> Properties:
    delta = _check_delta(delta)
    return Properties(
        convex=True, smooth=True, grad_lipschitz=1.0, grad_bound=delta,
        minimiser="m-estimate", breakdown_point=0.5, proper=None,
        notes={"grad_lipschitz": "the second derivative is 1 inside |r| < delta, 0 outside",
               "breakdown_point": "a bounded, monotone psi: Huber's location M-estimate"})


mse_loss = register(Loss(
    name="mse_loss", title="Mean squared error", task="regression", page="losses/mse.md",
    numpy=mse_loss_numpy, grad=mse_loss_grad, torch=mse_loss_torch,
    builtin_path="torch.nn.functional:mse_loss", cases=_mse_l1_cases, wrt=(0,),
    references=(_STIGLER,), declare=_mse_properties,
    optax=Counterpart("optax.losses:squared_error", _optax.squared_error,
                      "squared_error(predictions, targets)"),
))

l1_loss = register(Loss(
    name="l1_loss", title="Mean absolute error (L1)", task="regression", page="losses/l1.md",
    numpy=l1_loss_numpy, grad=l1_loss_grad, torch=l1_loss_torch,
    builtin_path="torch.nn.functional:l1_loss", cases=_mse_l1_cases, wrt=(0,),
    references=(_KOENKER,), declare=_l1_properties,
))

smooth_l1_loss = register(Loss(
    name="smooth_l1_loss", title="Smooth L1", task="regression",
    page="losses/smooth-l1-huber.md", numpy=smooth_l1_loss_numpy, grad=smooth_l1_loss_grad,
    torch=smooth_l1_loss_torch, builtin_path="torch.nn.functional:smooth_l1_loss",
    cases=_smooth_l1_cases, wrt=(0,), references=(_GIRSHICK, _HUBER),
    declare=_smooth_l1_properties,
    optax=Counterpart("optax.losses:huber_loss", _optax.smooth_l1,
                      "huber_loss(predictions, targets, delta=beta) / beta"),
))

huber_loss = register(Loss(
    name="huber_loss", title="Huber", task="regression", page="losses/smooth-l1-huber.md",
    numpy=huber_loss_numpy, grad=huber_loss_grad, torch=huber_loss_torch,
    builtin_path="torch.nn.functional:huber_loss", cases=_huber_cases, wrt=(0,),
    references=(_HUBER,), declare=_huber_properties,
    optax=Counterpart("optax.losses:huber_loss", _optax.huber,
                      "huber_loss(predictions, targets, delta=delta)"),
))
