"""The site builds with ``mkdocs build --strict`` and the output is what readers need.

One build per test process (shared with tests/test_browser.py) feeds every check: no warnings, every page
of the nav present, every display equation numbered and anchored, every plot present,
valid and reproducible, and nothing loaded from another host.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.xdist_group("site")


# ---------------------------------------------------------------- helpers (also used by test_browser)


def build_site(destination: Path, site_url: str | None = None) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``destination``; fails the test on error or warning."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    if site_url is not None:
        env["LOSSREF_SITE_URL"] = site_url
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(destination)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {result.returncode}):\n{log}")
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    if warnings:
        pytest.fail("mkdocs build printed warnings:\n" + "\n".join(warnings))
    return result


def nav_pages() -> list[str]:
    """Source paths (``losses/mse.md``) of every page in ``mkdocs.yml``'s nav, in order."""
    from mkdocs.utils.yaml import yaml_load

    with open(ROOT / "mkdocs.yml") as config:
        nav = yaml_load(config)["nav"]

    def walk(entries):
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                yield from walk(value)
            elif isinstance(value, str) and value.endswith(".md"):
                yield value

    return list(walk(nav))


def page_url(source: str) -> str:
    """URL of a page relative to the site root (``use_directory_urls``): ``losses/mse/``."""
    path = PurePosixPath(source).with_suffix("")
    if path.name == "index":
        path = path.parent
    return "" if str(path) == "." else f"{path}/"


def html_pages(site: Path) -> dict[str, str]:
    """``{url relative to the root: html}`` for every page of the built site."""
    pages = {}
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        url = rel.removesuffix("index.html")
        pages[url] = path.read_text(encoding="utf-8")
    return pages


class TagCollector(HTMLParser):
    """Start tags of an HTML document as ``(tag, attributes)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


@dataclass
class BuiltSite:
    """A strict build served on 127.0.0.1: ``directory`` holds it, ``url`` serves it."""

    directory: Path
    url: str
    server: ThreadingHTTPServer


_SHARED: dict[str, BuiltSite] = {}


def shared_site(tmp_path_factory) -> BuiltSite:
    """One strict build per test process, served by a local HTTP server.

    ``site_url`` is the server's address (instant navigation needs them to match), so the
    browser test and the build checks can share one build. They do when they run in the
    same process (the xdist group "site"); a process that runs only one of them builds
    its own.
    """
    if "site" not in _SHARED:
        directory = tmp_path_factory.mktemp("site") / "out"
        directory.mkdir()
        server = ThreadingHTTPServer(("127.0.0.1", 0),
                                     partial(QuietHandler, directory=str(directory)))
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        build_site(directory, site_url=url)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _SHARED["site"] = BuiltSite(directory, url, server)
    return _SHARED["site"]


RENDER_HASHES = (
    "import hashlib, json, sys; sys.path.insert(0, 'docs_build'); import plots; "
    "print(json.dumps({n: hashlib.sha256(s).hexdigest() for n, s in plots.render_all().items()}))"
)


@pytest.fixture(scope="module")
def second_render():
    """Plots rendered again in a fresh process, started before the build to overlap it."""
    process = subprocess.Popen([sys.executable, "-c", RENDER_HASHES], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def site(tmp_path_factory, second_render) -> Path:
    return shared_site(tmp_path_factory).directory


@pytest.fixture(scope="module")
def pages(site) -> dict[str, str]:
    return html_pages(site)


def test_the_strict_build_succeeds_without_warnings(site):
    assert (site / "index.html").is_file()


def test_every_nav_page_is_built(site):
    sources = nav_pages()
    assert "index.md" in sources
    missing = [s for s in sources if not (site / page_url(s) / "index.html").is_file()]
    assert not missing, f"nav pages missing from the build: {missing}"


def test_every_display_equation_is_numbered_and_anchored(pages):
    display = re.compile(r"<div\b(?P<attrs>[^>]*\bclass=\"[^\"]*\barithmatex\b[^\"]*\"[^>]*)>"
                         r"(?P<body>.*?)</div>", re.DOTALL)
    problems, count = [], 0
    for url, html in pages.items():
        ids = set()
        for match in display.finditer(html):
            count += 1
            anchor = re.search(r'\bid="(eq-[^"]+)"', match["attrs"])
            where = f"/{url}: {match['body'][:60]!r}"
            if anchor is None:
                problems.append(f"{where} has no id=\"eq-...\"")
            elif anchor[1] in ids:
                problems.append(f"{where} repeats the anchor {anchor[1]}")
            else:
                ids.add(anchor[1])
            if "\\tag{" not in match["body"]:
                problems.append(f"{where} has no \\tag{{n}}")
    assert not problems, "\n".join(problems)
    print(f"\n{count} display equations, all numbered and anchored")


def test_equation_references_point_to_anchors_on_the_page(pages):
    problems = []
    for url, html in pages.items():
        ids = set(re.findall(r'\bid="(eq-[^"]+)"', html))
        for target in re.findall(r'<a class="eq-ref" href="#([^"]+)"', html):
            if target not in ids:
                problems.append(f"/{url}: link to #{target}, which is not on the page")
    assert not problems, "\n".join(problems)


def test_no_equation_reference_was_swallowed_as_an_attribute(pages):
    """attr_list reads ``{eq:key}`` at the end of a table cell or paragraph as an attribute
    list (``<td eq:key>``): the reference would vanish without a warning. The hook warns;
    this checks the output too."""
    swallowed = [f"/{url}: {tag}" for url, html in pages.items()
                 for tag in re.findall(r"<[a-z][a-z0-9]*\b[^>]*?\seq:[\w:-]+[^>]*>", html)]
    assert not swallowed, "\n".join(swallowed)


def test_every_embedded_plot_is_in_the_output_and_valid_svg(site, pages):
    embedded = 0
    for url, html in pages.items():
        for tag, attrs in tags(html):
            src = attrs.get("src", "")
            if tag != "img" or "assets/plots/" not in src:
                continue
            embedded += 1
            target = urlsplit(urljoin(f"http://site/{url}", src)).path.lstrip("/")
            path = site / target
            assert path.is_file(), f"/{url} embeds {src}, which is not in the build"
            assert path.suffix == ".svg", f"/{url} embeds {src}: plots are SVG"
    for svg in sorted((site / "assets" / "plots").glob("*.svg")):
        root = ET.parse(svg).getroot()  # raises on malformed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg", f"{svg.name} is not an SVG document"
    print(f"\n{embedded} plots embedded")


def test_plots_are_byte_for_byte_reproducible(site, second_render):
    """A second render in a fresh process gives the same bytes as the build's."""
    stdout, stderr = second_render.communicate(timeout=600)
    assert second_render.returncode == 0, f"render_all() failed:\n{stderr}"
    rendered = json.loads(stdout.strip().splitlines()[-1])
    built = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (site / "assets" / "plots").glob("*.svg")}
    # compare the plots both renders know (a plot added meanwhile is not a difference)
    common = sorted(set(built) & set(rendered))
    assert common or not built, "the build and render_all() share no plot"
    changed = [name for name in common if built[name] != rendered[name]]
    assert not changed, f"plots differ between two renders: {changed}"


# Relations of <link> that name a document rather than load a resource.
NON_FETCHING_LINKS = {"canonical", "alternate", "prev", "next", "author", "license", "help"}
THIRD_PARTY = re.compile(r"fonts\.googleapis|fonts\.gstatic|cdn\.jsdelivr|cdnjs|unpkg\.com"
                         r"|googletagmanager|google-analytics|\bcdn\.", re.IGNORECASE)


def is_external(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in {"http", "https", "ftp", "ws", "wss"}


def test_no_page_loads_anything_from_another_host(pages):
    problems = []
    for url, html in pages.items():
        for tag, attrs in tags(html):
            urls = []
            if tag in {"script", "img", "iframe", "audio", "video", "source", "embed", "track"}:
                urls += [attrs.get("src", "")]
                urls += [part.split()[0] for part in attrs.get("srcset", "").split(",")
                         if part.strip()]
            elif tag == "link":
                rel = set(attrs.get("rel", "").lower().split())
                if not rel & NON_FETCHING_LINKS:
                    urls.append(attrs.get("href", ""))
            elif tag == "object":
                urls.append(attrs.get("data", ""))
            urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", attrs.get("style", ""))
            problems += [f"/{url}: <{tag}> loads {u}" for u in urls if u and is_external(u)]
        for match in THIRD_PARTY.finditer(html):
            problems.append(f"/{url}: mentions {match[0]!r}")
        for match in re.finditer(r"@import\s+(?:url\()?['\"]?(https?:)?//", html):
            problems.append(f"/{url}: inline @import from another host")
    assert not problems, "\n".join(problems)


def test_no_stylesheet_loads_anything_from_another_host(site):
    problems = []
    for css in sorted(site.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for ref in re.findall(r"url\(\s*['\"]?([^'\")\s]+)", text):
            if not ref.startswith("data:") and is_external(ref):
                problems.append(f"{css.relative_to(site)}: url({ref})")
        for ref in re.findall(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", text):
            if is_external(ref):
                problems.append(f"{css.relative_to(site)}: @import {ref}")
        if re.search(r"fonts\.googleapis|fonts\.gstatic", text):
            problems.append(f"{css.relative_to(site)}: mentions Google Fonts")
    assert not problems, "\n".join(problems)
