"""Shared plumbing for element-wise losses ``loss(input, target)`` (regression losses).

Every such loss computes one value per element of the broadcast of ``input`` and
``target``, optionally multiplies it by a ``weight`` of ``input``'s shape, and reduces.
This module holds the parts they share, for NumPy arrays and torch tensors alike:

- :func:`prepare_numpy` / :func:`prepare_torch`: argument checks with clear messages;
  they return the arrays and the broadcast shape, and warn as torch does when the target's
  shape differs from the input's (broadcasting then pairs elements that were not meant to
  meet).
- :func:`weighted_reduce`: the reduction, with the two conventions torch uses for ``mean``
  when there is a weight (divide by the summed weight, or by the number of elements).
- :func:`grad_scale`: the factor that turns the derivative of one element's loss into the
  derivative of the reduced loss.
- :func:`unbroadcast`: sums a gradient of the broadcast shape back to an argument's shape.

A gradient is then ``unbroadcast(dloss * grad_scale(...), input.shape)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lossref._checks import (
    as_array,
    broadcast_shape,
    check_float,
    check_not_empty,
    check_reduction,
    check_tensor,
    check_weight,
    reduce,
    warn_if_target_size_differs,
)

__all__ = ["grad_scale", "prepare_numpy", "prepare_torch", "unbroadcast", "weighted_reduce"]

MEAN_BY_WEIGHT = "weight"  # mean = sum(w * l) / sum(w)        (torch mse_loss, l1_loss)
MEAN_BY_COUNT = "count"    # mean = sum(w * l) / number of elements   (torch huber_loss)


def _check(input: Any, target: Any, reduction: str, weight: Any,
           names: tuple[str, str], warn_broadcast: bool) -> tuple[int, ...]:
    check_reduction(reduction)
    input_name, target_name = names
    check_float(input, input_name)
    check_float(target, target_name)
    if target.dtype != input.dtype:
        raise TypeError(
            f"{target_name} dtype {target.dtype} differs from {input_name} dtype {input.dtype}"
        )
    shape = broadcast_shape(**{input_name: input, target_name: target})
    if warn_broadcast:
        warn_if_target_size_differs(input, target)
    if weight is not None:
        check_weight(weight)
        if weight.dtype != input.dtype:
            raise TypeError(f"weight dtype {weight.dtype} differs from {input_name} dtype "
                            f"{input.dtype}")
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(
                f"weight must have the shape of {input_name} {tuple(input.shape)}, "
                f"got {tuple(weight.shape)}"
            )
    check_not_empty(shape, reduction)
    return shape


def prepare_numpy(input: Any, target: Any, reduction: str, weight: Any = None, *,
                  names: tuple[str, str] = ("input", "target"), warn_broadcast: bool = True):
    """Check the arguments of a NumPy element-wise loss.

    Returns ``(input, target, weight, shape)``: NumPy arrays (weight may be None) and the
    broadcast shape. ``names`` are the argument names used in error messages. With
    ``warn_broadcast``, a target whose shape differs from the input's gets torch's
    ``UserWarning`` (torch's ``mse_loss``, ``l1_loss``, ``smooth_l1_loss`` and
    ``huber_loss`` warn; its ``poisson_nll_loss`` and ``gaussian_nll_loss`` do not).

    Examples:
        >>> prepare_numpy(np.zeros(4), np.zeros(4), "mean")[3]
        (4,)
    """
    input, target = as_array(input, names[0]), as_array(target, names[1])
    weight = None if weight is None else as_array(weight, "weight")
    shape = _check(input, target, reduction, weight, names, warn_broadcast)
    return input, target, weight, shape


def prepare_torch(input: Any, target: Any, reduction: str, weight: Any = None, *,
                  names: tuple[str, str] = ("input", "target"), warn_broadcast: bool = True):
    """Check the arguments of a torch element-wise loss; same return as :func:`prepare_numpy`."""
    for name, x in zip((*names, "weight"), (input, target, weight)):
        if x is not None or name != "weight":
            check_tensor(x, name)
    shape = _check(input, target, reduction, weight, names, warn_broadcast)
    return input, target, weight, shape


def _denominator(shape: tuple[int, ...], weight: Any, mean_by: str) -> Any:
    """What ``mean`` divides by: ``weight.sum()`` or the number of elements."""
    if weight is not None and mean_by == MEAN_BY_WEIGHT:
        total = weight.sum()
        if not bool(total != 0):
            raise ValueError("reduction='mean' with weights that sum to 0 is undefined "
                             "(torch returns nan or inf); use reduction='sum'")
        return total
    return math.prod(shape)


def weighted_reduce(per_element: Any, reduction: str, weight: Any = None,
                    mean_by: str = MEAN_BY_WEIGHT) -> Any:
    """Multiply by ``weight`` (if any) and reduce; arrays or tensors.

    ``mean`` divides by ``weight.sum()`` when ``mean_by="weight"`` (torch's ``mse_loss`` and
    ``l1_loss``), by the number of elements when ``mean_by="count"`` (``huber_loss``).

    Examples:
        >>> weighted_reduce(np.array([1.0, 3.0]), "mean", np.array([1.0, 3.0]))  # (1 + 9) / 4
        np.float64(2.5)
        >>> weighted_reduce(np.array([1.0, 3.0]), "mean", np.array([1.0, 3.0]), mean_by="count")
        np.float64(5.0)
    """
    if weight is not None:
        per_element = per_element * weight
    denominator = (_denominator(tuple(per_element.shape), weight, mean_by)
                   if reduction == "mean" else None)
    return reduce(per_element, reduction, denominator)


def grad_scale(shape: tuple[int, ...], reduction: str, weight: Any = None,
               mean_by: str = MEAN_BY_WEIGHT, dtype: Any = np.float64) -> Any:
    """d(reduced loss) / d(per-element loss), of the broadcast shape or a scalar.

    It is ``weight`` (or 1) for ``sum`` and ``none`` (the gradient of the sum), divided by
    the same denominator as :func:`weighted_reduce` for ``mean``.
    """
    scale = np.ones((), dtype) if weight is None else weight
    if reduction == "mean":
        scale = scale / np.asarray(_denominator(shape, weight, mean_by), dtype)
    return scale


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` (a NumPy array) over the axes that broadcasting added or stretched, so
    that it has ``shape``: the chain rule for an argument that was broadcast.

    Examples:
        >>> unbroadcast(np.ones((5, 6)), (5, 1)).ravel()
        array([6., 6., 6., 6., 6.])
        >>> unbroadcast(np.ones((2, 3)), ()).item()
        6.0
    """
    grad = np.asarray(grad)
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return np.broadcast_to(grad, shape).copy() if grad.shape != tuple(shape) else grad
