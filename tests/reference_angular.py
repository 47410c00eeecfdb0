"""Plain-loop oracles for the angular losses that torch does not have (see reference_impls.py
for the rules: a direct Python loop over the page's formula, no shared code with the
package, an array of the input's dtype as the result)."""

from __future__ import annotations

REFERENCE: dict = {}
