"""Argument checks shared by every loss and optimizer.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument and
says what was wrong, so a reader sees the cause and not an ``AttributeError`` or a
broadcasting error deep inside. The NumPy entry points take arrays and array-likes
(:func:`as_array`), the torch entry points take tensors (:func:`check_tensor`), and each
says which one to use when it gets the other.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

REDUCTIONS = ("none", "mean", "sum")

def quiet_ieee(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for the NumPy forward and gradient functions: NaN and inf propagate as
    IEEE arithmetic says (``inf - inf = nan``, ``exp(1000) = inf``) without a NumPy
    RuntimeWarning, as they do in torch."""
    @functools.wraps(func)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return func(*args, **kwargs)
    return quiet


def _type_name(x: Any) -> str:
    kind = type(x)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def check_real(value: Any, name: str) -> float:
    """A real number (a Python or NumPy scalar, not a bool); NaN is rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_type_name(value)}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got nan")
    return float(value)


def check_in_range(value: Any, name: str, low: float, high: float) -> float:
    """A real number in the closed interval ``[low, high]``."""
    value = check_real(value, name)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def check_nonnegative(value: Any, name: str) -> float:
    return check_in_range(value, name, 0.0, float("inf"))


def check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_int(value: Any, name: str) -> int:
    """A Python or NumPy integer (not a bool), as torch accepts for ``ignore_index``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_type_name(value)}")
    return int(value)


def check_not_empty(shape: Any, reduction: str, averaging: tuple[str, ...] = ("mean",)) -> None:
    """A reduction that averages (``mean``, ``batchmean``) is undefined over no element:
    torch returns nan, lossref says so."""
    if reduction in averaging and math.prod(shape) == 0:
        raise ValueError(f"reduction={reduction!r} is undefined for an empty input (torch "
                         "returns nan); use reduction='sum' or 'none'")


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
        denominator = values.numel() if is_tensor(values) else np.size(values)
    return total / denominator


def is_tensor(x: Any) -> bool:
    """True for a torch.Tensor (checked without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def is_float(x: Any) -> bool:
    """True for a floating-point NumPy array (or array-like) or tensor."""
    if is_tensor(x):
        return x.is_floating_point()
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def as_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a NumPy array, for the NumPy entry points: arrays, NumPy scalars and
    (nested) lists of numbers are accepted; None, strings, tensors and other objects are
    not.

    Examples:
        >>> as_array([1.0, 2.0], "input")
        array([1., 2.])
        >>> as_array(None, "target")
        Traceback (most recent call last):
        ...
        TypeError: target must be a NumPy array or array-like of numbers, got None
    """
    if isinstance(x, np.ndarray):
        return x
    if is_tensor(x):
        raise TypeError(f"{name} is a torch.Tensor: call the loss's .torch (or the record "
                        "itself, which dispatches on the argument type) for tensors")
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a NumPy array or array-like of numbers, got "
                        f"{'None' if x is None else _type_name(x)}")
    try:
        array = np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} is not a rectangular array: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a NumPy array or array-like of numbers, got "
                        f"{_type_name(x)} of dtype {array.dtype}")
    return array


def check_tensor(x: Any, name: str) -> Any:
    """``x`` unchanged if it is a tensor, for the torch entry points."""
    if is_tensor(x):
        return x
    hint = (" (use the loss's .numpy for NumPy arrays, or torch.from_numpy)"
            if isinstance(x, (np.ndarray, np.generic, list, tuple, numbers.Number)) else "")
    raise TypeError(f"{name} must be a torch.Tensor, got "
                    f"{'None' if x is None else _type_name(x)}{hint}")


def check_float(x: Any, name: str) -> Any:
    """A floating-point NumPy array or tensor, returned unchanged."""
    if not is_float(x):
        raise TypeError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x


def first_flagged(x: Any, flags: Any) -> float:
    """The first entry of ``x`` (in C order) where the boolean ``flags`` is true, as a
    float, for an error message; NumPy arrays and tensors alike.

    Examples:
        >>> first_flagged(np.array([0.5, -1.0, 2.0]), np.array([False, True, True]))
        -1.0
    """
    return float(x.reshape(-1)[flags.reshape(-1).nonzero()[0][0]])


def check_weight(weight: Any, name: str = "weight") -> Any:
    """Weights are finite and non-negative: a negative weight rewards a loss, a NaN or
    infinite one poisons every reduced value. torch computes with any weight (a class
    weight that makes the mean's denominator 0 gives nan); lossref says what is wrong."""
    check_float(weight, name)
    bad = ~((weight >= 0) & (weight < math.inf))
    if bool(bad.any()):
        first = int(bad.reshape(-1).nonzero()[0][0])  # NumPy and torch alike
        value = float(weight.reshape(-1)[first])
        index = np.unravel_index(first, tuple(weight.shape)) if weight.ndim > 1 else first
        where = f" at index {tuple(map(int, index)) if weight.ndim > 1 else index}"
        raise ValueError(f"{name} must be finite and non-negative, got {value}"
                         f"{where if weight.ndim else ''}")
    return weight


def broadcast_shape(**arrays: Any) -> tuple[int, ...]:
    """The common broadcast shape of named arrays or tensors, or a ValueError naming them.

    Examples:
        >>> broadcast_shape(input=np.zeros((3, 1)), target=np.zeros(4))
        (3, 4)
    """
    shapes = {name: tuple(a.shape) for name, a in arrays.items()}
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        described = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"shapes do not broadcast: {described}") from None


def _outside_lossref() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside lossref."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "lossref":
        frame, level = frame.f_back, level + 1
    return level


def warn_if_target_size_differs(input: Any, target: Any) -> None:
    """torch's warning, word for word, where torch gives it: the target's shape differs
    from the input's, so broadcasting pairs elements that were not meant to meet
    (``(N, 1)`` against ``(N,)`` gives ``N * N`` pairs, not ``N``)."""
    if tuple(input.shape) == tuple(target.shape):
        return
    size = (lambda a: a.size()) if is_tensor(input) else (lambda a: tuple(a.shape))
    warnings.warn(
        f"Using a target size ({size(target)}) that is different to the input size "
        f"({size(input)}). This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.",
        UserWarning, stacklevel=_outside_lossref())
