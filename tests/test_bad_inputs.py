"""A fixed table of bad-input families, tried on every entry point of every registered loss
and optimizer: the call raises a ``TypeError`` or ``ValueError`` whose message names the
argument, never an ``AttributeError`` from deep inside, and never a silent result.

The families are generated from the registry and from each entry point's signature, so
a loss or optimizer registered later is covered without any edit to this file:

- every positional data argument (``input``, ``target``, ``var``, ...) and every array
  keyword of a case (``weight``) gets None, a string, a dict, an object, a ragged list,
  a complex array, an integer array where floats are expected, a float array where class
  indices are expected; ``.torch`` gets a NumPy array and a list; ``.numpy``/``.grad``
  get a tensor;
- every keyword argument gets values of the wrong kind (by its default: a float gets nan,
  a string, None, a bool and a list; a flag gets a string, None and 1; an int gets a
  float, a string and None; ``reduction`` gets unknown names), and an unknown keyword;
- every optimizer class gets bad ``params`` and bad hyperparameters (found the same way);
  a NumPy optimizer's ``step`` gets bad gradients and must change nothing.

What torch accepts is accepted too, and checked against torch: array-likes (lists) in the
NumPy entry points, ``numpy.int64`` for ``ignore_index``, uint8 class indices, a 0-d
tensor ``lr`` in the torch optimizer, a ``None`` gradient.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
import pytest
import torch

from lossref.registry import LOSSES, OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")

ENTRIES = ("numpy", "grad", "torch")
MISSING = object()


def base_case(rec):
    """The record's first small float64 case (the shape of every argument is kept)."""
    for case in rec.cases(np.float64):
        if all(isinstance(a, np.ndarray) and a.size <= 64 for a in case.args):
            return case
    raise AssertionError(f"{rec.name}: no float64 case with small array arguments")


def weighted_case(rec):
    """A small float64 case that passes an array ``weight``, if the record has one."""
    for case in rec.cases(np.float64):
        if isinstance(case.kwargs.get("weight"), np.ndarray):
            return case
    return None


def data_names(rec, case) -> list[str]:
    params = list(inspect.signature(rec.numpy).parameters)
    return params[:len(case.args)]


def tensor(x):
    return torch.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x


def call(rec, entry, args, kwargs, spoiled: str | None = None):
    """``rec.<entry>(*args, **kwargs)``; for ``.torch`` every NumPy array but the spoiled
    argument becomes a tensor (the spoiled one is passed exactly as given)."""
    if entry == "torch":
        names = data_names(rec, base_case(rec))
        args = [a if names[i] == spoiled else tensor(a) for i, a in enumerate(args)]
        kwargs = {k: v if k == spoiled else tensor(v) for k, v in kwargs.items()}
    return getattr(rec, entry)(*args, **kwargs)


def float_array_families(entry: str, good: np.ndarray) -> list[tuple[str, Any]]:
    families = [
        ("none", None), ("string", "abc"), ("dict", {"a": 1.0}), ("object", object()),
        ("ragged-list", [[1.0], [1.0, 2.0]]),
        ("complex", good.astype(np.complex128)),
    ]
    if np.issubdtype(good.dtype, np.floating):
        families.append(("integer-dtype", np.ones(good.shape, np.int64)))
        families.append(("bool-dtype", np.ones(good.shape, bool)))
    else:  # class indices
        families.append(("float-indices", good.astype(np.float32)))
        families.append(("bool-indices", good.astype(bool)))
    if entry == "torch":
        families.append(("numpy-array", good))
        families.append(("list", good.tolist()))
    else:
        families.append(("tensor", torch.from_numpy(good.copy())))
    return families


def data_params():
    for rec in LOSSES.values():
        case = base_case(rec)
        names = data_names(rec, case)
        slots = [(i, names[i], case) for i in range(len(case.args))]
        weighted = weighted_case(rec)
        if weighted is not None:
            slots.append(("weight", "weight", weighted))
        for slot, name, c in slots:
            good = c.kwargs[slot] if slot == "weight" else c.args[slot]
            for entry in ENTRIES:
                for family, bad in float_array_families(entry, good):
                    if slot == "weight" and bad is None:
                        continue  # weight=None means no weights
                    yield pytest.param(rec, entry, c, slot, name, bad,
                                       id=f"{rec.name}-{entry}-{name}-{family}")


def spoil(case, slot, bad):
    args, kwargs = list(case.args), dict(case.kwargs)
    if slot == "weight":
        kwargs["weight"] = bad
    else:
        args[slot] = bad
    return args, kwargs


@pytest.mark.parametrize("rec, entry, case, slot, name, bad", list(data_params()))
def test_bad_data_argument_is_named(rec, entry, case, slot, name, bad):
    args, kwargs = spoil(case, slot, bad)
    with pytest.raises((TypeError, ValueError)) as error:
        call(rec, entry, args, kwargs, spoiled=name)
    assert name in str(error.value), f"the message does not name {name!r}: {error.value}"
    if entry == "torch" and isinstance(bad, np.ndarray) and bad.dtype == case_dtype(case, slot):
        assert "torch.Tensor" in str(error.value)
    if entry != "torch" and isinstance(bad, torch.Tensor):
        assert ".torch" in str(error.value)


def case_dtype(case, slot):
    return (case.kwargs["weight"] if slot == "weight" else case.args[slot]).dtype


# ------------------------------------------------------------------ keyword arguments


def keyword_families(name: str, default: Any) -> list[tuple[str, Any]]:
    """Values of the wrong kind for a keyword argument, by its name and default."""
    if name == "reduction":
        return [("unknown", "avg"), ("none-object", None), ("int", 1)]
    if isinstance(default, bool):
        return [("string", "yes"), ("none", None), ("int", 1)]
    if isinstance(default, int):
        return [("float", 1.5), ("string", "1"), ("none", None)]
    if isinstance(default, float):
        return [("nan", float("nan")), ("string", "0.5"), ("none", None), ("bool", True),
                ("list", [0.5])]
    return []  # array keywords (weight) are covered above


def keyword_params():
    for rec in LOSSES.values():
        case = base_case(rec)
        for name, param in inspect.signature(rec.numpy).parameters.items():
            if param.default is inspect.Parameter.empty:
                continue
            for family, bad in keyword_families(name, param.default):
                for entry in ENTRIES:
                    yield pytest.param(rec, entry, case, name, bad,
                                       id=f"{rec.name}-{entry}-{name}-{family}")
        for entry in ENTRIES:
            yield pytest.param(rec, entry, case, "bogus_option", 1.0,
                               id=f"{rec.name}-{entry}-unknown-keyword")


@pytest.mark.parametrize("rec, entry, case, name, bad", list(keyword_params()))
def test_bad_keyword_argument_is_named(rec, entry, case, name, bad):
    kwargs = {**case.kwargs, name: bad}
    with pytest.raises((TypeError, ValueError)) as error:
        call(rec, entry, case.args, kwargs)
    assert name in str(error.value), f"the message does not name {name!r}: {error.value}"


def test_every_loss_has_a_keyword_family():
    """Guard: the table above is not empty for any record (``reduction`` at least)."""
    for rec in LOSSES.values():
        assert any(keyword_families(n, p.default)
                   for n, p in inspect.signature(rec.numpy).parameters.items()), rec.name


# ------------------------------------------------------------------ what torch accepts


def builtin_or_torch(rec):
    return rec.builtin if rec.builtin is not None else rec.torch


def close(a, b) -> None:
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    # the same formula in two libraries, a few operations deep: 1e-12 relative (~4500
    # ulps) leaves room for CPU-dependent kernels (README, "Comparing numbers")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
@pytest.mark.parametrize("entry", ["numpy", "grad"])
def test_numpy_entry_points_accept_lists(rec, entry):
    case = base_case(rec)
    lists = [a.tolist() for a in case.args]
    expected = getattr(rec, entry)(*case.args, **case.kwargs)
    actual = getattr(rec, entry)(*lists, **case.kwargs)
    for a, e in zip(actual if entry == "grad" else [actual],
                    expected if entry == "grad" else [expected], strict=True):
        close(a, e)


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
def test_record_dispatches_on_the_argument_type(rec):
    case = base_case(rec)
    close(rec(*case.args, **case.kwargs), rec.numpy(*case.args, **case.kwargs))
    out = rec(*map(tensor, case.args), **{k: tensor(v) for k, v in case.kwargs.items()})
    assert isinstance(out, torch.Tensor)
    close(out, rec.numpy(*case.args, **case.kwargs))
    value, grads = rec.value_and_grad(*case.args, **case.kwargs)
    close(value, rec.numpy(*case.args, **case.kwargs))
    for g, e in zip(grads, rec.grad(*case.args, **case.kwargs), strict=True):
        close(g, e)


CLASS_INDEX_LOSSES = [rec for rec in LOSSES.values()
                      if "ignore_index" in inspect.signature(rec.numpy).parameters]


@pytest.mark.parametrize("rec", CLASS_INDEX_LOSSES, ids=[r.name for r in CLASS_INDEX_LOSSES])
@pytest.mark.parametrize("entry", ENTRIES)
def test_numpy_integer_ignore_index_and_uint8_indices_are_accepted(rec, entry):
    logits = np.random.default_rng(0).standard_normal((4, 3))
    target = np.array([0, 2, 1, 2], np.uint8)
    kwargs = dict(ignore_index=np.int64(1), reduction="sum")
    x = torch.from_numpy(logits).requires_grad_(True)
    expected = rec.builtin(x, torch.from_numpy(target), **kwargs)  # torch takes uint8 too
    actual = call(rec, entry, (logits, target), kwargs)
    if entry == "grad":
        (expected,), (actual,) = torch.autograd.grad(expected, x), actual
    close(actual, expected)


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_torch_optimizer_takes_a_tensor_learning_rate(rec):
    def run(cls, lr):
        p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        opt = cls([p], lr=lr)
        for step in range(3):
            p.grad = torch.tensor([0.5, float(step)], dtype=torch.float64)
            opt.step()
        return p.detach()
    # a 0-d tensor, and a one-element tensor, which torch.optim squeezes to 0-d
    for lr in (torch.tensor(0.1), torch.tensor([0.1])):
        close(run(rec.torch, lr), run(rec.builtin, lr))


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_numpy_optimizer_rejects_a_tensor_learning_rate_and_says_why(rec):
    with pytest.raises(TypeError, match="lr must be a real number, got torch.Tensor"):
        rec.numpy([np.zeros(2)], lr=torch.tensor(0.1))


# ------------------------------------------------------------------ optimizers


def bad_params(entry: str) -> list[tuple[str, Any, str]]:
    """(family, params, what the message must say)."""
    array, tensor_ = np.zeros(3), torch.zeros(3, requires_grad=True)
    common = [("none", None, "params"), ("string", "w", "params"), ("number", 1.0, "params"),
              ("list-of-none", [None], "params"), ("list-of-floats", [1.0, 2.0], "params")]
    if entry == "numpy":
        return common + [
            ("bare-array", array, "wrap it in a list"),
            ("bare-2d-array", np.zeros((2, 3)), "wrap it in a list"),
            ("tensors", [tensor_], "params[0] must be a NumPy array"),
            ("integer-array", [np.zeros(3, np.int64)], "params[0] must be floating-point"),
            ("param-group-dict", [{"params": [array]}], "params[0] is a dict"),
            ("same-array-twice", [array, array], "params[1] is the same array as params[0]"),
            ("overlapping-views", [array, array[1:]], "params[1] shares memory with params[0]"),
            ("empty", [], "params is empty"),
        ]
    return common + [("bare-tensor", tensor_, "params"), ("numpy-arrays", [array], "params")]


def optimizer_params():
    for rec in OPTIMIZERS.values():
        for entry in ("numpy", "torch"):
            for family, params, message in bad_params(entry):
                yield pytest.param(rec, entry, params, message,
                                   id=f"{rec.name}-{entry}-params-{family}")


@pytest.mark.parametrize("rec, entry, params, message", list(optimizer_params()))
def test_bad_params_are_named(rec, entry, params, message):
    with pytest.raises((TypeError, ValueError)) as error:
        getattr(rec, entry)(params)
    assert message in str(error.value), str(error.value)


def hyperparameter_params():
    for rec in OPTIMIZERS.values():
        for entry in ("numpy", "torch"):
            cls = getattr(rec, entry)
            for name, param in inspect.signature(cls.__init__).parameters.items():
                if name in ("self", "params") or param.default is inspect.Parameter.empty:
                    continue
                families = keyword_families(name, param.default)
                if isinstance(param.default, (int, float)) and not isinstance(param.default, bool):
                    families = keyword_families(name, 0.0)  # torch writes momentum=0
                if name == "lr":
                    families = families + [("negative", -0.1)]
                for family, bad in families:
                    yield pytest.param(rec, entry, name, bad,
                                       id=f"{rec.name}-{entry}-{name}-{family}")
            yield pytest.param(rec, entry, "bogus_option", 1.0,
                               id=f"{rec.name}-{entry}-unknown-keyword")


@pytest.mark.parametrize("rec, entry, name, bad", list(hyperparameter_params()))
def test_bad_hyperparameter_is_named(rec, entry, name, bad):
    params = [np.zeros(3)] if entry == "numpy" else [torch.zeros(3, requires_grad=True)]
    with pytest.raises((TypeError, ValueError)) as error:
        getattr(rec, entry)(params, **{name: bad})
    assert name in str(error.value), f"the message does not name {name!r}: {error.value}"


SHAPES = ((3,), (2, 4))


def grads_for(step: int) -> list[np.ndarray]:
    rng = np.random.default_rng(step)
    return [rng.standard_normal(s) for s in SHAPES]


BAD_GRADS = [
    ("bare-array", lambda g: g[0], "wrap it in a list"),
    ("none", lambda g: None, "grads must be a list"),
    ("string", lambda g: "g", "grads must be a list"),
    ("tensor-entry", lambda g: [torch.from_numpy(g[0]), g[1]], "grads[0] is a torch.Tensor"),
    ("string-entry", lambda g: [g[0], "g"], "grads[1] must be a NumPy array"),
    ("too-few", lambda g: g[:1], "grads has 1 arrays"),
    ("wrong-shape", lambda g: [g[0], g[1].T], "grads[1] has shape (4, 2)"),
    ("integer-entry", lambda g: [g[0].astype(np.int64), g[1]], "grads[0] must be floating-point"),
]


def grad_params():
    for rec in OPTIMIZERS.values():
        options = rec.option_grid[-1]
        for family, spoil_grads, message in BAD_GRADS:
            yield pytest.param(rec, options, spoil_grads, message,
                               id=f"{rec.name}-step-{family}")
        yield pytest.param(rec, options, None, "lr must be in", id=f"{rec.name}-step-negative-lr")


@pytest.mark.parametrize("rec, options, spoil_grads, message", list(grad_params()))
def test_failed_step_names_the_problem_and_changes_nothing(rec, options, spoil_grads, message):
    params = [np.ones(s) for s in SHAPES]
    opt = rec.numpy(params, **options)
    for step in range(2):
        opt.step(grads_for(step))
    before = copy.deepcopy((opt.params, opt.state, opt.param_groups[0], opt.step_count))
    grads = grads_for(2)
    if spoil_grads is None:  # a bad learning rate set between steps
        opt.param_groups[0]["lr"] = -1.0
    else:
        grads = spoil_grads(grads)
    with pytest.raises((TypeError, ValueError)) as error:
        opt.step(grads)
    assert message in str(error.value), str(error.value)
    if spoil_grads is None:
        opt.param_groups[0]["lr"] = before[2]["lr"]
    after = (opt.params, opt.state, opt.param_groups[0], opt.step_count)
    for i, (b, a) in enumerate(zip(before[0], after[0], strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"params[{i}] changed by a failed step")
    assert [sorted(s) for s in after[1]] == [sorted(s) for s in before[1]]
    for b, a in zip(before[1], after[1], strict=True):
        for key in b:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"state {key!r} changed")
    assert after[3] == before[3], "the step count advanced on a failed step"
