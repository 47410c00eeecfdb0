"""Optimizer records. ``optim.sgd`` is a :class:`lossref.registry.Optimizer`.

>>> from lossref import optim
>>> sorted(optim.OPTIMIZERS)
['sgd']
"""

from lossref.optim.sgd import sgd
from lossref.registry import OPTIMIZERS

__all__ = ["OPTIMIZERS", "sgd"]
