"""Markdown for the "Performance and accuracy" page, from the committed results file.

``make bench`` (``python -m lossref.bench``) measures every record and writes
``benchmarks/results.json``; this module turns it into tables when the site is built, so
the page shows exactly what was measured, and says on what machine:

- ``<!-- lossref:bench meta -->``: machine, CPU, versions, threads, date;
- ``<!-- lossref:bench losses FAMILY -->``: one family's losses at the largest size (both
  dtypes), with the three timings, the two ratios and the NumPy path's peak memory;
- ``<!-- lossref:bench losses-all -->``: every loss at every size;
- ``<!-- lossref:bench optimizers -->`` and ``<!-- lossref:bench accuracy -->``.

A missing file, or a registered record missing from it, is a warning (``--strict`` fails):
re-run ``make bench``.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from pathlib import Path

RESULTS = Path(os.environ.get("LOSSREF_BENCH_RESULTS",
                              Path(__file__).resolve().parent.parent / "benchmarks" / "results.json"))
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- lossref:bench (?P<what>meta|losses-all|optimizers|"
                    r"accuracy|losses (?P<family>\w+)) -->", re.MULTILINE)


def load(path: Path = RESULTS) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def family_of(name: str) -> str:
    """The module a loss lives in: classification, regression, likelihood, robust, ..."""
    from lossref.registry import LOSSES

    return LOSSES[name].numpy.__module__.rsplit(".", 1)[-1]


def ms(timing: dict | None) -> str:
    if not timing:
        return "—"
    median = timing["median"]
    text = f"{median:.3g}" if median >= 0.01 else f"{median:.2g}"
    # the quartiles show on hover: the spread of the repeated runs
    return f'<span title="quartiles {timing["q1"]:.3g}–{timing["q3"]:.3g} ms">{text}</span>'


def ratio(ours: dict | None, theirs: dict | None) -> str:
    if not ours or not theirs:
        return "—"
    value = ours["median"] / theirs["median"]
    return f"**{value:.2f}×**" if value > 1.5 else f"{value:.2f}×"


def size(n: int) -> str:
    exponent = len(str(n)) - 1
    return f"10<sup>{exponent}</sup>" if n == 10**exponent else f"{n:,}"


def meta(results: dict) -> str:
    m = results["meta"]
    simd = ", ".join(m.get("numpy_simd", [])[-6:]) or "unknown"
    malloc = f" Memory allocator: {m['malloc']}." if m.get("malloc") else ""
    return (f"Measured on {m['date'][:10]} with `{m['command']}`: {m['cpu']} "
            f"({m['machine']}, {m['cores']} cores), {m['threads']} thread, Python "
            f"{m['python']}, NumPy {m['numpy']} (SIMD: {simd}), PyTorch {m['torch']} "
            f"(CPU kernels: {m.get('torch_cpu_capability', 'unknown')}).{malloc}")


def loss_rows(entries: list[dict], with_size: bool) -> str:
    head = "| Loss | dtype | " + ("elements | " if with_size else "")
    rows = [head + "NumPy fwd + grad, ms | `.torch` fwd + bwd, ms | builtin fwd + bwd, ms | "
            "NumPy / builtin | `.torch` / builtin | NumPy peak memory |",
            "|---" * (9 if with_size else 8) + "|"]
    for e in entries:
        memory = e["numpy_peak_bytes"] / e["input_bytes"] if e["input_bytes"] else float("nan")
        elements = f"{size(e['size'])} | " if with_size else ""
        rows.append(f"| `{e['name']}` | {e['dtype']} | {elements}{ms(e['numpy_ms'])} | "
                    f"{ms(e['torch_ms'])} | {ms(e['builtin_ms'])} | "
                    f"{ratio(e['numpy_ms'], e['builtin_ms'])} | "
                    f"{ratio(e['torch_ms'], e['builtin_ms'])} | {memory:.1f} × input |")
    return "\n".join(rows)


def losses(results: dict, family: str | None) -> str:
    entries = results["losses"]
    if family is not None:
        largest = max(e["size"] for e in entries)
        entries = [e for e in entries if family_of(e["name"]) == family and e["size"] == largest]
    return loss_rows(entries, with_size=family is None)


def optimizers(results: dict) -> str:
    rows = ["| Optimizer | options | dtype | parameters | NumPy step, ms | `.torch` step, ms | "
            "builtin `foreach=False`, ms | builtin default, ms | NumPy / `foreach=False` |",
            "|---|---|---|---|---|---|---|---|---|"]
    from lossref.registry import OPTIMIZERS

    for e in results["optimizers"]:
        defaults = inspect.signature(OPTIMIZERS[e["name"]].numpy).parameters
        options = ", ".join(f"{k}={v}" for k, v in e["options"].items()
                            if k not in defaults or defaults[k].default != v) or "defaults"
        rows.append(f"| `{e['name']}` | {options} | {e['dtype']} | {size(e['size'])} | "
                    f"{ms(e['numpy_ms'])} | {ms(e['torch_ms'])} | "
                    f"{ms(e['builtin_foreach_false_ms'])} | {ms(e['builtin_default_ms'])} | "
                    f"{ratio(e['numpy_ms'], e['builtin_foreach_false_ms'])} |")
    return "\n".join(rows)


def _error(side: dict | None) -> str:
    if side is None:
        return "—"
    error = side["max_rel_error"]
    text = "0" if error == 0 else f"{error:.2g} ({side['max_ulps']:.3g} ulp)"
    bad = side["nonfinite"]
    return text + (f", **{bad} non-finite**" if bad else "")


def accuracy(results: dict) -> str:
    rows = ["| Loss | options | inputs | lossref NumPy | lossref `.torch` | torch builtin | "
            "worst input |", "|---|---|---|---|---|---|---|"]
    for e in results["accuracy"]:
        options = ", ".join(f"{k}={v}" for k, v in e["options"].items()) or "defaults"
        rows.append(f"| `{e['name']}` | {options} | {e['cases']} | {_error(e['numpy'])} | "
                    f"{_error(e['torch'])} | {_error(e['builtin'])} | {e['worst_input']} |")
    return "\n".join(rows)


def check(results: dict, warn, where: str) -> None:
    from lossref.registry import LOSSES, OPTIMIZERS

    measured = {e["name"] for e in results["losses"]} | {e["name"] for e in results["optimizers"]}
    missing = sorted((set(LOSSES) | set(OPTIMIZERS)) - measured)
    if missing:
        warn("%s: %s has no measurement for %s: re-run `make bench`", where, RESULTS.name,
             ", ".join(missing))


def render(markdown: str, where: str, warn) -> str:
    if not MARKER.search(markdown):
        return markdown
    results = load()
    if results is None:
        warn("%s: %s is missing: run `make bench`", where, RESULTS)
        return MARKER.sub("", markdown)
    check(results, warn, where)

    def one(match: re.Match) -> str:
        what = match["what"]
        if what == "meta":
            text = meta(results)
        elif what == "optimizers":
            text = optimizers(results)
        elif what == "accuracy":
            text = accuracy(results)
        else:
            text = losses(results, None if what == "losses-all" else match["family"])
        # inside an admonition the marker is indented: so is every line of its table
        return "\n".join(match["indent"] + line for line in text.splitlines())

    return MARKER.sub(one, markdown)
