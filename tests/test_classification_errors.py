"""Bad input to cross_entropy and nll_loss: the right exception, naming the argument.

Each case runs through ``.numpy``, ``.grad`` and ``.torch`` (on tensors), so the three
entry points reject the same inputs with the same message. torch's own functions are not
the model here: some of their errors are raised deep inside a kernel, and some bad inputs
(a mean over an all-ignored batch) silently return nan.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from lossref.losses import cross_entropy, nll_loss

LOGITS = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])  # N=2, C=3
TARGET = np.array([0, 2])
PROBS = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])


def entry_points(rec) -> list[tuple[str, Any]]:
    def torch_entry(*args, **kwargs):
        def conv(v):
            return torch.from_numpy(v) if isinstance(v, np.ndarray) else v
        return rec.torch(*map(conv, args), **{k: conv(v) for k, v in kwargs.items()})
    return [("numpy", rec.numpy), ("grad", rec.grad), ("torch", torch_entry)]


# (id, losses it applies to, args, kwargs, exception, message pattern)
BAD_INPUTS = [
    ("target-shape-mismatch", "ce nll", (LOGITS, np.array([0, 1, 2])), {},
     ValueError, r"target must have shape \(2,\)"),
    ("target-batch-for-unbatched-input", "ce nll", (LOGITS[0], TARGET), {},
     ValueError, r"target must have shape \(\)"),
    ("input-scalar", "ce nll", (np.array(1.0), np.array(0)), {},
     ValueError, r"input must have a class dimension"),
    ("class-index-too-large", "ce nll", (LOGITS, np.array([0, 3])), {},
     ValueError, r"target contains class index 3, outside \[0, 2\]"),
    ("class-index-negative", "ce nll", (LOGITS, np.array([-1, 0])), {},
     ValueError, r"target contains class index -1"),
    ("class-index-out-of-range-besides-ignore", "ce nll", (LOGITS, np.array([-100, 5])), {},
     ValueError, r"target contains class index 5, outside .*ignore_index=-100"),
    ("float-class-indices", "ce nll", (LOGITS, TARGET.astype(np.float64)), {},
     TypeError, r"class indices must be integers"),
    ("bool-class-indices", "ce nll", (LOGITS, np.array([True, False])), {},
     TypeError, r"target must hold integer class indices"),
    ("integer-input", "ce nll", (np.array([[2, 0, -1], [0, 1, 3]]), TARGET), {},
     TypeError, r"input must be a floating-point array"),
    ("unknown-reduction", "ce nll", (LOGITS, TARGET), dict(reduction="avg"),
     ValueError, r"reduction must be one of .*'avg'"),
    ("reduction-not-a-string", "ce nll", (LOGITS, TARGET), dict(reduction=None),
     ValueError, r"reduction must be one of"),
    ("weight-too-short", "ce nll", (LOGITS, TARGET), dict(weight=np.ones(2)),
     ValueError, r"weight must have shape \(3,\).*got \(2,\)"),
    ("weight-too-long", "ce nll", (LOGITS, TARGET), dict(weight=np.ones(4)),
     ValueError, r"weight must have shape \(3,\)"),
    ("weight-integer", "ce nll", (LOGITS, TARGET), dict(weight=np.array([1, 2, 3])),
     TypeError, r"weight must be a floating-point array"),
    ("ignore-index-not-int", "ce nll", (LOGITS, TARGET), dict(ignore_index=1.5),
     TypeError, r"ignore_index must be an int"),
    # torch computes with such weights (a mean over weights summing to 0 gives nan);
    # before, lossref blamed an empty batch: the message must be about weight
    ("weight-negative", "ce nll", (LOGITS, TARGET), dict(weight=np.array([1.0, -1.0, 1.0])),
     ValueError, r"weight must be finite and non-negative, got -1.0 at index 1"),
    ("weight-nan", "ce nll", (LOGITS, TARGET), dict(weight=np.array([1.0, 1.0, np.nan])),
     ValueError, r"weight must be finite and non-negative, got nan at index 2"),
    ("weight-inf", "ce nll", (LOGITS, TARGET), dict(weight=np.array([np.inf, 1.0, 1.0])),
     ValueError, r"weight must be finite and non-negative, got inf at index 0"),
    ("weight-negative-sum", "ce nll", (LOGITS, TARGET),
     dict(weight=np.array([1.0, -1.0, 1.0]), reduction="sum"),
     ValueError, r"weight must be finite and non-negative"),
    ("mean-over-all-ignored", "ce nll", (LOGITS, np.array([-100, -100])), {},
     ValueError, r"reduction='mean' is undefined"),
    ("mean-over-all-ignored-custom-index", "ce nll", (LOGITS, np.array([1, 1])),
     dict(ignore_index=1), ValueError, r"reduction='mean' is undefined"),
    ("mean-over-zero-total-weight", "ce nll", (LOGITS, TARGET),
     dict(weight=np.array([0.0, 1.0, 0.0])), ValueError, r"reduction='mean' is undefined"),
    ("mean-over-empty-batch", "ce nll", (np.zeros((0, 3)), np.zeros(0, np.int64)), {},
     ValueError, r"reduction='mean' is undefined"),
    ("probabilities-not-summing-to-1", "ce", (LOGITS, PROBS * 0.9), {},
     ValueError, r"probability target rows must sum to 1"),
    ("probabilities-above-1", "ce", (LOGITS, np.array([[1.5, -0.5, 0.0], [0, 0, 1.0]])), {},
     ValueError, r"probability target has entries outside \[0, 1\]"),
    ("probabilities-negative", "ce", (LOGITS, np.array([[0.5, 0.6, -0.1], [0, 0, 1.0]])), {},
     ValueError, r"probability target has entries outside \[0, 1\]"),
    ("probabilities-wrong-shape", "ce", (LOGITS, PROBS[:, :2].copy()), {},
     ValueError, r"target must have shape \(2,\) \(class indices\) or \(2, 3\)"),
    ("probabilities-dtype-differs", "ce", (LOGITS, PROBS.astype(np.float32)), {},
     TypeError, r"target dtype (torch\.)?float32 differs from input dtype (torch\.)?float64"),
    ("label-smoothing-above-1", "ce", (LOGITS, TARGET), dict(label_smoothing=1.5),
     ValueError, r"label_smoothing must be in \[0.0, 1.0\], got 1.5"),
    ("label-smoothing-negative", "ce", (LOGITS, TARGET), dict(label_smoothing=-0.1),
     ValueError, r"label_smoothing must be in \[0.0, 1.0\]"),
    ("label-smoothing-string", "ce", (LOGITS, TARGET), dict(label_smoothing="0.1"),
     TypeError, r"label_smoothing must be a real number"),
    ("label-smoothing-bool", "ce", (LOGITS, TARGET), dict(label_smoothing=True),
     TypeError, r"label_smoothing must be a real number"),
    ("label-smoothing-none", "ce", (LOGITS, TARGET), dict(label_smoothing=None),
     TypeError, r"label_smoothing must be a real number"),
]
RECORDS = {"ce": cross_entropy, "nll": nll_loss}


def bad_input_params():
    for case_id, applies, args, kwargs, exc, match in BAD_INPUTS:
        for short in applies.split():
            rec = RECORDS[short]
            for entry, fn in entry_points(rec):
                yield pytest.param(fn, args, kwargs, exc, match,
                                   id=f"{rec.name}-{entry}-{case_id}")


@pytest.mark.parametrize("fn, args, kwargs, exc, match", list(bad_input_params()))
def test_bad_input_raises_a_clear_error(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


# ------------------------------------------------------------------ what is allowed


def good_input_params():
    allowed = [
        ("ignore-index-inside-range", (LOGITS, np.array([1, 2])), dict(ignore_index=1)),
        ("ignore-index-outside-range", (LOGITS, np.array([7, 2])), dict(ignore_index=7)),
        ("default-ignore-index", (LOGITS, np.array([-100, 2])), {}),
        ("all-ignored-sum", (LOGITS, np.array([-100, -100])), dict(reduction="sum")),
        ("all-ignored-none", (LOGITS, np.array([-100, -100])), dict(reduction="none")),
        ("empty-batch-sum", (np.zeros((0, 3)), np.zeros(0, np.int64)), dict(reduction="sum")),
        ("int32-indices", (LOGITS, TARGET.astype(np.int32)), {}),
        ("unbatched", (LOGITS[0], np.array(2)), {}),
    ]
    for case_id, args, kwargs in allowed:
        for rec in RECORDS.values():
            for entry, fn in entry_points(rec):
                yield pytest.param(rec, fn, args, kwargs, id=f"{rec.name}-{entry}-{case_id}")
    for case_id, args, kwargs in [
        ("probabilities", (LOGITS, PROBS), {}),
        ("label-smoothing-0", (LOGITS, TARGET), dict(label_smoothing=0)),
        ("label-smoothing-1", (LOGITS, TARGET), dict(label_smoothing=1.0)),
        ("label-smoothing-numpy-float", (LOGITS, TARGET), dict(label_smoothing=np.float64(0.2))),
    ]:
        for entry, fn in entry_points(cross_entropy):
            yield pytest.param(cross_entropy, fn, args, kwargs,
                               id=f"cross_entropy-{entry}-{case_id}")


@pytest.mark.parametrize("rec, fn, args, kwargs", list(good_input_params()))
def test_allowed_input_is_accepted_and_matches_torch(rec, fn, args, kwargs):
    out = fn(*args, **kwargs)
    # torch's kernels take int64 class indices only; lossref accepts any integer dtype
    t_args = [torch.from_numpy(a.astype(np.int64) if a.dtype.kind == "i" else a) for a in args]
    t_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
    if isinstance(out, tuple):  # .grad: against autograd
        t_args[0].requires_grad_(True)
        expected = torch.autograd.grad(rec.builtin(*t_args, **t_kwargs).sum(), t_args[0],
                                       allow_unused=True, materialize_grads=True)[0]
        out = out[0]
    else:
        expected = rec.builtin(*t_args, **t_kwargs)
    out = out.detach().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
