"""The built site in a real browser: math renders on every page, nothing leaves 127.0.0.1.

Headless Debian Chromium, driven by Playwright, opens every page of a strict build served
on 127.0.0.1. Host resolution is limited to 127.0.0.1, so a request to a CDN or to Google
Fonts fails loudly instead of passing unnoticed on a machine that happens to be online.
With ``LOSSREF_SCREENSHOT_DIR`` set, a screenshot of ``losses/cross-entropy/`` is saved
there. Outside CI the test skips when ``/usr/bin/chromium`` is absent; with ``CI=true`` it fails.
"""

from __future__ import annotations

import contextlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from test_site_build import nav_pages, page_url, shared_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
MATH_TIMEOUT_MS = 10_000

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("site")]

# Every check on one page, run in the page once its math has rendered.
INSPECT_PAGE = """() => {
  const math = [...document.querySelectorAll('.arithmatex')];
  const article = document.querySelector('article') || document.body;
  const visible = article.cloneNode(true);
  visible.querySelectorAll('.katex, pre, code, script, style').forEach(e => e.remove());
  const red = [...document.querySelectorAll('.katex [style]')].filter(e => {
    const style = e.getAttribute('style').toLowerCase().replace(/\\s/g, '');
    return style.includes('#cc0000') || style.includes('rgb(204,0,0)');
  });
  return {
    math: math.length,
    unrendered: math.filter(e => !e.querySelector('.katex'))
                    .map(e => e.textContent.trim().slice(0, 80)),
    errors: [...document.querySelectorAll('.katex-error')]
                    .map(e => (e.getAttribute('title') || e.textContent).slice(0, 120)),
    red: red.map(e => e.textContent.slice(0, 80)),
    raw: (visible.textContent.match(/\\\\[(\\[][^]{0,60}/g) || []),
  };
}"""
MATH_RENDERED = """() => [...document.querySelectorAll('.arithmatex')]
                      .every(e => e.querySelector('.katex'))"""


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: the browser test needs Debian's chromium package"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so it may not skip; .ci/run installs it)")
    pytest.skip(reason + " (apt-get install chromium; with CI=true this fails instead)")


def site_pages(directory: Path, base_url: str) -> list[str]:
    """Every page URL: the nav's pages and the sitemap's, in nav order."""
    urls = [base_url + page_url(source) for source in nav_pages()]
    sitemap = ET.parse(directory / "sitemap.xml").getroot()
    for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
        if loc.text and loc.text.strip() not in urls:
            urls.append(loc.text.strip())
    return urls


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname == "127.0.0.1"


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    site = shared_site(tmp_path_factory)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        requests: list[str] = []  # every URL the page asks for, in order
        page.on("request", lambda request: requests.append(request.url))
        yield site, page, requests
        context.close()
        browser.close()


def wait_for_math(page, timeout_ms: int = MATH_TIMEOUT_MS) -> None:
    page.wait_for_function(MATH_RENDERED, timeout=timeout_ms)


def inspect(page, where: str, requests: list[str], timeout_ms: int = MATH_TIMEOUT_MS) -> dict:
    """Wait for the math of the open page, then list everything wrong with it."""
    with contextlib.suppress(PlaywrightTimeout):  # reported below: what is left unrendered
        wait_for_math(page, timeout_ms)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(INSPECT_PAGE)
    found["problems"] = (
        [f"{where}: math not rendered: {m!r}" for m in found["unrendered"]]
        + [f"{where}: KaTeX error: {m!r}" for m in found["errors"]]
        + [f"{where}: KaTeX red error text: {m!r}" for m in found["red"]]
        + [f"{where}: raw TeX left in the text: {m!r}" for m in found["raw"]]
        + [f"{where}: request to another host: {r}" for r in requests if not is_local(r)]
    )
    return found


def test_every_page_renders_its_math_and_stays_local(browser_page):
    site, page, requests = browser_page
    urls = site_pages(site.directory, site.url)
    assert len(urls) > 1
    problems, equations = [], 0
    for url in urls:
        requests.clear()
        response = page.goto(url, wait_until="load")
        where = url[len(site.url) - 1:]
        if response is None or not response.ok:
            problems.append(f"{where}: HTTP {response.status if response else 'no response'}")
            continue
        found = inspect(page, where, requests)
        equations += found["math"]
        problems += found["problems"]
        if where == "/losses/cross-entropy/" and os.environ.get("LOSSREF_SCREENSHOT_DIR"):
            folder = Path(os.environ["LOSSREF_SCREENSHOT_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "cross-entropy.png"), full_page=True)
    assert not problems, "\n".join(problems)
    assert equations > 0, "no page of the site has any math"
    print(f"\n{len(urls)} pages, {equations} math elements rendered, all requests local")


def pages_with_math(directory: Path) -> list[str]:
    """Nav pages whose built HTML holds math, cross-entropy first."""
    sources = sorted(nav_pages(), key=lambda s: s != "losses/cross-entropy.md")
    return [page_url(s) for s in sources if s != "index.md"
            and 'class="arithmatex' in (directory / page_url(s) / "index.html").read_text()]


def test_instant_navigation_keeps_the_page_and_renders_math(browser_page):
    site, page, _ = browser_page
    targets = pages_with_math(site.directory)
    assert targets, "no page besides the home page has math to navigate to"
    target = targets[0]
    page.goto(site.url, wait_until="load")
    page.evaluate("window.__lossrefMarker = 'no reload'")
    # instant navigation rewrites the nav's links to absolute URLs, hence the suffix match
    link = page.locator(f'nav.md-nav--primary a.md-nav__link[href$="{target}"]').first
    link.click()
    page.wait_for_url(site.url + target)
    wait_for_math(page)
    assert page.evaluate("window.__lossrefMarker") == "no reload", (
        "following a nav link reloaded the page: Material's instant navigation is off "
        "(site_url must match the served address)")
    found = inspect(page, target, [])
    assert found["math"] > 0
    assert not found["problems"], "\n".join(found["problems"])


# A page with every fault the checks look for, served beside the site at a URL of its own.
BROKEN_PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/assets/katex/katex.min.css">
<script src="/assets/katex/katex.min.js"></script>
<script src="/assets/katex/contrib/auto-render.min.js"></script>
</head><body><article>
<p>Unknown macro: <span class="arithmatex">\\(\\notamacro{x}\\)</span></p>
<p>Unbalanced: <span class="arithmatex">\\(\\frac{1}{2\\)</span></p>
<p>Fine: <span class="arithmatex">\\(e^{i\\pi} + 1 = 0\\)</span></p>
<img src="https://cdn.example.com/pixel.png" alt="">
</article><script>
renderMathInElement(document.body, {delimiters: [{left: "\\\\(", right: "\\\\)",
  display: false}], throwOnError: false});
</script></body></html>"""


def test_the_checks_catch_broken_math_and_foreign_requests(browser_page):
    site, page, requests = browser_page
    url = site.url + "__broken__/"
    page.route(url, lambda route: route.fulfill(body=BROKEN_PAGE, content_type="text/html"))
    try:
        requests.clear()
        page.goto(url, wait_until="load")
        found = inspect(page, "/__broken__/", requests, timeout_ms=1_000)
    finally:
        page.unroute(url)
    assert found["math"] == 3
    assert len(found["unrendered"]) == 1  # the unbalanced one stays raw text
    assert found["red"] and "notamacro" in found["red"][0]
    assert found["raw"] and found["raw"][0].startswith("\\(\\frac")
    assert "https://cdn.example.com/pixel.png" in requests
    assert any("request to another host" in p for p in found["problems"])

