"""What every plain-loop oracle shares: turning per-element values into the loss's result.

Kept apart from ``reference_impls.py``, which imports the family modules, so that each
family module can use it too.
"""

from __future__ import annotations

import math

import numpy as np


def finish(values, shape, reduction, dtype):
    """Per-element ``values`` (Python floats or mpmath numbers, in C order over ``shape``)
    reduced as ``reduction`` says, as an array of ``dtype`` (0-d for ``mean`` and ``sum``).
    The sum is ``math.fsum`` (exact) where every value is finite, a plain sum otherwise
    (``fsum`` raises on ``inf - inf``); a double beyond float32's range becomes inf."""
    values = [float(v) for v in values]
    with np.errstate(over="ignore"):
        if reduction == "none":
            out = np.empty(shape, dtype)
            for index, v in zip(np.ndindex(shape), values):
                out[index] = v
            return out
        total = math.fsum(values) if all(math.isfinite(v) for v in values) else sum(values)
        if reduction == "mean":
            total = total / len(values)
        return np.asarray(total, dtype)
