"""The NumPy optimizers as a library: saving and resuming, a learning-rate schedule, a
``None`` gradient, and loading torch's own ``state_dict``; every record of the registry.

Resuming is compared bit for bit: the same NumPy code runs the same operations on the
same numbers, so any difference would be a state that was not saved or not restored.
Everything compared with torch uses the tolerances of ``test_optim_parity.py``.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_optim_parity import NUMPY_RTOL, Problem, assert_trajectories_close

from lossref.registry import OPTIMIZERS

STEPS = 30


def grid_params():
    for rec in OPTIMIZERS.values():
        for k, options in enumerate(rec.option_grid):
            yield pytest.param(rec, options, id=f"{rec.name}-{k}")


def run_numpy(opt, problem, steps: range):
    path = []
    for step in steps:
        opt.step(problem.grads(opt.params, step))
        path.append([p.copy() for p in opt.params])
    return path


@pytest.mark.parametrize("rec, options", list(grid_params()))
def test_resuming_from_a_state_dict_gives_the_identical_trajectory(rec, options):
    problem = Problem(np.float64)
    opt = rec.numpy([p.copy() for p in problem.start], **options)
    run_numpy(opt, problem, range(STEPS))
    saved_params = [p.copy() for p in opt.params]
    saved = opt.state_dict()
    straight_on = run_numpy(opt, problem, range(STEPS, 2 * STEPS))

    resumed = rec.numpy([p.copy() for p in saved_params], **options)
    resumed.load_state_dict(copy.deepcopy(saved))
    assert resumed.step_count == STEPS
    after_resume = run_numpy(resumed, problem, range(STEPS, 2 * STEPS))
    for a, b in zip(after_resume, straight_on, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_state_dict_is_a_copy(rec):
    options = rec.option_grid[-1]
    opt = rec.numpy([np.ones(3)], **options)
    opt.step([np.ones(3)])
    saved = opt.state_dict()
    for entries in saved["state"].values():
        for value in entries.values():
            value[...] = 123.0
    saved["param_groups"][0]["lr"] = 99.0
    assert all(not np.any(v == 123.0) for s in opt.state for v in s.values())
    assert opt.param_groups[0]["lr"] == options["lr"]


@pytest.mark.parametrize("rec, options", list(grid_params()))
def test_a_torch_state_dict_loads_and_continues_like_torch(rec, options):
    problem = Problem(np.float64)
    params = [torch.tensor(p.copy(), requires_grad=True) for p in problem.start]
    builtin = rec.builtin(params, **options)
    torch_path = []
    for step in range(2 * STEPS):
        if step == STEPS:
            opt = rec.numpy([p.detach().numpy().copy() for p in params], **options)
            opt.load_state_dict(builtin.state_dict())
        grads = problem.grads([p.detach().numpy() for p in params], step)
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g)
        builtin.step()
        if step >= STEPS:
            opt.step(grads)
            torch_path.append([p.detach().numpy().copy() for p in params])
            assert_trajectories_close([[p.copy() for p in opt.params]], torch_path[-1:],
                                      NUMPY_RTOL[np.float64], f"step {step}")


def side_by_side(rec, options, before_step):
    """``.numpy`` and ``.builtin`` fed the same gradients for STEPS steps; ``before_step(
    step, optimizers, grads)`` may change both learning rates or drop a gradient (None).
    Returns both trajectories and the NumPy optimizer."""
    problem = Problem(np.float64)
    opt = rec.numpy([p.copy() for p in problem.start], **options)
    params = [torch.tensor(p.copy(), requires_grad=True) for p in problem.start]
    builtin = rec.builtin(params, **options)
    numpy_path, torch_path = [], []
    for step in range(STEPS):
        grads = problem.grads(opt.params, step)
        before_step(step, (opt, builtin), grads)
        opt.step(grads)
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else torch.tensor(g)
        builtin.step()
        numpy_path.append([p.copy() for p in opt.params])
        torch_path.append([p.detach().numpy().copy() for p in params])
    return numpy_path, torch_path, opt


@pytest.mark.parametrize("rec, options", list(grid_params()))
def test_learning_rate_schedule_through_param_groups_matches_torch(rec, options):
    """``opt.param_groups[0]["lr"] = ...`` between steps, the same line as in torch."""
    def schedule(step, optimizers, grads):
        for optimizer in optimizers:
            optimizer.param_groups[0]["lr"] = options["lr"] / (1 + step / 5)

    numpy_path, torch_path, opt = side_by_side(rec, options, schedule)
    assert_trajectories_close(numpy_path, torch_path, NUMPY_RTOL[np.float64], "schedule")
    assert opt.defaults["lr"] == options["lr"], "defaults keeps the constructor's value"


@pytest.mark.parametrize("rec, options", list(grid_params()))
def test_a_none_gradient_skips_that_parameter_like_torch(rec, options):
    def drop_first(step, optimizers, grads):
        if step % 3 == 1:
            grads[0] = None  # params[0] gets no gradient this step

    numpy_path, torch_path, _ = side_by_side(rec, options, drop_first)
    assert_trajectories_close(numpy_path, torch_path, NUMPY_RTOL[np.float64], "None grads")
    for step in range(1, STEPS, 3):  # exactly unchanged: nothing touched params[0]
        np.testing.assert_array_equal(numpy_path[step][0], numpy_path[step - 1][0])


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_a_bad_state_dict_is_rejected_and_changes_nothing(rec):
    options = rec.option_grid[-1]
    opt = rec.numpy([np.ones(3), np.ones((2, 2))], **options)
    opt.step([np.ones(3), np.ones((2, 2))])
    good = opt.state_dict()
    before = copy.deepcopy((opt.state, opt.param_groups[0]["lr"], opt.step_count))
    spoiled = []
    one_param = copy.deepcopy(good)
    one_param["param_groups"][0]["params"] = [0]
    spoiled.append((one_param, "this optimizer holds 2 params"))
    negative = copy.deepcopy(good)
    negative["param_groups"][0]["lr"] = -1.0
    spoiled.append((negative, "lr must be in"))
    unknown = copy.deepcopy(good)
    unknown["param_groups"][0]["no_such_hyperparameter"] = 0.5
    spoiled.append((unknown, "hyperparameters"))
    if good["state"]:
        for key in good["state"][0]:  # every entry, the scalar "step" included
            wrong_shape = copy.deepcopy(good)
            wrong_shape["state"][0][key] = np.zeros(4)
            expected = ("must be a number" if np.ndim(good["state"][0][key]) == 0
                        else "has shape (4,), params[0] has (3,)")
            spoiled.append((wrong_shape, expected))
    spoiled.append(({"state": {}}, "state_dict must be a dict with 'state' and 'param_groups'"))
    for bad, message in spoiled:
        with pytest.raises(ValueError) as error:
            opt.load_state_dict(bad)
        assert message in str(error.value), str(error.value)
        state, lr, count = before
        assert opt.param_groups[0]["lr"] == lr and opt.step_count == count
        for s_before, s_after in zip(state, opt.state, strict=True):
            assert sorted(s_before) == sorted(s_after)
            for key in s_before:
                np.testing.assert_array_equal(s_after[key], s_before[key])


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_short_readable_repr(rec):
    opt = rec.numpy([np.zeros(3), np.zeros((2, 4))], lr=0.1)
    text = repr(opt)
    assert text.startswith(f"{rec.numpy.__name__}([(3,), (2, 4)], lr=0.1")
    assert len(text) < 200 and "array(" not in text
    assert repr(rec) == f"Optimizer({rec.name!r}, builtin={rec.builtin_path.replace(':', '.')!r})"
