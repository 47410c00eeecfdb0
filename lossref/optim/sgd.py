"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay,
in torch.optim.SGD's exact order of operations."""

from __future__ import annotations

import numpy as np
import torch

from lossref._checks import check_flag, check_nonnegative, check_real
from lossref.optim._base import (
    NumpyOptimizer,
    TorchOptimizer,
    group_lr,
    scalar_hyperparameter,
)
from lossref.properties import OptimizerProperties
from lossref.registry import Optimizer, Reference, register

__all__ = ["sgd", "SGDNumpy", "SGDTorch"]


def _check_sgd(lr, momentum, dampening, weight_decay, nesterov, maximize) -> None:
    for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
        check_nonnegative(value, name)
    check_real(dampening, "dampening")
    check_flag(nesterov, "nesterov")
    check_flag(maximize, "maximize")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")


# --8<-- [start:sgd_numpy]
class SGDNumpy(NumpyOptimizer):
    """torch.optim.SGD on NumPy arrays.

    Examples:
        >>> w = np.array([1.0, -2.0])
        >>> opt = SGDNumpy([w], lr=0.1, momentum=0.9)
        >>> opt.step([np.array([1.0, 1.0])]); opt.step([np.array([1.0, 1.0])])
        >>> w  # first step moves by 0.1, second by 0.1 * (0.9 + 1)
        array([ 0.71, -2.29])
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)

    @staticmethod
    def check_hyperparameters(h):
        _check_sgd(**h)

    def _update(self, param, grad, state, h):
        g = -grad if h["maximize"] else grad
        if h["weight_decay"]:
            g = g + h["weight_decay"] * param
        if h["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step copies g into the buffer: no dampening there
                buf = state["momentum_buffer"] = g.copy()
            else:  # in place, like torch's buf.mul_(momentum).add_(g, alpha=1 - dampening)
                buf *= h["momentum"]
                buf += (1 - h["dampening"]) * g if h["dampening"] else g  # 1 * g is g
            g = g + h["momentum"] * buf if h["nesterov"] else buf
        param -= h["lr"] * g
# --8<-- [end:sgd_numpy]


# --8<-- [start:sgd_torch]
class SGDTorch(TorchOptimizer):
    """torch.optim.SGD written from tensor operations, same order of operations."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        _check_sgd(scalar_hyperparameter(lr, "lr"), momentum, dampening,
                   scalar_hyperparameter(weight_decay, "weight_decay"), nesterov, maximize)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, grad, state, group):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g.add(p, alpha=group["weight_decay"])
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = torch.clone(g).detach()
                state["momentum_buffer"] = buf
            else:
                buf.mul_(group["momentum"]).add_(g, alpha=1 - group["dampening"])
            g = g.add(buf, alpha=group["momentum"]) if group["nesterov"] else buf
        p.add_(g, alpha=-group_lr(group))  # a one-element tensor lr is squeezed, as in torch
# --8<-- [end:sgd_torch]


def _grid():
    grid = []
    for momentum in (0.0, 0.9):
        for dampening in (0.0, 0.5):
            for nesterov in (False, True):
                if nesterov and (momentum == 0 or dampening != 0):
                    continue
                for weight_decay in (0.0, 0.01):
                    for maximize in (False, True):
                        grid.append(dict(lr=0.05, momentum=momentum, dampening=dampening,
                                         weight_decay=weight_decay, nesterov=nesterov,
                                         maximize=maximize))
    return tuple(grid)


def _sgd_properties(momentum=0.0, weight_decay=0.0) -> OptimizerProperties:
    return OptimizerProperties(
        state_floats=1 if momentum else 0, scale_invariant=False, step_bound=None,
        notes={"state_floats": "the momentum buffer, when momentum > 0",
               "scale_invariant": "the step is lr times the gradient: a gradient 10 times "
                                  "larger takes a step 10 times longer",
               "step_bound": "proportional to the gradient, which can be any size",
               "use": "with momentum and a tuned schedule, often the best generalisation on "
                      "vision models (Wilson et al. 2017)"})


sgd = register(Optimizer(
    name="sgd", title="SGD and momentum", page="optimizers/sgd.md", numpy=SGDNumpy,
    torch=SGDTorch, builtin_path="torch.optim:SGD", option_grid=_grid(),
    declare=_sgd_properties,
    references=(
        Reference("H. Robbins, S. Monro", "A stochastic approximation method", 1951,
                  "Annals of Mathematical Statistics 22(3)", doi="10.1214/aoms/1177729586"),
        Reference("B. T. Polyak", "Some methods of speeding up the convergence of iteration "
                  "methods", 1964, "USSR Computational Mathematics and Mathematical Physics "
                  "4(5)", doi="10.1016/0041-5553(64)90137-5"),
        Reference("I. Sutskever, J. Martens, G. Dahl, G. Hinton", "On the importance of "
                  "initialization and momentum in deep learning", 2013,
                  "ICML, PMLR 28(3)", link="https://proceedings.mlr.press/v28/sutskever13.html"),
    ),
))
