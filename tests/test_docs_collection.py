"""Sybil must run every Python block on the site; nothing may be dropped in silence.

Stock Sybil skips ```` ```pycon ```` fences and fences with attributes without a word, so a
page could show an example that no test ever runs. These tests count the Python fences of
every page with a scanner of their own and check that each one holds the start of a region
that ``docs_sybil`` collected. They also check that every skip directive says why, and
that every module whose docstrings show ``>>>`` examples gets them collected.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.evaluators.skip import Skipper
from sybil.example import SybilFailure
from sybil.parsers.abstract.clear import AbstractClearNamespaceParser
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil_setup import ROOT, docs_sybil, package_sybil

DOCS = ROOT / "docs"
PACKAGE = ROOT / "lossref"
PAGES = sorted(DOCS.rglob("*.md"))

# An opening or closing fence at any indentation (content tabs, admonitions, lists).
FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
# Languages a reader takes for runnable Python: ```python, ```py, ```pycon, with any
# attributes after them, or pymdownx's brace form ```{.python title="x"}.
PYTHON_INFO = re.compile(r"^\s*(?:\{\s*\.?)?(?P<language>[\w+-]+)")
PYTHON_LANGUAGES = {"python", "py", "pycon", "python3", "py3"}
SKIP_DIRECTIVE = re.compile(r"<!--+\s*skip:?\s*(?P<arguments>.*?)\s*--+>", re.DOTALL)


@dataclass(frozen=True)
class Fence:
    """A fenced code block: ``start``/``end`` are character offsets of the whole block."""

    start: int
    end: int
    line: int
    language: str


def python_fences(text: str) -> list[Fence]:
    """Every fenced block of ``text`` whose language is Python, nested ones included.

    A closing fence is a line of the same character, at least as long, with no info
    string; a fence left open runs to the end of the page, as in CommonMark.
    """
    fences: list[Fence] = []
    open_fences: list[tuple[re.Match, int, int]] = []  # (match, start offset, line number)
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        match = FENCE_LINE.match(line.rstrip("\n"))
        if match:
            for depth in range(len(open_fences) - 1, -1, -1):
                opener, start, first = open_fences[depth]
                if (match["fence"][0] == opener["fence"][0]
                        and len(match["fence"]) >= len(opener["fence"])
                        and not match["info"].strip()):
                    fences.append(_fence(opener, start, offset + len(line), first))
                    del open_fences[depth:]
                    break
            else:
                open_fences.append((match, offset, number))
        offset += len(line)
    for opener, start, first in open_fences:
        fences.append(_fence(opener, start, len(text), first))
    return sorted((f for f in fences if f.language in PYTHON_LANGUAGES), key=lambda f: f.start)


def _fence(opener: re.Match, start: int, end: int, line: int) -> Fence:
    language = PYTHON_INFO.match(opener["info"])
    return Fence(start, end, line, language["language"].lower() if language else "")


def code_regions(document) -> list:
    """The regions of a parsed document that run code (not skip/clear directives)."""
    return [region for _, region in document.regions
            if not isinstance(region.evaluator, Skipper)
            and region.evaluator is not AbstractClearNamespaceParser.evaluate]


def uncollected(path: Path, sybil: Sybil = docs_sybil) -> list[Fence]:
    """Python fences of ``path`` that hold the start of no region ``sybil`` collected."""
    document = sybil.parse(path)
    starts = sorted(region.start for region in code_regions(document))
    return [fence for fence in python_fences(document.text)
            if not any(fence.start <= start < fence.end for start in starts)]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# ---------------------------------------------------------------- the site


def test_the_site_has_pages():
    assert PAGES, f"no Markdown pages under {DOCS}"


@pytest.mark.parametrize("path", PAGES, ids=[relative(p) for p in PAGES])
def test_every_python_fence_is_collected(path: Path):
    missing = uncollected(path)
    assert not missing, (
        f"{relative(path)}: Sybil collected nothing from these Python fences, so they are "
        "never run: " + ", ".join(f"line {f.line} (```{f.language})" for f in missing)
        + ". Use ```python or ```pycon (attributes are fine) and check tests/sybil_setup.py."
    )


def skips_without_reason(text: str) -> list[str]:
    """``skip: next`` / ``skip: start`` directives of ``text`` that give no reason."""
    problems = []
    for match in SKIP_DIRECTIVE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        action, _, reason = match["arguments"].partition(" ")
        if action in {"next", "start"} and not reason.strip().strip("\"'").strip():
            problems.append(f"line {line}: <!-- skip: {action} -->")
    return problems


@pytest.mark.parametrize("path", PAGES, ids=[relative(p) for p in PAGES])
def test_every_skip_directive_says_why(path: Path):
    problems = skips_without_reason(path.read_text())
    assert not problems, (
        f"{relative(path)}: a skip needs a reason, e.g. `<!-- skip: next \"needs a GPU\" -->`; "
        "without one the skipped example shows as passed: " + "; ".join(problems))
    # Sybil reads the same directives: each skip region carries (action, reason)
    for _, region in docs_sybil.parse(path).regions:
        if isinstance(region.evaluator, Skipper) and region.parsed[0] in {"next", "start"}:
            assert (region.parsed[1] or "").strip("\"' "), (
                f"{relative(path)}: Sybil reads a skip directive without a reason")


def test_the_site_has_examples(record_property):
    counts = {relative(p): len(code_regions(docs_sybil.parse(p))) for p in PAGES}
    total = sum(counts.values())
    record_property("doc_examples", total)
    print(f"\nSybil collected {total} examples from {len(PAGES)} pages:")
    for page, count in counts.items():
        print(f"  {count:4d}  {page}")
    assert total > 0, "Sybil collected no example at all from docs/"


# ---------------------------------------------------------------- the docstrings

MODULES_WITH_EXAMPLES = sorted(p for p in PACKAGE.rglob("*.py")
                               if re.search(r"^\s*>>> ", p.read_text(), re.MULTILINE))


def test_the_package_has_docstring_examples():
    assert MODULES_WITH_EXAMPLES, "no module of lossref shows a >>> example"


@pytest.mark.parametrize("path", MODULES_WITH_EXAMPLES,
                         ids=[relative(p) for p in MODULES_WITH_EXAMPLES])
def test_every_docstring_example_is_collected(path: Path):
    assert package_sybil.should_parse(path), f"package_sybil does not read {relative(path)}"
    document = package_sybil.parse(path)
    assert len(document.regions) >= 1, (
        f"{relative(path)} shows >>> examples but Sybil collected none from its docstrings")


# ---------------------------------------------------------------- the check itself

TRICKY_PAGE = textwrap.dedent('''\
    # A page with the fences stock Sybil drops

    ```python title="setup.py"
    answer = 6 * 7
    ```

    === "Tab"

        ```pycon
        >>> answer + 1
        43
        ```

    !!! note

        ```py linenums="1"
        assert answer == 42
        ```

    ```text
    not Python, not counted
    ```
    ''')


def test_the_scanner_finds_fences_in_tabs_admonitions_and_with_attributes():
    fences = python_fences(TRICKY_PAGE)
    assert [(f.line, f.language) for f in fences] == [(3, "python"), (9, "pycon"), (16, "py")]
    assert [f.language for f in python_fences("```{.python title='x'}\npass\n```\n")] == ["python"]
    # a Python fence shown inside a longer Markdown fence is still counted
    nested = "````markdown\n```python\npass\n```\n````\n"
    assert [f.line for f in python_fences(nested)] == [2]


def test_the_check_passes_when_everything_is_collected(tmp_path: Path):
    page = tmp_path / "tricky.md"
    page.write_text(TRICKY_PAGE)
    assert uncollected(page) == []
    # and what is collected really runs: the pycon inside the tab is compared
    document = docs_sybil.parse(page)
    for example in document:
        example.evaluate()
    assert document.namespace["answer"] == 42


def test_the_check_fails_when_a_parser_drops_fences(tmp_path: Path):
    page = tmp_path / "tricky.md"
    page.write_text(TRICKY_PAGE)
    stock = Sybil(parsers=[PythonCodeBlockParser()], patterns=["*.md"], path=str(tmp_path))
    missing = uncollected(page, stock)
    # stock Sybil drops the fence with a title, the pycon fence and the py fence
    assert [(f.line, f.language) for f in missing] == [(3, "python"), (9, "pycon"), (16, "py")]


def test_a_wrong_output_inside_a_tab_fails(tmp_path: Path):
    page = tmp_path / "wrong.md"
    page.write_text(TRICKY_PAGE.replace("    43\n", "    44\n"))
    document = docs_sybil.parse(page)
    with pytest.raises(SybilFailure, match="44"):
        for example in document:
            example.evaluate()


def test_a_skip_without_reason_is_found():
    text = '<!-- skip: next -->\n<!-- skip: start "slow" -->\n<!-- skip: next "" -->\n<!-- skip: end -->\n'
    assert skips_without_reason(text) == ["line 1: <!-- skip: next -->",
                                          "line 3: <!-- skip: next -->"]
