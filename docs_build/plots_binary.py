"""Plots of the binary cross-entropy and "why not MSE for classification" pages."""

import numpy as np
from plots import plot

LOGIT = np.linspace(-8.0, 8.0, 641)


def _bce_on_logits(z, label):
    """Per-element loss and gradient of binary cross-entropy with logits, one label."""
    from lossref import losses

    y = np.full_like(z, label)
    loss = losses.binary_cross_entropy_with_logits.numpy(z, y, reduction="none")
    (grad,) = losses.binary_cross_entropy_with_logits.grad(z, y, reduction="none")
    return loss, grad


@plot("bce-vs-logit")
def bce_vs_logit(fig):
    """softplus(-z) for y = 1 and softplus(z) for y = 0, and their gradient sigmoid(z) - y:
    linear on the wrong side, flat on the right side; the gradient stays within (-1, 1)."""
    left, right = fig.subplots(1, 2)
    for label, color in ((1.0, "C0"), (0.0, "C3")):
        loss, grad = _bce_on_logits(LOGIT, label)
        left.plot(LOGIT, loss, color=color, label=f"$y = {label:g}$")
        right.plot(LOGIT, grad, color=color, label=f"$y = {label:g}$")
    left.set(xlabel="logit $z$", ylabel="loss $\\ell(z, y)$", title="Loss", ylim=(0, 8.2))
    right.set(xlabel="logit $z$", ylabel="$\\partial \\ell / \\partial z = \\sigma(z) - y$",
              title="Gradient: bounded by 1", ylim=(-1.05, 1.05))
    left.legend(loc="upper center")
    right.legend(loc="upper left")


def _exact_softplus(z):
    """softplus(z) = log(1 + e^z) in 50-digit arithmetic (mpmath comes with torch)."""
    import mpmath

    with mpmath.workdps(50):
        return np.array([float(mpmath.log1p(mpmath.exp(mpmath.mpf(float(v))))) for v in z])


def _naive_bce(z, y):
    """-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], written as in many tutorials."""
    with np.errstate(all="ignore"):
        p = 1.0 / (1.0 + np.exp(-z))
        return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def relative_errors(z):
    """Relative error of lossref, torch's builtin and the naive formula, target 0 (the loss
    is softplus(z)), float64; non-finite results are returned as inf."""
    import torch

    from lossref import losses

    y = np.zeros_like(z)
    exact = _exact_softplus(z)
    results = {
        "lossref": losses.binary_cross_entropy_with_logits.numpy(z, y, reduction="none"),
        "torch builtin": torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(z), torch.tensor(y), reduction="none").numpy(),
        "naive formula": _naive_bce(z, y),
    }
    errors = {}
    for name, value in results.items():
        with np.errstate(invalid="ignore"):
            error = np.abs(value - exact) / exact
        errors[name] = np.where(np.isfinite(value), error, np.inf)
    return errors


@plot("bce-relative-error", size=(7.0, 3.6))
def bce_relative_error(fig):
    """Relative error against mpmath of three ways to compute the loss for target 0.
    Exact results sit on the floor; inf and nan are drawn at the top."""
    z = np.linspace(-60.0, 60.0, 241)
    floor, top = 1e-18, 1e3
    ax = fig.subplots()
    styles = {"naive formula": ("C3", "o", 5.0), "torch builtin": ("C1", "s", 3.2),
              "lossref": ("C0", "D", 2.2)}
    errors = relative_errors(z)
    for name, (color, marker, size) in styles.items():  # lossref last, on top
        error = errors[name]
        shown = np.where(np.isfinite(error), np.maximum(error, floor), top)
        ax.plot(z, shown, marker, color=color, ms=size, ls="none", label=name)
    ax.axhline(2.0**-53, color="0.5", lw=0.8, ls="--")
    ax.text(-59, 2.0**-53 * 3, "unit roundoff, $2^{-53}$", fontsize=8, color="0.35")
    ax.text(-59, floor * 3, "exact", fontsize=8, color="0.35")
    ax.text(59, top / 12, "inf or nan", fontsize=8, color="0.35", ha="right")
    ax.set(yscale="log", ylim=(floor / 4, top * 6), xlim=(-61, 61),
           xlabel="logit $z$ (target $y = 0$: the loss is $\\log(1 + e^{z})$)",
           ylabel="relative error",
           title="Binary cross-entropy with logits, float64, against 50-digit arithmetic")
    ax.legend(loc="center left", fontsize=8)


@plot("why-not-mse-gradients")
def why_not_mse_gradients(fig):
    """|d loss / dz| for target 1 of sigmoid + BCE (1 - sigmoid(z)) and of sigmoid + squared
    error (2 (1 - sigmoid) sigmoid (1 - sigmoid)): the second vanishes when confidently
    wrong (z -> -inf)."""
    from lossref import losses
    from lossref.losses._sigmoid import sigmoid_numpy

    z = np.linspace(-12.0, 6.0, 721)
    y = np.ones_like(z)
    (bce,) = losses.binary_cross_entropy_with_logits.grad(z, y, reduction="none")
    p = sigmoid_numpy(z)
    (mse_p,) = losses.mse_loss.grad(p, y, reduction="sum")
    mse = mse_p * p * (1 - p)  # chain rule through the sigmoid
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        ax.plot(z, np.abs(bce), color="C3", label="BCE: $1 - \\sigma(z)$")
        ax.plot(z, np.abs(mse), color="C0",
                label="MSE on $\\sigma$: $2(1 - \\sigma)\\,\\sigma(1 - \\sigma)$")
        ax.axvspan(z[0], 0, color="0.85", alpha=0.4, lw=0)
        ax.set(xlabel="logit $z$ (target $y = 1$; shaded: misclassified)",
               ylabel="$|\\partial \\ell / \\partial z|$")
    left.set(title="Linear scale", ylim=(0, 1.05))
    left.legend(loc="center left", fontsize=8)
    right.set(yscale="log", title="Log scale", ylim=(1e-6, 2))


def train_logistic(kind, w0=-6.0, lr=1.0, steps=400, seed=0):
    """The run of the "why not MSE" page: a 1-D logistic model z = w x + b, started at a
    confidently wrong slope, trained by gradient descent on BCE or on MSE of sigmoid(z)."""
    from lossref import losses
    from lossref.losses._sigmoid import sigmoid_numpy

    rng = np.random.default_rng(seed)
    x = rng.normal(size=200)
    y = (x + 0.5 * rng.normal(size=200) > 0).astype(float)
    w, b = w0, 0.0
    history = []
    for _ in range(steps + 1):
        z = w * x + b
        history.append((losses.binary_cross_entropy_with_logits.numpy(z, y),
                        float(np.mean((z > 0) == (y == 1)))))
        if kind == "bce":
            (g,) = losses.binary_cross_entropy_with_logits.grad(z, y)
        else:
            p = sigmoid_numpy(z)
            (g,) = losses.mse_loss.grad(p, y)
            g = g * p * (1 - p)
        w, b = w - lr * float(g @ x), b - lr * float(g.sum())
    return np.array(history)


@plot("why-not-mse-training")
def why_not_mse_training(fig):
    """Cross-entropy and accuracy along the two runs of the page."""
    left, right = fig.subplots(1, 2)
    for kind, color, label in (("bce", "C3", "trained on BCE"),
                               ("mse", "C0", "trained on MSE of $\\sigma(z)$")):
        history = train_logistic(kind)
        steps = np.arange(len(history))
        left.plot(steps, history[:, 0], color=color, label=label)
        right.plot(steps, history[:, 1], color=color, label=label)
    left.set(xlabel="gradient step", ylabel="binary cross-entropy", title="Loss (BCE)",
             ylim=(0, 4.8))
    right.set(xlabel="gradient step", ylabel="training accuracy", title="Accuracy",
              ylim=(0, 1))
    left.legend(loc="upper right", fontsize=8)
