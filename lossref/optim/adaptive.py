"""Adagrad, RMSprop and Adadelta: per-coordinate step sizes from the squared gradients,
in the exact order of operations of ``torch.optim.Adagrad``, ``RMSprop`` and ``Adadelta``.

All three start a step the same way (``maximize`` negates the gradient, then the L2 weight
decay is added to it); that preamble is written once, for NumPy and for torch.
"""

from __future__ import annotations

import numpy as np
import torch

from lossref._checks import check_flag, check_in_range
from lossref.optim._base import (
    NumpyOptimizer,
    TorchOptimizer,
    check_finite_nonnegative,
    check_implementation_flags,
    group_lr,
    lerp_,
    scalar_hyperparameter,
    torch_scalar_dtype,
)
from lossref.optim._properties import (
    adadelta_properties,
    adagrad_properties,
    rmsprop_properties,
)
from lossref.registry import Optimizer, Reference, register

__all__ = ["adagrad", "rmsprop", "adadelta", "AdagradNumpy", "AdagradTorch",
           "RMSpropNumpy", "RMSpropTorch", "AdadeltaNumpy", "AdadeltaTorch"]


# A tensor is refused in these checks (tensor=False): the torch classes unwrap a
# one-element tensor lr before they call them.


def _check_common(lr, eps, weight_decay, maximize) -> None:
    for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
        check_finite_nonnegative(value, name, tensor=False)
    check_flag(maximize, "maximize")


def _check_adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize):
    _check_common(lr, eps, weight_decay, maximize)
    check_finite_nonnegative(lr_decay, "lr_decay", tensor=False)
    check_finite_nonnegative(initial_accumulator_value, "initial_accumulator_value", tensor=False)


def _check_rmsprop(lr, alpha, eps, weight_decay, momentum, centered, maximize):
    _check_common(lr, eps, weight_decay, maximize)
    check_in_range(alpha, "alpha", 0.0, 1.0)
    check_finite_nonnegative(momentum, "momentum", tensor=False)
    check_flag(centered, "centered")


def _check_adadelta(lr, rho, eps, weight_decay, maximize):
    _check_common(lr, eps, weight_decay, maximize)
    check_in_range(rho, "rho", 0.0, 1.0)


# --8<-- [start:preamble_numpy]
def _gradient(param, grad, h):
    """The gradient the update uses: negated for ``maximize``, plus the L2 term
    ``weight_decay * param`` (coupled weight decay, as in torch.optim.SGD)."""
    g = -grad if h["maximize"] else grad
    if h["weight_decay"]:
        g = g + h["weight_decay"] * param
    return g
# --8<-- [end:preamble_numpy]


# --8<-- [start:preamble_torch]
def _torch_gradient(p, grad, group):
    """The gradient the update uses: negated for ``maximize``, plus the L2 term."""
    g = -grad if group["maximize"] else grad
    if group["weight_decay"] != 0:
        g = g.add(p, alpha=group["weight_decay"])
    return g


def _as_real(*tensors):
    """torch.optim updates a complex tensor as pairs of real numbers (``view_as_real``):
    the real and the imaginary part each get their own squared-gradient average."""
    return [torch.view_as_real(t) if t.is_complex() else t for t in tensors]
# --8<-- [end:preamble_torch]


# ------------------------------------------------------------------------ Adagrad


# --8<-- [start:adagrad_numpy]
class AdagradNumpy(NumpyOptimizer):
    """torch.optim.Adagrad on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = AdagradNumpy([w], lr=0.1)
        >>> opt.state[0]["sum"]  # created with the optimizer, as in torch
        array([0., 0.])
        >>> opt.step([np.array([3.0, -0.5])])
        >>> w  # the first step is lr * g / |g|: lr in every coordinate
        array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, *, maximize=False):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps,
                         maximize=maximize)
        for param, state in zip(self.params, self.state):
            self._init_state(param, state)  # torch builds the state in the constructor

    @staticmethod
    def check_hyperparameters(h):
        _check_adagrad(**h)

    def _init_state(self, param, state):
        state["step"] = np.zeros(())
        state["sum"] = np.full_like(param, self.defaults["initial_accumulator_value"])

    def _update(self, param, grad, state, h):
        if not state:  # a state_dict without this parameter's state: torch starts afresh
            self._init_state(param, state)
        state["step"] += 1
        step = float(state["step"])
        g = _gradient(param, grad, h)
        clr = h["lr"] / (1 + (step - 1) * h["lr_decay"])
        state["sum"] += g * g
        std = np.sqrt(state["sum"]) + h["eps"]
        param += (-clr * g) / std  # addcdiv_(g, std, value=-clr): (value * g) / std
# --8<-- [end:adagrad_numpy]


# --8<-- [start:adagrad_torch]
class AdagradTorch(TorchOptimizer):
    """torch.optim.Adagrad written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *,
                 maximize=False, differentiable=False, fused=None):
        check_implementation_flags(foreach=foreach, fused=fused, differentiable=differentiable)
        _check_adagrad(scalar_hyperparameter(lr, "lr"), lr_decay,
                       scalar_hyperparameter(weight_decay, "weight_decay"),
                       initial_accumulator_value, eps, maximize)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p])

    def _init_state(self, p, state):
        value = self.defaults["initial_accumulator_value"]
        state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
        state["sum"] = torch.full_like(p, complex(value, value) if p.is_complex() else value,
                                       memory_format=torch.preserve_format)

    def _update(self, p, grad, state, group):
        if not state:
            self._init_state(p, state)
        state["step"] += 1
        step = state["step"].item()
        g = _torch_gradient(p, grad, group)
        clr = group_lr(group) / (1 + (step - 1) * group["lr_decay"])
        p, g, state_sum = _as_real(p, g, state["sum"])
        state_sum.addcmul_(g, g, value=1)
        std = state_sum.sqrt().add_(group["eps"])
        p.addcdiv_(g, std, value=-clr)
# --8<-- [end:adagrad_torch]


# ------------------------------------------------------------------------ RMSprop


# --8<-- [start:rmsprop_numpy]
class RMSpropNumpy(NumpyOptimizer):
    """torch.optim.RMSprop on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = RMSpropNumpy([w], lr=0.01)
        >>> opt.step([np.array([3.0, -5.0])])
        >>> w  # the first step is lr / sqrt(1 - alpha) = 10 lr in every coordinate
        array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered, maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_rmsprop(**h)

    def _update(self, param, grad, state, h):
        if not state:
            state["step"] = np.zeros(())
            state["square_avg"] = np.zeros_like(param)
        if h["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param)
        if h["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        g = _gradient(param, grad, h)
        alpha, square_avg = h["alpha"], state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if h["centered"]:  # the variance: mean of g^2 minus the square of the mean of g
            grad_avg = state["grad_avg"]
            lerp_(grad_avg, g, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += h["eps"]  # outside the square root
        if h["momentum"] > 0:  # the momentum buffer holds scaled steps, not gradients
            buf = state["momentum_buffer"]
            buf *= h["momentum"]
            buf += g / avg
            param -= h["lr"] * buf
        else:
            param += (-h["lr"] * g) / avg
# --8<-- [end:rmsprop_numpy]


# --8<-- [start:rmsprop_torch]
class RMSpropTorch(TorchOptimizer):
    """torch.optim.RMSprop written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_implementation_flags(foreach=foreach, capturable=capturable,
                                   differentiable=differentiable)
        _check_rmsprop(scalar_hyperparameter(lr, "lr"), alpha, eps,
                       scalar_hyperparameter(weight_decay, "weight_decay"), momentum,
                       centered, maximize)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
            state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["step"] += 1
        g = _torch_gradient(p, grad, group)
        alpha = group["alpha"]
        p, g, square_avg = _as_real(p, g, state["square_avg"])
        square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            (grad_avg,) = _as_real(state["grad_avg"])
            grad_avg.lerp_(g, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add_(group["eps"])
        if group["momentum"] > 0:
            (buf,) = _as_real(state["momentum_buffer"])
            buf.mul_(group["momentum"]).addcdiv_(g, avg)
            p.add_(buf, alpha=-group_lr(group))
        else:
            p.addcdiv_(g, avg, value=-group_lr(group))
# --8<-- [end:rmsprop_torch]


# ------------------------------------------------------------------------ Adadelta


# --8<-- [start:adadelta_numpy]
class AdadeltaNumpy(NumpyOptimizer):
    """torch.optim.Adadelta on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = AdadeltaNumpy([w])
        >>> opt.step([np.array([3.0, -0.5])])
        >>> w.round(6)  # about sqrt(eps / (1 - rho)) = 0.00316 in every coordinate
        array([ 0.996838, -1.996838])
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *,
                 maximize=False):
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                         maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_adadelta(**h)

    def _update(self, param, grad, state, h):
        if not state:
            state["step"] = np.zeros(())
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        state["step"] += 1
        g = _gradient(param, grad, h)
        rho, eps = h["rho"], h["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        std = np.sqrt(square_avg + eps)  # RMS[g]_t, eps inside the square root
        delta = np.sqrt(acc_delta + eps)  # RMS[delta]_{t-1}
        delta /= std
        delta *= g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= h["lr"] * delta
# --8<-- [end:adadelta_numpy]


# --8<-- [start:adadelta_torch]
class AdadeltaTorch(TorchOptimizer):
    """torch.optim.Adadelta written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_implementation_flags(foreach=foreach, capturable=capturable,
                                   differentiable=differentiable)
        _check_adadelta(scalar_hyperparameter(lr, "lr"), rho, eps,
                        scalar_hyperparameter(weight_decay, "weight_decay"), maximize)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = torch.tensor(0.0, dtype=torch_scalar_dtype())
            state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["step"] += 1
        g = _torch_gradient(p, grad, group)
        rho, eps = group["rho"], group["eps"]
        p, g, square_avg, acc_delta = _as_real(p, g, state["square_avg"], state["acc_delta"])
        square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_()
        delta.div_(std).mul_(g)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group_lr(group))
# --8<-- [end:adadelta_torch]


# ------------------------------------------------------------------------ records


def _product(base, **choices):
    """Every combination of ``choices`` (name -> values) added to ``base``."""
    grid = [dict(base)]
    for name, values in choices.items():
        grid = [{**options, name: value} for options in grid for value in values]
    return grid


def _adagrad_grid():
    grid = _product(dict(lr=0.1), lr_decay=(0.0, 0.05), weight_decay=(0.0, 0.01),
                    maximize=(False, True))
    grid += [dict(lr=0.1, initial_accumulator_value=0.5),
             dict(lr=0.1, eps=1e-4),
             dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.5,
                  eps=1e-4, maximize=True)]
    return tuple(grid)


def _rmsprop_grid():
    grid = _product(dict(lr=0.01), momentum=(0.0, 0.9), centered=(False, True),
                    maximize=(False, True))
    grid += [dict(lr=0.01, weight_decay=0.01),
             dict(lr=0.01, alpha=0.9, eps=1e-4),
             # lerp weight 0.6 >= 0.5: torch's second formula. A centred RMSprop with a
             # short memory (alpha < 0.5) on a slowly changing gradient subtracts nearly
             # equal numbers (E[g^2] - E[g]^2), which magnifies rounding (torch's fused
             # multiply-add against NumPy's two roundings): alpha=0.3 alone differs by
             # 207 eps in float64; with momentum 0.9 the steps average it out
             dict(lr=0.01, alpha=0.4, momentum=0.9, centered=True),
             dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.01, momentum=0.5,
                  centered=True, maximize=True)]
    return tuple(grid)


def _adadelta_grid():
    grid = _product(dict(lr=1.0), weight_decay=(0.0, 0.01), maximize=(False, True))
    grid += [dict(lr=0.5, rho=0.5),
             dict(lr=1.0, rho=0.95, eps=1e-4),
             # a short memory. (rho = 0 matches torch too, but its steps grow only like
             # sqrt(t eps): unbounded, as declared, yet no test can run long enough to see it)
             dict(lr=1.0, rho=0.3),
             dict(lr=2.0, rho=0.8, eps=1e-4, weight_decay=0.01, maximize=True)]
    return tuple(grid)


adagrad = register(Optimizer(
    name="adagrad", title="Adagrad", page="optimizers/adagrad.md", numpy=AdagradNumpy,
    torch=AdagradTorch, builtin_path="torch.optim:Adagrad", option_grid=_adagrad_grid(),
    declare=adagrad_properties,
    references=(
        Reference("J. Duchi, E. Hazan, Y. Singer", "Adaptive subgradient methods for online "
                  "learning and stochastic optimization", 2011,
                  "Journal of Machine Learning Research 12, 2121–2159",
                  link="https://jmlr.org/papers/v12/duchi11a.html"),
    ),
))

rmsprop = register(Optimizer(
    name="rmsprop", title="RMSprop", page="optimizers/rmsprop.md", numpy=RMSpropNumpy,
    torch=RMSpropTorch, builtin_path="torch.optim:RMSprop", option_grid=_rmsprop_grid(),
    declare=rmsprop_properties,
    references=(
        Reference("T. Tieleman, G. Hinton", "Lecture 6.5 — RMSprop: divide the gradient by "
                  "a running average of its recent magnitude", 2012,
                  "COURSERA: Neural Networks for Machine Learning (lecture slides, not a "
                  "paper)",
                  link="https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf"),
        Reference("A. Graves", "Generating sequences with recurrent neural networks", 2013,
                  "arXiv preprint", arxiv="1308.0850"),
    ),
))

adadelta = register(Optimizer(
    name="adadelta", title="Adadelta", page="optimizers/adadelta.md", numpy=AdadeltaNumpy,
    torch=AdadeltaTorch, builtin_path="torch.optim:Adadelta", option_grid=_adadelta_grid(),
    declare=adadelta_properties,
    references=(
        Reference("M. D. Zeiler", "ADADELTA: an adaptive learning rate method", 2012,
                  "arXiv preprint", arxiv="1212.5701"),
    ),
))
