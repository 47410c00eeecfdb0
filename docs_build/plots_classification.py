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
