"""Optimizer records. ``optim.sgd`` is a :class:`lossref.registry.Optimizer`.

Examples:
    >>> from lossref import optim
    >>> list(optim.OPTIMIZERS)
    ['sgd', 'adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw', 'adamax', 'nadam', 'radam']
    >>> optim.adam
    Optimizer('adam', builtin='torch.optim.Adam')
    >>> optim.get("SGD")
    Traceback (most recent call last):
    ...
    KeyError: "no optimizer named 'SGD'; did you mean 'sgd'? ..."
"""

from lossref.optim._base import NumpyOptimizer
from lossref.optim.sgd import SGDNumpy, SGDTorch, sgd  # isort: skip  (registry order)
from lossref.optim.adaptive import (  # isort: skip
    AdadeltaNumpy, AdadeltaTorch, AdagradNumpy, AdagradTorch, RMSpropNumpy, RMSpropTorch,
    adadelta, adagrad, rmsprop)
from lossref.optim.adam_family import (  # isort: skip
    AdamaxNumpy, AdamaxTorch, AdamNumpy, AdamTorch, AdamWNumpy, AdamWTorch, adam, adamax,
    adamw)
from lossref.optim.adam_variants import (  # isort: skip
    NAdamNumpy, NAdamTorch, RAdamNumpy, RAdamTorch, nadam, radam)
from lossref.registry import OPTIMIZERS, Optimizer, lookup

__all__ = [
    "OPTIMIZERS", "NumpyOptimizer", "get",
    "sgd", "SGDNumpy", "SGDTorch",
    "adagrad", "AdagradNumpy", "AdagradTorch",
    "rmsprop", "RMSpropNumpy", "RMSpropTorch",
    "adadelta", "AdadeltaNumpy", "AdadeltaTorch",
    "adam", "AdamNumpy", "AdamTorch",
    "adamw", "AdamWNumpy", "AdamWTorch",
    "adamax", "AdamaxNumpy", "AdamaxTorch",
    "nadam", "NAdamNumpy", "NAdamTorch",
    "radam", "RAdamNumpy", "RAdamTorch",
]


def get(name: str) -> Optimizer:
    """The optimizer record called ``name``; a ``KeyError`` lists the closest names."""
    return lookup(OPTIMIZERS, name, "optimizer")
