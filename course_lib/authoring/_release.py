"""The nbgrader step that makes the released notebook exactly the lesson ``build`` writes.

nbgrader's own ``ClearSolutions`` puts the same ``# YOUR CODE HERE / raise
NotImplementedError()`` in every exercise and ``ClearOutput`` drops every figure; the
course's lessons instead name each exercise (``Exercise 02.1: complete `mul_backward` ...``,
which the checks quote back to the student) and keep the lesson's pictures. So
``nbgrader_config.py`` (written by ``python -m course_lib.authoring nbgrader``) runs
nbgrader's ``generate_assignment`` with :class:`MakeLesson` in place of those two steps::

    from course_lib.authoring import release_preprocessors
    c.GenerateAssignment.preprocessors = release_preprocessors()

Every other step (locking check cells, checksums, the gradebook) is nbgrader's own.
This module imports nbgrader, an optional dependency (``pip install -e ".[instructor]"``),
so it is private and imported only by ``release_preprocessors``.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearOutput, ClearSolutions, NbGraderPreprocessor

from ._build import lesson_number, make_lesson


class MakeLesson(NbGraderPreprocessor):
    """Turn ``source/NN_name/NN_name.ipynb`` into ``lessons/NN_name.ipynb``'s cells."""

    def preprocess(self, nb, resources):
        """The lesson version of the solution ``nb`` (stubs, cleared answers, no solution-only cells)."""
        name = resources["nbgrader"]["notebook"]
        where = f"source/{resources['nbgrader']['assignment']}/{name}.ipynb"
        return make_lesson(nb, lesson_number(Path(name + ".ipynb")), where), resources


def release_steps() -> list:
    """nbgrader's ``generate_assignment`` steps, with :class:`MakeLesson` for ClearSolutions
    and without ClearOutput."""
    default = GenerateAssignment.class_traits()["preprocessors"].default()
    steps = [MakeLesson if step is ClearSolutions else step for step in default if step is not ClearOutput]
    if MakeLesson not in steps:
        raise RuntimeError(
            "this nbgrader's generate_assignment has no ClearSolutions step to replace; "
            "help: install the version the course supports: pip install -e \".[instructor]\"."
        )
    return steps
