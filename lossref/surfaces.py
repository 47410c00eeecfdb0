"""Four small surfaces on which every optimizer of the registry is run, for the optimizer
pages and their comparison: an ill-conditioned quadratic, Rosenbrock's valley, Beale's
function and a saddle point. The plots of the site and the numbers printed on the pages
come from these functions.

Examples:
    >>> from lossref import optim
    >>> from lossref.surfaces import SURFACES, trajectory
    >>> path = trajectory(optim.sgd, SURFACES["quadratic"], lr=0.02, steps=100)
    >>> path.shape, round(float(SURFACES["quadratic"].value(path[-1])), 4)
    ((101, 2), 0.1407)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["LEARNING_RATES", "STEPS", "SURFACES", "Surface", "best_lr", "final_gap",
           "trajectory"]

#: Steps of every run, and the learning rates of the sensitivity sweep.
STEPS = 200
LEARNING_RATES = tuple(float(lr) for lr in np.logspace(-4, 1, 21))


@dataclasses.dataclass(frozen=True)
class Surface:
    """A function of two variables with its gradient, a start and its minimum value."""

    name: str
    title: str
    value: Callable[[np.ndarray], Any]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    minimum: float
    extent: tuple[float, float, float, float]


def _quadratic(xy):
    x, y = xy[..., 0], xy[..., 1]
    return 0.5 * (x**2 + 50.0 * y**2)


def _quadratic_grad(xy):
    return np.array([xy[0], 50.0 * xy[1]])


def _rosenbrock(xy):
    x, y = xy[..., 0], xy[..., 1]
    return (1 - x) ** 2 + 100.0 * (y - x**2) ** 2


def _rosenbrock_grad(xy):
    x, y = xy
    return np.array([-2 * (1 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)])


_BEALE = (1.5, 2.25, 2.625)


def _beale(xy):
    x, y = xy[..., 0], xy[..., 1]
    return sum((c - x + x * y**k) ** 2 for k, c in enumerate(_BEALE, start=1))


def _beale_grad(xy):
    x, y = xy
    gx = gy = 0.0
    for k, c in enumerate(_BEALE, start=1):
        r = c - x + x * y**k
        gx += 2 * r * (y**k - 1)
        gy += 2 * r * k * x * y ** (k - 1)
    return np.array([gx, gy])


def _saddle(xy):
    x, y = xy[..., 0], xy[..., 1]
    return x**2 - y**2 + 0.25 * y**4


def _saddle_grad(xy):
    x, y = xy
    return np.array([2 * x, -2 * y + y**3])


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("quadratic", "Ill-conditioned quadratic ½(x² + 50y²)", _quadratic,
            _quadratic_grad, (-4.0, 1.0), 0.0, (-5.0, 5.0, -1.5, 1.5)),
    Surface("rosenbrock", "Rosenbrock (1 − x)² + 100(y − x²)²", _rosenbrock, _rosenbrock_grad,
            (-1.2, 1.0), 0.0, (-2.0, 2.0, -1.0, 3.0)),
    Surface("beale", "Beale's function", _beale, _beale_grad, (1.0, 1.5), 0.0,
            (-0.5, 4.0, -1.5, 2.0)),
    Surface("saddle", "Saddle x² − y² + y⁴/4 at the origin", _saddle, _saddle_grad,
            (2.0, 1e-3), -1.0, (-2.5, 2.5, -2.2, 2.2)),
)}


def trajectory(record: Any, surface: Surface, lr: float, steps: int = STEPS,
               **options: Any) -> np.ndarray:
    """The points visited by ``record``'s NumPy optimizer from ``surface.start``: an array
    of shape ``(steps + 1, 2)``. A run that overflows stops where it left the floats."""
    return _paths(record.name, float(lr), steps, tuple(sorted(options.items())))[surface.name]


@functools.cache
def _paths(record_name: str, lr: float, steps: int, options: tuple) -> dict[str, np.ndarray]:
    """The runs on all four surfaces at once: one optimizer over four parameters (each
    optimizer acts on each parameter on its own, so these are four independent runs, in
    one ``step`` call instead of four). A run that left the floats gets no more gradients."""
    from lossref.registry import OPTIMIZERS

    surfaces = list(SURFACES.values())
    params = [np.array(s.start, dtype=np.float64) for s in surfaces]
    opt = OPTIMIZERS[record_name].numpy(params, lr=lr, **dict(options))
    paths = [[p.copy()] for p in params]
    alive = [True] * len(surfaces)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            opt.step([s.grad(p) if ok else None
                      for s, p, ok in zip(surfaces, params, alive, strict=True)])
            for k, p in enumerate(params):
                alive[k] = alive[k] and bool(np.all(np.isfinite(p)))
                if alive[k]:
                    paths[k].append(p.copy())
    return {s.name: np.array(path) for s, path in zip(surfaces, paths, strict=True)}


@functools.cache
def _gap(record_name: str, surface_name: str, lr: float, steps: int, options: tuple) -> float:
    surface = SURFACES[surface_name]
    path = _paths(record_name, lr, steps, options)[surface_name]
    if len(path) < steps + 1:
        return float("inf")
    with np.errstate(all="ignore"):
        gap = float(surface.value(path[-1])) - surface.minimum
    return gap if np.isfinite(gap) else float("inf")


def final_gap(record: Any, surface: Surface, lr: float, steps: int = STEPS,
              **options: Any) -> float:
    """``f(last point) - min f`` after ``steps`` steps (inf for a run that diverged)."""
    return _gap(record.name, surface.name, float(lr), steps, tuple(sorted(options.items())))


def best_lr(record: Any, surface: Surface, steps: int = STEPS, **options: Any) -> float:
    """The learning rate of :data:`LEARNING_RATES` with the smallest final gap (the
    smallest such rate on a tie)."""
    gaps = [final_gap(record, surface, lr, steps, **options) for lr in LEARNING_RATES]
    return LEARNING_RATES[int(np.argmin(gaps))]
