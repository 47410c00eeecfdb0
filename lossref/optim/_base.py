"""What every NumPy optimizer shares: parameter checks and an all-or-nothing ``step``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class NumpyOptimizer:
    """Base class of the NumPy optimizers.

    ``params`` is a list of floating-point NumPy arrays that ``step`` updates in place, as
    torch updates ``Parameter`` tensors. ``state[i]`` is the state of ``params[i]``.
    Subclasses implement :meth:`_update`, which returns the new parameter and state
    without touching the old ones; ``step`` checks every gradient first and commits only
    when every update succeeded, so a failing step changes nothing.

    ``defaults`` holds the hyperparameters and is read at every step, so assigning
    ``opt.defaults["lr"] = 0.01`` between steps is a learning-rate schedule, the NumPy
    counterpart of torch's ``opt.param_groups[0]["lr"] = 0.01``.
    """

    def __init__(self, params: Sequence[np.ndarray], **hyperparameters: Any) -> None:
        params = list(params)
        if not params:
            raise ValueError("params is empty: the optimizer needs at least one array")
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray):
                raise TypeError(f"params[{i}] must be a NumPy array, got {type(p).__name__}")
            if not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{i}] must be floating-point, got dtype {p.dtype}")
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; step() updates it in place")
        self.params = params
        self.defaults = dict(hyperparameters)
        self.state: list[dict[str, Any]] = [{} for _ in params]
        self.step_count = 0

    def _check_grads(self, grads: Sequence[Any]) -> list[np.ndarray]:
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(
                f"grads has {len(grads)} arrays but the optimizer holds {len(self.params)} params"
            )
        checked = []
        for i, (p, g) in enumerate(zip(self.params, grads)):
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}, params[{i}] has {p.shape}")
            if not np.issubdtype(g.dtype, np.floating):
                raise TypeError(f"grads[{i}] must be floating-point, got dtype {g.dtype}")
            checked.append(g.astype(p.dtype, copy=False))
        return checked

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place from its gradient ``grads[i]``."""
        grads = self._check_grads(grads)
        updates = [self._update(p, g, s) for p, g, s in zip(self.params, grads, self.state)]
        for p, s, (new_p, new_s) in zip(self.params, self.state, updates):
            p[...] = new_p
            s.clear()
            s.update(new_s)
        self.step_count += 1

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]):
        raise NotImplementedError
