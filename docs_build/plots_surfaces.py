"""Every registered optimizer on the four surfaces of ``lossref.surfaces``.

For each optimizer record: ``optim-<name>-surfaces`` (its trajectory on each surface, at
the learning rate of the sweep that ends lowest) and ``optim-<name>-lr`` (the final gap
``f - min f`` after the fixed number of steps, against the learning rate). For the
comparison page: ``optim-compare-<surface>``, every optimizer on one surface. A record
registered later gets its plots without an edit here.
"""

import numpy as np
from plots import plot

from lossref.registry import OPTIMIZERS
from lossref.surfaces import LEARNING_RATES, STEPS, SURFACES, best_lr, final_gap, trajectory

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:gray", "tab:olive", "tab:cyan")
FLOOR = 1e-16  # gaps below it are drawn at it: a log axis has no 0
CEILING = 1e4  # gaps above it (or runs that overflowed) are drawn as crosses at it


def _contours(ax, surface):
    x0, x1, y0, y1 = surface.extent
    xg, yg = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y0, y1, 200))
    z = surface.value(np.stack([xg, yg], axis=-1)) - surface.minimum
    levels = np.geomspace(max(float(z.min()), 1e-3) + 1e-3, float(z.max()), 14)
    ax.contour(xg, yg, z + 1e-3, levels=levels, colors="0.8", linewidths=0.7)
    ax.set(xlim=(x0, x1), ylim=(y0, y1))


def _path(ax, record, surface, color, label=None):
    lr = best_lr(record, surface)
    path = trajectory(record, surface, lr)
    ax.plot(path[:, 0], path[:, 1], "-", lw=1.2, color=color,
            label=label if label else f"lr {lr:.2g}")
    ax.plot(*path[0], "ko", ms=3)


def _register(record):
    @plot(f"optim-{record.name}-surfaces", size=(7.5, 5.6))
    def surfaces(fig):
        axes = fig.subplots(2, 2).ravel()
        for ax, surface in zip(axes, SURFACES.values(), strict=True):
            _contours(ax, surface)
            _path(ax, record, surface, "tab:blue")
            ax.set_title(surface.title, fontsize=9)
            ax.legend(fontsize=7, loc="upper right")
        fig.suptitle(f"{record.title}: {STEPS} steps at the best learning rate of the sweep",
                     fontsize=10)

    @plot(f"optim-{record.name}-lr", size=(6.5, 3.4))
    def learning_rates(fig):
        ax = fig.subplots()
        for surface, color in zip(SURFACES.values(), COLORS, strict=False):
            gaps = np.array([final_gap(record, surface, lr) for lr in LEARNING_RATES])
            diverged = ~(gaps <= CEILING)
            shown = np.where(diverged, np.nan, np.maximum(gaps, FLOOR))
            ax.loglog(LEARNING_RATES, shown, "o-", ms=3, color=color, label=surface.name)
            lrs = np.array(LEARNING_RATES)[diverged]
            ax.plot(lrs, np.full(len(lrs), CEILING), "x", ms=5, color=color)
        ax.set(xlabel="learning rate", ylabel=f"$f - \\min f$ after {STEPS} steps",
               ylim=(FLOOR / 3, CEILING * 30),
               title=f"{record.title}: final gap against the learning rate "
                     f"(×: diverged)")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=8)


for _record in OPTIMIZERS.values():
    _register(_record)


def _register_comparison(surface):
    @plot(f"optim-compare-{surface.name}", size=(7.5, 4.6))
    def compare(fig):
        ax = fig.subplots()
        _contours(ax, surface)
        for record, color in zip(OPTIMIZERS.values(), COLORS, strict=False):
            _path(ax, record, surface, color, label=f"{record.name} "
                                                    f"(lr {best_lr(record, surface):.2g})")
        ax.set_title(f"{surface.title}: every optimizer at its best learning rate, "
                     f"{STEPS} steps", fontsize=9)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))


for _surface in SURFACES.values():
    _register_comparison(_surface)
