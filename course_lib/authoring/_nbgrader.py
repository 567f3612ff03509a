"""``nbgrader``: lay out an nbgrader course directory from ``solutions/``.

For every ``solutions/NN_name.ipynb``::

    COURSE_DIR/
      nbgrader_config.py              the course's settings (written once, then yours to edit)
      source/NN_name/NN_name.ipynb    the solution with nbgrader's cell metadata
      source/NN_name/...              data files of the lesson: solutions/NN_* that are not notebooks

after which nbgrader's own commands run unchanged (``nbgrader generate_assignment NN_name``,
``autograde``, ``generate_feedback``). The config makes ``generate_assignment`` produce
exactly what ``build`` writes to ``lessons/`` (``release_preprocessors``), and gives a
cell of a lesson the time the slowest cell needs.

Grading needs nothing but the submission folder and the installed ``course_lib``: the
checks are ``course_lib.checks``, and the lessons' data sets ship inside the package.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from ._build import graded_solution, lesson_number, notebook_bytes, read_solution

CONFIG_NAME = "nbgrader_config.py"
CONFIG = '''\
"""nbgrader settings for the optimizer course; made by `python -m course_lib.authoring nbgrader`.

Edit freely (this file is never overwritten); see docs/teaching.md in the course repository.
"""
from course_lib.authoring import release_preprocessors

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "optim-course"

# The released notebook is exactly lessons/NN_name.ipynb: the same stubs
# ("Exercise 02.1: complete `mul_backward` ..."), the same figures and outputs.
c.GenerateAssignment.preprocessors = release_preprocessors()

# A lesson's slowest cell (the capstone's training runs) needs far more than nbgrader's 30 s.
c.Execute.timeout = 600
'''


def release_preprocessors() -> list:
    """The steps of ``nbgrader generate_assignment`` that release exactly ``lessons/``.

    nbgrader's own steps, with the course's ``MakeLesson`` (the stubs and cleared outputs
    of ``build``) in place of nbgrader's ``ClearSolutions`` and ``ClearOutput``. For
    ``nbgrader_config.py``: ``c.GenerateAssignment.preprocessors = release_preprocessors()``.

    Raises:
        ImportError: nbgrader is not installed (``pip install -e ".[instructor]"``).
    """
    from ._release import release_steps  # nbgrader is the instructor extra: imported when used

    return release_steps()


def _data_files(solutions_dir: Path, notebook: Path) -> list[Path]:
    """Files and folders ``solutions/NN_*`` of the lesson that are not notebooks."""
    prefix = notebook.name[:3]  # "02_"
    return sorted(
        path for path in solutions_dir.glob(prefix + "*")
        if path.suffix != ".ipynb" and not path.name.startswith(".")
    )


def make_course(solutions_dir: str | Path, course_dir: str | Path, lessons: list[str] | None = None) -> list[Path]:
    """Write (or refresh) nbgrader's ``source/`` folder and config in ``course_dir``.

    Args:
        solutions_dir: the course's ``solutions/`` folder.
        course_dir: the nbgrader course directory (created when missing).
        lessons: lesson numbers or names to lay out (``["02", "11_optimizers_are_chains"]``);
            all lessons when None.

    Returns:
        The files written (source notebooks, data files, and the config when it was missing).

    Raises:
        FileNotFoundError: no ``solutions_dir``, or a requested lesson is not there.
        MarkerError: a solution block with unmatched markers (nothing is written).
    """
    solutions_dir, course_dir = Path(solutions_dir), Path(course_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"no solutions folder at {solutions_dir}; help: run from the course folder.")
    notebooks = sorted(solutions_dir.glob("*.ipynb"))
    if lessons is not None:
        wanted = set(lessons)
        chosen = [p for p in notebooks if p.stem in wanted or lesson_number(p) in wanted]
        missing = wanted - {p.stem for p in chosen} - {lesson_number(p) for p in chosen}
        if missing:
            raise FileNotFoundError(
                f"no lesson {', '.join(sorted(missing))} in {solutions_dir}; "
                f"help: name a lesson by number or name, e.g. {notebooks[0].stem if notebooks else '02'}."
            )
        notebooks = chosen
    sources = {}  # everything is built before anything is written
    for path in notebooks:
        sources[path] = notebook_bytes(graded_solution(read_solution(path), lesson_number(path), str(path)))

    written = []
    for path, data in sources.items():
        folder = course_dir / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).write_bytes(data)
        written.append(folder / path.name)
        for extra in _data_files(solutions_dir, path):
            target = folder / extra.name
            if extra.is_dir():
                shutil.copytree(extra, target, dirs_exist_ok=True)
            else:
                shutil.copyfile(extra, target)
            written.append(target)
    config = course_dir / CONFIG_NAME
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
        written.append(config)
    return written
