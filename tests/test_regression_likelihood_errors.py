"""Bad input to the likelihood and robust regression losses gets a clear error from .numpy,
.grad and .torch; and the promises their pages make about edge values hold."""

import math

import numpy as np
import pytest
import torch

from lossref.losses import (
    gaussian_nll_loss,
    l1_loss,
    log_cosh_loss,
    poisson_nll_loss,
    quantile_loss,
    tukey_biweight_loss,
)

TWO_ARG = [poisson_nll_loss, log_cosh_loss, quantile_loss, tukey_biweight_loss]
ALL = [*TWO_ARG, gaussian_nll_loss]


def _as_torch(x):
    return torch.from_numpy(np.asarray(x)) if isinstance(x, np.ndarray) else x


def _implementations(record):
    """(label, callable taking NumPy arrays) for the three implementations."""
    def torch_impl(*args, **kw):
        return record.torch(*map(_as_torch, args), **kw)

    return [("numpy", record.numpy), ("grad", record.grad), ("torch", torch_impl)]


def _calls(records):
    return [pytest.param(record, fn, id=f"{record.name}-{label}")
            for record in records for label, fn in _implementations(record)]


def _args(record, input, target):
    """Positional arguments: the Gaussian NLL also takes a variance of input's shape."""
    if record is gaussian_nll_loss:
        return input, target, np.ones(np.shape(input), np.asarray(input).dtype)
    return input, target


# ---------------------------------------------------------------- shared checks


@pytest.mark.parametrize("record, fn", _calls(ALL))
def test_shapes_that_do_not_broadcast_name_both_arguments(record, fn):
    with pytest.raises(ValueError, match=r"shapes do not broadcast: input \(3,\), target \(4,\)"):
        fn(*_args(record, np.zeros(3), np.zeros(4)))


@pytest.mark.parametrize("record, fn", _calls(ALL))
def test_integer_input_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match="input must be a floating-point array"):
        fn(np.arange(3), np.ones(3), *_args(record, np.ones(3), np.ones(3))[2:])


@pytest.mark.parametrize("record, fn", _calls(ALL))
def test_integer_target_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match="target must be a floating-point array"):
        fn(*_args(record, np.ones(3), np.arange(3)))


@pytest.mark.parametrize("record, fn", _calls(ALL))
@pytest.mark.parametrize("reduction", ["average", "batchmean", None])
def test_unknown_reduction_is_rejected(record, fn, reduction):
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(*_args(record, np.ones(3), np.ones(3)), reduction=reduction)


# ---------------------------------------------------------------- poisson_nll_loss


@pytest.mark.parametrize("record, fn", _calls([poisson_nll_loss]))
@pytest.mark.parametrize("log_input", [True, False])
def test_negative_poisson_target_is_rejected(record, fn, log_input):
    """torch returns a number for a negative count; lossref says what is wrong."""
    with pytest.raises(ValueError, match=r"target holds counts and must be non-negative.*-2"):
        fn(np.ones(3), np.array([1.0, -2.0, 0.0]), log_input=log_input)


def test_torch_does_not_check_poisson_targets():
    value = torch.nn.functional.poisson_nll_loss(torch.ones(1), torch.tensor([-2.0]))
    assert math.isfinite(float(value))


@pytest.mark.parametrize("record, fn", _calls([poisson_nll_loss]))
def test_negative_rate_is_rejected(record, fn):
    with pytest.raises(ValueError, match="input is a rate when log_input=False"):
        fn(np.array([1.0, -0.5]), np.ones(2), log_input=False)


@pytest.mark.parametrize("record, fn", _calls([poisson_nll_loss]))
def test_negative_log_rate_is_fine(record, fn):
    fn(np.array([1.0, -0.5]), np.ones(2), log_input=True)


@pytest.mark.parametrize("record, fn", _calls([poisson_nll_loss]))
@pytest.mark.parametrize("eps, error", [(-1e-8, ValueError), (math.inf, ValueError),
                                        ("1e-8", TypeError)])
def test_bad_eps_is_rejected(record, fn, eps, error):
    with pytest.raises(error, match="eps must be"):
        fn(np.ones(2), np.ones(2), eps=eps)


@pytest.mark.parametrize("record, fn", _calls([poisson_nll_loss]))
@pytest.mark.parametrize("flag", ["log_input", "full"])
def test_flags_must_be_booleans(record, fn, flag):
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        fn(np.ones(2), np.ones(2), **{flag: "yes"})


def test_full_changes_the_value_but_not_the_gradient():
    rng = np.random.default_rng(0)
    log_rate, counts = rng.normal(size=8), rng.poisson(3.0, 8).astype(float)
    assert poisson_nll_loss.numpy(log_rate, counts, full=True) > \
        poisson_nll_loss.numpy(log_rate, counts)
    # exact: `full` does not enter the gradient's computation at all
    np.testing.assert_array_equal(poisson_nll_loss.grad(log_rate, counts, full=True)[0],
                                  poisson_nll_loss.grad(log_rate, counts)[0])


# ---------------------------------------------------------------- gaussian_nll_loss


@pytest.mark.parametrize("record, fn", _calls([gaussian_nll_loss]))
@pytest.mark.parametrize("var", [np.array([1.0, -1e-12, 2.0]), -0.5])
def test_negative_variance_is_rejected(record, fn, var):
    with pytest.raises(ValueError, match="var must be non-negative"):
        fn(np.zeros(3), np.ones(3), var)


@pytest.mark.parametrize("var", [np.array([1.0, -1e-12, 2.0]), -0.5])
def test_torch_rejects_negative_variance_too(var):
    with pytest.raises(ValueError, match="var has negative entry"):
        torch.nn.functional.gaussian_nll_loss(torch.zeros(3), torch.ones(3), _as_torch(var))


@pytest.mark.parametrize("eps", [1e-6, 0.1])
def test_zero_variance_is_clamped_to_eps_like_torch(eps):
    """torch defines var = 0 by clamping it to eps; lossref mirrors it, value and gradient."""
    mean, target, var = np.array([0.0, 1.0]), np.array([0.5, 1.0]), np.zeros(2)
    value = gaussian_nll_loss.numpy(mean, target, var, eps=eps, reduction="none")
    np.testing.assert_allclose(value, 0.5 * (np.log(eps) + np.array([0.25, 0.0]) / eps))
    expected = torch.nn.functional.gaussian_nll_loss(
        torch.from_numpy(mean), torch.from_numpy(target), torch.from_numpy(var), eps=eps,
        reduction="none")
    # two libraries: ~450 ulp (README, "Comparing numbers from two libraries")
    np.testing.assert_allclose(value, expected.numpy(), rtol=1e-13)
    v = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.gaussian_nll_loss(torch.from_numpy(mean), torch.from_numpy(target), v,
                                          eps=eps, reduction="sum").backward()
    _, d_var = gaussian_nll_loss.grad(mean, target, var, eps=eps, reduction="sum")
    np.testing.assert_allclose(d_var, v.grad.numpy(), rtol=1e-13)
    assert np.all(d_var != 0), "the clamp is not differentiated: the gradient is not 0"


@pytest.mark.parametrize("record, fn", _calls([gaussian_nll_loss]))
@pytest.mark.parametrize("var_shape", [(2,), (3,), (1, 1), (2, 3), (4, 3, 1), (1, 3, 1)])
def test_variance_of_a_shape_torch_rejects_is_rejected(record, fn, var_shape):
    with pytest.raises(ValueError, match=r"var of shape .* does not fit input of shape \(4, 3\)"):
        fn(np.zeros((4, 3)), np.zeros((4, 3)), np.ones(var_shape))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        torch.nn.functional.gaussian_nll_loss(torch.zeros(4, 3), torch.zeros(4, 3),
                                              torch.ones(var_shape))


@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_every_variance_layout_torch_accepts_is_accepted(var_shape):
    mean, target = np.zeros((4, 3)), np.ones((4, 3))
    var = np.full(var_shape, 2.0)
    value = gaussian_nll_loss.numpy(mean, target, var, reduction="none")
    assert value.shape == (4, 3)
    np.testing.assert_allclose(value, 0.5 * (np.log(2.0) + 0.5))
    assert gaussian_nll_loss.grad(mean, target, var)[1].shape == var_shape


@pytest.mark.parametrize("record, fn", _calls([gaussian_nll_loss]))
def test_integer_variance_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match="var must be a floating-point array"):
        fn(np.zeros(3), np.ones(3), np.ones(3, np.int64))


def test_integer_python_variance_is_a_type_error_in_torch_too():
    with pytest.raises(TypeError, match="var must be a torch.Tensor or a float"):
        gaussian_nll_loss.torch(torch.zeros(3), torch.ones(3), 1)


def test_float_variance_is_one_variance_for_every_element():
    mean, target = np.zeros(3), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(gaussian_nll_loss.numpy(mean, target, 2.0),
                               gaussian_nll_loss.numpy(mean, target, np.full(3, 2.0)))
    _d_mean, d_var = gaussian_nll_loss.grad(mean, target, 2.0, reduction="sum")
    assert d_var.shape == ()
    assert float(d_var) == pytest.approx(
        float(gaussian_nll_loss.grad(mean, target, np.full(3, 2.0), reduction="sum")[1].sum()))


# ---------------------------------------------------------------- quantile_loss


@pytest.mark.parametrize("record, fn", _calls([quantile_loss]))
@pytest.mark.parametrize("tau", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_quantile_outside_the_open_unit_interval_is_rejected(record, fn, tau):
    message = "quantile must be a number, got nan" if math.isnan(tau) else \
        r"quantile must be in the open interval \(0, 1\)"
    with pytest.raises(ValueError, match=message):
        fn(np.zeros(3), np.ones(3), quantile=tau)


@pytest.mark.parametrize("record, fn", _calls([quantile_loss]))
@pytest.mark.parametrize("tau", ["0.5", True, None])
def test_quantile_must_be_a_number(record, fn, tau):
    with pytest.raises(TypeError, match="quantile must be a real number"):
        fn(np.zeros(3), np.ones(3), quantile=tau)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_median_quantile_is_half_the_l1_loss(reduction):
    rng = np.random.default_rng(1)
    pred, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    pred[0, 0] = y[0, 0]  # an exact tie: the subgradients agree there too (0)
    np.testing.assert_allclose(quantile_loss.numpy(pred, y, quantile=0.5, reduction=reduction),
                               0.5 * l1_loss.numpy(pred, y, reduction=reduction), rtol=1e-13)
    np.testing.assert_allclose(quantile_loss.grad(pred, y, quantile=0.5, reduction=reduction)[0],
                               0.5 * l1_loss.grad(pred, y, reduction=reduction)[0], rtol=1e-13)


def test_quantile_subgradient_at_a_tie_is_the_same_in_numpy_and_autograd():
    tau = 0.9
    pred = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    quantile_loss.torch(pred, torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64),
                        quantile=tau, reduction="sum").backward()
    (grad,) = quantile_loss.grad(np.zeros(3), np.array([1.0, 0.0, -1.0]), quantile=tau,
                                 reduction="sum")
    np.testing.assert_allclose(grad, [-tau, 0.5 - tau, 1 - tau], rtol=1e-13)
    # exact: with reduction="sum" each entry is one of the float64 constants -tau,
    # 0.5 - tau, 1 - tau, times 1.0; no function call or sum is rounded differently
    np.testing.assert_array_equal(pred.grad.numpy(), grad)


# ---------------------------------------------------------------- tukey_biweight_loss


@pytest.mark.parametrize("record, fn", _calls([tukey_biweight_loss]))
@pytest.mark.parametrize("c", [0.0, -1.0, math.inf, math.nan])
def test_nonpositive_c_is_rejected(record, fn, c):
    message = "c must be a number, got nan" if math.isnan(c) else "c must be a positive finite"
    with pytest.raises(ValueError, match=message):
        fn(np.zeros(3), np.ones(3), c=c)


@pytest.mark.parametrize("record, fn", _calls([tukey_biweight_loss]))
def test_c_must_be_a_number(record, fn):
    with pytest.raises(TypeError, match="c must be a real number"):
        fn(np.zeros(3), np.ones(3), c="4.685")


def test_tukey_is_redescending_and_flat_beyond_c():
    r = np.array([5.0, 50.0, 1e300])
    np.testing.assert_allclose(tukey_biweight_loss.numpy(r, np.zeros(3), c=4.685,
                                                         reduction="none"), 4.685**2 / 6)
    np.testing.assert_array_equal(tukey_biweight_loss.grad(r, np.zeros(3), reduction="none")[0],
                                  0.0)  # exact: the gradient is set to 0 beyond c
    x = torch.tensor([5.0, 50.0, 1e300], dtype=torch.float64, requires_grad=True)
    tukey_biweight_loss.torch(x, torch.zeros(3, dtype=torch.float64), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)  # no nan from an unused branch


# ---------------------------------------------------------------- log_cosh_loss


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 3e38)])
def test_log_cosh_is_finite_and_exact_for_huge_residuals(dtype, big):
    x = np.array([big, -big], dtype)
    expected = np.abs(x.astype(np.float64)) - math.log(2)  # exact: exp(-2|x|) underflows
    for value in (log_cosh_loss.numpy(x, np.zeros(2, dtype), reduction="none"),
                  log_cosh_loss.torch(torch.from_numpy(x), torch.from_numpy(np.zeros(2, dtype)),
                                      reduction="none").numpy()):
        assert value.dtype == dtype and np.all(np.isfinite(value))
        np.testing.assert_allclose(value, expected.astype(dtype), rtol=0)
    (grad,) = log_cosh_loss.grad(x, np.zeros(2, dtype), reduction="none")
    np.testing.assert_array_equal(grad, [1.0, -1.0])  # exact: tanh is ±1 beyond |x| ~ 19


# log_cosh against mpmath. The stable form chains sinh (or exp), a square and log1p, and
# where NumPy uses SIMD kernels (Intel's SVML on AVX-512) each of those functions is
# accurate to 4 ulp rather than libm's ~0.5, so a derived bound is about 13 eps; allow 16.
# A formula error (log(cosh(x)) near 0 gives 0; cosh overflows at 710) is off by far more.
LOG_COSH_RTOL = 16 * np.finfo(np.float64).eps


@pytest.mark.parametrize("x", [1e-8, 1e-4, 0.3, 0.999, 1.0, 5.0, 40.0])
def test_log_cosh_is_accurate_near_zero_and_at_the_branch(x):
    import mpmath

    with mpmath.workdps(40):
        expected = float(mpmath.log(mpmath.cosh(mpmath.mpf(x))))
    value = log_cosh_loss.numpy(np.array([x]), np.zeros(1), reduction="none")[0]
    assert value == pytest.approx(expected, rel=LOG_COSH_RTOL)
    t = log_cosh_loss.torch(torch.tensor([x], dtype=torch.float64),
                            torch.zeros(1, dtype=torch.float64), reduction="none")
    assert float(t[0]) == pytest.approx(expected, rel=LOG_COSH_RTOL)


# ---------------------------------------------------------------- random inputs (hypothesis)

from hypothesis import given, settings
from hypothesis import strategies as st


def _close(actual, expected, rtol=1e-12):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol,
                               atol=1e-12 * max(1.0, float(np.max(np.abs(expected), initial=0))))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.booleans(),
       st.sampled_from([1e-8, 1e-3, 0.5]), st.sampled_from(["none", "mean", "sum"]),
       st.sampled_from([((5,), (5,)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (6,))]))
def test_poisson_random_inputs_match_torch(seed, log_input, full, eps, reduction, shapes):
    rng = np.random.default_rng(seed)
    log_rate = rng.uniform(-4, 4, shapes[0])
    x = np.asarray(log_rate if log_input else np.exp(log_rate))
    y = np.asarray(rng.poisson(rng.uniform(0, 20), shapes[1]).astype(float))
    kwargs = {"log_input": log_input, "full": full, "eps": eps, "reduction": reduction}
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.poisson_nll_loss(xt, torch.tensor(y), **kwargs)
    (expected_grad,) = torch.autograd.grad(expected.sum(), xt)
    _close(poisson_nll_loss.numpy(x, y, **kwargs), expected)
    _close(poisson_nll_loss.torch(torch.tensor(x), torch.tensor(y), **kwargs), expected)
    _close(poisson_nll_loss.grad(x, y, **kwargs)[0], expected_grad)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.sampled_from([1e-6, 0.3]),
       st.sampled_from(["none", "mean", "sum"]),
       st.sampled_from([(3, 4), (3, 1), (3,), (1, 4)]), st.floats(0.0, 0.3))
def test_gaussian_random_inputs_match_torch(seed, full, eps, reduction, var_shape, p_zero):
    rng = np.random.default_rng(seed)
    mu, y = rng.normal(size=(3, 4)), rng.normal(scale=3, size=(3, 4))
    var = rng.uniform(1e-3, 5, var_shape)
    var[rng.random(var_shape) < p_zero] = 0.0  # clamped to eps
    kwargs = {"full": full, "eps": eps, "reduction": reduction}
    mt, vt = torch.tensor(mu, requires_grad=True), torch.tensor(var, requires_grad=True)
    expected = torch.nn.functional.gaussian_nll_loss(mt, torch.tensor(y), vt, **kwargs)
    d_mu, d_var = torch.autograd.grad(expected.sum(), (mt, vt))
    _close(gaussian_nll_loss.numpy(mu, y, var, **kwargs), expected)
    _close(gaussian_nll_loss.torch(torch.tensor(mu), torch.tensor(y), torch.tensor(var),
                                   **kwargs), expected)
    ours_mu, ours_var = gaussian_nll_loss.grad(mu, y, var, **kwargs)
    _close(ours_mu, d_mu)
    _close(ours_var, d_var)


@settings(max_examples=80, deadline=None)
@given(st.floats(-300, 300), st.booleans())
def test_log_cosh_matches_mpmath_at_every_magnitude(log10_x, negative):
    import mpmath

    x = (-1 if negative else 1) * 10.0**log10_x
    # cosh(x) = 1 + x^2/2 + ...: keep 40 digits of the x^2/2 part too
    with mpmath.workdps(40 + 2 * max(0, -int(log10_x))):
        expected = float(mpmath.log(mpmath.cosh(mpmath.mpf(x))))
    value = float(log_cosh_loss.numpy(np.array([x]), np.zeros(1), reduction="sum"))
    assert value == pytest.approx(expected, rel=LOG_COSH_RTOL, abs=0)
