"""docs/api.md documents every public function and class, under a path users import.

What is public is computed, not listed: every function and class named in the ``__all__``
of ``lossref`` and of each of its public modules (found by walking the package; a module
is public when no part of its dotted name starts with ``_``), and every function or class
that a record points to (``.numpy``, ``.grad``, ``.torch`` of each loss in
``registry.LOSSES``, ``.numpy``, ``.torch`` of each optimizer in ``registry.OPTIMIZERS``).
A loss registered tomorrow is therefore checked without editing this file.

An entry of the page is a ``::: dotted.path`` line, optionally followed by indented YAML
(``options: members: [...]``). Each path must be public (no component starting with
``_``) and must import; an object counts as documented when some path resolves to it, so
``lossref.losses.log_softmax_numpy`` documents the function defined in ``_softmax``.

A documented class must also show its documented methods and properties: ``__call__``
must be listed in the entry's ``members`` (it is a dunder, which filters may drop), and when
``members`` is a list it must hold every public method or property that has a docstring.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import lossref
from lossref.registry import LOSSES, OPTIMIZERS, Case, Loss

ROOT = Path(__file__).resolve().parent.parent
API_PAGE = ROOT / "docs" / "api.md"
DIRECTIVE = re.compile(r"^::: *(?P<path>\S+) *$")


@dataclasses.dataclass
class Entry:
    path: str
    line: int
    options: dict[str, Any]


def entries(text: str) -> list[Entry]:
    """The ``:::`` entries of a page, with the ``options`` of the indented YAML under each."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines):
        match = DIRECTIVE.match(line)
        if not match:
            continue
        block = []
        for following in lines[number + 1:]:
            if not following.strip() or not following[0].isspace():
                break
            block.append(following)
        config = yaml.safe_load(textwrap.dedent("\n".join(block))) if block else None
        found.append(Entry(match["path"], number + 1, (config or {}).get("options") or {}))
    return found


def public_modules() -> list[types.ModuleType]:
    modules = [lossref]
    for info in pkgutil.walk_packages(lossref.__path__, "lossref."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    return modules


def _exported(module: types.ModuleType) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    # no __all__: the public names the module defines itself
    return [name for name, obj in vars(module).items() if not name.startswith("_")
            and getattr(obj, "__module__", None) == module.__name__]


def public_objects() -> dict[int, tuple[str, Any]]:
    """``id(obj) -> (how it is reached, obj)`` for every public function and class."""
    found: dict[int, tuple[str, Any]] = {}

    def add(label: str, obj: Any) -> None:
        if inspect.isfunction(obj) or inspect.isclass(obj):
            found.setdefault(id(obj), (label, obj))

    for module in public_modules():
        for name in _exported(module):
            add(f"{module.__name__}.{name}", getattr(module, name))
    for loss in LOSSES.values():
        for attr in ("numpy", "grad", "torch"):
            add(f"LOSSES[{loss.name!r}].{attr}", getattr(loss, attr))
    for optimizer in OPTIMIZERS.values():
        for attr in ("numpy", "torch"):
            add(f"OPTIMIZERS[{optimizer.name!r}].{attr}", getattr(optimizer, attr))
    return found


def _documented_members(cls: type) -> list[str]:
    """Methods and properties that ``cls`` itself defines with a docstring, public ones
    and ``__call__``."""
    names = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name != "__call__":
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif isinstance(member, property):
            member = member.fget
        if inspect.isfunction(member) and member.__doc__:
            names.append(name)
    return names


def problems(text: str) -> list[str]:
    """Everything wrong with an API page ``text``; empty when it is complete."""
    found: list[str] = []
    documented: set[int] = set()
    for entry in entries(text):
        where = f"line {entry.line}: ::: {entry.path}"
        if any(part.startswith("_") for part in entry.path.split(".")):
            found.append(f"{where} is a private path; use the path users import "
                         "(e.g. lossref.optim.NumpyOptimizer, not lossref.optim._base...)")
        try:
            obj = pkgutil.resolve_name(entry.path)
        except (ImportError, AttributeError, ValueError) as error:
            found.append(f"{where} does not import: {error}")
            continue
        documented.add(id(obj))
        if inspect.isclass(obj):
            members = entry.options.get("members")
            required = _documented_members(obj)
            if isinstance(members, list):
                absent = [name for name in required if name not in members]
                if absent:
                    found.append(f"{where}: options.members leaves out {absent}")
            elif members is False and required:
                found.append(f"{where} hides its members {required}")
            elif "__call__" in required:
                found.append(f"{where}: list __call__ (a dunder, which filters may drop) "
                             "in `options: members: [...]`")
    for key, (label, obj) in public_objects().items():
        if key not in documented:
            found.append(f"{label} ({obj.__module__}.{obj.__qualname__}) is not on the page")
    return found


# ---------------------------------------------------------------- the page


def test_the_api_page_documents_every_public_function_and_class():
    found = problems(API_PAGE.read_text())
    assert not found, "docs/api.md:\n  " + "\n  ".join(found)


def test_the_public_set_is_not_empty():
    labels = {label for label, _ in public_objects().values()}
    # a sample from each source: __all__ of a private-backed package, a registry record,
    # an optimizer record, the registry module
    assert "lossref.losses.log_softmax_numpy" in labels
    assert "LOSSES['cross_entropy'].grad" in labels
    assert "lossref.optim.NumpyOptimizer" in labels
    assert "lossref.registry.register" in labels
    assert len(labels) >= 40


# ---------------------------------------------------------------- the check itself


def _fake_loss_module(monkeypatch) -> types.ModuleType:
    module = types.ModuleType("lossref_fake_loss")

    def fake_numpy(input, target):
        """Forward."""

    def fake_grad(input, target):
        """Gradient."""

    def fake_torch(input, target):
        """Torch forward."""

    for function in (fake_numpy, fake_grad, fake_torch):
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_a_loss_registered_later_must_be_documented(monkeypatch):
    module = _fake_loss_module(monkeypatch)
    record = Loss(name="fake_loss", title="Fake", task="regression", page="losses/mse.md",
                  numpy=module.fake_numpy, grad=module.fake_grad, torch=module.fake_torch,
                  builtin_path=None, cases=lambda dtype: iter([Case("x", ())]))
    monkeypatch.setitem(LOSSES, record.name, record)
    text = API_PAGE.read_text()
    missing = problems(text)
    assert [m.split(" ")[0] for m in missing] == [
        "LOSSES['fake_loss'].numpy", "LOSSES['fake_loss'].grad", "LOSSES['fake_loss'].torch"]
    documented = text + "".join(f"\n::: lossref_fake_loss.fake_{kind}\n"
                                for kind in ("numpy", "grad", "torch"))
    assert problems(documented) == []


def test_a_private_path_is_reported():
    text = API_PAGE.read_text().replace("::: lossref.optim.NumpyOptimizer",
                                        "::: lossref.optim._base.NumpyOptimizer")
    found = problems(text)
    assert len(found) == 1 and "lossref.optim._base.NumpyOptimizer is a private path" in found[0]


def test_a_missing_function_is_reported():
    text = API_PAGE.read_text().replace("::: lossref.losses.softmax_torch\n", "")
    assert problems(text) == [
        "lossref.losses.softmax_torch (lossref.losses._softmax.softmax_torch) is not on the page"]


def test_a_path_that_does_not_import_is_reported():
    found = problems("::: lossref.losses.no_such_loss\n")
    assert "line 1: ::: lossref.losses.no_such_loss does not import" in found[0]


@pytest.mark.parametrize("options, message", [
    ("    options:\n      members: [value_and_grad, properties, builtin]\n", "leaves out ['__call__']"),
    ("    options:\n      members: [__call__, properties, builtin]\n", "leaves out ['value_and_grad']"),
    ("    options:\n      members: false\n", "hides its members"),
    ("", "list __call__"),
])
def test_hidden_record_methods_are_reported(options: str, message: str):
    text = API_PAGE.read_text()
    start = text.index("::: lossref.registry.Loss\n")
    end = text.index("\n\n", start)
    found = problems(text[:start] + "::: lossref.registry.Loss\n" + options + text[end:])
    assert len(found) == 1 and message in found[0], found


# ---------------------------------------------------------------- Sphinx roles on the page


def test_sphinx_roles_become_links_not_text():
    """``docs_build/griffe_sphinx_roles.py`` turns ``:func:`x``` into an optional autorefs
    link; without it the page prints ":func:" before the code."""
    griffe = pytest.importorskip("griffe")
    sys.path.insert(0, str(ROOT / "docs_build"))
    try:
        from griffe_sphinx_roles import ROLE, SphinxRoles
    finally:
        sys.path.remove(str(ROOT / "docs_build"))
    package = griffe.load("lossref", search_paths=[str(ROOT)], docstring_parser="google",
                          extensions=griffe.load_extensions(SphinxRoles()))
    assert ('<autoref identifier="lossref.losses.regression.mse_loss_numpy" optional>'
            "<code>mse_loss_numpy</code></autoref>"
            in package["losses.regression.mse_loss_grad"].docstring.value)
    # resolved in the method's scope, and ~ keeps the last component
    assert ('identifier="lossref.optim._base.NumpyOptimizer.state_dict"'
            in package["optim._base.NumpyOptimizer.load_state_dict"].docstring.value)
    assert ('<autoref identifier="lossref.optim.sgd.SGDNumpy" optional><code>SGDNumpy</code>'
            in package["examples.fit_line"].docstring.value)
    left = []
    stack = [package]
    while stack:
        obj = stack.pop()
        if obj.docstring is not None and ROLE.search(obj.docstring.value):
            left.append(obj.path)
        stack.extend(m for m in obj.members.values() if not m.is_alias)
    assert not left, f"Sphinx roles left in {left}"
