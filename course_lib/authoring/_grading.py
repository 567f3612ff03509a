"""nbgrader's cell metadata, written by ``build`` so that a lesson can also be graded.

Every exercise cell (a code cell holding a solution block) becomes an nbgrader *solution*
cell, every check cell an *autograded test* cell, worth 1 point unless the cell carries a
tag ``points-N`` (``points-2``, ``points-0.5``)::

    exercise cell: {"grade": false, "grade_id": "mul_backward", "locked": false,
                    "schema_version": 3, "solution": true, "task": false}
    check cell:    {"grade": true, "grade_id": "check_mul_backward", "locked": true,
                    "points": 1, "schema_version": 3, "solution": false, "task": false}

A check cell is a code cell that imports from ``course_lib.checks`` and calls a checker
``check_<name>(...)`` at the top level (a call inside a ``def`` or ``try`` only shows what a
check says, and is not graded). The grade ids are names, not positions: the exercise's
function or class (``Optimizer`` for a cell of methods) and the checker, so inserting a
cell never renames a grade in a gradebook. A name used twice in a notebook gets ``-2``,
``-3``, ... in order of appearance.

Students never see this metadata: JupyterLab ignores it, and the lesson runs the same.
"""
from __future__ import annotations

import re

from ._stubs import replace_solutions

SCHEMA_VERSION = 3  # nbgrader 0.9's cell metadata schema
POINTS_TAG = re.compile(r"^points-(\d+(?:\.\d+)?)$")
_CHECKER_CALL = re.compile(r"^(check_\w+)\(", re.MULTILINE)  # at column 0: top level only
_CHECKS_IMPORT = re.compile(r"^\s*(?:from|import)\s+course_lib\.checks\b", re.MULTILINE)


def checker_called(source: str) -> str | None:
    """The checker a check cell calls at its top level (``"check_mul_backward"``), or None."""
    if not _CHECKS_IMPORT.search(source):
        return None
    match = _CHECKER_CALL.search(source)
    return match.group(1) if match else None


def points_of(tags: set[str], where: str) -> int | float:
    """1, or N from a ``points-N`` tag; a second ``points-`` tag is an error."""
    found = [POINTS_TAG.match(tag) for tag in sorted(tags) if tag.startswith("points-")]
    if not found:
        return 1
    if len(found) > 1 or found[0] is None:
        raise ValueError(
            f"{where}: tags {sorted(t for t in tags if t.startswith('points-'))} do not give one "
            "number of points; help: tag a check cell with exactly one tag like points-2."
        )
    value = float(found[0].group(1))
    return int(value) if value.is_integer() else value


def _unique(name: str, used: set[str]) -> str:
    grade_id, n = name, 1
    while grade_id in used:
        n += 1
        grade_id = f"{name}-{n}"
    used.add(grade_id)
    return grade_id


def add_grading_metadata(cells, lesson: str, where: str) -> None:
    """Set ``metadata["nbgrader"]`` on the exercise and check cells of a *solution* notebook.

    Works on the solution's cells (the markers tell which cells are exercises), in place.
    Other cells are left as they are.

    Raises:
        MarkerError: a solution block with unmatched markers.
        ValueError: a malformed ``points-`` tag.
    """
    used: set[str] = set()
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        label = f"{where}, cell {index}"
        _, names = replace_solutions(cell["source"], lesson, 1, label)
        checker = checker_called(cell["source"])
        if not names and checker is None:
            continue
        meta = {"grade": False, "locked": False, "schema_version": SCHEMA_VERSION,
                "solution": bool(names), "task": False}
        if checker is not None:
            meta.update(grade=True, locked=not names,
                        points=points_of(set(cell["metadata"].get("tags", [])), label))
        # an exercise is named by its function or class; a method's class names the cell
        meta["grade_id"] = _unique(names[0].split(".")[0] if names else checker, used)
        cell["metadata"]["nbgrader"] = meta
