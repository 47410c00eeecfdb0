"""Plots of the face-recognition margins page: target logits, decision regions of two
classes on the unit circle, and the angular gap between the two classes' boundaries.

The target logits are the formulas of the page: softmax on normalised vectors cos θ,
L-Softmax / SphereFace's ψ(θ) = (-1)^k cos(mθ) - 2k, CosFace's cos θ - m and ArcFace's
cos(θ + m) with the official fallback cos θ - m sin m where θ > π - m. The page checks
the CosFace and ArcFace ones against lossref's losses.
"""

import numpy as np
from matplotlib.patches import Wedge
from plots import plot

COSFACE_M, ARCFACE_M = 0.35, 0.5
THETA = np.linspace(0.0, np.pi, 3601)          # target angle, 0.05 degree steps
U = np.deg2rad(np.arange(-180.0, 180.0, 0.01))  # feature direction on the circle


def normface(theta):
    return np.cos(theta)


def psi(theta, m):
    """L-Softmax's and SphereFace's target logit for an integer m: (-1)^k cos(m θ) - 2k
    on [kπ/m, (k+1)π/m], continuous and decreasing on [0, π]."""
    k = np.minimum(np.floor(theta * m / np.pi), m - 1)
    return (-1.0) ** k * np.cos(m * theta) - 2.0 * k


def sphereface_annealed(theta, m, lam):
    """SphereFace as trained: (λ cos θ + ψ(θ)) / (1 + λ), λ annealed down to a floor."""
    return (lam * np.cos(theta) + psi(theta, m)) / (1.0 + lam)


def cosface(theta, m=COSFACE_M):
    return np.cos(theta) - m


def arcface(theta, m=ARCFACE_M, easy_margin=False):
    """cos(θ + m), with the fallback of the official code where cos θ <= cos(π - m), or
    with ``easy_margin``: cos θ itself where cos θ <= 0."""
    cos = np.cos(theta)
    if easy_margin:
        return np.where(cos > 0.0, np.cos(theta + m), cos)
    return np.where(cos > np.cos(np.pi - m), np.cos(theta + m), cos - m * np.sin(m))


LOSSES = (
    ("softmax (normalised)", normface, "0.3"),
    ("L-Softmax, m = 2", lambda t: psi(t, 2), "C4"),
    ("SphereFace, m = 4", lambda t: psi(t, 4), "C3"),
    (f"CosFace, m = {COSFACE_M}", cosface, "C2"),
    (f"ArcFace, m = {ARCFACE_M}", arcface, "C0"),
)


def _angle_to(u, w):
    """Angle in [0, π] between directions u and w (radians)."""
    return np.abs((u - w + np.pi) % (2.0 * np.pi) - np.pi)


def regions(target_logit, gamma, u=U, centre=0.0):
    """For feature directions u and class weights at centre -+ gamma/2: 1 where class 1
    wins with its margin (ψ(θ1) > cos θ2), 2 where class 2 does, 0 in the margin."""
    theta1 = _angle_to(u, centre - gamma / 2)
    theta2 = _angle_to(u, centre + gamma / 2)
    label = np.zeros(u.shape, dtype=int)
    label[target_logit(theta1) > np.cos(theta2)] = 1
    label[target_logit(theta2) > np.cos(theta1)] = 2
    return label


def bisector_gap(target_logit, gamma):
    """The angle in degrees between class 1's and class 2's decision boundaries, for
    weights at -+ gamma/2: twice the angle from the bisector to class 1's boundary, found
    by bisection as on the page (nan where class 1 wins nowhere near its weight)."""
    def wins(u):
        return target_logit(abs(u + gamma / 2)) > np.cos(u - gamma / 2)

    lo = -gamma / 2 if wins(-gamma / 2) else -np.pi / 2
    if not wins(lo):
        return float("nan")
    hi = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if wins(mid) else (lo, mid)
    return float(2 * np.rad2deg(-lo))


def _runs(label):
    """Contiguous runs (start, stop, value) of a label array over the circle grid."""
    edges = np.flatnonzero(np.diff(label)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(label)]])
    return [(start, stop, label[start]) for start, stop in zip(starts, stops)]


@plot("face-margin-regions", size=(8.0, 2.1))
def face_margin_regions(fig):
    """Two classes with weights 90 degrees apart: where class 1 (blue) or class 2 (orange)
    wins with its margin, and the margin region between (grey), per loss."""
    gamma, centre = np.pi / 2, np.pi / 2                 # W1 at 135 degrees, W2 at 45
    axes = fig.subplots(1, len(LOSSES))
    colors = {0: "0.55", 1: "C0", 2: "C1"}
    for ax, (name, target_logit, _) in zip(axes, LOSSES):
        label = regions(target_logit, gamma, centre=centre)
        degrees = np.rad2deg(U)
        for start, stop, value in _runs(label):
            ax.add_patch(Wedge((0.0, 0.0), 1.0, degrees[start], degrees[stop - 1] + 0.01,
                               color=colors[value], alpha=0.35, lw=0))
        for start, _, _ in _runs(label)[1:]:
            angle = U[start]
            ax.plot([0.0, np.cos(angle)], [0.0, np.sin(angle)], color="0.2", lw=0.8,
                    ls="--")
        ax.add_patch(Wedge((0.0, 0.0), 1.0, 0.0, 360.0, width=0.0, fill=False,
                           color="0.3", lw=0.8))
        for index, w in ((1, centre - gamma / 2), (2, centre + gamma / 2)):
            ax.annotate("", xy=(np.cos(w), np.sin(w)), xytext=(0.0, 0.0),
                        arrowprops=dict(arrowstyle="->", color="0.1", lw=1.2))
            ax.text(1.2 * np.cos(w), 1.2 * np.sin(w), f"$W_{index}$", ha="center",
                    va="center", fontsize=8)
        gap = bisector_gap(target_logit, gamma)
        ax.set_title(f"{name}\ngap {gap:.2f}°", fontsize=8)
        ax.set(xlim=(-1.35, 1.35), ylim=(-1.35, 1.35), aspect="equal", xticks=[],
               yticks=[])
        ax.grid(False)


@plot("face-margin-target-logits", size=(8.0, 3.6))
def face_margin_target_logits(fig):
    """Left: the target logit of each loss against the angle θ between the feature and
    its class weight. Right: ArcFace's cos(θ + m), the official fallback beyond π - m and
    easy_margin."""
    left, right = fig.subplots(1, 2)
    degrees = np.rad2deg(THETA)
    for name, target_logit, color in LOSSES:
        values = target_logit(THETA)
        if target_logit is arcface:                     # no line across the jump
            values[np.isclose(degrees, np.rad2deg(np.pi - ARCFACE_M), atol=0.03)] = np.nan
        left.plot(degrees, values, color=color, lw=1.8, label=name)
    left.plot(degrees, sphereface_annealed(THETA, 4, 5.0), color="C3", ls=":", lw=1.5,
              label="SphereFace as trained, λ = 5")
    left.set(xlabel="θ, angle to the class weight (degrees)",
             ylabel="target logit, unscaled",
             title="Target logits", xlim=(0, 180), ylim=(-2.2, 1.1), xticks=range(0, 181, 30))
    left.legend(loc="upper right", fontsize=7)

    m = ARCFACE_M
    fallback_from = np.rad2deg(np.pi - m)
    right.axvspan(fallback_from, 180.0, color="0.85", label="fallback region θ > π − m")
    easy = arcface(THETA, m, easy_margin=True)
    easy[np.isclose(degrees, 90.0, atol=0.03)] = np.nan      # the jump at 90 degrees
    right.plot(degrees, easy, color="C2", lw=4.0, alpha=0.45, label="easy_margin")
    right.plot(degrees, np.cos(THETA), color="0.3", lw=1.0, label="cos θ")
    right.plot(degrees, np.cos(THETA + m), color="C3", ls="--", lw=1.2,
               label="cos(θ + m), no fallback")
    official = arcface(THETA, m)
    official[np.isclose(degrees, fallback_from, atol=0.03)] = np.nan   # the jump
    right.plot(degrees, official, color="C0", lw=1.8,
               label="ArcFace: fallback cos θ − m sin m")
    right.set(xlabel="θ (degrees)", ylabel="target logit, unscaled",
              title=f"ArcFace in detail, m = {m}", xlim=(0, 180), ylim=(-1.5, 1.1),
              xticks=range(0, 181, 30))
    right.legend(loc="upper right", fontsize=7)


@plot("face-margin-gap", size=(8.0, 3.4))
def face_margin_gap(fig):
    """The angle between class 1's and class 2's decision boundaries against the angle γ
    between their weight vectors: ArcFace's is m whatever γ."""
    ax = fig.subplots()
    gammas = np.arange(1.0, 180.1, 1.0)
    for name, target_logit, color in LOSSES:
        gaps = np.array([bisector_gap(target_logit, np.deg2rad(g)) for g in gammas])
        ax.plot(gammas, gaps, color=color, lw=1.8, label=name)
    ax.plot(gammas, gammas, color="0.5", ls=":", lw=1.0,
            label="γ: above this line the class weight\nitself lies in the margin region")
    ax.set(xlabel="γ, angle between $W_1$ and $W_2$ (degrees)",
           ylabel="gap between the boundaries (degrees)", xlim=(0, 180), ylim=(-2, 120),
           xticks=range(0, 181, 30), title="Angular margin between two classes")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
