"""optax as a second oracle for the optimizers: where its rule is torch.optim's, and where not.

lossref's optimizers follow ``torch.optim`` to the last bit (``test_optim_parity``). optax
(JAX) was written by other people, from the papers, with its own conventions. This file
states where the two compute the same update and checks that they do; it states where
they do not, says why, and checks that too, so the list of differences cannot go stale.

Method. lossref's ``.numpy`` optimizer and an optax transformation start from the same
float64 parameters (a 7-vector and a 3x4 matrix, ``test_optim_parity.Problem``) and are fed
the SAME gradient at each of 60 steps: the ill-conditioned quadratic's gradient at
lossref's parameters plus deterministic noise. optax runs eagerly, as a user writes it:
``updates, state = tx.update(grads, state, params)``, ``params = optax.apply_updates(params,
updates)``, with ``jax_enable_x64``. The gradients do not depend on optax's parameters, so a
gap between the two trajectories comes from the update rule alone.

Tolerance. ``TOL = 1e-10``, relative to the largest entry of each parameter at each step.
Where the rules are the same, the gap is rounding, measured here at most 6.1e-15 for
every optimizer except RAdam and 4.6e-14 for RAdam: its rho_t = rho_inf - 2t b2^t /
(1 - b2^t) subtracts two numbers close to rho_inf = 1999, which magnifies rounding up to
rho_inf / rho_t ~ 300 times (and b2^t itself differs: run eagerly, optax's ``b2**count``
is ``lax.integer_pow``, repeated multiplication, one ulp off libm's ``pow`` at some t).
``TOL`` leaves a factor of 2000 above that for other CPUs' kernels, and is 190 times below
the smallest genuine difference of rule found (RAdam's eps placement at its default eps =
1e-8: 1.9e-8), so no difference of convention hides under it. Where the rules differ,
the gap must exceed ``DIFFERENT = 1e-6``; the two differences that are small by nature
(RAdam's eps placement at eps = 1e-8, torch's float32 NAdam momentum product, both ~5e-8)
must lie in a stated band, well above ``TOL``. Each difference is shown to be torch's
convention, not a lossref slip: ``torch.optim``'s builtin runs beside and agrees with
lossref to 64 eps.

Same rule (``AGREES``), torch.optim keywords -> optax:

- SGD(lr, momentum, nesterov) -> ``optax.sgd(lr, momentum, nesterov)``: optax's ``trace``
  starts at 0, so its first buffer is g_1, like torch's undamped first step. L2 weight
  decay -> ``chain(add_decayed_weights(wd), ...)`` (the gradient plus wd * param, before
  the momentum, as torch), here and for every optimizer with coupled decay.
- Adagrad(lr, lr_decay, initial_accumulator_value, eps=0) -> ``optax.adagrad(lr,
  initial_accumulator_value, eps=0)``; lr_decay -> ``learning_rate=lambda n: lr / (1 + n *
  lr_decay)`` (optax's schedule counts from 0: torch's step - 1).
- RMSprop(lr, alpha, eps, momentum, centered) -> ``optax.rmsprop(lr, decay=alpha, eps,
  eps_in_sqrt=False, centered, momentum)``. optax's momentum traces the lr-scaled step,
  torch's the unscaled one: the same for a constant lr (a schedule would tell them apart).
- Adadelta(lr, rho, eps, weight_decay) -> ``optax.adadelta(lr, rho, eps, weight_decay)``.
- Adam(lr, betas, eps) -> ``optax.adam(lr, b1, b2, eps)`` (eps_root = 0): torch divides
  sqrt(v) by sqrt(1 - b2^t), optax takes sqrt(v / (1 - b2^t)); equal up to rounding.
  ``decoupled_weight_decay=True`` and AdamW(weight_decay) -> ``optax.adamw(...,
  weight_decay)``: torch's p * (1 - lr wd) - lr u is optax's p - lr (u + wd p).
- Adamax(lr, betas, eps) -> ``optax.adamax(lr, b1, b2, eps)``: both max(b2 u, |g| + eps).
- NAdam with a constant momentum (momentum_decay = 1e6 makes mu_t = b1) and b1 = 1/2, or
  with b1 = 0 -> ``optax.nadam(lr, b1, b2, eps)``; decoupled -> ``optax.nadamw``.
- RAdam(eps=0) -> ``optax.radam(lr, b1, b2, eps=0)``; any eps when rho_inf <= 4 (never
  rectified); decoupled -> ``chain(scale_by_radam, add_decayed_weights, scale_by_learning_rate)``.
- Adam and AdamW with amsgrad=True and b2 = 0 -> ``optax.amsgrad(lr, b1, 0)``.

Not compared: ``maximize`` (optax has no such option; a user would negate the gradient
first) and optax's options that torch lacks (RMSprop's and RAdam's ``nesterov``,
``eps_root``, ``mu_dtype``).

Different rules (``DIFFERS`` and the tests after it), and where the difference vanishes:

- SGD dampening: torch copies g_1 into the buffer undamped; optax has no dampening, and
  the closest constructions (scaling g by 1 - dampening, or ``optax.ema``) damp step 1
  too. Vanishes at dampening = 0.
- Adagrad: optax puts eps inside the square root (g / sqrt(G + eps)), torch outside
  (g / (sqrt(G) + eps)); at torch's default eps = 1e-10 that is a 1e-10 effect, at eps =
  1e-4 a 1e-4 one. optax's defaults also differ (initial accumulator 0.1, eps 1e-7; torch:
  0, 1e-10). Vanishes at eps = 0 with equal accumulators.
- RMSprop: optax's default ``eps_in_sqrt=True`` puts eps inside the root, and its default
  decay is 0.9 (torch's alpha: 0.99). ``bias_correction=True`` divides by 1 - decay^t,
  which torch never does. Vanish with ``eps_in_sqrt=False`` (or eps = 0),
  ``decay=alpha``, no bias correction.
- Adadelta: ``optax.adadelta()``'s default ``learning_rate=None`` skips
  ``scale_by_learning_rate`` and with it the sign flip, so its update CLIMBS the gradient.
  Vanishes with ``learning_rate=1.0`` (torch's default lr).
- AMSGrad: ``optax.amsgrad`` keeps the running max of the bias-corrected v / (1 - b2^t);
  torch keeps the max of the raw v and divides it by the current 1 - b2^t. Vanishes at
  b2 = 0, where 1 - b2^t = 1.
- AdamW: optax's default weight_decay is 1e-4, torch's 1e-2.
- NAdam: torch's momentum schedule mu_t = b1 (1 - 0.96^(t momentum_decay) / 2) starts near
  b1 / 2; optax uses mu_t = b1 throughout (no schedule). With the schedule switched off
  (momentum_decay = 1e6) one difference remains: torch keeps the product of the mu_t in
  float32 (its scalar dtype; float64 only when torch's default dtype is float64), a 6e-8
  effect at b1 = 0.9. It vanishes at b1 = 1/2 (powers of 1/2 are exact in float32) and
  when torch's default dtype is float64.
- RAdam: torch adds eps to sqrt(v) before dividing by sqrt(1 - b2^t), optax adds it to
  sqrt(v / (1 - b2^t)), so torch's eps is effectively eps / sqrt(1 - b2^t): 2e-8 at the
  default eps, 2e-3 at eps = 1e-3. Vanishes at eps = 0. And the threshold: torch rectifies
  when rho_t > 5, optax when rho_t >= threshold (5): different only at a b2 where rho_t
  is exactly 5.0, which the test finds; ``threshold=nextafter(5, inf)`` makes it torch's.
"""

from __future__ import annotations

from math import inf
from typing import Any, NamedTuple

import jax

jax.config.update("jax_enable_x64", True)  # before any JAX array exists

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from test_optim_parity import NUMPY_RTOL, STEPS, Problem  # noqa: E402

from lossref.optim import OPTIMIZERS  # noqa: E402
from lossref.optim.adam_variants import radam_rho  # noqa: E402

TOL = 1e-10        # same rule: rounding only (the argument is in the module docstring)
DIFFERENT = 1e-6   # a documented difference must move the trajectory by more than this

# ------------------------------------------------------------------------ running both


def trajectories(name: str, options: dict[str, Any], tx: optax.GradientTransformation, *,
                 builtin: bool = False, steps: int = STEPS) -> dict[str, list]:
    """Feed one gradient sequence to lossref's ``.numpy`` optimizer, to optax's ``tx`` and,
    if asked, to torch.optim's builtin; return each one's parameters after every step."""
    rec = OPTIMIZERS[name]
    problem = Problem(np.float64)
    ours = [p.copy() for p in problem.start]
    opt = rec.numpy(ours, **options)
    theirs = [jnp.asarray(p) for p in problem.start]
    state = tx.init(theirs)
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in problem.start]
    torch_opt = rec.builtin(tensors, **options) if builtin else None
    paths: dict[str, list] = {"lossref": [], "optax": [], "torch": []}
    for step in range(steps):
        grads = problem.grads(ours, step)  # at lossref's parameters, given to all
        opt.step(grads)
        updates, state = tx.update([jnp.asarray(g) for g in grads], state, theirs)
        theirs = optax.apply_updates(theirs, updates)
        paths["lossref"].append([p.copy() for p in ours])
        paths["optax"].append([np.asarray(p) for p in theirs])
        if torch_opt is not None:
            for p, g in zip(tensors, grads, strict=True):
                p.grad = torch.tensor(g)
            torch_opt.step()
            paths["torch"].append([p.detach().numpy().copy() for p in tensors])
    for p in paths["optax"][-1]:
        assert p.dtype == np.float64, "optax ran in float32: jax_enable_x64 is off"
    return paths


def step_gaps(path, reference) -> list[float]:
    """At each step, the largest difference between the two, each parameter relative to
    its largest entry in ``reference`` at that step."""
    return [max(float(np.max(np.abs(a - e))) / float(np.max(np.abs(e)))
                for a, e in zip(a_params, e_params, strict=True))
            for a_params, e_params in zip(path, reference, strict=True)]


def gap(path, reference) -> float:
    return max(step_gaps(path, reference))


def assert_same_rule(name, options, tx, what: str) -> None:
    paths = trajectories(name, options, tx)
    found = gap(paths["optax"], paths["lossref"])
    assert found <= TOL, f"{what}: optax is off lossref by {found:.3g} relative (> {TOL:g})"
    # and the parameters really moved: agreeing on a standing trajectory would prove nothing
    assert gap([paths["lossref"][-1]], [Problem(np.float64).start]) > 1e-3, f"{what}: no move"


# ------------------------------------------------------------------------ same rule


def same(name: str, options: dict[str, Any], tx: optax.GradientTransformation, label: str):
    return pytest.param(name, options, tx, id=f"{name}-{label}")


def l2(weight_decay, tx):
    """torch's coupled weight decay (``weight_decay`` in SGD, Adam, ...): the gradient plus
    ``weight_decay * param``, before everything else."""
    return optax.chain(optax.add_decayed_weights(weight_decay), tx)


def decoupled(scale_by, weight_decay, lr):
    """AdamW's decay for a rule optax has no ``...w`` alias for: u + wd * param, times -lr."""
    return optax.chain(scale_by, optax.add_decayed_weights(weight_decay),
                       optax.scale_by_learning_rate(lr))


AGREES = [
    same("sgd", dict(lr=0.05), optax.sgd(0.05), "plain"),
    same("sgd", dict(lr=0.05, momentum=0.9), optax.sgd(0.05, 0.9), "momentum"),
    same("sgd", dict(lr=0.05, momentum=0.9, nesterov=True),
         optax.sgd(0.05, 0.9, nesterov=True), "nesterov"),
    same("sgd", dict(lr=0.05, weight_decay=0.01), l2(0.01, optax.sgd(0.05)), "l2"),
    same("sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
         l2(0.01, optax.sgd(0.05, 0.9, nesterov=True)), "nesterov-l2"),

    same("adagrad", dict(lr=0.1, eps=0.0), optax.adagrad(0.1, 0.0, eps=0.0), "eps0"),
    same("adagrad", dict(lr=0.1, eps=0.0, initial_accumulator_value=0.5),
         optax.adagrad(0.1, 0.5, eps=0.0), "accumulator0.5"),
    same("adagrad", dict(lr=0.1, eps=0.0, weight_decay=0.01),
         l2(0.01, optax.adagrad(0.1, 0.0, eps=0.0)), "l2"),
    same("adagrad", dict(lr=0.1, eps=0.0, lr_decay=0.05),
         optax.adagrad(lambda n: 0.1 / (1 + n * 0.05), 0.0, eps=0.0), "lr_decay-schedule"),

    same("rmsprop", dict(lr=0.01), optax.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False),
         "plain"),
    same("rmsprop", dict(lr=0.01, momentum=0.9),
         optax.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False, momentum=0.9), "momentum"),
    # eps = 0: inside or outside the root, the same (optax's default eps_in_sqrt=True)
    same("rmsprop", dict(lr=0.01, alpha=0.9, eps=0.0), optax.rmsprop(0.01, 0.9, 0.0),
         "eps0-either-place"),
    same("rmsprop", dict(lr=0.01, centered=True),
         optax.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False, centered=True), "centered"),
    same("rmsprop", dict(lr=0.01, centered=True, momentum=0.9),
         optax.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False, centered=True, momentum=0.9),
         "centered-momentum"),
    same("rmsprop", dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.01, momentum=0.5,
                         centered=True),
         l2(0.01, optax.rmsprop(0.01, 0.9, 1e-4, eps_in_sqrt=False, centered=True,
                                momentum=0.5)), "all-options"),

    same("adadelta", dict(lr=1.0), optax.adadelta(1.0), "defaults"),
    same("adadelta", dict(lr=1.0, weight_decay=0.01), optax.adadelta(1.0, weight_decay=0.01),
         "weight_decay"),
    same("adadelta", dict(lr=0.5, rho=0.5), optax.adadelta(0.5, rho=0.5), "rho0.5"),
    same("adadelta", dict(lr=1.0, rho=0.95, eps=1e-4), optax.adadelta(1.0, 0.95, 1e-4),
         "eps1e-4"),

    same("adam", dict(lr=0.05), optax.adam(0.05), "defaults"),
    same("adam", dict(lr=0.05, betas=(0.5, 0.9)), optax.adam(0.05, 0.5, 0.9), "betas"),
    same("adam", dict(lr=0.05, betas=(0.0, 0.99)), optax.adam(0.05, 0.0, 0.99), "b1=0"),
    same("adam", dict(lr=0.05, betas=(0.8, 0.0)), optax.adam(0.05, 0.8, 0.0), "b2=0"),
    same("adam", dict(lr=0.05, eps=1e-2), optax.adam(0.05, eps=1e-2), "eps1e-2"),
    same("adam", dict(lr=0.05, eps=0.0), optax.adam(0.05, eps=0.0), "eps0"),
    same("adam", dict(lr=0.05, weight_decay=0.1), l2(0.1, optax.adam(0.05)), "l2"),
    same("adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
         optax.adamw(0.05, weight_decay=0.1), "decoupled"),
    same("adam", dict(lr=0.05, amsgrad=True, betas=(0.9, 0.0)), optax.amsgrad(0.05, 0.9, 0.0),
         "amsgrad-b2=0"),

    same("adamw", dict(lr=0.05), optax.adamw(0.05, weight_decay=0.01), "torch-default-decay"),
    same("adamw", dict(lr=0.05, weight_decay=1.0), optax.adamw(0.05, weight_decay=1.0),
         "decay1"),
    same("adamw", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1),
         optax.adamw(0.05, 0.5, 0.9, 1e-3, weight_decay=0.1), "betas-eps"),
    same("adamw", dict(lr=0.05, amsgrad=True, betas=(0.9, 0.0), weight_decay=0.1),
         decoupled(optax.scale_by_amsgrad(0.9, 0.0), 0.1, 0.05), "amsgrad-b2=0"),

    same("adamax", dict(lr=0.05), optax.adamax(0.05), "defaults"),
    same("adamax", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-2), optax.adamax(0.05, 0.5, 0.9, 1e-2),
         "betas-eps"),
    same("adamax", dict(lr=0.05, betas=(0.8, 0.0)), optax.adamax(0.05, 0.8, 0.0), "b2=0"),
    same("adamax", dict(lr=0.05, weight_decay=0.1), l2(0.1, optax.adamax(0.05)), "l2"),

    # momentum_decay=1e6: 0.96 ** (1e6 t) is 0.0, so mu_t = b1 at every step, optax's rule;
    # b1 = 1/2 keeps torch's float32 product of the mu_t exact (see the NAdam test below)
    same("nadam", dict(lr=0.02, betas=(0.5, 0.999), momentum_decay=1e6),
         optax.nadam(0.02, 0.5), "constant-momentum"),
    same("nadam", dict(lr=0.02, betas=(0.0, 0.9)), optax.nadam(0.02, 0.0, 0.9), "b1=0"),
    same("nadam", dict(lr=0.02, betas=(0.5, 0.99), eps=1e-6, momentum_decay=1e6,
                       weight_decay=0.1),
         l2(0.1, optax.nadam(0.02, 0.5, 0.99, 1e-6)), "l2"),
    same("nadam", dict(lr=0.02, betas=(0.5, 0.999), momentum_decay=1e6, weight_decay=0.1,
                       decoupled_weight_decay=True),
         optax.nadamw(0.02, 0.5, weight_decay=0.1), "decoupled"),

    same("radam", dict(lr=0.02, eps=0.0), optax.radam(0.02, eps=0.0), "eps0"),
    same("radam", dict(lr=0.02, betas=(0.9, 0.99), eps=0.0), optax.radam(0.02, 0.9, 0.99, 0.0),
         "b2=0.99"),
    # rho_inf = 4: never rectified, so eps never enters and the default eps agrees
    same("radam", dict(lr=0.02, betas=(0.5, 0.6)), optax.radam(0.02, 0.5, 0.6),
         "never-rectified"),
    same("radam", dict(lr=0.02, eps=0.0, weight_decay=0.1),
         l2(0.1, optax.radam(0.02, eps=0.0)), "l2"),
    same("radam", dict(lr=0.02, betas=(0.9, 0.9), eps=0.0, weight_decay=0.05,
                       decoupled_weight_decay=True),
         decoupled(optax.scale_by_radam(0.9, 0.9, eps=0.0), 0.05, 0.02), "decoupled"),
]


AGREE_IDS = {param.id: param for param in AGREES}


@pytest.mark.parametrize("name, options, tx", AGREES)
def test_optax_computes_the_same_trajectory(name, options, tx):
    assert_same_rule(name, options, tx, name)


def test_every_optimizer_has_an_optax_counterpart():
    covered = {param.values[0] for param in AGREES}
    assert covered == set(OPTIMIZERS), f"no optax comparison for {set(OPTIMIZERS) - covered}"


# ------------------------------------------------------------------------ different rules


class Difference(NamedTuple):
    optimizer: str
    options: dict[str, Any]          # torch.optim's keywords (lossref's are the same)
    optax: optax.GradientTransformation
    why: str
    vanishes: str | None   # the AGREES case where the difference is gone, if there is one
    size: tuple[float, float] = (DIFFERENT, inf)   # the gap must lie in this band


DIFFERS = {
    "sgd-dampening": Difference(
        "sgd", dict(lr=0.05, momentum=0.9, dampening=0.5),
        optax.chain(optax.scale(0.5), optax.sgd(0.05, 0.9)),
        "optax has no dampening; scaling g by 1 - dampening damps step 1 as well, where "
        "torch copies g_1 into the buffer undamped",
        "sgd-momentum"),
    "sgd-ema": Difference(
        "sgd", dict(lr=0.05, momentum=0.9, dampening=0.9),
        optax.chain(optax.ema(0.9, debias=False), optax.scale_by_learning_rate(0.05)),
        "torch's 'EMA' momentum (dampening = momentum) starts from g_1, optax.ema from 0",
        None),
    "adagrad-eps": Difference(
        "adagrad", dict(lr=0.1, eps=1e-4), optax.adagrad(0.1, 0.0, eps=1e-4),
        "optax: g / sqrt(G + eps); torch: g / (sqrt(G) + eps)", "adagrad-eps0"),
    "adagrad-defaults": Difference(
        "adagrad", dict(lr=0.1), optax.adagrad(0.1),
        "optax's defaults: initial accumulator 0.1 (torch: 0), eps 1e-7 inside the root "
        "(torch: 1e-10 outside)", "adagrad-eps0"),
    "rmsprop-eps-in-sqrt": Difference(
        "rmsprop", dict(lr=0.01, alpha=0.9, eps=1e-4), optax.rmsprop(0.01, 0.9, 1e-4),
        "optax's default eps_in_sqrt=True: g / sqrt(v + eps); torch: g / (sqrt(v) + eps)",
        "rmsprop-eps0-either-place"),
    "rmsprop-defaults": Difference(
        "rmsprop", dict(lr=0.01), optax.rmsprop(0.01),
        "optax's defaults: decay 0.9 (torch's alpha: 0.99), eps inside the root",
        "rmsprop-plain"),
    "rmsprop-bias-correction": Difference(
        "rmsprop", dict(lr=0.01),
        optax.rmsprop(0.01, 0.99, 1e-8, eps_in_sqrt=False, bias_correction=True),
        "optax can divide v by 1 - decay^t; torch never does", "rmsprop-plain"),
    "adadelta-no-learning-rate": Difference(
        "adadelta", dict(lr=1.0), optax.adadelta(),
        "optax.adadelta's default learning_rate=None skips scale_by_learning_rate and its "
        "sign flip: the update climbs the gradient",
        "adadelta-defaults"),
    "amsgrad": Difference(
        "adam", dict(lr=0.05, amsgrad=True), optax.amsgrad(0.05),
        "optax keeps max_s v_s / (1 - b2^s); torch keeps max_s v_s, divided by 1 - b2^t",
        "adam-amsgrad-b2=0"),
    "adamw-defaults": Difference(
        "adamw", dict(lr=0.05), optax.adamw(0.05),
        "optax.adamw's default weight_decay is 1e-4, torch's 1e-2",
        "adamw-torch-default-decay"),
    "nadam-schedule": Difference(
        "nadam", dict(lr=0.02), optax.nadam(0.02),
        "torch's mu_t = b1 (1 - 0.96^(0.004 t) / 2) starts near b1 / 2; optax's is b1",
        "nadam-constant-momentum"),
    "radam-eps": Difference(
        "radam", dict(lr=0.02, eps=1e-3), optax.radam(0.02, eps=1e-3),
        "torch: sqrt(1 - b2^t) / (sqrt(v) + eps), eps before the bias correction; optax: "
        "1 / (sqrt(v / (1 - b2^t)) + eps)", "radam-eps0"),
    "radam-default-eps": Difference(
        "radam", dict(lr=0.02), optax.radam(0.02),
        "the same eps placement at eps = 1e-8: small, but 190 times TOL",
        "radam-eps0", size=(1e-9, 1e-6)),
}


@pytest.mark.parametrize("case", DIFFERS.values(), ids=list(DIFFERS))
def test_documented_difference_is_real_and_is_torchs(case):
    paths = trajectories(case.optimizer, case.options, case.optax, builtin=True)
    # lossref is torch here, so the difference is between torch.optim and optax
    assert gap(paths["lossref"], paths["torch"]) <= NUMPY_RTOL[np.float64]
    found = gap(paths["optax"], paths["lossref"])
    low, high = case.size
    assert low < found < high, (
        f"{case.optimizer}: documented difference ({case.why}) is {found:.3g}, "
        f"expected between {low:g} and {high:g}")


def test_every_difference_names_the_agreeing_case_where_it_vanishes():
    """That case's agreement is checked by ``test_optax_computes_the_same_trajectory``."""
    for key, case in DIFFERS.items():
        if case.vanishes is not None:
            assert case.vanishes in AGREE_IDS, f"{key}: no AGREES case {case.vanishes!r}"
            assert AGREE_IDS[case.vanishes].values[0] == case.optimizer, key


def test_optax_adadelta_without_learning_rate_climbs():
    """The update is +delta (the gradient's direction), where torch's lr=1 steps -delta."""
    problem = Problem(np.float64)
    params = [jnp.asarray(p) for p in problem.start]
    grads = problem.grads(problem.start, 0)
    tx = optax.adadelta()
    updates, _ = tx.update([jnp.asarray(g) for g in grads], tx.init(params), params)
    for u, g in zip(updates, grads, strict=True):
        assert np.all(np.sign(np.asarray(u)) == np.sign(g)), "every coordinate goes uphill"


def test_nadam_float32_momentum_product_is_the_whole_remaining_difference():
    """With the schedule off (mu_t = b1), torch's NAdam is optax's but for one rounding:
    torch keeps prod mu_t in its scalar dtype, float32 by default. At b1 = 0.9 that moves
    the trajectory by about 6e-8 (lossref rounds as torch does); torch with float64 as its
    default dtype keeps the product in float64 and then agrees with optax to TOL."""
    options = dict(lr=0.02, momentum_decay=1e6)
    paths = trajectories("nadam", options, optax.nadam(0.02))
    found = gap(paths["optax"], paths["lossref"])
    assert 1e-9 < found < 1e-6, f"float32 mu_product effect {found:.3g}, expected ~6e-8"

    assert mu_product_dtype(options) == torch.float32

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert mu_product_dtype(options) == torch.float64
        paths = trajectories("nadam", options, optax.nadam(0.02), builtin=True)
    finally:
        torch.set_default_dtype(default)
    found = gap(paths["optax"], paths["torch"])
    assert found <= TOL, f"torch with float64 mu_product is off optax by {found:.3g}"


def mu_product_dtype(options) -> torch.dtype:
    """The dtype torch.optim.NAdam keeps its momentum product in, for float64 parameters."""
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.ones_like(p)
    opt = torch.optim.NAdam([p], **options)
    opt.step()
    return opt.state[p]["mu_product"].dtype


def optax_rho(t: int, beta2: float) -> float:
    """rho_t as ``optax.scale_by_radam`` computes it, run eagerly: the step count is a
    concrete int32 array, so ``beta2**count`` is ``lax.integer_pow`` (repeated
    multiplication), which may differ from libm's ``pow`` (torch's) by an ulp. (Under
    ``jax.jit`` it would be ``lax.pow``.)"""
    count = jnp.asarray(t, jnp.int32)
    b2t = beta2**count
    return float(2.0 / (1.0 - beta2) - 1.0 - 2 * count * b2t / (1 - b2t))


def beta2_with_rho_exactly_five(t: int) -> float | None:
    """A beta2 at which rho_t is exactly 5.0 as torch computes it and as optax does:
    bisect for the root (rho_t rises from 1 to about t as beta2 goes from 0 to 1), then try
    the floats around it."""
    low, high = 0.0, 1.0 - 1e-9
    for _ in range(80):
        middle = (low + high) / 2
        low, high = (middle, high) if radam_rho(t, middle)[1] < 5.0 else (low, middle)
    beta2 = low
    for _ in range(300):
        beta2 = float(np.nextafter(beta2, 0.0))
    for _ in range(600):
        if radam_rho(t, beta2)[1] == 5.0 and optax_rho(t, beta2) == 5.0:
            return beta2
        beta2 = float(np.nextafter(beta2, 1.0))
    return None


def test_radam_threshold_is_strict_in_torch_and_not_in_optax():
    """torch rectifies when rho_t > 5, optax when rho_t >= threshold. At a beta2 where
    rho_t is exactly 5 at step t, torch takes the plain momentum step and optax the
    rectified one: the trajectories agree up to step t - 1 and part at step t. optax's
    ``threshold=nextafter(5, inf)`` is torch's rule."""
    for t in range(6, 16):  # an exact hit exists for most t (here for 7 of these 10)
        beta2 = beta2_with_rho_exactly_five(t)
        if beta2 is not None:
            break
    else:
        pytest.fail("no float beta2 puts rho_t at exactly 5.0 in both libraries")
    options = dict(lr=0.02, betas=(0.9, beta2), eps=0.0)
    paths = trajectories("radam", options, optax.radam(0.02, 0.9, beta2, eps=0.0),
                         builtin=True)
    assert gap(paths["lossref"], paths["torch"]) <= NUMPY_RTOL[np.float64]
    gaps = step_gaps(paths["optax"], paths["lossref"])
    assert max(gaps[:t - 1]) <= TOL, f"apart before step {t}"
    assert gaps[t - 1] > DIFFERENT, f"step {t}: rho_t = 5, optax rectifies and torch does not"
    strict = float(np.nextafter(5.0, inf))
    assert_same_rule("radam", options, optax.radam(0.02, 0.9, beta2, eps=0.0, threshold=strict),
                     "radam with optax's threshold just above 5")
