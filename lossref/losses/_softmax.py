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

__all__ = ["exp_shifted_numpy", "exp_shifted_torch", "log_softmax_numpy", "log_softmax_torch",
           "softmax_numpy", "softmax_torch"]


# --8<-- [start:log_softmax_numpy]
def exp_shifted_numpy(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(m, e, rest)`` for ``rows`` (R, C): ``m``, the row maximum, taken at one
    ``argmax`` position; ``e = exp(rows - m)``, which is 1 there; and ``rest``, the sum
    of ``e`` over every other entry. Then ``softmax = e / (1 + rest)`` and
    ``log_softmax = (rows - m) - log1p(rest)``; ``m`` and ``rest`` have shape (R, 1).
    """
    i, top = np.arange(len(rows)), np.argmax(rows, axis=1)
    m = rows[i, top][:, None]
    e = np.exp(rows - m)
    e[i, top] = 0.0  # leave the maximum itself out: 1 + rest
    rest = e.sum(axis=1, keepdims=True)
    e[i, top] = 1.0
    # m - m is 0, or nan where the row holds +inf, nan or only -inf: the row is then nan,
    # as in torch (exp(inf - inf) is in its sum)
    return m, e, rest + (m - m)


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
    rows = x.reshape(-1, x.shape[-1])
    m, e, rest = exp_shifted_numpy(rows)
    out = np.subtract(rows, m, out=e)  # e is spent: its memory holds the result
    out -= np.log1p(rest)
    return np.moveaxis(out.reshape(x.shape), -1, axis)
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
def exp_shifted_torch(x: torch.Tensor, dim: int = -1):
    """:func:`exp_shifted_numpy` from elementary tensor ops, along ``dim``.

    The maximum is taken with ``gather`` at one ``argmax`` position rather than ``amax``,
    so autograd sends the maximum's gradient to that one position, exactly matching
    the ``1 + rest`` split; ``amax`` would share it among ties and get it wrong.
    """
    top = x.argmax(dim=dim, keepdim=True)
    m = x.gather(dim, top)
    e = (x - m).exp()
    rest = e.scatter(dim, top, 0.0).sum(dim=dim, keepdim=True)  # the maximum left out
    return m, e, rest + (m - m)  # m - m: nan for rows like [inf, 0]


def log_softmax_torch(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Log-softmax along ``dim`` from elementary tensor ops, same algorithm as NumPy's."""
    m, _, rest = exp_shifted_torch(x, dim)
    return (x - m) - torch.log1p(rest)
# --8<-- [end:log_softmax_torch]


def softmax_torch(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim``: ``exp(log_softmax(x))``."""
    return log_softmax_torch(x, dim).exp()
