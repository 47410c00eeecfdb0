"""Plots of the soft margin page: losses of the margin m = y x and their derivatives."""

import numpy as np
from plots import plot

MARGIN = np.linspace(-3.0, 3.0, 601)


def _soft_margin(m):
    """lossref's soft margin and its derivative with respect to the margin: with y = 1
    the input x is the margin itself."""
    from lossref import losses

    ones = np.ones_like(m)
    loss = losses.soft_margin_loss.numpy(m, ones, reduction="none")
    (grad,) = losses.soft_margin_loss.grad(m, ones, reduction="none")
    return loss, grad


def _piecewise(ax, m, values, jumps, **style):
    """Plot a piecewise function without drawing its jumps as steep lines."""
    values = np.array(values, dtype=float)
    for jump in jumps:
        values[np.isclose(m, jump)] = np.nan
    ax.plot(m, values, **style)


@plot("soft-margin-vs-margin", size=(7.0, 3.8))
def soft_margin_vs_margin(fig):
    """The soft margin log(1 + e^-m), the hinge max(0, 1 - m), the perceptron loss
    max(0, -m) and the 0-1 loss against the margin m = y x; right: their derivatives."""
    m = MARGIN
    soft, soft_grad = _soft_margin(m)
    hinge, perceptron = np.maximum(0.0, 1.0 - m), np.maximum(0.0, -m)
    zero_one = (m <= 0).astype(float)
    left, right = fig.subplots(1, 2)
    _piecewise(left, m, zero_one, [0.0], color="0.35", lw=3.0, label="0-1: $[m \\leq 0]$")
    left.plot(m, perceptron, color="C2", label="perceptron: $\\max(0, -m)$")
    left.plot(m, hinge, color="C1", label="hinge: $\\max(0, 1 - m)$")
    left.plot(m, soft, color="C0", lw=2.0, label="soft margin: $\\log(1 + e^{-m})$")
    left.plot(m, soft / np.log(2.0), color="C0", ls="--", lw=1.0,
              label="soft margin in bits: $\\log_2(1 + e^{-m})$")
    left.set(xlabel="margin $m = y x$", ylabel="loss", title="Losses of the margin",
             ylim=(-0.1, 4.6))
    left.legend(loc="upper right", fontsize=7)
    # where the two step functions overlap, the dashed hinge is drawn over the perceptron
    _piecewise(right, m, -(m <= 0).astype(float), [0.0], color="C2", lw=3.0,
               label="perceptron: $-[m < 0]$")
    _piecewise(right, m, -(m <= 1).astype(float), [1.0], color="C1", ls="--", lw=1.5,
               label="hinge: $-[m < 1]$")
    right.plot(m, soft_grad, color="C0", lw=2.0, label="soft margin: $-\\sigma(-m)$")
    right.set(xlabel="margin $m = y x$", ylabel="$d\\ell / dm$",
              title="Derivatives with respect to $m$", ylim=(-1.15, 0.15))
    right.legend(loc="center right", bbox_to_anchor=(1.0, 0.42), fontsize=7)
