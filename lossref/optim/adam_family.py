"""Adam, AdamW and Adamax, in torch.optim's exact order of operations.

AdamW is Adam with ``decoupled_weight_decay=True`` and another default ``weight_decay``,
as in torch: a subclass, not a copy. Adamax replaces Adam's root-mean-square with an
exponentially decaying maximum (the infinity norm).
"""

from __future__ import annotations

import numpy as np
import torch

from lossref._checks import check_flag
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
from lossref.optim._properties import adam_properties, adamax_properties, adamw_properties
from lossref.registry import Optimizer, Reference, register

__all__ = ["adam", "adamw", "adamax", "AdamNumpy", "AdamTorch", "AdamWNumpy", "AdamWTorch",
           "AdamaxNumpy", "AdamaxTorch"]


def _check_common(lr, betas, eps, weight_decay, maximize, *, numpy: bool) -> None:
    # the NumPy optimizers take numbers; torch also takes a 1-element tensor lr
    check_finite_nonnegative(lr, "lr", tensor=not numpy)
    check_betas(betas)
    check_finite_nonnegative(eps, "eps")
    check_finite_nonnegative(weight_decay, "weight_decay", tensor=not numpy)
    check_flag(maximize, "maximize")


def _check_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay, *,
                numpy: bool = True) -> None:
    _check_common(lr, betas, eps, weight_decay, maximize, numpy=numpy)
    check_flag(amsgrad, "amsgrad")
    check_flag(decoupled_weight_decay, "decoupled_weight_decay")


def _check_adamax(lr, betas, eps, weight_decay, maximize, *, numpy: bool = True) -> None:
    _check_common(lr, betas, eps, weight_decay, maximize, numpy=numpy)


# --8<-- [start:adam_numpy]
class AdamNumpy(NumpyOptimizer):
    """torch.optim.Adam on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = AdamNumpy([w], lr=0.1)
        >>> opt.step([np.array([3.0, -0.5])])
        >>> w.round(12)  # the first step is lr * sign(g) (up to eps), whatever the size of g
        array([ 0.9, -1.9])
        >>> sorted(opt.state[0])
        ['exp_avg', 'exp_avg_sq', 'step']
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize,
                         decoupled_weight_decay=decoupled_weight_decay)

    @staticmethod
    def check_hyperparameters(h):
        _check_adam(**h)

    def _check_state(self, h):
        # torch raises a KeyError part-way through its loop; here nothing has moved yet
        if h["amsgrad"] and any(s and "max_exp_avg_sq" not in s for s in self.state):
            raise ValueError("amsgrad was switched on after steps taken without it: "
                             "max_exp_avg_sq does not exist (torch.optim.Adam raises a "
                             "KeyError); create a new optimizer with amsgrad=True")

    def _update(self, param, grad, state, h):
        beta1, beta2 = h["betas"]
        lr, eps, weight_decay = h["lr"], h["eps"], h["weight_decay"]
        if not state:
            state["step"] = np.array(0.0)
            state["exp_avg"] = np.zeros_like(param)      # m, the first moment
            state["exp_avg_sq"] = np.zeros_like(param)   # v, the second moment
            if h["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        g = -grad if h["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            if h["decoupled_weight_decay"]:  # AdamW: shrink the parameter itself
                param *= 1 - lr * weight_decay
            else:  # L2: the penalty's gradient joins g, and is divided by sqrt(v) below
                g = g + weight_decay * param
        lerp_(exp_avg, g, 1 - beta1)                    # m <- beta1 m + (1 - beta1) g
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g                # v <- beta2 v + (1 - beta2) g^2
        t = float(state["step"])
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if h["amsgrad"]:  # the running maximum of v itself, before the bias correction
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            denom = np.sqrt(state["max_exp_avg_sq"]) / bias_correction2_sqrt
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt
        denom += eps                                     # eps outside the root, after it
        param += (-step_size * exp_avg) / denom          # torch's addcdiv_
# --8<-- [end:adam_numpy]


# --8<-- [start:adamw_numpy]
class AdamWNumpy(AdamNumpy):
    """torch.optim.AdamW on NumPy arrays: Adam with decoupled weight decay, default 0.01.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = AdamWNumpy([w], lr=0.1, weight_decay=0.5)
        >>> opt.step([np.array([0.0, 0.0])])
        >>> w  # a zero gradient: only the decay, w * (1 - lr * weight_decay)
        array([ 0.95, -1.9 ])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        # torch.optim.AdamW does the same when it loads a state_dict (its __setstate__)
        self.param_groups[0]["decoupled_weight_decay"] = True
# --8<-- [end:adamw_numpy]


# --8<-- [start:adam_torch]
class AdamTorch(TorchOptimizer):
    """torch.optim.Adam written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_implementation_flags(foreach, fused, capturable, differentiable)
        _check_adam(lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay,
                    numpy=False)
        super().__init__(params, dict(lr=lr, betas=check_betas(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = group_lr(group), group["eps"], group["weight_decay"]
        if not state:
            state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        max_exp_avg_sq = state.get("max_exp_avg_sq")
        grad = -grad if group["maximize"] else grad
        state["step"] += 1
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        if torch.is_complex(p):  # as torch: real and imaginary parts are two coordinates
            p, grad, exp_avg, exp_avg_sq = map(torch.view_as_real, (p, grad, exp_avg, exp_avg_sq))
            if max_exp_avg_sq is not None:
                max_exp_avg_sq = torch.view_as_real(max_exp_avg_sq)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = state["step"].item()
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if group["amsgrad"]:
            torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-step_size)
# --8<-- [end:adam_torch]


# --8<-- [start:adamw_torch]
class AdamWTorch(AdamTorch):
    """torch.optim.AdamW written from tensor operations: AdamTorch with decoupled decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:  # as torch.optim.AdamW: always decoupled
            group["decoupled_weight_decay"] = True
# --8<-- [end:adamw_torch]


# --8<-- [start:adamax_numpy]
class AdamaxNumpy(NumpyOptimizer):
    """torch.optim.Adamax on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = AdamaxNumpy([w], lr=0.1)
        >>> opt.step([np.array([3.0, -0.001])])
        >>> w.round(6)  # lr * g / (|g| + eps) on the first step
        array([ 0.9     , -1.900001])
        >>> sorted(opt.state[0])
        ['exp_avg', 'exp_inf', 'step']
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_adamax(**h)

    def _update(self, param, grad, state, h):
        beta1, beta2 = h["betas"]
        if not state:
            state["step"] = np.array(0.0)
            state["exp_avg"] = np.zeros_like(param)   # m, the first moment
            state["exp_inf"] = np.zeros_like(param)   # u, the decaying maximum of |g|
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        g = -grad if h["maximize"] else grad
        state["step"] += 1
        if h["weight_decay"] != 0:
            g = g + h["weight_decay"] * param
        lerp_(exp_avg, g, 1 - beta1)                 # m <- beta1 m + (1 - beta1) g
        exp_inf *= beta2                              # u <- max(beta2 u, |g| + eps)
        np.maximum(exp_inf, np.abs(g) + h["eps"], out=exp_inf)
        bias_correction = 1 - beta1 ** float(state["step"])   # for m only
        clr = h["lr"] / bias_correction
        param += (-clr * exp_avg) / exp_inf           # torch's addcdiv_
# --8<-- [end:adamax_numpy]


# --8<-- [start:adamax_torch]
class AdamaxTorch(TorchOptimizer):
    """torch.optim.Adamax written from tensor operations, same order of operations."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_implementation_flags(foreach, None, capturable, differentiable)
        _check_adamax(lr, betas, eps, weight_decay, maximize, numpy=False)
        super().__init__(params, dict(lr=lr, betas=check_betas(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_inf"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        grad = -grad if group["maximize"] else grad
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        if torch.is_complex(p):
            p, grad, exp_avg, exp_inf = map(torch.view_as_real, (p, grad, exp_avg, exp_inf))
        exp_avg.lerp_(grad, 1 - beta1)
        torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"]), out=exp_inf)
        bias_correction = 1 - beta1 ** state["step"].item()
        clr = group_lr(group) / bias_correction
        p.addcdiv_(exp_avg, exp_inf, value=-clr)
# --8<-- [end:adamax_torch]


KINGMA_BA = Reference("D. P. Kingma, J. Ba", "Adam: a method for stochastic optimization",
                      2015, "ICLR", arxiv="1412.6980")
REDDI = Reference("S. J. Reddi, S. Kale, S. Kumar", "On the convergence of Adam and beyond",
                  2018, "ICLR", arxiv="1904.09237")
LOSHCHILOV_HUTTER = Reference("I. Loshchilov, F. Hutter", "Decoupled weight decay "
                              "regularization", 2019, "ICLR", arxiv="1711.05101")


def _adam_grid(decoupled: bool):
    lr = 0.05
    wd = dict(weight_decay=0.1)
    grid = [
        dict(lr=lr, weight_decay=0.0),
        dict(lr=lr, betas=(0.5, 0.9)),
        dict(lr=lr, betas=(0.0, 0.99)),        # no first moment: lerp weight 1
        dict(lr=lr, betas=(0.3, 0.999)),       # lerp weight 0.7: ATen's second formula
        dict(lr=lr, betas=(0.8, 0.0)),         # no second-moment memory: v = g^2
        dict(lr=lr, eps=1e-2),
        dict(lr=lr, eps=0.0),
        dict(lr=lr, **wd),
        dict(lr=lr, amsgrad=True),
        dict(lr=lr, maximize=True),
        dict(lr=lr, amsgrad=True, maximize=True, **wd),
        dict(lr=lr, betas=(0.5, 0.9), amsgrad=True, eps=1e-3, **wd),
    ]
    if decoupled:  # AdamW: its default weight decay, and a larger one with the options
        grid[0] = dict(lr=lr)
        grid += [dict(lr=lr, weight_decay=1.0), dict(lr=lr, weight_decay=1.0, maximize=True)]
    else:
        grid += [dict(lr=lr, decoupled_weight_decay=True, **wd),
                 dict(lr=lr, decoupled_weight_decay=True, amsgrad=True, maximize=True, **wd)]
    return tuple(grid)


def _adamax_grid():
    lr = 0.05
    return (
        dict(lr=lr),
        dict(lr=lr, betas=(0.5, 0.9)),
        dict(lr=lr, betas=(0.0, 0.99)),
        dict(lr=lr, betas=(0.3, 0.999)),
        dict(lr=lr, betas=(0.8, 0.0)),         # u = |g| + eps: a sign-like step
        dict(lr=lr, eps=1e-2),
        dict(lr=lr, eps=0.0),
        dict(lr=lr, weight_decay=0.1),
        dict(lr=lr, maximize=True),
        dict(lr=lr, betas=(0.5, 0.9), weight_decay=0.1, maximize=True),
    )


adam = register(Optimizer(
    name="adam", title="Adam", page="optimizers/adam.md", numpy=AdamNumpy, torch=AdamTorch,
    builtin_path="torch.optim:Adam", option_grid=_adam_grid(decoupled=False),
    references=(KINGMA_BA, REDDI, LOSHCHILOV_HUTTER), declare=adam_properties,
))

adamw = register(Optimizer(
    name="adamw", title="AdamW", page="optimizers/adamw.md", numpy=AdamWNumpy,
    torch=AdamWTorch, builtin_path="torch.optim:AdamW", option_grid=_adam_grid(decoupled=True),
    references=(LOSHCHILOV_HUTTER, KINGMA_BA, REDDI), declare=adamw_properties,
))

adamax = register(Optimizer(
    name="adamax", title="Adamax", page="optimizers/adamax.md", numpy=AdamaxNumpy,
    torch=AdamaxTorch, builtin_path="torch.optim:Adamax", option_grid=_adamax_grid(),
    references=(KINGMA_BA,), declare=adamax_properties,
))
