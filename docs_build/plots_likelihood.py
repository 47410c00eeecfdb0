"""Plots of the likelihood regression pages: Poisson NLL and Gaussian NLL."""

import numpy as np
from plots import plot


@plot("poisson-nll-vs-log-rate")
def poisson_nll_vs_log_rate(fig):
    """Poisson NLL (log_input=True) against the predicted log-rate z, for several counts y,
    and its gradient exp(z) - y. Each curve has its minimum at z = log y."""
    from lossref import losses

    z = np.linspace(-3.0, 3.0, 400)
    left, right = fig.subplots(1, 2)
    for color, y in zip(("C0", "C1", "C2", "C3"), (0.0, 1.0, 3.0, 8.0)):
        target = np.full_like(z, y)
        loss = losses.poisson_nll_loss.numpy(z, target, reduction="none")
        (grad,) = losses.poisson_nll_loss.grad(z, target, reduction="none")
        left.plot(z, loss, color=color, label=f"$y = {y:g}$")
        right.plot(z, grad, color=color, label=f"$y = {y:g}$")
        if y > 0:
            left.plot([np.log(y)], [y - y * np.log(y)], "o", color=color, ms=4)
    left.set(xlabel="predicted log-rate $z = \\log\\lambda$", ylabel="$e^{z} - y z$",
             title="Poisson NLL (log_input=True)", ylim=(-12, 22))
    right.set(xlabel="predicted log-rate $z$", ylabel="$\\partial \\ell / \\partial z = e^{z} - y$",
              title="Gradient", ylim=(-9, 15))
    right.axhline(0, color="0.3", lw=0.8)
    left.legend(loc="upper left", fontsize=8)


@plot("gaussian-nll-vs-var")
def gaussian_nll_vs_var(fig):
    """Gaussian NLL against the predicted variance for several residuals: the minimum is at
    var = r^2. For r = 0 the loss falls without bound until the eps clamp stops it."""
    from lossref import losses

    var = np.logspace(-8, 2, 500)
    left, right = fig.subplots(1, 2)
    for color, r in zip(("C0", "C1", "C2", "C3"), (0.0, 0.5, 1.0, 3.0)):
        mean, target = np.zeros_like(var), np.full_like(var, r)
        loss = losses.gaussian_nll_loss.numpy(mean, target, var, reduction="none")
        _, d_var = losses.gaussian_nll_loss.grad(mean, target, var, reduction="none")
        left.semilogx(var, loss, color=color, label=f"$|y - \\mu| = {r:g}$")
        right.semilogx(var, var * d_var, color=color, label=f"$|y - \\mu| = {r:g}$")
        if r > 0:
            left.plot([r * r], [np.log(r * r) / 2 + 0.5], "o", color=color, ms=4)
    for ax in (left, right):
        ax.axvline(1e-6, color="0.3", lw=0.8, ls="--")
        ax.axvspan(1e-8, 1e-6, color="0.85", lw=0)
    left.set(xlabel="predicted variance $\\sigma^2$ (eps = 1e-6 dashed)",
             ylabel="$\\frac{1}{2}(\\log \\sigma^2 + (y - \\mu)^2 / \\sigma^2)$",
             title="Gaussian NLL", ylim=(-8, 6))
    right.set(xlabel="predicted variance $\\sigma^2$",
              ylabel="$\\sigma^2 \\, \\partial \\ell / \\partial \\sigma^2$",
              title="Gradient w.r.t. $\\sigma^2$, times $\\sigma^2$", ylim=(-5, 1))
    right.axhline(0, color="0.3", lw=0.8)
    left.legend(loc="upper left", fontsize=8)
