"""The logistic losses and the divergences against mpmath at 50 significant digits.

``binary_cross_entropy_with_logits``, ``soft_margin_loss`` and
``multilabel_soft_margin_loss`` are softplus of a logit: lossref computes them from
``max(z, 0) + log1p(exp(-|z|))``, so a loss of 1e-300 and a logit of 1e300 are both exact
to a few ulps. torch's builtins are not (``binary_cross_entropy_with_logits`` returns 0.0
for a loss of 7.98e-30; ``soft_margin_loss`` overflows to inf at ``y x = -710``); the
tests below say so by running them. Every logit here is a float64 number, so the exact loss
of that input is well defined and well conditioned (its relative condition number is at
most ``|z|``'s share of it, below 1 for these losses): a relative error of 1e-14 is a fair
demand of any algorithm, and no finite true value may come out as inf or nan.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch

from lossref import losses

DIGITS = 50
RTOL = 1e-14
TINIEST = 2.0**-1074  # the smallest subnormal: a true value below it may come out as 0
LOGITS = [-1e300, -1e20, -800.0, -710.0, -67.0, -40.0, -20.0, -1.0, -1e-8, -1e-300, 0.0,
          1e-300, 1e-8, 1.0, 20.0, 40.0, 67.0, 710.0, 800.0, 1e20, 1e300]
SOFT = [0.0, 1.0, 0.25, 0.5]


def softplus(z: mpmath.mpf) -> mpmath.mpf:
    return mpmath.log1p(mpmath.exp(z))


def assert_accurate(computed: np.ndarray, true: list, what: str) -> None:
    computed = np.asarray(computed, np.float64).reshape(-1)
    assert np.isfinite(computed).all(), f"{what}: non-finite {computed[~np.isfinite(computed)]}"
    with mpmath.workdps(DIGITS):
        for c, t, label in zip(computed, true, range(len(true))):
            error = abs(mpmath.mpf(float(c)) - t)
            assert error <= RTOL * abs(t) or error <= TINIEST, (
                f"{what}[{label}]: {c!r} vs true {mpmath.nstr(t, 17)} "
                f"(relative error {mpmath.nstr(error / abs(t), 3) if t else 'inf'})")


def logistic_truth(z: np.ndarray, y: np.ndarray) -> list:
    with mpmath.workdps(DIGITS):
        return [(1 - mpmath.mpf(b)) * softplus(mpmath.mpf(a)) + mpmath.mpf(b) * softplus(-mpmath.mpf(a))
                for a, b in zip(z.tolist(), y.tolist())]


@pytest.mark.parametrize("label", SOFT)
def test_bce_with_logits_is_accurate(label):
    z = np.array(LOGITS)
    y = np.full_like(z, label)
    true = logistic_truth(z, y)
    rec = losses.binary_cross_entropy_with_logits
    assert_accurate(rec.numpy(z, y, reduction="none"), true, "numpy")
    assert_accurate(rec.torch(torch.tensor(z), torch.tensor(y), reduction="none"), true, "torch")


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_multilabel_soft_margin_is_accurate(label):
    z = np.array(LOGITS)[:, None]  # one class per row: the row's loss is the element's
    y = np.full_like(z, label)
    true = logistic_truth(z.ravel(), y.ravel())
    rec = losses.multilabel_soft_margin_loss
    assert_accurate(rec.numpy(z, y, reduction="none"), true, "numpy")
    assert_accurate(rec.torch(torch.tensor(z), torch.tensor(y), reduction="none"), true, "torch")


@pytest.mark.parametrize("label", [-1.0, 1.0])
def test_soft_margin_is_accurate(label):
    x = np.array(LOGITS)
    y = np.full_like(x, label)
    with mpmath.workdps(DIGITS):
        true = [softplus(-mpmath.mpf(b) * mpmath.mpf(a)) for a, b in zip(x.tolist(), y.tolist())]
    rec = losses.soft_margin_loss
    assert_accurate(rec.numpy(x, y, reduction="none"), true, "numpy")
    assert_accurate(rec.torch(torch.tensor(x), torch.tensor(y), reduction="none"), true, "torch")


def test_gradients_are_accurate():
    """sigmoid(z) - y and -y sigmoid(-y x): tiny gradients keep their digits too."""
    z = np.array(LOGITS)
    for label in (0.0, 1.0):
        y = np.full_like(z, label)
        (grad,) = losses.binary_cross_entropy_with_logits.grad(z, y, reduction="sum")
        with mpmath.workdps(DIGITS):
            true = [(1 - mpmath.mpf(label)) / (1 + mpmath.exp(-mpmath.mpf(a)))
                    - mpmath.mpf(label) / (1 + mpmath.exp(mpmath.mpf(a))) for a in z.tolist()]
        nonzero = [i for i, t in enumerate(true) if abs(t) > 1e-300]
        assert_accurate(grad[nonzero], [true[i] for i in nonzero], f"grad y={label}")
        assert all(grad[i] == 0 or abs(grad[i]) < 1e-300 for i in set(range(len(z))) - set(nonzero))


def test_what_torch_returns_there():
    """The two failures of torch's builtins that lossref avoids, as the issue states them
    (with the true value of e^-67: 7.98e-30)."""
    F = torch.nn.functional
    z, y = torch.tensor([-67.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)
    assert F.binary_cross_entropy_with_logits(z, y).item() == 0.0
    value = losses.binary_cross_entropy_with_logits.numpy(z.numpy(), y.numpy())
    assert 7.98e-30 < value < 7.99e-30
    x, t = torch.tensor([-1000.0], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64)
    assert F.soft_margin_loss(x, t).item() == float("inf")
    assert losses.soft_margin_loss.torch(x, t).item() == pytest.approx(1000.0, rel=1e-15)


def test_js_divergence_is_accurate_where_the_distributions_agree():
    """Where q is within a factor 3 of p the element is m/2 (log(1 - r^2) + 2 r atanh r):
    no cancellation, so even JS of 1e-25 keeps its digits. The inputs are log-probabilities
    (``log_target=True``) whose difference is exact (dyadic): the difference of two nearby
    logarithms is otherwise known only to an ulp of the logarithm, and JS ~ p d^2 / 8
    inherits that error (the input's conditioning, not the algorithm's)."""
    t = np.array([-1.0, -1.0, -0.5, 0.0, -27.5, -3.0])
    x = t + np.array([2.0**-40, -(2.0**-20), 0.5, -(2.0**-30), 0.25, -1.0])
    with mpmath.workdps(DIGITS):
        true = []
        for a, b in zip(x.tolist(), t.tolist()):
            q, p = mpmath.exp(mpmath.mpf(a)), mpmath.exp(mpmath.mpf(b))
            m = (p + q) / 2
            true.append((p * mpmath.log(p / m) + q * mpmath.log(q / m)) / 2)
    rec = losses.js_divergence
    assert_accurate(rec.numpy(x, t, reduction="none", log_target=True), true, "numpy")
    assert_accurate(rec.torch(torch.tensor(x), torch.tensor(t), reduction="none",
                              log_target=True), true, "torch")


@pytest.mark.parametrize("log_target", [False, True])
def test_js_gradient_is_zero_where_model_and_data_both_vanish(log_target):
    """A class that neither distribution holds contributes nothing, and its gradient is
    0: in ``.torch`` no nan may leak from a branch that ``torch.where`` discards."""
    x = torch.tensor([[0.0, -np.inf], [-1e-300, -800.0]], dtype=torch.float64,
                     requires_grad=True)
    t = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    if log_target:
        t = torch.where(t > 0, torch.log(t), -np.inf)
    value = losses.js_divergence.torch(x, t, reduction="sum", log_target=log_target)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(x.grad).all(), x.grad
    (grad,) = losses.js_divergence.grad(x.detach().numpy(), t.numpy(), reduction="sum",
                                        log_target=log_target)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-12, atol=1e-300)
