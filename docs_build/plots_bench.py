"""Plots of the benchmark results (benchmarks/results.json, written by `make bench`)."""

import numpy as np
from plots import plot

REPRESENTATIVE = ("mse_loss", "huber_loss", "log_cosh_loss", "cross_entropy")


@plot("bench-time-vs-size", size=(7.0, 5.0))
def time_vs_size(fig):
    """Time of forward + gradient against the number of elements, log-log, float32: the
    NumPy version, the torch version and torch's builtin, for a few losses."""
    import bench_render

    results = bench_render.load()
    axes = fig.subplots(2, 2, sharex=True).ravel()
    if results is None:  # the page's hook warns (and --strict fails) without the file
        return
    for ax, name in zip(axes, REPRESENTATIVE):
        entries = sorted((e for e in results["losses"]
                          if e["name"] == name and e["dtype"] == "float32"),
                         key=lambda e: e["size"])
        sizes = np.array([e["size"] for e in entries])
        for key, label, style in (("numpy_ms", "lossref NumPy", "o-"),
                                  ("torch_ms", "lossref .torch", "s--"),
                                  ("builtin_ms", "torch builtin", "^:")):
            times = [e[key]["median"] if e[key] else np.nan for e in entries]
            if not np.all(np.isnan(times)):
                ax.loglog(sizes, times, style, label=label, markersize=4)
        ax.set_title(f"{name} (float32)", fontsize=9)
    for ax in axes[2:]:
        ax.set_xlabel("elements")
    for ax in axes[::2]:
        ax.set_ylabel("ms, forward + gradient")
    axes[0].legend(fontsize=7)
