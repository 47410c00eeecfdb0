"""Every registered optimizer against torch.optim: whole trajectories, then the state.

For each record and each option set of its ``option_grid``, three optimizers — ``.numpy``,
``.torch`` and ``.builtin`` — start from the same parameters (a vector and a matrix) and
are fed the SAME gradient at every step: the gradient of a fixed ill-conditioned
quadratic at the NumPy parameters, plus a deterministic noise term. Differences then come
only from the update arithmetic, not from the trajectories drifting apart through the
gradients, so tight tolerances are meaningful.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from lossref.registry import OPTIMIZERS

STEPS = 60
SHAPES = ((7,), (3, 4))

# .torch against .builtin: the same tensor operations in the same order on CPU. Measured
# for SGD over the whole grid: bitwise identical in float64 and float32. The tolerance,
# 1e-15 relative in float64 (a few ulps; 3 ulps in float32), leaves room for an optimizer
# whose update torch computes with one fused kernel (``addcdiv_``, ``lerp_``) where the
# written-out version uses two operations.
TORCH_RTOL = {np.float64: 1e-15, np.float32: 4e-7}
# .numpy against .builtin: NOT bitwise. On CPUs with AVX2 or AVX-512, torch's CPU kernel
# for ``p.add_(g, alpha=-lr)`` uses a fused multiply-add (checked: it equals the exactly
# rounded ``p - lr*g`` on every element, NumPy's two roundings differ from it on ~7% of the
# elements; with ATEN_CPU_CAPABILITY=default the two agree bitwise), so each step may
# differ by 1 ulp. Measured over 60 steps of the whole SGD grid, diverging runs
# (maximize=True) included: at most 4.2e-16 relative to the parameter's largest entry in
# float64, 2.1e-7 in float32. The tolerances are 64 eps (the rule for comparing two
# libraries, README "Comparing numbers from two libraries"): about 35 times that.
NUMPY_RTOL = {np.float64: 64 * np.finfo(np.float64).eps,
              np.float32: 64 * np.finfo(np.float32).eps}


def quadratic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A symmetric positive definite matrix with eigenvalues from 0.01 to 10 (condition
    number 1000) and a linear term: gradient ``H p - b``."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.geomspace(0.01, 10.0, n)) @ q.T, rng.standard_normal(n)


class Problem:
    """Deterministic gradients: the quadratic's at the current NumPy parameters, plus
    noise from a seeded generator (one draw per step and parameter)."""

    def __init__(self, dtype) -> None:
        self.dtype = dtype
        rng = np.random.default_rng(7)
        self.start = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        self.quadratics = [quadratic(int(np.prod(s)), seed) for seed, s in enumerate(SHAPES)]
        self.noise = [[0.1 * rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]

    def grads(self, params: list[np.ndarray], step: int) -> list[np.ndarray]:
        out = []
        for p, (h, b), noise in zip(params, self.quadratics, self.noise[step], strict=True):
            g = h @ p.astype(np.float64).reshape(-1) - b
            out.append((g.reshape(p.shape) + noise).astype(self.dtype))
        return out


def state_as_numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    return np.asarray(value)


def run_three(rec, options: dict[str, Any], dtype, steps: int = STEPS):
    """Run .numpy, .torch and .builtin side by side; return their parameter trajectories
    (one list of arrays per step) and their final states."""
    problem = Problem(dtype)
    np_params = [p.copy() for p in problem.start]
    np_opt = rec.numpy(np_params, **options)
    torch_params = {name: [torch.tensor(p.copy(), requires_grad=True) for p in problem.start]
                    for name in ("torch", "builtin")}
    torch_opts = {"torch": rec.torch(torch_params["torch"], **options),
                  "builtin": rec.builtin(torch_params["builtin"], **options)}
    paths: dict[str, list[list[np.ndarray]]] = {"numpy": [], "torch": [], "builtin": []}
    for step in range(steps):
        grads = problem.grads(np_params, step)
        np_opt.step(grads)
        paths["numpy"].append([p.copy() for p in np_params])
        for name, opt in torch_opts.items():
            for p, g in zip(torch_params[name], grads, strict=True):
                p.grad = torch.tensor(g)
            opt.step()
            paths[name].append([p.detach().numpy().copy() for p in torch_params[name]])
    states = {"numpy": [dict(s) for s in np_opt.state]}
    for name, opt in torch_opts.items():
        states[name] = [{k: v for k, v in opt.state[p].items() if v is not None}
                        for p in torch_params[name]]
    return paths, states


def assert_trajectories_close(actual, expected, rtol: float, what: str) -> None:
    """Each parameter, at each step, within ``rtol`` of the largest entry of that parameter
    at that step (a parameter crossing zero is not held to a relative error it cannot
    have)."""
    for step, (a_params, e_params) in enumerate(zip(actual, expected, strict=True)):
        for i, (a, e) in enumerate(zip(a_params, e_params, strict=True)):
            assert a.dtype == e.dtype, f"{what}: params[{i}] dtype {a.dtype} != {e.dtype}"
            scale = max(float(np.max(np.abs(e))), np.finfo(e.dtype).tiny)
            error = float(np.max(np.abs(a.astype(np.float64) - e)))
            assert error <= rtol * scale, (
                f"{what}: params[{i}] after step {step + 1} off by {error:.3g} "
                f"(relative {error / scale:.3g} > {rtol:g})")


def assert_states_close(actual, expected, rtol: float, what: str) -> None:
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert sorted(a) == sorted(e), f"{what}: state[{i}] keys {sorted(a)} != {sorted(e)}"
        for key in e:
            av, ev = state_as_numpy(a[key]), state_as_numpy(e[key])
            assert av.shape == ev.shape, f"{what}: state[{i}][{key!r}] shape"
            scale = max(float(np.max(np.abs(ev), initial=0.0)), np.finfo(np.float32).tiny)
            error = float(np.max(np.abs(av.astype(np.float64) - ev), initial=0.0))
            assert error <= rtol * scale, (
                f"{what}: state[{i}][{key!r}] off by relative {error / scale:.3g}")


def option_params(dtypes=(np.float64, np.float32)):
    for rec in OPTIMIZERS.values():
        for k, options in enumerate(rec.option_grid):
            label = "-".join(f"{key}{value}" for key, value in options.items())
            for dtype in dtypes:
                yield pytest.param(rec, options, dtype,
                                   id=f"{rec.name}-{k}-{label}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("rec, options, dtype", list(option_params()))
def test_trajectories_match_torch_optim(rec, options, dtype):
    assert rec.builtin is not None, f"{rec.name}: no torch.optim class to check against"
    paths, states = run_three(rec, options, dtype)
    assert_trajectories_close(paths["torch"], paths["builtin"], TORCH_RTOL[dtype], "torch")
    assert_trajectories_close(paths["numpy"], paths["builtin"], NUMPY_RTOL[dtype], "numpy")
    assert_states_close(states["torch"], states["builtin"], TORCH_RTOL[dtype], "torch state")
    assert_states_close(states["numpy"], states["builtin"], NUMPY_RTOL[dtype], "numpy state")
    # the trajectory really moved: a test of a standing optimizer would prove nothing
    assert not np.array_equal(paths["builtin"][-1][0], Problem(dtype).start[0])


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_numpy_updates_the_same_arrays_in_place(rec):
    """Like torch with its Parameter tensors: the caller's arrays are the parameters, so
    a model holding them sees every step."""
    params = [p.copy() for p in Problem(np.float64).start]
    ids = [id(p) for p in params]
    buffers = [p.__array_interface__["data"][0] for p in params]
    before = [p.copy() for p in params]
    opt = rec.numpy(params, **rec.option_grid[0])
    problem = Problem(np.float64)
    for step in range(3):
        opt.step(problem.grads(opt.params, step))
    assert [id(p) for p in opt.params] == ids, "the optimizer holds the caller's arrays"
    assert [p.__array_interface__["data"][0] for p in params] == buffers, "same memory"
    for p, b in zip(params, before, strict=True):
        assert not np.array_equal(p, b), "and the caller's arrays were updated"


@pytest.mark.parametrize("rec, options, dtype", list(option_params(dtypes=(np.float64,))))
def test_zero_learning_rate_leaves_parameters_unchanged(rec, options, dtype):
    options = {**options, "lr": 0.0}
    paths, _ = run_three(rec, options, dtype, steps=5)
    start = Problem(dtype).start
    for name, path in paths.items():
        for a, b in zip(path[-1], start, strict=True):  # exact: p - 0 * g is p, bit for bit
            np.testing.assert_array_equal(a, b, err_msg=f"{name} moved with lr=0")
