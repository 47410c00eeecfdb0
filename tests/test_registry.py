"""Every record keeps the contract of DESIGN.md: torch's names and keyword arguments, a
citable reference, a page in the nav that shows the record's real source, and cases.

These tests read the registries, so a record added later is held to the same contract.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from sybil_setup import SNIPPET_LINE, snippet_source

from lossref.registry import LOSSES, OPTIMIZERS, Loss

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RECORDS = [*LOSSES.values(), *OPTIMIZERS.values()]
RECORD_IDS = [f"{type(r).__name__.lower()}-{r.name}" for r in RECORDS]

DEPRECATED_LOSS_ARGS = {"size_average", "reduce"}
# torch.optim arguments that choose an implementation (kernels, graph capture, autograd
# through the step) rather than the algorithm; lossref's optimizers have one implementation.
IMPLEMENTATION_OPTIM_ARGS = {"foreach", "differentiable", "fused", "capturable"}

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
ARXIV = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def by_record():
    return pytest.mark.parametrize("rec", RECORDS, ids=RECORD_IDS)


def parameters(fn, exclude: set[str]) -> list[tuple[str, Any, Any]]:
    """(name, kind, default) of each parameter but ``self`` and the excluded ones."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()
            if p.name not in exclude and p.name != "self"]


def same_parameters(ours, theirs) -> bool:
    """Same names in the same order, same defaults; ``==`` on defaults, so that torch's
    ``momentum=0`` equals lossref's ``momentum=0.0``. A parameter torch makes
    keyword-only must be keyword-only here too (and the converse)."""
    if [n for n, _, _ in ours] != [n for n, _, _ in theirs]:
        return False
    for (_, kind_a, default_a), (_, kind_b, default_b) in zip(ours, theirs, strict=True):
        keyword_only = inspect.Parameter.KEYWORD_ONLY
        if (kind_a == keyword_only) != (kind_b == keyword_only):
            return False
        if type(default_a) is not type(default_b) and not (
                isinstance(default_a, (int, float)) and isinstance(default_b, (int, float))
                and not isinstance(default_a, bool) and not isinstance(default_b, bool)):
            return False
        if default_a != default_b:
            return False
    return True


# ------------------------------------------------------------------ names and signatures


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
def test_loss_name_is_torch_functional_name(rec):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", rec.name)
    if rec.builtin is not None:
        assert rec.builtin_path.startswith("torch.nn.functional:")
        assert rec.builtin.__name__ == rec.name


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_optimizer_name_is_lower_case_torch_class_name(rec):
    if rec.builtin is not None:
        assert rec.builtin_path.startswith("torch.optim")
        assert rec.builtin.__name__.lower() == rec.name
    assert issubclass(rec.torch, torch.optim.Optimizer)


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
@pytest.mark.parametrize("entry", ["numpy", "grad", "torch"])
def test_loss_signature_is_the_builtins(rec, entry):
    ours = parameters(getattr(rec, entry), set())
    if rec.builtin is None:  # no torch signature to follow: the three must agree
        theirs = parameters(rec.numpy, set())
    else:
        theirs = parameters(rec.builtin, DEPRECATED_LOSS_ARGS)
    assert same_parameters(ours, theirs), (
        f"{rec.name}.{entry}{inspect.signature(getattr(rec, entry))} differs from "
        f"{[(n, d) for n, _, d in theirs]}")


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
@pytest.mark.parametrize("entry", ["numpy", "torch"])
def test_optimizer_signature_is_the_builtins(rec, entry):
    # torch's implementation flags: the torch classes accept them (to refuse all but the
    # "off" values, saying why), the NumPy classes leave them out; neither changes the math
    ours = parameters(getattr(rec, entry).__init__, IMPLEMENTATION_OPTIM_ARGS)
    if rec.builtin is None:
        theirs = parameters(rec.numpy.__init__, set())
    else:
        theirs = parameters(rec.builtin.__init__, IMPLEMENTATION_OPTIM_ARGS)
    assert same_parameters(ours, theirs), (
        f"{rec.name}.{entry}{inspect.signature(getattr(rec, entry).__init__)} differs from "
        f"{[(n, d) for n, _, d in theirs]}")


@pytest.mark.parametrize("rec", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_option_grid_uses_only_known_arguments(rec):
    assert rec.option_grid, f"{rec.name}: an empty option_grid tests nothing"
    accepted = inspect.signature(rec.numpy.__init__).parameters
    for options in rec.option_grid:
        assert set(options) <= set(accepted), f"{rec.name}: unknown option in {options}"


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
def test_loss_wrt_are_positional_float_arguments(rec):
    case = next(iter(rec.cases(np.float64)))
    assert rec.wrt and all(0 <= i < len(case.args) for i in rec.wrt)
    assert all(np.issubdtype(case.args[i].dtype, np.floating) for i in rec.wrt)


# ------------------------------------------------------------------ references


@by_record()
def test_every_record_cites_a_doi_or_arxiv_id(rec):
    assert rec.references, f"{rec.name} has no reference"
    for ref in rec.references:
        assert ref.doi or ref.arxiv or ref.link, f"{ref.title!r} has no DOI, arXiv id or link"
        if ref.link:  # only for sources without DOI/arXiv id: a PMLR page, a lecture
            assert ref.link.startswith("https://") and not (ref.doi or ref.arxiv)
        if ref.doi:  # ACM's 10.5555 prefix is a placeholder that does not resolve
            assert not ref.doi.startswith("10.5555/"), f"{ref.doi} does not resolve"
        if ref.doi:
            assert DOI.match(ref.doi), f"malformed DOI {ref.doi!r} (no https://doi.org/ prefix)"
        if ref.arxiv:
            assert ARXIV.match(ref.arxiv), f"malformed arXiv id {ref.arxiv!r}"
        assert ref.authors and ref.title and 1600 < ref.year < 2100


# ------------------------------------------------------------------ pages


def nav_pages() -> set[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # !ENV and co.
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)
    pages: set[str] = set()

    def walk(node):
        if isinstance(node, str):
            pages.add(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(config["nav"])
    return pages


def shown_source(page_text: str) -> str:
    """The package source that the page's ``--8<--`` lines insert."""
    parts = []
    for line in page_text.splitlines():
        match = SNIPPET_LINE.match(line)
        if match:
            parts.append(snippet_source(match["path"], match["section"]))
    return "\n".join(parts)


def own_definitions(rec) -> list[str]:
    """``def name(`` / ``class Name(`` of the record's NumPy and torch implementations."""
    if isinstance(rec, Loss):
        return [f"def {rec.numpy.__name__}(", f"def {rec.torch.__name__}("]
    return [f"class {rec.numpy.__name__}(", f"class {rec.torch.__name__}("]


@by_record()
def test_page_exists_and_is_in_the_nav(rec):
    assert (DOCS / rec.page).is_file(), f"docs/{rec.page} does not exist"
    assert rec.page in nav_pages(), f"docs/{rec.page} is not in mkdocs.yml's nav"


@by_record()
def test_page_shows_the_records_own_source(rec):
    text = (DOCS / rec.page).read_text()
    module = Path(*rec.numpy.__module__.split(".")).with_suffix(".py").as_posix()
    assert re.search(rf'--8<--\s+"{re.escape(module)}(:[\w-]+)?"', text), (
        f"docs/{rec.page} includes no --8<-- snippet of {module}")
    source = shown_source(text)
    for definition in own_definitions(rec):
        assert definition in source, f"docs/{rec.page} does not show {definition}...)"


@by_record()
def test_page_has_a_references_marker(rec):
    """``<!-- lossref:references NAME [NAME ...] -->``: one marker may list the records
    of a page that share references (each reference is then listed once)."""
    text = (DOCS / rec.page).read_text()
    markers = re.findall(r"<!-- lossref:references ([\w ]+) -->", text)
    assert any(rec.name in m.split() for m in markers), f"docs/{rec.page}: no references " \
        f"marker names {rec.name}"


# ------------------------------------------------------------------ cases


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_loss_has_cases_in_each_dtype(rec, dtype):
    cases = list(rec.cases(dtype))
    assert cases, f"{rec.name} yields no case for {np.dtype(dtype).name}"
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), f"{rec.name}: duplicate case ids"
    for case in cases:
        floats = [a for a in case.args if isinstance(a, np.ndarray)
                  and np.issubdtype(a.dtype, np.floating)]
        assert floats and all(a.dtype == dtype for a in floats), (
            f"{rec.name} case {case.id}: float arguments must have dtype {np.dtype(dtype)}")


@pytest.mark.parametrize("rec", LOSSES.values(), ids=list(LOSSES))
@pytest.mark.parametrize("entry", ["numpy", "grad", "torch"])
def test_options_torch_does_not_have_are_keyword_only(rec, entry):
    """An option torch's function does not have (every option of a loss torch lacks, such
    as ``quantile`` or ``c``) is keyword-only, so argument order cannot differ from one
    loss to the next; the data arguments (the positions of a case) stay positional."""
    n_data = len(next(iter(rec.cases(np.float64))).args)
    torch_names = (set() if rec.builtin is None
                   else set(inspect.signature(rec.builtin).parameters))
    for position, param in enumerate(inspect.signature(getattr(rec, entry)).parameters.values()):
        if position < n_data:
            assert param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, param.name
        elif param.name not in torch_names:
            assert param.kind is inspect.Parameter.KEYWORD_ONLY, (
                f"{rec.name}.{entry}: {param.name!r} is not torch's, so it must be keyword-only")


def test_register_rejects_a_loss_without_declared_properties():
    import dataclasses

    from lossref.registry import register

    undeclared = dataclasses.replace(LOSSES["mse_loss"], name="undeclared_loss", declare=None)
    with pytest.raises(ValueError, match="needs its declared properties"):
        register(undeclared)
    assert "undeclared_loss" not in LOSSES
