"""Sybil runs every code block of the site and every ``>>>`` of the package under pytest."""

import sys
from pathlib import Path

import torch

# The examples use tiny tensors: one intra-op thread per process is fastest, and with
# pytest-xdist on 2 cores, torch's thread pool would otherwise spin against the other
# worker (a 1000-step autograd loop took 24 s instead of 0.1 s).
torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).parent / "tests"))

from sybil_setup import docs_sybil, package_sybil  # noqa: E402

pytest_collect_file = (docs_sybil + package_sybil).pytest()
