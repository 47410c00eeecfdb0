"""Griffe extension: Sphinx roles in docstrings become cross-references on the site.

The docstrings say ``:func:`mse_loss_numpy```, ``:class:`~lossref.registry.Loss``` or
``:attr:`torch```, which read well in ``help()`` and in the source shown on the pages, but
Markdown prints the role's name as text (":func:" before the code). This extension
rewrites each role, when the package is loaded for the API reference, into an optional
autorefs link around the code: the name is resolved in the docstring's own scope (so
``state_dict`` in a method means the class's method), and it links where that object is
on the site and stays plain code where it is not (``torch.nn.functional.mse_loss``, a
dataclass field). ``~`` shows the last component only, as in Sphinx.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|obj|data|exc|const):`(?P<tilde>~?)(?P<target>[^`]+)`")


def _rewrite(text: str, obj: griffe.Object) -> str:
    def link(match: re.Match) -> str:
        target = match["target"].strip()
        shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
        try:
            identifier = obj.resolve(target)
        except Exception:  # noqa: BLE001 - not resolvable here: keep the name as written
            identifier = target
        return (f'<autoref identifier="{html.escape(identifier)}" optional>'
                f"<code>{html.escape(shown)}</code></autoref>")

    return ROLE.sub(link, text)


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring of the loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = _rewrite(obj.docstring.value, obj)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
