"""NAdam (Adam with Nesterov momentum) and RAdam (Adam with a rectified adaptive
learning rate), in torch.optim.NAdam's and torch.optim.RAdam's exact order of operations.

The two share everything before their updates differ: the checks, the step counter,
``maximize``, weight decay (L2 or decoupled) and the two moving averages. Those parts are
written once here, for NumPy and for torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lossref._checks import check_flag, check_real
from lossref.optim._base import (
    NumpyOptimizer,
    TorchOptimizer,
    check_betas,
    check_finite_nonnegative,
    check_implementation_flags,
    group_lr,
    lerp_,
    torch_scalar_dtype,
)
from lossref.optim._properties import nadam_properties, radam_properties
from lossref.registry import Optimizer, Reference, register

__all__ = ["nadam", "radam", "NAdamNumpy", "NAdamTorch", "RAdamNumpy", "RAdamTorch"]

# torch keeps ``step`` and NAdam's ``mu_product`` in its "scalar dtype": float32 unless
# torch's default dtype is float64. The running product is rounded to float32 at every
# step even for float64 parameters, and it enters the update, so the NumPy version
# rounds it the same way to follow torch to the last bit.
SCALAR_DTYPE = np.float32


# ------------------------------------------------------------------ shared parts


def _check_adam_family(h: dict[str, Any], *, numpy: bool) -> None:
    """lr, betas, eps, weight_decay (and NAdam's momentum_decay), the two flags. The
    NumPy classes take plain numbers only; torch also takes a one-element tensor."""
    for name in ("lr", "eps", "weight_decay", "momentum_decay"):
        if name in h:
            check_finite_nonnegative(h[name], name, tensor=not numpy)
    check_betas(h["betas"])
    if numpy:
        for i, beta in enumerate(h["betas"]):
            check_real(beta, f"betas[{i}]")
    check_flag(h["decoupled_weight_decay"], "decoupled_weight_decay")
    check_flag(h["maximize"], "maximize")


# --8<-- [start:adam_family_numpy]
class _AdamFamilyNumpy(NumpyOptimizer):
    """What NAdam and RAdam share, on NumPy arrays: the state, the step counter,
    ``maximize``, weight decay and the two moving averages."""

    scalar_state: tuple[str, ...] = ("step",)  # NAdam adds "mu_product"
    scalar_dtype = SCALAR_DTYPE

    def _begin(self, param, grad, state, h):
        """Everything before the update proper; returns the gradient and the step t."""
        if not state:
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            state["step"] = np.zeros((), SCALAR_DTYPE)
            if "mu_product" in self.scalar_state:
                state["mu_product"] = np.ones((), SCALAR_DTYPE)
        state["step"] = np.asarray(state["step"] + 1, SCALAR_DTYPE)  # torch: step_t += 1
        g = -grad if h["maximize"] else grad
        if h["weight_decay"]:
            if h["decoupled_weight_decay"]:  # AdamW's decay: shrink the parameter itself
                param *= 1 - h["lr"] * h["weight_decay"]
            else:  # L2: the gradient of weight_decay / 2 * |theta|^2, through the averages
                g = g + h["weight_decay"] * param
        beta1, beta2 = h["betas"]
        lerp_(state["exp_avg"], g, 1 - beta1)            # m = beta1 m + (1 - beta1) g
        state["exp_avg_sq"] *= beta2                      # v = beta2 v + (1 - beta2) g^2
        state["exp_avg_sq"] += ((1 - beta2) * g) * g
        return g, float(state["step"])
# --8<-- [end:adam_family_numpy]


# --8<-- [start:adam_family_torch]
class _AdamFamilyTorch(TorchOptimizer):
    """The shared part for torch tensors, the same operations as ``_AdamFamilyNumpy``."""

    scalar_state: tuple[str, ...] = ("step",)

    def _begin(self, p, grad, state, group):
        if not state:
            state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
            if "mu_product" in self.scalar_state:
                state["mu_product"] = torch.tensor(1.0, dtype=torch_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        step_t = state["step"]
        step_t += 1
        lr = group_lr(group)
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * group["weight_decay"])
            else:
                g = g.add(p, alpha=group["weight_decay"])
        beta1, beta2 = group["betas"]
        state["exp_avg"].lerp_(g, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return g, step_t.item(), lr
# --8<-- [end:adam_family_torch]


# ------------------------------------------------------------------ NAdam


def nadam_momentum(t: float, beta1: float, momentum_decay: float) -> float:
    """torch's momentum schedule mu_t = beta1 (1 - 0.96 ** (t * momentum_decay) / 2).

    Examples:
        >>> round(nadam_momentum(1, 0.9, 0.004), 4), round(nadam_momentum(10**5, 0.9, 0.004), 4)
        (0.4501, 0.9)
    """
    return beta1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))


# --8<-- [start:nadam_numpy]
class NAdamNumpy(_AdamFamilyNumpy):
    """torch.optim.NAdam on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = NAdamNumpy([w], lr=0.1)
        >>> opt.step([np.array([0.5, -4.0])])
        >>> w.round(4)  # the first step is 0.1 * 1.0565 against the sign of the gradient
        array([ 0.8944, -1.8944])
    """

    scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         momentum_decay=momentum_decay,
                         decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_adam_family(h, numpy=True)

    def _update(self, param, grad, state, h):
        g, t = self._begin(param, grad, state, h)
        beta1, beta2 = h["betas"]
        mu = nadam_momentum(t, beta1, h["momentum_decay"])
        mu_next = nadam_momentum(t + 1, beta1, h["momentum_decay"])
        # torch multiplies its float32 tensor by mu rounded to float32
        state["mu_product"] = np.asarray(SCALAR_DTYPE(state["mu_product"]) * SCALAR_DTYPE(mu))
        mu_product = float(state["mu_product"])
        mu_product_next = mu_product * mu_next
        denom = np.sqrt(state["exp_avg_sq"] / (1 - beta2**t))
        denom += h["eps"]
        # two addcdiv_ steps: the current gradient, then the momentum one step ahead
        param += (-h["lr"] * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        param += ((-h["lr"] * mu_next) / (1.0 - mu_product_next)) * state["exp_avg"] / denom
# --8<-- [end:nadam_numpy]


# --8<-- [start:nadam_torch]
class NAdamTorch(_AdamFamilyTorch):
    """torch.optim.NAdam written from tensor operations, same order of operations."""

    scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        _check_adam_family(defaults, numpy=False)
        check_implementation_flags(foreach=foreach, capturable=capturable,
                                   differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        g, t, lr = self._begin(p, grad, state, group)
        beta1, beta2 = group["betas"]
        mu = nadam_momentum(t, beta1, group["momentum_decay"])
        mu_next = nadam_momentum(t + 1, beta1, group["momentum_decay"])
        state["mu_product"] *= mu
        mu_product = state["mu_product"].item()
        mu_product_next = mu_product * mu_next
        denom = state["exp_avg_sq"].div(1 - beta2**t).sqrt()
        denom.add_(group["eps"])
        p.addcdiv_(g, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product)))
        p.addcdiv_(state["exp_avg"], denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
# --8<-- [end:nadam_torch]


# ------------------------------------------------------------------ RAdam


def radam_rho(t: float, beta2: float) -> tuple[float, float]:
    """(rho_inf, rho_t): the length of the simple moving average that the exponential
    moving average of the squared gradients approximates, in the limit and at step t.

    Examples:
        >>> [round(radam_rho(t, 0.999)[1], 3) for t in (1, 5, 6)]
        [1.0, 4.996, 5.994]
    """
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf, rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)


def radam_rectification(rho_t: float, rho_inf: float) -> float:
    """r_t, the ratio of standard deviations of the adaptive learning rate (rho_t > 4).

    Examples:
        >>> rho_inf, rho_6 = radam_rho(6, 0.999)
        >>> round(radam_rectification(rho_6, rho_inf), 4)
        0.0258
    """
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


# --8<-- [start:radam_numpy]
class RAdamNumpy(_AdamFamilyNumpy):
    """torch.optim.RAdam on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = RAdamNumpy([w], lr=0.1)
        >>> opt.step([np.array([0.5, -4.0])])
        >>> w  # steps 1 to 5 (beta2 = 0.999) are SGD steps with the corrected momentum
        array([ 0.95, -1.6 ])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_adam_family(h, numpy=True)

    def _update(self, param, grad, state, h):
        _, t = self._begin(param, grad, state, h)
        beta1, beta2 = h["betas"]
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        bias_corrected_exp_avg = state["exp_avg"] / bias_correction1
        rho_inf, rho_t = radam_rho(t, beta2)
        if rho_t > 5.0:  # the variance of the adaptive rate is tractable: rectify it
            denom = np.sqrt(state["exp_avg_sq"])
            denom += h["eps"]
            # torch's  number / tensor  is  tensor.reciprocal() * number
            adaptive_lr = np.reciprocal(denom) * bias_correction2**0.5
            rect = radam_rectification(rho_t, rho_inf)
            param -= bias_corrected_exp_avg * h["lr"] * adaptive_lr * rect
        else:  # not yet: an SGD step with the bias-corrected momentum
            param -= bias_corrected_exp_avg * h["lr"]
# --8<-- [end:radam_numpy]


# --8<-- [start:radam_torch]
class RAdamTorch(_AdamFamilyTorch):
    """torch.optim.RAdam written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        _check_adam_family(defaults, numpy=False)
        check_implementation_flags(foreach=foreach, capturable=capturable,
                                   differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        _, t, lr = self._begin(p, grad, state, group)
        beta1, beta2 = group["betas"]
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        bias_corrected_exp_avg = state["exp_avg"] / bias_correction1
        rho_inf, rho_t = radam_rho(t, beta2)
        if rho_t > 5.0:
            adaptive_lr = (bias_correction2**0.5) / state["exp_avg_sq"].sqrt().add_(group["eps"])
            rect = radam_rectification(rho_t, rho_inf)
            p.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
        else:
            p.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
# --8<-- [end:radam_torch]


# ------------------------------------------------------------------ records


def _grid(base: dict[str, Any], extra: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    common = (
        {},
        dict(maximize=True),
        dict(weight_decay=0.1),
        dict(weight_decay=0.1, decoupled_weight_decay=True),
        dict(weight_decay=0.1, maximize=True),
        dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
        dict(betas=(0.5, 0.99), eps=1e-6),
        dict(betas=(0.0, 0.9)),
    )
    return tuple({**base, **options} for options in common + extra)


nadam = register(Optimizer(
    name="nadam", title="NAdam", page="optimizers/nadam.md", numpy=NAdamNumpy,
    torch=NAdamTorch, builtin_path="torch.optim:NAdam", declare=nadam_properties,
    option_grid=_grid(dict(lr=0.02), (
        dict(momentum_decay=0.0),              # mu_t = beta1 / 2 at every step
        dict(momentum_decay=0.5),              # the schedule rises within the 60 steps
        dict(momentum_decay=1e6),              # mu_t = beta1: Adam with Nesterov momentum
        dict(momentum_decay=0.1, weight_decay=0.05, decoupled_weight_decay=True,
             betas=(0.8, 0.95), maximize=True),
    )),
    references=(
        Reference("T. Dozat", "Incorporating Nesterov momentum into Adam", 2016,
                  "ICLR 2016 workshop track",
                  link="https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ"),
        Reference("I. Sutskever, J. Martens, G. Dahl, G. Hinton", "On the importance of "
                  "initialization and momentum in deep learning", 2013,
                  "ICML, PMLR 28(3)", link="https://proceedings.mlr.press/v28/sutskever13.html"),
        Reference("I. Loshchilov, F. Hutter", "Decoupled weight decay regularization", 2019,
                  "ICLR", arxiv="1711.05101"),
    ),
))


radam = register(Optimizer(
    name="radam", title="RAdam", page="optimizers/radam.md", numpy=RAdamNumpy,
    torch=RAdamTorch, builtin_path="torch.optim:RAdam", declare=radam_properties,
    option_grid=_grid(dict(lr=0.02), (
        dict(betas=(0.9, 0.99)),
        dict(betas=(0.5, 0.6)),                # rho_inf = 4: never rectified, SGD steps only
        dict(betas=(0.9, 0.9), weight_decay=0.05, decoupled_weight_decay=True),
    )),
    references=(
        Reference("L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han",
                  "On the variance of the adaptive learning rate and beyond", 2020, "ICLR",
                  arxiv="1908.03265"),
        Reference("I. Loshchilov, F. Hutter", "Decoupled weight decay regularization", 2019,
                  "ICLR", arxiv="1711.05101"),
    ),
))
