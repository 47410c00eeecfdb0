"""Every declared property of every registered loss, checked numerically in float64.

``rec.properties(**kwargs)`` (``lossref/properties.py``) declares what a statistician asks
of a loss. This file is generated from the registry: for each record it takes the keywords
of ``rec.declare`` and evaluates the declaration at every combination of the values those
keywords take in the record's parity cases (plus the default), so a loss registered later,
or a new case value, is covered without editing this file. Each property is one plain
``check_<property>(rec, props, rng)`` function that raises ``AssertionError`` when the
declaration is false; the self-check at the end corrupts correct declarations with
``dataclasses.replace`` and asserts that the same functions reject every corruption.

The loss is seen as a function of one *prediction* with its target fixed: a scalar for an
element-wise regression loss, the pair ``(input, var)`` for ``gaussian_nll_loss`` (the
positions ``rec.wrt``), a row of ``C`` scores for a classification loss (logits, or
log-probabilities where the parity cases hold log-probability rows, as ``nll_loss``'s do).
A binary loss (``task="binary"``) is studied on one logit, mapped through the sigmoid
where the loss takes probabilities, with labels in {0, 1} or {-1, 1} (and soft targets in
[0, 1] where it takes them); its minimiser is checked by bisection of the expected loss at
P(Y = 1) = q, and properness over a grid of probabilities. A divergence
(``task="divergence"``) is a sum of elements ``(x, t)``, a log-probability ``x <= 0`` and
its target: its constants are per element; its minimiser is over distributions (gradient
descent on ``D(q ‖ softmax(z))``), and properness is that of its score on one-hot
outcomes. Gradients are ``rec.grad(..., reduction="sum")``, per element or per row, with the
Euclidean norm over the prediction. Ranking and embedding losses, and the classification
losses that declare no minimiser (the multi-class hinges, the face-recognition margins), are
studied on their own parity cases (``CaseProblem``): per example, over every ``wrt``
argument of the example, at the cases' inputs (which sit on the kinks), scaled by every
magnitude, and at random points; their minimiser must be None (the record requires a note
saying why), and ``proper`` None for ranking and embedding losses. A binary loss on labels
+-1 may declare the minimiser ``"mode"`` (the sign of ``2q - 1``, the same for every ``q``
on one side of 1/2) or read its score through the link ``"margin"`` (``q = (1 + c/m)/2``).
A prediction argument that rejects negative values lives
on ``[eps, inf)`` when the loss has an ``eps`` floor (a Gaussian variance is clamped at
``eps``; below it the loss is flat, outside the declared scope), else ``[0, inf)``.

- convex: the midpoint inequality on random pairs (near and far, straddling the kinks
  ``0, +-beta, +-delta, ...``, magnitudes up to 1e6); ``False`` needs a violating pair.
- smooth: the gradient difference across a shrinking pair ``c -+ h u`` vanishes at every
  sampled centre (kinks included); ``False`` needs a centre where it stays large.
- grad_lipschitz: no sampled pair exceeds ``L``, one reaches ``0.99 L``; ``None`` needs
  a ratio above 1e6.
- grad_bound: the sampled sup of ``|grad|`` stays below the bound and reaches 0.99 of it;
  ``None`` needs ``|grad| > 1e5`` on inputs up to 1e6.
- minimiser: the minimiser of the mean loss over a constant prediction on a skewed sample
  (global grid, then bisection on the reported gradient), mapped back through ``link``
  and shifted by ``offset``, is the sample's mean, median or ``quantile``-quantile
  (``inverted_cdf``: the smallest ``c`` with ``F_n(c) >= tau``), or for an M-estimate
  differs from both mean and median; for classification, gradient descent on the expected
  loss ``sum_y q_y loss(z, y)`` ends at ``softmax(z) = q`` (``(1 - eps) q + eps / C`` for
  ``"smoothed-distribution"``).
- breakdown_point: with a fraction ``bp - 0.05`` of a clean sample replaced by +-1e6 the
  minimiser stays bounded, with ``bp + 0.05`` it escapes (on one side at least); ``None``
  for a regression loss (not one number) needs its note, robustness at 10% and breakdown
  at 55%.
- proper: the expected score of a predicted distribution is minimised at the true one
  and strictly larger anywhere else; ``False`` needs a better prediction than the truth.

Tolerances are stated where they are used. None assumes agreement below 1e-9 relative:
the checks are optimisation and sampling arguments, and must pass on any CPU (README,
"Comparing numbers from two libraries").
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import math
import zlib
from typing import Any

import numpy as np
import pytest

import lossref.losses
from lossref.losses import log_softmax_numpy, softmax_numpy
from lossref.properties import Properties
from lossref.registry import LOSSES, Loss

F64_EPS = np.finfo(np.float64).eps
TINIEST = np.finfo(np.float64).smallest_subnormal  # the resolution of a value that underflows
# Magnitudes of residuals, scores and variances: from tiny to the extremes of the brief.
SCALES = (1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3, 1e6)
OUTLIER = 1e6


# ---------------------------------------------------------------- settings from the registry


def declare_keywords(rec: Loss) -> dict[str, Any]:
    """The keywords of ``rec.declare`` and their defaults."""
    return {n: p.default for n, p in inspect.signature(rec.declare).parameters.items()}


def _add(values: list[Any], value: Any) -> None:
    """Append unless present (``True`` and ``1`` are different settings)."""
    if not any(type(value) is type(v) and value == v for v in values):
        values.append(value)


def settings(rec: Loss) -> list[dict[str, Any]]:
    """Every combination of the default and the parity cases' values of each keyword."""
    values: dict[str, list[Any]] = {}
    for name, default in declare_keywords(rec).items():
        values[name] = [default]
    for case in rec.cases(np.float64):
        for name in values:
            if name in case.kwargs:
                _add(values[name], case.kwargs[name])
    return [dict(zip(values, combo)) for combo in itertools.product(*values.values())]


def setting_id(rec: Loss, setting: dict[str, Any]) -> str:
    """Stable across processes: a function is named, not shown with its address."""
    return "-".join([rec.name, *(f"{k}{getattr(v, '__name__', v)}" for k, v in setting.items())])


def rng_for(label: str) -> np.random.Generator:
    """A seed per test id: deterministic, and independent of the order the tests run in."""
    return np.random.default_rng(zlib.crc32(label.encode()))


# ---------------------------------------------------------------- the loss of one prediction


def _class_axis(x: np.ndarray) -> int:
    return 0 if x.ndim == 1 else 1


@functools.cache
def takes_log_probabilities(name: str) -> bool:
    """True when every score row in the record's parity cases is a log-probability row
    (its exponentials sum to 1): the loss is then studied on log-probabilities."""
    rows = [np.asarray(c.args[0]) for c in LOSSES[name].cases(np.float64)]
    rows = [x for x in rows if x.ndim >= 1 and x.size]
    return bool(rows) and all(
        np.allclose(np.exp(x).sum(axis=_class_axis(x)), 1.0, rtol=1e-9, atol=0) for x in rows)


@functools.cache
def binary_labels(name: str) -> tuple[tuple[float, float], bool]:
    """A binary loss's labels, ``(0, 1)`` or ``(-1, 1)`` as in its parity cases, and
    whether it takes soft targets in between."""
    rec = LOSSES[name]
    targets = np.concatenate([np.ravel(c.args[1]) for c in rec.cases(np.float64)])
    labels = (-1.0, 1.0) if np.any(targets == -1) else (0.0, 1.0)
    try:
        rec.numpy(np.full((1, 1), 0.5), np.full((1, 1), 0.5))
        soft = labels == (0.0, 1.0)
    except ValueError:
        soft = False
    return labels, soft


@functools.cache
def takes_probabilities(name: str) -> bool:
    """True for a binary loss on probabilities (it rejects the input 2.0)."""
    try:
        LOSSES[name].numpy(np.full((1, 1), 2.0), np.ones((1, 1)))
    except ValueError:
        return True
    return False


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


@functools.cache
def _n_args(name: str) -> int:
    return len(next(iter(LOSSES[name].cases(np.float64))).args)


class Problem:
    """``rec`` at keyword arguments ``params``, as a function of a batch of predictions.

    A batch is ``(P, T)``: ``P`` of shape ``(N, d)`` holds one prediction per row (``d``
    regression arguments, or ``d = C`` scores), ``T`` the ``N`` targets.
    """

    def __init__(self, rec: Loss, params: dict[str, Any]):
        self.rec, self.params = rec, dict(params)
        # rows of scores (class indices or distributions as targets): classification and
        # divergences; one logit or probability per element: binary losses
        self.classification = rec.task in ("classification", "divergence")
        self.divergence = rec.task == "divergence"
        self.binary = rec.task == "binary"
        self.n_args = _n_args(rec.name)
        self.target_pos = next(i for i in range(self.n_args) if i not in rec.wrt)
        numbers = [abs(float(v)) for v in self.params.values()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)]
        numbers = [v for v in numbers if 0 < v < math.inf]
        # where the branches of a piecewise loss meet: residuals 0, +-1, +-each parameter
        self.kinks = np.unique([0.0, 1.0, -1.0, *numbers, *(-v for v in numbers)])
        if self.classification:
            self.log_probs = takes_log_probabilities(rec.name)
        elif self.binary:
            self.labels, self.soft_targets = binary_labels(rec.name)
            self.takes_probabilities = takes_probabilities(rec.name)
            # 0, +-1, +-each parameter (a margin's kink is at y x = margin) and the clamp
            self.kinks = np.unique([*self.kinks, *self._clamp_logits()])
        else:
            self.lower = np.array([self._floor(p) if self._rejects_negative(p) else -np.inf
                                   for p in rec.wrt])
            self.target_lower = 0.0 if self._rejects_negative(self.target_pos) else -np.inf

    # -- evaluation

    def target_size(self, T: np.ndarray) -> Any:
        """The target's magnitude, part of the rounding noise of a residual."""
        return 0 if self.classification else np.abs(T)

    @property
    def dims(self) -> int:
        """The number of regression prediction arguments."""
        return len(self.rec.wrt)

    def _at(self, position: int, value: float) -> np.ndarray:
        """The loss with every argument 1 but ``value`` at ``position``."""
        args = [np.ones(1) for _ in range(self.n_args)]
        args[position] = np.full(1, value)
        return self.rec.numpy(*args, reduction="none", **self.params)

    def _rejects_negative(self, position: int) -> bool:
        try:
            self._at(position, -1.0)
        except ValueError:
            return True
        return False

    def _floor(self, position: int) -> float:
        """Where a non-negative argument starts: ``eps`` if the loss clamps it there (it
        takes the same value at 0 and at eps/2; ``==`` is exact by construction, both
        are replaced by eps), else 0."""
        eps = float(self.params.get("eps", 0.0))
        return eps if eps and self._at(position, 0.0) == self._at(position, eps / 2) else 0.0

    def _distribution_targets(self, T: np.ndarray, C: int) -> np.ndarray:
        """Class indices as one-hot rows (distributions pass unchanged), in the form the
        divergence takes: log-probabilities with ``log_target`` (a zero probability as
        e^-700: torch's log_target=True gives nan at a target of -inf)."""
        if T.ndim == 1:
            T = np.eye(C)[T]
        return np.log(np.maximum(T, np.exp(-700.0))) if self.params.get("log_target") else T

    def _call(self, fn, P: np.ndarray, T: np.ndarray, reduction: str):
        if self.divergence:
            return fn(P, self._distribution_targets(T, P.shape[1]), reduction=reduction,
                      **self.params)
        if self.classification:
            return fn(P, T, reduction=reduction, **self.params)
        if self.binary:  # one column: an element-wise loss, or one class of a multi-label row
            return fn(P[:, :1], T[:, None], reduction=reduction, **self.params)
        args: list[Any] = [None] * self.n_args
        for k, position in enumerate(self.rec.wrt):
            args[position] = P[:, k]
        args[self.target_pos] = T
        return fn(*args, reduction=reduction, **self.params)

    def value(self, P: np.ndarray, T: np.ndarray) -> np.ndarray:
        value = np.asarray(self._call(self.rec.numpy, P, T, "none"), np.float64)
        # a divergence's elements are summed over the row; a binary loss has one column
        return value.reshape(len(P), -1).sum(axis=1)

    def grad(self, P: np.ndarray, T: np.ndarray) -> np.ndarray:
        grads = self._call(self.rec.grad, P, T, "sum")
        if self.classification or self.binary:
            return grads[0].reshape(len(P), -1)
        return np.stack(grads, axis=1)

    # -- samples of predictions: a list of batches (one per number of classes)

    def _into_domain(self, P: np.ndarray) -> np.ndarray:
        """Reflect each argument into its domain ``[lower, inf)``."""
        bounded = np.isfinite(self.lower)
        P = P.copy()
        P[:, bounded] = self.lower[bounded] + np.abs(P[:, bounded] - self.lower[bounded])
        return P

    def _magnitudes(self, rng, n: int) -> np.ndarray:
        return rng.choice(SCALES, n) * rng.standard_normal(n)

    def _regression_targets(self, rng, n: int) -> np.ndarray:
        T = self._magnitudes(rng, n)
        return np.abs(T) if self.target_lower == 0 else T

    def _regression_predictions(self, rng, T: np.ndarray) -> np.ndarray:
        n, q = len(T), len(T) // 4
        # residuals: every magnitude, the kinks, and a fine sweep of [-4, 4] times each
        # kink, where the gradient of a thresholded loss peaks; and a quarter of the
        # predictions unrelated to their targets (a rate near 0 for a count of 1e6)
        residual = np.concatenate([
            self._magnitudes(rng, n - 3 * q),
            rng.choice(self.kinks, q),
            rng.choice(self.kinks[self.kinks > 0], q) * rng.uniform(-4, 4, q)])
        P = self._magnitudes(rng, n * self.dims).reshape(n, -1)
        P[:, 0] = np.concatenate([T[: n - q] + residual, self._magnitudes(rng, q)])
        return self._into_domain(P)

    def _score_rows(self, rng, C: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Logit rows: every magnitude, ties (the two top classes equal), and one class
        ahead by a large gap, at the target or elsewhere."""
        n_rand = n // 2
        Z = [rng.choice(SCALES, (n_rand, 1)) * rng.standard_normal((n_rand, C))]
        ties = np.full((n // 4, C), -30.0)
        ties[:, :2] = rng.standard_normal((n // 4, 1))
        Z.append(ties)
        n_gap = n - n_rand - n // 4
        gaps = np.zeros((n_gap, C))
        lead = rng.integers(0, C, n_gap)
        gaps[np.arange(n_gap), lead] = np.resize((1e3, 1e6, 10.0), n_gap)
        Z.append(gaps)
        Z = np.concatenate(Z)
        T = rng.integers(0, C, len(Z))
        # the gap rows: four in five targets away from the leading class
        T[-n_gap:] = np.where(np.arange(n_gap) % 5 < 4, (lead + 1) % C, lead)
        return Z, T

    def scores(self, Z: np.ndarray) -> np.ndarray:
        """The loss's input for logits ``Z``."""
        if self.binary:
            return sigmoid(Z) if self.takes_probabilities else Z
        return log_softmax_numpy(Z, axis=1) if self.log_probs else Z

    # -- binary losses: logits (mapped to probabilities where the loss takes them)

    def _clamp_logits(self) -> list[float]:
        """Where a loss on probabilities meets a clamp: torch's binary cross-entropy is
        ``min(-log p, 100)``, finite at p = 0; its clamp starts at ``p = e^-100``, the logit
        ``log(p / (1 - p))``. None for a loss on logits."""
        if not self.takes_probabilities:
            return []
        top = float(self.value(np.zeros((1, 1)), np.ones(1))[0])
        return [-top] if math.isfinite(top) else []

    def binary_targets(self, rng, n: int) -> np.ndarray:
        T = rng.choice(self.labels, n)
        if self.soft_targets:
            T[: n // 4] = rng.uniform(0, 1, n // 4)
        return T

    def binary_logits(self, rng, n: int) -> np.ndarray:
        """Every magnitude, the kinks, and a band of +-10% around each kink."""
        q = n // 4
        kinks = rng.choice(self.kinks, q)
        Z = np.concatenate([self._magnitudes(rng, n - 2 * q), kinks,
                            kinks * rng.uniform(0.9, 1.1, q)])
        return Z[:, None]

    def divergence_elements(self, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Single elements ``(x, t)``: a log-probability ``x <= 0`` of every magnitude (0
        and -1 among them) and a target probability, 0 or 1 in a quarter of the cases
        each. A divergence is a sum of such elements (torch's ``kl_div`` takes any
        ``x <= 0``), so its constants are per element."""
        x = -np.abs(np.concatenate([self._magnitudes(rng, n - n // 4),
                                    rng.choice((0.0, 1.0), n // 4)]))
        t = rng.uniform(0, 1, n)
        t[: n // 4], t[n // 4: n // 2] = 0.0, 1.0
        return x[:, None], rng.permutation(t)[:, None]

    def points(self, rng) -> list[tuple[np.ndarray, np.ndarray]]:
        if self.divergence:
            return [self.divergence_elements(rng, 3000)]
        if self.binary:
            return [(self.scores(self.binary_logits(rng, 3000)), self.binary_targets(rng, 3000))]
        if not self.classification:
            T = self._regression_targets(rng, 3000)
            return [(self._regression_predictions(rng, T), T)]
        batches = []
        for C, n in ((2, 400), (3, 400), (5, 400), (10, 200), (1000, 12)):
            Z, T = self._score_rows(rng, C, n)
            batches.append((self.scores(Z), T))
        return batches

    def pairs(self, rng) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(A, B, T)``: near pairs (``B = A + h u`` for every magnitude ``h``), far pairs
        (independent predictions), and tiny pairs straddling each centre."""
        out = []
        if self.divergence:
            A, T = self.divergence_elements(rng, 2000)
            near = -np.abs(A + rng.choice(SCALES, (2000, 1)) * rng.choice((-1.0, 1.0), (2000, 1)))
            far, _ = self.divergence_elements(rng, 2000)
            centres, T_c = self.divergence_elements(rng, 600)
            h = rng.choice((1e-9, 1e-6, 1e-3, 0.1), (600, 1))
            return [(A, near, T), (A, far, T), (np.minimum(centres, -0.1) - h,
                                                  np.minimum(centres, -0.1) + h, T_c)]
        if self.binary:
            T = self.binary_targets(rng, 2000)
            A = self.binary_logits(rng, 2000)
            near = A + rng.choice(SCALES, (2000, 1)) * rng.choice((-1.0, 1.0), (2000, 1))
            for B in (near, self.binary_logits(rng, 2000)):
                out.append((self.scores(A), self.scores(B), T))
        elif self.classification:
            for C, n in ((2, 400), (3, 400), (5, 200), (10, 100)):
                Z, T = self._score_rows(rng, C, n)
                U = _unit_rows(rng, Z.shape)
                near = Z + rng.choice(SCALES, (len(Z), 1)) * U
                far, _ = self._score_rows(rng, C, n)
                for B in (near, far):
                    out.append((self.scores(Z), self.scores(B), T))
        else:
            T = self._regression_targets(rng, 2000)
            A = self._regression_predictions(rng, T)
            near = self._into_domain(A + rng.choice(SCALES, (len(T), 1))
                                     * _unit_rows(rng, A.shape))
            out += [(A, near, T), (A, self._regression_predictions(rng, T), T)]
        for C, T in self.centres(rng):
            U = _unit_rows(rng, C.shape)
            h = rng.choice((1e-9, 1e-6, 1e-3, 0.1), (len(C), 1))
            if self.classification or self.binary:
                out.append((self.scores(C - h * U), self.scores(C + h * U), T))
            else:
                out.append((C - h * U, C + h * U, T))
        return out

    def centres(self, rng) -> list[tuple[np.ndarray, np.ndarray]]:
        """Moderate points (gradient of order 1 .. 1e43) at and around the kinks, at least
        0.1 inside the domain so that ``c -+ h u`` stays in it; classification: logit
        rows (mapped by the caller), ties included."""
        if self.divergence:  # moderate log-probabilities, at least 0.1 inside x <= 0
            x, t = self.divergence_elements(rng, 600)
            return [(np.clip(x, -30.0, -0.1), t)]
        if self.binary:  # moderate logits, 0, and the kinks (a clamp's corner)
            Z = np.concatenate([rng.choice((0.1, 1.0, 3.0, 10.0), 600)
                                * rng.standard_normal(600), [0.0, 0.0],
                                np.repeat(self.kinks, 4)])[:, None]
            return [(Z, self.binary_targets(rng, len(Z)))]
        if self.classification:
            out = []
            for C in (2, 3, 5):
                Z = np.concatenate([rng.choice((0.1, 1.0, 3.0, 10.0), (150, 1))
                                    * rng.standard_normal((150, C)),
                                    np.zeros((1, C))])
                out.append((Z, rng.integers(0, C, len(Z))))
            return out
        targets = np.array([-3.0, 0.0, 0.5, 2.0, 100.0])
        if self.target_lower == 0:
            targets = targets[targets >= 0]
        T, K = (a.ravel() for a in np.meshgrid(targets, self.kinks))
        T = np.concatenate([T, self._regression_targets(rng, 200).clip(-10, 10)])
        K = np.concatenate([K, 3 * rng.standard_normal(200)])
        T = np.repeat(T, 3)
        P = np.empty((len(T), self.dims))
        P[:, 0] = T + np.repeat(K, 3)
        P[:, 1:] = np.tile([0.1, 1.0, 10.0], len(K))[:, None]
        P[:, 1:] += np.maximum(self.lower[1:], 0.0)
        inside = np.all(P >= self.lower + 0.1, axis=1)
        return [(P[inside], T[inside])]

    # -- the minimiser of the mean loss over a constant prediction (regression)

    def mean_loss(self, c: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``mean_i loss(c_j, y_i)`` for each candidate ``c_j``; the other prediction
        arguments (the Gaussian variance) are held at 1."""
        P = np.ones((len(c) * len(y), self.dims))
        P[:, 0] = np.repeat(c, len(y))
        return self.value(P, np.tile(y, len(c))).reshape(len(c), len(y)).mean(axis=1)

    def slope(self, c: float, y: np.ndarray) -> float:
        P = np.ones((len(y), self.dims))
        P[:, 0] = c
        return float(self.grad(P, y)[:, 0].sum())

    def minimise_constant(self, y: np.ndarray, link: str) -> float:
        """The GLOBAL minimiser of the mean loss over a constant prediction, as a location
        (through the inverse ``link``): a grid of candidates (2001 points across the
        sample's range, plus every sample point), then bisection on the reported gradient
        between the best candidate's neighbours, to the last bit."""
        grid = np.unique(np.concatenate([np.linspace(y.min(), y.max(), 2001), y]))
        if link == "log":
            grid = np.log(grid[grid > 0])
        grid = grid[grid >= self.lower[0]]
        k = int(np.argmin(self.mean_loss(grid, y)))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            s = self.slope(mid, y)
            if s == 0:  # exact for a subgradient at a sample point (L1, quantile)
                lo = hi = mid
                break
            lo, hi = (lo, mid) if s > 0 else (mid, hi)
        c = 0.5 * (lo + hi)
        return float(np.exp(c) if link == "log" else c)

    # -- expected losses of a binary loss, P(Y = 1) = q

    #: the declared link, for the binary losses on a margin scale (set by check_proper)
    link: str | None = None

    def _binary_input(self, R: np.ndarray) -> np.ndarray:
        """The loss's input for probabilities ``R``: their logits for a loss on logits,
        ``margin (2 R - 1)`` for a loss whose declared link is ``"margin"``."""
        if self.link == "margin":
            return self.params["margin"] * (2 * R - 1)
        return R if self.takes_probabilities else np.log(R) - np.log1p(-R)

    def binary_expected(self, R: np.ndarray, q: float) -> np.ndarray:
        """``q loss(r, yes) + (1 - q) loss(r, no)`` for each probability ``r``."""
        X = self._binary_input(R)[:, None]
        no, yes = self.labels
        return (q * self.value(X, np.full(len(R), yes))
                + (1 - q) * self.value(X, np.full(len(R), no)))

    def binary_minimiser(self, q: float, link: str) -> float:
        """The constant prediction minimising the expected loss, by bisection on the
        reported gradient (probabilities in (0, 1), logits in (-40, 40)), mapped back
        through the declared ``link``."""
        no, yes = self.labels
        lo, hi = (1e-12, 1 - 1e-12) if self.takes_probabilities else (-40.0, 40.0)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            X = np.full((1, 1), mid)
            slope = float(q * self.grad(X, np.array([yes]))[0, 0]
                          + (1 - q) * self.grad(X, np.array([no]))[0, 0])
            if slope == 0:
                lo = hi = mid
                break
            lo, hi = (lo, mid) if slope > 0 else (mid, hi)
        c = 0.5 * (lo + hi)
        if link == "margin":  # the score margin (2q - 1) read back as a probability
            return (1 + c / self.params["margin"]) / 2
        return float(sigmoid(np.array(c)) if link == "logit" else c)

    # -- the minimiser of a divergence D(q ‖ r) over distributions r

    def divergence_minimiser(self, Q: np.ndarray) -> np.ndarray:
        """``softmax(z*)`` for ``z*`` minimising ``D(q ‖ softmax(z))``, by gradient descent
        on the logits through ``log_softmax`` (step 1), to a gradient below 1e-12."""
        Z = np.zeros(Q.shape)
        for _ in range(50000):
            g = self.grad(self.scores(Z), Q)
            g = g - softmax_numpy(Z, axis=1) * g.sum(axis=1, keepdims=True)
            if np.abs(g).max() < 1e-12:
                return softmax_numpy(Z, axis=1)
            Z -= 2 * g  # JS curves 1/4 as much as KL: step 2 is stable and faster
        raise AssertionError(f"gradient descent did not converge (|grad| {np.abs(g).max():.2e})")

    # -- expected losses over a class distribution (classification)

    def expected_loss(self, Z: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """``sum_y q_y loss(z, y)`` for logit rows ``Z`` and distributions ``Q``."""
        M, C = Q.shape
        values = self.value(self.scores(np.repeat(Z, C, axis=0)), np.tile(np.arange(C), M))
        return (values.reshape(M, C) * Q).sum(axis=1)

    def expected_minimiser(self, Q: np.ndarray, converge: bool = True) -> np.ndarray:
        """``softmax(z*)`` for ``z*`` minimising the expected loss, by gradient descent on
        the logits (through ``log_softmax`` for a loss on log-probabilities) from 0, with
        step 1 (stable for any curvature below 2), to a gradient below 1e-12; with
        ``converge=False``, wherever 5000 steps end (a witness needs only a better point)."""
        M, C = Q.shape
        Z = np.zeros((M, C))
        targets = np.tile(np.arange(C), M)
        for _ in range(5000):
            g = self.grad(self.scores(np.repeat(Z, C, axis=0)), targets).reshape(M, C, C)
            g = (Q[:, :, None] * g).sum(axis=1)
            if self.log_probs:  # chain rule through log_softmax: J^T g = g - p sum(g)
                g = g - softmax_numpy(Z, axis=1) * g.sum(axis=1, keepdims=True)
            if np.abs(g).max() < 1e-12:
                return softmax_numpy(Z, axis=1)
            Z -= g
        if not converge:
            return softmax_numpy(Z, axis=1)
        raise AssertionError(f"gradient descent did not converge (|grad| {np.abs(g).max():.2e})")


# ---------------------------------------------------------------- losses studied on their cases

#: Ranking and embedding losses have no single prediction to sweep: their inputs are pairs
#: and triplets of vectors, batches of embeddings, rows of cosines. They are studied on
#: their own parity cases (see CaseProblem); so are the classification losses that declare
#: no minimiser (the multi-class hinges, the face-recognition margins).
CASE_TASKS = ("ranking", "embedding")


def studied_on_cases(rec: Loss) -> bool:
    return rec.task in CASE_TASKS or (rec.task == "classification"
                                      and rec.properties().minimiser is None)


@dataclasses.dataclass
class Template:
    """One parity case as the shape of a batch: its arguments (the ``wrt`` ones are
    replaced by each batch's rows), keyword arguments, the number of examples ``n`` and
    the shapes of the ``wrt`` arguments."""

    args: list[Any]
    kwargs: dict[str, Any]
    n: int
    shapes: list[tuple[int, ...]]


class CaseProblem:
    """``rec`` at ``params``, as a function of the ``wrt`` arguments of its parity cases.

    One *example* is what ``reduction="none"`` returns one value for: an element
    (``margin_ranking_loss``), a triplet of vectors, a row of cosines. A batch ``P`` has one
    row per example, holding the example's slices of every ``wrt`` argument, so the norms
    and constants are per example (over all its arguments), as the other studies' are per
    element or per row. Where an example's value depends on other examples' arguments
    (InfoNCE's negatives are the other rows' keys; NT-Xent has no ``none``), the whole case
    is one example. The target and every other argument stay those of the case.

    Losses on cosines reject values outside [-1, 1]: their points are drawn inside, and
    centres at least 0.1 inside so that ``c -+ h u`` (h <= 0.1) stays there.
    """

    classification = binary = divergence = False

    def __init__(self, rec: Loss, params: dict[str, Any]):
        self.rec, self.params = rec, dict(params)
        accepted = inspect.signature(rec.numpy).parameters
        self.none = {"reduction": "none"} if "reduction" in accepted else {}
        self.summed = {"reduction": "sum"} if "reduction" in accepted else {}
        self.templates = [t for case in rec.cases(np.float64)
                          if (t := self._template(case)) is not None]
        assert self.templates, f"{rec.name}: no usable parity case at {params}"
        self.bounded = self._rejects_outside_unit_box()

    def _template(self, case) -> Template | None:
        kwargs = {**case.kwargs, **self.params, **self.none}
        if "weight" in kwargs:  # the properties are those of the unweighted loss
            kwargs["weight"] = None
        args = list(case.args)
        wrt = [np.asarray(args[i], np.float64) for i in self.rec.wrt]
        if any(a.size == 0 or a.size > 400 or not np.isfinite(a).all()
               or np.abs(a).max() > 1e3 for a in wrt):
            return None
        try:
            out = np.asarray(self.rec.numpy(*args, **kwargs))
        except ValueError:
            return None
        if not np.isfinite(out).all():
            return None
        shape = out.shape
        per_example = all(a.shape[:len(shape)] == shape for a in wrt) and self._separable()
        n = math.prod(shape) if per_example else 1
        return Template(args, kwargs, n, [a.shape for a in wrt])

    @functools.cached_property
    def _separable_flag(self) -> bool:
        """Whether an example's value depends on its own arguments only: moving the first
        example's arguments leaves every other example's value unchanged."""
        for case in self.rec.cases(np.float64):
            kwargs = {**case.kwargs, **self.params, **self.none}
            args = list(case.args)
            try:
                out = np.asarray(self.rec.numpy(*args, **kwargs))
            except ValueError:
                continue
            if out.ndim == 0 or out.shape[0] < 2 or not np.isfinite(out).all():
                continue
            moved = list(args)
            for i in self.rec.wrt:
                moved[i] = np.array(args[i], np.float64)
                moved[i][0] = 0.5 * moved[i][0] + 0.25
            other = np.asarray(self.rec.numpy(*moved, **kwargs))
            return bool(np.array_equal(out[1:], other[1:]))
        return False

    def _separable(self) -> bool:
        if not self.none:
            return False
        return self._separable_flag

    def _rejects_outside_unit_box(self) -> bool:
        t = self.templates[0]
        args = list(t.args)
        args[self.rec.wrt[0]] = np.full(t.shapes[0], 2.0)
        try:
            self.rec.numpy(*args, **t.kwargs)
        except ValueError:
            return True
        return False

    # -- the batch <-> the arguments

    def flat(self, t: Template, arrays) -> np.ndarray:
        return np.concatenate([np.asarray(a, np.float64).reshape(t.n, -1) for a in arrays],
                              axis=1)

    def _args(self, P: np.ndarray, t: Template) -> list[Any]:
        args, start = list(t.args), 0
        for i, shape in zip(self.rec.wrt, t.shapes):
            size = math.prod(shape) // t.n
            args[i] = np.ascontiguousarray(P[:, start:start + size]).reshape(shape)
            start += size
        return args

    def value(self, P: np.ndarray, t: Template) -> np.ndarray:
        out = np.asarray(self.rec.numpy(*self._args(P, t), **t.kwargs), np.float64)
        return out.reshape(t.n) if t.n > 1 or out.size == 1 else np.array([out.sum()])

    def grad(self, P: np.ndarray, t: Template) -> np.ndarray:
        kwargs = {**t.kwargs, **self.summed}
        return self.flat(t, self.rec.grad(*self._args(P, t), **kwargs))

    def target_size(self, t: Template) -> float:
        return 0.0

    def scores(self, Z: np.ndarray) -> np.ndarray:
        return Z

    # -- samples

    def _inside(self, P: np.ndarray, margin: float = 0.0) -> np.ndarray:
        return np.clip(P, -1 + margin, 1 - margin) if self.bounded else P

    def base(self, t: Template) -> np.ndarray:
        return self.flat(t, [t.args[i] for i in self.rec.wrt])

    def _random(self, rng, t: Template, scale: float) -> np.ndarray:
        P0 = self.base(t)
        if self.bounded:
            return rng.uniform(-1, 1, P0.shape)
        return scale * rng.standard_normal(P0.shape)

    def points(self, rng) -> list[tuple[np.ndarray, Template]]:
        """The cases, scaled by every magnitude, and random points of each magnitude."""
        out = []
        for t in self.templates:
            P0 = self.base(t)
            for scale in SCALES:
                out.append((self._inside(scale * P0), t))
                out.append((self._inside(self._random(rng, t, scale)), t))
        return out

    def pairs(self, rng) -> list[tuple[np.ndarray, np.ndarray, Template]]:
        out = []
        for t in self.templates:
            for scale in (0.1, 1.0, 10.0):
                A = self._inside(self._random(rng, t, scale) + self.base(t))
                near = self._inside(A + rng.choice(SCALES[:5], (len(A), 1))
                                    * _unit_rows(rng, A.shape))
                out += [(A, near, t), (A, self._inside(self._random(rng, t, scale)), t)]
        for C, t in self.centres(rng):
            U = _unit_rows(rng, C.shape)
            h = rng.choice((1e-9, 1e-6, 1e-3, 0.1), (len(C), 1))
            out.append((C - h * U, C + h * U, t))
        return out

    def centres(self, rng) -> list[tuple[np.ndarray, Template]]:
        """The cases themselves (their inputs sit on the kinks: margins met exactly,
        ties), and random points near them."""
        out = []
        for t in self.templates:
            P0 = self.base(t)
            out.append((self._inside(P0, 0.1), t))
            out.append((self._inside(P0 + 0.3 * rng.standard_normal(P0.shape), 0.1), t))
        return out


    def sup_norm_by_dimension(self, rng, factor: int = 16) -> tuple[float, float]:
        """The largest gradient norm at random Gaussian vectors of each case's dimension
        ``D`` and of ``factor * D`` (the cases whose ``wrt`` arguments are vectors along
        their last axis, with the same ``D``), 50 draws each."""
        tops = [0.0, 0.0]
        for t in self.templates:
            dims = {shape[-1] for shape in t.shapes if shape}
            if len(dims) != 1 or any(not shape for shape in t.shapes):
                continue
            (D,) = dims
            if t.n == math.prod(t.shapes[0]):  # one example per element: no vectors
                continue
            found = [0.0, 0.0]
            try:
                for k, width in enumerate((D, factor * D)):
                    shapes = [(*shape[:-1], width) for shape in t.shapes]
                    wide = Template(list(t.args), t.kwargs, t.n, shapes)
                    for _ in range(50):
                        for i, shape in zip(self.rec.wrt, shapes):
                            wide.args[i] = self._inside(rng.standard_normal(shape))
                        P = self.flat(wide, [wide.args[i] for i in self.rec.wrt])
                        norms = _norm(self.grad(P, wide))
                        found[k] = max(found[k], float(norms[np.isfinite(norms)].max(initial=0)))
            except ValueError:  # a target tied to the width (rows of class indices)
                continue
            tops = [max(a, b) for a, b in zip(tops, found)]
        return tops[0], tops[1]


    def sup_norm_by_width(self, rng) -> tuple[float, float]:
        """The largest gradient norm over the points of the narrowest cases (last axis)
        and of the widest, where the widest is at least 16 times wider."""
        by_width: dict[int, float] = {}
        for P, t in self.points(rng):
            norms = _norm(self.grad(P, t))
            width = t.shapes[0][-1] if t.shapes[0] else 1
            by_width[width] = max(by_width.get(width, 0.0),
                                  float(norms[np.isfinite(norms)].max(initial=0)))
        narrow, wide = min(by_width), max(by_width)
        return (by_width[narrow], by_width[wide]) if wide >= 16 * narrow else (0.0, 0.0)


def make_problem(rec: Loss, params: dict[str, Any]) -> Problem | CaseProblem:
    return CaseProblem(rec, params) if studied_on_cases(rec) else Problem(rec, params)


def _unit_rows(rng, shape) -> np.ndarray:
    U = rng.standard_normal(shape)
    return U / np.linalg.norm(U, axis=1, keepdims=True)


def _norm(X: np.ndarray) -> np.ndarray:
    return np.linalg.norm(X, axis=1)


@functools.cache
def _distributions(C: int, seed: int = 7) -> np.ndarray:
    """Random true distributions, kept away from the simplex's faces (every entry at
    least 0.5 / C) so that gradient descent converges in a few hundred steps."""
    rng = np.random.default_rng(seed + C)
    return 0.5 * rng.dirichlet(np.ones(C), 4) + 0.5 / C


CLASS_COUNTS = (2, 3, 4, 5)
BINARY_PROBABILITIES = (0.02, 0.3, 0.5, 0.77, 0.95)


@functools.cache
def _minimisers(name: str, params: tuple) -> dict[int, np.ndarray]:
    """The expected-loss minimisers for each number of classes (shared by the minimiser
    and the proper checks; they depend on the loss, not on its declaration)."""
    problem = Problem(LOSSES[name], dict(params))
    return {C: problem.expected_minimiser(_distributions(C)) for C in CLASS_COUNTS}


def expected_minimisers(problem: Problem) -> dict[int, np.ndarray]:
    return _minimisers(problem.rec.name, tuple(problem.params.items()))


# ---------------------------------------------------------------- the checks


def _pairs_evaluated(problem: Problem, rng):
    """Per pair: prediction difference, both gradients, values at both ends and the
    midpoint, and the magnitudes of the inputs; only where everything is finite (a
    Poisson log-rate of 1e6 overflows)."""
    for A, B, T in problem.pairs(rng):
        M = 0.5 * (A + B)
        fa, fb, fm = problem.value(A, T), problem.value(B, T), problem.value(M, T)
        ga, gb = problem.grad(A, T), problem.grad(B, T)
        size = _norm(A) + _norm(B) + problem.target_size(T)
        ok = np.isfinite(fa + fb + fm + ga.sum(1) + gb.sum(1) + size)
        yield (_norm(A - B)[ok], ga[ok], gb[ok], fa[ok], fb[ok], fm[ok], size[ok])


@np.errstate(all="ignore")
def check_convex(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    excess = []
    for dx, ga, gb, fa, fb, fm, size in _pairs_evaluated(problem, rng):
        # The gap f(mid) - (f(a) + f(b))/2 is a difference of the three values, and a
        # value can be a small difference of larger terms (exp(x) - y x, log v + r^2/v):
        # measure it against the values and the first-order change |a - b| |grad|.
        scale = np.abs(fa) + np.abs(fb) + np.abs(fm) + dx * (_norm(ga) + _norm(gb))
        # Rounding the inputs ((a + b)/2, and a - y inside the loss) moves a value by an
        # ulp of the inputs times the gradient: 64 ulp of that is not a violation (a
        # residual of 1e-6 at a target of 1e6 is known to 1e-4 relative only); nor are a
        # few units of the smallest subnormal (a loss of e^-741 is 7e-323, +-7%).
        noise = 64 * F64_EPS * size * (_norm(ga) + _norm(gb)) + 64 * TINIEST
        gap = fm - 0.5 * (fa + fb)
        excess.append(np.sign(gap) * np.maximum(np.abs(gap) - noise, 0)
                      / np.where(scale > 0, scale, 1.0))
    excess = np.concatenate(excess)
    worst = float(excess.max())
    if props.convex:
        # rounding moves the values by a few ulp of the terms: 1e-9 of them is far above
        assert worst <= 1e-9, f"midpoint inequality violated by {worst:.3g} (relative)"
    else:
        # a witness: a violation a thousand times above that tolerance
        assert worst > 1e-6, f"declared non-convex, but no pair violates the midpoint " \
                             f"inequality (largest relative gap {worst:.3g})"


@np.errstate(all="ignore")
def check_grad_lipschitz(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    L = props.grad_lipschitz
    ratios = []
    for dx, ga, gb, *_, size in _pairs_evaluated(problem, rng):
        dg = _norm(ga - gb)
        # a gradient is computed to a few ulp of itself and of L times its inputs (the
        # residual a - y rounds to ulp(max(|a|, |y|))): 64 ulp of those
        noise = 64 * F64_EPS * (_norm(ga) + _norm(gb) + (L or 0.0) * size)
        if L is not None:
            bad = dg > L * dx * (1 + 1e-9) + noise
            assert not bad.any(), (
                f"|g(a) - g(b)| / |a - b| = {np.max(dg[bad] / dx[bad]):.6g} > L = {L}")
        # ratios for the witnesses: only where rounding is < 1e-3 of the difference
        reliable = (dx > 0) & (noise < 1e-3 * np.maximum(dg, L * dx if L else 0.0))
        ratios.append(dg[reliable] / dx[reliable])
    top = float(np.concatenate(ratios).max(initial=0.0))
    if L is None:
        assert top > 1e6, f"declared no finite L, but the largest ratio is {top:.6g}"
    else:
        assert top >= 0.99 * L, f"L = {L} is not reached: the largest ratio is {top:.6g}"


@np.errstate(all="ignore")
def check_smooth(rec: Loss, props: Properties, rng) -> None:
    """The gradient difference across ``c -+ h u``, relative to ``1 + |grad(c)|``, for
    ``h`` = 1e-3, 1e-6, 1e-9: a continuous gradient makes it O(h); a jump keeps it.
    And the value's one-sided slopes ``(f(c + h u) - f(c)) / h`` and ``(f(c) - f(c - h u))
    / h`` at ``h = 1e-6``: they agree where the loss is differentiable, and differ at a
    kink that the reported gradient does not show (torch's binary cross-entropy reports
    ``(p - y) / max(p (1 - p), eps)`` across its clamp of the log at -100, where the loss
    itself has a corner)."""
    problem = make_problem(rec, props.parameters)
    mapped = (problem.classification or problem.binary) and not problem.divergence

    def grad(X, T):
        return problem.grad(problem.scores(X) if mapped else X, T)

    def value(X, T):
        return problem.value(problem.scores(X) if mapped else X, T)

    jumps, corners = [], []
    for C, T in problem.centres(rng):
        U = _unit_rows(rng, C.shape)
        size = 1 + _norm(grad(C, T))
        jumps.append(np.stack([_norm(grad(C + h * U, T) - grad(C - h * U, T)) / size
                               for h in (1e-3, 1e-6, 1e-9)], axis=1))
        h = 1e-6
        f0 = value(C, T)
        right, left = (value(C + h * U, T) - f0) / h, (f0 - value(C - h * U, T)) / h
        # rounding of the values: 64 ulp of f over h; curvature: slope h f''
        noise = 64 * F64_EPS * np.abs(f0) / h
        corners.append(np.maximum(np.abs(right - left) - noise, 0)
                       / (1 + np.abs(right) + np.abs(left)))
    jumps, corners = np.concatenate(jumps), np.concatenate(corners)
    corner = float(corners[np.isfinite(corners)].max())
    if props.smooth:
        # a gradient of slope up to 1e4 times its size moves by < 2e-5 over 2e-9
        worst = float(jumps[:, -1].max())
        assert worst <= 1e-4, f"the gradient jumps by {worst:.3g} across a pair 2e-9 apart"
        # a slope of the slope up to 1e3 times its size changes it by < 1e-3 over 1e-6
        assert corner <= 1e-2, f"the value has a corner: one-sided slopes differ by {corner:.3g}"
    else:
        persistent = float(jumps.min(axis=1).max())
        assert max(persistent, corner) >= 1e-2, (
            "declared not smooth, but the gradient difference vanishes at every centre "
            f"(largest {persistent:.3g}) and the value has no corner ({corner:.3g})")


@np.errstate(all="ignore")
def check_grad_bound(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    norms = np.concatenate([_norm(problem.grad(P, T)) for P, T in problem.points(rng)])
    bound = props.grad_bound
    if bound is None:
        top = float(norms[np.isfinite(norms)].max())
        note = props.notes.get("grad_bound", "")
        if top <= 1e5 and isinstance(problem, CaseProblem) and (
                "dimension" in note or "number of classes" in note):
            # bounded at each dimension D, unbounded over all of them (an L1 distance's
            # gradient is a vector of signs, of norm sqrt(D)): 16 D must give about 4 times
            small, large = problem.sup_norm_by_dimension(rng)
            if small == 0.0:  # the vectors are rows of classes: compare the cases' widths
                small, large = problem.sup_norm_by_width(rng)
            assert large >= 3 * small > 0, (
                f"declared to grow with the dimension, but sup |grad| is {small:.6g} at "
                f"the cases' dimension and {large:.6g} at 16 times it")
            return
        assert top > 1e5, f"declared unbounded, but |grad| <= {top:.6g} on inputs up to 1e6"
        return
    assert np.isfinite(norms).all(), "a non-finite gradient where a bound is declared"
    top = float(norms.max())
    # the gradient is computed to a few ulp of itself: 1e-9 relative is far above that
    assert top <= bound * (1 + 1e-9), f"|grad| = {top!r} exceeds the bound {bound!r}"
    assert top >= 0.99 * bound, f"the bound {bound} is not approached: sup |grad| = {top:.6g}"


def _skewed_sample(rng, scale: float = 1.0, quantile: float | None = None) -> np.ndarray:
    """An exponential sample (skewed, positive so that a count model takes it too); an
    odd size n with n * quantile not an integer, so that the median and the quantile
    are unique sample points."""
    n = 201
    while quantile is not None and abs(n * quantile - round(n * quantile)) < 1e-9:
        n += 2
    return scale * rng.exponential(1.0, n)


@np.errstate(all="ignore")
def check_minimiser(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    if isinstance(problem, CaseProblem):
        # ranking and embedding losses estimate no outcome; the multi-class hinges and the
        # face margins declare None with the reason (Properties requires the note)
        assert props.minimiser is None, (f"{rec.name} is studied on its cases and cannot "
                                         f"have its minimiser {props.minimiser!r} checked")
        return
    if problem.binary:
        check_binary_minimiser(problem, props)
        return
    if problem.divergence:
        assert props.minimiser == "distribution", f"a divergence minimised by a " \
                                                  f"{props.minimiser!r}"
        for C in CLASS_COUNTS:
            Q = _distributions(C)
            error = float(np.abs(problem.divergence_minimiser(Q) - Q).max())
            assert error <= 1e-7, f"C = {C}: D(q ‖ r) is minimised {error:.3g} away from q"
        return
    if problem.classification:
        assert props.minimiser in ("distribution", "smoothed-distribution"), \
            f"a classification loss minimised by a {props.minimiser!r}"
        eps = props.parameters.get("label_smoothing", 0.0)
        for C, P in expected_minimisers(problem).items():
            Q = _distributions(C)
            target = Q if props.minimiser == "distribution" else (1 - eps) * Q + eps / C
            error = float(np.abs(P - target).max())
            # descent runs to a gradient of 1e-12; 1e-7 leaves a wide margin
            assert error <= 1e-7, f"C = {C}: the expected loss is minimised " \
                                  f"{error:.3g} away from the declared {props.minimiser}"
        return
    if props.minimiser == "m-estimate":
        # Neither the mean nor the median: 10% of the mean-median distance away from both,
        # on an exponential sample spread like one of the loss's thresholds (1, beta,
        # delta, c: an M-estimate tends to the median for a sample far wider than its
        # threshold, to the mean for a far narrower one).
        offsets = {}
        for scale in problem.kinks[problem.kinks > 0]:
            y = _skewed_sample(rng, scale)
            mean, median = float(np.mean(y)), float(np.median(y))
            c = problem.minimise_constant(y, props.link)
            offsets[float(scale)] = np.round(np.array([c - mean, c - median])
                                             / abs(mean - median), 4)
        assert any(np.abs(o).min() > 0.1 for o in offsets.values()), (
            "declared an M-estimate, but the minimiser is the mean or the median: "
            f"(minimiser - mean, minimiser - median) / |mean - median| by scale: {offsets}")
        return
    tau = props.parameters.get("quantile") if props.minimiser == "quantile" else None
    y = _skewed_sample(rng, quantile=tau)
    found = problem.minimise_constant(y, props.link)
    mean, median = float(np.mean(y)), float(np.median(y))
    references = {"mean": mean, "median": median}
    if tau is not None:
        references["quantile"] = float(np.quantile(y, tau, method="inverted_cdf"))
    assert props.minimiser in references, f"a regression loss minimised by a {props.minimiser!r}"
    expected = references[props.minimiser] + props.offset
    # Bisection locates the minimiser to the last bit; 1e-7 of the sample's range is far
    # above rounding and below anything of statistical size. The declared offset (Poisson
    # with rates: -eps, from log(input + eps)) is part of the expected value.
    tol = 1e-7 * float(np.ptp(y))
    assert abs(found - expected) <= tol, (
        f"the minimiser {found!r} (link {props.link!r}) is not the {props.minimiser} "
        f"{expected!r}; mean {mean:.6g}, median {median:.6g}")


def check_binary_minimiser(problem: Problem, props: Properties) -> None:
    """``"distribution"``: the minimiser read through the link is ``q``; ``"mode"``: its
    sign is that of ``2q - 1`` and it is the same for every ``q`` on one side of 1/2 (so it
    tells the most likely label and nothing about its probability); None: neither."""
    found = {q: problem.binary_minimiser(q, "identity") for q in BINARY_PROBABILITIES}
    read = {q: problem.binary_minimiser(q, props.link) for q in BINARY_PROBABILITIES}
    # bisection to the last bit; 1e-7 is far above rounding
    distribution = all(abs(read[q] - q) <= 1e-7 for q in BINARY_PROBABILITIES)
    sides = [[c for q, c in found.items() if q < 0.5], [c for q, c in found.items() if q > 0.5]]
    # away from 0: at margin 0 the minimiser is c = 0 for every q, which bisection on the
    # subgradient (1 - 2q at the kink) approaches as +-1e-59 from the side of the mode
    mode = (all(c < -1e-9 for c in sides[0]) and all(c > 1e-9 for c in sides[1])
            and all(abs(c - side[0]) <= 1e-7 * (1 + abs(c)) for side in sides for c in side))
    if props.minimiser == "distribution":
        assert distribution, f"minimisers {read} (link {props.link!r}) are not P(Y = 1)"
    elif props.minimiser == "mode":
        assert mode, f"minimisers {found} do not tell the most likely label alone"
    elif props.minimiser is None:
        assert not distribution and not mode, (
            f"declared no minimiser, but the minimisers {found} are the "
            f"{'distribution' if distribution else 'mode'}")
    else:
        raise AssertionError(f"a binary loss minimised by a {props.minimiser!r}")


@np.errstate(all="ignore")
def check_breakdown_point(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    bp = props.breakdown_point
    if problem.classification or problem.binary or isinstance(problem, CaseProblem):
        assert bp is None, "a breakdown point declared for a classification loss"
        return
    clean = rng.standard_normal(200)
    sides = (1.0, -1.0)
    if problem.target_lower == 0:  # counts: outliers can only be large
        clean, sides = np.abs(clean), (1.0,)

    def location(fraction: float, side: float) -> float:
        y = clean.copy()
        y[: round(fraction * len(y))] = side * OUTLIER
        return problem.minimise_constant(y, props.link)

    if bp is None:  # not one number (Tukey with a fixed c): the note must say on what it
        # depends, and the estimate is still robust (10%) yet broken by a majority (55%)
        assert props.notes.get("breakdown_point"), "breakdown_point None needs its note"
        assert all(abs(location(0.10, side)) < 10 for side in sides)
        assert any(abs(location(0.55, side)) > 1e3 for side in sides)
        return

    # Bounded: |location| < 10 on the clean N(0, 1) scale; escaped: > 1e3, toward 1e6.
    # The two sides can differ (outliers above break the tau-quantile past a fraction
    # 1 - tau, below past tau): the declared point is the smaller one, so the estimate
    # stays bounded on both sides below it and escapes on one side at least above it.
    if bp > 0:
        for side in sides:
            moved = location(bp - 0.05, side)
            assert abs(moved) < 10, (f"{bp - 0.05:.2f} of outliers at {side * OUTLIER:g} "
                                     f"move the minimiser to {moved:.6g} (declared {bp})")
    escaped = {side: location(bp + 0.05, side) for side in sides}
    assert any(abs(m) > 1e3 for m in escaped.values()), (
        f"{bp + 0.05:.2f} of outliers do not break the estimate: minimisers {escaped}")


@np.errstate(all="ignore")
def check_proper(rec: Loss, props: Properties, rng) -> None:
    problem = make_problem(rec, props.parameters)
    if isinstance(problem, CaseProblem):
        if rec.task in CASE_TASKS or props.proper is None:
            # no predicted distribution (ranking, embedding), or cosines read as none
            assert props.proper is None and (rec.task in CASE_TASKS
                                              or props.notes.get("proper")), \
                "proper is None for ranking and embedding losses, and needs a note elsewhere"
            return
        problem = Problem(rec, props.parameters)  # scores of any size: the class study
    assert (problem.classification or problem.binary) == (props.proper is not None), \
        "proper is declared for classification losses only (None for regression)"
    if props.proper is None:
        return
    if problem.binary:
        problem.link = props.link
        witnesses: list[bool] = []
        R = np.linspace(1e-3, 1 - 1e-3, 999)
        for q in BINARY_PROBABILITIES:
            scores = problem.binary_expected(R, q)
            at_truth = float(problem.binary_expected(np.array([q]), q)[0])
            excess = scores - at_truth
            if props.proper:  # every other probability scores worse
                apart = np.abs(R - q) >= 1e-3
                assert (excess > 1e-9 * abs(at_truth))[apart].all(), \
                    f"P(Y = 1) = {q}: a probability other than q scores {excess.min():.3g}"
            else:  # a witness at some q (at q = 1/2 the hinge is flat: q ties)
                witnesses.append(bool((excess < -1e-9 * abs(at_truth)).any()))
        assert props.proper or any(witnesses), "declared improper, but q scores best at every q"
        return
    minimisers = (expected_minimisers(problem) if props.proper else
                  {C: problem.expected_minimiser(_distributions(C), converge=False)
                   for C in CLASS_COUNTS})
    for C, P in minimisers.items():
        Q = _distributions(C)
        at_truth = problem.expected_loss(np.log(Q), Q)
        distance = np.abs(P - Q).max(axis=1)
        if props.proper:
            assert distance.max() <= 1e-7, f"C = {C}: minimised {distance.max():.3g} from q"
            # strictly: other distributions, random and at distance 1e-2 of q, score worse.
            # The excess is a KL divergence, >= |r - q|_1^2 / 2 >= 5e-7 at a distance of
            # 1e-3 or more (Pinsker), compared with 1e-9 of the score.
            step = rng.standard_normal((50, *Q.shape))
            step -= step.mean(axis=-1, keepdims=True)  # along the simplex
            step *= 1e-2 / np.abs(step).max(axis=-1, keepdims=True)
            others = np.concatenate([rng.dirichlet(np.ones(C), (50, len(Q))), Q + step])
            for R in others:
                excess = problem.expected_loss(np.log(R), Q) - at_truth
                apart = np.abs(R - Q).max(axis=1) >= 1e-3
                assert (excess > 1e-9 * np.abs(at_truth))[apart].all(), \
                    f"C = {C}: a distribution other than q scores {excess.min():.3g} vs q"
        else:
            # a witness: the minimiser is not q and scores better than q. Fixed-step descent
            # oscillates on a hinge, so the scores k log q, flattened or sharpened, are tried
            # too (a margin loss prefers its classes a margin apart, whatever q says)
            candidates = [np.log(P)] + [k * np.log(Q) for k in np.geomspace(1e-3, 1e3, 61)]
            better = max(float(np.max(at_truth - problem.expected_loss(Z, Q)
                                      - 1e-9 * np.abs(at_truth))) for Z in candidates)
            assert better > 0, f"C = {C}: declared improper, but the expected loss is " \
                               f"minimised at q"


CHECKS = {
    "convex": check_convex,
    "smooth": check_smooth,
    "grad_lipschitz": check_grad_lipschitz,
    "grad_bound": check_grad_bound,
    "minimiser": check_minimiser,
    "breakdown_point": check_breakdown_point,
    "proper": check_proper,
}


def checked_properties(rec: Loss) -> list[str]:
    """breakdown_point applies to regression losses, proper to classification losses."""
    skip = "proper" if rec.task == "regression" else "breakdown_point"
    return [p for p in CHECKS if p != skip]


# ---------------------------------------------------------------- the tests

RECORDS = list(LOSSES.values())
SETTINGS = [(rec, s) for rec in RECORDS for s in settings(rec)]


def _declared_cases():
    for rec, setting in SETTINGS:
        for prop in checked_properties(rec):
            yield pytest.param(rec, setting, prop, id=f"{setting_id(rec, setting)}-{prop}")


def test_every_loss_is_registered_with_properties():
    exported = {obj.name for obj in vars(lossref.losses).values() if isinstance(obj, Loss)}
    assert exported <= set(LOSSES), f"losses not in the registry: {exported - set(LOSSES)}"
    for rec in RECORDS:
        assert isinstance(rec.properties(), Properties), rec.name


@pytest.mark.parametrize("rec", RECORDS, ids=[r.name for r in RECORDS])
def test_unknown_keyword_is_a_type_error(rec):
    with pytest.raises(TypeError):
        rec.properties(no_such_option=1)
    if "reduction" in inspect.signature(rec.numpy).parameters:
        rec.properties(reduction="sum")  # an option that changes no property is accepted


@pytest.mark.parametrize("rec, setting", SETTINGS, ids=[setting_id(*s) for s in SETTINGS])
def test_properties_record_their_parameters(rec, setting):
    props = rec.properties(**setting)
    assert props.parameters == {**declare_keywords(rec), **setting}
    if rec.task in ("regression", *CASE_TASKS):
        assert props.proper is None
    else:  # a bool, or None with a note (cosines are no probabilities)
        assert props.proper is not None or props.notes.get("proper")
    if rec.task != "regression":
        assert props.breakdown_point is None
    else:  # a number, or None with a note that says on what it depends
        assert props.breakdown_point is not None or props.notes.get("breakdown_point")


DECLARED_CASES = list(_declared_cases())


@pytest.mark.parametrize("rec, setting, prop", DECLARED_CASES)
def test_declared_property_holds(rec, setting, prop, request):
    CHECKS[prop](rec, rec.properties(**setting), rng_for(request.node.callspec.id))


# (loss, keyword arguments, property, false value): each must be rejected by its check
CORRUPTIONS = [
    # the three declarations these checks first found false, as they were declared
    ("tukey_biweight_loss", {"c": 1.0}, "breakdown_point", 0.5),
    ("cross_entropy", {"label_smoothing": 0.25}, "minimiser", "distribution"),
    ("poisson_nll_loss", {"log_input": False, "eps": 0.5}, "offset", 0.0),
    ("tukey_biweight_loss", {}, "convex", True),
    ("gaussian_nll_loss", {}, "convex", True),
    ("mse_loss", {}, "convex", False),
    ("l1_loss", {}, "smooth", True),
    ("quantile_loss", {"quantile": 0.9}, "smooth", True),
    ("huber_loss", {"delta": 0.5}, "smooth", False),
    ("mse_loss", {}, "grad_lipschitz", 1.5),
    ("mse_loss", {}, "grad_lipschitz", 2.5),
    ("log_cosh_loss", {}, "grad_lipschitz", 0.5),
    ("cross_entropy", {}, "grad_lipschitz", 0.25),
    ("nll_loss", {}, "grad_lipschitz", None),
    ("l1_loss", {}, "grad_lipschitz", 1e3),
    ("poisson_nll_loss", {}, "grad_lipschitz", 1.0),
    ("gaussian_nll_loss", {}, "grad_lipschitz", 1.0),
    ("huber_loss", {"delta": 0.5}, "grad_bound", 2 * 0.5),
    ("mse_loss", {}, "grad_bound", 10.0),
    ("tukey_biweight_loss", {}, "grad_bound", 4.685 / 2),
    ("l1_loss", {}, "grad_bound", None),
    ("cross_entropy", {"label_smoothing": 0.25}, "grad_bound", math.sqrt(2)),
    ("log_cosh_loss", {}, "minimiser", "mean"),
    ("l1_loss", {}, "minimiser", "m-estimate"),
    ("mse_loss", {}, "minimiser", "median"),
    ("quantile_loss", {"quantile": 0.1}, "minimiser", "median"),
    ("poisson_nll_loss", {}, "link", "identity"),
    ("poisson_nll_loss", {"log_input": False}, "link", "log"),
    ("quantile_loss", {"quantile": 0.1}, "breakdown_point", 0.5),
    ("huber_loss", {}, "breakdown_point", 0.0),
    ("mse_loss", {}, "breakdown_point", 0.5),
    ("cross_entropy", {"label_smoothing": 0.2}, "proper", True),
    ("cross_entropy", {}, "proper", False),
    ("nll_loss", {}, "proper", False),
    ("binary_cross_entropy", {}, "convex", True),
    ("binary_cross_entropy", {}, "smooth", True),
    ("binary_cross_entropy", {}, "grad_bound", 1.0),
    ("binary_cross_entropy", {}, "proper", False),
    ("binary_cross_entropy", {}, "link", "logit"),
    ("binary_cross_entropy_with_logits", {}, "grad_lipschitz", 0.5),
    ("binary_cross_entropy_with_logits", {}, "grad_lipschitz", 0.2),
    ("binary_cross_entropy_with_logits", {}, "link", "identity"),
    ("binary_cross_entropy_with_logits", {}, "minimiser", "mean"),
    ("soft_margin_loss", {}, "grad_bound", 0.5),
    ("soft_margin_loss", {}, "proper", False),
    ("soft_margin_loss", {}, "convex", False),
    ("multilabel_soft_margin_loss", {}, "smooth", False),
    ("kl_div", {}, "grad_lipschitz", None),
    ("kl_div", {}, "grad_bound", 0.5),
    ("kl_div", {"log_target": True}, "proper", False),
    ("js_divergence", {}, "convex", True),
    ("js_divergence", {}, "proper", True),
    ("js_divergence", {}, "grad_bound", None),
    ("js_divergence", {}, "grad_lipschitz", 0.3),
    ("js_divergence", {"log_target": True}, "minimiser", "smoothed-distribution"),
    # margin losses on labels +-1: the mode, the margin's scale, properness
    ("hinge_loss", {}, "minimiser", "distribution"),
    ("hinge_loss", {}, "minimiser", None),
    ("hinge_loss", {}, "proper", True),
    ("hinge_loss", {"margin": 2.0}, "smooth", True),
    ("hinge_loss", {}, "grad_bound", 0.5),
    ("squared_hinge_loss", {}, "minimiser", "mode"),
    ("squared_hinge_loss", {}, "link", "logit"),
    ("squared_hinge_loss", {}, "grad_lipschitz", 1.0),
    ("squared_hinge_loss", {}, "proper", False),
    ("perceptron_loss", {}, "minimiser", "mode"),
    ("perceptron_loss", {}, "proper", True),
    # multi-class margins, ranking and embedding losses, studied on their cases
    ("multi_margin_loss", {}, "grad_bound", 0.5),
    ("multi_margin_loss", {"p": 2}, "smooth", False),
    ("multi_margin_loss", {}, "proper", True),
    ("multiclass_hinge_loss", {}, "grad_bound", 1.0),
    ("multiclass_hinge_loss", {}, "convex", False),
    ("multilabel_margin_loss", {}, "grad_bound", 2.0),
    ("margin_ranking_loss", {}, "convex", False),
    ("margin_ranking_loss", {}, "grad_bound", 1.0),
    ("margin_ranking_loss", {}, "minimiser", "mean"),
    ("hinge_embedding_loss", {}, "smooth", True),
    ("cosine_embedding_loss", {}, "convex", True),
    ("cosine_embedding_loss", {}, "grad_bound", 2.0),
    ("triplet_margin_loss", {}, "grad_bound", 2.0),
    ("triplet_margin_loss", {"p": 1.0}, "grad_bound", 5.0),
    ("triplet_margin_loss", {}, "proper", False),
    ("contrastive_loss", {}, "convex", True),
    ("contrastive_loss", {"margin": 0.0}, "grad_lipschitz", 1.0),
    ("info_nce_loss", {}, "convex", True),
    ("ntxent_loss", {}, "grad_bound", 10.0),
    ("cosface_loss", {}, "grad_lipschitz", 1024.0),
    ("cosface_loss", {}, "grad_bound", 64.0),
    ("cosface_loss", {}, "convex", False),
    ("arcface_loss", {}, "smooth", True),
]
# the check that covers each field (link is checked through the minimiser)
CHECK_OF = {**{p: p for p in CHECKS}, "link": "minimiser", "offset": "minimiser"}


def _corruption_id(name, kwargs, field, value) -> str:
    shown = f"{value:g}" if isinstance(value, float) else value
    return "-".join([name, *(f"{k}{v}" for k, v in kwargs.items()), f"{field}={shown}"])


@pytest.mark.parametrize("name, kwargs, field, value", CORRUPTIONS,
                         ids=[_corruption_id(*c) for c in CORRUPTIONS])
def test_a_false_declaration_fails(name, kwargs, field, value, request):
    """The checks above, given a true declaration with one field made false, fail."""
    rec = LOSSES[name]
    props = rec.properties(**kwargs)
    assert getattr(props, field) != value, "the corruption must change the declaration"
    false = dataclasses.replace(props, **{field: value})
    with pytest.raises(AssertionError):
        CHECKS[CHECK_OF[field]](rec, false, rng_for(request.node.callspec.id))
