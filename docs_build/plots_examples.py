"""Plots of the worked examples."""

import numpy as np
from plots import plot


@plot("chicken-duck-goose")
def chicken_duck_goose(fig):
    """Per-image cross-entropy of the logits vs of softmax outputs, and the loss of
    gradient descent on the logits with either, against the floor log(1 + 2/e)."""
    import torch
    import torch.nn.functional as F

    from lossref import losses

    logits = np.array([[10.0, 8.0, 6.0], [7.0, 9.0, 5.0], [5.0, 4.0, 10.0]])
    labels = np.array([0, 1, 2])
    right = losses.cross_entropy.numpy(logits, labels, reduction="none")
    mistaken = losses.cross_entropy.numpy(losses.softmax_numpy(logits), labels, reduction="none")
    floor = np.log(1 + 2 / np.e)

    left, curve = fig.subplots(1, 2)
    x = np.arange(3)
    left.bar(x - 0.2, right, width=0.4, color="C0", label="F.cross_entropy(logits, y)")
    left.bar(x + 0.2, mistaken, width=0.4, color="C3",
             label="F.cross_entropy(softmax(logits), y)")
    left.axhline(floor, color="0.3", linestyle="--", linewidth=1,
                 label=f"floor log(1 + 2/e) = {floor:.4f}")
    left.set_xticks(x, ["chicken", "duck", "goose"])
    left.set(ylabel="per-image loss", title="Same model, two losses", ylim=(0, 0.85))
    left.legend(fontsize=7, loc="upper right")

    z0 = torch.tensor(logits)
    y = torch.tensor(labels)
    for color, name, loss_fn in (
        ("C0", "correct: F.cross_entropy(logits, y)", lambda q: F.cross_entropy(q, y)),
        ("C3", "mistake: F.cross_entropy(softmax(logits), y)",
         lambda q: F.cross_entropy(torch.softmax(q, dim=1), y)),
    ):
        params, history = z0.clone().requires_grad_(True), []
        for _ in range(1000):
            loss = loss_fn(params)
            history.append(loss.item())
            (g,) = torch.autograd.grad(loss, params)
            params = (params - g).detach().requires_grad_(True)
        curve.plot(history, color=color, label=name)
    curve.axhline(floor, color="0.3", linestyle="--", linewidth=1)
    curve.set(xlabel="gradient-descent step (lr = 1)", ylabel="batch loss",
              title="Training the logits", ylim=(0, 0.7))
    curve.legend(fontsize=7, loc="center right")
