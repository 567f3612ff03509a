"""Course authoring: one source (``solutions/``), two versions (``solutions/``, ``lessons/``).

From the course folder::

    python -m course_lib.authoring build     # regenerate lessons/ from solutions/
    python -m course_lib.authoring check     # exit 1 and list files if lessons/ is stale
    python -m course_lib.authoring execute solutions/05_momentum.ipynb   # re-run, save outputs
    python -m course_lib.authoring nbgrader COURSE_DIR   # an nbgrader course from solutions/

The same as functions: ``build(solutions_dir, lessons_dir)``, ``check(solutions_dir,
lessons_dir)`` (a list of problems, empty when in sync), ``execute_notebook(path)`` and
``make_course(solutions_dir, course_dir)``. ``build`` also writes nbgrader's cell metadata
(``_grading.py``), so an instructor can grade the lessons with nbgrader (docs/teaching.md).

nbformat and nbclient are development dependencies; they are imported only when one of
these functions runs, so ``import course_lib`` does not need them.
"""
from ._build import build, check, make_lesson, notebook_bytes
from ._execute import execute_notebook
from ._grading import add_grading_metadata, checker_called
from ._nbgrader import make_course, release_preprocessors
from ._stubs import BEGIN, END, MarkerError, replace_solutions, stub_line

__all__ = [
    "BEGIN",
    "END",
    "MarkerError",
    "add_grading_metadata",
    "build",
    "check",
    "checker_called",
    "execute_notebook",
    "make_course",
    "make_lesson",
    "notebook_bytes",
    "release_preprocessors",
    "replace_solutions",
    "stub_line",
]
