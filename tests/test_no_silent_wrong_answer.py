"""No silent wrong answer: a target that broadcasts gets torch's warning, and NaN or ±inf
in any argument gives torch's result, with no NumPy RuntimeWarning.

Both tests run over the registry and each record's own cases, so a loss added later is
held to them without any edit here.

- Broadcast warning: where the loss has a torch builtin, lossref warns exactly when the
  builtin warns (``mse_loss``, ``l1_loss``, ``smooth_l1_loss`` and ``huber_loss`` do;
  ``poisson_nll_loss``, ``gaussian_nll_loss`` and ``kl_div`` do not; the binary
  cross-entropies raise instead). A regression loss torch does not have warns whenever
  ``target``'s shape differs from ``input``'s: the same pitfall, the same words. A
  divergence torch does not have (``js_divergence``) follows ``kl_div``: one target row
  broadcast against every row of the model is a normal use, and there is no warning.
- Non-finite input: one entry of one floating-point argument is set to nan, +inf or -inf,
  and ``.numpy`` and ``.torch`` must give the oracle's value (torch's builtin, or the plain
  loop of ``tests/reference_impls.py``) with nan and inf in the same places. A value that
  is outside the argument's domain (a count of -inf, a probability of +inf) may instead be
  rejected with a ``ValueError`` naming the argument, but only if the finite value
  ``±1e30`` on the same side is rejected too: infinity is not treated differently from a
  big number. NaN is never rejected in a data argument, unless torch rejects it too; it is
  propagated.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch
from test_loss_parity import assert_close, autograd, oracle_value, to_numpy, to_torch, torch_kwargs

from lossref.registry import LOSSES

BROADCAST_WARNING = "Using a target size"
DTYPES = (np.float32, np.float64)


def loss_and_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        out = fn(*args, **kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return out, [m for m in messages if m.startswith(BROADCAST_WARNING)]


# ------------------------------------------------------------------ broadcast warning


def warning_params():
    for rec in LOSSES.values():
        for case in rec.cases(np.float64):
            yield pytest.param(rec, case, id=f"{rec.name}-{case.id}")


@pytest.mark.parametrize("rec, case", list(warning_params()))
def test_broadcast_warning_where_torch_warns(rec, case):
    input, target = case.args[:2]
    if rec.builtin is not None:
        _, expected = loss_and_warnings(rec.builtin, *map(to_torch, case.args),
                                        **torch_kwargs(case.kwargs))
        expected = bool(expected)
    else:
        expected = input.shape != target.shape and rec.task == "regression"
    for entry in ("numpy", "grad"):
        _, caught = loss_and_warnings(getattr(rec, entry), *case.args, **case.kwargs)
        assert bool(caught) == expected, f"{rec.name}.{entry}: warned {caught}, torch: {expected}"
    _, caught = loss_and_warnings(rec.torch, *map(to_torch, case.args),
                                  **torch_kwargs(case.kwargs))
    assert bool(caught) == expected, f"{rec.name}.torch: warned {caught}, torch: {expected}"
    if expected:  # the same words as torch, pointing at the caller
        assert f"({tuple(target.shape)}) that is different to the input size " \
               f"({tuple(input.shape)})" in loss_and_warnings(rec.numpy, *case.args,
                                                              **case.kwargs)[1][0]


def _target_position(rec) -> int | None:
    """The first argument that is not a prediction (``margin_ranking_loss``'s third); None
    when every argument is one (the triplet losses, InfoNCE)."""
    n_args = len(next(iter(rec.cases(np.float64))).args)
    return next((i for i in range(n_args) if i not in rec.wrt), None)


def _rejects_other_shapes(rec, position: int) -> bool:
    """True when the loss raises for a target of another shape (the binary
    cross-entropies, as torch; the multi-label soft margin, where torch broadcasts)."""
    case = next(iter(rec.cases(np.float64)))
    args = list(case.args)
    args[position] = args[position][..., None]
    kwargs = {k: v for k, v in case.kwargs.items() if k not in ("weight", "pos_weight")}
    try:
        rec.numpy(*args, **kwargs)
    except ValueError as error:
        return "shape" in str(error)
    return False


def test_every_warning_loss_has_a_broadcasting_case():
    """Guard: the test above sees at least one broadcasting case per loss that accepts
    a target of another shape; a loss that refuses one says so with a ValueError."""
    for rec in LOSSES.values():
        position = _target_position(rec)
        if position is None:
            continue
        shapes = [(c.args[rec.wrt[0]].shape, c.args[position].shape)
                  for c in rec.cases(np.float64)]
        if not any(a != b for a, b in shapes):
            assert _rejects_other_shapes(rec, position), \
                f"{rec.name} has no case where shapes differ"


def test_warning_points_at_the_callers_line():
    from lossref import losses

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses.mse_loss(np.zeros((3, 1)), np.zeros(3))
    assert caught and caught[0].filename == __file__


# ------------------------------------------------------------------ NaN and infinity


def has_reduction(rec) -> bool:
    return "reduction" in inspect.signature(rec.numpy).parameters


def small_none_case(rec, dtype):
    """The record's first case with reduction='none' (any case for a loss without a
    reduction, such as NT-Xent's mean over positive pairs) and small arguments."""
    for case in rec.cases(dtype):
        if (case.kwargs.get("reduction") == "none" or not has_reduction(rec)) and all(
                isinstance(a, np.ndarray) and a.size <= 64 for a in case.args):
            return case
    raise AssertionError(f"{rec.name}: no small reduction='none' case")


def nonfinite_params():
    for rec in LOSSES.values():
        for dtype in DTYPES:
            case = small_none_case(rec, dtype)
            names = list(inspect.signature(rec.numpy).parameters)
            for i, arg in enumerate(case.args):
                if not np.issubdtype(arg.dtype, np.floating):
                    continue
                for value in (np.nan, np.inf, -np.inf):
                    for reduction in ("none", "sum", "mean") if has_reduction(rec) else (None,):
                        yield pytest.param(
                            rec, case, i, names[i], value, reduction,
                            id=f"{rec.name}-{names[i]}-{value}-{reduction}-{np.dtype(dtype).name}")


def with_value(case, i, value, reduction):
    args = [a.copy() for a in case.args]
    args[i].reshape(-1)[0] = value
    if reduction is None:  # the loss has no reduction argument
        return args, dict(case.kwargs)
    return args, {**case.kwargs, "reduction": reduction}


@pytest.mark.parametrize("rec, case, i, name, value, reduction", list(nonfinite_params()))
def test_nonfinite_input_gives_torchs_result(rec, case, i, name, value, reduction):
    args, kwargs = with_value(case, i, value, reduction)
    dtype = case.args[i].dtype.type
    try:
        expected, _ = loss_and_warnings(lambda: to_numpy(oracle_value(
            rec, type(case)(case.id, tuple(args), kwargs))))
    except (ValueError, RuntimeError):
        expected = None  # the oracle itself refuses this input
    try:
        actual, _ = loss_and_warnings(rec.numpy, *args, **kwargs)
    except ValueError as error:
        # NaN is propagated, unless torch refuses it too (binary_cross_entropy's range
        # check on probabilities is false for NaN)
        assert not np.isnan(value) or expected is None, \
            f"{rec.name}.numpy rejects nan in {name}: {error}"
        assert name in str(error), f"the message does not name {name!r}: {error}"
        big, _ = with_value(case, i, np.copysign(1e30, value), reduction)
        with pytest.raises(ValueError):
            rec.numpy(*big, **kwargs)
        with pytest.raises(ValueError):
            rec.torch(*map(to_torch, args), **torch_kwargs(kwargs))
        return
    assert expected is not None, f"{rec.name}: the oracle refuses {name}={value}, lossref not"
    # the scale of the finite inputs, so that an infinity does not widen the tolerance
    scale = max([1.0] + [float(np.max(np.abs(a))) for a in case.args
                         if np.issubdtype(a.dtype, np.floating)])
    assert_close(actual, expected, dtype, scale, f"{rec.name}.numpy with {name}={value}")
    actual_torch, _ = loss_and_warnings(rec.torch, *map(to_torch, args), **torch_kwargs(kwargs))
    assert_close(actual_torch, expected, dtype, scale, f"{rec.name}.torch with {name}={value}")
    # the gradient: no warning, and autograd's value (of the builtin, else of .torch),
    # except that at a NaN input lossref may say NaN where torch's abs/sign/clamp backward
    # says 0 (torch's l1_loss gradient at a NaN input is 0: a NaN that would go unseen),
    # and at an infinite input lossref may give the gradient's finite limit where torch's
    # formula gives NaN (soft_margin_loss at y x = -inf: torch's -y e^m / (1 + e^m) is
    # inf / inf; lossref's -y sigmoid(m) is -y, the limit)
    grads, _ = loss_and_warnings(rec.grad, *args, **kwargs)
    _, expected_grads = autograd(rec.builtin or rec.torch, rec,
                                 type(case)(case.id, tuple(args), kwargs))
    for j, g, e in zip(rec.wrt, grads, expected_grads, strict=True):
        if np.isnan(value):  # lossref's NaN where torch says 0 is allowed, nothing else
            g = np.where(np.isnan(g) & (e == 0), e, g)
        else:  # torch's NaN where lossref has a finite limit, nothing else
            e = np.where(np.isnan(e) & np.isfinite(g), g, e)
        assert_close(g, e, dtype, scale, f"{rec.name}.grad wrt {j} with {name}={value}")
