"""Bad gradients and bad hyperparameters: a clear error, and nothing changed.

A NumPy optimizer's ``step`` checks every gradient before it touches any parameter, so a
failing step leaves every parameter array and every state entry exactly as it was: the
test takes a few good steps first (so momentum buffers exist), then a bad one, and
compares everything bit for bit.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
import pytest
import torch

from lossref.registry import OPTIMIZERS

SHAPES = ((3,), (2, 4), (5,))


def good_grads(step: int) -> list[np.ndarray]:
    rng = np.random.default_rng(step)
    return [rng.standard_normal(s) for s in SHAPES]


# (id, how to spoil a good list of gradients, exception, message pattern)
BAD_GRADS = [
    ("too-few", lambda g: g[:-1], ValueError, r"grads has 2 arrays .* 3 params"),
    ("too-many", lambda g: g + [g[0]], ValueError, r"grads has 4 arrays .* 3 params"),
    ("empty", lambda g: [], ValueError, r"grads has 0 arrays"),
    ("wrong-shape-last", lambda g: [g[0], g[1], np.zeros(4)], ValueError,
     r"grads\[2\] has shape \(4,\), params\[2\] has \(5,\)"),
    ("transposed-matrix", lambda g: [g[0], g[1].T, g[2]], ValueError,
     r"grads\[1\] has shape \(4, 2\)"),
    ("integer-dtype", lambda g: [g[0], g[1].astype(np.int64), g[2]], TypeError,
     r"grads\[1\] must be floating-point, got dtype int64"),
    ("bool-dtype", lambda g: [g[0], g[1], g[2] > 0], TypeError,
     r"grads\[2\] must be floating-point, got dtype bool"),
    ("complex-dtype", lambda g: [g[0].astype(complex), g[1], g[2]], TypeError,
     r"grads\[0\] must be floating-point"),
]


def snapshot(opt) -> tuple[list[np.ndarray], list[dict[str, Any]], int]:
    return ([p.copy() for p in opt.params], copy.deepcopy(opt.state),
            getattr(opt, "step_count", None))


def assert_same(before, after) -> None:
    params_b, state_b, count_b = before
    params_a, state_a, count_a = after
    for i, (b, a) in enumerate(zip(params_b, params_a, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"params[{i}] changed by a failed step")
    assert len(state_a) == len(state_b)
    for i, (b, a) in enumerate(zip(state_b, state_a, strict=True)):
        assert sorted(a) == sorted(b), f"state[{i}] keys changed by a failed step"
        for key in b:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]),
                                          err_msg=f"state[{i}][{key!r}] changed")
    assert count_a == count_b, "the step count advanced on a failed step"


def grad_params():
    for rec in OPTIMIZERS.values():
        for k, options in enumerate(rec.option_grid):
            for case_id, spoil, exc, match in BAD_GRADS:
                yield pytest.param(rec, options, spoil, exc, match,
                                   id=f"{rec.name}-{k}-{case_id}")


@pytest.mark.parametrize("rec, options, spoil, exc, match", list(grad_params()))
def test_bad_grads_raise_and_change_nothing(rec, options, spoil, exc, match):
    params = [np.ones(s) for s in SHAPES]
    ids = [id(p) for p in params]
    opt = rec.numpy(params, **options)
    for step in range(3):
        opt.step(good_grads(step))
    before = snapshot(opt)
    with pytest.raises(exc, match=match):
        opt.step(spoil(good_grads(3)))
    assert_same(before, snapshot(opt))
    assert [id(p) for p in opt.params] == ids
    # and the optimizer still works: the next good step is the one it would have taken
    reference = rec.numpy([np.ones(s) for s in SHAPES], **options)
    for step in range(4):
        reference.step(good_grads(step))
    opt.step(good_grads(3))
    for a, b in zip(opt.params, reference.params, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ hyperparameters


def accepts(rec, name: str) -> bool:
    return name in inspect.signature(rec.numpy).parameters


# (id, parameter the case needs, options over the record's defaults, exception, pattern)
BAD_OPTIONS = [
    ("negative-lr", "lr", dict(lr=-0.1), ValueError, r"lr must be in \[0.0, inf\], got -0.1"),
    ("nan-lr", "lr", dict(lr=float("nan")), ValueError, r"lr must be a number, got nan"),
    ("string-lr", "lr", dict(lr="0.1"), TypeError, r"lr must be a real number"),
    ("negative-momentum", "momentum", dict(momentum=-0.5), ValueError, r"momentum must be in"),
    ("negative-weight-decay", "weight_decay", dict(weight_decay=-1e-4), ValueError,
     r"weight_decay must be in"),
    ("nesterov-without-momentum", "nesterov", dict(nesterov=True, momentum=0.0), ValueError,
     r"nesterov=True requires momentum > 0"),
    ("nesterov-with-dampening", "nesterov", dict(nesterov=True, momentum=0.9, dampening=0.1),
     ValueError, r"nesterov=True requires .*dampening = 0"),
    ("nesterov-not-bool", "nesterov", dict(nesterov=1, momentum=0.9), TypeError,
     r"nesterov must be True or False"),
    ("maximize-not-bool", "maximize", dict(maximize="yes"), TypeError,
     r"maximize must be True or False"),
    ("dampening-not-number", "dampening", dict(dampening="0"), TypeError,
     r"dampening must be a real number"),
]


def option_params():
    for rec in OPTIMIZERS.values():
        for case_id, needs, options, exc, match in BAD_OPTIONS:
            if not accepts(rec, needs):
                continue  # the optimizer has no such hyperparameter
            for entry in ("numpy", "torch"):
                yield pytest.param(rec, entry, options, exc, match,
                                   id=f"{rec.name}-{entry}-{case_id}")


@pytest.mark.parametrize("rec, entry, options, exc, match", list(option_params()))
def test_bad_hyperparameters_are_rejected(rec, entry, options, exc, match):
    if entry == "numpy":
        params: Any = [np.zeros(3)]
    else:
        params = [torch.zeros(3, requires_grad=True)]
    with pytest.raises(exc, match=match):
        getattr(rec, entry)(params, **options)


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_bad_params_are_rejected(rec):
    with pytest.raises(ValueError, match=r"params is empty"):
        rec.numpy([])
    with pytest.raises(TypeError, match=r"params\[1\] must be a NumPy array"):
        rec.numpy([np.zeros(2), [0.0, 1.0]])
    with pytest.raises(TypeError, match=r"params\[0\] must be floating-point"):
        rec.numpy([np.zeros(2, dtype=np.int64)])
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\] is read-only"):
        rec.numpy([frozen])


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_switching_amsgrad_on_between_steps_is_refused_before_anything_moves(name):
    """torch.optim.Adam raises a KeyError in the middle of its loop over the parameters,
    after updating the ones before; lossref refuses before the first one."""
    rec = OPTIMIZERS[name]
    params = [np.ones(3), np.ones((2, 2))]
    opt = rec.numpy(params, lr=0.1)
    opt.step([np.ones(3), np.ones((2, 2))])
    opt.param_groups[0]["amsgrad"] = True
    before = snapshot(opt)
    with pytest.raises(ValueError, match="amsgrad was switched on"):
        opt.step([np.ones(3), np.ones((2, 2))])
    assert_same(before, snapshot(opt))
    torch_params = [torch.ones(3, requires_grad=True)]
    builtin = rec.builtin(torch_params, lr=0.1)
    torch_params[0].grad = torch.ones(3)
    builtin.step()
    builtin.param_groups[0]["amsgrad"] = True
    with pytest.raises(KeyError):
        builtin.step()
