"""Every plot of the site, drawn from the package at build time.

A plot is a function registered with :func:`plot` that draws on a Matplotlib figure.
Plots live in ``plots_<family>.py`` modules beside this one, one module per family.
``render_all`` returns SVG bytes per name; the output is byte-for-byte reproducible
(fixed seeds, fixed SVG hash salt, no date in the metadata).
"""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

# Plots run small torch loops: one intra-op thread avoids torch's thread pool spinning
# against other processes on a 2-core machine (seen: 63 s instead of 0.3 s for a plot).
torch.set_num_threads(1)

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


def load_all() -> None:
    """Import every ``plots_<family>.py`` beside this file; each registers its plots."""
    # by path, not through sys.path: MkDocs restores sys.path after loading the hooks
    for path in sorted(Path(__file__).parent.glob("plots_*.py")):
        if path.stem in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)


def render_all() -> dict[str, bytes]:
    load_all()
    return {name: render(name) for name in PLOTS}
