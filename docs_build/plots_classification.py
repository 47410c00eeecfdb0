"""Plots of the classification pages."""

import numpy as np
from plots import plot


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


@plot("binary-entropy", size=(5.0, 3.0))
def binary_entropy(fig):
    """Entropy in bits of a coin with P(heads) = t: 0 at the ends, 1 bit at t = 0.5."""
    t = np.linspace(0.0, 1.0, 401)
    inner = t[1:-1]
    bits = np.zeros_like(t)  # 0 log 0 = 0 at both ends
    bits[1:-1] = -(inner * np.log2(inner) + (1 - inner) * np.log2(1 - inner))
    ax = fig.subplots()
    ax.plot(t, bits, color="C0")
    ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set(xlabel="probability of heads $t$", ylabel="entropy $H$ (bits)",
           title="Entropy of a biased coin", xlim=(0, 1), ylim=(0, 1.08))


def _two_class_logits(p):
    """Logits [log(p / (1 - p)), 0], whose softmax gives probability p to class 0."""
    return np.stack([np.log(p) - np.log1p(-p), np.zeros_like(p)], axis=1)


@plot("cross-entropy-vs-mse-gradient")
def cross_entropy_vs_mse_gradient(fig):
    """|d loss / d z_y| of softmax + cross-entropy and of softmax + squared error on the
    probabilities, two classes, against the probability of the true class."""
    import torch

    from lossref import losses

    p = np.geomspace(1e-4, 0.9999, 500)
    logits = _two_class_logits(p)
    target = np.zeros(len(p), dtype=np.int64)
    (ce_grad,) = losses.cross_entropy.grad(logits, target, reduction="sum")
    z = torch.tensor(logits, requires_grad=True)
    probs = torch.softmax(z, dim=1)
    one_hot = torch.nn.functional.one_hot(torch.tensor(target), 2).double()
    ((probs - one_hot) ** 2).sum().backward()
    mse_grad = z.grad.numpy()
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        ax.plot(p, np.abs(ce_grad[:, 0]), color="C3", label="cross-entropy: $1 - p_y$")
        ax.plot(p, np.abs(mse_grad[:, 0]), color="C0",
                label="squared error on $p$: $4 p_y (1 - p_y)^2$")
        ax.set(xlabel="probability of the true class $p_y$",
               ylabel="$|\\partial \\ell / \\partial z_y|$")
    left.set(title="Linear scale", ylim=(0, 1.05))
    left.legend(loc="upper right", fontsize=8)
    right.set(xscale="log", yscale="log", title="Log–log scale",
              ylim=(1e-5, 2))


@plot("label-smoothing")
def label_smoothing_effect(fig):
    """Two-class cross-entropy with label smoothing against p_y: the minimum moves from
    p_y = 1 to p_y = 1 - eps/2, so the model is no longer pushed to infinite logits."""
    from lossref import losses

    p = np.linspace(0.5, 0.9999, 600)
    logits = _two_class_logits(p)
    target = np.zeros(len(p), dtype=np.int64)
    ax = fig.subplots()
    for i, eps in enumerate((0.0, 0.1, 0.2)):
        loss = losses.cross_entropy.numpy(logits, target, reduction="none", label_smoothing=eps)
        ax.plot(p, loss, color=f"C{i}", label=f"$\\varepsilon = {eps}$")
        if eps:
            best = 1 - eps / 2
            (at_best,) = losses.cross_entropy.numpy(_two_class_logits(np.array([best])),
                                                     np.array([0]), reduction="none",
                                                     label_smoothing=eps)
            ax.plot([best], [at_best], "o", color=f"C{i}")
    ax.set(xlabel="probability of the true class $p_y$", ylabel="loss",
           title="Label smoothing, two classes: minimum at $p_y = 1 - \\varepsilon / 2$",
           ylim=(0, 0.8))
    ax.legend()
