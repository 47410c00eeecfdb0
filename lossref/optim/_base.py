"""What every optimizer shares: parameter and hyperparameter checks; for the NumPy
optimizers an all-or-nothing ``step``, the learning-rate hook and ``state_dict``; for the
torch ones (:class:`TorchOptimizer`) the loop over parameters and torch's implementation
flags."""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

import torch

from lossref._checks import check_in_range, check_real, is_tensor

# torch.optim keys that choose an implementation, not the mathematics: a torch
# ``state_dict`` may hold them, the NumPy optimizers have one implementation.
IMPLEMENTATION_KEYS = frozenset({"foreach", "fused", "differentiable", "capturable"})


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _check_params(params: Any, optimizer: str) -> list[np.ndarray]:
    if isinstance(params, np.ndarray):
        raise TypeError(f"params must be a list of NumPy arrays, got a bare ndarray of shape "
                        f"{params.shape}: wrap it in a list, {optimizer}([w], ...)")
    if is_tensor(params) or isinstance(params, (str, bytes, dict)) or \
            not hasattr(params, "__iter__"):
        raise TypeError(f"params must be a list of NumPy arrays, got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params is empty: the optimizer needs at least one array")
    for i, p in enumerate(params):
        if isinstance(p, dict):
            raise TypeError(f"params[{i}] is a dict: parameter groups are a torch.optim "
                            "feature; the NumPy optimizers take one list of arrays")
        if not isinstance(p, np.ndarray):
            raise TypeError(f"params[{i}] must be a NumPy array, got {type(p).__name__}")
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"params[{i}] must be floating-point, got dtype {p.dtype}")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only; step() updates it in place")
    # An array given twice (or two views of one buffer) would be updated twice per step.
    # torch warns about a repeated tensor and says it will become an error; here it is one.
    seen: dict[int, list[int]] = {}
    for i, p in enumerate(params):
        for j in seen.setdefault(id(_root(p)), []):
            if params[j] is p or np.shares_memory(params[j], p):
                what = "is the same array as" if params[j] is p else "shares memory with"
                raise ValueError(f"params[{i}] {what} params[{j}]: each array may appear "
                                 "once, or step() would update it twice")
        seen[id(_root(p))].append(i)
    return params


def check_torch_params(params: Any) -> Any:
    """What ``torch.optim.Optimizer`` needs before it looks inside ``params``: an iterable
    (of tensors or dicts) that is not itself a tensor; torch's own message for None is
    "'NoneType' object is not iterable"."""
    if params is None or isinstance(params, (str, bytes, numbers.Number)) or \
            not hasattr(params, "__iter__"):
        raise TypeError("params must be an iterable of tensors (model.parameters()) or of "
                        f"parameter-group dicts, got {type(params).__name__}")
    return params


def scalar_hyperparameter(value: Any, name: str) -> Any:
    """torch.optim takes ``lr`` (and ``weight_decay``) as a one-element tensor too; its
    Python number, for the checks."""
    if is_tensor(value):
        if value.numel() != 1 or value.is_complex() or not value.is_floating_point():
            raise TypeError(f"{name} as a tensor must hold one real floating-point number, "
                            f"got shape {tuple(value.shape)} and dtype {value.dtype}")
        return value.item()
    return value


def check_betas(betas: Any, name: str = "betas") -> tuple[float, float]:
    """Two coefficients of exponential moving averages, each in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {betas!r}")
    out = []
    for i, beta in enumerate(betas):
        beta = check_real(scalar_hyperparameter(beta, f"{name}[{i}]"), f"{name}[{i}]")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}[{i}] must be in [0, 1), got {beta}")
        out.append(beta)
    return out[0], out[1]


def check_finite_nonnegative(value: Any, name: str, *, tensor: bool = True) -> float:
    """A finite number >= 0: a learning rate, an eps, a decay.
    ``tensor=False`` for the NumPy optimizers, which take plain numbers only; the torch
    ones, like torch.optim, also take a one-element tensor."""
    if not tensor:
        check_real(value, name)  # a tensor: "lr must be a real number, got torch.Tensor"
    value = check_in_range(scalar_hyperparameter(value, name), name, 0.0, float("inf"))
    if value == float("inf"):
        raise ValueError(f"{name} must be finite, got inf")
    return value


def check_implementation_flags(foreach: Any = None, fused: Any = None,
                               capturable: Any = False, differentiable: Any = False) -> None:
    """torch.optim's flags that choose an implementation, not the mathematics. lossref's
    torch optimizers are one implementation, written one tensor at a time as the pages
    show it: they accept each flag at its "off" value and refuse the rest, saying why."""
    for name, value, off in (("foreach", foreach, (None, False)), ("fused", fused, (None, False)),
                             ("capturable", capturable, (False,)),
                             ("differentiable", differentiable, (False,))):
        if value not in off or not isinstance(value, (bool, type(None))):
            raise ValueError(
                f"{name}={value!r}: lossref's torch optimizers have one implementation, "
                "the tensor-by-tensor update written on the page; foreach, fused, capturable "
                "and differentiable select other implementations of the same update in "
                "torch.optim. Use the record's .builtin (the torch.optim class) for them.")


# --8<-- [start:lerp_numpy]
def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """torch's ``start.lerp_(end, weight)`` in place, with its two formulas: the one
    anchored at ``start`` for weight < 0.5, the one anchored at ``end`` otherwise (exact
    at weight 1). torch fuses the multiply-add, NumPy rounds twice: the two may differ in
    the last bit."""
    weight = start.dtype.type(weight)  # torch rounds the weight to the tensor's dtype
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
# --8<-- [end:lerp_numpy]


def torch_scalar_dtype() -> torch.dtype:
    """The dtype of torch.optim's scalar state (``step``, NAdam's ``mu_product``): float32,
    float64 only when that is torch's default dtype (its ``_get_scalar_dtype``)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def group_lr(group: dict[str, Any]) -> Any:
    """The learning rate as torch.optim's steps use it (its ``_to_scalar``): a number stays
    a number, a one-element tensor becomes 0-d (and the step size is then rounded to its
    dtype, as in torch)."""
    lr = group["lr"]
    return lr.squeeze() if is_tensor(lr) and lr.dim() != 0 else lr


class TorchOptimizer(torch.optim.Optimizer):
    """Base of the torch versions: the closure, and the loop over the parameters that have
    a gradient. A subclass implements ``_update(param, grad, state, group)`` with tensor
    operations (it runs under ``torch.no_grad``), in torch.optim's order of operations."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        super().__init__(check_torch_params(params), defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state[p], group)
        return loss

    def _update(self, param: Any, grad: Any, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        raise NotImplementedError


class NumpyOptimizer:
    """Base class of the NumPy optimizers.

    ``params`` is a list of floating-point NumPy arrays that ``step`` updates in place, as
    torch updates ``Parameter`` tensors. ``state[i]`` is the state of ``params[i]``.
    Subclasses implement :meth:`_update`, which updates one parameter and its state in
    place, as torch does, and :meth:`check_hyperparameters`; ``step`` checks every
    gradient and hyperparameter before it updates anything, so a failing step changes
    nothing.

    The hyperparameters live in the dict ``param_groups[0]``, which ``step`` reads (and
    checks) every time, so setting its ``"lr"`` entry between steps is a learning-rate
    schedule, exactly as in torch (below). ``defaults`` keeps the constructor's values.

    Examples:
        >>> from lossref.optim import SGDNumpy
        >>> w = np.array([1.0, 2.0])
        >>> opt = SGDNumpy([w], lr=0.5)
        >>> opt.step([np.array([1.0, 1.0])])
        >>> opt.param_groups[0]["lr"] = 0.25
        >>> opt.step([np.array([1.0, 1.0])])
        >>> w  # 1 - 0.5 - 0.25, 2 - 0.5 - 0.25
        array([0.25, 1.25])
    """

    #: state entries that are one number per parameter, not an array of its shape
    scalar_state: tuple[str, ...] = ("step",)
    #: their dtype (None: the parameter's dtype)
    scalar_dtype: Any = None

    def __init__(self, params: Sequence[np.ndarray], **hyperparameters: Any) -> None:
        self.params = _check_params(params, type(self).__name__)
        self.check_hyperparameters(hyperparameters)
        self.defaults = dict(hyperparameters)
        self.param_groups = [{**hyperparameters, "params": self.params}]
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0

    @staticmethod
    def check_hyperparameters(hyperparameters: dict[str, Any]) -> None:
        """Raise a ``TypeError`` or ``ValueError`` naming a bad hyperparameter."""
        raise NotImplementedError

    def _group(self) -> dict[str, Any]:
        group = self.param_groups[0]
        hyperparameters = {k: v for k, v in group.items() if k != "params"}
        if set(hyperparameters) != set(self.defaults):
            unknown = sorted(set(hyperparameters) ^ set(self.defaults))
            raise ValueError(f"param_groups[0] must hold exactly the keys {sorted(self.defaults)} "
                             f"and 'params'; {unknown} differ")
        self.check_hyperparameters(hyperparameters)
        return hyperparameters

    def _check_grads(self, grads: Any) -> list[np.ndarray | None]:
        if isinstance(grads, np.ndarray) or is_tensor(grads) or not hasattr(grads, "__iter__") \
                or isinstance(grads, (str, bytes, dict)):
            hint = " (a bare array: wrap it in a list, [g])" if isinstance(grads, np.ndarray) else ""
            raise TypeError(f"grads must be a list with one array (or None) per param, got "
                            f"{type(grads).__name__}{hint}")
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(
                f"grads has {len(grads)} arrays but the optimizer holds {len(self.params)} params"
            )
        checked: list[np.ndarray | None] = []
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:  # like a tensor whose .grad is None: torch skips it
                checked.append(None)
                continue
            if is_tensor(g):
                raise TypeError(f"grads[{i}] is a torch.Tensor; the NumPy optimizer takes "
                                "NumPy arrays (g.numpy()), the torch one reads p.grad")
            if isinstance(g, (str, bytes, dict)):
                raise TypeError(f"grads[{i}] must be a NumPy array, got {type(g).__name__}")
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}, params[{i}] has {p.shape}")
            if not np.issubdtype(g.dtype, np.floating):
                raise TypeError(f"grads[{i}] must be floating-point, got dtype {g.dtype}")
            checked.append(g.astype(p.dtype, copy=False))
        return checked

    def step(self, grads: Sequence[np.ndarray | None]) -> None:
        """Update every parameter in place from its gradient ``grads[i]``; a ``None``
        gradient leaves that parameter and its state as they are, as in torch."""
        hyperparameters = self._group()
        grads = self._check_grads(grads)
        self._check_state(hyperparameters)
        # Every check has passed, and arithmetic on checked arrays cannot fail: from here
        # on the parameters are updated in place. NaN and inf propagate without a NumPy
        # warning, as in torch (a warning turned into an error would stop a step halfway).
        with np.errstate(all="ignore"):
            for p, g, s in zip(self.params, grads, self.state):
                if g is not None:
                    self._update(p, g, s, hyperparameters)
        self.step_count += 1

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                hyperparameters: dict[str, Any]) -> None:
        """Update ``param`` and its ``state`` in place; ``grad`` is the caller's array, not
        to be modified."""
        raise NotImplementedError

    def _check_state(self, hyperparameters: dict[str, Any]) -> None:
        """Raise a ``ValueError`` if the state cannot serve these hyperparameters (an option
        switched on between steps that needs state the earlier steps did not keep); called
        before any parameter changes."""

    # ------------------------------------------------------------ saving and resuming

    def state_dict(self) -> dict[str, Any]:
        """A copy of the optimizer's state in torch's layout: ``{"state": {i: {...}},
        "param_groups": [{...hyperparameters, "params": [0, 1, ...]}]}``, plus
        ``"step_count"``. The parameters themselves are not in it (save them apart, as
        in torch).

        Examples:
            >>> from lossref.optim import SGDNumpy
            >>> opt = SGDNumpy([np.zeros(2)], lr=0.1, momentum=0.9)
            >>> opt.step([np.ones(2)])
            >>> opt.state_dict()["state"]
            {0: {'momentum_buffer': array([1., 1.])}}
        """
        return {
            "state": {i: copy.deepcopy(s) for i, s in enumerate(self.state) if s},
            "param_groups": [{**self._group(), "params": list(range(len(self.params)))}],
            "step_count": self.step_count,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (this class's, or a ``torch.optim`` one of the same
        algorithm: tensors become arrays of the parameters' dtype). Everything is checked
        before anything changes."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("state_dict must be a dict with 'state' and 'param_groups', as "
                             "state_dict() returns")
        groups = state_dict["param_groups"]
        if not isinstance(groups, list) or len(groups) != 1:
            raise ValueError("state_dict['param_groups'] must hold exactly one group")
        group = {k: v for k, v in groups[0].items() if k not in IMPLEMENTATION_KEYS}
        if group.get("params") != list(range(len(self.params))):
            raise ValueError(f"state_dict is for params {group.get('params')}, this optimizer "
                             f"holds {len(self.params)} params")
        hyperparameters = {k: v.item() if is_tensor(v) else v
                           for k, v in group.items() if k != "params"}
        if set(hyperparameters) != set(self.defaults):
            raise ValueError(f"state_dict's hyperparameters {sorted(hyperparameters)} are not "
                             f"this optimizer's {sorted(self.defaults)}")
        self.check_hyperparameters(hyperparameters)
        state: list[dict[str, Any]] = [{} for _ in self.params]
        for i, entries in state_dict["state"].items():
            if not isinstance(i, int) or not 0 <= i < len(self.params):
                raise ValueError(f"state_dict['state'] has an entry for param {i!r}")
            for key, value in entries.items():
                if is_tensor(value):
                    value = value.detach().cpu().numpy()
                scalar = key in self.scalar_state
                dtype = self.scalar_dtype if scalar and self.scalar_dtype else self.params[i].dtype
                value = np.array(value, dtype=dtype)  # a copy
                if scalar and value.shape != ():
                    raise ValueError(f"state_dict['state'][{i}][{key!r}] must be a number, "
                                     f"got shape {value.shape}")
                if not scalar and value.shape != self.params[i].shape:
                    raise ValueError(f"state_dict['state'][{i}][{key!r}] has shape "
                                     f"{value.shape}, params[{i}] has {self.params[i].shape}")
                state[i][key] = value
        step_count = state_dict.get("step_count", 0)
        self.param_groups[0].update(hyperparameters)
        self.state = state
        self.step_count = step_count

    def __repr__(self) -> str:
        shapes = ", ".join(str(p.shape) for p in self.params[:4])
        more = ", ..." if len(self.params) > 4 else ""
        options = ", ".join(f"{k}={v!r}" for k, v in self.param_groups[0].items()
                            if k != "params")
        return f"{type(self).__name__}([{shapes}{more}], {options})"
