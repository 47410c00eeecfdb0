"""cross_entropy and log_softmax against mpmath at 50 significant digits.

Parity with torch (tests/test_loss_parity.py) shows that lossref computes what torch
computes; this file shows that it computes the *true* value, including where torch does
not: a row dominated by its target logit has a loss below 1e-16 that ``log(sum(exp))``
rounds to 0, and lossref's ``log1p`` form keeps to full relative precision.

The rows are chosen so that every logit difference ``x_k - max(x)`` is exact in float64
(integers, dyadic fractions, ±1e300 mixtures): then the exact loss of the float64 inputs
is well conditioned, and a relative error of 1e-14 (about 45 ulps) is a fair demand of any
algorithm. (With an inexact difference of -690, rounding the difference alone changes a
loss of e^-690 by 690 * 1.1e-16 ~ 8e-14 relative: a property of the input, not a defect.)
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch

from lossref.losses import cross_entropy, log_softmax_numpy, log_softmax_torch

DIGITS = 50
RTOL = 1e-14
TINIEST = 2.0**-1074  # the smallest subnormal: the resolution of a value that underflows

rng = np.random.default_rng(2024)
ROWS: list[tuple[str, list[float], int]] = [
    # target holds the largest logit: the loss is tiny
    ("tiny-1e-30", [0.0, -69.0], 0),
    ("tiny-1e-300", [0.0, -690.0], 0),
    ("tiny-3-classes", [80.0, 0.0, 0.0], 0),
    ("tiny-many-classes", [40.0] + [0.0] * 9, 0),
    ("tiny-underflow", [1e300, -1e300, 0.0], 0),
    ("tiny-dyadic", [0.5, -36.25, -37.75], 0),
    ("tiny-negative-logits", [-1000.0, -1050.0, -1100.0], 0),
    ("tiny-1e-16", [0.0, -37.0, -38.0], 0),
    ("small-1e-8", [0.0, -18.0, -20.0], 0),
    # target far from the maximum: the loss is large
    ("far-69", [0.0, -69.0], 1),
    ("far-690", [0.0, -690.0], 1),
    ("far-1e300", [1e300, -1e300, 0.0], 1),
    ("mid-1e300", [1e300, -1e300, 0.0], 2),
    ("far-negative-1e300", [-1e300, 0.0, 1.0], 0),
    ("far-3-classes", [30.0, 0.0, -30.0], 2),
    ("far-near-max-double", [1.7e308, 0.0], 1),
    # ties
    ("tie-2", [5.0, 5.0], 1),
    ("tie-3", [1.0, 1.0, 1.0], 2),
    ("tie-1e300", [1e300, 1e300, -1e300], 0),
    ("tie-negative-1e300", [-1e300, -1e300], 1),
    ("tie-with-loser", [5.0, 5.0, -5.0], 2),
    ("tie-top-dominates", [0.0, 0.0, -700.0], 0),
    ("single-class", [3.25], 0),
] + [
    (f"random-{i}", list(np.round(rng.normal(0.0, 4.0, size=int(rng.integers(2, 12))), 3)),
     int(rng.integers(0, 2)))
    for i in range(12)
]


def true_log_softmax(row: list[float]) -> list[mpmath.mpf]:
    """log_softmax at 50 digits: (x_c - m) - log1p(sum over the rest of exp(x_k - m))."""
    with mpmath.workdps(DIGITS):
        x = [mpmath.mpf(v) for v in row]
        top = max(range(len(x)), key=lambda k: x[k])
        rest = mpmath.fsum(mpmath.exp(x[k] - x[top]) for k in range(len(x)) if k != top)
        return [(x[c] - x[top]) - mpmath.log1p(rest) for c in range(len(x))]


def assert_accurate(computed: float, true: mpmath.mpf, what: str) -> None:
    assert np.isfinite(computed), f"{what}: {computed} where the true value is {true}"
    with mpmath.workdps(DIGITS):
        error = abs(mpmath.mpf(computed) - true)
        assert error <= RTOL * abs(true) or error <= TINIEST, (
            f"{what}: {computed!r} vs true {mpmath.nstr(true, 20)} "
            f"(relative error {mpmath.nstr(error / abs(true), 3) if true else 'inf'})"
        )


@pytest.mark.parametrize("row, target", [(r, t) for _, r, t in ROWS], ids=[i for i, _, _ in ROWS])
def test_cross_entropy_is_accurate(row, target):
    true = -true_log_softmax(row)[target]
    x = np.array(row, dtype=np.float64)
    assert_accurate(float(cross_entropy.numpy(x, np.array(target))), true, "numpy")
    assert_accurate(float(cross_entropy.torch(torch.tensor(x), torch.tensor(target))),
                    true, "torch")


@pytest.mark.parametrize("row", [r for _, r, _ in ROWS], ids=[i for i, _, _ in ROWS])
def test_log_softmax_is_accurate(row):
    true = true_log_softmax(row)
    x = np.array(row, dtype=np.float64)
    for c, value in enumerate(log_softmax_numpy(x)):
        assert_accurate(float(value), true[c], f"log_softmax_numpy[{c}]")
    for c, value in enumerate(log_softmax_torch(torch.tensor(x)).tolist()):
        assert_accurate(value, true[c], f"log_softmax_torch[{c}]")


def test_batched_rows_are_as_accurate_as_single_rows():
    """The (N, C) path (rows flattened, reduction='none') gives the same accuracy."""
    rows = [(r, t) for _, r, t in ROWS if len(r) == 3]
    x = np.array([r for r, _ in rows])
    y = np.array([t for _, t in rows])
    numpy_losses = cross_entropy.numpy(x, y, reduction="none")
    torch_losses = cross_entropy.torch(torch.tensor(x), torch.tensor(y), reduction="none")
    for (row, target), a, b in zip(rows, numpy_losses, torch_losses.tolist(), strict=True):
        true = -true_log_softmax(row)[target]
        assert_accurate(float(a), true, f"numpy {row}")
        assert_accurate(b, true, f"torch {row}")


def test_torch_builtin_rounds_a_tiny_loss_to_zero():
    """Where the true loss is 1.08e-30, torch's builtin returns exactly 0 and lossref
    returns the true value to full precision. This is why the parity tests compare
    such elements with an absolute tolerance and this file exists."""
    x, y = np.array([[0.0, -69.0]]), np.array([0])
    true = -true_log_softmax([0.0, -69.0])[0]
    assert 1.0e-30 < true < 1.1e-30
    builtin = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y))
    assert builtin.item() == 0.0
    assert_accurate(float(cross_entropy.numpy(x, y)), true, "numpy")
    assert_accurate(cross_entropy.torch(torch.tensor(x), torch.tensor(y)).item(), true, "torch")
