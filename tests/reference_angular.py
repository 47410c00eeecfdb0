"""Plain-loop oracles for the angular losses that torch does not have (see reference_impls.py
for the rules: a direct Python loop over the page's formula, no shared code with the
package, an array of the input's dtype as the result).

Every sum, norm, exp and log is taken in mpmath at 50 digits, so an embedding of 1e300 or
1e-300 is no special case; an embedding with an infinite or NaN entry has no direction
(every cosine with it is NaN), and a row of cosines holding NaN has a NaN loss. ArcFace's
target logit is written as ``cos(arccos(c) + m)``, the angle itself, not the package's
``c cos m - sin(theta) sin m``; only the branch tests (``c > cos(pi - m)``, ``c > 0``) are
made in the input's dtype, as the implementations make them.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from reference_common import finish as _finish

mpmath.mp.dps = 50


def _unit(row, floor):
    """``row / max(|row|, floor)`` in mpmath; all NaN for a row that is not finite."""
    values = [float(v) for v in row]
    if not all(math.isfinite(v) for v in values):
        return [mpmath.nan] * len(values)
    entries = [mpmath.mpf(v) for v in values]
    norm = mpmath.sqrt(mpmath.fsum(v * v for v in entries))
    divisor = max(norm, mpmath.mpf(floor))
    return [v / divisor for v in entries]


def _dot(a, b):
    return mpmath.fsum(x * y for x, y in zip(a, b))


def _any_nan(values):
    return any(mpmath.isnan(v) for v in values)


def info_nce_loss(query, key, *, temperature=0.07, reduction="mean"):
    """``loss_i = log sum_j exp(S_ij) - S_ii``, ``S_ij = cos(q_i, k_j) / temperature``,
    cosines of ``x / max(|x|, 1e-12)``."""
    units_q = [_unit(row, 1e-12) for row in query]
    units_k = [_unit(row, 1e-12) for row in key]
    tau = mpmath.mpf(temperature)
    values = []
    for i, u in enumerate(units_q):
        logits = [_dot(u, v) / tau for v in units_k]
        if _any_nan(logits):
            values.append(math.nan)
            continue
        values.append(mpmath.log(mpmath.fsum(mpmath.exp(s) for s in logits)) - logits[i])
    return _finish(values, (len(values),), reduction, np.asarray(query).dtype)


def ntxent_loss(embeddings, labels, *, temperature=0.07):
    """optax's labelled NT-Xent: the mean over ordered pairs ``i != j`` with equal labels
    of ``-log(exp(s_ij) / (exp(s_ij) + sum_{k: y_k != y_i} exp(s_ik)))``, with
    ``s = cos / temperature`` and cosines of ``x / sqrt(max(|x|^2, eps))``."""
    dtype = np.asarray(embeddings).dtype
    floor = math.sqrt(float(np.finfo(dtype).eps))
    units = [_unit(row, floor) for row in embeddings]
    labels = [int(v) for v in labels]
    tau = mpmath.mpf(temperature)
    n = len(units)
    s = [[_dot(units[i], units[j]) / tau for j in range(n)] for i in range(n)]
    values = []
    for i in range(n):
        negatives = [mpmath.exp(s[i][k]) for k in range(n) if labels[k] != labels[i]]
        for j in range(n):
            if j != i and labels[j] == labels[i]:
                top = mpmath.exp(s[i][j])
                values.append(-mpmath.log(top / (top + mpmath.fsum(negatives))))
    if any(mpmath.isnan(v) for v in values):
        return np.asarray(math.nan, dtype)
    return np.asarray(float(mpmath.fsum(values) / len(values)), dtype)


def _rows(input, target):
    c = np.asarray(input)
    if c.ndim == 1:
        return [c], [int(target)]
    return list(c), [int(t) for t in np.asarray(target)]


def _margin_ce(input, target, reduction, target_logit, scale):
    """Softmax cross-entropy of ``scale * c`` with the target's logit replaced."""
    rows, targets = _rows(input, target)
    values = []
    for row, y in zip(rows, targets):
        cosines = [float(v) for v in row]
        if any(math.isnan(v) for v in cosines):
            values.append(math.nan)
            continue
        logits = [mpmath.mpf(scale) * mpmath.mpf(c) for c in cosines]
        logits[y] = mpmath.mpf(scale) * target_logit(row[y])
        values.append(mpmath.log(mpmath.fsum(mpmath.exp(z) for z in logits)) - logits[y])
    return _finish(values, np.shape(input)[:-1], reduction, np.asarray(input).dtype)


def cosface_loss(input, target, *, scale=64.0, margin=0.35, reduction="mean"):
    """Cross-entropy of ``scale * (cos theta_j - margin [j = y])``."""
    return _margin_ce(input, target, reduction,
                      lambda c: mpmath.mpf(float(c)) - mpmath.mpf(margin), scale)


def arcface_loss(input, target, *, scale=64.0, margin=0.5, easy_margin=False,
                 reduction="mean"):
    """Cross-entropy with the target's logit ``scale * cos(arccos(c) + m)`` where
    ``c > cos(pi - m)`` (``c > 0`` with ``easy_margin``), else ``scale * (c - m sin m)``
    (``scale * c`` with ``easy_margin``)."""
    dtype = np.asarray(input).dtype.type
    threshold = dtype(0.0 if easy_margin else math.cos(math.pi - margin))
    m = mpmath.mpf(margin)

    def target_logit(c):
        x = mpmath.mpf(float(c))
        if dtype(c) > threshold:
            return mpmath.cos(mpmath.acos(x) + m)
        return x if easy_margin else x - m * mpmath.sin(m)

    return _margin_ce(input, target, reduction, target_logit, scale)


REFERENCE: dict = {
    "info_nce_loss": info_nce_loss,
    "ntxent_loss": ntxent_loss,
    "cosface_loss": cosface_loss,
    "arcface_loss": arcface_loss,
}
