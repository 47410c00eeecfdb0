"""lossref: loss functions and optimizers, each written twice (NumPy and PyTorch) and
checked against ``torch.nn.functional`` / ``torch.optim``.

Examples:
    >>> from lossref import losses, optim
    >>> losses.cross_entropy.builtin.__name__
    'cross_entropy'
    >>> optim.sgd.builtin.__name__
    'SGD'
"""

from lossref import losses, optim
from lossref.registry import LOSSES, OPTIMIZERS

__all__ = ["losses", "optim", "LOSSES", "OPTIMIZERS"]
__version__ = "0.1.0"
