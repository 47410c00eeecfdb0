"""Softmax and log-softmax, accurate to the last bit where the result is tiny.

The usual stable form subtracts the row maximum ``m``:
``log_softmax(x)_c = x_c - m - log(sum_k exp(x_k - m))``. The sum is ``1 + r`` where ``r``
is the sum over every entry but one position holding the maximum, so we compute
``log(1 + r)`` as ``log1p(r)``. When a row is dominated by its maximum, ``r`` is tiny and
``-log_softmax`` at the maximum is ``log1p(r) ~ r`` to full relative precision, where
``log(sum)`` would round to 0.
"""

from __future__ import annotations

import numpy as np
import torch

from lossref._checks import quiet_ieee

__all__ = ["log_softmax_numpy", "softmax_numpy", "log_softmax_torch", "softmax_torch"]


# --8<-- [start:log_softmax_numpy]
@quiet_ieee
def log_softmax_numpy(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-softmax along ``axis``; finite for any finite ``x`` (up to ±1e300 in float64).

    Examples:
        >>> log_softmax_numpy(np.array([0.0, 0.0]))
        array([-0.69314718, -0.69314718])
        >>> f"{-log_softmax_numpy(np.array([80.0, 0.0, 0.0]))[0]:.12e}"  # 2 e^-80, not 0
        '3.609702775691e-35'
    """
    x = np.moveaxis(np.asarray(x), axis, -1)
    top = np.argmax(x, axis=-1)[..., None]
    m = np.take_along_axis(x, top, axis=-1)
    shifted = x - m
    rest = np.exp(shifted)
    np.put_along_axis(rest, top, 0.0, axis=-1)  # leave the maximum itself out: 1 + rest
    # m - m is 0, or nan where the row holds +inf, nan or only -inf: the row is then nan,
    # as in torch (exp(inf - inf) is in its sum)
    out = shifted - (np.log1p(rest.sum(axis=-1, keepdims=True)) + (m - m))
    return np.moveaxis(out, -1, axis)
# --8<-- [end:log_softmax_numpy]


@quiet_ieee
def softmax_numpy(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(log_softmax(x))``; rows sum to 1.

    Examples:
        >>> softmax_numpy(np.array([10.0, 8.0, 6.0])).round(4)
        array([0.8668, 0.1173, 0.0159])
    """
    return np.exp(log_softmax_numpy(x, axis))


# --8<-- [start:log_softmax_torch]
def log_softmax_torch(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Log-softmax along ``dim`` from elementary tensor ops, same algorithm as NumPy's.

    The maximum is taken with ``gather`` at one ``argmax`` position rather than ``amax``,
    so autograd sends the maximum's gradient to that one position, exactly matching
    the ``1 + rest`` split; ``amax`` would share it among ties and get it wrong.
    """
    top = x.argmax(dim=dim, keepdim=True)
    m = x.gather(dim, top)
    shifted = x - m
    keep = torch.ones_like(x).scatter(dim, top, 0.0)
    rest = (shifted.exp() * keep).sum(dim=dim, keepdim=True)
    return shifted - (torch.log1p(rest) + (m - m))  # m - m: nan for rows like [inf, 0]
# --8<-- [end:log_softmax_torch]


def softmax_torch(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim``: ``exp(log_softmax(x))``."""
    return log_softmax_torch(x, dim).exp()
