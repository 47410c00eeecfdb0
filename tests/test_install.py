"""A new user's install, offline: the README's "Use lossref in your own code" works.

What a user does, step by step, without a network:

1. build a wheel of the checkout (``pip wheel --no-deps --no-build-isolation``), from a
   copy of it, so the build leaves no ``build/`` or ``*.egg-info`` in the checkout;
2. create a fresh virtual environment (``python -m venv --without-pip``);
3. make exactly the distributions that numpy and torch need visible in it: a ``.pth`` file
   in its site-packages names a directory of symlinks to those distributions of the
   running environment (torch is about 800 MB: linked, never copied). The checkout's own
   ``lossref``, installed editable in ``.venv``, is not among them;
4. ``pip install --no-index`` the wheel *with* dependency resolution, so pip itself checks
   that the numpy and torch found there satisfy the ranges of the wheel's metadata;
5. from a temporary working directory, run the README section's ``pycon`` blocks as
   doctests with the fresh environment's Python, after checking that ``lossref`` is
   imported from the wheel installed there.

The fresh environment is created with ``--without-pip`` and the running environment's pip
installs into it (``pip --python``): a venv with pip would also get Python 3.11's bundled
setuptools 65, which shadows the linked one that torch requires (``setuptools>=77``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "Use lossref in your own code"
PIP = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check",
       "--no-input", "--no-color"]


# ---------------------------------------------------------------- helpers


def readme_examples(text: str) -> list[tuple[int, str]]:
    """``(line number, source)`` of every ```pycon block of the README section ``SECTION``."""
    heading = re.search(rf"^## {re.escape(SECTION)}[ \t]*$", text, re.MULTILINE)
    assert heading, f"README.md has no section '## {SECTION}'"
    following = re.compile(r"^## ", re.MULTILINE).search(text, heading.end())
    end = following.start() if following else len(text)
    blocks = []
    for fence in re.finditer(r"^```pycon[ \t]*\n(?P<body>.*?)^```[ \t]*$",
                             text[heading.end():end], re.MULTILINE | re.DOTALL):
        start = heading.end() + fence.start("body")
        blocks.append((text.count("\n", 0, start) + 1, fence["body"]))
    return blocks


def clean_env() -> dict[str, str]:
    """The environment minus what would leak the running environment into the fresh one."""
    leaky = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items()
            if key not in leaky and not key.startswith("PIP_")}


def run(command: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``; on failure, fail the test with its stdout and stderr."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            env=clean_env(), timeout=300, check=False, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}):\n$ {' '.join(map(str, command))}"
                    f"\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}",
                    pytrace=False)
    return result


def copy_checkout(destination: Path) -> Path:
    """The checkout's top-level files and its packages (directories with an
    ``__init__.py``), as ``pip install /path/to/lossref`` would build them."""
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for entry in ROOT.iterdir():
        if entry.is_file():
            shutil.copy2(entry, destination / entry.name)
        elif entry.is_dir() and (entry / "__init__.py").is_file():
            shutil.copytree(entry, destination / entry.name, ignore=ignore)
    return destination


def required_distributions(requirements: list[str]) -> dict[str, importlib.metadata.Distribution]:
    """The distributions of the running environment that ``requirements`` need, found
    recursively from their metadata (environment markers and extras evaluated)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    extras_done: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name not in found:
            try:
                found[name] = importlib.metadata.distribution(requirement.name)
            except importlib.metadata.PackageNotFoundError:
                pytest.fail(f"{requirement} is required, but {requirement.name} is not installed "
                            f"in {sys.prefix}", pytrace=False)
            extras_done[name] = set()
        new_extras = {""} | set(requirement.extras)
        new_extras -= extras_done[name]
        if not new_extras:
            continue
        extras_done[name] |= new_extras
        for line in found[name].requires or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                    dependency.marker.evaluate({"extra": extra}) for extra in new_extras):
                todo.append(dependency)
    return found


def link_distributions(distributions, directory: Path) -> list[str]:
    """Symlink the top-level files and directories of ``distributions`` into ``directory``."""
    directory.mkdir()
    linked = []
    for name, dist in sorted(distributions.items()):
        assert dist.files, f"{name} has no RECORD, so its files cannot be found"
        tops = {f.parts[0] for f in dist.files if f.parts and f.parts[0] != ".."}
        for top in sorted(tops - {"__pycache__"}):
            if top.endswith(".pth"):
                continue
            source = Path(dist.locate_file(top))
            if source.exists() and not (directory / top).exists():
                (directory / top).symlink_to(source)
                linked.append(top)
    return linked


# ---------------------------------------------------------------- the user's steps


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of the checkout, built offline without build isolation."""
    base = tmp_path_factory.mktemp("wheel")
    source = copy_checkout(base / "checkout")
    run(PIP + ["wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--wheel-dir", base / "dist", source], "building the wheel", cwd=base)
    wheels = sorted((base / "dist").glob("lossref-*.whl"))
    assert len(wheels) == 1, f"expected one lossref wheel, found {wheels}"
    return wheels[0]


def wheel_requirements(wheel: Path) -> list[str]:
    """``Requires-Dist`` lines of the wheel's METADATA, without the extras' ones."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    lines = re.findall(r"^Requires-Dist: (.+)$", text, re.MULTILINE)
    return [line for line in lines if "extra ==" not in line]


def test_the_package_pins_nothing(wheel):
    """lossref must install into an existing project: ranges, never exact versions."""
    requirements = [Requirement(r) for r in wheel_requirements(wheel)]
    assert {r.name for r in requirements} >= {"numpy", "torch"}, requirements
    pinned = [str(r) for r in requirements
              if any(s.operator in {"==", "==="} for s in r.specifier)]
    assert not pinned, f"pyproject.toml pins {pinned}; pins belong in constraints.txt"


def test_the_readme_examples_run_in_a_fresh_environment(wheel, tmp_path):
    started = time.perf_counter()
    examples = readme_examples(README.read_text())
    assert examples, f"README.md's section '{SECTION}' has no ```pycon block"

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], "python -m venv")
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site_packages = Path(run([python, "-I", "-c", purelib], "locating site-packages")
                         .stdout.strip())

    requirements = wheel_requirements(wheel)
    distributions = required_distributions(requirements)
    assert "lossref" not in distributions, "the checkout's lossref must not be linked"
    linked = link_distributions(distributions, tmp_path / "deps")
    assert "lossref" not in linked
    (site_packages / "lossref-deps.pth").write_text(f"{tmp_path / 'deps'}\n")

    # no index, no find-links but the wheel's directory: pip must find numpy, torch and
    # their dependencies installed, in versions that satisfy the metadata, or fail
    install = run(PIP + ["--python", python, "install", "--no-index", "--no-cache-dir",
                         "--find-links", wheel.parent, "--progress-bar", "off", wheel],
                  "pip install of the wheel into the fresh environment", cwd=tmp_path)
    run(PIP + ["--python", python, "check"], "pip check in the fresh environment", cwd=tmp_path)

    work = tmp_path / "work"
    work.mkdir()
    (work / "examples.json").write_text(json.dumps(examples))
    (work / "run_examples.py").write_text(RUN_EXAMPLES)
    result = subprocess.run([python, "-I", "run_examples.py", "examples.json", venv],
                            cwd=work, env=clean_env(), capture_output=True, text=True,
                            timeout=300, check=False)
    elapsed = time.perf_counter() - started
    print(f"\n{install.stdout.strip().splitlines()[-1]}\n{result.stdout.strip()}\n"
          f"linked {len(distributions)} distributions ({', '.join(sorted(distributions))}); "
          f"{elapsed:.1f} s")
    assert result.returncode == 0, (
        f"the README's '{SECTION}' examples failed in a fresh environment "
        f"(exit {result.returncode}):\n{result.stdout}\n{result.stderr}")


# Runs in the fresh environment: checks where lossref comes from, then the examples.
RUN_EXAMPLES = textwrap.dedent('''\
    import doctest
    import json
    import os
    import sys

    import lossref

    examples_path, venv = sys.argv[1], os.path.realpath(sys.argv[2])
    origin = os.path.realpath(lossref.__file__)
    if not origin.startswith(venv + os.sep):
        sys.exit(f"lossref was imported from {origin}, not from the wheel installed in {venv}")
    print(f"lossref {lossref.__version__} from {origin}")

    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace = {"__name__": "__main__"}
    for line, source in json.load(open(examples_path)):
        test = parser.get_doctest(source, namespace, f"README.md:{line}", "README.md", line - 1)
        test.globs = namespace  # one namespace for the section, as in one session
        runner.run(test, clear_globs=False)
    result = runner.summarize(verbose=False)
    print(f"{result.attempted} README examples, {result.failed} failed")
    sys.exit(1 if result.failed or not result.attempted else 0)
    ''')
