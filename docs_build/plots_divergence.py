"""Plots of the divergence page: forward and reverse KL fits of one Gaussian to two."""

import numpy as np
from plots import plot

#: The grid and the bimodal distribution of the page's "forward and reverse KL" example.
GRID = np.linspace(-8.0, 8.0, 321)
MIXTURE = ((0.6, -2.0, 0.6), (0.4, 2.0, 0.6))  # (weight, mean, std) of each component
MEANS = np.linspace(-3.0, 3.0, 121)
STDS = np.linspace(0.3, 3.0, 271)


def log_gaussian(mean, std):
    """Log-probabilities of a Gaussian discretised on GRID (normalised over the grid)."""
    from lossref.losses import log_softmax_numpy

    return log_softmax_numpy(-0.5 * ((GRID - mean) / std) ** 2, axis=-1)


def log_mixture():
    return np.logaddexp.reduce(
        [np.log(w) + log_gaussian(mean, std) for w, mean, std in MIXTURE], axis=0)


def fit_gaussian(direction):
    """Grid search for the Gaussian (mean, std) that minimises KL(p ‖ q) ("forward") or
    KL(q ‖ p) ("reverse"), with lossref's kl_div; returns (mean, std, divergence)."""
    from lossref import losses

    log_p = log_mixture()
    best = (np.inf, None, None)
    for mean in MEANS:
        log_q = log_gaussian(mean, STDS[:, None])              # one row per std
        if direction == "forward":                             # target p, model q
            kl = losses.kl_div.numpy(log_q, np.exp(log_p), reduction="none").sum(axis=1)
        else:                                                  # target q, model p
            kl = losses.kl_div.numpy(np.broadcast_to(log_p, log_q.shape), log_q,
                                     reduction="none", log_target=True).sum(axis=1)
        if kl.min() < best[0]:
            best = (kl.min(), mean, STDS[kl.argmin()])
    return best[1], best[2], best[0]


@plot("kl-forward-reverse")
def kl_forward_reverse(fig):
    """A single Gaussian fitted to a two-component mixture by minimising KL(p ‖ q)
    (mass covering: it spans both modes) and KL(q ‖ p) (mode seeking: it picks one)."""
    step = GRID[1] - GRID[0]
    ax = fig.subplots()
    density = np.exp(log_mixture()) / step
    ax.fill_between(GRID, density, color="0.8", label="data $p$ (two Gaussians)")
    for color, direction, text in (("C0", "forward", "forward: min KL$(p \\| q)$"),
                                   ("C3", "reverse", "reverse: min KL$(q \\| p)$")):
        mean, std, _ = fit_gaussian(direction)
        ax.plot(GRID, np.exp(log_gaussian(mean, std)) / step, color=color, lw=2,
                label=f"{text}: $\\mu = {mean:.2f}$, $\\sigma = {std:.2f}$")
    ax.set(xlabel="$x$", ylabel="density", xlim=(-6, 6),
           title="One Gaussian $q$ fitted to a bimodal $p$")
    ax.legend(loc="upper right", fontsize=8)
