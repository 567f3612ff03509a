"""lessons/ must be exactly what ``python -m course_lib.authoring build`` makes of solutions/."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("nbformat")
from course_lib.authoring import check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_lessons_are_in_sync_with_solutions():
    problems = check(ROOT / "solutions", ROOT / "lessons")
    assert problems == [], (
        "lessons/ differs from solutions/:\n  " + "\n  ".join(problems)
        + "\nhelp: run `python -m course_lib.authoring build` and commit lessons/."
    )
