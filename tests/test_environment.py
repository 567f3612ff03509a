"""environment.yml (conda, Binder, JupyterHub) must list what pyproject.toml installs.

No conda can run on the CI machines, so the file is checked by parsing: its packages must be
exactly pyproject's run-time and ``dev`` dependencies, with the same version bounds.
``python tests/test_environment.py --pip-requirements`` prints the pip equivalent, which
``.ci/run`` resolves with ``pip install --dry-run``.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_PACKAGES = {"python", "pip"}


def conda_dependencies(text: str) -> dict[str, str]:
    """``name -> version spec`` for the plain entries of a conda ``dependencies:`` list."""
    deps: dict[str, str] = {}
    in_deps = False
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_deps = line.startswith("dependencies:")
            continue
        match = re.match(r"^\s+-\s+([A-Za-z0-9_.\-]+)\s*([<>=!].*)?$", line)
        if in_deps and match:
            deps[match.group(1).lower()] = (match.group(2) or "").strip()
    return deps


def pyproject_dependencies() -> dict[str, str]:
    """``name -> version spec`` of the run-time and dev dependencies in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = {}
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
        deps[match.group(1).lower()] = match.group(2).strip()
    return deps


def test_environment_yml_matches_pyproject():
    conda = conda_dependencies((ROOT / "environment.yml").read_text())
    packages = {k: v for k, v in conda.items() if k not in NOT_PACKAGES}
    assert packages == pyproject_dependencies()


def test_environment_yml_pins_python_minor_and_lists_pip():
    conda = conda_dependencies((ROOT / "environment.yml").read_text())
    assert re.fullmatch(r"=3\.1[1-9]", conda["python"]), conda["python"]
    assert "pip" in conda


def test_binder_installs_package_in_postbuild():
    text = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in text
    assert "-e ." not in (ROOT / "environment.yml").read_text()


if __name__ == "__main__" and "--pip-requirements" in sys.argv:
    for name, spec in conda_dependencies((ROOT / "environment.yml").read_text()).items():
        if name not in NOT_PACKAGES:
            print(f"{name}{spec}")
