"""The hinge family's own specification: what each loss refuses and why, the identities
that tie the six together (and to torch's builtins), and what torch's kernels do that the
page has to say (measured here, so the page cannot drift from torch).

The registry-driven tests (parity, bad inputs, non-finite inputs, optax, properties) cover
the records' cases; this file covers what is particular to the family.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_hinge import REFERENCE

from lossref.losses.hinge import (
    hinge_loss,
    multi_margin_loss,
    multiclass_hinge_loss,
    multilabel_margin_loss,
    perceptron_loss,
    squared_hinge_loss,
)

ENTRIES = ("numpy", "grad", "torch")
BINARY = (hinge_loss, squared_hinge_loss, perceptron_loss)
WITH_MARGIN = (hinge_loss, squared_hinge_loss, multi_margin_loss, multiclass_hinge_loss)


def call(rec, entry, *args, **kwargs):
    """``rec.<entry>`` with NumPy arrays turned into tensors for ``.torch``."""
    if entry == "torch":
        args = [torch.from_numpy(np.asarray(a).copy()) if isinstance(a, np.ndarray) else a
                for a in args]
        kwargs = {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
                  for k, v in kwargs.items()}
    return getattr(rec, entry)(*args, **kwargs)


def binary_args():
    return np.array([0.5, -1.0, 2.0]), np.array([1.0, -1.0, 1.0])


def class_args():
    return np.array([[0.1, 0.9, -0.3], [1.0, 0.2, 0.4]]), np.array([1, 0])


# ------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", BINARY, ids=lambda r: r.name)
@pytest.mark.parametrize("label", [0.0, 0.5, 2.0, -3.0])
def test_binary_labels_other_than_plus_minus_one_are_refused(rec, entry, label):
    x, y = binary_args()
    y[1] = label
    with pytest.raises(ValueError, match=r"target holds labels and must be -1 or 1"):
        call(rec, entry, x, y)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_zero_one_label_gets_the_hint(entry):
    x, y = binary_args()
    y[1] = 0.0
    with pytest.raises(ValueError, match=r"write 2 y - 1"):
        call(hinge_loss, entry, x, y)


@pytest.mark.parametrize("rec", BINARY, ids=lambda r: r.name)
def test_a_nan_label_propagates_like_a_nan_score(rec):
    x, y = binary_args()
    y[1] = np.nan
    out = rec.numpy(x, y, reduction="none")
    assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all()
    assert torch.isnan(rec.torch(torch.from_numpy(x), torch.from_numpy(y), reduction="none"))[1]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", BINARY, ids=lambda r: r.name)
def test_binary_target_of_another_shape_or_dtype_is_refused(rec, entry):
    x, y = binary_args()
    with pytest.raises(ValueError, match="shape"):
        call(rec, entry, x, y[:, None])
    with pytest.raises(TypeError, match=r"target dtype (torch\.)?float32 differs"):
        call(rec, entry, x, y.astype(np.float32))


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", WITH_MARGIN, ids=lambda r: r.name)
def test_a_negative_margin_is_refused_and_zero_is_allowed(rec, entry):
    args = binary_args() if rec.task == "binary" else class_args()
    with pytest.raises(ValueError, match=r"margin must be >= 0, got -0.5"):
        call(rec, entry, *args, margin=-0.5)
    call(rec, entry, *args, margin=0.0)


def test_torch_itself_takes_a_negative_multi_margin():
    """The reason for the refusal above: torch computes it without a word."""
    x, y = class_args()
    out = F.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(y), margin=-0.5)
    assert torch.isfinite(out)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("p", [3, 0, 1.5])
def test_multi_margin_p_is_one_or_two_as_in_torch(entry, p):
    x, y = class_args()
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        call(multi_margin_loss, entry, x, y, p=p)
    with pytest.raises(ValueError):  # torch raises the same kind
        F.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(y), p=p)


def test_multi_margin_takes_p_as_a_float_as_torch_does():
    x, y = class_args()
    np.testing.assert_allclose(
        multi_margin_loss.numpy(x, y, p=2.0),
        F.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(y), p=2.0).numpy(),
        rtol=1e-14)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", [multi_margin_loss, multiclass_hinge_loss], ids=lambda r: r.name)
@pytest.mark.parametrize("index", [3, -1, 7])
def test_class_index_out_of_range_is_refused(rec, entry, index):
    x, y = class_args()
    y[1] = index
    with pytest.raises(ValueError, match=rf"class index {index}, outside \[0, 2\]"):
        call(rec, entry, x, y)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", [multi_margin_loss, multiclass_hinge_loss,
                                 multilabel_margin_loss], ids=lambda r: r.name)
def test_scores_must_be_one_row_or_a_batch_of_rows(rec, entry):
    x = np.zeros((2, 3, 4))
    y = np.zeros((2, 3, 4) if rec is multilabel_margin_loss else (2, 4), np.int64)
    with pytest.raises(ValueError, match=r"input must have shape \(C,\) or \(N, C\)"):
        call(rec, entry, x, y)


@pytest.mark.parametrize("entry", ENTRIES)
def test_crammer_singer_needs_two_classes(entry):
    with pytest.raises(ValueError, match="at least 2 classes"):
        call(multiclass_hinge_loss, entry, np.zeros((3, 1)), np.zeros(3, np.int64))


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec", [multi_margin_loss, multiclass_hinge_loss,
                                 multilabel_margin_loss], ids=lambda r: r.name)
def test_mean_over_no_row_is_refused(rec, entry):
    """torch returns uninitialised memory here (measured: 4.7e-310 for multi_margin_loss
    and 6.9e-310 for multilabel_margin_loss on (0, 3) scores)."""
    target = np.zeros((0, 3) if rec is multilabel_margin_loss else (0,), np.int64)
    with pytest.raises(ValueError, match="empty input"):
        call(rec, entry, np.zeros((0, 3)), target)
    out = call(rec, "numpy", np.zeros((0, 3)), target, reduction="sum")
    assert out == 0


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("bad", [-2, 4, 9])
def test_multilabel_indices_outside_minus_one_to_c_are_refused_even_after_the_end(entry, bad):
    x = np.zeros((1, 4))
    t = np.array([[2, -1, 0, bad]])  # after the -1: torch checks it too
    with pytest.raises(ValueError, match=rf"target contains {bad}, outside \[-1, 3\]"):
        call(multilabel_margin_loss, entry, x, t)
    with pytest.raises(RuntimeError, match="out of range"):
        F.multilabel_margin_loss(torch.from_numpy(x), torch.from_numpy(t))


@pytest.mark.parametrize("entry", ENTRIES)
def test_multilabel_class_listed_twice_is_refused(entry):
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    t = np.array([[3, 3, -1, 1]])
    with pytest.raises(ValueError, match="target row 0 lists class 3 twice"):
        call(multilabel_margin_loss, entry, x, t)


def test_torch_counts_a_class_listed_twice_twice():
    """Why lossref refuses a repeated class: torch adds its terms once per listing (0.65
    here, where the class listed once gives 0.325)."""
    x = torch.tensor([[0.1, 0.2, 0.4, 0.8]], dtype=torch.float64)
    twice = F.multilabel_margin_loss(x, torch.tensor([[3, 3, -1, 1]]))
    once = F.multilabel_margin_loss(x, torch.tensor([[3, -1, 0, 1]]))
    assert float(twice) == pytest.approx(2 * float(once)) == pytest.approx(0.65)


@pytest.mark.parametrize("entry", ENTRIES)
def test_multilabel_target_must_be_integer_of_the_inputs_shape(entry):
    x = np.zeros((2, 3))
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        call(multilabel_margin_loss, entry, x, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"target must have the shape of input \(2, 3\)"):
        call(multilabel_margin_loss, entry, x, np.zeros((2, 2), np.int64))


def test_multilabel_row_without_minus_one_lists_every_entry_and_an_empty_set_costs_nothing():
    x = np.array([[0.1, 0.2, 0.4, 0.8], [0.1, 0.2, 0.4, 0.8]])
    t = np.array([[3, 0, 1, 2], [-1, 0, 1, 2]])
    assert np.array_equal(multilabel_margin_loss.numpy(x, t, reduction="none"), [0.0, 0.0])
    torch_out = F.multilabel_margin_loss(torch.from_numpy(x), torch.from_numpy(t),
                                         reduction="none")
    assert torch.equal(torch_out, torch.zeros(2, dtype=torch.float64))


# ------------------------------------------------------------------ what torch's kernels do


def test_multi_margin_weight_multiplies_the_power():
    """torch's documentation writes ``w[y]`` inside the max, before the power; its kernel
    multiplies ``max(0, z)^p``: with p = 2 the two readings differ by a factor w[y]."""
    x = np.array([[0.3, 1.2, -0.5, 0.9]])
    y = np.array([1])
    w = np.array([0.5, 2.0, 3.0, 0.7])
    z = np.maximum(0, 1 - x[0, 1] + np.delete(x[0], 1))
    kernel = w[1] * np.sum(z ** 2) / 4
    torch_out = float(F.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(y), p=2,
                                          weight=torch.from_numpy(w)))
    assert torch_out == pytest.approx(kernel, rel=1e-14)
    assert torch_out != pytest.approx(np.sum((w[1] * z) ** 2) / 4)
    assert float(multi_margin_loss.numpy(x, y, p=2, weight=w)) == pytest.approx(kernel,
                                                                                rel=1e-14)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_gradient_is_zero_at_exactly_zero_violation(p):
    x = np.array([[0.0, 1.0, 0.0]])  # target 1, margin 1: every z is exactly 0
    xt = torch.from_numpy(x).requires_grad_(True)
    (g,) = torch.autograd.grad(F.multi_margin_loss(xt, torch.tensor([1]), p=p), xt)
    assert torch.equal(g, torch.zeros_like(g))
    (ours,) = multi_margin_loss.grad(x, np.array([1]), p=p)
    assert np.array_equal(ours, np.zeros_like(x))


@pytest.mark.parametrize("rec", [multi_margin_loss, multilabel_margin_loss],
                         ids=lambda r: r.name)
def test_torch_kernels_drop_a_nan_score_and_lossref_follows(rec):
    """torch tests ``z > 0``, which is false for NaN: a NaN score adds nothing."""
    x = np.array([[np.nan, 0.2, 0.4]])
    t = np.array([1]) if rec is multi_margin_loss else np.array([[1, -1, 0]])
    expected = rec.builtin(torch.from_numpy(x), torch.from_numpy(t), reduction="none")
    assert torch.isfinite(expected).all()
    np.testing.assert_allclose(rec.numpy(x, t, reduction="none"), expected.numpy(), rtol=1e-14)


def test_hinge_kink_passes_the_gradient_like_margin_ranking_loss():
    """lossref's convention at ``y x = margin`` for the hinge it adds: torch's
    ``margin_ranking_loss(x, 0, y)`` is the same hinge, and its ``clamp_min`` passes the
    gradient at the kink; so does the perceptron at ``x = 0`` (Rosenblatt's rule)."""
    x = np.array([1.0, -1.0, 0.0, 2.0])
    y = np.array([1.0, -1.0, 1.0, 1.0])
    xt = torch.from_numpy(x).requires_grad_(True)
    out = F.margin_ranking_loss(xt, torch.zeros(4, dtype=torch.float64), torch.from_numpy(y),
                                margin=1.0, reduction="sum")
    (expected,) = torch.autograd.grad(out, xt)
    (ours,) = hinge_loss.grad(x, y, reduction="sum")
    np.testing.assert_array_equal(ours, expected.numpy())
    np.testing.assert_array_equal(ours, [-1.0, 1.0, -1.0, 0.0])
    (perceptron,) = perceptron_loss.grad(np.zeros(2), np.array([1.0, -1.0]), reduction="sum")
    np.testing.assert_array_equal(perceptron, [-1.0, 1.0])


def test_crammer_singer_splits_the_gradient_among_tied_classes_like_amax():
    x = np.array([[3.0, 3.0, 0.5, 3.0]])
    (g,) = multiclass_hinge_loss.grad(x, np.array([2]), reduction="sum")
    np.testing.assert_allclose(g, [[1 / 3, 1 / 3, -1.0, 1 / 3]], rtol=1e-15)
    xt = torch.from_numpy(x).requires_grad_(True)
    (gt,) = torch.autograd.grad(multiclass_hinge_loss.torch(xt, torch.tensor([2]),
                                                            reduction="sum"), xt)
    np.testing.assert_allclose(gt.numpy(), g, rtol=1e-15)


# ------------------------------------------------------------------ identities

finite = st.floats(-20, 20, allow_nan=False)
margins = st.sampled_from([0.0, 0.25, 1.0, 3.0])


@st.composite
def binary_batch(draw):
    n = draw(st.integers(1, 12))
    x = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    return x, y


@st.composite
def class_batch(draw, min_classes=2, max_classes=7):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(min_classes, max_classes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    x = scale * rng.standard_normal((n, c))
    if draw(st.booleans()):  # integer scores: ties and exact kinks
        x = np.round(x)
    return x, rng.integers(0, c, n)


@settings(max_examples=80, deadline=None)
@given(binary_batch(), margins)
def test_squared_hinge_is_the_square_of_the_hinge(batch, margin):
    x, y = batch
    h = hinge_loss.numpy(x, y, margin=margin, reduction="none")
    np.testing.assert_allclose(squared_hinge_loss.numpy(x, y, margin=margin, reduction="none"),
                               h * h, rtol=1e-15)
    # and its gradient is 2 h times the hinge's (0 at the kink either way)
    (gh,) = hinge_loss.grad(x, y, margin=margin, reduction="none")
    (gs,) = squared_hinge_loss.grad(x, y, margin=margin, reduction="none")
    np.testing.assert_allclose(gs, 2 * h * gh, rtol=1e-15)


@settings(max_examples=60, deadline=None)
@given(binary_batch(), st.sampled_from(["none", "mean", "sum"]))
def test_perceptron_is_the_hinge_at_margin_zero(batch, reduction):
    x, y = batch
    assert np.array_equal(perceptron_loss.numpy(x, y, reduction=reduction),
                          hinge_loss.numpy(x, y, margin=0.0, reduction=reduction))
    assert np.array_equal(perceptron_loss.grad(x, y, reduction=reduction)[0],
                          hinge_loss.grad(x, y, margin=0.0, reduction=reduction)[0])


@settings(max_examples=60, deadline=None)
@given(binary_batch(), margins)
def test_hinge_is_torchs_margin_ranking_loss_against_zero(batch, margin):
    x, y = batch
    xt = torch.from_numpy(x).requires_grad_(True)
    out = F.margin_ranking_loss(xt, torch.zeros_like(xt), torch.from_numpy(y), margin=margin,
                                reduction="sum")
    (g,) = torch.autograd.grad(out, xt)
    assert float(hinge_loss.numpy(x, y, margin=margin, reduction="sum")) == \
        pytest.approx(float(out.detach()), rel=1e-13, abs=1e-13)
    np.testing.assert_array_equal(hinge_loss.grad(x, y, margin=margin, reduction="sum")[0],
                                  g.numpy())


@settings(max_examples=60, deadline=None)
@given(binary_batch(), st.sampled_from([0.25, 1.0, 3.0]))
def test_a_margin_is_a_change_of_scale(batch, margin):
    """``max(0, m - y x) = m max(0, 1 - y x / m)``: what the optax adapter relies on."""
    x, y = batch
    np.testing.assert_allclose(hinge_loss.numpy(x, y, margin=margin, reduction="none"),
                               margin * hinge_loss.numpy(x / margin, y, reduction="none"),
                               rtol=1e-13, atol=1e-13 * margin)


@settings(max_examples=80, deadline=None)
@given(class_batch(2, 2), margins)
def test_two_class_crammer_singer_is_the_hinge_of_the_score_difference(batch, margin):
    x, y = batch
    rows = np.arange(len(y))
    d = x[rows, y] - x[rows, 1 - y]
    ones = np.ones_like(d)
    cs = multiclass_hinge_loss.numpy(x, y, margin=margin, reduction="none")
    np.testing.assert_allclose(cs, hinge_loss.numpy(d, ones, margin=margin, reduction="none"),
                               rtol=1e-14, atol=1e-14)
    # the gradient too (the kink d = margin passes it in both): dL/dx_y = g, dL/dx_other = -g
    (g_cs,) = multiclass_hinge_loss.grad(x, y, margin=margin, reduction="none")
    (g_h,) = hinge_loss.grad(d, ones, margin=margin, reduction="none")
    np.testing.assert_array_equal(g_cs[rows, y], g_h)
    np.testing.assert_array_equal(g_cs[rows, 1 - y], -g_h)
    # torch's multi_margin_loss with p = 1 sums the one term and divides by C = 2
    np.testing.assert_allclose(multi_margin_loss.numpy(x, y, margin=margin, reduction="none"),
                               cs / 2, rtol=1e-14, atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(class_batch(), margins)
def test_crammer_singer_is_the_largest_of_the_weston_watkins_terms(batch, margin):
    """One-vs-rest sums the C - 1 hinges, Crammer–Singer keeps the largest: so
    ``cs <= C * multi_margin <= (C - 1) * cs``."""
    x, y = batch
    C = x.shape[1]
    cs = multiclass_hinge_loss.numpy(x, y, margin=margin, reduction="none")
    ww = C * multi_margin_loss.numpy(x, y, margin=margin, reduction="none")
    assert np.all(cs <= ww * (1 + 1e-12) + 1e-12)
    assert np.all(ww <= (C - 1) * cs * (1 + 1e-12) + 1e-12)


@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
def test_squared_hinge_on_the_margin_scale_is_four_m_squared_times_brier(margin):
    """The properness note: with ``c = m (2p - 1)`` the squared hinge is ``4 m^2 (1 - p)^2``
    for y = 1 and ``4 m^2 p^2`` for y = -1."""
    p = np.linspace(0, 1, 101)
    c = margin * (2 * p - 1)
    yes = squared_hinge_loss.numpy(c, np.ones_like(c), margin=margin, reduction="none")
    no = squared_hinge_loss.numpy(c, -np.ones_like(c), margin=margin, reduction="none")
    np.testing.assert_allclose(yes, 4 * margin**2 * (1 - p) ** 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(no, 4 * margin**2 * p**2, rtol=1e-12, atol=1e-15)


def test_hinge_expected_loss_is_minimised_at_the_margin_times_the_mode():
    """The minimiser note: ``q max(0, m - c) + (1 - q) max(0, m + c)`` is smallest at
    ``c = m sign(2q - 1)``, and the truth ``m (2q - 1)`` scores worse (improper)."""
    m = 1.5
    c = np.linspace(-4, 4, 8001)
    for q in (0.1, 0.3, 0.7, 0.95):
        expected = (q * hinge_loss.numpy(c, np.ones_like(c), margin=m, reduction="none")
                    + (1 - q) * hinge_loss.numpy(c, -np.ones_like(c), margin=m,
                                                 reduction="none"))
        assert c[np.argmin(expected)] == pytest.approx(m * np.sign(2 * q - 1))
        truth = np.argmin(np.abs(c - m * (2 * q - 1)))
        assert expected[truth] > expected.min() + 1e-3


def test_multi_margin_gradient_norm_approaches_one_only_as_c_grows():
    """The grad_bound note: every term active gives norm sqrt((C - 1)/C)."""
    for C in (2, 5, 50, 500):
        x = np.zeros((1, C))
        x[0, 0] = -5.0
        (g,) = multi_margin_loss.grad(x, np.array([0]), reduction="sum")
        assert np.linalg.norm(g) == pytest.approx(np.sqrt((C - 1) / C), rel=1e-12)


# ------------------------------------------------------------------ against the oracles


@settings(max_examples=60, deadline=None)
@given(binary_batch(), margins, st.sampled_from(["none", "mean", "sum"]),
       st.sampled_from([np.float32, np.float64]))
def test_binary_losses_match_their_plain_loops(batch, margin, reduction, dtype):
    x, y = (a.astype(dtype) for a in batch)
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for rec, kwargs in ((hinge_loss, {"margin": margin}),
                        (squared_hinge_loss, {"margin": margin}), (perceptron_loss, {})):
        expected = REFERENCE[rec.name](x, y, reduction=reduction, **kwargs)
        scale = 1 + float(np.abs(x).max()) ** (2 if rec is squared_hinge_loss else 1)
        for out in (rec.numpy(x, y, reduction=reduction, **kwargs),
                    rec.torch(torch.from_numpy(x), torch.from_numpy(y), reduction=reduction,
                              **kwargs).numpy()):
            assert np.asarray(out).dtype == dtype
            np.testing.assert_allclose(out, expected, rtol=rtol,
                                       atol=64 * np.finfo(dtype).eps * scale)


@settings(max_examples=60, deadline=None)
@given(class_batch(2, 9), margins, st.sampled_from(["none", "mean", "sum"]))
def test_crammer_singer_matches_its_plain_loop(batch, margin, reduction):
    x, y = batch
    expected = REFERENCE["multiclass_hinge_loss"](x, y, margin=margin, reduction=reduction)
    np.testing.assert_allclose(multiclass_hinge_loss.numpy(x, y, margin=margin,
                                                           reduction=reduction),
                               expected, rtol=1e-12, atol=1e-13)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = multiclass_hinge_loss.torch(xt, torch.from_numpy(y), margin=margin,
                                      reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-13)
    (g,) = torch.autograd.grad(out.sum(), xt)
    np.testing.assert_allclose(multiclass_hinge_loss.grad(x, y, margin=margin,
                                                          reduction=reduction)[0],
                               g.numpy(), rtol=1e-15, atol=0)


@settings(max_examples=60, deadline=None)
@given(class_batch(1, 9), st.sampled_from([1, 2]), margins, st.booleans(),
       st.sampled_from(["none", "mean", "sum"]))
def test_multi_margin_matches_torch_at_random_sizes(batch, p, margin, weighted, reduction):
    x, y = batch
    kwargs = dict(p=p, margin=margin, reduction=reduction)
    if weighted:
        kwargs["weight"] = np.random.default_rng(x.shape[1]).uniform(0.1, 3.0, x.shape[1])
    xt = torch.from_numpy(x).requires_grad_(True)
    tkw = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
           for k, v in kwargs.items()}
    expected = F.multi_margin_loss(xt, torch.from_numpy(y), **tkw)
    (g,) = torch.autograd.grad(expected.sum(), xt)
    np.testing.assert_allclose(multi_margin_loss.numpy(x, y, **kwargs),
                               expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(multi_margin_loss.torch(torch.from_numpy(x),
                                                       torch.from_numpy(y), **tkw).numpy(),
                               expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(multi_margin_loss.grad(x, y, **kwargs)[0], g.numpy(),
                               rtol=1e-12, atol=1e-14)


@st.composite
def label_lists(draw):
    n = draw(st.integers(1, 5))
    c = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c))
    if draw(st.booleans()):
        x = np.round(2 * x) / 2  # differences of exactly 1: the kink
    t = rng.integers(-1, c, (n, c))
    for r in range(n):
        k = int(rng.integers(0, c + 1))
        t[r, :k] = rng.permutation(c)[:k]
        if k < c:
            t[r, k] = -1
    return x, t


@settings(max_examples=80, deadline=None)
@given(label_lists(), st.sampled_from(["none", "mean", "sum"]))
def test_multilabel_margin_matches_torch_at_random_sizes(batch, reduction):
    x, t = batch
    xt = torch.from_numpy(x).requires_grad_(True)
    expected = F.multilabel_margin_loss(xt, torch.from_numpy(t), reduction=reduction)
    (g,) = torch.autograd.grad(expected.sum(), xt)
    np.testing.assert_allclose(multilabel_margin_loss.numpy(x, t, reduction=reduction),
                               expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(multilabel_margin_loss.torch(torch.from_numpy(x),
                                                            torch.from_numpy(t),
                                                            reduction=reduction).numpy(),
                               expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(multilabel_margin_loss.grad(x, t, reduction=reduction)[0],
                               g.numpy(), rtol=1e-12, atol=1e-14)
