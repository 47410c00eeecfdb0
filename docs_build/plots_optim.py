"""Plots of the optimizer pages, drawn by running ``lossref.optim.sgd.numpy``.

The problems here are the ones the pages set up in their code blocks (same seeds, same
numbers), so a plot shows the runs whose results the page prints.
"""

import numpy as np
from plots import plot

# ------------------------------------------------------ gradient-descent.md: regression

N_SAMPLES = 256


def _regression_data():
    """y = 3x - 1 + noise, the linear-regression problem of gradient-descent.md."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, N_SAMPLES)
    y = 3.0 * x - 1.0 + 0.5 * rng.standard_normal(N_SAMPLES)
    return x, y


def _mse(w, b, x, y):
    return float(np.mean((w * x + b - y) ** 2))


def _mse_grad(w, b, x, y):
    r = w * x + b - y
    return [np.array([2.0 * np.mean(r * x)]), np.array([2.0 * np.mean(r)])]


def _train_regression(batch_size, epochs=20, lr=0.05, seed=1):
    """Mini-batch gradient descent; returns (samples seen, loss, w, b) after every step."""
    from lossref import optim

    x, y = _regression_data()
    w, b = np.zeros(1), np.zeros(1)
    opt = optim.sgd.numpy([w, b], lr=lr)
    shuffle = np.random.default_rng(seed)
    seen, losses, ws, bs = [0], [_mse(w[0], b[0], x, y)], [0.0], [0.0]
    for _ in range(epochs):
        order = shuffle.permutation(N_SAMPLES)
        for start in range(0, N_SAMPLES, batch_size):
            idx = order[start:start + batch_size]
            opt.step(_mse_grad(w[0], b[0], x[idx], y[idx]))
            seen.append(seen[-1] + len(idx))
            losses.append(_mse(w[0], b[0], x, y))
            ws.append(w[0])
            bs.append(b[0])
    return np.array(seen), np.array(losses), np.array(ws), np.array(bs)


@plot("gd-batch-regimes", size=(7.5, 3.3))
def gd_batch_regimes(fig):
    """Full-batch, mini-batch and single-sample gradient descent on the same problem."""
    x, y = _regression_data()
    design = np.stack([x, np.ones_like(x)], axis=1)
    w_star, b_star = np.linalg.lstsq(design, y, rcond=None)[0]
    best = _mse(w_star, b_star, x, y)
    left, right = fig.subplots(1, 2)
    wg, bg = np.meshgrid(np.linspace(-0.5, 4.0, 160), np.linspace(-2.0, 0.5, 160))
    grid_loss = np.mean((wg[..., None] * x + bg[..., None] - y) ** 2, axis=-1)
    right.contour(wg, bg, grid_loss, levels=np.geomspace(0.3, 14, 10), colors="0.75",
                  linewidths=0.8)
    runs = [(N_SAMPLES, "full batch, B = 256", "C0"), (16, "mini-batch, B = 16", "C2"),
            (1, "single sample, B = 1", "C3")]
    for batch_size, label, color in runs:
        seen, losses, ws, bs = _train_regression(batch_size)
        every = max(1, 16 // batch_size)  # at most one point per 16 samples
        left.semilogy(seen[::every] / N_SAMPLES, losses[::every] - best, color=color,
                      label=label, lw=1.2)
        thin = 4 if batch_size == 1 else 1  # keeps the SVG small; the blob looks the same
        right.plot(ws[::thin], bs[::thin], color=color, lw=0.8 if batch_size == 1 else 1.2,
                   label=label)
    right.plot([w_star], [b_star], "k*", ms=9, label="least squares")
    left.set(xlabel="epochs (samples seen / N)", ylabel="$L(\\theta) - L(\\theta^*)$",
             title="Excess loss, same learning rate 0.05")
    left.legend(fontsize=8)
    right.set(xlabel="weight $w$", ylabel="bias $b$", title="Paths from $(0, 0)$")
    right.legend(fontsize=8, loc="lower right")


# ------------------------------------------------------------ sgd.md: 2-D quadratic

KAPPA = 25.0
START = (-10.0, 2.0)
SGD_RUNS = (
    ("gradient descent", {"lr": 0.05}, "C0"),
    ("momentum 0.7", {"lr": 0.05, "momentum": 0.7}, "C1"),
    ("Nesterov 0.7", {"lr": 0.05, "momentum": 0.7, "nesterov": True}, "C2"),
)


def _quadratic_path(steps=60, **options):
    """Iterates of SGDNumpy on f(x, y) = (x^2 + KAPPA y^2) / 2 from START."""
    from lossref import optim

    theta = np.array(START)
    opt = optim.sgd.numpy([theta], **options)
    path = [theta.copy()]
    for _ in range(steps):
        opt.step([theta * np.array([1.0, KAPPA])])
        path.append(theta.copy())
    return np.array(path)


@plot("sgd-trajectories", size=(7.5, 3.4))
def sgd_trajectories(fig):
    ax = fig.subplots()
    xg, yg = np.meshgrid(np.linspace(-11, 3, 300), np.linspace(-2.6, 2.6, 200))
    ax.contour(xg, yg, 0.5 * (xg**2 + KAPPA * yg**2), levels=np.geomspace(0.05, 100, 14),
               colors="0.75", linewidths=0.8)
    for label, options, color in SGD_RUNS:
        path = _quadratic_path(**options)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1.1, color=color, label=label)
    ax.plot([0], [0], "k*", ms=9)
    ax.set(xlabel="$x$", ylabel="$y$", aspect="equal",
           title=f"$f(x, y) = (x^2 + {KAPPA:g}\\,y^2)/2$, lr 0.05, 60 steps from {START}")
    ax.legend(fontsize=8, loc="lower right")


@plot("sgd-distance", size=(6.0, 3.2))
def sgd_distance(fig):
    ax = fig.subplots()
    for label, options, color in SGD_RUNS:
        path = _quadratic_path(**options)
        ax.semilogy(np.linalg.norm(path, axis=1), color=color, label=label)
    ax.set(xlabel="step $t$", ylabel="$\\|\\theta_t - \\theta^*\\|$",
           title="Distance to the minimum (same runs)")
    ax.legend(fontsize=8)
