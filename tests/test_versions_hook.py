"""``<!-- lossref:versions torch numpy -->`` names the versions the site was computed with.

The hook reads them from ``constraints.txt``; a package missing there, or installed in
another version, is a warning, which ``mkdocs build --strict`` turns into a failure.
"""

from __future__ import annotations

import logging
import platform
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs_build"))

import hooks  # noqa: E402


def base_version(name: str) -> str:
    return version(name).split("+", 1)[0]


def test_the_pinned_versions_are_the_installed_ones(caplog):
    pins = hooks.pinned_versions()
    assert pins["torch"] == base_version("torch") and pins["numpy"] == base_version("numpy")
    with caplog.at_level(logging.WARNING):
        text = hooks._versions("torch numpy", "index.md")
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert text == (f"PyTorch {pins['torch']}, NumPy {pins['numpy']} "
                    f"and Python {platform.python_version()}")


def test_the_marker_is_replaced_on_the_page():
    page = "computed with <!-- lossref:versions torch numpy -->."
    replaced = hooks.VERSIONS.sub(lambda m: hooks._versions(m["names"], "x.md"), page)
    assert "<!--" not in replaced and f"PyTorch {hooks.pinned_versions()['torch']}" in replaced


@pytest.mark.parametrize("constraints, message", [
    ("numpy==2.4.6\n", "does not pin"),            # torch missing
    ("torch>=2.4\nnumpy==2.4.6\n", "does not pin"),  # a range is not a pin
    ("torch==0.0.1\nnumpy==2.4.6\n", "is built with torch"),
])
def test_a_package_missing_or_different_is_a_warning(tmp_path, caplog, constraints, message):
    path = tmp_path / "constraints.txt"
    path.write_text(constraints.replace("2.4.6", base_version("numpy")))
    with caplog.at_level(logging.WARNING):
        hooks._versions("torch numpy", "index.md", path)
    assert any(message in r.getMessage() for r in caplog.records), caplog.text
