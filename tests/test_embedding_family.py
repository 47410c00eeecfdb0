"""The ranking and embedding losses (``lossref/losses/embedding.py``), as a specification.

The registry-driven tests (parity, bad inputs, non-finite inputs, properties) cover every
record on its own cases; here are the family's own rules: labels other than +-1 that torch
accepts silently, margins that mean nothing, embedding dimensions that do not match,
distance functions that return the wrong thing; the identities between the losses; and
random sizes and options against torch (or the plain-loop oracle) under hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_embedding import REFERENCE

from lossref.losses import embedding as E
from lossref.registry import LOSSES

ENTRIES = ("numpy", "grad", "torch")
RTOL = {np.float32: 2e-5, np.float64: 1e-12}


def call(rec, entry, *args, **kwargs):
    """``rec.<entry>`` with NumPy arrays turned into tensors for ``.torch``."""
    if entry == "torch":
        args = [torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray) else a for a in args]
    return getattr(rec, entry)(*args, **kwargs)


def close(actual, expected, dtype=np.float64, atol=0.0):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else np.asarray(actual)
    expected = (expected.detach().numpy() if isinstance(expected, torch.Tensor)
                else np.asarray(expected))
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=atol)


RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
LABELS = np.array([1.0, -1.0, 1.0, -1.0])


# ------------------------------------------------------------------ labels torch accepts


def label_params():
    scores = RNG.standard_normal(4)
    yield "margin_ranking_loss", (scores, scores[::-1].copy()), {}
    yield "hinge_embedding_loss", (np.abs(scores),), {}
    yield "cosine_embedding_loss", (X, Y), {}
    yield "contrastive_loss", (X, Y), {}


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("name, args, kwargs", list(label_params()))
@pytest.mark.parametrize("bad", [0.0, 0.3, 2.0, -0.5])
def test_labels_other_than_plus_minus_one_are_refused(name, args, kwargs, entry, bad):
    target = LABELS.copy()
    target[2] = bad
    with pytest.raises(ValueError, match=r"target holds labels and must be -1 or 1, got "
                                         rf"{bad}; torch does not check this"):
        call(LOSSES[name], entry, *args, target, **kwargs)


@pytest.mark.parametrize("entry", ENTRIES)
def test_random_normal_targets_for_hinge_embedding_are_refused_and_explained(entry):
    """The widely copied example: ``HingeEmbeddingLoss()(torch.randn(3, 5),
    torch.randn(3, 5))``. torch adds both branches for every such label."""
    x, y = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    expected = torch.where(y != 1, (1 - x).clamp_min(0), 0) + torch.where(y != -1, x, 0)
    close(F.hinge_embedding_loss(x, y, reduction="none"), expected)  # what torch computes
    with pytest.raises(ValueError, match="adds both branches") as error:
        call(LOSSES["hinge_embedding_loss"], entry, x.numpy(), y.numpy())
    assert "randn" in str(error.value)


# ------------------------------------------------------------------ margins


MARGINS = [
    ("margin_ranking_loss", (X[:, 0], Y[:, 0], LABELS), -0.1, "margin must be in"),
    ("hinge_embedding_loss", (np.abs(X[:, 0]), LABELS), -1.0, "margin must be in"),
    ("contrastive_loss", (X, Y, LABELS), -0.5, "margin must be in"),
    ("cosine_embedding_loss", (X, Y, LABELS), 1.5, r"margin must be in \[-1, 1\]"),
    ("cosine_embedding_loss", (X, Y, LABELS), -1.01, "never 0 when margin < -1"),
    ("triplet_margin_loss", (X, Y, X[::-1].copy()), 0.0, "margin must be greater than 0"),
    ("triplet_margin_loss", (X, Y, X[::-1].copy()), -1.0, "torch raises too"),
    ("triplet_margin_with_distance_loss", (X, Y, X[::-1].copy()), 0.0,
     "margin must be greater than 0"),
]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("name, args, margin, message", MARGINS,
                         ids=[f"{m[0]}-{m[2]}" for m in MARGINS])
def test_meaningless_margins_are_refused(name, args, margin, message, entry):
    with pytest.raises(ValueError, match=message):
        call(LOSSES[name], entry, *args, margin=margin)


def test_the_margin_ranges_that_are_accepted():
    assert E.cosine_embedding_loss_numpy(X, Y, LABELS, margin=-1.0) >= 0
    assert E.cosine_embedding_loss_numpy(X, Y, LABELS, margin=1.0) >= 0
    assert E.contrastive_loss_numpy(X, Y, LABELS, margin=0.0) >= 0
    assert E.margin_ranking_loss_numpy(X[:, 0], Y[:, 0], LABELS, margin=0.0) >= 0


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("p, message", [(0.0, "counts non-zero entries"), (-1.0, "p must be"),
                                        (math.nan, "p must be a number")])
def test_triplet_norm_order_must_be_positive(entry, p, message):
    with pytest.raises(ValueError, match=message):
        call(E.triplet_margin_loss, entry, X, Y, X[::-1].copy(), p=p)


@pytest.mark.parametrize("entry", ENTRIES)
def test_triplet_eps_must_not_be_negative(entry):
    with pytest.raises(ValueError, match="eps must be in"):
        call(E.triplet_margin_loss, entry, X, Y, X[::-1].copy(), eps=-1e-6)


# ------------------------------------------------------------------ shapes


SHAPES = [
    ("cosine_embedding_loss", (X, Y[:, :2], LABELS), "embedding dimension mismatch"),
    ("cosine_embedding_loss", (X, Y[:, :1], LABELS), "torch broadcasts a size-1 embedding"),
    ("contrastive_loss", (X, Y[:, :2], LABELS), "embedding dimension mismatch"),
    ("triplet_margin_loss", (X, Y, X[:, :2].copy()), "embedding dimension mismatch"),
    ("triplet_margin_with_distance_loss", (X, Y[:, :1], X), "embedding dimension mismatch"),
    ("triplet_margin_loss", (X, Y[0], X), "same number of dimensions"),
    ("margin_ranking_loss", (X, Y[0], LABELS), "same number of dimensions"),
    ("cosine_embedding_loss", (X, Y, np.asarray(1.0)), r"target must have shape \(4,\)"),
    ("cosine_embedding_loss", (X[0], Y[0], LABELS), r"target must have shape \(\)"),
    ("contrastive_loss", (X[None], Y[None], LABELS), "one embedding"),
    ("cosine_embedding_loss", (X, Y, LABELS[:3]), "does not broadcast to the 4 pairs"),
    ("hinge_embedding_loss", (X[:, :1], LABELS), "torch broadcasts both, silently"),
    ("triplet_margin_loss", (X[0, 0], Y[0, 0], X[1, 0]), "got a scalar"),
    ("contrastive_loss", (X[:, :0], Y[:, :0], LABELS), "embedding dimension 0"),
]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("name, args, message", SHAPES,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(SHAPES)])
def test_shapes_that_do_not_pair_up_are_refused(name, args, message, entry):
    args = tuple(np.asarray(a) for a in args)
    with pytest.raises(ValueError, match=message):
        call(LOSSES[name], entry, *args)


BROADCASTS = [
    ("cosine_embedding_loss", (X, Y[:1], LABELS), {}),
    ("triplet_margin_loss", (X, Y[:1], X[::-1].copy()), {"swap": True}),
    ("triplet_margin_with_distance_loss", (X[:1], Y, X[::-1].copy()),
     {"distance_function": E.l1_distance}),
    ("margin_ranking_loss", (X[:, :1], Y[:1, :], np.sign(RNG.standard_normal((4, 3)))),
     {"margin": 0.5}),
    ("hinge_embedding_loss", (np.abs(X), np.array([1.0, -1.0, -1.0])), {}),
]


@pytest.mark.parametrize("name, args, kwargs", BROADCASTS, ids=[b[0] for b in BROADCASTS])
def test_shapes_torch_accepts_and_lossref_too(name, args, kwargs):
    """A batch dimension of size 1 broadcasts (one anchor against many; every pair of
    (N, 1) and (1, M) scores), as in torch; the gradient is summed back onto it."""
    rec = LOSSES[name]
    _check_against(rec, rec.builtin, args, {**kwargs, "reduction": "sum"}, np.float64)


def test_contrastive_broadcasts_one_embedding_against_many():
    loss = E.contrastive_loss_numpy(X, Y[:1], LABELS, margin=2.0, reduction="none")
    close(loss, E.contrastive_loss_numpy(X, np.repeat(Y[:1], 4, 0), LABELS, margin=2.0,
                                         reduction="none"))
    g1, g2 = E.contrastive_loss_grad(X, Y[:1], LABELS, margin=2.0)
    h1, h2 = E.contrastive_loss_grad(X, np.repeat(Y[:1], 4, 0), LABELS, margin=2.0)
    close(g1, h1), close(g2, h2.sum(0, keepdims=True))


# ------------------------------------------------------------------ distance functions


def numpy_euclidean(x, y):
    return np.linalg.norm(x - y, axis=-1)


def torch_euclidean(x, y):
    return torch.linalg.vector_norm(x - y, dim=-1)


def test_a_numpy_distance_in_numpy_equals_its_torch_twin_in_the_builtin():
    a, p, n = (RNG.standard_normal((5, 3)) for _ in range(3))
    for swap in (False, True):
        expected = F.triplet_margin_with_distance_loss(
            *map(torch.from_numpy, (a, p, n)), distance_function=torch_euclidean, swap=swap)
        close(E.triplet_margin_with_distance_loss_numpy(
            a, p, n, distance_function=numpy_euclidean, swap=swap), expected)
        close(E.triplet_margin_with_distance_loss_torch(
            *map(torch.from_numpy, (a, p, n)), distance_function=torch_euclidean, swap=swap),
            expected)


def test_a_torch_only_distance_in_numpy_says_which_entry_to_use():
    with pytest.raises(TypeError, match="distance_function failed on NumPy arrays.*a torch one"):
        E.triplet_margin_with_distance_loss_numpy(
            X, Y, X, distance_function=lambda x, y: F.pairwise_distance(x, y))


def test_a_numpy_only_distance_in_torch_is_refused():
    t = [torch.from_numpy(a.copy()) for a in (X, Y, X[::-1])]
    with pytest.raises(TypeError, match="distance_function must return a tensor"):
        E.triplet_margin_with_distance_loss_torch(*t, distance_function=numpy_euclidean)
    t[0].requires_grad_(True)
    with pytest.raises(TypeError, match="distance_function"):
        E.triplet_margin_with_distance_loss_torch(*t, distance_function=numpy_euclidean)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("fn, error, message", [
    (lambda x, y: abs(x - y), ValueError, r"one distance per pair, of shape \(4,\)"),
    (lambda x, y: (x - y).sum(-1), ValueError, "a negative distance"),
    ("euclidean", TypeError, "distance_function must be a callable or None"),
])
def test_a_distance_function_that_returns_no_distance_is_refused(entry, fn, error, message):
    if entry == "grad" and callable(fn):  # .grad refuses an unnamed callable first
        message = ".grad knows the gradient of None"
    with pytest.raises(error, match=message):
        call(E.triplet_margin_with_distance_loss, entry, X, Y, X[::-1].copy(),
             distance_function=fn)


def test_grad_knows_the_named_distances_only():
    with pytest.raises(ValueError, match="numpy_euclidean.*differentiate another function "
                                         "with .torch and autograd"):
        E.triplet_margin_with_distance_loss_grad(X, Y, X, distance_function=numpy_euclidean)


# ------------------------------------------------------------------ identities


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contrastive_with_margin_0_is_half_the_squared_distance_on_similar_pairs(dtype):
    x1, x2 = X.astype(dtype), Y.astype(dtype)
    loss = E.contrastive_loss_numpy(x1, x2, LABELS.astype(dtype), margin=0.0, reduction="none")
    half_squared = 0.5 * ((X - Y) ** 2).sum(-1)
    close(loss[LABELS == 1], half_squared[LABELS == 1], dtype)
    assert np.all(loss[LABELS == -1] == 0)
    g1, g2 = E.contrastive_loss_grad(x1, x2, LABELS.astype(dtype), margin=0.0,
                                     reduction="sum")
    close(g1, np.where(LABELS[:, None] == 1, X - Y, 0), dtype, atol=1e-6)
    close(g2, -g1, dtype)


def test_contrastive_at_zero_distance_of_a_dissimilar_pair_has_gradient_0():
    """The direction is undefined at d = 0; lossref's convention (torch's norm backward)."""
    x = np.array([[0.5, -1.0]])
    assert E.contrastive_loss_numpy(x, x, np.array([-1.0]), margin=2.0) == 2.0
    for g in E.contrastive_loss_grad(x, x, np.array([-1.0]), margin=2.0):
        assert np.all(g == 0)
    t = torch.from_numpy(x.copy()).requires_grad_(True)
    E.contrastive_loss_torch(t, torch.from_numpy(x.copy()), torch.tensor([-1.0],
                             dtype=torch.float64), margin=2.0).backward()
    assert torch.all(t.grad == 0)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_with_distance_default_is_triplet_margin_loss_p2_eps_1e_6(swap, reduction):
    a, p, n = (RNG.standard_normal((6, 4)) for _ in range(3))
    kwargs = dict(margin=1.5, swap=swap, reduction=reduction)
    close(E.triplet_margin_with_distance_loss_numpy(a, p, n, **kwargs),
          E.triplet_margin_loss_numpy(a, p, n, p=2.0, eps=1e-6, **kwargs))
    for g, h in zip(E.triplet_margin_with_distance_loss_grad(a, p, n, **kwargs),
                    E.triplet_margin_loss_grad(a, p, n, p=2.0, eps=1e-6, **kwargs), strict=True):
        close(g, h)


def test_margin_ranking_with_y_1_is_the_hinge_on_the_difference():
    x1, x2 = RNG.standard_normal(8), RNG.standard_normal(8)
    ones = np.ones(8)
    for margin in (0.0, 1.0):
        loss = E.margin_ranking_loss_numpy(x1, x2, ones, margin=margin, reduction="none")
        close(loss, np.maximum(0, margin - (x1 - x2)))
        if "hinge_loss" in LOSSES:  # lossref's binary hinge, max(0, margin - y x)
            close(loss, LOSSES["hinge_loss"].numpy(x1 - x2, ones, margin=margin,
                                                   reduction="none"))


def test_kink_conventions_are_torchs():
    """At the hinge's kink the gradient passes (clamp_min); the inf-norm and the swap
    minimum share the gradient equally among ties; sign(0) = 0 for p = 1."""
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
    ga, gp, gn = E.triplet_margin_loss_grad(a, p, n, eps=0.0)  # margin + 1 - 2 = 0
    close(ga, [[-1.0, 1.0]]), close(gp, [[1.0, 0.0]]), close(gn, [[0.0, -1.0]])
    ga, _, _ = E.triplet_margin_loss_grad(np.array([[1.0, 2.0, 0.0]]),
                                          np.array([[2.0, 3.0, 0.5]]),
                                          np.array([[1.0, 2.5, 0.0]]), p=math.inf, eps=0.0)
    close(ga, [[-0.5, 0.5, 0.0]])  # the tie |-1| = |-1| shares the anchor-positive part
    _, _, gn = E.triplet_margin_loss_grad(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]),
                                          np.array([[0.5, 1.0]]), eps=0.0, swap=True)
    close(gn, [[0.0, -2 / math.sqrt(5)]])  # d(a, n) = d(p, n): half each


# ------------------------------------------------------------------ hypothesis


def _tensors(*arrays, grad=False):
    return [torch.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]


def _check_against(rec, builtin, args, kwargs, dtype):
    """value of .numpy and .torch against ``builtin``; .grad against its autograd."""
    t = _tensors(*args, grad=False)
    for i in rec.wrt:
        t[i].requires_grad_(True)
    expected = builtin(*t, **kwargs)
    grads = torch.autograd.grad(expected.sum(), [t[i] for i in rec.wrt])
    scale = max(1.0, float(np.max(np.abs(expected.detach().numpy()), initial=0.0)))
    close(rec.numpy(*args, **kwargs), expected, dtype, atol=RTOL[dtype] * scale)
    close(rec.torch(*_tensors(*args), **kwargs), expected, dtype, atol=RTOL[dtype] * scale)
    for g, e in zip(rec.grad(*args, **kwargs), grads, strict=True):
        close(g, e, dtype, atol=RTOL[dtype] * max(1.0, float(e.abs().max())))


dtypes = st.sampled_from([np.float32, np.float64])
reductions = st.sampled_from(["none", "mean", "sum"])
seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), dtypes, reductions, seeds,
       st.sampled_from([0.0, 0.3, 2.0]))
def test_margin_ranking_and_hinge_embedding_random(n, m, dtype, reduction, seed, margin):
    rng = np.random.default_rng(seed)
    x1, x2 = (rng.standard_normal((n, m)).astype(dtype) for _ in range(2))
    y = rng.choice([-1.0, 1.0], (n, m)).astype(dtype)
    kwargs = dict(margin=margin, reduction=reduction)
    _check_against(E.margin_ranking_loss, F.margin_ranking_loss, (x1, x2, y), kwargs, dtype)
    _check_against(E.hinge_embedding_loss, F.hinge_embedding_loss, (np.abs(x1), y), kwargs,
                   dtype)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6), st.integers(1, 6), dtypes, reductions, seeds,
       st.sampled_from([-1.0, -0.2, 0.0, 0.5, 1.0]))
def test_cosine_embedding_random(n, d, dtype, reduction, seed, margin):
    rng = np.random.default_rng(seed)
    shape = (d,) if n == 0 else (n, d)  # n = 0: one unbatched pair
    x1, x2 = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    y = rng.choice([-1.0, 1.0], shape[:-1]).astype(dtype)
    _check_against(E.cosine_embedding_loss, F.cosine_embedding_loss, (x1, x2, y),
                   dict(margin=margin, reduction=reduction), dtype)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 6), st.integers(1, 6), dtypes, reductions, seeds,
       st.sampled_from([2.0, 1.0, 3.0, math.inf, 1.5]), st.sampled_from([0.0, 1e-6, 0.1]),
       st.booleans(), st.sampled_from([0.1, 1.0, 3.0]))
def test_triplet_margin_random(n, d, dtype, reduction, seed, p, eps, swap, margin):
    rng = np.random.default_rng(seed)
    shape = (d,) if n == 0 else (n, d)
    args = tuple(rng.standard_normal(shape).astype(dtype) for _ in range(3))
    kwargs = dict(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)
    _check_against(E.triplet_margin_loss, F.triplet_margin_loss, args, kwargs, dtype)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6), st.integers(1, 6), dtypes, reductions, seeds,
       st.sampled_from([None, E.l1_distance, E.squared_euclidean_distance]), st.booleans(),
       st.sampled_from([0.1, 1.0, 3.0]))
def test_triplet_with_distance_random(n, d, dtype, reduction, seed, fn, swap, margin):
    rng = np.random.default_rng(seed)
    shape = (d,) if n == 0 else (n, d)
    args = tuple(rng.standard_normal(shape).astype(dtype) for _ in range(3))
    kwargs = dict(distance_function=fn, margin=margin, swap=swap, reduction=reduction)
    _check_against(E.triplet_margin_with_distance_loss, F.triplet_margin_with_distance_loss,
                   args, kwargs, dtype)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6), st.integers(1, 6), dtypes, reductions, seeds,
       st.sampled_from([0.0, 0.5, 1.0, 4.0]))
def test_contrastive_random_against_the_loop(n, d, dtype, reduction, seed, margin):
    rng = np.random.default_rng(seed)
    shape = (d,) if n == 0 else (n, d)
    x1, x2 = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    y = rng.choice([-1.0, 1.0], shape[:-1]).astype(dtype)
    kwargs = dict(margin=margin, reduction=reduction)
    expected = REFERENCE["contrastive_loss"](x1, x2, y, **kwargs)
    value = E.contrastive_loss_numpy(x1, x2, y, **kwargs)
    assert np.asarray(value).dtype == dtype
    close(value, expected, dtype, atol=RTOL[dtype])
    close(E.contrastive_loss_torch(*_tensors(x1, x2, y), **kwargs), expected, dtype,
          atol=RTOL[dtype])
    # .grad against autograd of .torch (no builtin)
    t = _tensors(x1, x2, y)
    t[0].requires_grad_(True), t[1].requires_grad_(True)
    grads = torch.autograd.grad(E.contrastive_loss_torch(*t, **kwargs).sum(), t[:2])
    for g, e in zip(E.contrastive_loss_grad(x1, x2, y, **kwargs), grads, strict=True):
        close(g, e, dtype, atol=RTOL[dtype] * max(1.0, float(e.abs().max())))


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e150), (np.float32, 1e18)])
def test_cosine_of_large_vectors_is_right_where_torch_returns_0(dtype, big):
    """torch computes sqrt(|x1|^2 |x2|^2): the product overflows beyond |x1| |x2| = 1.3e154
    (float64) or 1.8e19 (float32) and its cosine becomes 0, a finite wrong loss. lossref
    multiplies the square roots: cos((1, 1), (1, 0)) = 1/sqrt(2) at any scale."""
    x1 = np.array([[big, big]], dtype)
    x2 = np.array([[big, 0.0]], dtype)
    y = np.array([-1.0], dtype)
    expected = 1 / np.sqrt(2)
    t = [torch.from_numpy(a) for a in (x1, x2, y)]
    builtin = float(F.cosine_embedding_loss(*t, reduction="sum"))
    assert builtin == 0.0  # torch's overflow, documented in _cosine_numpy
    rtol = 8 * np.finfo(dtype).eps
    np.testing.assert_allclose(E.cosine_embedding_loss.numpy(x1, x2, y, reduction="sum"),
                               expected, rtol=rtol)
    np.testing.assert_allclose(E.cosine_embedding_loss.torch(*t, reduction="sum").item(),
                               expected, rtol=rtol)
    g1, g2 = E.cosine_embedding_loss.grad(x1, x2, y, reduction="sum")
    assert np.isfinite(g1).all() and np.isfinite(g2).all()
