"""``build`` and ``check``: generate ``lessons/`` from ``solutions/`` and verify they agree.

For each ``solutions/NN_name.ipynb`` the student version ``lessons/NN_name.ipynb`` is:

* every solution block replaced by a ``NotImplementedError`` stub naming the exercise
  (``Exercise NN.k``, k counting blocks in order of appearance, from 1);
* outputs cleared (``outputs == []``, ``execution_count is None``) in cells that hold a
  solution block or carry the tag ``raises-exception`` or ``hide-output``;
* cells tagged ``solution-only`` dropped;
* nbgrader's cell metadata on exercise and check cells (``_grading.py``), so that an
  instructor can grade the lesson with nbgrader (``_nbgrader.py``);
* everything else (markdown, other cells' outputs, cell ids, metadata) unchanged, so that
  rebuilding an unchanged source gives the same bytes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ._grading import add_grading_metadata
from ._stubs import replace_solutions

CLEARED_TAGS = {"raises-exception", "hide-output"}
DROPPED_TAG = "solution-only"
_LESSON_NAME = re.compile(r"^(\d\d)_\w+\.ipynb$")


def _nbformat():
    # nbformat is a dev dependency: imported here so that ``import course_lib`` never needs it.
    import nbformat

    return nbformat


def lesson_number(path: Path) -> str:
    """The two-digit lesson number of ``NN_name.ipynb``."""
    match = _LESSON_NAME.match(path.name)
    if match is None:
        raise ValueError(
            f"{path}: a lesson file must be named NN_name.ipynb (two digits, an underscore, "
            "a name of letters, digits and underscores)."
        )
    return match.group(1)


def make_lesson(nb, lesson: str, where: str):
    """The student version of the solution notebook ``nb`` (a new NotebookNode).

    Args:
        nb: the solution notebook, as read by nbformat (left unchanged).
        lesson: its two-digit number, used in the stubs' messages.
        where: the notebook's path, for error messages.

    Raises:
        MarkerError: a solution block with unmatched or nested markers.
    """
    lesson_nb = graded_solution(nb, lesson, where)
    cells = []
    exercise = 1
    for index, cell in enumerate(lesson_nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if DROPPED_TAG in tags:
            continue
        if cell.cell_type == "code":
            label = f"{where}, cell {index}" + (f" (id {cell['id']})" if "id" in cell else "")
            source, names = replace_solutions(cell.source, lesson, exercise, label)
            exercise += len(names)
            cell.source = source
            if names or tags & CLEARED_TAGS:
                cell.outputs = []
                cell.execution_count = None
        cells.append(cell)
    lesson_nb.cells = cells
    return lesson_nb


def graded_solution(nb, lesson: str, where: str):
    """A copy of the solution notebook ``nb`` with nbgrader's metadata on its exercise and
    check cells: nbgrader's ``source`` version of the lesson.

    Raises:
        MarkerError: a solution block with unmatched or nested markers.
    """
    graded = _nbformat().from_dict(nb)  # a deep copy: the source stays as read
    add_grading_metadata(graded.cells, lesson, where)
    return graded


def notebook_bytes(nb) -> bytes:
    """The exact bytes nbformat writes for ``nb``, with one final newline."""
    text = _nbformat().writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def read_solution(path: Path):
    """Read a solution notebook, refusing cells without ids.

    nbformat gives a cell without an id a *random* one when reading, which would make
    every build different; so such a notebook is an error, fixed by saving it once.
    """
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text)  # only to look for ids before nbformat invents them
    if (raw.get("nbformat"), raw.get("nbformat_minor", 0)) >= (4, 5):
        for index, cell in enumerate(raw.get("cells", [])):
            if "id" not in cell:
                raise ValueError(
                    f"{path}, cell {index}: the cell has no id; help: run "
                    f"`python -m course_lib.authoring execute {path}` (or save it in JupyterLab) once."
                )
    return _nbformat().reads(text, as_version=4)


def _expected_lessons(solutions_dir: Path) -> dict[str, bytes]:
    """``lesson file name -> bytes`` that ``build`` writes for every solution notebook."""
    expected = {}
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        nb = read_solution(path)
        lesson_nb = make_lesson(nb, lesson_number(path), str(path))
        expected[path.name] = notebook_bytes(lesson_nb)
    return expected


def build(solutions_dir: str | Path = "solutions", lessons_dir: str | Path = "lessons") -> list[Path]:
    """Regenerate ``lessons_dir`` from ``solutions_dir``.

    Only files whose bytes change are written; lesson notebooks without a solution
    notebook are deleted.

    Returns:
        The lesson files written or deleted.

    Raises:
        MarkerError: a solution block with unmatched or nested markers (nothing is written).
        FileNotFoundError: ``solutions_dir`` does not exist.
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"no solutions folder at {solutions_dir}; help: run from the course folder.")
    expected = _expected_lessons(solutions_dir)  # everything is built before anything is written
    lessons_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, data in expected.items():
        target = lessons_dir / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            changed.append(target)
    for target in sorted(lessons_dir.glob("*.ipynb")):
        if target.name not in expected:
            target.unlink()
            changed.append(target)
    return changed


def check(solutions_dir: str | Path = "solutions", lessons_dir: str | Path = "lessons") -> list[str]:
    """Differences between ``lessons_dir`` and what ``build`` would write there.

    Returns:
        One line per problem (``"stale: lessons/02_autograd.ipynb"``, ``"missing: ..."``,
        ``"extra: ..."``); an empty list when the lessons are in sync.
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    expected = _expected_lessons(solutions_dir)
    problems = []
    for name, data in expected.items():
        target = lessons_dir / name
        if not target.exists():
            problems.append(f"missing: {target}")
        elif target.read_bytes() != data:
            problems.append(f"stale: {target}")
    for target in sorted(lessons_dir.glob("*.ipynb")):
        if target.name not in expected:
            problems.append(f"extra: {target}")
    return problems
