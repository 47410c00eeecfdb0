"""How Sybil reads the site and the package docstrings.

Stock Sybil skips ```pycon fences and fences with attributes (``title="x.py"``); the
parser here collects ``python``, ``py`` and ``pycon`` fences whatever their attributes.
A fence that holds only ``--8<--`` snippet lines shows the package's real source on the
page; its check resolves the section and compiles it, so a renamed section fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from sybil import Document, Example, Region, Sybil
import sybil.evaluators.doctest as _sybil_doctest
from sybil.evaluators.doctest import NUMBER, DocTestEvaluator
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import ClearNamespaceParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer
from sybil.parsers.rest import DocTestParser as RestDocTestParser

ROOT = Path(__file__).resolve().parent.parent


def _rounds_to(expected: str, actual: str, tolerance: float = 1e-12) -> bool:
    """Sybil's NUMBER flag accepts a printed number within ``tolerance`` = one unit of the
    last digit written (``0.1642`` for ``0.1643``; ``0.0`` for anything below 0.1). A
    number written on a page means the value rounded to its digits: within half a unit
    (and a hair more for the binary representation of the written decimal)."""
    return abs(float(expected) - float(actual)) <= 0.5 * tolerance * (1 + 1e-9)


_sybil_doctest.float_approx_equal = _rounds_to
OPTIONFLAGS = (
    __import__("doctest").ELLIPSIS | __import__("doctest").NORMALIZE_WHITESPACE | NUMBER
)
PYTHON_FENCE = re.compile(r"(?P<language>python|py|pycon)(?:[ \t]+(?P<attributes>[^\n]*))?$\n",
                          re.MULTILINE)
SNIPPET_LINE = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')


def snippet_source(path: str, section: str | None) -> str:
    """The text pymdownx.snippets inserts for ``path:section``."""
    text = (ROOT / path).read_text()
    if section is None:
        return text
    start = re.search(rf"--8<-- \[start:{re.escape(section)}\]\n", text)
    end = re.search(rf"\n[^\n]*--8<-- \[end:{re.escape(section)}\]", text)
    if not start or not end or end.start() < start.end():
        raise AssertionError(f"snippet section {section!r} not found in {path}")
    return text[start.end():end.start()]


def evaluate_snippet(example: Example) -> None:
    for line in example.parsed.strip().splitlines():
        match = SNIPPET_LINE.match(line)
        if match is None:
            raise AssertionError(f"a snippet fence may hold only --8<-- lines, got {line!r}")
        source = snippet_source(match["path"], match["section"])
        compile(source.replace("\n    ", "\n") if source.startswith("    ") else source,
                match["path"], "exec")


class PythonFenceParser:
    """Every ```python/```py/```pycon fence: doctest if it starts with ``>>>``, snippet
    include if it holds ``--8<--`` lines, code to run otherwise."""

    def __init__(self) -> None:
        self.lexers = [
            RawFencedCodeBlockLexer(info_pattern=PYTHON_FENCE),
            DirectiveInHTMLCommentLexer(directive=r"invisible-code-block", arguments="python"),
        ]
        self.doctests = DocTestStringParser(DocTestEvaluator(OPTIONFLAGS))
        self.python = PythonEvaluator()

    def __call__(self, document: Document):
        regions = [r for lexer in self.lexers for r in lexer(document)]
        for region in sorted(regions, key=lambda r: r.start):
            source = region.lexemes["source"]
            if source.lstrip().startswith(">>>"):
                for doctest_region in self.doctests(source, document.path):
                    doctest_region.adjust(region, source)
                    yield doctest_region
            elif SNIPPET_LINE.match(source.strip().splitlines()[0] if source.strip() else ""):
                yield Region(region.start, region.end, source, evaluate_snippet)
            else:
                yield Region(region.start, region.end, source, self.python)


def print_options(namespace: dict) -> None:
    """Fixed print options for every page; restored when the page is done."""
    import torch

    saved_np, saved_torch = np.get_printoptions(), torch._tensor_str.PRINT_OPTS.__dict__.copy()
    np.set_printoptions(precision=8, linewidth=88, suppress=False)
    torch.set_printoptions(precision=4, linewidth=88, sci_mode=None)
    namespace["_restore_print_options"] = (saved_np, saved_torch)


def restore_print_options(namespace: dict) -> None:
    import torch

    saved_np, saved_torch = namespace.pop("_restore_print_options")
    np.set_printoptions(**saved_np)
    torch._tensor_str.PRINT_OPTS.__dict__.update(saved_torch)


docs_sybil = Sybil(
    parsers=[PythonFenceParser(), SkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
    path=str(ROOT / "docs"),
    setup=print_options,
    teardown=restore_print_options,
    name="docs",
)
package_sybil = Sybil(
    parsers=[RestDocTestParser(optionflags=OPTIONFLAGS)],
    patterns=["*.py"],
    path=str(ROOT / "lossref"),
    setup=print_options,
    teardown=restore_print_options,
    name="docstrings",
)
