"""Plots of examples/embedding-2d.md, drawn by running the page's training code.

The runs are the page's: the same helpers of ``lossref.examples``, the same digits
(classes 0-4), initialisation, batches and hyperparameters, so the points and curves are
those whose k-NN accuracies and losses the page prints.
"""

import numpy as np
from plots import plot

# the settings of the page's runs (examples/embedding-2d.md, "Training")
CLASSES = (0, 1, 2, 3, 4)
STEPS = 500
RUNS = {"triplet": {"margin": 1.0}, "info_nce": {"temperature": 0.1}}


def _runs():
    """The data split, the starting parameters and the parameters and step losses of
    both runs, computed once per build."""
    if not hasattr(_runs, "cache"):
        from threadpoolctl import threadpool_limits

        from lossref.examples import init_mlp, load_digits_split, train_embedding_numpy

        X_train, X_test, y_train, y_test = load_digits_split(test_size=0.2, seed=0)
        train, test = np.isin(y_train, CLASSES), np.isin(y_test, CLASSES)
        data = X_train[train], X_test[test], y_train[train], y_test[test]
        start = init_mlp((64, 32, 2), init="he", seed=0)
        trained = {}
        with threadpool_limits(limits=1, user_api="blas"):   # as on the page
            for loss, options in RUNS.items():
                params = [p.copy() for p in start]
                step_losses = train_embedding_numpy(params, data[0], data[2], loss=loss,
                                                    classes=CLASSES, per_class=4,
                                                    steps=STEPS, seed=0, lr=5e-3, **options)
                trained[loss] = (params, step_losses)
        _runs.cache = data, start, trained
    return _runs.cache


def _scatter(ax, embeddings, labels, title):
    for c in CLASSES:
        points = embeddings[labels == c]
        ax.scatter(points[:, 0], points[:, 1], s=7, color=f"C{c}", alpha=0.7, lw=0,
                   label=str(c))
        centre = np.median(points, axis=0)
        ax.annotate(str(c), centre, ha="center", va="center", fontsize=11, weight="bold",
                    color=f"C{c}", bbox=dict(boxstyle="circle,pad=0.15", fc="white",
                                            ec=f"C{c}", alpha=0.85))
    ax.set(title=title, aspect="equal")
    ax.tick_params(labelsize=7)


@plot("embedding-2d-scatter", size=(9.0, 3.4))
def embedding_2d_scatter(fig):
    """The 2-D embeddings of the held-out digits 0-4 at the start, after the triplet run
    and after the InfoNCE run (with the unit circle, on which the cosine looks)."""
    from lossref.examples import mlp_forward

    (_, X_test, _, y_test), start, trained = _runs()
    before, triplet, info_nce = fig.subplots(1, 3)
    _scatter(before, mlp_forward(start, X_test)[0], y_test, "start (He init, seed 0)")
    _scatter(triplet, mlp_forward(trained["triplet"][0], X_test)[0], y_test,
             "after triplet loss (margin 1)")
    embeddings = mlp_forward(trained["info_nce"][0], X_test)[0]
    angle = np.linspace(0, 2 * np.pi, 200)
    info_nce.plot(np.cos(angle), np.sin(angle), color="0.5", lw=0.8, ls="--")
    _scatter(info_nce, embeddings, y_test, "after InfoNCE ($\\tau$ = 0.1)")
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    info_nce.scatter(unit[:, 0], unit[:, 1], s=4, c=[f"C{c}" for c in y_test], marker="x",
                     lw=0.5)


@plot("embedding-2d-curves", size=(7.5, 3.0))
def embedding_2d_curves(fig):
    """Mini-batch loss of the triplet and InfoNCE runs per step, with a running mean."""
    _, _, trained = _runs()
    ax = fig.subplots()
    window = 25
    for color, loss, label in (("C0", "triplet", "triplet loss, batch-hard, margin 1"),
                               ("C3", "info_nce", "InfoNCE, $\\tau$ = 0.1")):
        step_losses = trained[loss][1]
        steps = np.arange(1, len(step_losses) + 1)
        ax.plot(steps, step_losses, ".", color=color, ms=1.5, alpha=0.35)
        running = np.convolve(step_losses, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], running, color=color, lw=1.5,
                label=f"{label}: mean of the last {window} steps")
    ax.set(yscale="log", ylim=(1e-3, 3), xlabel="step (4 images of each of the digits 0-4)",
           ylabel="mini-batch loss (dots: every step)", title="64-32-2 MLP, NumPy Adam, lr 0.005")
    ax.legend(fontsize=8, loc="lower left")
