"""The benchmark harness (``lossref/bench.py``, ``make bench``) runs on every record and
writes the report that the "Performance and accuracy" page renders.

The harness runs here at its smallest size (1000 elements, both dtypes, two samples per
timing), so that a loss or optimizer registered tomorrow is measured, and a change that
breaks the harness fails the suite. No timing is asserted: a timed test would fail on a
slow or busy machine and prove nothing on a fast one. Timings are checked only for being
positive and finite, the report for its schema. Accuracy is asserted where it belongs, in
``tests/test_loss_accuracy.py``; here only that the accuracy report is produced (and that
it sees the one torch defect it is known to see).

The committed ``benchmarks/results.json`` must measure every registered record: a new
loss fails here until ``make bench`` is re-run.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lossref import bench
from lossref.registry import LOSSES, OPTIMIZERS, Loss

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
TINY = bench.Budget(target_s=0.0, min_samples=2, max_samples=2, min_sample_s=0.0)
SIZE = 1000
DTYPE_NAMES = ("float32", "float64")

META_KEYS = {"date", "machine", "cpu", "cores", "python", "numpy", "torch", "threads",
             "numpy_simd", "command"}
LOSS_KEYS = {"name", "task", "dtype", "size", "shape", "numpy_ms", "torch_ms", "builtin_ms",
             "numpy_peak_bytes", "input_bytes"}
OPTIMIZER_KEYS = {"name", "options", "dtype", "size", "numpy_ms", "torch_ms",
                  "builtin_foreach_false_ms", "builtin_default_ms"}
ACCURACY_KEYS = {"name", "options", "cases", "numpy", "torch", "builtin", "worst_input"}
ERROR_KEYS = {"max_rel_error", "max_ulps", "nonfinite"}


def quiet(line: str) -> None:
    pass


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return bench.run(sizes=(SIZE,), optimizer_sizes=(SIZE,), budget=TINY, command="pytest",
                     log=quiet)


# ---------------------------------------------------------------- schema


def check_timing(timing: Any, where: str) -> None:
    assert set(timing) == {"median", "q1", "q3"}, where
    values = [timing["q1"], timing["median"], timing["q3"]]
    assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values), where
    assert values == sorted(values), f"{where}: quartiles out of order {values}"


def check_error(side: Any, where: str) -> None:
    assert ERROR_KEYS <= set(side), where
    assert math.isfinite(side["max_rel_error"]) and side["max_rel_error"] >= 0, where
    assert math.isfinite(side["max_ulps"]) and side["max_ulps"] >= 0, where
    assert isinstance(side["nonfinite"], int) and side["nonfinite"] >= 0, where


def check_schema(results: dict[str, Any]) -> None:
    """Everything the page's renderer (docs_build/bench_render.py) reads, with its type."""
    assert set(results) == {"meta", "losses", "optimizers", "accuracy"}
    json.dumps(results, allow_nan=False)  # strict JSON: no NaN or inf anywhere
    meta = results["meta"]
    assert META_KEYS <= set(meta)
    assert meta["threads"] == 1
    assert isinstance(meta["cores"], int) and meta["cores"] >= 1
    assert isinstance(meta["numpy_simd"], list)
    assert all(isinstance(meta[k], str) for k in META_KEYS - {"cores", "threads", "numpy_simd"})
    for e in results["losses"]:
        where = f"losses: {e.get('name')} {e.get('dtype')} {e.get('size')}"
        assert LOSS_KEYS <= set(e), where
        rec = LOSSES[e["name"]]
        assert e["task"] == rec.task and e["dtype"] in DTYPE_NAMES, where
        assert e["size"] == math.prod(e["shape"]) > 0, where
        assert e["input_bytes"] == e["size"] * np.dtype(e["dtype"]).itemsize, where
        assert isinstance(e["numpy_peak_bytes"], int) and e["numpy_peak_bytes"] > 0, where
        check_timing(e["numpy_ms"], where)
        check_timing(e["torch_ms"], where)
        if rec.builtin is None:
            assert e["builtin_ms"] is None, where
        else:
            check_timing(e["builtin_ms"], where)
    for e in results["optimizers"]:
        where = f"optimizers: {e.get('name')} {e.get('options')} {e.get('dtype')}"
        assert OPTIMIZER_KEYS <= set(e) and isinstance(e["options"], dict), where
        assert e["name"] in OPTIMIZERS and e["dtype"] in DTYPE_NAMES and e["size"] > 0, where
        for key in OPTIMIZER_KEYS:
            if key.endswith("_ms"):
                check_timing(e[key], f"{where} {key}")
    for e in results["accuracy"]:
        where = f"accuracy: {e.get('name')} {e.get('options')}"
        assert ACCURACY_KEYS <= set(e) and isinstance(e["worst_input"], str), where
        if e["name"] not in bench.MP_REFERENCES:
            assert e["numpy"] is None and e["worst_input"].startswith("no reference"), where
            continue
        assert e["cases"] > 0, where
        check_error(e["numpy"], where + " numpy")
        check_error(e["torch"], where + " torch")
        if LOSSES[e["name"]].builtin is None:
            assert e["builtin"] is None, where
        else:
            check_error(e["builtin"], where + " builtin")


def test_the_report_has_the_schema_the_page_reads(report):
    check_schema(report)
    assert report["meta"]["command"] == "pytest"


def test_every_loss_is_timed_at_each_dtype(report):
    measured = sorted((e["name"], e["dtype"]) for e in report["losses"])
    assert measured == sorted((name, d) for name in LOSSES for d in DTYPE_NAMES)
    assert {e["size"] for e in report["losses"]} == {SIZE}


def test_every_optimizer_is_timed_at_each_dtype_with_its_plain_and_fullest_options(report):
    for name, rec in OPTIMIZERS.items():
        entries = [e for e in report["optimizers"] if e["name"] == name]
        options = [dict(rec.option_grid[0]), dict(rec.option_grid[-1])]
        expected = sorted((json.dumps(o, sort_keys=True), d)
                          for o in {json.dumps(o, sort_keys=True): o for o in options}.values()
                          for d in DTYPE_NAMES)
        assert sorted((json.dumps(e["options"], sort_keys=True), e["dtype"])
                      for e in entries) == expected


def test_every_loss_gets_an_accuracy_entry(report):
    assert {e["name"] for e in report["accuracy"]} == set(LOSSES)


def test_the_accuracy_report_sees_torch_round_a_tiny_loss_to_zero(report):
    """A check of the harness, not of lossref: on the row [0, -69] with target 0 the true
    cross-entropy is 1.08e-30 and torch's builtin returns 0 (tests/test_loss_accuracy.py),
    a relative error of 1. A harness that missed it would be measuring nothing."""
    (entry,) = [e for e in report["accuracy"] if e["name"] == "cross_entropy"
                and e["options"] == {}]
    assert entry["builtin"]["max_rel_error"] == pytest.approx(1.0)
    assert entry["worst_input"].startswith("builtin: row [0.0, -69.0], target 0 ")


# ---------------------------------------------------------------- references


def test_every_loss_has_an_mpmath_reference_or_a_documented_reason():
    """A new loss needs a 50-digit reference in lossref.bench.MP_REFERENCES (its formula in
    mpmath, with torch's clamps) or an entry in lossref.bench.NO_REFERENCE that says why
    there is none; the report then shows it as "no reference"."""
    missing = sorted(set(LOSSES) - set(bench.MP_REFERENCES) - set(bench.NO_REFERENCE))
    assert not missing, (f"no mpmath reference for {missing}: add one to "
                         "lossref.bench.MP_REFERENCES, or name it in lossref.bench.NO_REFERENCE "
                         "with the reason")
    assert not set(bench.MP_REFERENCES) & set(bench.NO_REFERENCE)
    assert all(isinstance(reason, str) and reason for reason in bench.NO_REFERENCE.values())


# ---------------------------------------------------------------- a record from tomorrow


def test_a_loss_registered_later_is_measured_without_an_edit(monkeypatch):
    """A record the harness has never seen (here Gaussian NLL under a new name: three
    arguments, two of them differentiated) gets inputs derived from its cases, timings,
    and an accuracy entry that says it has no reference."""
    new = dataclasses.replace(LOSSES["gaussian_nll_loss"], name="brand_new_loss")
    monkeypatch.setitem(LOSSES, new.name, new)
    results = bench.run(sizes=(SIZE,), dtypes=(np.float32,), losses=[new.name], optimizers=[],
                        budget=TINY, log=quiet)
    check_schema(results)
    (timing,) = results["losses"]
    assert timing["name"] == new.name and timing["shape"] == [SIZE]
    (entry,) = results["accuracy"]
    assert entry["numpy"] is None and entry["worst_input"].startswith("no reference")


def test_a_record_can_give_its_own_inputs():
    @dataclasses.dataclass(frozen=True, repr=False)
    class LossWithInputs(Loss):
        def bench_inputs(self, n, dtype):
            return (np.ones(n, dtype), np.zeros(n, dtype)), {"reduction": "sum"}

    rec = LossWithInputs(**{f.name: getattr(LOSSES["mse_loss"], f.name)
                            for f in dataclasses.fields(Loss)})
    args, kwargs = bench.bench_inputs(rec, 10, np.float64)
    assert [a.tolist() for a in args] == [[1.0] * 10, [0.0] * 10]
    assert kwargs == {"reduction": "sum"}


# ---------------------------------------------------------------- derived inputs


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=DTYPE_NAMES)
def test_derived_inputs_keep_the_kind_of_each_argument(dtype):
    """The rules of the module docstring, on the losses that exercise them."""
    for name, rec in LOSSES.items():
        args, kwargs = bench.bench_inputs(rec, 100_000, dtype)
        if "reduction" in inspect.signature(rec.numpy).parameters:  # NT-Xent has none
            assert kwargs.get("reduction") == ("batchmean" if rec.task == "divergence"
                                               else "mean"), name
        assert kwargs.get("weight") is None, name
        assert args[0].dtype == dtype and args[0].size == 100_000, name
        rec.numpy(*args, **kwargs)  # the derived inputs are valid
    logits, target = bench.bench_inputs(LOSSES["cross_entropy"], 100_000, dtype)[0]
    assert logits.shape == (800, bench.CLASSES) and target.shape == (800,)
    assert target.dtype == np.int64 and 0 <= target.min() and target.max() < bench.CLASSES
    logp, _ = bench.bench_inputs(LOSSES["nll_loss"], 100_000, dtype)[0]
    np.testing.assert_allclose(np.log(np.exp(logp.astype(np.float64)).sum(axis=1)), 0,
                               atol=1e-5)  # rows of log-probabilities (float32: ~100 ulp of 1)
    _, counts = bench.bench_inputs(LOSSES["poisson_nll_loss"], 1000, dtype)[0]
    assert counts.min() >= 0
    _, _, var = bench.bench_inputs(LOSSES["gaussian_nll_loss"], 1000, dtype)[0]
    assert var.min() >= 0
    assert bench.bench_inputs(LOSSES["smooth_l1_loss"], 1000, dtype)[1]["beta"] == 1.0
    _, labels = bench.bench_inputs(LOSSES["soft_margin_loss"], 1000, dtype)[0]
    assert set(np.unique(labels)) == {-1.0, 1.0}
    _, labels = bench.bench_inputs(LOSSES["binary_cross_entropy_with_logits"], 1000, dtype)[0]
    assert set(np.unique(labels)) == {0.0, 1.0}
    logq, p = bench.bench_inputs(LOSSES["kl_div"], 100_000, dtype)[0]
    assert logq.shape == p.shape == (800, bench.CLASSES) and logq.max() <= 0
    np.testing.assert_allclose(p.astype(np.float64).sum(axis=1), 1, rtol=1e-5)


# ---------------------------------------------------------------- the committed results


def test_the_committed_results_measure_every_registered_record():
    assert RESULTS.is_file(), "benchmarks/results.json is missing: run `make bench`"
    results = json.loads(RESULTS.read_text())
    check_schema(results)
    assert results["meta"]["command"] == "make bench", "the committed file comes from `make bench`"
    for key, registry in (("losses", LOSSES), ("optimizers", OPTIMIZERS), ("accuracy", LOSSES)):
        missing = sorted(set(registry) - {e["name"] for e in results[key]})
        assert not missing, f"benchmarks/results.json has no {key} entry for {missing}: " \
                            "re-run `make bench`"
