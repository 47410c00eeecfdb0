"""Adapters that call optax's losses with torch's conventions, for the parity tests.

optax is a second, independent implementation (JAX) of many losses; the parity tests
compare ``.numpy`` and ``.torch`` with it in float64 (``jax_enable_x64``). Its conventions
differ from torch's, and each adapter bridges exactly that difference:

- optax returns one value per example (per element, or per row when it sums over the
  class axis); torch reduces (``mean`` by default). The adapters reduce like torch.
- optax has no ``weight``, ``pos_weight`` or ``ignore_index``: an adapter returns None for
  a case that uses one, and that case is not compared.
- Class scores: optax's class axis is the last by default, torch's is axis 1; integer
  labels and one-hot/probability labels are two functions in optax, one in torch.
- Labels in {-1, 1} (``soft_margin_loss``) are written ``(y + 1) / 2`` for optax's
  ``sigmoid_binary_cross_entropy``, which takes labels in [0, 1].

The arguments are NumPy arrays; JAX converts them, and ``np.asarray`` converts back. JAX
is imported only by optax itself, when a test resolves the counterpart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lossref._checks import reduce

__all__ = ["huber", "kl_divergence", "multilabel_logistic", "sigmoid_binary_cross_entropy",
           "smooth_l1", "soft_margin", "softmax_cross_entropy", "squared_error"]


def _per_element(fn, input, target, **kwargs) -> np.ndarray:
    return np.asarray(fn(*np.broadcast_arrays(input, target), **kwargs))


def squared_error(fn, input, target, reduction="mean", weight=None) -> Any:
    """``optax.losses.squared_error(predictions, targets)``: ``(p - t)^2`` per element."""
    if weight is not None:
        return None
    return reduce(_per_element(fn, input, target), reduction)


def huber(fn, input, target, reduction="mean", delta=1.0, weight=None) -> Any:
    """``optax.losses.huber_loss(predictions, targets, delta=...)``: torch's Huber."""
    if weight is not None:
        return None
    return reduce(_per_element(fn, input, target, delta=delta), reduction)


def smooth_l1(fn, input, target, reduction="mean", beta=1.0) -> Any:
    """torch's Smooth L1 is Huber with ``delta = beta``, divided by ``beta``; optax has only
    Huber, and ``beta = 0`` (the L1 limit) has no Huber counterpart."""
    if beta == 0:
        return None
    return reduce(_per_element(fn, input, target, delta=beta) / beta, reduction)


def softmax_cross_entropy(fn, input, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0) -> Any:
    """``optax.losses.softmax_cross_entropy(logits, labels, axis=...)`` with one-hot (or
    probability) labels on torch's class axis, smoothed as torch smooths them
    (``optax.smooth_labels``: ``(1 - eps) y + eps / C``). ``fn`` is not used for integer
    labels: the one-hot form covers both."""
    import optax

    if weight is not None:
        return None
    axis = 0 if input.ndim == 1 else 1
    n_classes = input.shape[axis]
    if np.issubdtype(target.dtype, np.integer):
        if np.any(target == ignore_index):
            return None
        labels = np.moveaxis(np.eye(n_classes, dtype=input.dtype)[target], -1, axis)
    else:
        labels = target
    if label_smoothing:
        labels = np.moveaxis(np.asarray(optax.smooth_labels(
            np.moveaxis(labels, axis, -1), label_smoothing)), -1, axis)
    return reduce(np.asarray(fn(input, labels, axis=axis)), reduction)


def sigmoid_binary_cross_entropy(fn, input, target, weight=None, reduction="mean",
                                 pos_weight=None) -> Any:
    """``optax.losses.sigmoid_binary_cross_entropy(logits, labels)``, per element."""
    if pos_weight is not None:
        return None
    loss = _per_element(fn, input, target)
    return reduce(loss if weight is None else loss * weight, reduction)


def soft_margin(fn, input, target, reduction="mean") -> Any:
    """Labels in {-1, 1} become ``(y + 1) / 2``: the soft margin is the logistic loss."""
    return reduce(_per_element(fn, input, (target + 1) / 2), reduction)


def multilabel_logistic(fn, input, target, weight=None, reduction="mean") -> Any:
    """The per-class logistic loss, weighted, averaged over the last axis, reduced."""
    loss = _per_element(fn, input, target)
    if weight is not None:
        loss = loss * weight
    return reduce(loss.mean(axis=-1), reduction)


def kl_divergence(fn, input, target, reduction="mean", log_target=False) -> Any:
    """``optax.losses.kl_divergence(log_predictions, targets, axis=...)``, same argument
    order as torch; ``axis=()`` keeps every element, and the log-target version is
    ``kl_divergence_with_log_targets``."""
    import optax

    if log_target:
        fn = optax.losses.kl_divergence_with_log_targets
    input, target = np.broadcast_arrays(input, target)
    loss = np.asarray(fn(input, target, axis=()))
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return reduce(loss, reduction)


def ntxent(fn, embeddings, labels, temperature=0.07) -> Any:
    """``optax.losses.ntxent(embeddings, labels, temperature)``: already a scalar, the mean
    over positive pairs. optax squares the entries for the norms, which overflows beyond
    about 1e154 (float64) and makes every cosine 0 or nan: such a case is not compared."""
    if np.max(np.abs(embeddings)) > 1e150:
        return None
    return np.asarray(fn(embeddings, labels, temperature=temperature))


def hinge(fn, input, target, margin=1.0, reduction="mean") -> Any:
    """``optax.losses.hinge_loss`` has margin 1; for a margin ``m > 0``,
    ``max(0, m - y x) = m max(0, 1 - y (x / m))``; margin 0 is optax's ``perceptron_loss``."""
    import optax

    if margin == 0:
        return reduce(np.asarray(optax.losses.perceptron_loss(input, target)), reduction)
    return reduce(margin * np.asarray(fn(input / margin, target)), reduction)


def perceptron(fn, input, target, reduction="mean") -> Any:
    """``optax.losses.perceptron_loss(predictor_outputs, targets)``: ``max(0, -y x)``."""
    return reduce(np.asarray(fn(input, target)), reduction)


def multiclass_hinge(fn, input, target, margin=1.0, reduction="mean") -> Any:
    """``optax.losses.multiclass_hinge_loss(scores, labels)`` computes
    ``max_j (x_j + 1 - [j = y]) - x_y``, the Crammer–Singer hinge at margin 1; a margin
    ``m > 0`` is ``m`` times the loss of ``x / m``; margin 0 is optax's
    ``multiclass_perceptron_loss``."""
    import optax

    if margin == 0:
        return reduce(np.asarray(optax.losses.multiclass_perceptron_loss(input, target)),
                      reduction)
    return reduce(margin * np.asarray(fn(input / margin, target)), reduction)


def triplet_margin(fn, anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                   reduction="mean") -> Any:
    """``optax.losses.triplet_margin_loss(anchors, positives, negatives, norm_degree,
    margin, eps)`` computes ``(sum (a - p)^deg + eps)^(1/deg)``: eps inside the sum, where
    torch adds it to the difference, and no absolute value (an odd degree is no norm).
    The two agree only with ``eps = 0`` and an even degree, without ``swap`` (optax has
    none); other cases return None."""
    if eps != 0 or swap or p not in (2.0, 4.0):
        return None
    anchor, positive, negative = np.broadcast_arrays(anchor, positive, negative)
    loss = np.asarray(fn(anchor, positive, negative, norm_degree=p, margin=margin, eps=0.0))
    return reduce(loss, reduction)
