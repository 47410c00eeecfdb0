"""optax as a second, independent oracle: every loss that names an optax counterpart.

torch's builtins are one implementation; optax (JAX) is another, written by other people
with other conventions. A record's ``optax`` field (:class:`lossref.registry.Counterpart`)
names the optax function and the adapter that bridges the conventions (argument order,
reduction, class axis, labels in {-1, 1}; ``lossref/losses/_optax.py``). Here ``.numpy``
and ``.torch`` must agree with it on every float64 parity case the adapter can express (a
case with an option optax lacks, such as ``weight``, is left to torch), with the parity
tests' tolerances.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)  # before any JAX array exists

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_loss_parity import assert_close, element_scale, to_torch, torch_kwargs  # noqa: E402

from lossref.registry import LOSSES  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:Using a target size:UserWarning", "ignore:reduction. 'mean' divides:UserWarning")

RECORDS = [rec for rec in LOSSES.values() if rec.optax is not None]


def _comparable():
    """(record, case, optax's value) for every float64 case the adapter can express."""
    for rec in RECORDS:
        for case in rec.cases(np.float64):
            expected = rec.optax(*case.args, **case.kwargs)
            if expected is not None:
                yield rec, case, np.asarray(expected)


COMPARABLE = list(_comparable())
IDS = [f"{rec.name}-{case.id}" for rec, case, _ in COMPARABLE]


def test_optax_is_the_pinned_version_in_float64():
    import optax

    assert jax.config.read("jax_enable_x64")
    assert jax.numpy.zeros(1).dtype == np.float64
    assert optax.__version__ and jax.__version__


@pytest.mark.parametrize("rec", RECORDS, ids=[rec.name for rec in RECORDS])
def test_every_counterpart_is_compared_on_several_cases(rec):
    """An adapter that returned None for every case would compare nothing."""
    assert callable(rec.optax.function), rec.optax.path
    n = sum(1 for r, _, _ in COMPARABLE if r is rec)
    assert n >= 6, f"{rec.name}: only {n} cases compared with {rec.optax.path}"


@pytest.mark.parametrize("rec, case, expected", COMPARABLE, ids=IDS)
def test_numpy_and_torch_match_optax(rec, case, expected):
    scale = element_scale(rec, case, expected.shape)
    actual = rec.numpy(*case.args, **case.kwargs)
    assert_close(actual, expected, np.float64, scale, f"{rec.name}.numpy vs {rec.optax.path}")
    actual = rec.torch(*map(to_torch, case.args), **torch_kwargs(case.kwargs))
    assert_close(actual, expected, np.float64, scale, f"{rec.name}.torch vs {rec.optax.path}")
