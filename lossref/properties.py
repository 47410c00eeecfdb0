"""What a statistician asks of a loss, declared once per loss and checked by the tests.

``Loss.properties(**kwargs)`` returns a :class:`Properties` evaluated at the loss's
keyword arguments (``smooth_l1_loss.properties(beta=0.5)`` reports its own constants).
``tests/test_loss_properties.py`` checks every declaration numerically, so a wrong one
fails the build; the site renders the records on each page and in one comparison table.

All constants are per element for element-wise losses (one prediction, weight 1) and per
row of scores for classification losses (one sample, no class weights).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["LINKS", "MINIMISERS", "OptimizerProperties", "Properties"]

#: What minimises the expected loss E[loss(c, Y)] over a constant prediction c.
MINIMISERS = ("mean", "median", "quantile", "m-estimate", "distribution",
              "smoothed-distribution", "mode")


#: The scale of the prediction: the minimiser itself, its logarithm (Poisson with
#: log-rates), the logit of a probability (binary losses on logits), or ``margin (2q - 1)``
#: for a probability ``q`` (margin losses on labels in {-1, 1}: the squared hinge).
LINKS = ("identity", "log", "logit", "margin")


@dataclasses.dataclass(frozen=True)
class Properties:
    """The declared properties of a loss at given keyword arguments.

    Attributes:
        convex: convex in the prediction argument(s) for every fixed target, on the domain.
        smooth: continuously differentiable in the prediction everywhere on the domain.
        grad_lipschitz: the smallest ``L`` with ``|grad(a) - grad(b)| <= L |a - b|`` (per
            element, or per row of scores); None when no finite ``L`` exists.
        grad_bound: ``sup |grad|`` over the domain (per element or row); None when the
            gradient is unbounded (no bounded influence).
        minimiser: what minimises ``E[loss(c, Y)]`` over a constant ``c``: one of
            :data:`MINIMISERS` (``"quantile"`` is the ``quantile``-th quantile;
            ``"distribution"``: the true class distribution ``q``;
            ``"smoothed-distribution"``: ``(1 - eps) q + eps / C``, label smoothing ``eps``;
            for a binary loss ``"distribution"`` is ``P(Y = 1)``; ``"mode"``: the most
            probable label, ``sign(2 P(Y = 1) - 1)``, and nothing about its probability),
            or None where no such statement holds: ranking and embedding losses, whose
            target is no random outcome to estimate, and losses whose minimiser is not
            one of these (a note says why).
        link: the scale of the prediction: ``"identity"``, ``"log"`` where the
            prediction is the logarithm of the minimiser (Poisson with log-rates),
            ``"logit"`` where it is the logit of a probability (binary losses on logits:
            ``sigmoid(c)`` is the minimiser), or ``"margin"`` where a probability ``q``
            is the score ``margin (2q - 1)`` (labels in {-1, 1}: the squared hinge's
            minimiser is ``margin (2 P(Y = 1) - 1)``).
        offset: added to the minimiser on the prediction's scale (Poisson with rates:
            ``-eps``, because torch adds ``eps`` inside the log); 0 otherwise.
        breakdown_point: of that location estimate (0 for the mean, 1/2 for the median);
            None where the notion does not apply (classification) or where it is not one
            number (Tukey's biweight with a fixed ``c``: it depends on the sample; the
            note says how).
        proper: for losses on predicted class probabilities (or scores read as
            probabilities through ``link``), whether the loss is a strictly proper scoring
            rule; None for regression, ranking and embedding losses.
        parameters: the keyword arguments the record was evaluated at.
        notes: one short sentence per property that needs its derivation or its scope.
    """

    convex: bool
    smooth: bool
    grad_lipschitz: float | None
    grad_bound: float | None
    minimiser: str | None
    breakdown_point: float | None
    proper: bool | None
    link: str = "identity"
    offset: float = 0.0
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.minimiser is None:
            if "minimiser" not in self.notes:
                raise ValueError("minimiser=None needs notes['minimiser'] saying why")
        elif self.minimiser not in MINIMISERS:
            raise ValueError(f"minimiser must be one of {MINIMISERS} or None, got "
                             f"{self.minimiser!r}")
        if self.link not in LINKS:
            raise ValueError(f"link must be one of {LINKS}, got {self.link!r}")
        for name in ("grad_lipschitz", "grad_bound"):
            value = getattr(self, name)
            if value is not None and not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite non-negative number or None")
        if self.breakdown_point is not None and not 0 <= self.breakdown_point <= 0.5:
            raise ValueError("breakdown_point must be in [0, 1/2] or None")


@dataclasses.dataclass(frozen=True)
class OptimizerProperties:
    """The declared properties of an optimizer at given hyperparameters; checked by
    ``tests/test_optimizer_properties.py`` by running the NumPy optimizer.

    Attributes:
        state_floats: floats of state per element of a parameter after a step (Adam: 2,
            ``exp_avg`` and ``exp_avg_sq``; scalars such as ``step`` are not counted).
        scale_invariant: the trajectory is unchanged (up to ``eps``) when every gradient is
            multiplied by the same ``c > 0``: the update depends on the gradient's
            direction and relative size only.
        step_bound: ``sup |Δθ_i| / lr`` over all gradient sequences, per coordinate; None
            when a step can be arbitrarily large (proportional to the gradient, or to the
            parameter through decoupled weight decay).
        hyperparameters: the optimizer's hyperparameters, by name.
        parameters: the hyperparameters the record was evaluated at.
        notes: one short sentence per property that needs its derivation or its scope.
    """

    state_floats: int
    scale_invariant: bool
    step_bound: float | None
    hyperparameters: tuple[str, ...] = ()
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.state_floats, int) and self.state_floats >= 0):
            raise ValueError("state_floats must be a non-negative int")
        if self.step_bound is not None and not (self.step_bound > 0
                                                and math.isfinite(self.step_bound)):
            raise ValueError("step_bound must be a positive finite number or None")
