"""Markdown for the declared (and tested) properties of the losses.

``<!-- lossref:properties NAME [key=value ...] -->`` on a loss page becomes a "Properties
at a glance" block for that record, evaluated at the given keyword arguments (the
defaults otherwise); ``<!-- lossref:properties-table -->`` becomes one table comparing
every registered loss. Both read ``Loss.properties``, which
``tests/test_loss_properties.py`` checks numerically, so what the site shows is what the
tests verified.
"""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

MARKER = re.compile(r"<!-- lossref:properties (?P<name>\w+)(?P<args>(?: [\w.]+=[^ ]+)*) -->")
TABLE = re.compile(r"<!-- lossref:properties-table -->")
TEST_FILE = "tests/test_loss_properties.py"


def number(value: float) -> str:
    """1/2 for 0.5, 2 for 2.0, sqrt(2) for 1.4142..., else four significant digits."""
    if value == int(value):
        return str(int(value))
    fraction = Fraction(value).limit_denominator(12)
    if abs(float(fraction) - value) <= 1e-12 * abs(value):
        return f"{fraction.numerator}/{fraction.denominator}"
    for root in (2, 3, 5):
        if abs(value - math.sqrt(root)) <= 1e-12:
            return f"√{root}"
    return f"{value:.4g}"


def _yes_no(value: bool | None, none: str = "—") -> str:
    return none if value is None else ("yes" if value else "no")


def _margin_minimiser(props) -> tuple[str, str] | None:
    """(long, short) text of the minimisers the margin losses declare: none, the mode, or
    the probability on the margin's scale; None for every other declaration."""
    if props.minimiser is None:
        return "none of these (see why)", "—"
    if props.minimiser == "mode":
        return ("the most likely label, sign(2 P(Y = 1) − 1), and not its probability",
                "most likely label")
    if props.link == "margin":
        return ("margin · (2 P(Y = 1) − 1): the true probability on the margin's scale",
                "m (2 P(Y = 1) − 1)")
    return None


def _minimiser(props, task: str = "") -> str:
    if (margin := _margin_minimiser(props)) is not None:
        return margin[0]
    text = {"mean": "the mean", "median": "the median",
            "quantile": f"the {props.parameters.get('quantile', 'τ')}-quantile",
            "m-estimate": "an M-estimate (no standard functional)",
            "distribution": "the true class distribution",
            "smoothed-distribution": "the smoothed distribution (1 − ε) q + ε/C",
            }[props.minimiser]
    text = f"log of {text}" if props.link == "log" else text
    if task == "binary" and props.minimiser == "distribution":
        text = "the true probability P(Y = 1)"
    if props.link == "logit":  # a binary loss on logits
        text = "the logit of the true probability P(Y = 1)"
    return f"{text} − {number(-props.offset)}" if props.offset else text


def cells(props, task: str = "") -> dict[str, str]:
    """The value of each column, as text."""
    lipschitz = "none finite" if props.grad_lipschitz is None else number(props.grad_lipschitz)
    bound = "unbounded" if props.grad_bound is None else number(props.grad_bound)
    # None: not one number (a regression loss, with its note), or no location estimated
    breakdown = ("depends on the data" if props.notes.get("breakdown_point") else "—") \
        if props.breakdown_point is None else number(props.breakdown_point)
    return {
        "Convex": _yes_no(props.convex),
        "Smooth (C¹)": _yes_no(props.smooth),
        "Gradient Lipschitz constant L": lipschitz,
        "Gradient bound": bound,
        "Minimiser of E ℓ(c, Y)": _minimiser(props, task),
        "Breakdown point": breakdown,
        "Strictly proper": _yes_no(props.proper),
    }


NOTE_KEYS = {"Convex": "convex", "Smooth (C¹)": "smooth",
             "Gradient Lipschitz constant L": "grad_lipschitz", "Gradient bound": "grad_bound",
             "Minimiser of E ℓ(c, Y)": "minimiser", "Breakdown point": "breakdown_point",
             "Strictly proper": "proper"}


def _parse_args(text: str) -> dict:
    kwargs = {}
    for item in text.split():
        key, _, value = item.partition("=")
        kwargs[key] = ast.literal_eval(value)
    return kwargs


SCOPES = {"classification": "per row of scores",
          "ranking": "per pair of scores (the gradient's norm over both)",
          "embedding": "per example: over every vector of one pair or triplet (over the "
                       "whole batch where an example's loss involves the other rows, as "
                       "InfoNCE's and NT-Xent's do)",
          "divergence": "per element (one log-probability and its target probability); "
                        "the minimiser is over distributions",
          "binary": "per element (one probability or logit)"}


def block(rec, kwargs: dict, link_to_table: str) -> str:
    props = rec.properties(**kwargs)
    params = ", ".join(f"{k}={v!r}" for k, v in props.parameters.items())
    scope = SCOPES.get(rec.task, "per element")
    title = f"Properties at a glance: `{rec.name}`" + (f" ({params})" if params else "")
    rows = ["| Property | Value | Why |", "|---|---|---|"]
    for column, value in cells(props, rec.task).items():
        note = props.notes.get(NOTE_KEYS[column], "").replace("|", "\\|")  # |r| in a table
        rows.append(f"| {column} | {value} | {note} |")
    body = "\n".join(rows)
    lines = [f'!!! abstract "{title}"', "",
             *("    " + line for line in body.splitlines()), "",
             f"    Constants are {scope}, with unit weights. Each line is declared in "
             f"`{rec.name}.properties()` and checked numerically by `{TEST_FILE}`; "
             f"[all losses side by side]({link_to_table}).", ""]
    return "\n".join(lines)


# Settings whose properties differ from the defaults' (one more table row each).
VARIANTS = {"smooth_l1_loss": [{"beta": 0.0}], "quantile_loss": [{"quantile": 0.1}],
            "poisson_nll_loss": [{"log_input": False}],
            "cross_entropy": [{"label_smoothing": 0.1}]}
# Options that change none of the properties, left out of the table's labels.
SILENT = {"full", "eps"}
SHORT = {"Convex": "Convex", "Smooth (C¹)": "C¹", "Gradient Lipschitz constant L": "L",
         "Gradient bound": "sup ‖∇ℓ‖", "Minimiser of E ℓ(c, Y)": "Estimates",
         "Breakdown point": "Breakdown", "Strictly proper": "Proper"}


def _short_minimiser(props, task: str = "") -> str:
    if (margin := _margin_minimiser(props)) is not None:
        return margin[1]
    text = {"quantile": f"{props.parameters.get('quantile')}-quantile",
            "m-estimate": "M-estimate", "smoothed-distribution": "smoothed distribution",
            }.get(props.minimiser, props.minimiser)
    text = f"log {text}" if props.link == "log" else text
    text = "P(Y = 1)" if task == "binary" else text
    text = "logit P(Y = 1)" if props.link == "logit" else text
    return f"{text} − eps" if props.offset else text


def table(losses, page_link) -> str:
    """One row per loss at its default keyword arguments, and one per setting in
    :data:`VARIANTS`; short headers and values, so the table fits the page."""
    rows = ["| Loss | " + " | ".join(SHORT.values()) + " |", "|---" * (len(SHORT) + 1) + "|"]
    for rec in losses.values():
        for kwargs in [{}] + VARIANTS.get(rec.name, []):
            props = rec.properties(**kwargs)
            values = cells(props)
            values["Gradient Lipschitz constant L"] = values[
                "Gradient Lipschitz constant L"].replace("none finite", "none")
            values["Gradient bound"] = values["Gradient bound"].replace("unbounded", "∞")
            values["Minimiser of E ℓ(c, Y)"] = _short_minimiser(props, rec.task)
            params = ", ".join(f"{k}={v!r}" for k, v in props.parameters.items()
                               if k not in SILENT)
            name = f"[`{rec.name}`]({page_link(rec.page)})" + (f"<br>{params}" if params else "")
            rows.append(f"| {name} | " + " | ".join(values.values()) + " |")
    return "\n".join(rows)


def render(markdown: str, from_page: str, page_link, warn) -> str:
    from lossref.registry import LOSSES

    def one(match: re.Match) -> str:
        rec = LOSSES.get(match["name"])
        if rec is None:
            warn("%s: lossref:properties names unknown loss %r", from_page, match["name"])
            return ""
        try:
            kwargs = _parse_args(match["args"])
            return block(rec, kwargs, page_link("losses/properties.md") + "#the-table")
        except (ValueError, TypeError, SyntaxError) as error:
            warn("%s: lossref:properties %s: %s", from_page, match["name"], error)
            return ""

    markdown = MARKER.sub(one, markdown)
    return TABLE.sub(lambda _: table(LOSSES, page_link), markdown)
