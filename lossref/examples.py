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
    "fit_line",
    "heteroscedastic_line",
    "init_mlp",
    "line_with_outliers",
    "load_digits_split",
    "minibatches",
    "mlp_forward",
    "mlp_loss_and_grads",
    "train_mlp_numpy",
    "train_mlp_torch",
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
