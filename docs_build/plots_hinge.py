"""Plots of the hinge page: what the binary margin losses estimate (their expected loss and
its minimiser), and the expected multi-class hinges when no class has a majority."""

import numpy as np
from plots import plot

SCORES = np.linspace(-3.0, 3.0, 6001)   # step 0.001: holds -1, 0 and 1 exactly
WIDE = np.linspace(-5.0, 5.0, 10001)    # for the log-odds of q in [0.01, 0.99]


def _expected(name, q, c, **kwargs):
    """q loss(c, 1) + (1 - q) loss(c, -1): the expected loss of the constant score c
    when the label is 1 with probability q, from lossref's record ``name``."""
    from lossref import losses

    loss = losses.get(name)
    ones = np.ones_like(c)
    return (q * loss.numpy(c, ones, reduction="none", **kwargs)
            + (1 - q) * loss.numpy(c, -ones, reduction="none", **kwargs))


BINARY = (  # record, label, colour
    ("hinge_loss", "hinge $\\max(0, 1 - m)$", "C1"),
    ("squared_hinge_loss", "squared hinge $\\max(0, 1 - m)^2$", "C3"),
    ("soft_margin_loss", "logistic $\\log(1 + e^{-m})$", "C0"),
    ("perceptron_loss", "perceptron $\\max(0, -m)$", "C2"),
)


@plot("hinge-expected-loss", size=(7.0, 3.6))
def hinge_expected_loss(fig):
    """Left: the expected loss of a constant score c when P(Y = 1) = 0.7, each minimiser
    marked. Right: the minimiser against P(Y = 1) = q: a step for the hinge (the sign
    only), a line 2q - 1 for the squared hinge, the log-odds for the logistic loss."""
    left, right = fig.subplots(1, 2)
    c = SCORES
    for name, label, colour in BINARY:
        risk = _expected(name, 0.7, c)
        best = np.argmin(risk)
        left.plot(c, risk, color=colour, label=label)
        left.plot(c[best], risk[best], "o", color=colour, ms=5)
    left.set(xlabel="score $c$", ylabel="$0.7\\,\\ell(c, 1) + 0.3\\,\\ell(c, -1)$",
             title="Expected loss, $P(Y = 1) = 0.7$", ylim=(0.0, 2.6))
    left.legend(loc="lower left", fontsize=7)
    q = np.linspace(0.01, 0.99, 99)
    q = q[~np.isclose(q, 0.5)]               # at q = 1/2 the hinge has a whole interval
    for name, label, colour in BINARY:
        minimisers = np.array([WIDE[np.argmin(_expected(name, qi, WIDE))] for qi in q])
        width = 2.5 if name == "hinge_loss" else 1.5
        # two pieces, so that the hinge's jump at q = 1/2 is not drawn as a line
        for piece, legend in ((q < 0.5, label.split(" $")[0]), (q > 0.5, None)):
            right.plot(q[piece], minimisers[piece], color=colour, lw=width, label=legend)
    right.set(xlabel="$q = P(Y = 1)$", ylabel="minimiser of the expected loss",
              title="What the score estimates", ylim=(-5.2, 5.2))
    right.legend(loc="upper left", fontsize=7)


def _expected_multiclass(name, q, scores):
    """sum_y q_y loss(scores, y) for every row of ``scores`` (shape (K, 3)): the expected
    loss of constant scores when the class is y with probability q_y."""
    from lossref import losses

    loss = losses.get(name)
    rows = len(scores)
    return sum(q_y * loss.numpy(scores, np.full(rows, y), reduction="none")
               for y, q_y in enumerate(q))


@plot("hinge-multiclass-consistency", size=(7.0, 3.3))
def hinge_multiclass_consistency(fig):
    """The expected Crammer-Singer loss over scores (c_0, c_1, 0) for a distribution with a
    majority class, q = (0.6, 0.25, 0.15), and one without, q = (0.4, 0.35, 0.25); the
    minimiser is marked. Only differences of scores matter, so c_2 = 0 loses nothing."""
    grid = np.linspace(-2.0, 2.0, 81)     # step 0.05: holds every kink
    c0, c1 = np.meshgrid(grid, grid, indexing="ij")
    scores = np.stack([c0.ravel(), c1.ravel(), np.zeros(c0.size)], axis=1)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, q in zip(axes, ((0.6, 0.25, 0.15), (0.4, 0.35, 0.25))):
        risk = _expected_multiclass("multiclass_hinge_loss", q, scores).reshape(c0.shape)
        image = ax.contourf(c0, c1, risk, levels=np.linspace(0.5, 3.5, 13), cmap="viridis",
                            extend="max")
        ax.contour(c0, c1, risk, levels=np.linspace(0.5, 3.5, 13), colors="white",
                   linewidths=0.4)
        i, j = np.unravel_index(np.argmin(risk), risk.shape)
        ax.plot(grid[i], grid[j], "o", color="C3", ms=7,
                label=f"minimiser ({grid[i]:.0f}, {grid[j]:.0f}, 0)")
        ax.plot(grid, grid, color="white", ls=":", lw=1.0, label="$c_0 = c_1$")
        ax.set(xlabel="$c_0 - c_2$", title=f"$q = {q}$", aspect="equal")
        ax.legend(loc="lower left", fontsize=7)
    axes[0].set(ylabel="$c_1 - c_2$")
    fig.colorbar(image, ax=axes, shrink=0.8, label="expected Crammer–Singer loss")
