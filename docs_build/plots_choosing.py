"""Plots of the log-cosh, quantile and robust pages, of "Choosing a regression loss" and of
the line-fit example. Every curve is computed by the package's ``.numpy`` and ``.grad``;
the fitted lines by :func:`lossref.examples.fit_line`, the function the pages call."""

import numpy as np
from plots import plot

RESIDUAL = np.linspace(-6.0, 6.0, 1201)  # r = prediction - target


def _curves():
    """(label, loss record, keyword arguments, style) of every loss on the residual axis."""
    from lossref import losses

    return [
        ("MSE", losses.mse_loss, {}, {"color": "C0"}),
        ("L1 (MAE)", losses.l1_loss, {}, {"color": "C1"}),
        ("Smooth L1, $\\beta=1$", losses.smooth_l1_loss, {"beta": 1.0},
         {"color": "C2", "linestyle": (0, (6, 2))}),
        ("Huber, $\\delta=1$", losses.huber_loss, {"delta": 1.0},
         {"color": "C3", "linestyle": (0, (1, 1.5)), "linewidth": 2.2}),
        ("log-cosh", losses.log_cosh_loss, {}, {"color": "C4"}),
        ("quantile, $\\tau=0.5$", losses.quantile_loss, {"quantile": 0.5},
         {"color": "C5", "linestyle": "--"}),
        ("quantile, $\\tau=0.9$", losses.quantile_loss, {"quantile": 0.9}, {"color": "C6"}),
        ("Tukey, $c=4.685$", losses.tukey_biweight_loss, {}, {"color": "C7"}),
    ]


def _loss_and_grad(record, r, **kwargs):
    """Per-element loss and derivative with respect to the prediction, target 0."""
    target = np.zeros_like(r)
    value = record.numpy(r, target, reduction="none", **kwargs)
    (grad,) = record.grad(r, target, reduction="none", **kwargs)
    return value, grad


@plot("regression-losses", size=(8.0, 4.2))
def regression_losses(fig):
    ax = fig.subplots()
    for label, record, kwargs, style in _curves():
        value, _ = _loss_and_grad(record, RESIDUAL, **kwargs)
        ax.plot(RESIDUAL, value, label=label, **style)
    ax.set(xlabel="residual $r = \\hat y - y$ (prediction minus target)", ylabel="loss",
           title="Regression losses against the residual", ylim=(-0.1, 6.0), xlim=(-6, 6))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))


@plot("regression-gradients", size=(8.0, 4.2))
def regression_gradients(fig):
    ax = fig.subplots()
    for label, record, kwargs, style in _curves():
        _, grad = _loss_and_grad(record, RESIDUAL, **kwargs)
        ax.plot(RESIDUAL, grad, label=label, **style)
    ax.set(xlabel="residual $r = \\hat y - y$ (prediction minus target)",
           ylabel="$\\partial \\ell / \\partial \\hat y$",
           title="Their gradients with respect to the prediction", ylim=(-3.2, 3.2),
           xlim=(-6, 6))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))


@plot("log-cosh")
def log_cosh(fig):
    from lossref import losses

    r = np.linspace(-4.0, 4.0, 801)
    value, grad = _loss_and_grad(losses.log_cosh_loss, r)
    _, huber_grad = _loss_and_grad(losses.huber_loss, r, delta=1.0)
    left, right = fig.subplots(1, 2)
    left.plot(r, value, color="C4", label="$\\log\\cosh r$")
    left.plot(r, r**2 / 2, color="C0", linestyle="--", label="$r^2/2$")
    left.plot(r, np.abs(r) - np.log(2), color="C1", linestyle=":", label="$|r| - \\log 2$")
    left.set(xlabel="residual $r$", ylabel="loss", title="Log-cosh and its two regimes",
             ylim=(-0.8, 4.0))
    left.legend(fontsize=8)
    right.plot(r, grad, color="C4", label="log-cosh: $\\tanh r$")
    right.plot(r, huber_grad, color="C3", linestyle="--", label="Huber $\\delta=1$")
    right.set(xlabel="residual $r$", ylabel="$\\partial \\ell / \\partial \\hat y$",
              title="Gradient: bounded and smooth", ylim=(-1.2, 1.2))
    right.legend(fontsize=8)


@plot("quantile-pinball")
def quantile_pinball(fig):
    from lossref import losses

    r = np.linspace(-3.0, 3.0, 601)
    left, right = fig.subplots(1, 2)
    for i, tau in enumerate((0.1, 0.5, 0.9)):
        value, grad = _loss_and_grad(losses.quantile_loss, r, quantile=tau)
        left.plot(r, value, color=f"C{i}", label=f"$\\tau={tau}$")
        right.plot(r, grad, color=f"C{i}", label=f"$\\tau={tau}$")
    left.set(xlabel="residual $r = \\hat y - y$", ylabel="pinball loss",
             title="Pinball loss: asymmetric for $\\tau \\neq 0.5$")
    right.set(xlabel="residual $r = \\hat y - y$", ylabel="$\\partial \\ell / \\partial \\hat y$",
              title="Gradient: a step from $-\\tau$ to $1-\\tau$", ylim=(-1.05, 1.05))
    left.legend(fontsize=8)
    right.legend(fontsize=8)


@plot("quantile-intervals", size=(7.0, 3.8))
def quantile_intervals(fig):
    from lossref import losses
    from lossref.examples import fit_line, heteroscedastic_line

    x, y = heteroscedastic_line(n=2000, seed=0)
    z = {0.05: -1.6448536269514722, 0.5: 0.0, 0.95: 1.6448536269514722}
    ax = fig.subplots()
    ax.scatter(x, y, s=3, color="0.6", alpha=0.6, label="data")
    grid = np.linspace(0.0, 1.0, 2)
    for i, tau in enumerate((0.05, 0.5, 0.95)):
        fit = fit_line(losses.quantile_loss, x, y, steps=2000, lr=0.5, quantile=tau)
        ax.plot(grid, fit.slope * grid + fit.intercept, color=f"C{i}",
                label=f"fitted $\\tau={tau}$")
        ax.plot(grid, 1 + 2 * grid + (0.2 + grid) * z[tau], color=f"C{i}", linestyle=":",
                linewidth=1.2)
    ax.set(xlabel="$x$", ylabel="$y$",
           title="Linear quantile regression (dotted: true conditional quantiles)")
    ax.legend(fontsize=8, loc="upper left")


@plot("robust-influence")
def robust_influence(fig):
    from lossref import losses

    r = np.linspace(-8.0, 8.0, 1601)
    curves = [
        ("MSE", losses.mse_loss, {}, "C0"),
        ("L1", losses.l1_loss, {}, "C1"),
        ("Huber $\\delta=1.345$", losses.huber_loss, {"delta": 1.345}, "C3"),
        ("Tukey $c=4.685$", losses.tukey_biweight_loss, {"c": 4.685}, "C7"),
    ]
    left, right = fig.subplots(1, 2)
    for label, record, kwargs, color in curves:
        value, grad = _loss_and_grad(record, r, **kwargs)
        left.plot(r, value, color=color, label=label)
        right.plot(r, grad, color=color, label=label)
    left.set(xlabel="residual $r$", ylabel="$\\rho(r)$", title="Loss", ylim=(-0.2, 8.0))
    right.set(xlabel="residual $r$", ylabel="$\\psi(r) = \\rho'(r)$",
              title="Influence: $\\psi$ of each loss", ylim=(-2.5, 2.5))
    right.legend(fontsize=8)


@plot("line-fit-outliers", size=(8.0, 3.8))
def line_fit_outliers(fig):
    from lossref import losses
    from lossref.examples import fit_line, line_with_outliers

    x, y, is_outlier = line_with_outliers(n=100, outlier_fraction=0.1, seed=0)
    ax = fig.subplots()
    ax.scatter(x[~is_outlier], y[~is_outlier], s=10, color="0.4", label="data")
    ax.scatter(x[is_outlier], y[is_outlier], s=18, color="C3", marker="x", label="outliers")
    grid = np.linspace(0.0, 1.0, 2)
    ax.plot(grid, 2 * grid + 1, color="black", linestyle=":", label="true line $2x + 1$")
    fits = [("MSE", losses.mse_loss, {}, "C0"), ("L1", losses.l1_loss, {}, "C1"),
            ("Huber $\\delta=1$", losses.huber_loss, {"delta": 1.0}, "C2")]
    for label, record, kwargs, color in fits:
        fit = fit_line(record, x, y, steps=3000, lr=0.1, **kwargs)
        ax.plot(grid, fit.slope * grid + fit.intercept, color=color,
                label=f"{label}: slope {fit.slope:.2f}")
    ax.set(xlabel="$x$", ylabel="$y$", title="Fitting a line with 10% gross outliers")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
