"""The logistic sigmoid and softplus, stable for every real argument.

``softplus(z) = log(1 + exp(z))`` overflows as written for ``z > 709`` and loses every digit
of a tiny result (``log(1 + 1e-30)`` rounds to 0). Written as ``max(z, 0) + log1p(exp(-|z|))``
the exponential never overflows and ``log1p`` keeps full relative precision, so
``softplus(-67) = 7.98e-30`` is exact to the last bit. ``sigmoid(z) = exp(-softplus(-z))``
has the same range. These are the building blocks of the binary losses (binary
cross-entropy with logits, the soft margins) and of the Jensen–Shannon divergence.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["sigmoid_numpy", "sigmoid_torch", "softplus_numpy", "softplus_torch"]


# --8<-- [start:softplus_numpy]
def softplus_numpy(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` without overflow and with full relative precision.

    Examples:
        >>> softplus_numpy(np.array([-67.0, 0.0, 1000.0]))
        array([7.98490425e-30, 6.93147181e-01, 1.00000000e+03])
    """
    out = np.abs(z)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0)
    return out


def sigmoid_numpy(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, as ``exp(-softplus(-z))``: no overflow, and tiny values
    (``sigmoid(-800) = 3.7e-348`` underflows to 0, ``sigmoid(-700) = 9.9e-305``) keep
    their relative precision."""
    out = softplus_numpy(-z)
    np.negative(out, out=out)
    np.exp(out, out=out)
    return out
# --8<-- [end:softplus_numpy]


# --8<-- [start:softplus_torch]
def softplus_torch(z: torch.Tensor) -> torch.Tensor:
    """``log(1 + exp(z))`` from ``logaddexp(z, 0)``, whose autograd derivative is
    ``sigmoid(z)`` everywhere, 1/2 at 0 included (``max(z, 0) + log1p(exp(-|z|))`` would
    give 1 there: torch differentiates ``max`` and ``abs`` at 0 as 1 and 0).
    ``torch.nn.functional.softplus`` is not used: it returns ``z`` itself above
    ``z = 20``, a relative error of 1e-10."""
    return torch.logaddexp(z, z.new_zeros(()))


def sigmoid_torch(z: torch.Tensor) -> torch.Tensor:
    """``exp(-softplus(-z))``."""
    return torch.exp(-softplus_torch(-z))
# --8<-- [end:softplus_torch]
