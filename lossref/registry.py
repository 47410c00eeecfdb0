"""Records and registries: one loss is one :class:`Loss`, one optimizer one :class:`Optimizer`.

The site's tables, the parity tests and the API reference all read these registries, so a
loss that is registered is documented and tested; a loss that is not, is neither.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from lossref._checks import is_tensor
from lossref.properties import OptimizerProperties, Properties

__all__ = ["Case", "Counterpart", "Loss", "Optimizer", "Reference", "LOSSES", "OPTIMIZERS", "lookup",
           "register"]


@dataclasses.dataclass(frozen=True)
class Reference:
    """A citable source, identified by its ``doi`` or ``arxiv`` id, or, for a source that
    has neither (a PMLR paper, a lecture), by ``link``, the publisher's stable page."""

    authors: str
    title: str
    year: int
    venue: str = ""
    doi: str | None = None
    arxiv: str | None = None
    link: str | None = None

    @property
    def url(self) -> str:
        """Where the source is: the DOI, else the arXiv page, else ``link``."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.link:
            return self.link
        raise ValueError(f"reference {self.title!r} has no DOI, arXiv id or link")


@dataclasses.dataclass(frozen=True)
class Case:
    """One set of inputs for a parity test: positional NumPy arrays and keyword arguments.

    ``args`` are NumPy arrays (or None); the tests turn them into tensors for ``.torch``
    and ``.builtin``.
    """

    id: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Counterpart:
    """The same loss in a second framework (optax), used as an independent oracle.

    ``adapt(function, *args, **kwargs)`` calls ``function`` (resolved from ``path``) on the
    float64 NumPy arguments of a parity case and returns the value with torch's
    conventions (argument order, reduction, sign), or None when the case uses an option
    the other library does not have (then that case is not compared). ``call`` is how the
    other library writes the call, for the page's "same loss elsewhere" table.
    """

    path: str
    adapt: Callable[..., Any]
    call: str

    @property
    def function(self) -> Callable[..., Any]:
        """The other library's function (imported on first use: optax is optional)."""
        return _resolve(self.path)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.adapt(self.function, *args, **kwargs)


def _resolve(dotted: str | None) -> Any:
    """Import ``"torch.nn.functional:cross_entropy"`` lazily (None stays None)."""
    if dotted is None:
        return None
    module, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclasses.dataclass(frozen=True, repr=False)
class Loss:
    """A loss function, implemented twice and tied to its page.

    A record is callable: ``loss(*args, **kwargs)`` runs :attr:`torch` when any positional
    argument is a tensor and :attr:`numpy` otherwise (arrays, lists, numbers).

    Examples:
        >>> import numpy as np
        >>> from lossref import losses
        >>> losses.mse_loss
        Loss('mse_loss', builtin='torch.nn.functional.mse_loss')
        >>> losses.mse_loss([1.5, 2.5], [1.0, 2.0])
        np.float64(0.25)
        >>> value, (grad,) = losses.mse_loss.value_and_grad(np.array([1.5, 2.5]),
        ...                                                 np.array([1.0, 2.0]))
        >>> grad
        array([0.5, 0.5])

    Attributes:
        name: torch.nn.functional's name where torch has the loss.
        title: human title of the page.
        task: ``"classification"`` (a row of class scores, a class index or a
            distribution as target), ``"binary"`` (one probability, logit or score per
            yes/no question), ``"divergence"`` (log-probabilities against a
            distribution), ``"regression"``, ``"ranking"`` (pairs of scores to order) or
            ``"embedding"`` (pairs, triplets or batches of vectors compared by a distance
            or a cosine).
        page: path of its page under ``docs/``.
        numpy: forward pass on NumPy arrays, torch's keyword arguments and defaults.
        grad: analytic gradient of the reduced loss (of the sum for ``reduction="none"``)
            with respect to each argument in ``wrt``, as derived on the page; returns a
            tuple with one array per position in ``wrt``.
        torch: forward pass from elementary tensor operations, differentiable by autograd.
        builtin_path: ``"module:attr"`` of the torch function it is checked against.
        wrt: positions of the positional arguments that ``grad`` differentiates.
        cases: ``cases(dtype)`` yields :class:`Case` objects for the parity tests.
        references: original papers.
        optax: the same loss in optax (:class:`Counterpart`), or None where optax has
            none; the parity tests use it as a second oracle.
        declare: ``declare(**kwargs)`` returns the loss's
            :class:`~lossref.properties.Properties` at those keyword arguments; read it
            through :meth:`properties`.
    """

    name: str
    title: str
    task: str
    page: str
    numpy: Callable[..., Any]
    grad: Callable[..., tuple[Any, ...]]
    torch: Callable[..., Any]
    builtin_path: str | None
    cases: Callable[[Any], Iterator[Case]]
    wrt: tuple[int, ...] = (0,)
    references: tuple[Reference, ...] = ()
    declare: Callable[..., Properties] | None = None
    optax: Counterpart | None = None

    @property
    def builtin(self) -> Callable[..., Any] | None:
        """The torch function this loss mirrors (None if torch has none)."""
        return _resolve(self.builtin_path)

    def properties(self, **kwargs: Any) -> Properties:
        """The declared (and tested) properties at the keyword arguments ``kwargs``;
        options that do not change them (``reduction``, ``weight``, ...) are accepted and
        ignored, unknown names are a ``TypeError``.

        Examples:
            >>> from lossref import losses
            >>> p = losses.smooth_l1_loss.properties(beta=0.5)
            >>> p.convex, p.smooth, p.grad_lipschitz, p.grad_bound, p.minimiser
            (True, True, 2.0, 1.0, 'm-estimate')
        """
        accepted = inspect.signature(self.numpy).parameters
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise TypeError(f"{self.name}.properties() got unknown keyword arguments {unknown}")
        own = inspect.signature(self.declare).parameters
        values = {name: p.default for name, p in own.items()}
        values.update({k: v for k, v in kwargs.items() if k in own})
        return dataclasses.replace(self.declare(**values), parameters=values)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """:attr:`torch` if any positional argument is a tensor, else :attr:`numpy`."""
        if any(is_tensor(a) for a in args):
            return self.torch(*args, **kwargs)
        return self.numpy(*args, **kwargs)

    def value_and_grad(self, *args: Any, **kwargs: Any) -> tuple[Any, tuple[Any, ...]]:
        """``(numpy(...), grad(...))``: the NumPy value and its analytic gradient."""
        return self.numpy(*args, **kwargs), self.grad(*args, **kwargs)

    def __repr__(self) -> str:
        builtin = self.builtin_path.replace(":", ".") if self.builtin_path else None
        return f"Loss({self.name!r}, builtin={builtin!r})"


@dataclasses.dataclass(frozen=True, repr=False)
class Optimizer:
    """An optimizer, implemented twice and tied to its page.

    Attributes:
        name: lower-case name of the torch.optim class.
        numpy: class over a list of NumPy arrays; ``step(grads)`` updates them in place.
        torch: ``torch.optim.Optimizer`` subclass written from tensor operations.
        builtin_path: ``"module:attr"`` of the torch.optim class it is checked against.
        option_grid: keyword-argument sets the trajectory tests run, one run each.
        declare: ``declare(**hyperparameters)`` returns the optimizer's
            :class:`~lossref.properties.OptimizerProperties` at those hyperparameters;
            read it through :meth:`properties`.
    """

    name: str
    title: str
    page: str
    numpy: type
    torch: type
    builtin_path: str | None
    option_grid: tuple[dict[str, Any], ...]
    references: tuple[Reference, ...] = ()
    declare: Callable[..., OptimizerProperties] | None = None

    @property
    def builtin(self) -> type | None:
        """The torch.optim class this optimizer mirrors (None if torch has none)."""
        return _resolve(self.builtin_path)

    def properties(self, **hyperparameters: Any) -> OptimizerProperties:
        """The declared (and tested) properties at ``hyperparameters`` (the NumPy class's
        defaults for the others); unknown names are a ``TypeError``.

        Examples:
            >>> from lossref import optim
            >>> optim.sgd.properties(momentum=0.9).state_floats
            1
        """
        signature = inspect.signature(self.numpy).parameters
        names = [n for n in signature if n != "params"]
        unknown = sorted(set(hyperparameters) - set(names))
        if unknown:
            raise TypeError(f"{self.name}.properties() got unknown keyword arguments {unknown}")
        values = {n: signature[n].default for n in names}
        values.update(hyperparameters)
        own = inspect.signature(self.declare).parameters
        declared = self.declare(**{k: v for k, v in values.items() if k in own})
        return dataclasses.replace(declared, hyperparameters=tuple(names), parameters=values)

    def __repr__(self) -> str:
        builtin = self.builtin_path.replace(":", ".") if self.builtin_path else None
        return f"Optimizer({self.name!r}, builtin={builtin!r})"


LOSSES: dict[str, Loss] = {}
OPTIMIZERS: dict[str, Optimizer] = {}


def lookup(registry: dict[str, Any], name: Any, kind: str) -> Any:
    """``registry[name]``, or a ``KeyError`` that lists the closest registered names.

    Examples:
        >>> lookup(LOSSES, "huber", "loss")
        Traceback (most recent call last):
        ...
        KeyError: "no loss named 'huber'; did you mean 'huber_loss'? ..."
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, registry, n=3, cutoff=0.5)
    close += [n for n in registry if name.lower() in n and n not in close]
    hint = f"did you mean {' or '.join(map(repr, close[:3]))}? " if close else ""
    raise KeyError(f"no {kind} named {name!r}; {hint}registered: {', '.join(sorted(registry))}")


def register(record: Loss | Optimizer) -> Any:
    """Add a record to its registry and return it; a name can be taken only once."""
    registry = LOSSES if isinstance(record, Loss) else OPTIMIZERS
    if record.name in registry:
        raise ValueError(f"{type(record).__name__} {record.name!r} is already registered")
    if not record.references:
        raise ValueError(f"{record.name!r}: a record needs at least one reference")
    if record.declare is None:
        kind = "lossref.properties.Properties" if isinstance(record, Loss) \
            else "lossref.properties.OptimizerProperties"
        raise ValueError(f"{record.name!r}: a {type(record).__name__.lower()} needs its "
                         f"declared properties (declare=..., returning a {kind})")
    registry[record.name] = record
    return record
