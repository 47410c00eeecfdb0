"""Bad input to the binary and divergence losses: the right exception, naming the argument.

Each case runs through ``.numpy``, ``.grad`` and ``.torch`` (on tensors), so the three
entry points reject the same inputs with the same message. Where torch itself raises
(probabilities outside [0, 1] in ``binary_cross_entropy``, a target of another shape in
the binary cross-entropies), lossref raises a ``ValueError`` that says what to do; where
torch silently computes something else (labels other than +-1 in ``soft_margin_loss``,
log-probabilities passed as a probability target to ``kl_div``), lossref raises too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from test_classification_errors import entry_points

from lossref import losses

P = np.array([[0.1, 0.9, 0.5], [0.8, 0.4, 0.3]])    # probabilities, N=2, C=3
Y01 = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
Z = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])  # logits
YPM = 2 * Y01 - 1
LOGQ = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
T = np.array([[0.1, 0.1, 0.8], [0.5, 0.25, 0.25]])

BCE = losses.binary_cross_entropy
BCEL = losses.binary_cross_entropy_with_logits
SM = losses.soft_margin_loss
ML = losses.multilabel_soft_margin_loss
KL = losses.kl_div
JS = losses.js_divergence

# (id, records, args, kwargs, exception, message pattern)
BAD_INPUTS = [
    ("bce-input-above-1", [BCE], (P + 0.5, Y01), {}, ValueError,
     r"input holds probabilities and must be in \[0, 1\], got 1\.4.*with_logits"),
    ("bce-input-negative", [BCE], (P - 0.5, Y01), {}, ValueError, r"input .* got -0\.4"),
    ("bce-input-nan", [BCE], (np.where(P == 0.5, np.nan, P), Y01), {}, ValueError,
     r"input .* got nan"),
    ("bce-target-above-1", [BCE, BCEL], (P, Y01 + 1), {}, ValueError,
     r"target holds probabilities and must be in \[0, 1\], got 2\.0"),
    ("bce-target-minus-1", [BCE, BCEL], (P, YPM), {}, ValueError, r"target .* got -1\.0"),
    ("target-other-shape", [BCE, BCEL, ML], (P, Y01[:, :1]), {}, ValueError,
     r"target must have the shape of input \(2, 3\), got \(2, 1\)"),
    ("target-column-against-vector", [BCE, BCEL], (P[:, 0], Y01[:, :1]), {}, ValueError,
     r"target must have the shape of input \(2,\), got \(2, 1\)"),
    ("weight-does-not-broadcast", [BCE, BCEL, ML], (P, Y01), {"weight": np.ones(2)},
     ValueError, r"weight of shape \(2,\) does not broadcast to input's shape \(2, 3\)"),
    ("weight-negative", [BCE, BCEL, ML], (P, Y01), {"weight": np.array([1.0, -1.0, 1.0])},
     ValueError, r"weight must be finite and non-negative, got -1\.0"),
    ("weight-float32-for-float64", [BCE, BCEL, ML], (P, Y01),
     {"weight": np.ones(3, np.float32)}, TypeError, r"weight dtype (torch\.)?float32 differs"),
    ("pos-weight-wrong-length", [BCEL], (Z, Y01), {"pos_weight": np.ones(2)}, ValueError,
     r"pos_weight of shape \(2,\) does not broadcast .* one weight per class, along "
     r"input's last dimension \(size 3\)"),
    ("pos-weight-grows-the-input", [BCEL], (Z[0], Y01[0]), {"pos_weight": np.ones((2, 3))},
     ValueError, r"pos_weight of shape \(2, 3\) does not broadcast to input's shape \(3,\)"),
    ("pos-weight-negative", [BCEL], (Z, Y01), {"pos_weight": np.array([1.0, -2.0, 1.0])},
     ValueError, r"pos_weight must be finite and non-negative"),
    ("pos-weight-inf", [BCEL], (Z, Y01), {"pos_weight": np.array([1.0, np.inf, 1.0])},
     ValueError, r"pos_weight must be finite"),
    ("integer-logits", [BCEL, SM, ML], (Z.astype(int), Y01), {}, TypeError,
     r"input must be a floating-point array"),
    ("target-dtype", [BCE, BCEL, SM, ML], (P, Y01.astype(np.float32)), {}, TypeError,
     r"target dtype (torch\.)?float32 differs from input dtype (torch\.)?float64"),
    ("soft-margin-01-labels", [SM], (Z, Y01), {}, ValueError,
     r"target holds labels and must be -1 or 1, got 0\.0.*binary_cross_entropy_with_logits"),
    ("soft-margin-random-targets", [SM], (Z, np.array([[0.3, -1.2, 1.0], [1.0, 1.0, 2.0]])),
     {}, ValueError, r"must be -1 or 1, got 0\.3"),
    ("soft-margin-target-does-not-broadcast", [SM], (Z, YPM.T), {}, ValueError,
     r"shapes do not broadcast: input \(2, 3\), target \(3, 2\)"),
    ("soft-margin-target-grows-the-input", [SM], (Z[:, 0], YPM[:, :1]), {}, ValueError,
     r"target of shape \(2, 1\) does not broadcast to input's shape \(2,\)"),
    ("multilabel-pm1-labels", [ML], (Z, YPM), {}, ValueError,
     r"must be in \[0, 1\], got -1\.0 \(labels -1/1 belong to soft_margin_loss"),
    ("multilabel-scalar", [ML], (np.array(1.0), np.array(1.0)), {}, ValueError,
     r"input must have a class dimension"),
    ("multilabel-no-classes", [ML], (np.zeros((2, 0)), np.zeros((2, 0))), {"reduction": "sum"},
     ValueError,
     r"input has 0 classes"),
    ("unknown-reduction", [BCE, BCEL, SM, ML], (P, Y01), {"reduction": "batchmean"},
     ValueError, r"reduction must be one of \('none', 'mean', 'sum'\)"),
    ("mean-of-nothing", [BCE, BCEL], (np.zeros(0), np.zeros(0)), {}, ValueError,
     r"reduction='mean' is undefined for an empty input"),
    ("kl-probabilities-as-input", [KL, JS], (np.exp(LOGQ), T), {"reduction": "sum"},
     ValueError, r"input holds the model's log-probabilities and must be <= 0, got 0\.2: "
                 r"pass log_softmax"),
    ("kl-log-target-forgotten", [KL, JS], (LOGQ, np.log(T)), {"reduction": "sum"},
     ValueError, r"target holds probabilities \(log_target=False\) and must be in \[0, 1\], "
                 r"got -2\.3.*pass log_target=True"),
    ("kl-log-target-on-probabilities", [KL, JS], (LOGQ, T),
     {"reduction": "sum", "log_target": True}, ValueError,
     r"target holds log-probabilities \(log_target=True\) and must be <= 0, got 0\.1; "
     r"for probabilities pass log_target=False"),
    ("kl-target-above-1", [KL, JS], (LOGQ, 2 * T), {"reduction": "sum"}, ValueError,
     r"must be in \[0, 1\], got 1\.6$"),
    ("kl-log-target-not-a-flag", [KL, JS], (LOGQ, T), {"log_target": 1}, TypeError,
     r"log_target must be True or False"),
    ("kl-unknown-reduction", [KL, JS], (LOGQ, T), {"reduction": "avg"}, ValueError,
     r"reduction must be one of \('none', 'batchmean', 'sum', 'mean'\)"),
    ("kl-shapes-do-not-broadcast", [KL, JS], (LOGQ, T[:, :2]), {"reduction": "sum"},
     ValueError, r"shapes do not broadcast: input \(2, 3\), target \(2, 2\)"),
    ("kl-batchmean-of-nothing", [KL, JS], (np.zeros((0, 3)), np.zeros((0, 3))),
     {"reduction": "batchmean"}, ValueError, r"reduction='batchmean' is undefined"),
]


def _params():
    for case_id, records, args, kwargs, error, pattern in BAD_INPUTS:
        for rec in records:
            for entry, fn in entry_points(rec):
                yield pytest.param(fn, args, kwargs, error, pattern,
                                   id=f"{case_id}-{rec.name}-{entry}")


@pytest.mark.parametrize("fn, args, kwargs, error, pattern", list(_params()))
def test_bad_input_raises_a_clear_error(fn, args, kwargs, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kl_div's 'mean' warning
        with pytest.raises(error, match=pattern):
            fn(*args, **kwargs)


def test_torch_raises_for_the_inputs_it_refuses_too():
    """The same inputs are errors in torch: lossref's message is the clearer one."""
    F = torch.nn.functional
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(torch.zeros(2), torch.zeros(2, 1))


def test_torch_computes_silently_where_lossref_raises():
    """What the raising protects from: torch returns a value, not an error, for each."""
    F = torch.nn.functional
    z, y01 = torch.from_numpy(Z), torch.from_numpy(Y01)
    assert torch.isfinite(F.soft_margin_loss(z, y01))                # 0/1 labels: a 0 is no label
    assert torch.isfinite(F.multilabel_soft_margin_loss(z, 2 * y01 - 1))  # -1 rewards "yes"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value = F.kl_div(torch.from_numpy(LOGQ), torch.from_numpy(np.log(T)),
                         reduction="batchmean")
    assert torch.isnan(value)  # log-probabilities taken as probabilities: log of t < 0


def test_kl_div_mean_warns_like_torch():
    with pytest.warns(UserWarning) as ours:
        KL.numpy(LOGQ, T)
    with pytest.warns(UserWarning) as theirs:
        torch.nn.functional.kl_div(torch.from_numpy(LOGQ), torch.from_numpy(T))
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__  # points at the caller's line
    with pytest.warns(UserWarning, match="'batchmean' \\(the default\\)"):
        JS.numpy(LOGQ, T, reduction="mean")
