"""Regression losses that torch does not have: log-cosh, quantile (pinball), Tukey's biweight.

They follow the conventions of :mod:`lossref.losses.regression`: ``input`` and ``target``
broadcast as in torch, ``reduction`` is ``"none"``, ``"mean"`` or ``"sum"``, and a gradient
is summed back to ``input``'s shape. With no torch builtin to compare against, the parity
tests check them against plain loops in ``tests/reference_impls.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import check_real, quiet_ieee
from lossref.losses._elementwise import (
    grad_scale,
    prepare_numpy,
    prepare_torch,
    unbroadcast,
    weighted_reduce,
)
from lossref.properties import Properties
from lossref.registry import Case, Loss, Reference, register

__all__ = ["log_cosh_loss", "quantile_loss", "tukey_biweight_loss"]

LOG2 = math.log(2.0)


def _check_quantile(quantile: Any) -> float:
    tau = check_real(quantile, "quantile")
    if not 0.0 < tau < 1.0:
        raise ValueError(f"quantile must be in the open interval (0, 1), got {quantile}")
    return tau


def _check_c(c: Any) -> float:
    c = check_real(c, "c")
    if not (c > 0 and math.isfinite(c)):
        raise ValueError(f"c must be a positive finite number, got {c}")
    return c


# ---------------------------------------------------------------- log_cosh_loss


# --8<-- [start:log_cosh_loss_numpy]
def _log_cosh_numpy(x):
    """``log(cosh(x))`` without calling ``cosh``, accurate for tiny and for huge ``|x|``.

    ``|x| < 1``: ``log1p(2 sinh(|x|/2)^2)`` (no cancellation: ``x^2/2`` near 0).
    ``|x| >= 1``: ``|x| + log1p(exp(-2|x|)) - log 2`` (never overflows; ``exp(-|x|)``
    is squared so that ``-2|x|`` cannot overflow in float32).
    """
    a = np.abs(x)
    small = np.sinh(np.minimum(a, 1) / 2)
    e = np.exp(-a)
    return np.where(a < 1, np.log1p(2 * small * small), a + np.log1p(e * e) - LOG2)


@quiet_ieee
def log_cosh_loss_numpy(input, target, *, reduction="mean"):
    """Log-cosh loss ``log(cosh(input - target))``, reduced; finite for ``|x|`` up to the
    largest float (``|x| - log 2`` there).

    Examples:
        >>> log_cosh_loss_numpy(np.array([0.0, 1.0, 1e300]), np.zeros(3), reduction="none")
        array([0.00000000e+000, 4.33780830e-001, 1.00000000e+300])
    """
    input, target, _, _ = prepare_numpy(input, target, reduction)
    return weighted_reduce(_log_cosh_numpy(input - target), reduction)
# --8<-- [end:log_cosh_loss_numpy]


# --8<-- [start:log_cosh_loss_grad]
@quiet_ieee
def log_cosh_loss_grad(input, target, *, reduction="mean"):
    """Gradient of :func:`log_cosh_loss_numpy` with respect to ``input``:
    ``tanh(input - target)``, divided by the number of elements for ``mean``.

    Examples:
        >>> log_cosh_loss_grad(np.array([0.0, 1.0, 1e300]), np.zeros(3), reduction="sum")
        (array([0.        , 0.76159416, 1.        ]),)
    """
    input, target, _, shape = prepare_numpy(input, target, reduction)
    scale = grad_scale(shape, reduction, dtype=input.dtype)
    return (unbroadcast(np.tanh(input - target) * scale, input.shape),)
# --8<-- [end:log_cosh_loss_grad]


# --8<-- [start:log_cosh_loss_torch]
def _log_cosh_torch(x):
    a = x.abs()
    small = torch.sinh(a.clamp(max=1) / 2)  # clamped: the unused branch stays finite
    e = torch.exp(-a)
    return torch.where(a < 1, torch.log1p(2 * small * small), a + torch.log1p(e * e) - LOG2)


def log_cosh_loss_torch(input, target, *, reduction="mean"):
    """Log-cosh loss from elementary tensor operations; autograd gives ``tanh``."""
    input, target, _, _ = prepare_torch(input, target, reduction)
    return weighted_reduce(_log_cosh_torch(input - target), reduction)
# --8<-- [end:log_cosh_loss_torch]


# ---------------------------------------------------------------- quantile_loss


# --8<-- [start:quantile_loss_numpy]
@quiet_ieee
def quantile_loss_numpy(input, target, *, quantile=0.5, reduction="mean"):
    """Pinball loss ``max(tau * u, (tau - 1) * u)`` of ``u = target - input``, reduced.

    Its minimiser over a constant prediction is the ``tau``-quantile of the targets.

    Examples:
        >>> quantile_loss_numpy(np.zeros(2), np.array([1.0, -1.0]), quantile=0.9,
        ...                     reduction="none")
        array([0.9, 0.1])
    """
    tau = _check_quantile(quantile)
    input, target, _, _ = prepare_numpy(input, target, reduction)
    u = target - input
    above = tau * u
    u *= tau - 1  # (tau - 1) u, in place; the larger of the two is the loss
    return weighted_reduce(np.maximum(above, u), reduction)
# --8<-- [end:quantile_loss_numpy]


# --8<-- [start:quantile_loss_grad]
@quiet_ieee
def quantile_loss_grad(input, target, *, quantile=0.5, reduction="mean"):
    """Gradient of :func:`quantile_loss_numpy` with respect to ``input``: ``-tau`` where
    the target is above the prediction, ``1 - tau`` where it is below, and ``1/2 - tau``
    where they are equal (the midpoint of the subdifferential ``[-tau, 1 - tau]``; 0 for
    ``tau = 1/2``, like torch's ``l1_loss`` at 0).

    Examples:
        >>> quantile_loss_grad(np.zeros(3), np.array([1.0, 0.0, -1.0]), quantile=0.9,
        ...                    reduction="sum")
        (array([-0.9, -0.4,  0.1]),)
    """
    tau = _check_quantile(quantile)
    input, target, _, shape = prepare_numpy(input, target, reduction)
    u = target - input
    slope = np.subtract(u < 0, u > 0, dtype=input.dtype)  # 1 below, -1 above, else 0
    slope *= 0.5
    slope += 0.5 - tau
    slope *= grad_scale(shape, reduction, dtype=input.dtype)
    return (unbroadcast(slope, input.shape),)
# --8<-- [end:quantile_loss_grad]


# --8<-- [start:quantile_loss_torch]
def quantile_loss_torch(input, target, *, quantile=0.5, reduction="mean"):
    """Pinball loss from elementary tensor operations. Where ``u = 0`` the third branch,
    ``(tau - 1/2) u``, is 0 like the others but gives autograd the slope of
    :func:`quantile_loss_grad` there."""
    tau = _check_quantile(quantile)
    input, target, _, _ = prepare_torch(input, target, reduction)
    u = target - input
    per_element = torch.where(u > 0, tau * u, torch.where(u < 0, (tau - 1) * u, (tau - 0.5) * u))
    return weighted_reduce(per_element, reduction)
# --8<-- [end:quantile_loss_torch]


# ---------------------------------------------------------------- tukey_biweight_loss


# --8<-- [start:tukey_biweight_loss_numpy]
@quiet_ieee
def tukey_biweight_loss_numpy(input, target, *, c=4.685, reduction="mean"):
    """Tukey's biweight ``c^2/6 (1 - (1 - (r/c)^2)^3)`` for ``|r| <= c`` and ``c^2/6``
    beyond, with ``r = input - target``, reduced.

    ``1 - (1 - s)^3`` is expanded to ``s (3 - 3s + s^2)`` with ``s = (r/c)^2`` (no
    cancellation for small ``r``), and ``r/c`` is clipped to ``[-1, 1]``, which gives
    ``c^2/6`` beyond ``c`` without a branch.

    Examples:
        >>> tukey_biweight_loss_numpy(np.array([0.0, 1.0, 10.0]), np.zeros(3), c=2.0,
        ...                           reduction="none").round(6)
        array([0.      , 0.385417, 0.666667])
    """
    c = _check_c(c)
    input, target, _, _ = prepare_numpy(input, target, reduction)
    s = np.clip((input - target) / c, -1, 1) ** 2
    return weighted_reduce(c * c / 6 * (s * (3 + s * (s - 3))), reduction)
# --8<-- [end:tukey_biweight_loss_numpy]


# --8<-- [start:tukey_biweight_loss_grad]
@quiet_ieee
def tukey_biweight_loss_grad(input, target, *, c=4.685, reduction="mean"):
    """Gradient of :func:`tukey_biweight_loss_numpy` with respect to ``input``:
    ``psi(r) = r (1 - (r/c)^2)^2`` for ``|r| <= c`` and 0 beyond (redescending).

    Examples:
        >>> tukey_biweight_loss_grad(np.array([0.0, 1.0, 10.0]), np.zeros(3), c=2.0,
        ...                          reduction="sum")
        (array([0.    , 0.5625, 0.    ]),)
    """
    c = _check_c(c)
    input, target, _, shape = prepare_numpy(input, target, reduction)
    u = np.clip((input - target) / c, -1, 1)  # psi(r) = c u (1 - u^2)^2: 0, not inf * 0,
    w = 1 - u * u                               # for an infinite residual
    scale = grad_scale(shape, reduction, dtype=input.dtype)
    return (unbroadcast(c * u * w * w * scale, input.shape),)
# --8<-- [end:tukey_biweight_loss_grad]


# --8<-- [start:tukey_biweight_loss_torch]
def tukey_biweight_loss_torch(input, target, *, c=4.685, reduction="mean"):
    """Tukey's biweight from elementary tensor operations. The clamp makes autograd's
    gradient exactly 0 beyond ``c`` (a ``torch.where`` would send ``0 * inf = nan``
    back through the unused branch for huge residuals)."""
    c = _check_c(c)
    input, target, _, _ = prepare_torch(input, target, reduction)
    s = ((input - target) / c).clamp(-1, 1) ** 2
    return weighted_reduce(c * c / 6 * (s * (3 + s * (s - 3))), reduction)
# --8<-- [end:tukey_biweight_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")
_SHAPES = {"same": ((4, 5), (4, 5)), "bcast": ((4, 1), (3, 1, 6)), "scalar": ((), (7,))}


def _pairs(dtype, seed: int, scale: float = 2.0) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    for layout, (s_in, s_t) in _SHAPES.items():
        # np.asarray: a 0-d draw would otherwise be a NumPy scalar, not an array
        yield (layout, np.asarray(scale * rng.standard_normal(s_in), dtype),
               np.asarray(scale * rng.standard_normal(s_t), dtype))


def _extreme(dtype, big: float) -> tuple[np.ndarray, np.ndarray]:
    """Residuals from 1e-8 up to ``big`` (once, so that a sum does not overflow), both
    signs, and an exact zero."""
    x = np.array([0.0, 1e-8, -1e-6, 1e-3, -0.5, 0.999, 1.0, -3.0, 30.0, -1e4, 1e8, -big], dtype)
    return x, np.zeros_like(x)


def _log_cosh_cases(dtype) -> Iterator[Case]:
    for layout, x, y in _pairs(dtype, 10):
        for reduction in _REDUCTIONS:
            yield Case(f"{layout}-{reduction}", (x, y), {"reduction": reduction})
    big = 1e300 if dtype == np.float64 else 3e38
    for reduction in _REDUCTIONS:
        yield Case(f"extreme-{reduction}", _extreme(dtype, big), {"reduction": reduction})


def _quantile_cases(dtype) -> Iterator[Case]:
    for layout, x, y in _pairs(dtype, 11):
        for reduction in _REDUCTIONS:
            for tau in (0.05, 0.5, 0.9):
                yield Case(f"{layout}-{reduction}-q{tau}", (x, y),
                           {"quantile": tau, "reduction": reduction})
    for reduction in _REDUCTIONS:
        yield Case(f"extreme-{reduction}", _extreme(dtype, 1e30),
                   {"quantile": 0.25, "reduction": reduction})


def _tukey_cases(dtype) -> Iterator[Case]:
    for layout, x, y in _pairs(dtype, 12, scale=4.0):
        for reduction in _REDUCTIONS:
            for c in (4.685, 1.0):
                yield Case(f"{layout}-{reduction}-c{c}", (x, y), {"c": c, "reduction": reduction})
    big = 1e300 if dtype == np.float64 else 3e38
    for reduction in _REDUCTIONS:
        yield Case(f"extreme-{reduction}", _extreme(dtype, big), {"c": 2.0, "reduction": reduction})


_SALEH = Reference("R. A. Saleh, A. K. Md. E. Saleh",
                   "Statistical properties of the log-cosh loss function used in machine "
                   "learning", 2022, "arXiv preprint", arxiv="2208.04564")
_KOENKER = Reference("R. Koenker, G. Bassett", "Regression quantiles", 1978,
                     "Econometrica 46(1)", doi="10.2307/1913643")
_BEATON = Reference("A. E. Beaton, J. W. Tukey", "The fitting of power series, meaning "
                    "polynomials, illustrated on band-spectroscopic data", 1974,
                    "Technometrics 16(2)", doi="10.1080/00401706.1974.10489171")


def _log_cosh_properties() -> Properties:
    return Properties(
        convex=True, smooth=True, grad_lipschitz=1.0, grad_bound=1.0,
        minimiser="m-estimate", breakdown_point=0.5, proper=None,
        notes={"grad_lipschitz": "the second derivative sech(r)^2 is at most 1, at r = 0",
               "grad_bound": "the gradient tanh(r) tends to +-1"})


def _quantile_properties(quantile=0.5) -> Properties:
    tau = _check_quantile(quantile)
    return Properties(
        convex=True, smooth=False, grad_lipschitz=None, grad_bound=max(tau, 1 - tau),
        minimiser="quantile", breakdown_point=min(tau, 1 - tau), proper=None,
        notes={"breakdown_point": "outliers above move the estimate once they exceed a "
                                  "fraction 1 - tau, outliers below once they exceed tau"})


def _tukey_properties(c=4.685) -> Properties:
    c = _check_c(c)
    return Properties(
        convex=False, smooth=True, grad_lipschitz=1.0,
        grad_bound=c * 16 / (25 * math.sqrt(5)), minimiser="m-estimate",
        breakdown_point=None, proper=None,
        notes={"grad_lipschitz": "psi'(r) = (1 - u^2)(1 - 5u^2), u = r/c, lies in [-0.8, 1]",
               "grad_bound": "psi(r) = c u (1 - u^2)^2 peaks at u = 1/sqrt(5)",
               "breakdown_point": "not one number: with c fixed, outliers at one point "
                                  "take the global minimum past a fraction (1 - a)/(2 - a), "
                                  "a = mean rho(r_i)/rho(inf) over the clean residuals "
                                  "(Huber 1984): about 0.26 for c = 1, 0.47 for c = 4.685 "
                                  "on N(0, 1) data"})


log_cosh_loss = register(Loss(
    name="log_cosh_loss", title="Log-cosh", task="regression", page="losses/log-cosh.md",
    numpy=log_cosh_loss_numpy, grad=log_cosh_loss_grad, torch=log_cosh_loss_torch,
    builtin_path=None, cases=_log_cosh_cases, references=(_SALEH,),
    declare=_log_cosh_properties,
))

quantile_loss = register(Loss(
    name="quantile_loss", title="Quantile (pinball)", task="regression",
    page="losses/quantile.md", numpy=quantile_loss_numpy, grad=quantile_loss_grad,
    torch=quantile_loss_torch, builtin_path=None, cases=_quantile_cases,
    references=(_KOENKER,), declare=_quantile_properties,
))

tukey_biweight_loss = register(Loss(
    name="tukey_biweight_loss", title="Tukey's biweight", task="regression",
    page="losses/robust.md", numpy=tukey_biweight_loss_numpy, grad=tukey_biweight_loss_grad,
    torch=tukey_biweight_loss_torch, builtin_path=None, cases=_tukey_cases,
    references=(_BEATON,), declare=_tukey_properties,
))
