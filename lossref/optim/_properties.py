"""The declared properties of the optimizers (``Optimizer.properties``), with the
derivation of each step bound. ``tests/test_optimizer_properties.py`` checks every
declaration by running the optimizer, with witnesses that reach the bounds.

Step bounds. Adam's step on a coordinate is ``lr m_hat / sqrt(v_hat)``: a linear form in
the past gradients over a weighted norm of them,

    m_t = sum_k w_k g_{t-k},   v_t = sum_k d_k g_{t-k}^2,

so by Cauchy–Schwarz ``|m_t| / sqrt(v_t) <= sqrt(sum_k w_k^2 / d_k)``, with equality for
``g_{t-k}`` proportional to ``w_k / d_k``. For Adam ``w_k = (1 - b1) b1^k`` and
``d_k = (1 - b2) b2^k``: the sum is geometric in ``q = b1^2 / b2`` and, with the bias
corrections, the supremum over ``t`` (reached as ``t`` grows, by gradients growing at the
rate ``b2 / b1``) is ``(1 - b1) / sqrt((1 - b2) (1 - q))``: 7.27 for the default betas,
not the ``(1 - b1) / sqrt(1 - b2) = 3.16`` of Kingma & Ba's §2.1, which a lone gradient
after zeros reaches. NAdam's step adds a term in the current gradient; the same argument
gives its bound at each ``t``, and its momentum schedule decides at which ``t`` it is
largest. Adamax divides by ``u_t >= b2^k |g_{t-k}|``: ``|m_t| / u_t <= (1 - b1) sum_k
(b1 / b2)^k``.
"""

from __future__ import annotations

import math

import numpy as np

from lossref.properties import OptimizerProperties

__all__ = ["adadelta_properties", "adagrad_properties", "adam_properties",
           "adamax_properties", "adam_step_bound", "nadam_properties", "nadam_step_bound",
           "radam_properties", "rmsprop_properties"]

_SCALE = ("the update depends on the gradients through m / sqrt(v) only (up to eps), which "
          "is unchanged when every gradient is multiplied by c > 0; an L2 weight_decay adds "
          "wd * theta to the gradient, which is not scaled")
_DECAY = "decoupled weight decay adds lr * wd * |theta|, as large as theta"


def adam_step_bound(betas) -> float | None:
    """``sup |Δθ| / lr`` of Adam: ``(1 - b1) / sqrt((1 - b2)(1 - b1^2 / b2))``, or None when
    ``b1^2 >= b2`` (the geometric sum diverges: gradients that shrink fast enough make
    ``m / sqrt(v)`` as large as one likes).

    Examples:
        >>> round(adam_step_bound((0.9, 0.999)), 4)
        7.2703
    """
    b1, b2 = betas
    q = b1 * b1 / b2 if b2 else math.inf
    if q >= 1:
        return None
    return (1 - b1) / math.sqrt((1 - b2) * (1 - q))


def nadam_step_bound(betas, momentum_decay, horizon: int = 1_000_000) -> float | None:
    """``sup |Δθ| / lr`` of torch's NAdam, over the steps ``t <= horizon`` (the schedule
    ``mu_t = b1 (1 - 0.96^(t psi) / 2)`` has settled long before): at step ``t`` the update
    is ``a_t g_t + b_t m_t`` over ``sqrt(v_hat_t)``, with ``a_t = (1 - mu_t) / (1 -
    prod mu)`` and ``b_t = mu_{t+1} / (1 - prod mu * mu_{t+1})``, and Cauchy–Schwarz gives
    ``sqrt(1 - b2^t) sqrt((a^2 + 2 a b (1 - b1) + b^2 (1 - b1)^2 S_t) / (1 - b2))`` with
    ``S_t = sum_{k<t} (b1^2 / b2)^k``.

    Examples:
        >>> round(nadam_step_bound((0.9, 0.999), 0.004), 3)
        14.614
    """
    b1, b2 = betas
    q = b1 * b1 / b2 if b2 else math.inf
    if q >= 1:
        return None
    t = np.arange(1, horizon + 2, dtype=np.float64)
    with np.errstate(divide="ignore"):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        product = np.exp(np.cumsum(np.log(mu)))
    a = (1 - mu[:-1]) / (1 - product[:-1])
    b = mu[1:] / (1 - product[:-1] * mu[1:])
    tt = t[:-1]
    s = (1 - q**tt) / (1 - q)
    c = np.sqrt(1 - b2**tt) * np.sqrt((a * a + 2 * a * b * (1 - b1)
                                       + b * b * (1 - b1) ** 2 * s) / (1 - b2))
    return float(np.max(c))


def _with_decay(bound, weight_decay, decoupled):
    return None if (decoupled and weight_decay) else bound


def adam_properties(betas=(0.9, 0.999), weight_decay=0.0, amsgrad=False,
                    decoupled_weight_decay=False) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=3 if amsgrad else 2,
        scale_invariant=not weight_decay or decoupled_weight_decay,
        step_bound=_with_decay(adam_step_bound(betas), weight_decay, decoupled_weight_decay),
        notes={"state_floats": "exp_avg and exp_avg_sq (and max_exp_avg_sq with amsgrad)",
               "scale_invariant": _SCALE,
               "step_bound": ("(1 - b1) / sqrt((1 - b2)(1 - b1^2 / b2)), reached by gradients "
                              "growing at the rate b2 / b1 (Cauchy–Schwarz)"
                              if not (decoupled_weight_decay and weight_decay) else _DECAY),
               "use": "a robust default for most networks; needs little tuning of lr"})


def adamw_properties(betas=(0.9, 0.999), weight_decay=0.01, amsgrad=False) -> OptimizerProperties:
    props = adam_properties(betas, weight_decay, amsgrad, decoupled_weight_decay=True)
    notes = {**props.notes, "use": "Adam with weight decay that does not interact with the "
                                   "adaptive scaling: the usual choice for transformers"}
    return OptimizerProperties(props.state_floats, props.scale_invariant, props.step_bound,
                               notes=notes)


def adamax_properties(betas=(0.9, 0.999), weight_decay=0.0) -> OptimizerProperties:
    b1, b2 = betas
    bound = (1 - b1) / (1 - b1 / b2) if b1 < b2 else None
    return OptimizerProperties(
        state_floats=2, scale_invariant=not weight_decay, step_bound=bound,
        notes={"state_floats": "exp_avg and exp_inf",
               "scale_invariant": _SCALE.replace("m / sqrt(v)", "m / u"),
               "step_bound": "(1 - b1) / (1 - b1 / b2), reached by gradients shrinking at "
                             "the rate b2, since u_t >= b2^k |g_(t-k)|",
               "use": "Adam with the infinity norm: steps bounded by about lr"})


def nadam_properties(betas=(0.9, 0.999), weight_decay=0.0, momentum_decay=0.004,
                     decoupled_weight_decay=False) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=2, scale_invariant=not weight_decay or decoupled_weight_decay,
        step_bound=_with_decay(nadam_step_bound(betas, momentum_decay), weight_decay,
                               decoupled_weight_decay),
        notes={"state_floats": "exp_avg and exp_avg_sq (mu_product is one number)",
               "scale_invariant": _SCALE,
               "step_bound": "Cauchy–Schwarz at every step of the momentum schedule "
                             "(largest at t = 1890 for the defaults)",
               "use": "Adam with a Nesterov look-ahead on the momentum"})


def radam_properties(weight_decay=0.0, decoupled_weight_decay=False) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=2, scale_invariant=False, step_bound=None,
        notes={"state_floats": "exp_avg and exp_avg_sq",
               "scale_invariant": "while rho_t <= 5 (the first 5 steps at the default betas) "
                                  "the step is lr times the bias-corrected momentum, "
                                  "proportional to the gradients",
               "step_bound": "the un-rectified first steps are proportional to the gradient",
               "use": "Adam without a learning-rate warm-up"})


def rmsprop_properties(alpha=0.99, weight_decay=0.0, momentum=0.0,
                       centered=False) -> OptimizerProperties:
    bounded = not centered and alpha < 1 and momentum < 1
    bound = 1 / ((1 - momentum) * math.sqrt(1 - alpha)) if bounded else None
    return OptimizerProperties(
        state_floats=1 + (momentum > 0) + bool(centered),
        scale_invariant=not weight_decay, step_bound=bound,
        notes={"state_floats": "square_avg (and momentum_buffer, grad_avg)",
               "scale_invariant": _SCALE.replace("m / sqrt(v)", "g / sqrt(v)"),
               "step_bound": ("centered: v - avg^2 vanishes for a constant gradient" if centered
                              else "|g| / sqrt(v) <= 1 / sqrt(1 - alpha), at a gradient far "
                                   "larger than the past ones; momentum sums such steps"),
               "use": "recurrent networks and non-stationary objectives"})


def adagrad_properties(weight_decay=0.0, initial_accumulator_value=0.0) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=1,
        scale_invariant=not weight_decay and not initial_accumulator_value,
        step_bound=1.0,
        notes={"state_floats": "sum, the accumulated squared gradients",
               "scale_invariant": "g / sqrt(sum g^2) is unchanged by scaling; a positive "
                                  "initial_accumulator_value is not scaled",
               "step_bound": "|g_t| <= sqrt(sum of g^2 up to t), with equality at the "
                             "first step",
               "use": "sparse features: rare coordinates keep large steps"})


def adadelta_properties(weight_decay=0.0) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=2, scale_invariant=not weight_decay, step_bound=None,
        notes={"state_floats": "square_avg and acc_delta",
               "scale_invariant": "up to eps: RMS[Δθ] / RMS[g] times g is unchanged when g "
                                  "is scaled and RMS[g] is far above sqrt(eps)",
               "step_bound": "the step feeds its own scale: with growing gradients "
                             "acc_delta can grow by a factor up to 1 + rho per step",
               "use": "when no learning rate can be tuned: lr = 1 is the paper's method"})
