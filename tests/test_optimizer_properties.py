"""Every declared property of every registered optimizer, checked by running it (float64).

``rec.properties(**hyperparameters)`` (``lossref/properties.py``) declares what a user asks
of an optimizer. The declarations are evaluated at the class's defaults and at every
option set of the record's ``option_grid``, and each is checked on the NumPy optimizer:

- state_floats: after two steps on a (3, 4) parameter, the state arrays of the
  parameter's shape hold that many floats per element (scalars such as ``step`` do not
  count).
- scale_invariant: with gradients of size 1e6 (every ``eps`` negligible next to them),
  multiplying every gradient by 10 or 1000 moves the trajectory by less than 1e-6
  relative, and with gradients of size 10 and ``eps`` at most 1e-12 by less than 1e-4
  (where a term that is not scaled, such as an L2 weight decay, shows); ``False`` needs a witness: with gradients of size 1, multiplying them by 1e-3
  or 1e3 moves the trajectory by more than 1e-2 relative.
- step_bound: no step of any witness sequence exceeds ``lr * bound`` (a relative 1e-9
  above for rounding), and one reaches 0.99 of it; ``None`` needs a step above 1e3 ``lr``.
  The witnesses: constant, alternating, a spike after zeros, heavy-tailed random, and
  gradients growing or shrinking geometrically at the ratios where the bounds of the
  Adam family are reached (``beta2 / beta1`` for Adam: the Cauchy–Schwarz bound on
  ``m / sqrt(v)`` is attained by gradients that grow at that rate; ``beta2`` for Adamax),
  run for up to 6000 steps so that the bias corrections have died out.
- hyperparameters: the names the NumPy class and the torch class take (torch's
  implementation flags aside), in order.

The self-check at the end corrupts true declarations and asserts that the checks reject
them.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

import numpy as np
import pytest

from lossref.properties import OptimizerProperties
from lossref.registry import OPTIMIZERS, Optimizer

IMPLEMENTATION_FLAGS = {"foreach", "fused", "capturable", "differentiable"}


def settings(rec: Optimizer) -> list[dict[str, Any]]:
    """The class's defaults (``{}``) and every option set of the grid."""
    out: list[dict[str, Any]] = [{}]
    for options in rec.option_grid:
        if options not in out:
            out.append(dict(options))
    return out


def _run(rec: Optimizer, params: dict[str, Any], grads, start: np.ndarray) -> np.ndarray:
    """The trajectory (steps + 1, *shape) for a fixed sequence (or function) of grads;
    NaN and inf propagate quietly (a diverging witness is a valid run)."""
    p = start.copy()
    opt = rec.numpy([p], **params)
    path = [p.copy()]
    with np.errstate(all="ignore"):
        for t in range(len(grads) if not callable(grads) else 60):
            g = grads(p, t) if callable(grads) else grads[t]
            opt.step([np.asarray(g, dtype=np.float64)])
            path.append(p.copy())
    return np.array(path)


# ---------------------------------------------------------------- the checks


def check_state_floats(rec, props: OptimizerProperties, rng) -> None:
    p = rng.standard_normal((3, 4))
    opt = rec.numpy([p], **props.parameters)
    for _ in range(2):
        opt.step([rng.standard_normal((3, 4))])
    floats = sum(np.size(v) for v in opt.state[0].values() if np.shape(v) == p.shape)
    assert floats == props.state_floats * p.size, (
        f"state holds {floats / p.size:g} floats per element "
        f"({ {k: np.shape(v) for k, v in opt.state[0].items()} }), "
        f"declared {props.state_floats}")


def _quadratic_grads(scale: float, c: float):
    """The gradient of scale * c * f for an ill-conditioned quadratic f, at p."""
    h = np.diag([1.0, 30.0, 0.2])
    b = np.array([1.0, -2.0, 0.5])

    def grad(p, t):
        noise = np.sin(np.arange(3) + 0.7 * t)  # deterministic, the same in every run
        return scale * c * (h @ p - b + 0.3 * noise)
    return grad


def _path_difference(rec, params, scale: float, c: float) -> float:
    start = np.array([1.5, -0.5, 2.0])
    base = _run(rec, params, _quadratic_grads(scale, 1.0), start)
    scaled = _run(rec, params, _quadratic_grads(scale, c), start)
    with np.errstate(all="ignore"):
        difference = np.max(np.abs(scaled - base)) / max(np.max(np.abs(base - start)), 1e-300)
    return float(difference) if np.isfinite(difference) else float("inf")


def check_scale_invariant(rec, props: OptimizerProperties, rng) -> None:
    params = props.parameters
    if props.scale_invariant:
        # "up to eps": gradients of 1e6, next to which every eps (up to 1e-2) is
        # negligible; and gradients of 10 with eps at most 1e-12, where anything else
        # added to the gradient or the accumulators that is not scaled (an L2 weight
        # decay, Adagrad's initial_accumulator_value) shows
        tiny_eps = {**params, "eps": min(params["eps"], 1e-12)} if "eps" in params else params
        for scale, tolerance, options in ((1e6, 1e-6, params), (10.0, 1e-4, tiny_eps)):
            worst = max(_path_difference(rec, options, scale, c) for c in (10.0, 1e3))
            assert worst <= tolerance, (f"scaling gradients of size {scale:g} moves the "
                                        f"trajectory by {worst:.3g}")
    else:
        largest = max(_path_difference(rec, params, 1.0, c) for c in (1e-3, 1e3))
        assert largest > 1e-2, ("declared not scale invariant, but scaling the gradients "
                                f"moves the trajectory by {largest:.3g} only")


def _witnesses(params: dict[str, Any], rng) -> list[np.ndarray]:
    beta1, beta2 = params.get("betas", (0.9, 0.999))
    out = [np.ones(300), np.resize([1.0, -1.0], 300), rng.standard_t(1.5, 2000),
           10.0 ** np.arange(250),                      # growth far faster than any average
           10.0 ** (20.0 - np.arange(28))]              # fast decay: beta2 = 0
    # a lone gradient after zeros, early and late (the bias corrections have died out)
    out += [np.append(np.zeros(n), 1.0) for n in (0, 200, 3000, 6000)]
    # geometric sequences: Adam's bound is reached by gradients growing at beta2 / beta1
    # (the Cauchy–Schwarz bound on m / sqrt(v)), NAdam's by the same growth and a last
    # jump (its current-gradient term), at the step where its momentum schedule makes it
    # largest; Adamax's by decay at beta2. Thousands of steps, so that the bias
    # corrections have died out; a growing sequence ends at 1e100 and a shrinking one
    # starts at 1e200, so that no square overflows and eps stays negligible.
    ratio = beta2 / beta1 if beta1 > 0 and beta2 > 0 else 1.0
    for r in {ratio, 1 / math.sqrt(beta2) if beta2 else 1.0, 1.05} - {0.0}:
        steps = min(6000, int(600 / max(abs(math.log(r)), 1e-3)))
        out.append(1e100 * r ** (np.arange(steps) - (steps - 1.0)))
    for length in (300, 1000, 2000, 4000, 6000):
        growing = 1e100 * ratio ** (np.arange(length) - (length - 1.0))
        out += [np.append(growing, growing[-1] * jump)
                for jump in (2.0, 2.5, 3.5, 5.0, 8.0, 11.0, 15.0, 20.0)]
    if beta2 > 0:
        out.append(1e200 * beta2 ** np.arange(3000))
    return out


def _largest_steps(rec, params, sequences: list[np.ndarray], starts=None) -> np.ndarray:
    """Run every sequence at once, one coordinate each (the optimizers act coordinate by
    coordinate), each padded with zero gradients at its end (more steps of a valid
    sequence); the largest |step| / lr of each coordinate."""
    length = max(len(g) for g in sequences)
    grads = np.zeros((length, len(sequences)))
    for j, g in enumerate(sequences):
        grads[: len(g), j] = g
    start = np.zeros(len(sequences)) if starts is None else np.asarray(starts, np.float64)
    path = _run(rec, params, grads, start)
    with np.errstate(invalid="ignore"):
        steps = np.abs(np.diff(path, axis=0))
    # a run that turned NaN (0/0 with eps = 0 and zero gradients) has no valid step
    return np.max(np.where(np.isfinite(steps), steps, 0.0), axis=0) / params["lr"]


def check_step_bound(rec, props: OptimizerProperties, rng) -> None:
    params = {**props.parameters}
    if not params.get("lr"):
        params["lr"] = 1e-3
    top = float(np.max(_largest_steps(rec, params, _witnesses(params, rng))))
    if props.step_bound is None:
        # a huge gradient, long constant ones (centered RMSprop's variance vanishes), and
        # small gradients far from the origin (decoupled weight decay moves by lr wd |p|)
        big = float(np.max(_largest_steps(
            rec, params, [np.full(10, 1e6), np.ones(3000), np.full(3000, 1e6), np.ones(5)],
            starts=[0, 0, 0, 1e6])))
        assert max(top, big) > 1e3, (f"declared unbounded, but no step exceeds "
                                     f"{max(top, big):.4g} lr")
        return
    assert top <= props.step_bound * (1 + 1e-9), \
        f"a step of {top!r} lr exceeds the bound {props.step_bound!r} lr"
    assert top >= 0.99 * props.step_bound, \
        f"the bound {props.step_bound} lr is not approached: largest step {top:.6g} lr"


def check_hyperparameters(rec, props: OptimizerProperties, rng) -> None:
    numpy_names = [n for n in inspect.signature(rec.numpy).parameters if n != "params"]
    torch_names = [n for n in inspect.signature(rec.torch).parameters
                   if n not in ("params", *IMPLEMENTATION_FLAGS)]
    assert list(props.hyperparameters) == numpy_names
    assert sorted(torch_names) == sorted(numpy_names), \
        f"the torch class takes {torch_names}, the NumPy class {numpy_names}"


CHECKS = {"state_floats": check_state_floats, "scale_invariant": check_scale_invariant,
          "step_bound": check_step_bound, "hyperparameters": check_hyperparameters}

RECORDS = list(OPTIMIZERS.values())


def test_every_optimizer_declares_its_properties():
    for rec in RECORDS:
        assert rec.declare is not None, f"{rec.name} has no declare="
        assert isinstance(rec.properties(), OptimizerProperties)
        with pytest.raises(TypeError):
            rec.properties(no_such_option=1)


def _params():
    for rec in RECORDS:
        if rec.declare is None:
            continue
        for k, setting in enumerate(settings(rec)):
            label = "-".join(f"{key}{value}" for key, value in setting.items()) or "defaults"
            for prop in CHECKS:
                yield pytest.param(rec, setting, prop, id=f"{rec.name}-{k}-{label}-{prop}")


@pytest.mark.parametrize("rec, setting, prop", list(_params()))
def test_declared_property_holds(rec, setting, prop):
    CHECKS[prop](rec, rec.properties(**setting), np.random.default_rng(0))


# (optimizer, hyperparameters, field, false value): each must be rejected by its check
CORRUPTIONS = [
    ("sgd", {}, "state_floats", 1),
    ("sgd", {"momentum": 0.9}, "state_floats", 0),
    ("sgd", {}, "scale_invariant", True),
    ("sgd", {}, "step_bound", 1.0),
    # Kingma & Ba's bound (§2.1) is not the supremum: growing gradients exceed it
    ("adam", {}, "step_bound", 0.1 / math.sqrt(0.001)),
    ("adam", {}, "step_bound", 1.0),
    ("adam", {}, "step_bound", None),
    ("adam", {"amsgrad": True}, "state_floats", 2),
    ("adam", {"weight_decay": 0.1}, "scale_invariant", True),
    ("adamw", {}, "scale_invariant", False),
    ("adamw", {}, "step_bound", 7.270291799999694),
    ("adamax", {}, "step_bound", 1.0),                       # |step| <= lr: 1.009 lr in fact
    ("nadam", {}, "step_bound", 7.270291799999694),          # Adam's bound: NAdam's is 14.6
    ("radam", {}, "scale_invariant", True),
    ("radam", {}, "step_bound", 7.270291799999694),
    ("rmsprop", {}, "step_bound", 1.0),
    ("rmsprop", {"centered": True}, "step_bound", 10.0),
    ("rmsprop", {"momentum": 0.9}, "state_floats", 1),
    ("adagrad", {"initial_accumulator_value": 0.1}, "scale_invariant", True),
    ("adagrad", {}, "step_bound", 0.5),
    ("adadelta", {}, "step_bound", 1.0),
    ("adadelta", {}, "state_floats", 1),
]


@pytest.mark.parametrize("name, kwargs, field, value", CORRUPTIONS,
                         ids=[f"{c[0]}-{c[2]}={c[3]}-{c[1]}" for c in CORRUPTIONS])
def test_a_false_declaration_fails(name, kwargs, field, value):
    rec = OPTIMIZERS[name]
    props = rec.properties(**kwargs)
    assert getattr(props, field) != value
    with pytest.raises(AssertionError):
        CHECKS[field](rec, dataclasses.replace(props, **{field: value}),
                      np.random.default_rng(0))
