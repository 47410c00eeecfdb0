"""Loss records. ``losses.cross_entropy`` is a :class:`lossref.registry.Loss`.

Examples:
    >>> from lossref import losses
    >>> {"cross_entropy", "nll_loss"} <= set(losses.LOSSES)
    True
    >>> losses.get("cross_entropy") is losses.cross_entropy
    True
"""

from lossref.losses._softmax import (
    log_softmax_numpy,
    log_softmax_torch,
    softmax_numpy,
    softmax_torch,
)
# the import order is the registry's order: the order of the site's tables
from lossref.losses.classification import cross_entropy, nll_loss  # isort: skip
from lossref.losses.binary import (  # isort: skip
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from lossref.losses.hinge import (  # isort: skip
    hinge_loss,
    multi_margin_loss,
    multiclass_hinge_loss,
    multilabel_margin_loss,
    perceptron_loss,
    squared_hinge_loss,
)
from lossref.losses.embedding import (  # isort: skip
    contrastive_loss,
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from lossref.losses.angular import (  # isort: skip
    arcface_loss,
    cosface_loss,
    info_nce_loss,
    ntxent_loss,
)
from lossref.losses.divergence import js_divergence, kl_div
from lossref.losses.likelihood import gaussian_nll_loss, poisson_nll_loss
from lossref.losses.regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss
from lossref.losses.robust import log_cosh_loss, quantile_loss, tukey_biweight_loss
from lossref.registry import LOSSES, Loss, lookup


def get(name: str) -> Loss:
    """The loss record called ``name``; a ``KeyError`` lists the closest names.

    Examples:
        >>> get("huber")
        Traceback (most recent call last):
        ...
        KeyError: "no loss named 'huber'; did you mean 'huber_loss'? ..."
    """
    return lookup(LOSSES, name, "loss")


__all__ = [
    "LOSSES",
    "get",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "hinge_loss",
    "squared_hinge_loss",
    "perceptron_loss",
    "multi_margin_loss",
    "multiclass_hinge_loss",
    "multilabel_margin_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "contrastive_loss",
    "info_nce_loss",
    "ntxent_loss",
    "cosface_loss",
    "arcface_loss",
    "kl_div",
    "js_divergence",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "log_cosh_loss",
    "quantile_loss",
    "tukey_biweight_loss",
    "log_softmax_numpy",
    "log_softmax_torch",
    "softmax_numpy",
    "softmax_torch",
]
