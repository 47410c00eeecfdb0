"""Optimizer records. ``optim.sgd`` is a :class:`lossref.registry.Optimizer`.

Examples:
    >>> from lossref import optim
    >>> sorted(optim.OPTIMIZERS)
    ['sgd']
    >>> optim.get("SGD")
    Traceback (most recent call last):
    ...
    KeyError: "no optimizer named 'SGD'; did you mean 'sgd'? ..."
"""

from lossref.optim._base import NumpyOptimizer
from lossref.optim.sgd import SGDNumpy, SGDTorch, sgd
from lossref.registry import OPTIMIZERS, Optimizer, lookup

__all__ = ["OPTIMIZERS", "NumpyOptimizer", "SGDNumpy", "SGDTorch", "get", "sgd"]


def get(name: str) -> Optimizer:
    """The optimizer record called ``name``; a ``KeyError`` lists the closest names."""
    return lookup(OPTIMIZERS, name, "optimizer")
