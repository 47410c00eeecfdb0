"""Every plot of the site, drawn from the package at build time.

A plot is a function registered with :func:`plot` that draws on a Matplotlib figure.
``render_all`` returns SVG bytes per name; the output is byte-for-byte reproducible
(fixed seeds, fixed SVG hash salt, no date in the metadata).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PLOTS: dict[str, Callable[[plt.Figure], None]] = {}

STYLE = {
    "svg.hashsalt": "lossref",
    "svg.fonttype": "path",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
}


def plot(name: str, size: tuple[float, float] = (7.0, 3.2)):
    """Register ``draw(fig)`` as the plot ``assets/plots/<name>.svg``."""

    def register(draw: Callable[[plt.Figure], None]):
        if name in PLOTS:
            raise ValueError(f"plot {name!r} is defined twice")
        draw.size = size
        PLOTS[name] = draw
        return draw

    return register


def render(name: str) -> bytes:
    draw = PLOTS[name]
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=draw.size, layout="constrained")
        draw(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "lossref"})
        plt.close(fig)
    return buffer.getvalue()


def render_all() -> dict[str, bytes]:
    return {name: render(name) for name in PLOTS}


# ------------------------------------------------------------------ cross-entropy


@plot("cross-entropy-vs-p")
def cross_entropy_vs_p(fig):
    """Loss -log p and its gradient with respect to the true logit, p - 1, against p."""
    from lossref import losses

    p = np.linspace(0.005, 0.995, 400)
    # two-class logits [log(p / (1 - p)), 0] whose softmax gives probability p to class 0
    logits = np.stack([np.log(p) - np.log1p(-p), np.zeros_like(p)], axis=1)
    target = np.zeros(len(p), dtype=np.int64)
    loss = losses.cross_entropy.numpy(logits, target, reduction="none")
    (grad,) = losses.cross_entropy.grad(logits, target, reduction="sum")
    left, right = fig.subplots(1, 2)
    left.plot(p, loss, color="C0")
    left.set(xlabel="probability of the true class $p_y$", ylabel="loss $-\\log p_y$",
             title="Cross-entropy", ylim=(0, 5.5))
    right.plot(p, grad[:, 0], color="C3")
    right.set(xlabel="probability of the true class $p_y$",
              ylabel="$\\partial \\ell / \\partial z_y = p_y - 1$",
              title="Gradient on the true logit", ylim=(-1.05, 0.05))
