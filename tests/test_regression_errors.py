"""Bad input to the regression losses gets a clear error from .numpy, .grad and .torch."""

import numpy as np
import pytest
import torch

from lossref.losses import huber_loss, l1_loss, mse_loss, smooth_l1_loss

RECORDS = [mse_loss, l1_loss, smooth_l1_loss, huber_loss]
WEIGHTED = [mse_loss, l1_loss, huber_loss]


def _as_torch(x):
    return None if x is None else torch.from_numpy(np.asarray(x))


def _implementations(record):
    """(label, callable taking NumPy arrays) for the three implementations."""
    def torch_impl(input, target, **kw):
        kw = {k: _as_torch(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        return record.torch(_as_torch(input), _as_torch(target), **kw)

    return [("numpy", record.numpy), ("grad", record.grad), ("torch", torch_impl)]


def _calls(records):
    return [
        pytest.param(record, fn, id=f"{record.name}-{label}")
        for record in records
        for label, fn in _implementations(record)
    ]


ALL = _calls(RECORDS)
WITH_WEIGHT = _calls(WEIGHTED)


@pytest.mark.parametrize("record, fn", ALL)
def test_shapes_that_do_not_broadcast_name_both_arguments(record, fn):
    with pytest.raises(ValueError, match=r"shapes do not broadcast: input \(3,\), target \(4,\)"):
        fn(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("record, fn", ALL)
def test_integer_input_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match=r"input must be a floating-point array, got dtype (torch\.)?int64"):
        fn(np.arange(3), np.zeros(3))


@pytest.mark.parametrize("record, fn", ALL)
def test_integer_target_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match="target must be a floating-point array"):
        fn(np.zeros(3), np.arange(3))


@pytest.mark.parametrize("record, fn", ALL)
def test_mixed_dtypes_are_a_type_error(record, fn):
    with pytest.raises(TypeError, match=r"target dtype (torch\.)?float32 differs from input dtype (torch\.)?float64"):
        fn(np.zeros(3), np.zeros(3, np.float32))


@pytest.mark.parametrize("record, fn", ALL)
@pytest.mark.parametrize("reduction", ["avg", "batchmean", None])
def test_unknown_reduction(record, fn, reduction):
    with pytest.raises(ValueError, match=r"reduction must be one of \('none', 'mean', 'sum'\)"):
        fn(np.zeros(3), np.zeros(3), reduction=reduction)


@pytest.mark.parametrize("record, fn", ALL)
def test_mean_of_an_empty_input_is_undefined(record, fn):
    with pytest.raises(ValueError, match="reduction='mean' is undefined for an empty input"):
        fn(np.zeros(0), np.zeros(0))


@pytest.mark.parametrize("record, fn", ALL)
def test_empty_input_with_sum_is_fine(record, fn):
    out = fn(np.zeros(0), np.zeros(0), reduction="sum")
    value = out[0] if isinstance(out, tuple) else out
    assert float(np.asarray(value).sum()) == 0.0


@pytest.mark.parametrize("record, fn", _calls([smooth_l1_loss]))
def test_negative_beta(record, fn):
    with pytest.raises(ValueError, match=r"beta must be in \[0.0, inf\], got -0.5"):
        fn(np.zeros(3), np.zeros(3), beta=-0.5)


@pytest.mark.parametrize("record, fn", _calls([smooth_l1_loss]))
def test_beta_must_be_a_number(record, fn):
    with pytest.raises(TypeError, match="beta must be a real number, got str"):
        fn(np.zeros(3), np.zeros(3), beta="1")


@pytest.mark.parametrize("record, fn", _calls([huber_loss]))
def test_negative_delta(record, fn):
    with pytest.raises(ValueError, match=r"delta must be in \[0.0, inf\], got -1"):
        fn(np.zeros(3), np.zeros(3), delta=-1.0)


@pytest.mark.parametrize("record, fn", _calls([huber_loss]))
def test_zero_delta_is_rejected_like_torch(record, fn):
    with pytest.raises(ValueError, match="delta must be positive, got 0"):
        fn(np.zeros(3), np.zeros(3), delta=0.0)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        torch.nn.functional.huber_loss(torch.zeros(3), torch.zeros(3), delta=0.0)


@pytest.mark.parametrize("record, fn", WITH_WEIGHT)
def test_weight_must_have_the_shape_of_input(record, fn):
    # torch also requires input's shape, not the broadcast shape (4, 3)
    with pytest.raises(ValueError, match=r"weight must have the shape of input \(3,\), got \(4, 3\)"), \
            pytest.warns(UserWarning, match="different to the input size"):
        fn(np.zeros(3), np.zeros((4, 3)), weight=np.ones((4, 3)))
    with pytest.raises(ValueError, match="Weights and input must have the same size"), \
            pytest.warns(UserWarning, match="different to the input size"):
        record.builtin(torch.zeros(3), torch.zeros(4, 3), weight=torch.ones(4, 3))


@pytest.mark.parametrize("record, fn", WITH_WEIGHT)
def test_integer_weight_is_a_type_error(record, fn):
    with pytest.raises(TypeError, match="weight must be a floating-point array"):
        fn(np.zeros(3), np.zeros(3), weight=np.ones(3, dtype=np.int64))


@pytest.mark.parametrize("record, fn", _calls([mse_loss, l1_loss]))
def test_weighted_mean_with_zero_total_weight(record, fn):
    with pytest.raises(ValueError, match="weights that sum to 0"):
        fn(np.ones(3), np.zeros(3), weight=np.zeros(3))


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_torch_version_rejects_numpy_arrays(record):
    with pytest.raises(TypeError, match=r"input must be a torch.Tensor, got numpy.ndarray \(use the loss's .numpy"):
        record.torch(np.zeros(3), torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("record, fn", WITH_WEIGHT)
@pytest.mark.parametrize("bad, shown", [(-0.5, "-0.5"), (np.nan, "nan"), (np.inf, "inf")])
def test_negative_or_nonfinite_weight_is_named(record, fn, bad, shown):
    weight = np.ones((2, 3))
    weight[1, 2] = bad
    with pytest.raises(ValueError, match=rf"weight must be finite and non-negative, got "
                                         rf"{shown} at index \(1, 2\)"):
        fn(np.zeros((2, 3)), np.ones((2, 3)), weight=weight)
