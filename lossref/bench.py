"""Speed, memory and accuracy of every registered loss and optimizer, against torch.

``make bench`` runs ``python -m lossref.bench --output benchmarks/results.json`` on one
thread and the "Performance and accuracy" page renders that file; ``tests/test_bench.py``
runs :func:`run` at the smallest size so that the harness cannot rot (it asserts no
timing). Everything is driven by the registries: a loss or optimizer registered tomorrow is
measured without an edit here, except for its 50-digit reference (below).

**Inputs of a loss.** A record may provide ``bench_inputs(n, dtype) -> (args, kwargs)``
(or :data:`BENCH_INPUTS` may, by name: the label lists of ``multilabel_margin_loss``).
Otherwise :func:`bench_inputs` derives them from the record's parity ``cases(dtype)``:

1. the template is the first case with ``reduction="mean"`` whose other scalar keyword
   arguments are the function's defaults (else the first ``"mean"`` case, else the first
   case with ``reduction`` set to ``"mean"``); its keyword arguments are kept, except that
   an array-valued one (a ``weight``) becomes None when the function has a default for it;
2. each positional array is replaced by a random array of ``n`` elements of the same kind:
   for a ``task="classification"`` loss the scores are ``(n / 125, 125)`` (125 classes
   divide every power of ten from 1000 on, so the size is exact), a float argument of the
   scores' shape gets that shape and any other argument one entry per row; for a
   ``"ranking"`` or ``"embedding"`` loss the first argument is ``(rows, width)`` with
   ``rows * width = n``: the width is the largest divisor of ``n`` up to the cases' embedding
   size or 8, whichever is larger, or, where the loss compares every row with every other
   (InfoNCE, NT-Xent: the work grows as the square of the batch), about ``sqrt(n)``, so that
   the ``(rows, rows)`` logits hold at most ``n`` numbers; for every other loss each
   array argument is a vector of ``n`` elements (equal shapes, no broadcasting);
3. values follow the template's: integer arrays are class indices in ``[0, C)`` (or
   integers in the template's range), log-probability rows (non-positive, ``logsumexp``
   0 along the class axis) are ``log_softmax`` of normal logits, probability rows are
   normalised uniforms, integral non-negative floats are counts drawn up to the template's
   largest, other non-negative floats (rates, variances) are uniform over the template's
   range, class scores within [-1, 1] (cosines) are uniform there, and the rest are
   normal with the template's mean and standard deviation.

**Timings** (milliseconds, :func:`time.perf_counter`): ``.numpy`` plus ``.grad`` (one
call each); ``.torch`` forward plus ``torch.autograd.grad`` of the reduced loss with
respect to the ``wrt`` arguments; the same for the builtin (null without one). An
optimizer: one ``step`` of a warmed optimizer over one array, NumPy, ``.torch``, and the
builtin with ``foreach=False`` and with its default. Each is the median of repeated
samples after a warm-up, with the quartiles; a sample repeats a short call until it lasts
:attr:`Budget.min_sample_s`, and the number of samples is chosen so that a measurement
takes about :attr:`Budget.target_s`, within ``[min_samples, max_samples]``. The samples
of the implementations being compared are interleaved, so that a slow spell of the
machine does not fall on one side of a ratio, and each is preceded by an untimed call of
the same implementation, so that it runs with warm caches as in a loop (see
:func:`measure`).

The command line (:func:`main`) first calls :func:`steady_malloc`, so that the
allocator's page faults do not enter the timings (see there).

**Memory**: the peak that the NumPy forward and gradient allocate, measured by
:mod:`tracemalloc` (NumPy reports its buffers to it), beside the size of the prediction.

**Accuracy**: each loss is evaluated with ``reduction="none"`` on extreme inputs and
compared, element by element (row by row for classification), with its value in 50-digit
arithmetic (mpmath) from :data:`MP_REFERENCES`, which follows torch's semantics and
clamps. The relative error is ``|computed - true| / max(|true|, scale, tiny)``, where
``scale`` is the largest term of a formula that is a difference of larger terms (Poisson's
``exp(x) - t x``, Gaussian's ``log v + r^2 / v``; otherwise ``|true|``) and ``tiny`` the
smallest normal number, below which a format holds only absolute accuracy; the error in
ulps is ``|computed - true|`` over the ulp of ``max(|true|, scale)``. An element whose true
value overflows the dtype is left out; a non-finite result where the true value is finite
is counted apart. A loss that has no reference must be listed in :data:`NO_REFERENCE` with
the reason, and is reported as "no reference".

Examples:
    >>> import numpy as np
    >>> from lossref import losses
    >>> args, kwargs = bench_inputs(losses.cross_entropy, 1000, np.float32)
    >>> args[0].shape, args[0].dtype, args[1].shape, kwargs["reduction"]
    ((8, 125), dtype('float32'), (8,), 'mean')
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import inspect
import json
import math
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lossref.registry import LOSSES, OPTIMIZERS, Loss, Optimizer

try:
    import mpmath
except ImportError:  # only the accuracy part needs it; it comes with the "test" extra
    mpmath = None

__all__ = ["Budget", "MpReference", "MP_REFERENCES", "NO_REFERENCE", "accuracy",
           "bench_inputs", "main", "run"]

SIZES = (1_000, 100_000, 1_000_000)
OPTIMIZER_SIZES = (10_000, 1_000_000)
DTYPES = (np.float32, np.float64)
CLASSES = 125
DIGITS = 50
DEFAULT_OUTPUT = "benchmarks/results.json"


# ---------------------------------------------------------------- timing


@dataclasses.dataclass(frozen=True)
class Budget:
    """How long one measurement may take.

    Attributes:
        target_s: aim for this many seconds of samples per measurement.
        min_samples: at least this many samples (the quartiles need a few), however slow.
        max_samples: at most this many, however fast.
        min_sample_s: a sample repeats the call until it lasts this long, so that the
            timer's resolution and overhead do not matter for short calls.
    """

    target_s: float = 0.15
    min_samples: int = 5
    max_samples: int = 60
    min_sample_s: float = 0.002


def measure(calls: dict[str, Callable[[], Any] | None],
            budget: Budget) -> dict[str, dict[str, float] | None]:
    """Median and quartiles, in milliseconds, of each call after a warm-up (None stays
    None). The calls' samples are interleaved, so that a slow spell of the machine (another
    process, the clock slowing down) falls on all of them and not on one side of a ratio;
    each sample follows an untimed call of its own, so that it finds the caches as a loop
    calling it alone would leave them, not as the previous call's temporaries did."""
    active = {k: c for k, c in calls.items() if c is not None}
    number, per_sample = {}, {}
    for key, call in active.items():
        call()  # warm-up: caches, lazy initialisation, the first allocation of each buffer
        start = time.perf_counter()
        call()
        once = max(time.perf_counter() - start, 1e-7)
        number[key] = max(1, math.ceil(budget.min_sample_s / once))
        per_sample[key] = once * number[key]
    samples = int(budget.target_s * len(active) / max(sum(per_sample.values()), 1e-9))
    samples = min(max(samples, budget.min_samples), budget.max_samples)
    times: dict[str, list[float]] = {k: [] for k in active}
    enabled = gc.isenabled()
    gc.collect(1)  # the young generations: a full collection costs ~80 ms with torch loaded
    gc.disable()  # a collection in the middle of a sample is noise, not the code's cost
    try:
        for _ in range(samples):
            for key, call in active.items():
                call()  # untimed: the sample starts warm, as in a loop calling it alone
                start = time.perf_counter()
                for _ in range(number[key]):
                    call()
                times[key].append((time.perf_counter() - start) / number[key])
    finally:
        if enabled:
            gc.enable()
    out: dict[str, dict[str, float] | None] = dict.fromkeys(calls)
    for key, values in times.items():
        q1, median, q3 = np.percentile(np.array(values) * 1e3, [25, 50, 75])
        out[key] = {"median": _round(median), "q1": _round(q1), "q3": _round(q3)}
    return out


def _round(x: float) -> float:
    return float(f"{float(x):.5g}")


# ---------------------------------------------------------------- loss inputs


def _defaults(func: Callable[..., Any]) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _template(rec: Loss, dtype: Any):
    """The case the benchmark inputs are modelled on (see the module docstring)."""
    cases = list(rec.cases(dtype))
    if not cases:
        raise ValueError(f"{rec.name}: cases({np.dtype(dtype).name}) yields no case to "
                         "derive benchmark inputs from; give the record bench_inputs(n, dtype)")
    defaults = _defaults(rec.numpy)

    def at_defaults(case) -> bool:
        return all(k == "reduction" or v is None or isinstance(v, np.ndarray)
                   or (k in defaults and _same(defaults[k], v)) for k, v in case.kwargs.items())

    if rec.task == "divergence":  # batched rows of distributions, as the timing uses
        cases = [c for c in cases if c.args[0].ndim == 2] or cases
    mean = [c for c in cases if c.kwargs.get("reduction") == "mean"]
    return next((c for c in mean if at_defaults(c)), mean[0] if mean else cases[0])


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _is_log_probabilities(x: np.ndarray, class_axis: int) -> bool:
    if x.size == 0 or np.any(x > 0):
        return False
    with np.errstate(all="ignore"):
        lse = np.log(np.exp(x.astype(np.float64)).sum(axis=class_axis))
    return bool(np.all(np.abs(lse) < 1e-3))


def _is_probabilities(x: np.ndarray, class_axis: int) -> bool:
    return (x.size > 0 and bool(np.all((x >= 0) & (x <= 1)))
            and bool(np.all(np.abs(x.sum(axis=class_axis) - 1) < 1e-3)))


def _draw_like(template: np.ndarray, shape: tuple[int, ...], dtype: Any,
               rng: np.random.Generator, class_axis: int | None, classes: int) -> np.ndarray:
    """Random values of ``shape`` distributed like ``template``'s (module docstring, 3)."""
    if np.issubdtype(template.dtype, np.integer):
        if class_axis is not None:
            return rng.integers(0, classes, shape).astype(template.dtype)
        low, high = (int(template.min()), int(template.max())) if template.size else (0, 1)
        return rng.integers(low, high + 1, shape).astype(template.dtype)
    t = template.astype(np.float64)
    if class_axis is not None and template.ndim >= 2 and _is_log_probabilities(t, 1):
        logits = rng.normal(0.0, 3.0, shape)
        logits -= logits.max(axis=1, keepdims=True)
        return (logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))).astype(dtype)
    if class_axis is not None and template.ndim >= 2 and _is_probabilities(t, 1):
        raw = rng.random(shape) + 1e-3
        return (raw / raw.sum(axis=1, keepdims=True)).astype(dtype)
    t = t[np.isfinite(t)].ravel()
    if t.size == 0:
        return rng.standard_normal(shape).astype(dtype)
    if np.all(np.abs(t) == 1):  # labels -1/1 (soft_margin_loss)
        return rng.choice(np.unique(t), shape).astype(dtype)
    low, high = float(t.min()), float(t.max())
    if low >= 0 and np.all(t == np.round(t)) and high < 2**31:
        return rng.integers(0, int(high) + 1, shape).astype(dtype)
    if low >= 0:
        return rng.uniform(low, high if high > low else low + 1, shape).astype(dtype)
    if class_axis is not None and low >= -1 and high <= 1:  # rows of cosines
        return rng.uniform(-1, 1, shape).astype(dtype)
    std = float(t.std()) or 1.0
    return (float(t.mean()) + std * rng.standard_normal(shape)).astype(dtype)


def _divisor_at_most(n: int, bound: int) -> int:
    """The largest divisor of ``n`` not above ``bound`` (so that rows * width = n)."""
    return next(d for d in range(max(1, min(bound, n)), 0, -1) if n % d == 0)


def _label_lists(n: int, dtype: Any) -> tuple[tuple, dict[str, Any]]:
    """``multilabel_margin_loss``: ``(n / 125, 125)`` scores, and per row a random set of
    distinct classes (one to half of them), listed first and ended by -1."""
    rng = np.random.default_rng(0)
    rows = max(1, round(n / CLASSES))
    scores = rng.standard_normal((rows, CLASSES)).astype(dtype)
    target = np.full((rows, CLASSES), -1, np.int64)
    for row, count in enumerate(rng.integers(1, CLASSES // 2 + 1, rows)):
        target[row, :count] = rng.permutation(CLASSES)[:count]
    return (scores, target), {"reduction": "mean"}


#: Inputs that cannot be derived from a record's cases (module docstring), by name.
BENCH_INPUTS: dict[str, Callable[[int, Any], tuple[tuple, dict[str, Any]]]] = {
    "multilabel_margin_loss": _label_lists,
}

#: Losses that compare every row of a batch with every other (a (N, N) matrix of logits).
ALL_PAIRS = frozenset({"info_nce_loss", "ntxent_loss"})


def bench_inputs(rec: Loss, n: int, dtype: Any, seed: int = 0) -> tuple[tuple, dict[str, Any]]:
    """Positional and keyword arguments for timing ``rec`` at about ``n`` elements.

    ``rec.bench_inputs(n, dtype)`` if the record has one, else derived from its parity
    cases as the module docstring describes.
    """
    custom = getattr(rec, "bench_inputs", None) or BENCH_INPUTS.get(rec.name)
    if custom is not None:
        args, kwargs = custom(n, dtype)
        return tuple(args), dict(kwargs)
    case = _template(rec, dtype)
    rng = np.random.default_rng(seed)
    parameters = inspect.signature(rec.numpy).parameters
    classification = rec.task in ("classification", "divergence")  # rows of C scores
    rows = max(1, round(n / CLASSES))
    first = next((a for a in case.args if isinstance(a, np.ndarray)), None)
    vectors = rec.task in ("ranking", "embedding") and first is not None and first.ndim >= 1
    if vectors:  # rows of vectors (module docstring, 2): batch * width = n exactly
        width = 1
        if rec.name in ALL_PAIRS:
            width = n // _divisor_at_most(n, math.isqrt(n))
        elif first.ndim >= 2:
            width = _divisor_at_most(n, max(first.shape[-1], 8))
        batch = n // width

    def scaled(x: Any) -> Any:
        if not isinstance(x, np.ndarray):
            return x
        if vectors and x.ndim >= 1 and x.shape[0] == first.shape[0]:
            shape = (batch, *x.shape[1:])
            if x.ndim >= 2 and x.shape[-1] == first.shape[-1]:
                shape = (*shape[:-1], width)
            return _draw_like(x, shape, x.dtype, rng, class_axis=None, classes=CLASSES)
        if classification:
            shape = ((rows, CLASSES) if first is not None and x.shape == first.shape
                     and x.ndim >= 2 else (rows,))
            return _draw_like(x, shape, dtype if x.dtype.kind == "f" else x.dtype, rng,
                              class_axis=1, classes=CLASSES)
        return _draw_like(x, (n,), x.dtype, rng, class_axis=None, classes=CLASSES)

    args = tuple(scaled(a) for a in case.args)
    kwargs = {}
    for name, value in case.kwargs.items():
        if isinstance(value, np.ndarray):
            has_default = (name in parameters
                           and parameters[name].default is not inspect.Parameter.empty)
            value = None if has_default else scaled(value)
        kwargs[name] = value
    if "reduction" in parameters:  # a divergence per sample: kl_div's 'mean' is a pitfall
        kwargs["reduction"] = "batchmean" if rec.task == "divergence" else "mean"
    return args, kwargs


def _tensor(x: Any, requires_grad: bool = False) -> Any:
    if not isinstance(x, np.ndarray):
        return x
    t = torch.from_numpy(x)
    return t.requires_grad_(True) if requires_grad and t.is_floating_point() else t


def _autograd_call(fn: Callable[..., Any], rec: Loss, args: tuple, kwargs: dict):
    """A closure: forward of ``fn`` on tensors, then autograd wrt ``rec.wrt``."""
    targs = [_tensor(a, i in rec.wrt) for i, a in enumerate(args)]
    tkwargs = {k: _tensor(v) for k, v in kwargs.items()}
    leaves = [targs[i] for i in rec.wrt]

    def call() -> None:
        out = fn(*targs, **tkwargs)
        torch.autograd.grad(out, leaves)

    return call


def numpy_peak_bytes(rec: Loss, args: tuple, kwargs: dict) -> int:
    """Peak bytes that ``.numpy`` then ``.grad`` allocate beyond what existed before (the
    value is kept while the gradient is computed, as a training step keeps it)."""
    gc.collect(1)  # the young generations: a full collection costs ~80 ms with torch loaded
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        value = rec.numpy(*args, **kwargs)
        grads = rec.grad(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - before
        del value, grads
    finally:
        if started:
            tracemalloc.stop()
    return int(peak)


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready keyword arguments: scalars as they are, arrays by their shape."""
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            v = f"array{list(v.shape)}"
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def time_losses(records: Iterable[Loss], sizes: Sequence[int] = SIZES,
                dtypes: Sequence[Any] = DTYPES, budget: Budget = Budget(),
                log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One entry per (loss, dtype, size): the three timings and the NumPy peak memory."""
    entries = []
    for rec in records:
        builtin = rec.builtin
        for dtype in dtypes:
            for n in sizes:
                args, kwargs = bench_inputs(rec, n, dtype)
                prediction = args[0]

                def numpy_call(args=args, kwargs=kwargs, rec=rec) -> None:
                    rec.numpy(*args, **kwargs)
                    rec.grad(*args, **kwargs)

                timings = measure({
                    "numpy_ms": numpy_call,
                    "torch_ms": _autograd_call(rec.torch, rec, args, kwargs),
                    "builtin_ms": (None if builtin is None
                                   else _autograd_call(builtin, rec, args, kwargs)),
                }, budget)
                entry = {
                    "name": rec.name, "task": rec.task, "dtype": np.dtype(dtype).name,
                    "size": int(prediction.size), "shape": list(prediction.shape),
                    "options": _options(kwargs), **timings,
                    "numpy_peak_bytes": numpy_peak_bytes(rec, args, kwargs),
                    "input_bytes": int(prediction.nbytes),
                }
                entries.append(entry)
                log(_loss_line(entry))
    return entries


def _ratio(a: dict | None, b: dict | None) -> str:
    return f"{a['median'] / b['median']:5.2f}" if a and b else "    -"


def _loss_line(e: dict[str, Any]) -> str:
    builtin = f"{e['builtin_ms']['median']:9.4g}" if e["builtin_ms"] else "        -"
    return (f"{e['name']:<22} {e['dtype']:<8} {e['size']:>8}  numpy {e['numpy_ms']['median']:9.4g}"
            f"  torch {e['torch_ms']['median']:9.4g}  builtin {builtin} ms"
            f"  numpy/builtin {_ratio(e['numpy_ms'], e['builtin_ms'])}"
            f"  torch/builtin {_ratio(e['torch_ms'], e['builtin_ms'])}"
            f"  peak {e['numpy_peak_bytes'] / e['input_bytes']:4.1f}x input")


# ---------------------------------------------------------------- optimizers


def _option_sets(rec: Optimizer) -> list[dict[str, Any]]:
    """The plain entry of the option grid (the first) and the fullest one (the last, with
    momentum for SGD), once each."""
    grid = list(rec.option_grid) or [{}]
    chosen = [dict(grid[0])]
    if grid[-1] != grid[0]:
        chosen.append(dict(grid[-1]))
    return chosen


def _torch_step(cls: type, p0: np.ndarray, g: np.ndarray, options: dict[str, Any]):
    p = torch.from_numpy(p0.copy()).requires_grad_(True)
    p.grad = torch.from_numpy(g.copy())
    try:
        return cls([p], **options).step
    except TypeError:  # a builtin without this option (e.g. no foreach)
        return None


def time_optimizers(records: Iterable[Optimizer], sizes: Sequence[int] = OPTIMIZER_SIZES,
                    dtypes: Sequence[Any] = DTYPES, budget: Budget = Budget(),
                    log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One entry per (optimizer, options, dtype, size): one step of each implementation
    on a warmed optimizer (construction is not timed)."""
    entries = []
    for rec in records:
        builtin = rec.builtin
        for options in _option_sets(rec):
            for dtype in dtypes:
                for n in sizes:
                    rng = np.random.default_rng(1)
                    p0 = rng.standard_normal(n).astype(dtype)
                    g = (0.1 * rng.standard_normal(n)).astype(dtype)
                    p = p0.copy()
                    numpy_opt = rec.numpy([p], **options)
                    steps = {
                        "numpy_ms": lambda opt=numpy_opt, g=g: opt.step([g]),
                        "torch_ms": _torch_step(rec.torch, p0, g, options),
                        "builtin_foreach_false_ms": (None if builtin is None else _torch_step(
                            builtin, p0, g, {**options, "foreach": False})),
                        "builtin_default_ms": (None if builtin is None
                                               else _torch_step(builtin, p0, g, options)),
                    }
                    entry = {"name": rec.name, "options": _options(options),
                             "dtype": np.dtype(dtype).name, "size": int(n)}
                    entry.update(measure(steps, budget))
                    entries.append(entry)
                    log(f"{rec.name:<8} {_short(options):<40} {entry['dtype']:<8} {n:>8}  "
                        + "  ".join(f"{k[:-3]} {v['median']:.4g}" for k, v in entry.items()
                                    if k.endswith("_ms") and v)
                        + f" ms  numpy/builtin(foreach=False) "
                          f"{_ratio(entry['numpy_ms'], entry['builtin_foreach_false_ms'])}")
    return entries


def _short(options: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items()) or "defaults"


# ---------------------------------------------------------------- accuracy: references


@dataclasses.dataclass(frozen=True)
class MpReference:
    """A loss in 50-digit arithmetic, and the extreme inputs to try it on.

    Attributes:
        value: ``value(*unit, **options)`` for one output element, with ``reduction="none"``
            semantics: ``unit`` is one element of each broadcast argument (an ``mpf``) for
            an element-wise loss, ``(row, target)`` (a list of ``mpf`` and an int) for a
            classification loss, or what :attr:`units` makes. ``options`` are the loss's
            keyword arguments, defaults filled in. Returns the true value, or
            ``(value, scale)`` where the loss is a difference of larger terms and
            ``scale`` is the largest of them.
        options: the keyword-argument sets to report, one accuracy entry each.
        inputs: ``inputs(dtype, options)`` returns a list of argument tuples (NumPy arrays
            of ``dtype``); None means the default inputs of the loss's task.
        units: ``units(args) -> (units, labels)``, the reference's arguments for each
            output element of ``loss(*args)`` and a description of each, where the
            default split (one element of each broadcast argument, or one row and its
            class index for a classification loss) does not fit: one example of vectors
            (an embedding loss), a row with its list of target classes
            (``multilabel_margin_loss``), a whole batch (InfoNCE's row ``i`` depends on
            every key; NT-Xent returns one number). None means the default split.
    """

    value: Callable[..., Any]
    options: tuple[dict[str, Any], ...] = ({},)
    inputs: Callable[[Any, dict[str, Any]], list[tuple]] | None = None
    units: Callable[[tuple], tuple[list[tuple], list[str]]] | None = None


# Rows whose logit differences are exact in both dtypes (see tests/test_loss_accuracy.py):
# the target holds the maximum (tiny losses), sits far from it (large ones), ties.
CLASSIFICATION_ROWS: tuple[tuple[tuple[float, ...], int], ...] = (
    ((0.0, -69.0), 0), ((0.0, -690.0), 0), ((80.0, 0.0, 0.0), 0), ((40.0,) + (0.0,) * 9, 0),
    ((1e300, -1e300, 0.0), 0), ((0.5, -36.25, -37.75), 0), ((-1000.0, -1050.0, -1100.0), 0),
    ((0.0, -37.0, -38.0), 0), ((0.0, -18.0, -20.0), 0), ((0.0, -69.0), 1),
    ((0.0, -690.0), 1), ((1e300, -1e300, 0.0), 1), ((1e300, -1e300, 0.0), 2),
    ((-1e300, 0.0, 1.0), 0), ((30.0, 0.0, -30.0), 2), ((1.7e308, 0.0), 1), ((5.0, 5.0), 1),
    ((1.0, 1.0, 1.0), 2), ((1e300, 1e300, -1e300), 0), ((-1e300, -1e300), 1),
    ((5.0, 5.0, -5.0), 2), ((0.0, 0.0, -700.0), 0), ((3.25,), 0),
    ((2.5, -1.25, 0.75, 3.0), 3), ((-0.125, 4.0, -7.5, 1.5, 0.25), 2),
)
RESIDUALS = (1e-300, 1e-9, 1e-3, 0.5, 1.0, 2.0, 4.0, 30.0, 1e8, 1e300)
TARGETS = (0.0, 3.0)
LOG_RATES = (-745.0, -100.0, -20.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 5.0, 20.0, 88.0, 700.0, 709.0)
RATES = (0.0, 1e-300, 1e-8, 1e-3, 0.5, 1.0, 2.5, 1e3, 1e8, 1e300)
COUNTS = (0.0, 1.0, 1.5, 2.0, 3.0, 1e3, 1e8)
VARIANCES = (0.0, 1e-300, 1e-9, 1e-6, 1e-3, 0.5, 1.0, 2.0, 1e8, 1e300)
GAUSSIAN_RESIDUALS = (0.0, 1e-300, 1e-9, 1e-3, 1.0, 30.0, 1e8, 1e300)


def _cast(values: Any, dtype: Any) -> np.ndarray:
    with np.errstate(all="ignore"):  # 1e300 -> inf in float32: such inputs are dropped
        return np.asarray(values, dtype=np.float64).astype(dtype)


def _clip_to(dtype: Any, row: Sequence[float]) -> list[float]:
    """A float64 row in ``dtype``'s range: ±1e300 becomes ±1e38 in float32."""
    big = 1e38 if np.dtype(dtype) == np.float32 else np.inf
    return [max(-big, min(big, v)) for v in row]


def classification_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Each row of :data:`CLASSIFICATION_ROWS` as a batch of one, ``(1, C)`` and ``(1,)``."""
    return [(_cast([_clip_to(dtype, row)], dtype), np.array([target]))
            for row, target in CLASSIFICATION_ROWS]


def multiclass_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """:func:`classification_inputs` without the rows of one class (a loss that compares
    the target with the best other class needs two)."""
    return [(x, y) for x, y in classification_inputs(dtype, options) if x.shape[1] > 1]


def log_probability_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """The classification rows as log-probabilities, computed in mpmath, then rounded."""
    out = []
    for x, target in classification_inputs(dtype, options):
        with mpmath.workdps(DIGITS):
            logp = _mp_log_softmax([mpmath.mpf(float(v)) for v in x[0]])
            out.append((_cast([[float(v) for v in logp]], dtype), target))
    return out


def regression_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """``input = target + r`` for every residual ``±r`` in :data:`RESIDUALS` and target in
    :data:`TARGETS` (elements that are not finite in ``dtype`` are dropped)."""
    pairs = [(t + s * r, t) for t in TARGETS for r in RESIDUALS for s in (1.0, -1.0)]
    x, y = _cast([p[0] for p in pairs], dtype), _cast([p[1] for p in pairs], dtype)
    keep = np.isfinite(x) & np.isfinite(y)
    return [(x[keep], y[keep])]


def _grid(first: Sequence[float], second: Sequence[float], dtype: Any) -> tuple:
    a = _cast([u for u in first for _ in second], dtype)
    b = _cast([v for _ in first for v in second], dtype)
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def poisson_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Log-rates from -745 to 709 (rates from 0 to 1e300) against counts 0 ... 1e8."""
    rates = LOG_RATES if options.get("log_input", True) else RATES
    return [_grid(rates, COUNTS, dtype)]


def gaussian_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Residuals 0 ... 1e300 (target 0) against variances 0 ... 1e300."""
    r, v = _grid(GAUSSIAN_RESIDUALS, VARIANCES, dtype)
    return [(r, np.zeros_like(r), v)]


LOGITS = (-1e300, -800.0, -67.0, -40.0, -20.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 20.0, 40.0, 67.0,
          800.0, 1e300)
PROBABILITIES = (0.0, 1e-300, 1e-45, 1e-30, 1e-12, 1e-6, 0.25, 0.5, 1 - 1e-6, 1 - 1e-12, 1.0)
LOG_PROBABILITIES = (0.0, -1e-300, -1e-12, -1e-3, -0.5, -1.0, -20.0, -700.0, -1e300)
TARGET_PROBABILITIES = (0.0, 1e-300, 1e-12, 0.3, 0.5, 1.0)


def binary_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Logits from -1e300 to 1e300 (where exp overflows, and where torch loses a tiny
    loss) against the labels 0 and 1 and the soft target 0.25."""
    return [_grid(LOGITS, (0.0, 1.0, 0.25), dtype)]


def probability_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Probabilities 0 ... 1, through torch's clamp (log p < -100 below 3.7e-44)."""
    return [_grid(PROBABILITIES, (0.0, 1.0, 0.3), dtype)]


def pm1_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    return [_grid(LOGITS, (-1.0, 1.0), dtype)]


def column_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """:func:`binary_inputs` as rows of one class (a multi-label loss averages a row)."""
    return [tuple(a[:, None] for a in binary_inputs(dtype, options)[0])]


def divergence_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Log-probabilities 0 ... -1e300 against target probabilities 0 ... 1 (their logs
    with ``log_target``; a target of 0 then becomes e^-745, as -inf gives nan in torch)."""
    x, t = _grid(LOG_PROBABILITIES, TARGET_PROBABILITIES, dtype)
    if options.get("log_target"):
        with np.errstate(divide="ignore"):
            t = np.log(np.maximum(t, np.finfo(dtype).smallest_subnormal)).astype(dtype)
    return [(x, t)]


# Scores near the hinge, on either side and at it, as for pm1_inputs, and exact differences
# that cancel: x1 = x2 (large, or 1e300 apart), x1 - x2 one ulp from the margin.
RANKING_PAIRS = ((1e300, 1e300), (1e300, -1e300), (-1e300, 1e300), (1e300, 1e300 * (1 - 2**-52)),
                 (1e8 + 0.5, 1e8), (1.0, 1.0 - 2**-53), (1.5, 1.0), (0.5 + 2**-53, 0.0),
                 (0.3, -0.2), (0.75, 0.25), (1e-300, -1e-300), (0.0, 0.0), (2.5, 3.0),
                 (1e16, 1e16 + 2.0), (-5.0, 1e-8))
DISTANCES = (0.0, 5e-324, 1e-300, 1e-8, 0.25, 0.5, 1 - 2**-53, 1.0, 1 + 2**-52, 2.0, 1e8, 1e300)


def ranking_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """:data:`RANKING_PAIRS` (±1e300 as ±1e38 in float32) against the labels -1 and 1."""
    pairs = [_clip_to(dtype, pair) for pair in RANKING_PAIRS for _ in (0, 1)]
    y = _cast([s for _ in RANKING_PAIRS for s in (-1.0, 1.0)], dtype)
    return [(_cast([p[0] for p in pairs], dtype), _cast([p[1] for p in pairs], dtype), y)]


def distance_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Distances 0, subnormal, tiny, around the margins 0.5 and 1, huge, against -1, 1."""
    return [_grid(DISTANCES, (-1.0, 1.0), dtype)]


def _near_one(dtype: Any) -> float:
    """The largest cosine below 1 that ``dtype`` holds at 1 - 1e-14 or nearer to 1."""
    return 1 - 1e-14 if np.dtype(dtype) == np.float64 else 1 - 2.0**-24


# Rows of cosines: the target at +1 against -1 (with scale 64 the loss is e^-100 or less),
# just below 1 (ArcFace's sin(theta) = sqrt(1 - c^2) cancels there), at -1, ties, +-1
# elsewhere, one class, many classes.
def _cosine_rows(dtype: Any) -> list[tuple[list[float], int]]:
    one = _near_one(dtype)
    return [([1.0, -1.0, -1.0], 0), ([one, -1.0, -1.0], 0), ([1.0] + [-1.0] * 9, 0),
            ([1.0, 1.0, 0.2], 0), ([one, 1.0, 0.2], 0), ([1.0, one, -1.0], 1),
            ([-1.0, 1.0, 1.0], 0), ([-one, 1.0, -1.0], 0), ([0.3, 1.0, -1.0], 1),
            ([0.4, 0.4, 0.4], 2), ([0.0, 0.5, -0.5], 0), ([-0.2, 0.9, 0.9], 1),
            ([0.875, -0.25, 0.5, -1.0], 0), ([0.5, 0.5], 1), ([0.3], 0), ([-1.0], 0),
            ([1e-300, -1e-300, 0.0], 0)]


def cosine_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Rows of cosines in [-1, 1] (CosFace, ArcFace), each a batch of one."""
    return [(_cast([row], dtype), np.array([target])) for row, target in _cosine_rows(dtype)]


def arcface_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """:func:`cosine_inputs`, and target cosines at ArcFace's threshold ``cos(pi - m)``
    (the official float64 constant, rounded to ``dtype``) and one ulp either side, at
    ``-cos(m)`` (where ``theta + m = pi``) and at ``sin(m)`` (where the target logit
    ``cos(theta + m)`` crosses 0)."""
    margin = options.get("margin", 0.5)
    threshold = np.asarray(math.cos(math.pi - margin)).astype(dtype)
    targets = [threshold, np.nextafter(threshold, np.asarray(1, dtype)),
               np.nextafter(threshold, np.asarray(-1, dtype)), -math.cos(margin),
               math.sin(margin)]
    rows = [([float(t), 0.1, -0.3], 0) for t in targets]
    return cosine_inputs(dtype, options) + [(_cast([row], dtype), np.array([target]))
                                            for row, target in rows]


# (scores, target list) rows for multilabel_margin_loss: the classes listed before the
# first -1 are the targets; ties at 1e300 (torch's (1 - x_j) + x_i loses the 1 there).
MULTILABEL_ROWS: tuple[tuple[tuple[float, ...], tuple[int, ...]], ...] = (
    ((1e300, 1e300, -1e300), (0, -1, 0)), ((-1e300, -1e300, 0.0), (1, -1, 1)),
    ((0.0, -69.0), (0, -1)), ((0.5, -36.25, -37.75), (1, -1, 0)), ((5.0, 5.0), (0, 1)),
    ((1.0, 1.0, 1.0), (2, 0, -1)), ((2.5, -1.25, 0.75, 3.0), (3, 0, -1, 1)),
    ((-1e300, 0.0, 1.0), (0, -1, -1)), ((1.7e308, 0.0), (1, -1)),
    ((0.0, 0.0, -700.0), (0, 1, -1)), ((-0.125, 4.0, -7.5, 1.5, 0.25), (2, 4, -1, 0, 0)),
    ((1e300, -1e300, 0.0), (1, -1, 2)), ((3.25,), (0,)), ((0.0, 1.0 - 2**-53), (1, -1)),
)


def multilabel_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Each row of :data:`MULTILABEL_ROWS` as a batch of one, ``(1, C)`` and ``(1, C)``."""
    return [(_cast([_clip_to(dtype, row)], dtype), np.array([t]))
            for row, t in MULTILABEL_ROWS]


def _magnitudes(dtype: Any) -> tuple[float, float, float]:
    """``(big, huge, tiny)`` norms: ``big`` squares without overflow (1e150, 1e18 in
    float32), ``huge`` does not (1e200, 1e25), ``tiny`` squares to below the smallest
    subnormal (1e-200, 1e-30)."""
    if np.dtype(dtype) == np.float64:
        return 1e150, 1e200, 1e-200
    return 1e18, 1e25, 1e-30


def _ulps_from(x: float, steps: int, dtype: Any) -> float:
    """``x`` moved ``steps`` ulps up in ``dtype``."""
    v = np.asarray(x, dtype)
    for _ in range(steps):
        v = np.nextafter(v, np.asarray(np.inf, dtype))
    return float(v)


def pair_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Pairs of vectors ``(x1, x2)`` with labels ±1 (cosine embedding, contrastive):
    parallel, at angles 1e-8 and 1e-4, nearly orthogonal (a dot product that cancels),
    opposite, zero, at norms near 1e-6 (where torch's 1e-12 in the cosine matters),
    nearly equal large vectors, tiny, big and huge norms (see :func:`_magnitudes`).
    torch's cosine multiplies the two squared norms before its square root: the product
    overflows, and the cosine becomes 0, once ``|x1| |x2|`` exceeds 1.3e154 (1.8e19 in
    float32), so the big pairs and the nearly equal ones at 1e10 in float32 go wrong."""
    big, huge, tiny = _magnitudes(dtype)
    e = _ulps_from(1e10, 1, dtype)
    pairs = [([3.0, 4.0], [6.0, 8.0]), ([1e6, 0.0], [1e6, 1e-2]), ([1.0, 0.0], [1.0, 1e-4]),
             ([1.0, 1.0], [1.0, -1.0 + 2**-52]), ([1.0, 2.0], [-1.0, -2.0]),
             ([0.0, 0.0], [0.0, 0.0]), ([0.0, 0.0], [1.0, 1.0]), ([1e-6, 0.0], [1e-6, 1e-6]),
             ([1e10, 1e10], [e, 1e10]), ([0.0, 0.0], [0.3, 0.4]), ([0.0, 0.0], [0.6, 0.8]),
             ([0.5, -1.25], [2.0, 0.75]), ([tiny, tiny], [tiny, 0.0]),
             ([big, big], [big, 0.0]), ([big, 0.0], [0.0, big]), ([huge, 0.0], [huge, huge])]
    x1 = _cast([p[0] for p in pairs for _ in (0, 1)], dtype)
    x2 = _cast([p[1] for p in pairs for _ in (0, 1)], dtype)
    y = _cast([s for _ in pairs for s in (1.0, -1.0)], dtype)
    return [(x1, x2, y)]


def triplet_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Triplets ``(anchor, positive, negative)``: ordinary ones, a negative nearer the
    positive than the anchor (``swap``), a hinge that cancels to about 0, nearly equal
    large vectors (differences of a few ulps, comparable to torch's eps 1e-6 in
    float64), zero, tiny, big and huge norms."""
    big, huge, tiny = _magnitudes(dtype)
    e1, e3 = _ulps_from(1e10, 1, dtype), _ulps_from(1e10, 3, dtype)
    triplets = [([0.0, 0.0], [3.0, 4.0], [1.0, 0.0]), ([0.0, 0.0], [1.0, 0.0], [1.5, 0.0]),
                ([0.0, 0.0], [1.0, 0.0], [2.0, 2**-40]), ([0.5, -1.25], [2.0, 0.75], [-1.0, 3.0]),
                ([1e10, 1e10], [e1, 1e10], [1e10, e3]), ([1e10, 1e10], [e3, 1e10], [1e10, e1]),
                ([0.0, 0.0], [0.0, 0.0], [0.0, 0.0]), ([tiny, 0.0], [0.0, tiny], [0.0, 0.0]),
                ([big, 0.0], [0.0, big], [big, big]), ([big, 0.0], [0.0, big], [-big, 0.0]),
                ([huge, 0.0], [0.0, huge], [huge, huge])]
    return [tuple(_cast([t[k] for t in triplets], dtype) for k in range(3))]


def batch_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Query and key matrices for InfoNCE: orthonormal, opposite (a loss near e^-28 at
    temperature 0.07), nearly parallel keys (angle 1e-8), rows at and below the norm
    floor 1e-12, zero rows, huge (1e300, 1e37 in float32) and tiny (1e-300, 1e-30) rows."""
    big, tiny = (1e300, 1e-300) if np.dtype(dtype) == np.float64 else (1e37, 1e-30)
    eye = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    q = [[3.0, 4.0], [1.0, -2.0], [-0.5, 0.25]]
    sets = [(eye, eye), ([[1.0, 0.0], [-1.0, 0.0]], [[1.0, 0.0], [-1.0, 0.0]]),
            ([[1.0, 0.0], [1.0, 1e-8]], [[1.0, 0.0], [1.0, 1e-8]]),
            ([[1e-12, 0.0], [3e-13, -2e-13], [0.0, 0.0]], q),
            (q, [[0.0, 0.0], [1e-12, 0.0], [1.0, 1.0]]),
            ([[big * v for v in r] for r in q], q), (q, [[big * v for v in r] for r in q]),
            ([[tiny * v for v in r] for r in q], q)]
    return [(_cast(a, dtype), _cast(b, dtype)) for a, b in sets]


def group_inputs(dtype: Any, options: dict[str, Any]) -> list[tuple]:
    """Embeddings and integer labels for NT-Xent (one loss per batch): nearly parallel
    positives with opposite negatives (a tiny loss), groups of three and singletons, one
    group (no negatives), zero and tiny rows (optax's floor), huge and tiny rows."""
    big, tiny = (1e300, 1e-300) if np.dtype(dtype) == np.float64 else (1e37, 1e-30)
    x = [[0.5, -1.25, 2.0], [1.0, 0.25, -0.75], [0.0, 3.0, 1.0], [-2.0, 0.5, 0.5],
         [1.5, 1.5, -1.0], [0.25, -0.5, 4.0]]
    sets = [([[1.0, 0.0], [1.0, 1e-8], [-1.0, 0.0], [-1.0, -1e-8]], [0, 0, 1, 1]),
            (x, [3, 1, 3, 3, 7, 1]), (x, [5, 5, 5, 5, 5, 5]), (x, [0, 1, 2, 3, 4, 0]),
            ([[0.0, 0.0], [1e-9, 0.0], [1.0, 0.0], [0.0, 1.0]], [0, 0, 1, 1]),
            ([[big * v for v in r] for r in x], [0, 0, 1, 1, 2, 2]),
            ([[tiny * v for v in r] for r in x], [0, 0, 1, 1, 2, 2])]
    return [(_cast(a, dtype), np.array(labels)) for a, labels in sets]


TASK_INPUTS = {"classification": classification_inputs, "regression": regression_inputs,
               "binary": binary_inputs}


def _mp_log_softmax(row: list[Any]) -> list[Any]:
    top = max(range(len(row)), key=lambda k: row[k])
    rest = mpmath.fsum(mpmath.exp(row[k] - row[top]) for k in range(len(row)) if k != top)
    return [(x - row[top]) - mpmath.log1p(rest) for x in row]


def _mp_cross_entropy(row, target, *, label_smoothing=0.0, **_):
    nlogp = [-v for v in _mp_log_softmax(row)]
    eps = mpmath.mpf(label_smoothing)
    return (1 - eps) * nlogp[target] + eps / len(row) * mpmath.fsum(nlogp)


def _mp_nll(row, target, **_):
    return -row[target]


def _mp_mse(x, y, **_):
    return (x - y) ** 2


def _mp_l1(x, y, **_):
    return abs(x - y)


def _mp_smooth_l1(x, y, *, beta=1.0, **_):
    z, beta = abs(x - y), mpmath.mpf(beta)
    if beta == 0:
        return z
    return z * z / (2 * beta) if z < beta else z - beta / 2


def _mp_huber(x, y, *, delta=1.0, **_):
    z, delta = abs(x - y), mpmath.mpf(delta)
    return z * z / 2 if z < delta else delta * (z - delta / 2)


def _mp_stirling(t):
    """torch's Stirling term for ``full=True``: ``t log t - t + log(2 pi t) / 2`` where
    ``t > 1``, else 0; returns the term and its largest part."""
    if t <= 1:
        return mpmath.mpf(0), mpmath.mpf(0)
    tlogt = t * mpmath.log(t)
    return tlogt - t + mpmath.log(2 * mpmath.pi * t) / 2, abs(tlogt)


def _mp_poisson(x, t, *, log_input=True, full=False, eps=1e-8, **_):
    if log_input:
        a, b = mpmath.exp(x), t * x
    else:  # torch adds eps inside the log
        a, b = x, t * mpmath.log(x + mpmath.mpf(eps))
    value, scale = a - b, max(abs(a), abs(b))
    if full:
        term, part = _mp_stirling(t)
        value, scale = value + term, max(scale, part)
    return value, scale


def _mp_gaussian(x, y, var, *, full=False, eps=1e-6, **_):
    v = max(var, mpmath.mpf(eps))  # torch clamps the variance at eps
    a, b = mpmath.log(v), (x - y) ** 2 / v
    value, scale = (a + b) / 2, max(abs(a), abs(b)) / 2
    if full:
        c = mpmath.log(2 * mpmath.pi) / 2
        value, scale = value + c, max(scale, c)
    return value, scale


def _mp_log_cosh(x, y, **_):
    return mpmath.log(mpmath.cosh(x - y))


def _mp_quantile(x, y, *, quantile=0.5, **_):
    u, tau = y - x, mpmath.mpf(quantile)
    return max(tau * u, (tau - 1) * u)


def _mp_tukey(x, y, *, c=4.685, **_):
    r, c = x - y, mpmath.mpf(c)
    if abs(r) > c:
        return c * c / 6
    return c * c / 6 * (1 - (1 - (r / c) ** 2) ** 3)


def _mp_bce(p, y, **_):
    """torch clamps each log at -100."""
    log_p = max(mpmath.log(p), -100) if p > 0 else mpmath.mpf(-100)
    log_q = max(mpmath.log1p(-p), -100) if p < 1 else mpmath.mpf(-100)
    return -(y * log_p + (1 - y) * log_q)


def _mp_softplus(z):
    return mpmath.log1p(mpmath.exp(z))


def _mp_logistic(z, y, **_):
    return (1 - y) * _mp_softplus(z) + y * _mp_softplus(-z)


def _mp_soft_margin(x, y, **_):
    return _mp_softplus(-y * x)


def _mp_kl(x, t, *, log_target=False, **_):
    """``t (log t - x)``, a difference of two terms (their larger one is the scale)."""
    if log_target:
        t_log, t = t, mpmath.exp(t)
    else:
        t_log = mpmath.log(t) if t > 0 else mpmath.mpf(0)
    a, b = t * t_log, t * x
    return a - b, max(abs(a), abs(b))


def _mp_js(x, t, *, log_target=False, **_):
    q, p = mpmath.exp(x), (mpmath.exp(t) if log_target else t)
    m = (p + q) / 2
    terms = [a * mpmath.log(a / m) / 2 for a in (p, q) if a > 0]
    return mpmath.fsum(terms), max([abs(v) for v in terms] + [mpmath.mpf(0)])


# Differences of inputs are formed first: at 50 digits 1 - 1e300 + 1e300 is 0, as in floats.


def _mp_hinge(x, y, *, margin=1.0, **_):
    return max(mpmath.mpf(0), mpmath.mpf(margin) - y * x)


def _mp_squared_hinge(x, y, *, margin=1.0, **_):
    return _mp_hinge(x, y, margin=margin) ** 2


def _mp_perceptron(x, y, **_):
    return _mp_hinge(x, y, margin=0.0)


def _mp_margin_ranking(x1, x2, y, *, margin=0.0, **_):
    """``max(0, margin - y (x1 - x2))``, a difference of ``margin`` and ``y (x1 - x2)``."""
    d, m = x1 - x2, mpmath.mpf(margin)
    return max(mpmath.mpf(0), m - y * d), max(abs(d), m)


def _mp_hinge_embedding(x, y, *, margin=1.0, **_):
    return x if y == 1 else max(mpmath.mpf(0), mpmath.mpf(margin) - x)


def _mp_multi_margin(row, target, *, p=1, margin=1.0, **_):
    """torch's ``sum_{j != y} max(0, margin + x_j - x_y)^p / C`` (no weight)."""
    m = mpmath.mpf(margin)
    terms = [max(mpmath.mpf(0), m + (x - row[target])) ** p
             for j, x in enumerate(row) if j != target]
    return mpmath.fsum(terms) / len(row)


def _mp_multiclass_hinge(row, target, *, margin=1.0, **_):
    best = max(x - row[target] for j, x in enumerate(row) if j != target)
    return max(mpmath.mpf(0), mpmath.mpf(margin) + best)


def _mp_multilabel_margin(row, listed, **_):
    """torch's ``sum_{j listed} sum_{i not listed} max(0, 1 - (x_j - x_i)) / C``."""
    terms = [max(mpmath.mpf(0), 1 - (row[j] - row[i]))
             for j in listed for i in range(len(row)) if i not in listed]
    return mpmath.fsum(terms) / len(row)


def _mp_cosface(row, target, *, scale=64.0, margin=0.35, **_):
    s = mpmath.mpf(scale)
    logits = [s * (c - mpmath.mpf(margin)) if j == target else s * c for j, c in enumerate(row)]
    return _mp_cross_entropy(logits, target)


def _mp_arcface(row, target, dtype, *, scale=64.0, margin=0.5, easy_margin=False, **_):
    """insightface's ArcFace: ``cos(theta + m) = c cos m - sqrt(1 - c^2) sin m`` where
    ``c > th``, else ``c - m sin m`` (``c`` with ``easy_margin``, whose ``th`` is 0). The
    official ``th = math.cos(math.pi - m)`` is a float64 constant that torch (and NumPy)
    compare with the cosines in their dtype: rounded to ``dtype`` here, since the loss
    jumps there and one ulp of threshold decides the branch."""
    c, m = row[target], mpmath.mpf(margin)
    th = 0 if easy_margin else mpmath.mpf(float(np.asarray(math.cos(math.pi - margin), dtype)))
    if c > th:
        psi = c * mpmath.cos(m) - mpmath.sqrt((1 - c) * (1 + c)) * mpmath.sin(m)
    else:
        psi = c if easy_margin else c - m * mpmath.sin(m)
    s = mpmath.mpf(scale)
    return _mp_cross_entropy([s * psi if j == target else s * x for j, x in enumerate(row)],
                             target)


def _mp_cosine_embedding(x1, x2, y, *, margin=0.0, **_):
    """torch: ``cos = <x1, x2> / sqrt((|x1|^2 + e)(|x2|^2 + e))``, ``e`` the C++ float
    1e-12; ``1 - cos`` (scale 1) for ``y = 1``, ``max(0, cos - margin)`` for ``y = -1``
    (scale: the larger of ``|margin|`` and ``sum |x1_i x2_i|`` over the denominator)."""
    e = mpmath.mpf(float(np.float32(1e-12)))
    den = mpmath.sqrt((mpmath.fsum(a * a for a in x1) + e) * (mpmath.fsum(b * b for b in x2) + e))
    cos = mpmath.fsum(a * b for a, b in zip(x1, x2)) / den
    if y == 1:
        return 1 - cos, mpmath.mpf(1)
    m = mpmath.mpf(margin)
    return (max(mpmath.mpf(0), cos - m),
            max(abs(m), mpmath.fsum(abs(a * b) for a, b in zip(x1, x2)) / den))


def _mp_distance(x, y, p, eps):
    """torch's ``pairwise_distance``: ``||x - y + eps||_p``."""
    v = [abs((a - b) + eps) for a, b in zip(x, y)]
    if p == math.inf:
        return max(v)
    if p == 2:
        return mpmath.sqrt(mpmath.fsum(t * t for t in v))
    return mpmath.fsum(t ** p for t in v) ** (1 / mpmath.mpf(p))


def _mp_triplet(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False, **_):
    """``max(0, margin + d(a, p) - d(a, n))``, ``d(a, n)`` replaced by ``min(d(a, n),
    d(p, n))`` with ``swap``; a difference of ``margin`` and the two distances."""
    eps = mpmath.mpf(eps)
    d_ap, d_an = _mp_distance(anchor, positive, p, eps), _mp_distance(anchor, negative, p, eps)
    if swap:
        d_an = min(d_an, _mp_distance(positive, negative, p, eps))
    m = mpmath.mpf(margin)
    return max(mpmath.mpf(0), m + d_ap - d_an), max(m, d_ap, d_an)


def _mp_triplet_pairwise(anchor, positive, negative, *, margin=1.0, swap=False, **_):
    """``triplet_margin_with_distance_loss`` with its default distance, torch's
    ``pairwise_distance`` (p = 2, eps = 1e-6)."""
    return _mp_triplet(anchor, positive, negative, margin=margin, swap=swap)


def _mp_contrastive(x1, x2, y, *, margin=1.0, **_):
    """``d^2 / 2`` for ``y = 1``, ``max(0, margin - d)^2 / 2`` (scale ``max(margin,
    d)^2 / 2``) for ``y = -1``."""
    squared = mpmath.fsum((a - b) ** 2 for a, b in zip(x1, x2))
    if y == 1:
        return squared / 2
    m, d = mpmath.mpf(margin), mpmath.sqrt(squared)
    return max(mpmath.mpf(0), m - d) ** 2 / 2, max(m, d) ** 2 / 2


def _mp_unit(v, floor):
    """``v / max(|v|, floor)``."""
    d = max(mpmath.sqrt(mpmath.fsum(x * x for x in v)), floor)
    return [x / d for x in v]


def _mp_cosines(rows, columns, floor, temperature):
    u, w = [_mp_unit(r, floor) for r in rows], [_mp_unit(c, floor) for c in columns]
    tau = mpmath.mpf(temperature)
    return [[mpmath.fsum(a * b for a, b in zip(x, y)) / tau for y in w] for x in u]


def _mp_info_nce(query, key, i, *, temperature=0.07, **_):
    """Row ``i``: the cross-entropy of ``cos(q_i, k_j) / temperature`` with target ``i``,
    unit vectors as ``F.normalize``, ``x / max(|x|, 1e-12)``."""
    (logits,) = _mp_cosines([query[i]], key, mpmath.mpf(1e-12), temperature)
    return _mp_cross_entropy(logits, i)


def _mp_ntxent(x, labels, dtype, *, temperature=0.07, **_):
    """optax's labelled NT-Xent: the mean over ordered pairs ``i != j`` of equal labels of
    ``log(1 + sum_{k: y_k != y_i} exp(s_ik - s_ij))``, ``s = cos / temperature``, unit
    vectors ``x / sqrt(max(|x|^2, eps))`` with ``eps`` the dtype's machine epsilon."""
    floor = mpmath.sqrt(mpmath.mpf(float(np.finfo(dtype).eps)))
    s = _mp_cosines(x, x, floor, temperature)
    n = len(x)
    losses = [mpmath.log1p(mpmath.fsum(mpmath.exp(s[i][k] - s[i][j]) for k in range(n)
                                       if labels[k] != labels[i]))
              for i in range(n) for j in range(n) if j != i and labels[j] == labels[i]]
    return mpmath.fsum(losses) / len(losses)


def _mpf_list(values: Any) -> list[Any]:
    return [mpmath.mpf(float(v)) for v in values]


def _text(values: Any) -> str:
    return f"[{', '.join(str(v) for v in values)}]"


def _matrix(x: np.ndarray) -> str:
    return f"[{', '.join(_text(r) for r in x)}]"


def _example_units(args: tuple) -> tuple[list[tuple], list[str]]:
    """One unit per example of an embedding loss: a list of ``mpf`` for each (N, D)
    argument's row, an ``mpf`` for each (N,) argument's entry."""
    units, labels = [], []
    for i in range(len(args[0])):
        units.append(tuple(_mpf_list(a[i]) if a.ndim == 2 else mpmath.mpf(float(a[i]))
                           for a in args))
        labels.append(", ".join(_text(a[i]) if a.ndim == 2 else str(a[i]) for a in args))
    return units, labels


def _listed_units(args: tuple) -> tuple[list[tuple], list[str]]:
    """``(row, listed classes)`` per row: the classes before the target row's first -1."""
    units, labels = [], []
    for row, t in zip(*args):
        t = list(t)
        listed = tuple(int(c) for c in (t[:t.index(-1)] if -1 in t else t))
        units.append((_mpf_list(row), listed))
        labels.append(f"row {_text(row)}, target {_text(t)}")
    return units, labels


def _dtype_row_units(args: tuple) -> tuple[list[tuple], list[str]]:
    """``(row, target, dtype)`` per row (ArcFace's threshold is rounded to the dtype)."""
    x, y = args
    return ([(_mpf_list(row), int(t), x.dtype) for row, t in zip(x, y)],
            [f"row {_text(row)}, target {int(t)}" for row, t in zip(x, y)])


def _batch_row_units(args: tuple) -> tuple[list[tuple], list[str]]:
    """InfoNCE: ``(queries, keys, i)`` for row ``i``, which depends on every key."""
    q, k = args
    queries, keys = [_mpf_list(r) for r in q], [_mpf_list(r) for r in k]
    return ([(queries, keys, i) for i in range(len(q))],
            [f"row {i} of query {_matrix(q)}, key {_matrix(k)}"
             for i in range(len(q))])


def _batch_units(args: tuple) -> tuple[list[tuple], list[str]]:
    """NT-Xent: one unit, ``(embeddings, labels, dtype)``, for its one number."""
    x, labels = args
    return ([([_mpf_list(r) for r in x], [int(v) for v in labels], x.dtype)],
            [f"embeddings {_matrix(x)}, labels {[int(v) for v in labels]}"])


MP_REFERENCES: dict[str, MpReference] = {
    "cross_entropy": MpReference(_mp_cross_entropy, ({}, {"label_smoothing": 0.1})),
    "nll_loss": MpReference(_mp_nll, inputs=log_probability_inputs),
    "mse_loss": MpReference(_mp_mse),
    "l1_loss": MpReference(_mp_l1),
    "smooth_l1_loss": MpReference(_mp_smooth_l1, ({}, {"beta": 0.5})),
    "huber_loss": MpReference(_mp_huber, ({}, {"delta": 2.0})),
    "poisson_nll_loss": MpReference(
        _mp_poisson, ({}, {"full": True}, {"log_input": False}, {"log_input": False, "full": True}),
        inputs=poisson_inputs),
    "gaussian_nll_loss": MpReference(_mp_gaussian, ({}, {"full": True}), inputs=gaussian_inputs),
    "log_cosh_loss": MpReference(_mp_log_cosh),
    "quantile_loss": MpReference(_mp_quantile, ({}, {"quantile": 0.9})),
    "tukey_biweight_loss": MpReference(_mp_tukey),
    "binary_cross_entropy": MpReference(_mp_bce, inputs=probability_inputs),
    "binary_cross_entropy_with_logits": MpReference(_mp_logistic),
    "soft_margin_loss": MpReference(_mp_soft_margin, inputs=pm1_inputs),
    "multilabel_soft_margin_loss": MpReference(_mp_logistic, inputs=column_inputs),
    "kl_div": MpReference(_mp_kl, ({}, {"log_target": True}),
                          inputs=divergence_inputs),
    "js_divergence": MpReference(_mp_js, ({}, {"log_target": True}),
                                 inputs=divergence_inputs),
    "hinge_loss": MpReference(_mp_hinge, ({}, {"margin": 0.5}, {"margin": 2.0}),
                              inputs=pm1_inputs),
    "squared_hinge_loss": MpReference(_mp_squared_hinge, ({}, {"margin": 0.5}, {"margin": 2.0}),
                                      inputs=pm1_inputs),
    "perceptron_loss": MpReference(_mp_perceptron, inputs=pm1_inputs),
    "margin_ranking_loss": MpReference(_mp_margin_ranking, ({}, {"margin": 0.5}),
                                       inputs=ranking_inputs),
    "hinge_embedding_loss": MpReference(_mp_hinge_embedding, ({}, {"margin": 0.5}),
                                        inputs=distance_inputs),
    "multi_margin_loss": MpReference(_mp_multi_margin, ({}, {"p": 2})),
    "multiclass_hinge_loss": MpReference(_mp_multiclass_hinge, ({}, {"margin": 0.5}),
                                         inputs=multiclass_inputs),
    "multilabel_margin_loss": MpReference(_mp_multilabel_margin, inputs=multilabel_inputs,
                                          units=_listed_units),
    "cosface_loss": MpReference(_mp_cosface, ({}, {"margin": 0.0}, {"scale": 16.0, "margin": 1.0}),
                                inputs=cosine_inputs),
    "arcface_loss": MpReference(_mp_arcface, ({}, {"easy_margin": True}, {"margin": 1.2}),
                                inputs=arcface_inputs, units=_dtype_row_units),
    "cosine_embedding_loss": MpReference(_mp_cosine_embedding, ({}, {"margin": 0.5}),
                                         inputs=pair_inputs, units=_example_units),
    "triplet_margin_loss": MpReference(_mp_triplet, ({}, {"p": 1.0}, {"swap": True}),
                                       inputs=triplet_inputs, units=_example_units),
    "triplet_margin_with_distance_loss": MpReference(
        _mp_triplet_pairwise, ({}, {"swap": True}), inputs=triplet_inputs, units=_example_units),
    "contrastive_loss": MpReference(_mp_contrastive, ({}, {"margin": 2.0}), inputs=pair_inputs,
                                    units=_example_units),
    "info_nce_loss": MpReference(_mp_info_nce, ({}, {"temperature": 1.0}), inputs=batch_inputs,
                                 units=_batch_row_units),
    "ntxent_loss": MpReference(_mp_ntxent, ({}, {"temperature": 0.5}), inputs=group_inputs,
                               units=_batch_units),
}
"""The 50-digit reference of each loss, by name (see :class:`MpReference`)."""

NO_REFERENCE: dict[str, str] = {}
"""Losses deliberately left without a reference, by name, with the reason. Every
registered loss must be in :data:`MP_REFERENCES` or here (``tests/test_bench.py``)."""


# ---------------------------------------------------------------- accuracy: evaluation


def _ulp(x: Any, dtype: Any) -> Any:
    """The spacing of ``dtype``'s numbers at magnitude ``x`` (subnormal spacing below)."""
    info = np.finfo(dtype)
    smallest = mpmath.mpf(2) ** (info.minexp - info.nmant)
    if x == 0:
        return smallest
    _, exponent = mpmath.frexp(x)  # x = m 2^exponent with m in [1/2, 1)
    return max(mpmath.mpf(2) ** (exponent - 1 - info.nmant), smallest)


def _units(rec: Loss, args: tuple) -> tuple[list[tuple], list[str]]:
    """The reference's arguments for each output element, and a description of each."""
    names = list(inspect.signature(rec.numpy).parameters)[:len(args)]
    if rec.task == "classification":
        x, y = args[0], args[1]
        units = [([mpmath.mpf(float(v)) for v in row], int(t)) for row, t in zip(x, y)]
        labels = [f"row [{', '.join(str(v) for v in row)}], target {int(t)}"
                  for row, t in zip(x, y)]
        return units, labels
    arrays = np.broadcast_arrays(*args)
    flat = [a.reshape(-1) for a in arrays]
    units = [tuple(mpmath.mpf(float(a[i])) for a in flat) for i in range(flat[0].size)]
    labels = [", ".join(f"{name}={a[i]}" for name, a in zip(names, flat))
              for i in range(flat[0].size)]
    return units, labels


def _score(computed: np.ndarray, truths: list[tuple], labels: list[str], dtype: Any):
    """Worst relative error, in ulps, non-finite count and worst input of one side."""
    info = np.finfo(dtype)
    tiny = mpmath.mpf(float(info.tiny))
    worst = (mpmath.mpf(0), mpmath.mpf(0), "", None, None)
    nonfinite, compared, first_nonfinite = 0, 0, None
    for c, (true, scale), label in zip(computed.reshape(-1).tolist(), truths, labels):
        if true is None:
            continue
        compared += 1
        if not math.isfinite(c):
            nonfinite += 1
            first_nonfinite = first_nonfinite or (label, true, c)
            continue
        error = abs(mpmath.mpf(c) - true)
        rel = error / max(abs(true), scale, tiny)
        if rel > worst[0] or worst[3] is None:
            worst = (rel, error / _ulp(max(abs(true), scale), dtype), label, true, c)
    rel, ulps, label, true, c = worst
    if first_nonfinite is not None:
        label, true, c = first_nonfinite
    result = {"max_rel_error": _finite_float(rel), "max_ulps": _finite_float(ulps),
              "nonfinite": nonfinite,
              "worst_input": (f"{label} (true {mpmath.nstr(true, 6)}, got "
                              f"{mpmath.nstr(mpmath.mpf(c), 6)})"
                              if label else "")}
    return result, compared


def _finite_float(x: Any) -> float:
    return _round(min(float(x), sys.float_info.max))


def _truths(ref: MpReference, units: list[tuple], options: dict[str, Any],
            dtype: Any) -> list[tuple]:
    """``(true, scale)`` per element; ``(None, None)`` where the true value overflows."""
    biggest = mpmath.mpf(float(np.finfo(dtype).max))
    out = []
    for unit in units:
        value = ref.value(*unit, **options)
        true, scale = value if isinstance(value, tuple) else (value, abs(value))
        out.append((None, None) if abs(true) > biggest else (true, scale))
    return out


def accuracy(records: Iterable[Loss], dtypes: Sequence[Any] = (np.float64,),
             log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One entry per (loss, options, dtype): the worst error of ``.numpy``, ``.torch`` and
    the builtin against :data:`MP_REFERENCES` on extreme inputs."""
    if mpmath is None:
        raise ImportError("the accuracy part needs mpmath (pip install mpmath, or the "
                          "'test' extra)")
    entries = []
    for rec in records:
        ref = MP_REFERENCES.get(rec.name)
        if ref is None:
            reason = NO_REFERENCE.get(rec.name, "not in lossref.bench.MP_REFERENCES")
            entries.append({"name": rec.name, "options": {}, "dtype": None, "cases": 0,
                            "numpy": None, "torch": None, "builtin": None,
                            "worst_input": f"no reference: {reason}"})
            log(f"{rec.name:<22} no reference: {reason}")
            continue
        defaults = _defaults(rec.numpy)
        builtin = rec.builtin
        inputs = ref.inputs or TASK_INPUTS[rec.task]
        # NT-Xent has no reduction (it returns one number): call it as it is
        per_element = ({"reduction": "none"}
                       if "reduction" in inspect.signature(rec.numpy).parameters else {})
        for options in ref.options:
            full = {k: v for k, v in {**defaults, **options}.items() if k != "reduction"}
            for dtype in dtypes:
                sides: dict[str, list] = {"numpy": [], "torch": [], "builtin": []}
                truths: list[tuple] = []
                labels: list[str] = []
                with mpmath.workdps(DIGITS):
                    for args in inputs(dtype, options):
                        units, names = (ref.units(args) if ref.units is not None
                                        else _units(rec, args))
                        truths += _truths(ref, units, full, dtype)
                        labels += names
                        kw = {**options, **per_element}
                        sides["numpy"].append(np.asarray(rec.numpy(*args, **kw), np.float64))
                        targs = [_tensor(a) for a in args]
                        with torch.no_grad():
                            sides["torch"].append(rec.torch(*targs, **kw).double().numpy())
                            if builtin is not None:
                                sides["builtin"].append(builtin(*targs, **kw).double().numpy())
                    entry: dict[str, Any] = {"name": rec.name, "options": _options(options),
                                             "dtype": np.dtype(dtype).name}
                    for side, outs in sides.items():
                        if side == "builtin" and builtin is None:
                            entry[side] = None
                            continue
                        computed = np.concatenate([o.reshape(-1) for o in outs])
                        entry[side], compared = _score(computed, truths, labels, dtype)
                    entry["cases"] = compared
                    entry["worst_input"] = _worst_input(entry)
                entries.append(entry)
                log(_accuracy_line(entry))
    return entries


def _worst_input(entry: dict[str, Any]) -> str:
    """The input of the largest error (a non-finite result first), prefixed with the
    implementations that share it: ``"torch, builtin: input=1e+300, ..."``."""
    scores = {side: entry[side] for side in ("numpy", "torch", "builtin") if entry[side]}

    def badness(score: dict[str, Any]) -> float:
        return math.inf if score["nonfinite"] else score["max_rel_error"]

    worst = max(badness(score) for score in scores.values())
    if worst == 0:
        return "none: every result is exact"
    first = next(score for score in scores.values() if badness(score) == worst)
    sides = [side for side, score in scores.items() if badness(score) == worst
             and score["worst_input"] == first["worst_input"]]
    return f"{', '.join(sides)}: {first['worst_input']}"


def _accuracy_line(e: dict[str, Any]) -> str:
    def side(s: dict | None) -> str:
        if s is None:
            return "-"
        return f"{s['max_rel_error']:.2g} ({s['max_ulps']:.3g} ulp, {s['nonfinite']} nonfinite)"
    return (f"{e['name']:<22} {_short(e['options']):<26} {e['dtype']:<8} {e['cases']:>4} "
            f"numpy {side(e['numpy'])}  torch {side(e['torch'])}  builtin {side(e['builtin'])}")


# ---------------------------------------------------------------- the whole run


_MALLOC = "default"


def steady_malloc() -> str:
    """Tell glibc's malloc to keep freed memory instead of returning it to the system.

    With glibc's defaults an array of megabytes is freed back to the system (unmapped, or
    trimmed off the heap) after each call, and the next call pays a page fault for every
    4 KiB of it again: at 10^6 elements that doubles the time of a NumPy loss with a few
    temporaries (cross_entropy in float32: 16 ms, 4851 page faults per call, against 7 ms
    and none here) and makes it depend on what ran before in the process. Raising the
    mmap threshold to its maximum (32 MiB) and the trim threshold to 1 GiB measures the
    computation, for NumPy and torch alike, the same way in every run. Returns what was
    done, for the report; elsewhere than glibc, nothing is done."""
    global _MALLOC
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        version = libc.gnu_get_libc_version().decode()
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        if libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30):
            _MALLOC = (f"glibc {version}, mallopt M_MMAP_THRESHOLD=32 MiB, "
                       "M_TRIM_THRESHOLD=1 GiB: freed memory is reused, not returned")
    except (OSError, AttributeError):
        pass
    return _MALLOC


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def numpy_simd() -> list[str]:
    """The SIMD targets NumPy runs: its baseline and the dispatched targets this CPU has
    (``np.show_runtime()`` prints the same)."""
    try:
        umath = np._core._multiarray_umath
        features = umath.__cpu_features__
        return list(umath.__cpu_baseline__) + [t for t in umath.__cpu_dispatch__
                                               if features.get(t)]
    except AttributeError:
        return []


def meta(command: str) -> dict[str, Any]:
    """Where and with what the numbers were measured."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.machine(), "cpu": _cpu_model(), "cores": os.cpu_count() or 1,
        "python": platform.python_version(), "numpy": np.__version__,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "numpy_simd": numpy_simd(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "malloc": _MALLOC,
        "command": command,
    }


def run(sizes: Sequence[int] = SIZES, dtypes: Sequence[Any] = DTYPES,
        optimizer_sizes: Sequence[int] = OPTIMIZER_SIZES, *,
        losses: Sequence[str] | None = None, optimizers: Sequence[str] | None = None,
        with_accuracy: bool = True, accuracy_dtypes: Sequence[Any] = (np.float64,),
        budget: Budget = Budget(), command: str = "make bench",
        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure the registered losses and optimizers (all, or those named) on one torch
    thread; returns the results as :func:`main` writes them."""
    loss_records = [LOSSES[n] for n in losses] if losses is not None else list(LOSSES.values())
    optimizer_records = ([OPTIMIZERS[n] for n in optimizers] if optimizers is not None
                         else list(OPTIMIZERS.values()))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        results = {"meta": meta(command)}
        results["losses"] = time_losses(loss_records, sizes, dtypes, budget, log)
        results["optimizers"] = time_optimizers(optimizer_records, optimizer_sizes, dtypes,
                                                budget, log)
        results["accuracy"] = (accuracy(loss_records, accuracy_dtypes, log)
                               if with_accuracy else [])
        results["meta"]["seconds"] = round(time.perf_counter() - start, 1)
    finally:
        torch.set_num_threads(threads)
    return results


def summary(results: dict[str, Any]) -> str:
    """The ratios at the largest size, float32 and float64, as a text table."""
    largest = max((e["size"] for e in results["losses"]), default=0)
    lines = [f"at {largest} elements: numpy/builtin and torch/builtin (median ratios)"]
    for e in results["losses"]:
        if e["size"] == largest:
            lines.append(f"  {e['name']:<22} {e['dtype']:<8} numpy/builtin "
                         f"{_ratio(e['numpy_ms'], e['builtin_ms'])}  torch/builtin "
                         f"{_ratio(e['torch_ms'], e['builtin_ms'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lossref.bench [--sizes N ...] [--output PATH] ...``"""
    parser = argparse.ArgumentParser(prog="python -m lossref.bench", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="JSON file to write")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="loss sizes in elements (default: %(default)s)")
    parser.add_argument("--optimizer-sizes", type=int, nargs="+", default=list(OPTIMIZER_SIZES))
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"],
                        choices=["float32", "float64"])
    parser.add_argument("--losses", nargs="+", metavar="NAME", help="only these losses")
    parser.add_argument("--optimizers", nargs="+", metavar="NAME", help="only these optimizers")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the mpmath part")
    parser.add_argument("--target-seconds", type=float, default=Budget.target_s,
                        help="time per measurement (default: %(default)s)")
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc's malloc as it is (see steady_malloc)")
    args = parser.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    default_run = (args.sizes == list(SIZES) and args.optimizer_sizes == list(OPTIMIZER_SIZES)
                   and args.dtypes == ["float32", "float64"] and not args.losses
                   and not args.optimizers and not args.no_accuracy
                   and args.target_seconds == Budget.target_s and not args.default_malloc)
    command = "make bench" if default_run else " ".join(["python -m lossref.bench", *argv])
    if not args.default_malloc:
        steady_malloc()
    results = run(args.sizes, [np.dtype(d).type for d in args.dtypes], args.optimizer_sizes,
                  losses=args.losses, optimizers=args.optimizers,
                  with_accuracy=not args.no_accuracy,
                  budget=Budget(target_s=args.target_seconds), command=command,
                  log=lambda line: print(line, flush=True))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    print(summary(results))
    print(f"wrote {output} in {results['meta']['seconds']} s")
    return 0


def _one_thread_environment() -> None:
    """Re-run this command with every thread pool at one thread, set before NumPy and
    torch start (``python -m lossref.bench`` imports them, through lossref, before this
    module runs)."""
    wanted = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    os.environ.update(wanted)
    os.execv(sys.executable, [sys.executable, "-m", "lossref.bench", *sys.argv[1:]])


if __name__ == "__main__":
    _one_thread_environment()
    sys.exit(main())
