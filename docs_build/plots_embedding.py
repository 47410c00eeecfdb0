"""Plots of the embedding losses page: the pair losses against the distance or the cosine,
and the temperature of InfoNCE."""

import numpy as np
from plots import plot

DISTANCE = np.linspace(0.0, 2.0, 401)
ANGLE = np.linspace(0.0, np.pi, 361)
#: One row of InfoNCE: the positive's cosine similarity, then five negatives' (the same
#: numbers as the table on the page).
POSITIVE = 0.8
NEGATIVES = np.array([0.9, 0.6, 0.3, 0.0, -0.5])
TEMPERATURES = np.geomspace(0.02, 2.0, 201)


def _losses():
    """The records, by name (importing the modules registers them)."""
    import lossref.losses.angular  # noqa: F401
    import lossref.losses.embedding  # noqa: F401
    from lossref import losses

    return losses.get


def _pairs_at_distance(d):
    """Pairs of 2-D points at the distances ``d``: (d, 0) and the origin."""
    x1 = np.stack([d, np.zeros_like(d)], axis=-1)
    return x1, np.zeros_like(x1)


def _pairs_at_angle(theta):
    """Pairs of unit vectors at the angles ``theta``: cos(x1, x2) = cos(theta)."""
    x1 = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
    x2 = np.tile([1.0, 0.0], (len(theta), 1))
    return x1, x2


def info_nce_row(temperature):
    """Query 0 against the positive and the negatives of the page, as lossref embeddings:
    unit vectors in 1 + K dimensions with the given cosines to the query. Returns the
    query and key matrices (the other queries are the keys themselves)."""
    cosines = np.concatenate([[POSITIVE], NEGATIVES])
    keys = np.zeros((len(cosines), len(cosines) + 1))
    keys[:, 0] = cosines
    keys[np.arange(len(cosines)), np.arange(len(cosines)) + 1] = np.sqrt(1 - cosines**2)
    queries = keys.copy()
    queries[0] = np.eye(len(cosines) + 1)[0]
    return queries, keys


@plot("embedding-pair-losses", size=(7.0, 3.6))
def pair_losses(fig):
    """Left: hinge embedding and contrastive losses (margin 1) against the distance of a
    similar (y = 1) or dissimilar (y = -1) pair. Right: cosine embedding loss against the
    cosine similarity, for margins 0 and 0.5."""
    get = _losses()
    left, right = fig.subplots(1, 2)
    d = DISTANCE
    x1, x2 = _pairs_at_distance(d)
    for y, style in ((1.0, "-"), (-1.0, "--")):
        target = np.full_like(d, y)
        hinge = get("hinge_embedding_loss").numpy(d, target, margin=1.0, reduction="none")
        contrastive = get("contrastive_loss").numpy(x1, x2, target, margin=1.0,
                                                    reduction="none")
        kind = "similar" if y > 0 else "dissimilar"
        left.plot(d, hinge, color="C0", ls=style, label=f"hinge embedding, {kind}")
        left.plot(d, contrastive, color="C1", ls=style, lw=2.0,
                  label=f"contrastive, {kind}")
    left.axvline(1.0, color="0.5", lw=0.8, ls=":")
    left.set(xlabel="distance $d$ between the pair", ylabel="loss",
             title="Losses of a distance (margin 1)", ylim=(-0.05, 1.6))
    left.legend(loc="upper left", fontsize=7)

    cos = np.cos(ANGLE)
    u1, u2 = _pairs_at_angle(ANGLE)
    similar = get("cosine_embedding_loss").numpy(u1, u2, np.ones_like(cos), reduction="none")
    right.plot(cos, similar, color="C0", label="similar: $1 - \\cos$")
    for margin, color in ((0.0, "C3"), (0.5, "C2")):
        dissimilar = get("cosine_embedding_loss").numpy(u1, u2, -np.ones_like(cos),
                                                        margin=margin, reduction="none")
        right.plot(cos, dissimilar, color=color, ls="--",
                   label=f"dissimilar: $\\max(0, \\cos - {margin:g})$")
    right.set(xlabel="cosine similarity", ylabel="loss", title="Cosine embedding loss",
              xlim=(-1.02, 1.02))
    right.legend(loc="upper center", fontsize=7)


@plot("embedding-infonce-temperature", size=(7.0, 3.4))
def infonce_temperature(fig):
    """Left: the share of the gradient that goes to each negative of one InfoNCE row
    against the temperature. Right: the row's loss and the size of its gradient with
    respect to the cosines."""
    get = _losses()
    left, right = fig.subplots(1, 2)
    logits = np.concatenate([[POSITIVE], NEGATIVES])[None, :] / TEMPERATURES[:, None]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    probability = weights / weights.sum(axis=1, keepdims=True)
    share = probability[:, 1:] / probability[:, 1:].sum(axis=1, keepdims=True)
    for j, cos in enumerate(NEGATIVES):
        left.plot(TEMPERATURES, share[:, j], color=f"C{j}", label=f"negative, cos = {cos:g}")
    left.set(xscale="log", xlabel="temperature $\\tau$",
             ylabel="share of the gradient on negatives",
             title="Where the gradient goes", ylim=(-0.02, 1.02))
    left.legend(loc="center right", fontsize=7)

    loss = [get("info_nce_loss").numpy(*info_nce_row(t), temperature=t, reduction="none")[0]
            for t in TEMPERATURES]
    # d loss / d s_j = (p_j - [j = positive]) / tau: its Euclidean norm over the row
    onehot = np.zeros(probability.shape[1])
    onehot[0] = 1.0
    grad_size = np.linalg.norm(probability - onehot, axis=1) / TEMPERATURES
    right.plot(TEMPERATURES, loss, color="C0", lw=2.0, label="loss of the row")
    right.plot(TEMPERATURES, grad_size, color="C1", ls="--",
               label="$\\|\\partial \\ell / \\partial s\\|$")
    right.axhline(np.log(1 + len(NEGATIVES)), color="0.5", lw=0.8, ls=":",
                  label="$\\log 6$: all logits equal")
    right.set(xscale="log", yscale="log", xlabel="temperature $\\tau$",
              title="Loss and gradient of the row")
    right.legend(loc="upper right", fontsize=7)
