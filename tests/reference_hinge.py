"""Plain-loop oracles for the hinge losses that torch does not have (see reference_impls.py
for the rules: a direct Python loop over the page's formula, no shared code with the
package, an array of the input's dtype as the result).

NaN propagates as the package promises for these losses: Python's ``max(0.0, nan)``
returns 0.0, so each hinge is written out with an explicit NaN test.
"""

from __future__ import annotations

import math

import numpy as np
from reference_common import finish as _finish


def _hinge(z: float) -> float:
    """``max(0, z)`` that keeps NaN."""
    if z != z:
        return math.nan
    return z if z > 0 else 0.0


def hinge_loss(input, target, *, margin=1.0, reduction="mean", square=False):
    """``max(0, margin - y x)`` per element (squared if ``square``)."""
    x, y = np.asarray(input), np.asarray(target)
    values = []
    for index in np.ndindex(x.shape):
        h = _hinge(margin - float(y[index]) * float(x[index]))
        values.append(h * h if square else h)
    return _finish(values, x.shape, reduction, x.dtype)


def squared_hinge_loss(input, target, *, margin=1.0, reduction="mean"):
    """``max(0, margin - y x)^2`` per element."""
    return hinge_loss(input, target, margin=margin, reduction=reduction, square=True)


def perceptron_loss(input, target, *, reduction="mean"):
    """``max(0, -y x)`` per element."""
    x, y = np.asarray(input), np.asarray(target)
    values = [_hinge(-float(y[i]) * float(x[i])) for i in np.ndindex(x.shape)]
    return _finish(values, x.shape, reduction, x.dtype)


def multiclass_hinge_loss(input, target, *, margin=1.0, reduction="mean"):
    """Crammer–Singer: ``max(0, margin + max_{j != y} x_j - x_y)`` per row."""
    x, t = np.asarray(input), np.asarray(target)
    rows = [x] if x.ndim == 1 else list(x)
    labels = [int(t)] if x.ndim == 1 else [int(v) for v in t]
    values = []
    for row, label in zip(rows, labels):
        scores = [float(v) for v in row]
        if any(s != s for s in scores):
            values.append(math.nan)
            continue
        best = max(s for j, s in enumerate(scores) if j != label)
        values.append(_hinge(margin + best - scores[label]))
    return _finish(values, x.shape[:-1], reduction, x.dtype)


REFERENCE: dict = {
    "hinge_loss": hinge_loss,
    "squared_hinge_loss": squared_hinge_loss,
    "perceptron_loss": perceptron_loss,
    "multiclass_hinge_loss": multiclass_hinge_loss,
}
