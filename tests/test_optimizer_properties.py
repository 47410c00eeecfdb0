"""Every declared property of every registered optimizer, checked by running it (float64).

``rec.properties(**hyperparameters)`` (``lossref/properties.py``) declares what a user asks
of an optimizer. The declarations are evaluated at the class's defaults and at every
option set of the record's ``option_grid``, and each is checked on the NumPy optimizer:

- state_floats: after two steps on a (3, 4) parameter, the state arrays of the
  parameter's shape hold that many floats per element (scalars such as ``step`` do not
  count).
- scale_invariant: with gradients of size 1e3 (every ``eps`` negligible next to them),
  multiplying every gradient by 10 or 1000 moves the trajectory by less than 1e-6
  relative; ``False`` needs a witness: with gradients of size 1, multiplying them by 1e-3
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
    """The trajectory (steps + 1, *shape) for a fixed sequence (or function) of grads."""
    p = start.copy()
    opt = rec.numpy([p], **params)
    path = [p.copy()]
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
    return float(np.max(np.abs(scaled - base)) / max(np.max(np.abs(base - start)), 1e-300))


def check_scale_invariant(rec, props: OptimizerProperties, rng) -> None:
    params = props.parameters
    if props.scale_invariant:
        worst = max(_path_difference(rec, params, 1e3, c) for c in (10.0, 1e3))
        assert worst <= 1e-6, f"scaling the gradients moves the trajectory by {worst:.3g}"
    else:
        largest = max(_path_difference(rec, params, 1.0, c) for c in (1e-3, 1e3))
        assert largest > 1e-2, ("declared not scale invariant, but scaling the gradients "
                                f"moves the trajectory by {largest:.3g} only")


def _witnesses(params: dict[str, Any], rng) -> list[np.ndarray]:
    beta1, beta2 = params.get("betas", (0.9, 0.999))
    out = [np.ones(300), np.resize([1.0, -1.0], 300),
           np.concatenate([np.zeros(200), [1.0], np.zeros(20), [1.0]]),
           rng.standard_t(1.5, 2000)]
    # geometric sequences: Adam's bound is reached by growth at beta2 / beta1, Adamax's by
    # decay at beta2; both need thousands of steps for the bias corrections to vanish
    for ratio in {beta2 / beta1 if beta1 > 0 else 1.0, beta2, 1 / math.sqrt(beta2), 1.05}:
        steps = min(6000, int(600 / max(abs(math.log(ratio)), 1e-3)))
        out.append(ratio ** np.arange(max(steps, 300)))
    return out


def _largest_step(rec, params, grads: np.ndarray) -> float:
    path = _run(rec, params, grads[:, None], np.zeros(1))
    return float(np.max(np.abs(np.diff(path[:, 0])))) / params.get("lr", 1.0)


def check_step_bound(rec, props: OptimizerProperties, rng) -> None:
    params = {**props.parameters}
    if not params.get("lr"):
        params["lr"] = 1e-3
    steps = [_largest_step(rec, params, g) for g in _witnesses(params, rng)]
    top = max(steps)
    if props.step_bound is None:
        big = _largest_step(rec, params, np.full(10, 1e6))
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
