"""Every registered loss against torch: value, dtype, shape and gradient.

The parameters come from the registry (``LOSSES``) and from each record's own
``cases(dtype)``, so a loss that is registered is tested here without any edit to this
file. The oracle is ``rec.builtin`` (a ``torch.nn.functional`` function) or, when torch
has no such loss, ``REFERENCE_IMPLS[rec.name]``, a plain loop written independently.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_impls import REFERENCE_IMPLS

from lossref.losses import cross_entropy, log_softmax_numpy, softmax_numpy, softmax_torch
from lossref.registry import LOSSES

DTYPES = (np.float32, np.float64)

# Some cases broadcast target against input on purpose (torch allows it and warns).
# kl_div and js_divergence warn on reduction='mean' (tests/test_binary_divergence_errors.py).
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning",
                                        "ignore:reduction. 'mean' divides:UserWarning")

# Relative tolerances. Both sides compute the same formula in the same precision, but in a
# different order of operations (torch's fused log_softmax kernel, pairwise vs. sequential
# sums), so a few ulps per operation may differ; a loss is a handful of operations deep,
# so 1e-12 in float64 (~4500 ulps) and 2e-5 in float32 (~170 ulps) leave a margin of about
# ten over the largest error measured across all cases, while any formula error (a wrong
# denominator, a missing weight, smoothing applied twice) shows up at 1e-3 or above.
RTOL = {np.float32: 2e-5, np.float64: 1e-12}
# Absolute tolerances, scaled by the magnitude of the inputs (``scale`` below). A value
# obtained by cancellation (log-sum-exp minus the target logit; ``p - 1`` in a gradient;
# Poisson's ``exp(x) - y x`` and ``x - y log(x)``) is exact only to a few ulps of the
# terms that cancel, and those can exceed the inputs: ``y log(x)`` is 18 times ``y`` at
# x = y = 1e8. Both libraries round those terms, with their own exp and log, and which
# exp and log NumPy uses depends on the CPU (its AVX-512 exp differs from torch's by up to
# 2 ulp; see README, "Comparing numbers from two libraries"). 64 eps times the input
# scale is a few ulps of such terms. And for extreme logits torch's builtin loses what
# lossref keeps: on the row [80, 0, 0] with target 0 the true loss is 2e-35, torch's
# ``log_softmax`` returns -0.0 (``log(1 + 2e-35)`` rounds to 0) and lossref returns
# 3.6e-35 to full precision (tests/test_loss_accuracy.py checks lossref against mpmath
# there). Such an element is compared with this absolute tolerance, relative to the
# input scale, not with the relative one.
ATOL = {np.float32: 64 * np.finfo(np.float32).eps, np.float64: 64 * np.finfo(np.float64).eps}


# ------------------------------------------------------------------ helpers


def to_torch(x: Any, requires_grad: bool = False) -> Any:
    """NumPy array -> tensor (a copy, so the test cannot alias the case's data)."""
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(x.copy())
        return t.requires_grad_(True) if requires_grad else t
    return x


def torch_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: to_torch(v) for k, v in kwargs.items()}


def to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def input_scale(case) -> float:
    """Largest magnitude among the floating-point inputs (at least 1)."""
    values = [1.0]
    for v in (*case.args, *case.kwargs.values()):
        if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating) and v.size:
            values.append(float(np.max(np.abs(v))))
    return max(values)


def element_scale(rec, case, out_shape: tuple[int, ...]) -> Any:
    """The input magnitude behind each output element, where it can be told: for
    reduction='none', an elementwise loss's output has the broadcast shape of its float
    arguments, and a classification loss's output element is one row of scores along
    the class axis. A case mixing a row of ±1e307 with ordinary rows is then not compared
    with an absolute tolerance of 1e292 on the ordinary rows. Otherwise (a reduced loss)
    the largest input magnitude of the whole case."""
    floats = [np.abs(a.astype(np.float64)) for a in case.args
              if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)]
    if case.kwargs.get("reduction") == "none" and floats:
        if rec.task == "classification" and floats[0].ndim >= 1:
            rows = floats[0].max(axis=0 if floats[0].ndim == 1 else 1)
            if rows.shape == out_shape:
                return np.maximum(rows, 1.0)
        try:
            if np.broadcast_shapes(*(f.shape for f in floats)) == out_shape:
                return np.maximum(np.maximum.reduce(np.broadcast_arrays(*floats)), 1.0)
        except ValueError:
            pass
    return input_scale(case)


def assert_close(actual: Any, expected: Any, dtype, scale: Any, what: str) -> None:
    """``|actual - expected| <= RTOL * |expected| + ATOL * scale`` elementwise; infinities
    and NaN must match exactly (``scale`` is a number or an array of the output's shape)."""
    actual, expected = to_numpy(actual), to_numpy(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    finite = np.isfinite(e)
    np.testing.assert_array_equal(a[~finite], e[~finite], err_msg=f"{what}: inf/nan")
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: checked above
        error = np.abs(a - e)
    bound = RTOL[dtype] * np.abs(e) + ATOL[dtype] * np.broadcast_to(scale, e.shape)
    bad = finite & ~(error <= bound)
    assert not bad.any(), (
        f"{what}: {int(bad.sum())} of {e.size} elements differ beyond tolerance; worst "
        f"{a[bad].reshape(-1)[np.argmax((error - bound)[bad])]!r} vs "
        f"{e[bad].reshape(-1)[np.argmax((error - bound)[bad])]!r}")


def oracle_value(rec, case) -> Any:
    """The trusted value: torch's builtin, or the plain-loop reference implementation."""
    if rec.builtin is not None:
        return rec.builtin(*map(to_torch, case.args), **torch_kwargs(case.kwargs))
    assert rec.name in REFERENCE_IMPLS, (
        f"{rec.name!r} has no torch builtin, so tests/reference_impls.py must provide "
        f"REFERENCE_IMPLS[{rec.name!r}] as the oracle"
    )
    return REFERENCE_IMPLS[rec.name](*case.args, **case.kwargs)


def autograd(fn, rec, case) -> tuple[Any, tuple[np.ndarray, ...]]:
    """Value and autograd gradient of the reduced loss (of the sum for 'none')."""
    args = [to_torch(a, requires_grad=i in rec.wrt) for i, a in enumerate(case.args)]
    out = fn(*args, **torch_kwargs(case.kwargs))
    grads = torch.autograd.grad(out.sum(), [args[i] for i in rec.wrt], allow_unused=True)
    return out, tuple(
        np.zeros(case.args[i].shape, case.args[i].dtype) if g is None else g.numpy()
        for i, g in zip(rec.wrt, grads, strict=True)
    )


def loss_cases():
    for rec in LOSSES.values():
        for dtype in DTYPES:
            for case in rec.cases(dtype):
                yield pytest.param(rec, case, dtype,
                                   id=f"{rec.name}-{case.id}-{np.dtype(dtype).name}")


CASES = list(loss_cases())


# ------------------------------------------------------------------ registry-driven parity


@pytest.mark.parametrize("rec, case, dtype", CASES)
def test_numpy_matches_oracle(rec, case, dtype):
    expected = oracle_value(rec, case)
    actual = rec.numpy(*case.args, **case.kwargs)
    assert np.asarray(actual).dtype == dtype, "float in -> same float out"
    scale = element_scale(rec, case, to_numpy(expected).shape)
    assert_close(actual, expected, dtype, scale, f"{rec.name}.numpy")


@pytest.mark.parametrize("rec, case, dtype", CASES)
def test_torch_matches_oracle(rec, case, dtype):
    expected = oracle_value(rec, case)
    actual = rec.torch(*map(to_torch, case.args), **torch_kwargs(case.kwargs))
    assert isinstance(actual, torch.Tensor)
    assert actual.dtype == torch.from_numpy(np.zeros(0, dtype)).dtype
    if isinstance(expected, torch.Tensor):
        assert actual.dtype == expected.dtype
    scale = element_scale(rec, case, to_numpy(expected).shape)
    assert_close(actual, expected, dtype, scale, f"{rec.name}.torch")


@pytest.mark.parametrize("rec, case, dtype", CASES)
def test_grad_matches_autograd(rec, case, dtype):
    """``.grad`` against autograd of the builtin (of ``.torch`` when there is none)."""
    _, expected = autograd(rec.builtin or rec.torch, rec, case)
    actual = rec.grad(*case.args, **case.kwargs)
    assert isinstance(actual, tuple) and len(actual) == len(rec.wrt)
    for i, a, e in zip(rec.wrt, actual, expected, strict=True):
        assert np.asarray(a).dtype == dtype, f"grad wrt args[{i}]: float in -> same float out"
        assert_close(a, e, dtype, max(1.0, float(np.max(np.abs(e), initial=0.0))),
                     f"{rec.name}.grad wrt args[{i}]")


@pytest.mark.parametrize("rec, case, dtype",
                         [p for p in CASES if p.values[0].builtin is not None])
def test_torch_autograd_matches_builtin_autograd(rec, case, dtype):
    _, expected = autograd(rec.builtin, rec, case)
    _, actual = autograd(rec.torch, rec, case)
    for i, a, e in zip(rec.wrt, actual, expected, strict=True):
        assert a.dtype == dtype
        assert_close(a, e, dtype, max(1.0, float(np.max(np.abs(e), initial=0.0))),
                     f"{rec.name}.torch autograd wrt args[{i}]")


# ------------------------------------------------------------------ dtype and differentiability


def small_case(rec):
    """The first float64 case with moderate values and few elements (for gradcheck)."""
    for case in rec.cases(np.float64):
        floats = [a for a in case.args if isinstance(a, np.ndarray)
                  and np.issubdtype(a.dtype, np.floating)]
        if all(a.size <= 64 and np.all(np.abs(a) <= 10) for a in floats):
            return case
    pytest.fail(f"{rec.name}: no float64 case with <= 64 elements and |values| <= 10")


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
def test_torch_passes_gradcheck(rec):
    case = small_case(rec)
    args = [to_torch(a, requires_grad=i in rec.wrt) for i, a in enumerate(case.args)]
    kwargs = torch_kwargs(case.kwargs)

    def loss(*diff_args):
        full = list(args)
        for i, a in zip(rec.wrt, diff_args, strict=True):
            full[i] = a
        return rec.torch(*full, **kwargs)

    assert torch.autograd.gradcheck(loss, tuple(args[i] for i in rec.wrt))


NO_BUILTIN = [rec for rec in LOSSES.values() if rec.builtin is None]


@pytest.mark.parametrize("rec", NO_BUILTIN, ids=[rec.name for rec in NO_BUILTIN])
def test_grad_matches_finite_differences_of_the_oracle(rec):
    """Without a builtin, ``.grad`` is checked above against autograd of ``.torch``: both
    are lossref's. Here it meets the independent plain-loop oracle: central differences
    of REFERENCE_IMPLS[name] (step 1e-6: truncation error ~1e-12, rounding ~1e-10)."""
    case = small_case(rec)
    oracle = REFERENCE_IMPLS[rec.name]
    analytic = rec.grad(*case.args, **case.kwargs)
    h = 1e-6
    for i, grad in zip(rec.wrt, analytic, strict=True):
        numeric = np.zeros_like(case.args[i])
        for index in np.ndindex(case.args[i].shape):
            values = []
            for sign in (1, -1):
                args = list(case.args)
                args[i] = args[i].copy()
                args[i][index] += sign * h
                values.append(float(np.sum(oracle(*args, **case.kwargs))))
            numeric[index] = (values[0] - values[1]) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{rec.name}.grad wrt args[{i}]")


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
@pytest.mark.parametrize("dtype, default", [(np.float32, torch.float64),
                                            (np.float64, torch.float32)])
def test_torch_keeps_a_non_default_dtype(rec, dtype, default):
    """``.torch`` follows its input's dtype, whatever torch's default dtype is: a tensor
    created inside without ``dtype=`` would promote or demote the result."""
    case = next(iter(rec.cases(dtype)))
    saved = torch.get_default_dtype()
    torch.set_default_dtype(default)
    try:
        out, grads = autograd(rec.torch, rec, case)
    finally:
        torch.set_default_dtype(saved)
    assert out.dtype == torch.from_numpy(np.zeros(0, dtype)).dtype
    assert all(g.dtype == dtype for g in grads)
    expected = rec.torch(*map(to_torch, case.args), **torch_kwargs(case.kwargs))
    assert_close(out, expected, dtype, input_scale(case), "same value under another default")


# ------------------------------------------------------------------ cross_entropy properties


@st.composite
def cross_entropy_inputs(draw):
    """Random layout ((C,), (N, C), (N, C, d1), (N, C, d1, d2)), targets, options."""
    n_classes = draw(st.integers(1, 6))
    extra = draw(st.integers(-1, 2))  # -1: unbatched (C,)
    shape = (n_classes,) if extra < 0 else (
        draw(st.integers(1, 4)), n_classes, *draw(st.lists(st.integers(1, 3),
                                                            min_size=extra, max_size=extra)))
    dtype = draw(st.sampled_from(DTYPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([0.1, 3.0, 30.0]))
    logits = (scale * rng.standard_normal(shape)).astype(dtype)
    index_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    probabilities = draw(st.booleans())
    kwargs: dict[str, Any] = dict(
        reduction=draw(st.sampled_from(["none", "mean", "sum"])),
        label_smoothing=draw(st.sampled_from([0.0, 0.05, 0.5, 1.0])),
    )
    if draw(st.booleans()):
        kwargs["weight"] = rng.uniform(0.1, 3.0, n_classes).astype(dtype)
    if probabilities:
        raw = rng.random(shape) + 1e-3
        target = (raw / raw.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)).astype(dtype)
    else:
        target = np.asarray(rng.integers(0, n_classes, index_shape))
        ignore_index = draw(st.sampled_from([-100, 0, n_classes - 1]))
        kwargs["ignore_index"] = ignore_index
        if draw(st.booleans()) and target.size:
            flat = target.reshape(-1)
            flat[rng.random(flat.size) < 0.3] = ignore_index
            target = flat.reshape(index_shape)
        if kwargs["reduction"] == "mean" and not np.any(target != ignore_index):
            kwargs["reduction"] = "sum"  # the mean is undefined (test_classification_errors)
    return logits, target, kwargs


@settings(max_examples=150, deadline=None)
@given(cross_entropy_inputs())
def test_cross_entropy_random_inputs_match_torch(inputs):
    logits, target, kwargs = inputs
    dtype = logits.dtype.type
    scale = max(1.0, float(np.max(np.abs(logits))))
    t_args = [to_torch(logits, requires_grad=True), to_torch(target)]
    expected = torch.nn.functional.cross_entropy(*t_args, **torch_kwargs(kwargs))
    (expected_grad,) = torch.autograd.grad(expected.sum(), t_args[0])
    value = cross_entropy.numpy(logits, target, **kwargs)
    assert np.asarray(value).dtype == dtype
    assert_close(value, expected, dtype, scale, "numpy")
    assert_close(cross_entropy.torch(*map(to_torch, (logits, target)), **torch_kwargs(kwargs)),
                 expected, dtype, scale, "torch")
    (grad,) = cross_entropy.grad(logits, target, **kwargs)
    assert grad.dtype == dtype
    assert_close(grad, expected_grad, dtype, 1.0, "grad")
    assert np.all(np.asarray(value) >= 0), "cross-entropy is never negative"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.sampled_from([0.1, 5.0, 100.0, 1e300]),
       st.integers(0, 2**32 - 1))
def test_softmax_rows_sum_to_one(rows, n_classes, scale, seed):
    x = scale * np.random.default_rng(seed).standard_normal((rows, n_classes))
    p = softmax_numpy(x, axis=1)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    # softmax is exp(log_softmax), so the row sum carries the errors of exp and log1p:
    # up to 4 ulp each where NumPy uses SIMD kernels (SVML on AVX-512), which moves the sum
    # by up to about (8 + 4.5 log C) eps; rounding in log_softmax and in the sum adds about
    # 1.5 C eps. (2 C + 16) eps covers both for C <= 8.
    bound = (2 * n_classes + 16) * np.finfo(np.float64).eps
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=bound)
    np.testing.assert_allclose(softmax_torch(torch.from_numpy(x), dim=1).sum(dim=1).numpy(),
                               1.0, rtol=0, atol=bound)
    assert np.all(np.isfinite(log_softmax_numpy(x, axis=1)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(2, 6), st.sampled_from(["none", "mean", "sum"]),
       st.integers(0, 2**32 - 1))
def test_gradient_rows_sum_to_zero_for_plain_hard_targets(rows, n_classes, reduction, seed):
    """Without weights or smoothing each row's gradient is p - onehot(y): it sums to 0."""
    rng = np.random.default_rng(seed)
    logits = 4 * rng.standard_normal((rows, n_classes))
    (grad,) = cross_entropy.grad(logits, rng.integers(0, n_classes, rows), reduction=reduction)
    # sum(p) - 1, with the softmax bound of test_softmax_rows_sum_to_one and the rounding
    # of p - onehot and of the row sum on top
    bound = (4 * n_classes + 16) * np.finfo(np.float64).eps
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, rtol=0, atol=bound)
