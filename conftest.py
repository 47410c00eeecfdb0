"""Sybil runs every code block of the site and every ``>>>`` of the package under pytest."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))

from sybil_setup import docs_sybil, package_sybil  # noqa: E402

pytest_collect_file = (docs_sybil + package_sybil).pytest()
