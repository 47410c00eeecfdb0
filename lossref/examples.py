"""Small helpers that the worked examples and the plots share, so that the numbers printed
on a page and the curves drawn in its plot come from the same code.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossref.optim.sgd import SGDNumpy

__all__ = ["LineFit", "fit_line", "heteroscedastic_line", "line_with_outliers"]


class LineFit(NamedTuple):
    """Result of :func:`fit_line`: the fitted line and its final loss."""

    slope: float
    intercept: float
    loss: float


# --8<-- [start:fit_line]
def fit_line(loss, x, y, *, steps=2000, lr=0.1, momentum=0.9, init=(0.0, 0.0), **loss_kwargs):
    """Fit ``y ≈ slope * x + intercept`` by minimising ``loss`` (a :class:`~lossref.registry.Loss`
    record, ``reduction="mean"``) with :class:`~lossref.optim.sgd.SGDNumpy`, full batch.

    The gradient comes from the record's analytic ``grad`` with respect to the prediction
    ``p = slope * x + intercept``; the chain rule gives ``dL/dslope = sum(dL/dp * x)`` and
    ``dL/dintercept = sum(dL/dp)``. ``loss_kwargs`` go to the loss (``delta=``, ``quantile=``...).

    Examples:
        >>> from types import SimpleNamespace
        >>> squared = SimpleNamespace(  # a stand-in record: mean squared error
        ...     numpy=lambda p, t: np.mean((p - t) ** 2),
        ...     grad=lambda p, t: (2 * (p - t) / p.size,))
        >>> x = np.array([0.0, 1.0, 2.0, 3.0])
        >>> fit = fit_line(squared, x, 2 * x + 1, steps=500)
        >>> print(round(fit.slope, 6), round(fit.intercept, 6))
        2.0 1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.array(float(init[0])), np.array(float(init[1]))
    optimizer = SGDNumpy([slope, intercept], lr=lr, momentum=momentum)
    for _ in range(steps):
        prediction = slope * x + intercept
        (dloss_dprediction,) = loss.grad(prediction, y, **loss_kwargs)
        optimizer.step([np.sum(dloss_dprediction * x), np.sum(dloss_dprediction)])
    final = loss.numpy(slope * x + intercept, y, **loss_kwargs)
    return LineFit(float(slope), float(intercept), float(final))
# --8<-- [end:fit_line]



# --8<-- [start:data]
def line_with_outliers(n=100, outlier_fraction=0.1, seed=0):
    """``n`` points of ``y = 2x + 1 + N(0, 0.1^2)`` with ``x`` uniform on [0, 1]; a random
    ``outlier_fraction`` of them has ``y`` replaced by a gross outlier, uniform on [-10, -5].

    Returns ``(x, y, is_outlier)``, sorted by ``x``.

    Examples:
        >>> x, y, is_outlier = line_with_outliers()
        >>> x.shape, int(is_outlier.sum())
        ((100,), 10)
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    y = 2.0 * x + 1.0 + 0.1 * rng.standard_normal(n)
    is_outlier = np.zeros(n, dtype=bool)
    is_outlier[rng.choice(n, round(outlier_fraction * n), replace=False)] = True
    y[is_outlier] = rng.uniform(-10.0, -5.0, is_outlier.sum())
    return x, y, is_outlier


def heteroscedastic_line(n=2000, seed=0):
    """``n`` points of ``y = 1 + 2x + (0.2 + x) * N(0, 1)`` with ``x`` uniform on [0, 1]:
    the noise grows with ``x``, so every conditional quantile is a line,
    ``q_tau(x) = 1 + 2x + (0.2 + x) * z_tau`` with ``z_tau`` the standard normal quantile.

    Examples:
        >>> x, y = heteroscedastic_line(5)
        >>> x.shape, y.shape
        ((5,), (5,))
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    return x, 1.0 + 2.0 * x + (0.2 + x) * rng.standard_normal(n)
# --8<-- [end:data]
