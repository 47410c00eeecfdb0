"""Loss records. ``losses.cross_entropy`` is a :class:`lossref.registry.Loss`.

>>> from lossref import losses
>>> sorted(losses.LOSSES)[:2]
['cross_entropy', 'nll_loss']
"""

from lossref.losses._softmax import (
    log_softmax_numpy,
    log_softmax_torch,
    softmax_numpy,
    softmax_torch,
)
from lossref.losses.classification import cross_entropy, nll_loss
from lossref.registry import LOSSES

__all__ = [
    "LOSSES",
    "cross_entropy",
    "nll_loss",
    "log_softmax_numpy",
    "log_softmax_torch",
    "softmax_numpy",
    "softmax_torch",
]
