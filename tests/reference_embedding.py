"""Plain-loop oracles for the embedding losses that torch does not have (see reference_impls.py
for the rules: a direct Python loop over the page's formula, no shared code with the
package, an array of the input's dtype as the result)."""

from __future__ import annotations

import math

import numpy as np
from reference_common import finish as _finish


def _rows(x):
    """The embeddings of a (D,) or (N, D) array as lists of Python floats."""
    x = np.asarray(x)
    return [[float(v) for v in x]] if x.ndim == 1 else [[float(v) for v in row] for row in x]


def contrastive_loss(input1, input2, target, *, margin=1.0, reduction="mean"):
    """Hadsell, Chopra and LeCun (2006) with labels 1 (similar) and -1 (dissimilar):
    ``d^2 / 2`` or ``max(0, margin - d)^2 / 2``, ``d`` the Euclidean distance."""
    unbatched = np.asarray(input1).ndim == 1
    a, b = np.broadcast_arrays(np.asarray(input1), np.asarray(input2))
    rows1, rows2 = _rows(a), _rows(b)
    labels = [float(v) for v in np.broadcast_to(np.asarray(target), (len(rows1),))] \
        if not unbatched else [float(target)]
    values = []
    for u, v, y in zip(rows1, rows2, labels, strict=True):
        squared = 0.0
        for ui, vi in zip(u, v, strict=True):
            squared += (ui - vi) * (ui - vi)
        if y == 1:
            values.append(0.5 * squared)
        elif y == -1:
            gap = max(margin - math.sqrt(squared), 0.0)
            values.append(0.5 * gap * gap)
        else:  # a NaN label
            values.append(math.nan)
    shape = () if unbatched else (len(values),)
    return _finish(values, shape, reduction, np.asarray(input1).dtype)


REFERENCE: dict = {"contrastive_loss": contrastive_loss}
