"""Plots of the MSE, L1, Smooth L1 and Huber pages."""

import numpy as np
from plots import plot

RESIDUAL = np.linspace(-3.0, 3.0, 601)
# the data of the MSE and L1 pages: five clean values, then the last one replaced by 50
CLEAN = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
OUTLIER = np.array([1.0, 2.0, 3.0, 4.0, 50.0])


def _per_residual(record, residual=RESIDUAL, **kwargs):
    """Per-element loss and its derivative against the residual ``input - target``."""
    zero = np.zeros_like(residual)
    loss = record.numpy(residual, zero, reduction="none", **kwargs)
    (grad,) = record.grad(residual, zero, reduction="none", **kwargs)
    return loss, grad


def _axes_labels(left, right, name, derivative):
    left.set(xlabel="residual $r = \\hat y - y$", ylabel=name)
    right.set(xlabel="residual $r = \\hat y - y$", ylabel=derivative)


@plot("mse-loss-gradient")
def mse_loss_gradient(fig):
    """Squared error r^2 and its derivative 2r: the pull grows with the residual."""
    from lossref import losses

    loss, grad = _per_residual(losses.mse_loss)
    left, right = fig.subplots(1, 2)
    left.plot(RESIDUAL, loss, color="C0")
    right.plot(RESIDUAL, grad, color="C3")
    _axes_labels(left, right, "loss $r^2$", "derivative $2r$")
    left.set_title("Squared error")
    right.set_title("Derivative: unbounded")


@plot("l1-loss-gradient")
def l1_loss_gradient(fig):
    """Absolute error |r| and its subgradient sign(r), 0 at r = 0 as in torch."""
    from lossref import losses

    loss, grad = _per_residual(losses.l1_loss)
    left, right = fig.subplots(1, 2)
    left.plot(RESIDUAL, loss, color="C0")
    negative, positive = RESIDUAL < 0, RESIDUAL > 0
    right.plot(RESIDUAL[negative], grad[negative], color="C3")
    right.plot(RESIDUAL[positive], grad[positive], color="C3")
    (at_zero,) = losses.l1_loss.grad(np.zeros(1), np.zeros(1), reduction="sum")
    right.plot([0.0], at_zero, "o", color="C3", label="value used at $r=0$: 0")
    right.plot([0.0, 0.0], [-1.0, 1.0], "o", mfc="white", color="C3")
    right.legend(loc="center right", fontsize=8)
    _axes_labels(left, right, "loss $|r|$", "subgradient $\\operatorname{sign}(r)$")
    left.set_title("Absolute error")
    right.set_title("Subgradient: bounded, jumps at 0")


@plot("mean-vs-median-outlier", size=(7.0, 3.4))
def mean_vs_median_outlier(fig):
    """Average squared and absolute error of a constant c, with and without one outlier."""
    from lossref import losses

    c = np.linspace(-5.0, 60.0, 1301)
    left, right = fig.subplots(1, 2)
    for ax, record, stat, name in ((left, losses.mse_loss, np.mean, "MSE"),
                                   (right, losses.l1_loss, np.median, "MAE")):
        for y, style, label in ((CLEAN, "C0", "clean data"), (OUTLIER, "C3", "one value 5 → 50")):
            curve = [float(record.numpy(np.full_like(y, ci), y)) for ci in c]
            ax.plot(c, curve, color=style, label=label)
            ax.axvline(stat(y), color=style, ls="--", lw=1)
        ax.set(xlabel="constant prediction $c$", ylabel=f"{name} of $c$",
               title=f"{name}: minimised at the {stat.__name__}", yscale="log")
        ax.legend(loc="lower right", fontsize=8)


@plot("smooth-l1-huber", size=(7.0, 5.6))
def smooth_l1_huber(fig):
    """Smooth L1 for several beta, Huber for several delta, and their derivatives."""
    from lossref import losses

    r = np.linspace(-4.0, 4.0, 801)
    axes = fig.subplots(2, 2)
    for beta, color in ((0.0, "C7"), (0.5, "C0"), (1.0, "C1"), (2.0, "C2")):
        loss, grad = _per_residual(losses.smooth_l1_loss, r, beta=beta)
        label = "β = 0 (L1)" if beta == 0 else f"β = {beta}"
        axes[0, 0].plot(r, loss, color=color, label=label)
        if beta == 0:  # a jump, not a steep line
            grad = np.where(r == 0, np.nan, grad)
        axes[0, 1].plot(r, grad, color=color, label=label)
    for delta, color in ((0.5, "C0"), (1.0, "C1"), (3.0, "C2")):
        loss, grad = _per_residual(losses.huber_loss, r, delta=delta)
        axes[1, 0].plot(r, loss, color=color, label=f"δ = {delta}")
        axes[1, 1].plot(r, grad, color=color, label=f"δ = {delta}")
    axes[1, 0].plot(r, 0.5 * r**2, color="C7", ls=":", label="$r^2/2$")
    axes[0, 0].set(title="Smooth L1", ylabel="loss")
    axes[0, 1].set(title="Smooth L1 slope: clip(r, ±β)/β", ylabel="derivative")
    axes[1, 0].set(title="Huber", ylabel="loss", xlabel="residual $r$", ylim=(-0.2, 8.2))
    axes[1, 1].set(title="Huber slope: clip(r, ±δ)", ylabel="derivative",
                   xlabel="residual $r$")
    axes[0, 0].legend(fontsize=8, loc="upper center")
    axes[1, 0].legend(fontsize=8, loc="upper center")
    axes[0, 1].legend(fontsize=8, loc="upper left")
    axes[1, 1].legend(fontsize=8, loc="upper left")
