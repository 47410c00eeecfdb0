"""Negative log-likelihood losses for regression: Poisson (counts) and Gaussian (with a
predicted variance), with torch's semantics.

``input`` and ``target`` broadcast as in torch. ``mean`` divides by the number of elements
of the per-element loss. Gradients are those of torch's autograd, including at the clamps:
``poisson_nll_loss`` adds ``eps`` inside the log, ``gaussian_nll_loss`` clamps the variance
at ``eps`` in the forward pass only and lets the gradient through as if unclamped.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from lossref._checks import (
    as_array,
    broadcast_shape,
    check_flag,
    check_float,
    check_real,
    is_tensor,
    quiet_ieee,
)
from lossref.losses._elementwise import (
    grad_scale,
    prepare_numpy,
    prepare_torch,
    unbroadcast,
    weighted_reduce,
)
from lossref.properties import Properties
from lossref.registry import Case, Loss, Reference, register

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _check_eps(eps: Any) -> float:
    eps = check_real(eps, "eps")
    if not (eps >= 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a non-negative finite number, got {eps}")
    return float(eps)


# ---------------------------------------------------------------- poisson_nll_loss


def _check_poisson(input, target, log_input, full, eps, reduction, prepare):
    log_input, full = check_flag(log_input, "log_input"), check_flag(full, "full")
    eps = _check_eps(eps)
    # torch's poisson_nll_loss does not warn about a target of another shape
    input, target, _, shape = prepare(input, target, reduction, warn_broadcast=False)
    if bool((target < 0).any()):
        raise ValueError("target holds counts and must be non-negative, got a negative entry "
                         f"(min {float(target.min()):.6g}); torch does not check this")
    if not log_input and bool((input < 0).any()):
        raise ValueError("input is a rate when log_input=False and must be non-negative, got "
                         f"a negative entry (min {float(input.min()):.6g}); pass log-rates "
                         "with log_input=True instead")
    return input, target, log_input, full, eps, shape


# --8<-- [start:poisson_nll_loss_numpy]
def _stirling_numpy(target):
    """``t log t - t + 1/2 log(2 pi t)`` where ``t > 1``, 0 elsewhere (like torch)."""
    t = np.where(target > 1, target, 1)  # a safe value where the term is masked out
    term = t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t)
    return np.where(target > 1, term, 0)


@quiet_ieee
def poisson_nll_loss_numpy(input, target, log_input=True, full=False, eps=1e-8,
                           reduction="mean"):
    """Poisson negative log-likelihood of counts ``target`` under rate ``exp(input)``
    (``log_input=True``) or rate ``input`` (``log_input=False``), up to ``log(target!)``:
    ``exp(input) - target * input`` or ``input - target * log(input + eps)``.
    ``full=True`` adds Stirling's approximation of ``log(target!)`` where ``target > 1``.

    Examples:
        >>> poisson_nll_loss_numpy(np.log(np.array([2.0, 2.0])), np.array([0.0, 3.0]),
        ...                        reduction="none")
        array([ 2.        , -0.07944154])
    """
    input, target, log_input, full, eps, _ = _check_poisson(
        input, target, log_input, full, eps, reduction, prepare_numpy)
    if log_input:
        loss = np.exp(input) - target * input
    else:
        loss = input - target * np.log(input + eps)
    if full:
        loss = loss + _stirling_numpy(target)
    return weighted_reduce(loss, reduction)
# --8<-- [end:poisson_nll_loss_numpy]


# --8<-- [start:poisson_nll_loss_grad]
@quiet_ieee
def poisson_nll_loss_grad(input, target, log_input=True, full=False, eps=1e-8,
                          reduction="mean"):
    """Gradient of :func:`poisson_nll_loss_numpy` with respect to ``input``:
    ``exp(input) - target`` (log-rates) or ``1 - target / (input + eps)`` (rates),
    divided by the number of elements for ``mean``. ``full`` does not change it.

    Examples:
        >>> poisson_nll_loss_grad(np.log(np.array([2.0, 2.0])), np.array([0.0, 3.0]),
        ...                       reduction="sum")
        (array([ 2., -1.]),)
    """
    input, target, log_input, full, eps, shape = _check_poisson(
        input, target, log_input, full, eps, reduction, prepare_numpy)
    if log_input:
        d = np.exp(input) - target
    else:
        d = 1 - target / (input + eps)
    scale = grad_scale(shape, reduction, dtype=input.dtype)
    return (unbroadcast(d * scale, input.shape),)
# --8<-- [end:poisson_nll_loss_grad]


# --8<-- [start:poisson_nll_loss_torch]
def _stirling_torch(target):
    t = torch.where(target > 1, target, 1)
    term = t * torch.log(t) - t + 0.5 * torch.log(2 * math.pi * t)
    return torch.where(target > 1, term, 0)


def poisson_nll_loss_torch(input, target, log_input=True, full=False, eps=1e-8,
                           reduction="mean"):
    """:func:`torch.nn.functional.poisson_nll_loss` from elementary tensor operations."""
    input, target, log_input, full, eps, _ = _check_poisson(
        input, target, log_input, full, eps, reduction, prepare_torch)
    if log_input:
        loss = torch.exp(input) - target * input
    else:
        loss = input - target * torch.log(input + eps)
    if full:
        loss = loss + _stirling_torch(target)
    return weighted_reduce(loss, reduction)
# --8<-- [end:poisson_nll_loss_torch]


# ---------------------------------------------------------------- gaussian_nll_loss


def _var_layout(input_shape: tuple[int, ...], var_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape ``var`` takes in the formula, following torch's rules: the shape of
    ``input``; ``input``'s shape without its last dimension (a trailing 1 is added); or
    ``input``'s shape with exactly one dimension of size 1 (one variance shared along it)."""
    if var_shape == input_shape:
        return var_shape
    if var_shape == input_shape[:-1]:
        return var_shape + (1,)
    if len(var_shape) == len(input_shape):
        mismatched = [v for i, v in zip(input_shape, var_shape) if i != v]
        if sum(mismatched) == 1:
            return var_shape
    raise ValueError(
        f"var of shape {var_shape} does not fit input of shape {input_shape}: it must have "
        f"input's shape, input's shape without the last dimension {input_shape[:-1]}, or "
        "input's shape with one dimension of size 1"
    )


def _check_gaussian(input, target, var, full, eps, reduction, prepare):
    """Checks; returns input, target, var reshaped to its layout, and the loss shape."""
    full = check_flag(full, "full")
    eps = _check_eps(eps)
    # torch's gaussian_nll_loss does not warn about a target of another shape
    input, target, _, _ = prepare(input, target, reduction, warn_broadcast=False)
    if isinstance(var, float):  # a Python float: one variance for every element, like torch
        if var < 0:
            raise ValueError(f"var must be non-negative, got {var}")
        var = (torch.full_like(input, var) if is_tensor(input)
               else np.full_like(input, var))
    else:
        if not is_tensor(input):
            var = as_array(var, "var")
        elif not is_tensor(var):
            raise TypeError(f"var must be a torch.Tensor or a float, got {type(var).__name__}")
        check_float(var, "var")
        if bool((var < 0).any()):
            raise ValueError("var must be non-negative, got a negative entry "
                             f"(min {float(var.min()):.6g}); zero entries are clamped to eps")
        var = var.reshape(_var_layout(tuple(input.shape), tuple(var.shape)))
    shape = broadcast_shape(input=input, target=target, var=var)
    return input, target, var, full, eps, shape


# --8<-- [start:gaussian_nll_loss_numpy]
@quiet_ieee
def gaussian_nll_loss_numpy(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood of ``target`` under mean ``input`` and variance
    ``var``: ``1/2 (log v + (input - target)^2 / v)`` with ``v = max(var, eps)``;
    ``full=True`` adds ``1/2 log(2 pi)``.

    Examples:
        >>> gaussian_nll_loss_numpy(np.array([0.0, 0.0]), np.array([1.0, 3.0]),
        ...                         np.array([1.0, 4.0]), reduction="none")
        array([0.5       , 1.81814718])
    """
    input, target, var, full, eps, _ = _check_gaussian(
        input, target, var, full, eps, reduction, prepare_numpy)
    v = np.maximum(var, eps)
    loss = 0.5 * (np.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + HALF_LOG_2PI
    return weighted_reduce(loss, reduction)
# --8<-- [end:gaussian_nll_loss_numpy]


# --8<-- [start:gaussian_nll_loss_grad]
@quiet_ieee
def gaussian_nll_loss_grad(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gradients of :func:`gaussian_nll_loss_numpy` with respect to ``input`` and ``var``:
    ``(input - target) / v`` and ``1/2 (1/v - (input - target)^2 / v^2)`` with
    ``v = max(var, eps)``. Like torch, the clamp is not differentiated: where ``var < eps``
    the gradient is the formula at ``v = eps``, not 0. A float ``var`` gets the summed
    gradient as a 0-d array.

    Examples:
        >>> gaussian_nll_loss_grad(np.array([0.0, 0.0]), np.array([1.0, 3.0]),
        ...                        np.array([1.0, 4.0]), reduction="sum")
        (array([-1.  , -0.75]), array([ 0.     , -0.15625]))
    """
    scalar_var = isinstance(var, float)
    var_shape = np.shape(var if scalar_var else as_array(var, "var"))
    input, target, var, full, eps, shape = _check_gaussian(
        input, target, var, full, eps, reduction, prepare_numpy)
    v = np.maximum(var, eps)
    scale = grad_scale(shape, reduction, dtype=input.dtype)
    z = input - target
    z /= v                                       # (input - target) / v
    d_input = unbroadcast(z * scale, input.shape)
    z *= -z
    z += 1 / v                                   # 1 / v - r^2 / v^2, in place
    d_var = unbroadcast(z * (0.5 * scale), var.shape)
    return d_input, (d_var.sum() if scalar_var else d_var).reshape(var_shape)
# --8<-- [end:gaussian_nll_loss_grad]


# --8<-- [start:gaussian_nll_loss_torch]
def gaussian_nll_loss_torch(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """:func:`torch.nn.functional.gaussian_nll_loss` from elementary tensor operations."""
    input, target, var, full, eps, _ = _check_gaussian(
        input, target, var, full, eps, reduction, prepare_torch)
    # clamp a copy in place without recording it: the forward uses max(var, eps), the
    # backward treats the clamp as the identity (torch's own choice)
    v = var.clone()
    with torch.no_grad():
        v.clamp_(min=eps)
    loss = 0.5 * (torch.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + HALF_LOG_2PI
    return weighted_reduce(loss, reduction)
# --8<-- [end:gaussian_nll_loss_torch]


# ---------------------------------------------------------------- parity cases

_REDUCTIONS = ("none", "mean", "sum")


def _poisson_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(20)
    shapes = {"same": ((4, 5), (4, 5)), "bcast": ((4, 1), (3, 1, 6))}
    for layout, (s_in, s_t) in shapes.items():
        log_rate = rng.uniform(-2, 2.5, s_in).astype(dtype)
        counts = rng.poisson(np.exp(rng.uniform(-1, 2.5, s_t))).astype(dtype)
        counts.reshape(-1)[:3] = (0, 1, 1.5)  # around the Stirling threshold t > 1
        for reduction in _REDUCTIONS:
            for full in (False, True):
                yield Case(f"{layout}-log-{reduction}-full{full}", (log_rate, counts),
                           {"log_input": True, "full": full, "reduction": reduction})
                for eps in (1e-8, 0.5):
                    yield Case(f"{layout}-rate-{reduction}-full{full}-eps{eps}",
                               (np.exp(log_rate), counts),
                               {"log_input": False, "full": full, "eps": eps, "reduction": reduction})
    # magnitudes: log-rates up to 80 (float64) / 40 (float32), rates 1e-8 ... 1e8, big counts
    top = 80.0 if dtype == np.float64 else 40.0
    log_rate = np.array([-18.0, -5.0, 0.0, 5.0, 18.0, top], dtype)
    rate = np.array([0.0, 1e-8, 1e-3, 1.0, 1e4, 1e8], dtype)
    counts = np.array([0.0, 1.0, 2.0, 1e3, 1e6, 1e8], dtype)
    for reduction in _REDUCTIONS:
        for full in (False, True):
            yield Case(f"extreme-log-{reduction}-full{full}", (log_rate, counts),
                       {"log_input": True, "full": full, "reduction": reduction})
            yield Case(f"extreme-rate-{reduction}-full{full}", (rate, counts),
                       {"log_input": False, "full": full, "reduction": reduction})


def _gaussian_cases(dtype) -> Iterator[Case]:
    rng = np.random.default_rng(21)
    shape = (4, 3)
    layouts = {"same": shape, "last1": (4, 1), "short": (4,), "one1": (1, 3)}
    for name, var_shape in layouts.items():
        mean = rng.standard_normal(shape).astype(dtype)
        target = (mean + rng.standard_normal(shape)).astype(dtype)
        var = rng.uniform(0.2, 3.0, var_shape).astype(dtype)
        for reduction in _REDUCTIONS:
            for full in (False, True):
                yield Case(f"{name}-{reduction}-full{full}", (mean, target, var),
                           {"full": full, "reduction": reduction})
    # target broadcast against input, as torch allows
    mean = rng.standard_normal((3,)).astype(dtype)
    yield Case("bcast-target", (mean, rng.standard_normal((2, 3)).astype(dtype),
                                rng.uniform(0.5, 2, (3,)).astype(dtype)), {"reduction": "sum"})
    # the eps clamp: zero, tiny and huge variances, and a larger eps
    mean = np.array([0.0, 1.0, -2.0, 1e4, 1e-8, 3.0], dtype)
    target = np.array([1.0, 1.0, 2.0, -1e4, 0.0, 3.5], dtype)
    var = np.array([0.0, 1e-9, 1e-6, 1e8, 1e-8, 0.3], dtype)
    for reduction in _REDUCTIONS:
        for eps in (1e-6, 0.1):
            yield Case(f"clamp-{reduction}-eps{eps}", (mean, target, var),
                       {"full": True, "eps": eps, "reduction": reduction})


_NELDER = Reference("J. A. Nelder, R. W. M. Wedderburn", "Generalized linear models", 1972,
                    "Journal of the Royal Statistical Society A 135(3)", doi="10.2307/2344614")
_NIX = Reference("D. A. Nix, A. S. Weigend", "Estimating the mean and variance of the target "
                 "probability distribution", 1994, "IEEE ICNN'94",
                 doi="10.1109/ICNN.1994.374138")
_KENDALL = Reference("A. Kendall, Y. Gal", "What uncertainties do we need in Bayesian deep "
                     "learning for computer vision?", 2017, "NeurIPS", arxiv="1703.04977")

def _poisson_properties(log_input=True, full=False, eps=1e-8) -> Properties:
    log_input = check_flag(log_input, "log_input")
    check_flag(full, "full")
    _check_eps(eps)
    return Properties(
        convex=True, smooth=True, grad_lipschitz=None, grad_bound=None, minimiser="mean",
        breakdown_point=0.0, proper=None, link="log" if log_input else "identity",
        offset=0.0 if log_input else -eps,
        notes={"grad_lipschitz": ("the second derivative exp(x) is unbounded" if log_input
                                  else "the second derivative y / (x + eps)^2 is unbounded"),
               "minimiser": ("exp(c) = E[Y]: the log of the mean" if log_input
                             else "c + eps = E[Y]: the mean, up to eps")})


def _gaussian_properties(full=False, eps=1e-6) -> Properties:
    check_flag(full, "full")
    _check_eps(eps)
    return Properties(
        convex=False, smooth=True, grad_lipschitz=None, grad_bound=None, minimiser="mean",
        breakdown_point=0.0, proper=None,
        notes={"convex": "convex in the mean for a fixed variance, not in the variance: "
                         "d2/dv2 = -1/(2v^2) + r^2/v^3 < 0 for v > 2 r^2",
               "smooth": "on variances above eps (below, the clamp makes the loss flat)",
               "minimiser": "of the mean, for a fixed variance"})


poisson_nll_loss = register(Loss(
    name="poisson_nll_loss", title="Poisson negative log-likelihood", task="regression",
    page="losses/poisson-nll.md", numpy=poisson_nll_loss_numpy, grad=poisson_nll_loss_grad,
    torch=poisson_nll_loss_torch, builtin_path="torch.nn.functional:poisson_nll_loss",
    cases=_poisson_cases, references=(_NELDER,), declare=_poisson_properties,
))

gaussian_nll_loss = register(Loss(
    name="gaussian_nll_loss", title="Gaussian negative log-likelihood", task="regression",
    page="losses/gaussian-nll.md", numpy=gaussian_nll_loss_numpy, grad=gaussian_nll_loss_grad,
    torch=gaussian_nll_loss_torch, builtin_path="torch.nn.functional:gaussian_nll_loss",
    cases=_gaussian_cases, wrt=(0, 2), references=(_NIX, _KENDALL),
    declare=_gaussian_properties,
))
