"""The angular losses (InfoNCE, NT-Xent, CosFace, ArcFace): family-specific bad inputs on
every entry point, the identities the pages state, and the conventions the docstrings
choose (ArcFace at cos = 1, the official fallback's jump, the norm's floor).

The registry-driven tests (parity with the plain loops of ``reference_angular.py``,
gradients against autograd, optax for NT-Xent) run these losses too; here each claim is
checked on its own, mostly on random inputs drawn by hypothesis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lossref.losses import cross_entropy
from lossref.losses.angular import arcface_loss, cosface_loss, info_nce_loss, ntxent_loss

ENTRIES = ("numpy", "grad", "torch")
REDUCTIONS = ("none", "mean", "sum")
F64 = np.finfo(np.float64).eps


def call(rec, entry, *args, **kwargs):
    if entry == "torch":
        args = [torch.from_numpy(np.asarray(a).copy()) for a in args]
    return getattr(rec, entry)(*args, **kwargs)


def rel_close(actual, expected, rtol=1e-12, atol=0.0):
    actual = actual.detach().numpy() if isinstance(actual, torch.Tensor) else actual
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol)


RNG = np.random.default_rng(7)
Q, K = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
X, PAIRS = RNG.standard_normal((4, 3)), np.array([0, 0, 1, 1])
COS, Y = RNG.uniform(-1, 1, (5, 4)), np.array([0, 3, 1, 2, 0])


# ------------------------------------------------------------------ bad inputs

BAD = [
    # (record, args, kwargs, exception, words the message must hold)
    (info_nce_loss, (Q, K[:, :2]), {}, ValueError, "key must have the shape of query"),
    (info_nce_loss, (Q, K[:3]), {}, ValueError, "key must have the shape of query"),
    (info_nce_loss, (Q[0], K[0]), {}, ValueError, "query must have shape (N, D)"),
    (info_nce_loss, (Q[:0], K[:0]), {"reduction": "sum"}, ValueError, "at least one row"),
    (info_nce_loss, (Q, K), {"temperature": 0.0}, ValueError, "temperature must be a finite"),
    (info_nce_loss, (Q, K), {"temperature": -0.1}, ValueError, "temperature"),
    (info_nce_loss, (Q, K), {"temperature": math.inf}, ValueError, "temperature"),
    (info_nce_loss, (Q, K.astype(np.float32)), {}, TypeError, "differs from query dtype"),
    (ntxent_loss, (X, PAIRS.astype(np.float64)), {}, TypeError, "labels must hold integers"),
    (ntxent_loss, (X, PAIRS[:3]), {}, ValueError, "labels must have shape (4,)"),
    (ntxent_loss, (X, np.array([0, 1, 2, 3])), {}, ValueError, "no positive pair"),
    (ntxent_loss, (X, PAIRS), {"temperature": 0.0}, ValueError, "temperature"),
    (ntxent_loss, (X[None], PAIRS), {}, ValueError, "embeddings must have shape (N, D)"),
    (cosface_loss, (COS * 1.5, Y), {}, ValueError, "must be in [-1, 1]"),
    (cosface_loss, (np.where(COS == COS[0, 0], math.inf, COS), Y), {}, ValueError, "[-1, 1]"),
    (cosface_loss, (COS, np.array([0, 4, 1, 2, 0])), {}, ValueError, "class index 4"),
    (cosface_loss, (COS, np.array([0, -1, 1, 2, 0])), {}, ValueError, "class index -1"),
    (cosface_loss, (COS, Y.astype(np.float64)), {}, TypeError, "integer class indices"),
    (cosface_loss, (COS, Y[:3]), {}, ValueError, "target must have shape (5,)"),
    (cosface_loss, (COS[None], Y), {}, ValueError, "input must hold cosines of shape"),
    (cosface_loss, (COS, Y), {"scale": 0.0}, ValueError, "scale"),
    (cosface_loss, (COS, Y), {"margin": -0.1}, ValueError, "negative margin"),
    (arcface_loss, (COS - 1.0, Y), {}, ValueError, "must be in [-1, 1]"),
    (arcface_loss, (COS, Y), {"margin": 4.0}, ValueError, "margin must be in [0, 3.14159"),
    (arcface_loss, (COS, Y), {"margin": -0.5}, ValueError, "margin"),
    (arcface_loss, (COS, Y), {"easy_margin": "no"}, TypeError, "easy_margin"),
    (arcface_loss, (COS, Y), {"scale": -64.0}, ValueError, "scale"),
]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("rec, args, kwargs, error, words", BAD,
                         ids=[f"{b[0].name}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_named_on_every_entry_point(rec, args, kwargs, error, words, entry):
    with pytest.raises(error) as caught:
        call(rec, entry, *args, **kwargs)
    assert words in str(caught.value), str(caught.value)


@pytest.mark.parametrize("entry", ["numpy", "torch"])
def test_nan_cosines_propagate_and_are_not_an_error(entry):
    c = COS.copy()
    c[1, 2] = math.nan
    for rec in (cosface_loss, arcface_loss):
        out = np.asarray(call(rec, entry, c, Y, reduction="none"))
        assert np.isnan(out[1]) and np.all(np.isfinite(np.delete(out, 1)))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_ntxent_nonfinite_embedding_gives_nan_everywhere(value):
    """A non-finite entry has no direction: its cosines are nan, every positive pair's
    denominator that holds it is nan, and so is the mean (optax: the same)."""
    x = X.copy()
    x[2, 1] = value
    assert np.isnan(ntxent_loss.numpy(x, PAIRS))
    assert torch.isnan(ntxent_loss.torch(torch.from_numpy(x), torch.from_numpy(PAIRS)))
    (g,) = ntxent_loss.grad(x, PAIRS)
    t = torch.from_numpy(x).requires_grad_(True)
    (expected,) = torch.autograd.grad(ntxent_loss.torch(t, torch.from_numpy(PAIRS)), t)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(expected.numpy()))


def test_ntxent_without_negatives_is_zero_as_in_optax():
    """One group: each positive is alone in its denominator, -log 1 = 0 (optax: -0.0)."""
    labels = np.zeros(4, np.int64)
    assert ntxent_loss.numpy(X, labels) == 0.0
    assert not ntxent_loss.grad(X, labels)[0].any()


# ------------------------------------------------------------------ identities

def cosines(rng, shape):
    return rng.uniform(-1, 1, shape)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.sampled_from(REDUCTIONS),
       st.sampled_from([1.0, 16.0, 64.0]), st.booleans(), st.integers(0, 2**32 - 1))
def test_margin_zero_is_scaled_cross_entropy(n, c, reduction, scale, easy, seed):
    rng = np.random.default_rng(seed)
    cos, y = cosines(rng, (n, c)), rng.integers(0, c, n)
    expected = cross_entropy.numpy(scale * cos, y, reduction=reduction)
    (expected_grad,) = cross_entropy.grad(scale * cos, y, reduction=reduction)
    for rec, kwargs in ((cosface_loss, {}), (arcface_loss, {"easy_margin": easy})):
        kwargs = dict(scale=scale, margin=0.0, reduction=reduction, **kwargs)
        rel_close(rec.numpy(cos, y, **kwargs), expected, rtol=1e-13, atol=1e-15)
        rel_close(rec.torch(torch.from_numpy(cos), torch.from_numpy(y), **kwargs), expected,
                  rtol=1e-13, atol=1e-15)
        rel_close(rec.grad(cos, y, **kwargs)[0], scale * expected_grad, atol=1e-13 * scale)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.floats(0.05, 1.0), st.sampled_from([0.01, 0.1, 0.5, 1.0]),
       st.integers(0, 2**32 - 1))
def test_a_tie_costs_more_with_a_margin(n, margin, cos_value, seed):
    """The decision margin: a row whose target cosine equals the other classes' has loss
    log C without a margin, and more with one (ArcFace with easy_margin only where cos > 0,
    where it applies the margin at all)."""
    rng = np.random.default_rng(seed)
    c = np.full((n, 3), cos_value)
    y = rng.integers(0, 3, n)
    for rec, extra in ((cosface_loss, {}), (arcface_loss, {"easy_margin": False}),
                       (arcface_loss, {"easy_margin": True})):
        without = rec.numpy(c, y, scale=16.0, margin=0.0, reduction="none", **extra)
        with_margin = rec.numpy(c, y, scale=16.0, margin=margin, reduction="none", **extra)
        np.testing.assert_allclose(without, math.log(3), rtol=1e-14)
        assert np.all(with_margin > without)


def test_arcface_is_the_cosine_of_the_angle_plus_margin():
    """On the margin branch the target logit is cos(theta + m), checked against arccos."""
    c = np.array([[0.9, 0.0], [0.2, 0.0], [-0.5, 0.0]])
    y, m, s = np.zeros(3, np.int64), 0.5, 10.0
    psi = np.cos(np.arccos(c[:, 0]) + m)
    expected = np.logaddexp(0.0, s * (c[:, 1] - psi))  # two classes: softplus
    rel_close(arcface_loss.numpy(c, y, scale=s, margin=m, reduction="none"), expected)


def official_arcface_torch(cos, target, scale, margin, easy_margin):
    """insightface's formula, written here as a test oracle in torch (no clamp)."""
    t = cos.gather(1, target[:, None])[:, 0]
    sin = torch.sqrt(1.0 - torch.pow(t, 2))
    phi = t * math.cos(margin) - sin * math.sin(margin)
    if easy_margin:
        final = torch.where(t > 0, phi, t)
    else:
        final = torch.where(t > math.cos(math.pi - margin), phi,
                            t - math.sin(math.pi - margin) * margin)
    logits = cos.scatter(1, target[:, None], final[:, None]) * scale
    return torch.nn.functional.cross_entropy(logits, target, reduction="none")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.floats(0.0, 1.5), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_arcface_matches_the_official_formula(n, c, margin, easy, seed):
    rng = np.random.default_rng(seed)
    cos, y = cosines(rng, (n, c)) * 0.999, rng.integers(0, c, n)
    cos_t = torch.from_numpy(cos).requires_grad_(True)
    expected = official_arcface_torch(cos_t, torch.from_numpy(y), 30.0, margin, easy)
    (expected_grad,) = torch.autograd.grad(expected.sum(), cos_t)
    kwargs = dict(scale=30.0, margin=margin, easy_margin=easy, reduction="none")
    # torch's builtin cross-entropy loses a tiny loss's digits (README): an absolute floor
    rel_close(arcface_loss.numpy(cos, y, **kwargs), expected, rtol=1e-12, atol=1e-13)
    rel_close(arcface_loss.grad(cos, y, **kwargs)[0], expected_grad, rtol=1e-10, atol=1e-12)


def test_arcface_gradient_at_cos_one_is_finite_by_convention():
    """At c_y = 1 the derivative of sin(theta) = sqrt(1 - c^2) is infinite; lossref takes
    psi'(1) = cos m. The official formula under autograd gives nan there: torch's
    cross-entropy gradient at a confident target rounds to 0, and 0 * inf = nan."""
    c, y, m, s = np.array([[1.0, 0.3]]), np.array([0]), 0.5, 64.0
    (grad,) = arcface_loss.grad(c, y, scale=s, margin=m)
    p_other = 1 / (1 + math.exp(s * (math.cos(m) - 0.3)))  # two classes: 1 - p_y
    # 1 - p_y = 9e-17 rounds to 0 in p_y - 1 (the cross-entropy gradient): an absolute
    # tolerance; what matters is that it is finite
    rel_close(grad, [[-s * math.cos(m) * p_other, s * p_other]], rtol=1e-10, atol=1e-14 * s)
    (near,) = arcface_loss.grad(np.array([[1.0, 0.9]]), y, scale=s, margin=m)
    p_other = 1 / (1 + math.exp(s * (math.cos(m) - 0.9)))
    rel_close(near, [[-s * math.cos(m) * p_other, s * p_other]], rtol=1e-12)
    t = torch.from_numpy(c).requires_grad_(True)
    (auto,) = torch.autograd.grad(arcface_loss.torch(t, torch.from_numpy(y), scale=s), t)
    # torch's autograd rounds 1 - p_y = 9e-17 to 0 at the target: an absolute tolerance
    rel_close(auto, grad, rtol=1e-10, atol=1e-14 * s)
    (official,) = torch.autograd.grad(
        official_arcface_torch(t, torch.from_numpy(y), s, m, False).sum(), t)
    assert torch.isnan(official[0, 0])


@pytest.mark.parametrize("easy", [False, True])
def test_arcface_target_logit_jumps_at_the_threshold(easy):
    """The official fallback is discontinuous: at theta = pi - m, cos(theta + m) = -1 but
    the fallback gives -cos m - m sin m; easy_margin jumps from -sin m to 0 at cos = 0."""
    m, s = 0.5, 1.0
    cut = 0.0 if easy else math.cos(math.pi - m)
    above, at = np.nextafter(cut, 1.0), cut
    y = np.array([0])
    loss = [arcface_loss.numpy(np.array([[v, 0.0]]), y, scale=s, margin=m, easy_margin=easy)
            for v in (above, at)]
    # two classes: loss = softplus(s (0 - psi)), so psi = -log(expm1(loss)) / s
    psi = [-math.log(math.expm1(v)) / s for v in loss]
    expected = [-math.sin(m), 0.0] if easy else [-1.0, -math.cos(m) - m * math.sin(m)]
    np.testing.assert_allclose(psi, expected, rtol=1e-7, atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.sampled_from([0.05, 0.5, 2.0]),
       st.sampled_from(REDUCTIONS), st.integers(0, 2**32 - 1))
def test_info_nce_is_cross_entropy_of_the_cosine_matrix(n, d, tau, reduction, seed):
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    normalize = torch.nn.functional.normalize
    cos = (normalize(torch.from_numpy(q)) @ normalize(torch.from_numpy(k)).T).numpy()
    expected = cross_entropy.numpy(cos / tau, np.arange(n), reduction=reduction)
    rel_close(info_nce_loss.numpy(q, k, temperature=tau, reduction=reduction), expected,
              rtol=1e-12, atol=1e-14)
    rel_close(info_nce_loss.torch(torch.from_numpy(q), torch.from_numpy(k), temperature=tau,
                                  reduction=reduction), expected, rtol=1e-12, atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.sampled_from([0.07, 0.5, 1.0]), st.integers(0, 2**32 - 1))
def test_info_nce_with_one_negative_is_the_logistic_loss(d, tau, seed):
    """Two rows: each query has one negative, and -log(e^a / (e^a + e^b)) is
    softplus(-(a - b)) with a = cos(q_i, k_i) / tau, b = cos(q_i, k_j) / tau."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((2, d)), rng.standard_normal((2, d))
    cos = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ \
          (k / np.linalg.norm(k, axis=1, keepdims=True)).T
    expected = [np.logaddexp(0.0, -(cos[0, 0] - cos[0, 1]) / tau),
                np.logaddexp(0.0, -(cos[1, 1] - cos[1, 0]) / tau)]
    rel_close(info_nce_loss.numpy(q, k, temperature=tau, reduction="none"), expected,
              rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.floats(0.01, 100.0), st.floats(0.01, 100.0),
       st.integers(0, 2**32 - 1))
def test_info_nce_depends_on_directions_only(n, d, a, b, seed):
    """Scaling a row changes nothing, so its gradient has no radial part: x . grad = 0."""
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    rel_close(info_nce_loss.numpy(a * q, b * k), info_nce_loss.numpy(q, k), rtol=1e-12,
              atol=1e-15)
    gq, gk = info_nce_loss.grad(q, k)
    np.testing.assert_allclose((q * gq).sum(axis=1), 0.0, atol=1e-13)
    np.testing.assert_allclose((k * gk).sum(axis=1), 0.0, atol=1e-13)


def test_info_nce_zero_row_uses_the_floor():
    """The zero vector is normalised to 0 (cosine 0 with every key): its loss is log N,
    and its gradient is the unit-vector gradient divided by the floor 1e-12."""
    q = Q.copy()
    q[0] = 0.0
    loss = info_nce_loss.numpy(q, K, temperature=0.5, reduction="none")
    rel_close(loss[0], math.log(4))
    gq, _ = info_nce_loss.grad(q, K, temperature=0.5, reduction="none")
    u_k = K / np.linalg.norm(K, axis=1, keepdims=True)
    expected = ((np.full(4, 0.25) - np.eye(4)[0]) @ u_k) / 0.5 / 1e-12
    rel_close(gq[0], expected, rtol=1e-12)


def test_huge_and_tiny_rows_keep_their_direction():
    """x / |x| without overflow: torch's F.normalize returns 0 for a row of 1e300. (Rows
    below the floor, 1e-12 for InfoNCE and 1.5e-8 for NT-Xent, collapse towards 0.)"""
    for factor in (1e300, 1e-7):
        rel_close(info_nce_loss.numpy(factor * Q, K), info_nce_loss.numpy(Q, K), rtol=1e-14)
        rel_close(ntxent_loss.numpy(factor * X, PAIRS), ntxent_loss.numpy(X, PAIRS), rtol=1e-14)
    row = torch.tensor([[1e300, 1e300]], dtype=torch.float64)
    assert not torch.nn.functional.normalize(row).any()


# ------------------------------------------------------------------ optax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.sampled_from([0.07, 0.2, 1.0]), st.integers(0, 2**32 - 1))
def test_ntxent_matches_optax_on_random_inputs(groups, tau, seed):
    """One shape (JAX compiles once per shape), random labels, directions and norms."""
    import optax

    rng = np.random.default_rng(seed)
    n, d = 6, 3
    x = rng.standard_normal((n, d)) * rng.uniform(0.1, 10.0, (n, 1))
    labels = rng.integers(0, groups, n)
    if len(set(labels.tolist())) == n:
        labels[1] = labels[0]  # at least one positive pair
    expected = float(optax.losses.ntxent(x, labels, temperature=tau))
    rel_close(ntxent_loss.numpy(x, labels, temperature=tau), expected, rtol=1e-12, atol=1e-15)
    rel_close(ntxent_loss.torch(torch.from_numpy(x), torch.from_numpy(labels),
                                temperature=tau), expected, rtol=1e-12, atol=1e-15)
    expected_grad = jax.grad(lambda e: optax.losses.ntxent(e, labels, temperature=tau))(x)
    rel_close(ntxent_loss.grad(x, labels, temperature=tau)[0], np.asarray(expected_grad),
              rtol=1e-9, atol=1e-12)


def test_optax_ntxent_is_nan_without_a_positive_pair_and_lossref_says_why():
    import optax

    labels = np.arange(4)
    assert np.isnan(float(optax.losses.ntxent(X, labels)))
    with pytest.raises(ValueError, match="no positive pair"):
        ntxent_loss.numpy(X, labels)


def test_float32_in_float32_out():
    for rec, args in ((info_nce_loss, (Q, K)), (ntxent_loss, (X, PAIRS)),
                      (cosface_loss, (COS, Y)), (arcface_loss, (COS, Y))):
        args32 = [a.astype(np.float32) if a.dtype == np.float64 else a for a in args]
        assert np.asarray(rec.numpy(*args32)).dtype == np.float32
        assert all(g.dtype == np.float32 for g in rec.grad(*args32))
        assert rec.torch(*map(torch.from_numpy, args32)).dtype == torch.float32
