"""Test-suite wiring shared by unit tests and notebooks.

* ``solutions/`` notebooks are compared strictly (every stored output), ``lessons/`` run
  lax (cells must run; exercise stubs and their checks are tagged ``raises-exception``),
  all from one ``python -m pytest``.
* Every test that belongs to a lesson gets a ``lessonNN`` marker: ``pytest -m lesson07``.
* ``--require-torch`` (used by ``.ci/run`` once torch is installed): the tests that compare
  live against torch must run, so a test skipped for want of torch fails instead.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# The lessons are the solution notebooks, solutions/NN_name.ipynb: a new lesson needs no edit here.
LESSON_NUMBERS = sorted({path.name[:2] for path in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")})


def pytest_addoption(parser):
    parser.addoption(
        "--require-torch", action="store_true",
        help="fail (instead of skip) every test that needs torch when torch cannot be imported",
    )


def pytest_configure(config):
    for number in LESSON_NUMBERS:
        config.addinivalue_line("markers", f"lesson{number}: tests of lesson {number} (select with -m lesson{number})")
    # nbval resolves the sanitize file from the current directory; make it absolute so
    # `pytest` works from any folder of the project.
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize):
        config.option.nbval_sanitize_with = str(ROOT / sanitize)


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    outcome = yield
    if file_path.suffix != ".ipynb" or file_path.parent.name != "lessons":
        return
    for collector in outcome.get_result() or []:
        if hasattr(collector, "compare_outputs"):
            collector.compare_outputs = False  # student versions: run, don't compare


def pytest_collection_modifyitems(config, items):
    for item in items:
        match = re.match(r"(\d\d)_", Path(str(item.fspath)).name)
        if match and match.group(1) in LESSON_NUMBERS:
            item.add_marker(getattr(pytest.mark, f"lesson{match.group(1)}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.config.getoption("--require-torch"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "torch" in reason:
            report.outcome = "failed"
            report.longrepr = f"skipped with --require-torch: {reason}"
