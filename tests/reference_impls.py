"""Plain-loop oracles for losses that torch does not have.

``REFERENCE_IMPLS[name]`` takes the same arguments as ``LOSSES[name].numpy`` and computes
the loss by a direct Python loop over the formula on the page, with no vectorization and
no shared code with the package, so a mistake in the package cannot hide in both.

Each oracle works in Python floats (double precision, or mpmath where the formula needs
more range or digits), broadcasts ``input`` and ``target`` by NumPy's rules only to pair
the elements up, and returns an array of the input's dtype (a 0-d array for ``mean`` and
``sum``), so the parity tests can compare shapes and dtypes too.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from reference_common import finish as _finish


def _pairs(input, target):
    """The broadcast shape and the (input, target) pairs as Python floats, in C order."""
    a, b = np.broadcast_arrays(np.asarray(input), np.asarray(target))
    return a.shape, [(float(a[i]), float(b[i])) for i in np.ndindex(a.shape)]


def log_cosh_loss(input, target, reduction="mean"):
    """``log(cosh(x))`` for ``x = input - target`` in mpmath arithmetic (its exponent range
    is unbounded, so ``cosh(1e300)`` does not overflow). ``cosh(x) = 1 + x^2/2 + ...``, so
    for small ``|x|`` the precision grows until ``x^2/2`` keeps 40 digits of its own."""
    shape, pairs = _pairs(input, target)
    values = []
    for x, y in pairs:
        x = mpmath.mpf(x) - mpmath.mpf(y)
        if not mpmath.isfinite(x):  # log cosh(±inf) = inf; nan stays nan
            values.append(math.nan if mpmath.isnan(x) else math.inf)
            continue
        tiny = -int(mpmath.floor(mpmath.log10(abs(x)))) if x else 0
        with mpmath.workdps(40 + 2 * max(0, tiny)):
            values.append(float(mpmath.log(mpmath.cosh(x))))
    return _finish(values, shape, reduction, np.asarray(input).dtype)


def quantile_loss(input, target, quantile=0.5, reduction="mean"):
    """Pinball loss ``max(tau * u, (tau - 1) * u)`` with ``u = target - input``."""
    shape, pairs = _pairs(input, target)
    values = []
    for x, y in pairs:
        u = y - x
        values.append(max(quantile * u, (quantile - 1.0) * u))
    return _finish(values, shape, reduction, np.asarray(input).dtype)


def tukey_biweight_loss(input, target, c=4.685, reduction="mean"):
    """Tukey's biweight ``c^2/6 * (1 - (1 - (r/c)^2)^3)`` for ``|r| <= c``, else ``c^2/6``."""
    shape, pairs = _pairs(input, target)
    values = []
    with mpmath.workdps(40):
        for x, y in pairs:
            r = mpmath.mpf(x) - mpmath.mpf(y)
            c_ = mpmath.mpf(c)
            if mpmath.isnan(r):
                values.append(math.nan)
            elif abs(r) <= c_:
                values.append(float(c_**2 / 6 * (1 - (1 - (r / c_) ** 2) ** 3)))
            else:
                values.append(float(c_**2 / 6))
    return _finish(values, shape, reduction, np.asarray(input).dtype)


def js_divergence(input, target, reduction="batchmean", log_target=False):
    """``1/2 [p log(p/m) + q log(q/m)]`` per element, ``m = (p + q)/2``, ``q = exp(input)``,
    ``p = target`` (or ``exp(target)``), a zero probability contributing 0; in mpmath at
    40 digits. ``batchmean`` divides the sum by ``input``'s first dimension, ``mean`` by
    the number of elements (``kl_div``'s reductions)."""
    shape, pairs = _pairs(input, target)
    values = []
    with mpmath.workdps(40):
        for x, t in pairs:
            if math.isnan(x) or math.isnan(t):
                values.append(math.nan)
                continue
            q = mpmath.exp(mpmath.mpf(x))
            p = mpmath.exp(mpmath.mpf(t)) if log_target else mpmath.mpf(t)
            m = (p + q) / 2
            value = mpmath.mpf(0)
            for a in (p, q):
                if a != 0:
                    value += a * mpmath.log(a / m) / 2
            values.append(float(value))
    dtype = np.asarray(input).dtype
    if reduction == "batchmean":
        total = math.fsum(values)
        n = np.shape(input)[0] if np.ndim(input) else 1
        return np.asarray(total / n, dtype)
    return _finish(values, shape, reduction, dtype)


REFERENCE_IMPLS: dict = {
    "js_divergence": js_divergence,
    "log_cosh_loss": log_cosh_loss,
    "quantile_loss": quantile_loss,
    "tukey_biweight_loss": tukey_biweight_loss,
}

# the oracles of the margin, embedding and angular-margin families, one module each
from reference_angular import REFERENCE as _ANGULAR  # noqa: E402
from reference_embedding import REFERENCE as _EMBEDDING  # noqa: E402
from reference_hinge import REFERENCE as _HINGE  # noqa: E402

for _family in (_HINGE, _EMBEDDING, _ANGULAR):
    assert not set(_family) & set(REFERENCE_IMPLS), "an oracle is defined twice"
    REFERENCE_IMPLS.update(_family)
