"""MkDocs hooks: plots made from the package, numbered equations, registry tables.

- ``on_files`` renders every plot of :mod:`plots` to SVG and adds it to the build as
  ``assets/plots/<name>.svg``: made by code at build time, never committed.
- ``on_page_markdown`` replaces ``<!-- lossref:table losses -->``,
  ``<!-- lossref:table optimizers -->`` and ``<!-- lossref:references NAME -->`` with
  Markdown generated from the registry, and ``<!-- lossref:versions torch numpy -->`` with
  the versions pinned in ``constraints.txt`` (a name missing there, or an installed version
  that differs from the pin, is a warning, so ``--strict`` fails) and the Python that
  builds the site.
- ``<!-- lossref:properties NAME [key=value ...] -->`` and
  ``<!-- lossref:properties-table -->`` become a loss's "Properties at a glance" block and
  the comparison table (:mod:`properties_render`); ``<!-- lossref:bench ... -->`` the
  tables of the "Performance and accuracy" page (:mod:`bench_render`).
- ``on_page_content`` numbers display equations. Each ``$$ ... $$`` block must carry one
  ``\\label{key}``; it becomes ``\\tag{n}``, the block gets ``id="eq-key"`` and a permalink,
  and ``{eq:key}`` in the text becomes a link "(n)". A display equation without a label,
  a duplicate label or an unknown reference is a warning, so ``--strict`` fails.
"""

from __future__ import annotations

import html
import logging
import platform
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File
from packaging.requirements import InvalidRequirement, Requirement

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import plots  # noqa: E402
import bench_render  # noqa: E402
import properties_render  # noqa: E402

log = logging.getLogger("mkdocs.hooks.lossref")

DISPLAY_MATH = re.compile(r'<div class="arithmatex">(?P<body>\\\[.*?\\\])</div>', re.DOTALL)
LABEL = re.compile(r"\\label\{(?P<key>[a-z0-9:_-]+)\}")
EQREF = re.compile(r"\{eq:(?P<key>[a-z0-9:_-]+)\}")
TABLE = re.compile(r"<!-- lossref:table (?P<kind>losses|optimizers|optimizer-comparison) -->")
ATTRIBUTE_EQREF = re.compile(r"<[a-z][a-z0-9]*\b[^>]*?\seq:(?P<key>[\w:-]+)[^>]*>")
REFERENCES = re.compile(r"<!-- lossref:references (?P<names>\w+(?: \w+)*) -->")
VERSIONS = re.compile(r"<!-- lossref:versions (?P<names>[\w.-]+(?: [\w.-]+)*) -->")
CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"
DISPLAY_NAMES = {"torch": "PyTorch", "numpy": "NumPy"}


def on_files(files, config):
    for name, svg in plots.render_all().items():
        files.append(File.generated(config, f"assets/plots/{name}.svg", content=svg))
    return files


def _page_link(page_path: str, from_page: str) -> str:
    depth = from_page.count("/")
    return "../" * depth + page_path


def _table(kind: str, from_page: str) -> str:
    from lossref.registry import LOSSES, OPTIMIZERS

    if kind == "losses":
        rows = ["| Loss | Task | PyTorch (`F` = `torch.nn.functional`) | optax "
                "(`optax.losses`) | Page |",
                "|---|---|---|---|---|"]
        for rec in LOSSES.values():
            builtin = f"`F.{rec.builtin_path.split(':')[1]}`" \
                if rec.builtin_path else "none (reference loop)"
            optax = f"`{rec.optax.call}`" if rec.optax else "none"
            rows.append(f"| `losses.{rec.name}` | {rec.task} | {builtin} | {optax} | "
                        f"[{rec.title}]({_page_link(rec.page, from_page)}) |")
    elif kind == "optimizer-comparison":
        rows = ["| Optimizer | State per parameter | Scale invariant | Largest step | "
                "Hyperparameters | When to use it |", "|---|---|---|---|---|---|"]
        for rec in OPTIMIZERS.values():
            props = rec.properties()
            bound = "unbounded" if props.step_bound is None else f"{props.step_bound:.3g} lr"
            invariant = "yes" if props.scale_invariant else "no"
            rows.append(
                f"| [{rec.title}]({_page_link(rec.page, from_page)}) | "
                f"{props.state_floats} | {invariant} | {bound} | "
                f"{', '.join(f'`{h}`' for h in props.hyperparameters)} | "
                f"{props.notes.get('use', '')} |")
    else:
        rows = ["| Optimizer | PyTorch counterpart | Options tested | Page |", "|---|---|---|---|"]
        for rec in OPTIMIZERS.values():
            builtin = f"`torch.optim.{rec.builtin_path.split(':')[1]}`"
            rows.append(f"| `optim.{rec.name}` | {builtin} | {len(rec.option_grid)} | "
                        f"[{rec.title}]({_page_link(rec.page, from_page)}) |")
    return "\n".join(rows)


def _references(names: str) -> str:
    """The references of the named records, each listed once, in the order they come."""
    from lossref.registry import LOSSES, OPTIMIZERS

    refs = []
    for name in names.split():
        record = LOSSES.get(name) or OPTIMIZERS.get(name)
        if record is None:
            log.warning("lossref:references names unknown record %r", name)
            return ""
        refs += [ref for ref in record.references if ref not in refs]
    items = []
    for ref in refs:
        ident = (f"doi:{ref.doi}" if ref.doi else f"arXiv:{ref.arxiv}" if ref.arxiv
                 else ref.link.split("://", 1)[-1])
        venue = f" *{ref.venue}*." if ref.venue else ""
        items.append(f"- {ref.authors} ({ref.year}). {ref.title}.{venue} [{ident}]({ref.url})")
    return "\n".join(items)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions(path: Path = CONSTRAINTS) -> dict[str, str]:
    """``{canonical name: version}`` of every ``name==version`` line of ``constraints.txt``."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            pins[_canonical(requirement.name)] = specifiers[0].version
    return pins


def _versions(names: str, where: str, path: Path = CONSTRAINTS) -> str:
    """"PyTorch 2.13.0, NumPy 2.4.6 and Python 3.11.7": one line, so it fits any indentation."""
    from importlib.metadata import PackageNotFoundError, version

    pins = pinned_versions(path)
    parts = []
    for name in names.split():
        pinned = pins.get(_canonical(name))
        if pinned is None:
            log.warning("%s: lossref:versions names %r, which %s does not pin with ==",
                        where, name, path.name)
            continue
        try:
            installed = version(name).split("+", 1)[0]  # 2.13.0+cpu is the build of 2.13.0
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            log.warning("%s: %s pins %s==%s, but the site is built with %s", where, path.name,
                        name, pinned, f"{name} {installed}" if installed else f"no {name}")
        parts.append(f"{DISPLAY_NAMES.get(name, name)} {pinned}")
    parts.append(f"Python {platform.python_version()}")
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    markdown = TABLE.sub(lambda m: _table(m["kind"], src), markdown)
    markdown = VERSIONS.sub(lambda m: _versions(m["names"], src), markdown)
    markdown = properties_render.render(markdown, src, lambda path: _page_link(path, src),
                                        log.warning)
    markdown = bench_render.render(markdown, src, log.warning)
    return REFERENCES.sub(lambda m: _references(m["names"]), markdown)


def on_page_content(content, page, config, files):
    numbers: dict[str, int] = {}

    def number(match: re.Match) -> str:
        body = match["body"]
        labels = LABEL.findall(body)
        if len(labels) != 1:
            log.warning("%s: a display equation needs exactly one \\label{...}, found %d: %s",
                        page.file.src_uri, len(labels), body[:80])
            return match.group(0)
        key = labels[0]
        if key in numbers:
            log.warning("%s: equation label %r is used twice", page.file.src_uri, key)
        numbers[key] = len(numbers) + 1
        body = LABEL.sub(lambda _: f"\\tag{{{numbers[key]}}}", body)
        anchor = f"eq-{key.replace(':', '-')}"
        return (f'<div class="arithmatex equation" id="{anchor}">{body}'
                f'<a class="eq-permalink" href="#{anchor}" '
                f'title="Permalink to equation ({numbers[key]})">&para;</a></div>')

    content = DISPLAY_MATH.sub(number, content)
    # attr_list reads a "{eq:key}" that ends a table cell or a paragraph as an attribute
    # list: the reference vanishes into "<td eq:key>" and is never checked below
    for swallowed in ATTRIBUTE_EQREF.findall(content):
        log.warning("%s: {eq:%s} at the end of a table cell or paragraph was read as an "
                    "attribute list and dropped; put text after it", page.file.src_uri,
                    swallowed)

    def reference(match: re.Match) -> str:
        key = match["key"]
        if key not in numbers:
            log.warning("%s: {eq:%s} refers to no equation on this page", page.file.src_uri, key)
            return html.escape(match.group(0))
        return f'<a class="eq-ref" href="#eq-{key.replace(":", "-")}">({numbers[key]})</a>'

    return EQREF.sub(reference, content)
