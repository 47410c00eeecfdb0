"""Plain-loop oracles for losses that torch does not have.

``REFERENCE_IMPLS[name]`` takes the same arguments as ``LOSSES[name].numpy`` and computes
the loss by a direct Python loop over the formula on the page, with no vectorization and
no shared code with the package, so a mistake in the package cannot hide in both.
"""

REFERENCE_IMPLS: dict = {}
