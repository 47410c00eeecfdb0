"""Small helpers that the worked examples and the plots share, so that the numbers printed
on a page and the curves drawn in its plot come from the same code.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from lossref import losses, optim
from lossref.optim.sgd import SGDNumpy

__all__ = [
    "LineFit",
    "batch_hard_triplets",
    "fit_line",
    "heteroscedastic_line",
    "info_nce_loss_and_grads",
    "init_mlp",
    "knn_accuracy",
    "line_with_outliers",
    "load_digits_split",
    "minibatches",
    "mlp_backward",
    "mlp_forward",
    "mlp_loss_and_grads",
    "pk_batches",
    "train_embedding_numpy",
    "train_embedding_torch",
    "train_mlp_numpy",
    "train_mlp_torch",
    "triplet_loss_and_grads",
]


class LineFit(NamedTuple):
    """Result of :func:`fit_line`: the fitted line and its final loss."""

    slope: float
    intercept: float
    loss: float


# --8<-- [start:fit_line]
def fit_line(loss, x, y, *, steps=2000, lr=0.1, momentum=0.9, init=(0.0, 0.0), **loss_kwargs):
    """Fit ``y ≈ slope * x + intercept`` by minimising ``loss`` (a :class:`~lossref.registry.Loss`
    record, ``reduction="mean"``) with :class:`~lossref.optim.sgd.SGDNumpy`, full batch.

    The gradient comes from the record's analytic ``grad`` with respect to the prediction
    ``p = slope * x + intercept``; the chain rule gives ``dL/dslope = sum(dL/dp * x)`` and
    ``dL/dintercept = sum(dL/dp)``. ``loss_kwargs`` go to the loss (``delta=``, ``quantile=``...).

    Examples:
        >>> from types import SimpleNamespace
        >>> squared = SimpleNamespace(  # a stand-in record: mean squared error
        ...     numpy=lambda p, t: np.mean((p - t) ** 2),
        ...     grad=lambda p, t: (2 * (p - t) / p.size,))
        >>> x = np.array([0.0, 1.0, 2.0, 3.0])
        >>> fit = fit_line(squared, x, 2 * x + 1, steps=500)
        >>> print(round(fit.slope, 6), round(fit.intercept, 6))
        2.0 1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.array(float(init[0])), np.array(float(init[1]))
    optimizer = SGDNumpy([slope, intercept], lr=lr, momentum=momentum)
    for _ in range(steps):
        prediction = slope * x + intercept
        (dloss_dprediction,) = loss.grad(prediction, y, **loss_kwargs)
        optimizer.step([np.sum(dloss_dprediction * x), np.sum(dloss_dprediction)])
    final = loss.numpy(slope * x + intercept, y, **loss_kwargs)
    return LineFit(float(slope), float(intercept), float(final))
# --8<-- [end:fit_line]



# --8<-- [start:data]
def line_with_outliers(n=100, outlier_fraction=0.1, seed=0):
    """``n`` points of ``y = 2x + 1 + N(0, 0.1^2)`` with ``x`` uniform on [0, 1]; a random
    ``outlier_fraction`` of them has ``y`` replaced by a gross outlier, uniform on [-10, -5].

    Returns ``(x, y, is_outlier)``, sorted by ``x``.

    Examples:
        >>> x, y, is_outlier = line_with_outliers()
        >>> x.shape, int(is_outlier.sum())
        ((100,), 10)
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    y = 2.0 * x + 1.0 + 0.1 * rng.standard_normal(n)
    is_outlier = np.zeros(n, dtype=bool)
    is_outlier[rng.choice(n, round(outlier_fraction * n), replace=False)] = True
    y[is_outlier] = rng.uniform(-10.0, -5.0, is_outlier.sum())
    return x, y, is_outlier


def heteroscedastic_line(n=2000, seed=0):
    """``n`` points of ``y = 1 + 2x + (0.2 + x) * N(0, 1)`` with ``x`` uniform on [0, 1]:
    the noise grows with ``x``, so every conditional quantile is a line,
    ``q_tau(x) = 1 + 2x + (0.2 + x) * z_tau`` with ``z_tau`` the standard normal quantile.

    Examples:
        >>> x, y = heteroscedastic_line(5)
        >>> x.shape, y.shape
        ((5,), (5,))
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    return x, 1.0 + 2.0 * x + (0.2 + x) * rng.standard_normal(n)
# --8<-- [end:data]


# ------------------------------------------------ training-run.md: an MLP on the digits

# --8<-- [start:digits]
def load_digits_split(test_size=0.2, seed=0):
    """scikit-learn's bundled 8×8 digits (1797 images, 10 classes, no download), pixels
    scaled from 0..16 to [0, 1] (float64), split by ``train_test_split`` with
    ``random_state=seed`` and ``stratify`` on the labels. Needs scikit-learn (the ``docs``
    extra).

    Returns ``(X_train, X_test, y_train, y_test)``.

    Examples:
        >>> X_train, X_test, y_train, y_test = load_digits_split()
        >>> X_train.shape, X_test.shape, float(X_train.max())
        ((1437, 64), (360, 64), 1.0)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=test_size, random_state=seed, stratify=digits.target)
    return X_train, X_test, y_train, y_test
# --8<-- [end:digits]


# --8<-- [start:init]
INIT_STD = {
    "he": lambda fan_in: np.sqrt(2.0 / fan_in),   # He et al. (2015): keeps E[z^2] under ReLU
    "lecun": lambda fan_in: np.sqrt(1.0 / fan_in),
    "standard": lambda fan_in: 1.0,               # N(0, 1): the unscaled classic
}


def init_mlp(sizes=(64, 48, 10), *, init="he", seed=0):
    """Parameters ``[W1, b1, W2, b2, ...]`` of a fully connected network with layer widths
    ``sizes``: each ``W`` of shape ``(fan_in, fan_out)`` drawn from ``N(0, std^2)``, each
    ``b`` zero. ``init`` picks ``std``: ``"he"`` is ``sqrt(2 / fan_in)``, ``"lecun"``
    ``sqrt(1 / fan_in)``, ``"standard"`` 1. The same ``seed`` gives the same standard
    normal draws, so two inits differ only by their scale.

    Examples:
        >>> W1, b1, W2, b2 = init_mlp((64, 48, 10))
        >>> W1.shape, b2.shape
        ((64, 48), (10,))
        >>> bool(np.allclose(init_mlp(init="standard")[0] * np.sqrt(2 / 64), W1))
        True
    """
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        std = INIT_STD[init](fan_in)
        params += [std * rng.standard_normal((fan_in, fan_out)), np.zeros(fan_out)]
    return params
# --8<-- [end:init]


# --8<-- [start:backprop]
def mlp_forward(params, X, head="logits"):
    """Forward pass of the 64-48-10 (any widths) network with one ReLU hidden layer:
    ``z1 = X W1 + b1``, ``h = relu(z1)``, ``z2 = h W2 + b2``.

    ``head`` is what the network hands to the loss: ``"logits"`` (``z2``, correct),
    ``"relu"`` (``relu(z2)``) or ``"softmax"`` (``softmax(z2)``), the two classic mistakes.
    Returns ``(output, (z1, h, z2))``.

    Examples:
        >>> out, (z1, h, z2) = mlp_forward(init_mlp((4, 3, 2)), np.ones((5, 4)))
        >>> out.shape, bool((h >= 0).all()), bool((out == z2).all())
        ((5, 2), True, True)
    """
    W1, b1, W2, b2 = params
    z1 = X @ W1 + b1
    h = np.maximum(z1, 0.0)
    z2 = h @ W2 + b2
    if head == "relu":
        return np.maximum(z2, 0.0), (z1, h, z2)
    if head == "softmax":
        return losses.softmax_numpy(z2), (z1, h, z2)
    return z2, (z1, h, z2)


def mlp_loss_and_grads(params, X, y, head="logits"):
    """Mean cross-entropy of :func:`mlp_forward`'s output and its gradients with respect to
    ``[W1, b1, W2, b2]``, by hand-written backpropagation; ``losses.cross_entropy``
    supplies the loss and its gradient with respect to the output.

    Examples:
        >>> params = init_mlp((4, 3, 2))
        >>> loss, grads = mlp_loss_and_grads(params, np.ones((5, 4)), np.array([0, 1, 0, 1, 0]))
        >>> [g.shape for g in grads] == [p.shape for p in params]
        True
    """
    W1, b1, W2, b2 = params
    out, (z1, h, z2) = mlp_forward(params, X, head)
    loss, (dout,) = losses.cross_entropy.value_and_grad(out, y)   # (softmax(out) - Y) / N
    if head == "relu":              # mistake: d relu(z2) / dz2 = [z2 > 0]
        dz2 = dout * (z2 > 0)
    elif head == "softmax":         # mistake: through the softmax's Jacobian
        dz2 = out * (dout - np.sum(dout * out, axis=1, keepdims=True))
    else:
        dz2 = dout
    dW2 = h.T @ dz2
    db2 = dz2.sum(axis=0)
    dh = dz2 @ W2.T
    dz1 = dh * (z1 > 0)             # relu'(z1), 0 at z1 = 0 as in torch
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0)
    return float(loss), [dW1, db1, dW2, db2]
# --8<-- [end:backprop]


# --8<-- [start:train_numpy]
def minibatches(n, batch_size, epochs, seed=0):
    """Index arrays of ``epochs`` passes over ``n`` samples: every epoch a new permutation
    from ``np.random.default_rng(seed)``, cut into batches of ``batch_size`` (the last one
    shorter). The NumPy and torch runs take their batches from here, in the same order.

    Examples:
        >>> [batch.tolist() for batch in minibatches(5, 2, epochs=1)]
        [[2, 4], [3, 0], [1]]
    """
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def train_mlp_numpy(params, X, y, *, optimizer="adam", epochs=20, batch_size=32, seed=0,
                    head="logits", **options):
    """Train ``params`` (updated in place) with lossref's NumPy ``optimizer`` (``"adam"``,
    ``"sgd"``, ... with ``options`` such as ``lr=``) on the mini-batches of
    :func:`minibatches`, the gradients from :func:`mlp_loss_and_grads`.

    Returns the mini-batch loss of every step, before that step's update.

    Examples:
        >>> X, _, y, _ = load_digits_split()
        >>> params = init_mlp((64, 16, 10))
        >>> step_losses = train_mlp_numpy(params, X[:256], y[:256], epochs=3, lr=0.01)
        >>> step_losses.shape, bool(step_losses[-8:].mean() < step_losses[:8].mean())
        ((24,), True)
    """
    opt = optim.get(optimizer).numpy(params, **options)
    step_losses = []
    for batch in minibatches(len(X), batch_size, epochs, seed):
        loss, grads = mlp_loss_and_grads(params, X[batch], y[batch], head)
        opt.step(grads)
        step_losses.append(loss)
    return np.array(step_losses)
# --8<-- [end:train_numpy]


# --8<-- [start:train_torch]
def train_mlp_torch(params, X, y, *, epochs=20, batch_size=32, seed=0, **options):
    """The run of :func:`train_mlp_numpy` (Adam, ``head="logits"``) in torch: float64
    tensors copied from ``params``, ``losses.cross_entropy.torch``, autograd and lossref's
    ``AdamTorch``, on the same mini-batches.

    Returns ``(step losses, trained parameters as NumPy arrays)``; ``params`` is untouched.

    Examples:
        >>> X, _, y, _ = load_digits_split()
        >>> step_losses, trained = train_mlp_torch(init_mlp((64, 16, 10)), X[:64], y[:64],
        ...                                        epochs=1, lr=0.01)
        >>> step_losses.shape, [p.shape for p in trained]
        ((2,), [(64, 16), (16,), (16, 10), (10,)])
    """
    W1, b1, W2, b2 = tensors = [torch.tensor(p, requires_grad=True) for p in params]
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    opt = optim.adam.torch(tensors, **options)
    step_losses = []
    for batch in minibatches(len(X), batch_size, epochs, seed):
        batch = torch.from_numpy(batch)
        z2 = torch.relu(X[batch] @ W1 + b1) @ W2 + b2
        loss = losses.cross_entropy.torch(z2, y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step_losses.append(loss.item())
    return np.array(step_losses), [p.detach().numpy() for p in tensors]
# --8<-- [end:train_torch]


# ------------------------------- embedding-2d.md: a 2-D embedding, triplet loss and InfoNCE

# --8<-- [start:pk_batches]
def pk_batches(y, classes, per_class, steps, seed=0):
    """``steps`` mini-batches of ``per_class`` images of each of ``classes`` (the "PK"
    batches of Hermans et al. 2017): index arrays of shape ``(len(classes), per_class)``,
    row ``p`` holding distinct images of class ``classes[p]``, drawn without replacement
    by ``np.random.default_rng(seed)``.

    Examples:
        >>> y = np.array([0, 1, 0, 1, 0, 1])
        >>> batch = next(pk_batches(y, classes=(0, 1), per_class=2, steps=1))
        >>> batch.shape, y[batch].tolist()
        ((2, 2), [[0, 0], [1, 1]])
    """
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(y == c) for c in classes]
    for _ in range(steps):
        yield np.stack([rng.choice(m, per_class, replace=False) for m in members])
# --8<-- [end:pk_batches]


# --8<-- [start:batch_hard]
def batch_hard_triplets(embeddings, labels):
    """Batch-hard mining (Hermans et al. 2017): for every row ``i`` of ``embeddings``
    (the anchor), the index of its hardest positive (the farthest row of the same label,
    itself excluded) and of its hardest negative (the nearest row of another label), by
    Euclidean distance. Ties go to the lowest index. No gradient flows through the choice.
    Every label needs at least two rows, and there must be two labels.

    Examples:
        >>> e = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.5, 0.0], [4.0, 0.0]])
        >>> positive, negative = batch_hard_triplets(e, np.array([0, 0, 0, 1, 1]))
        >>> positive.tolist(), negative.tolist()
        ([2, 2, 0, 4, 3], [3, 3, 4, 0, 2])
    """
    squared = np.sum((embeddings[:, None, :] - embeddings[None, :, :]) ** 2, axis=-1)
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)                  # an anchor is not its own positive
    other = labels[:, None] != labels[None, :]
    if not (same.any(axis=1).all() and other.any(axis=1).all()):
        raise ValueError("batch_hard_triplets: every label needs at least two rows and "
                         "another label to be a negative")
    positive = np.where(same, squared, -np.inf).argmax(axis=1)
    negative = np.where(other, squared, np.inf).argmin(axis=1)
    return positive, negative
# --8<-- [end:batch_hard]


# --8<-- [start:embedding_backprop]
def mlp_backward(params, X, cache, d_output):
    """Gradients of a loss with respect to ``[W1, b1, W2, b2]`` of :func:`mlp_forward`
    (``head="logits"``), given ``d_output``, its gradient with respect to the output
    ``z2``, and the forward pass's ``cache = (z1, h, z2)``: the last four lines of
    :func:`mlp_loss_and_grads`, for any loss.

    Examples:
        >>> params = init_mlp((4, 3, 2))
        >>> X = np.ones((5, 4))
        >>> out, cache = mlp_forward(params, X)
        >>> _, (dout,) = losses.cross_entropy.value_and_grad(out, np.zeros(5, dtype=int))
        >>> _, expected = mlp_loss_and_grads(params, X, np.zeros(5, dtype=int))
        >>> all(np.array_equal(g, e) for g, e in zip(mlp_backward(params, X, cache, dout),
        ...                                          expected))
        True
    """
    W1, b1, W2, b2 = params
    z1, h, z2 = cache
    dW2 = h.T @ d_output
    db2 = d_output.sum(axis=0)
    dz1 = (d_output @ W2.T) * (z1 > 0)          # relu'(z1), 0 at z1 = 0 as in torch
    return [X.T @ dz1, dz1.sum(axis=0), dW2, db2]


def triplet_loss_and_grads(params, X, labels, *, margin=1.0):
    """Mean triplet margin loss of the batch-hard triplets of a mini-batch and its
    gradients with respect to ``[W1, b1, W2, b2]``. Every image is an anchor; its positive
    and negative are rows of the same batch, so each embedding's gradient collects its
    three roles (``np.add.at`` adds the repeated indices).

    Examples:
        >>> params = init_mlp((4, 3, 2))
        >>> X = np.random.default_rng(0).random((6, 4))
        >>> loss, grads = triplet_loss_and_grads(params, X, np.array([0, 1, 0, 1, 0, 1]))
        >>> loss > 0, [g.shape for g in grads] == [p.shape for p in params]
        (True, True)
    """
    embeddings, cache = mlp_forward(params, X)
    positive, negative = batch_hard_triplets(embeddings, labels)
    loss, (d_anchor, d_positive, d_negative) = losses.triplet_margin_loss.value_and_grad(
        embeddings, embeddings[positive], embeddings[negative], margin=margin)
    d_embeddings = d_anchor.copy()
    np.add.at(d_embeddings, positive, d_positive)
    np.add.at(d_embeddings, negative, d_negative)
    return float(loss), mlp_backward(params, X, cache, d_embeddings)


def info_nce_loss_and_grads(params, X, *, temperature=0.07):
    """InfoNCE of a PK batch ``X`` of shape ``(P, K, features)`` (``K`` images of each of
    ``P`` classes, ``K`` even) and its gradients with respect to ``[W1, b1, W2, b2]``.
    Images ``2j`` and ``2j + 1`` of every class are query and key of pair group ``j``:
    in a group, query ``p``'s positive is the key of its class, the other ``P - 1`` keys
    (one per other class) are its negatives. The loss is the mean over the ``K / 2`` groups.

    Examples:
        >>> params = init_mlp((4, 3, 2))
        >>> X = np.random.default_rng(0).random((3, 2, 4))
        >>> loss, grads = info_nce_loss_and_grads(params, X)
        >>> loss > 0, [g.shape for g in grads] == [p.shape for p in params]
        (True, True)
    """
    P, K, features = X.shape
    flat = X.reshape(P * K, features)
    embeddings, cache = mlp_forward(params, flat)
    grouped = embeddings.reshape(P, K, -1)
    d_grouped = np.zeros_like(grouped)
    loss = 0.0
    for j in range(K // 2):
        value, (d_query, d_key) = losses.info_nce_loss.value_and_grad(
            grouped[:, 2 * j], grouped[:, 2 * j + 1], temperature=temperature)
        loss += float(value) / (K // 2)
        d_grouped[:, 2 * j] += d_query / (K // 2)
        d_grouped[:, 2 * j + 1] += d_key / (K // 2)
    return loss, mlp_backward(params, flat, cache, d_grouped.reshape(P * K, -1))
# --8<-- [end:embedding_backprop]


def _check_embedding_loss(loss):
    if loss not in ("triplet", "info_nce"):
        raise ValueError(f"loss must be 'triplet' or 'info_nce', got {loss!r}")


# --8<-- [start:train_embedding]
def train_embedding_numpy(params, X, y, *, loss="triplet", classes=(0, 1, 2, 3, 4),
                          per_class=4, steps=500, seed=0, lr=5e-3, **loss_options):
    """Train ``params`` (updated in place) with lossref's NumPy Adam on the
    :func:`pk_batches` of ``X``, the gradients from :func:`triplet_loss_and_grads`
    (``loss="triplet"``, option ``margin=``) or :func:`info_nce_loss_and_grads`
    (``loss="info_nce"``, option ``temperature=``).

    Returns the mini-batch loss of every step, before that step's update.

    Examples:
        >>> X, _, y, _ = load_digits_split()
        >>> params = init_mlp((64, 8, 2))
        >>> step_losses = train_embedding_numpy(params, X, y, loss="info_nce", steps=40,
        ...                                     classes=(0, 1, 2), lr=0.01)
        >>> step_losses.shape, bool(step_losses[-10:].mean() < step_losses[:10].mean())
        ((40,), True)
    """
    _check_embedding_loss(loss)
    opt = optim.adam.numpy(params, lr=lr)
    step_losses = []
    for batch in pk_batches(y, classes, per_class, steps, seed):
        if loss == "triplet":
            value, grads = triplet_loss_and_grads(params, X[batch.ravel()], y[batch.ravel()],
                                                  **loss_options)
        else:
            value, grads = info_nce_loss_and_grads(params, X[batch], **loss_options)
        opt.step(grads)
        step_losses.append(value)
    return np.array(step_losses)
# --8<-- [end:train_embedding]


# --8<-- [start:train_embedding_torch]
def train_embedding_torch(params, X, y, *, loss="triplet", classes=(0, 1, 2, 3, 4),
                          per_class=4, steps=500, seed=0, lr=5e-3, **loss_options):
    """The run of :func:`train_embedding_numpy` in torch: float64 tensors copied from
    ``params``, lossref's ``.torch`` losses, autograd (also through the indexing that
    picks positives and negatives) and lossref's ``AdamTorch``, on the same batches. The
    triplets are mined by :func:`batch_hard_triplets` from the detached embeddings.

    Returns ``(step losses, trained parameters as NumPy arrays)``; ``params`` is untouched.

    Examples:
        >>> X, _, y, _ = load_digits_split()
        >>> step_losses, trained = train_embedding_torch(init_mlp((64, 8, 2)), X, y,
        ...                                              steps=3, classes=(0, 1, 2))
        >>> step_losses.shape, [p.shape for p in trained]
        ((3,), [(64, 8), (8,), (8, 2), (2,)])
    """
    _check_embedding_loss(loss)
    W1, b1, W2, b2 = tensors = [torch.tensor(p, requires_grad=True) for p in params]
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    opt = optim.adam.torch(tensors, lr=lr)
    step_losses = []
    for batch in pk_batches(y.numpy(), classes, per_class, steps, seed):
        batch = torch.from_numpy(batch)
        embeddings = torch.relu(X[batch] @ W1 + b1) @ W2 + b2      # (P, K, 2)
        if loss == "triplet":
            anchor, labels = embeddings.flatten(0, 1), y[batch].reshape(-1)
            positive, negative = map(torch.from_numpy, batch_hard_triplets(
                anchor.detach().numpy(), labels.numpy()))
            value = losses.triplet_margin_loss.torch(anchor, anchor[positive],
                                                     anchor[negative], **loss_options)
        else:
            groups = range(batch.shape[1] // 2)
            value = sum(losses.info_nce_loss.torch(embeddings[:, 2 * j],
                                                   embeddings[:, 2 * j + 1], **loss_options)
                        for j in groups) / len(groups)
        opt.zero_grad()
        value.backward()
        opt.step()
        step_losses.append(value.item())
    return np.array(step_losses), [p.detach().numpy() for p in tensors]
# --8<-- [end:train_embedding_torch]


# --8<-- [start:knn]
def knn_accuracy(train_embeddings, train_labels, test_embeddings, test_labels, k=5):
    """Accuracy of the ``k``-nearest-neighbour vote (Euclidean distance; a tie between
    labels goes to the smallest label): each test embedding takes the most frequent label
    of its ``k`` nearest training embeddings.

    Examples:
        >>> train = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
        >>> knn_accuracy(train, np.array([0, 0, 0, 1, 1]), np.array([[0.05], [4.9]]),
        ...              np.array([0, 1]), k=3)
        1.0
    """
    predicted = []
    for point in test_embeddings:
        squared = np.sum((train_embeddings - point) ** 2, axis=1)
        nearest = np.argsort(squared, kind="stable")[:k]
        predicted.append(np.bincount(train_labels[nearest]).argmax())
    return float(np.mean(np.array(predicted) == test_labels))
# --8<-- [end:knn]
