"""Argument checks shared by every loss and optimizer.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument and
says what was wrong, so a reader sees the cause and not a broadcasting error deep inside.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def check_in_range(value: Any, name: str, low: float, high: float) -> float:
    """A real number in the closed interval ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return float(value)


def check_nonnegative(value: Any, name: str) -> float:
    return check_in_range(value, name, 0.0, float("inf"))


def reduce(values: Any, reduction: str, denominator: Any = None) -> Any:
    """Apply ``reduction`` to per-element losses (a NumPy array or a tensor); ``mean``
    divides by ``denominator``, the number of elements when None. The denominator must
    not promote the dtype: pass a Python number or a value of the same dtype."""
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if denominator is None:
        denominator = values.size if isinstance(values, np.ndarray) else values.numel()
    return total / denominator


def is_tensor(x: Any) -> bool:
    """True for a torch.Tensor (checked without importing torch)."""
    return type(x).__module__.startswith("torch")


def is_float(x: Any) -> bool:
    """True for a floating-point NumPy array (or array-like) or tensor."""
    if is_tensor(x):
        return x.is_floating_point()
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def check_float(x: Any, name: str) -> Any:
    """A floating-point NumPy array or tensor, returned unchanged."""
    if not is_float(x):
        raise TypeError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x


def broadcast_shape(**arrays: Any) -> tuple[int, ...]:
    """The common broadcast shape of named arrays or tensors, or a ValueError naming them.

    >>> broadcast_shape(input=np.zeros((3, 1)), target=np.zeros(4))
    (3, 4)
    """
    shapes = {name: tuple(a.shape) for name, a in arrays.items()}
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        described = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"shapes do not broadcast: {described}") from None
