"""Scaffolding shared by the tests of the lessons' checkers (``tests/test_checks_*.py``).

Every checker promises three things: it accepts the reference (printing one ``✓`` line),
it names an exercise a student has not started (a stub raising the lessons'
``NotImplementedError``), and it diagnoses typical mistakes. The first two are the same
for every lesson, so :func:`checker_contract` writes those tests once.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from course_lib.checks import ExerciseError
from course_lib.checks._schedules import lr_trajectory


def stub(exercise: str, name: str) -> Callable[..., Any]:
    """What a student's untouched exercise does: raise the lessons' ``NotImplementedError``."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Exercise {exercise}: complete `{name}`, then run the check below.")

    return fn


def fails_with(check: Callable[[Any], None], answer: Any, *words: str) -> str:
    """Run ``check(answer)``, expect an ExerciseError containing every word; return its message."""
    with pytest.raises(ExerciseError) as info:
        check(answer)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


def checker_contract(checkers: Sequence[tuple[Callable, Any, str, str]]) -> tuple[Callable, Callable]:
    """The two tests every lesson's checkers share, parametrized over ``checkers``.

    Args:
        checkers: ``(checker, reference, name, exercise)`` rows, e.g.
            ``(check_fit, training.fit, "fit", "10.4")``.

    Returns:
        ``(accepts_the_reference, names_an_unfinished_exercise)``: assign them to
        module-level ``test_...`` names so that pytest collects them.
    """
    ids = [name for _, _, name, _ in checkers]
    rows = pytest.mark.parametrize("checker, reference, name, exercise", checkers, ids=ids)

    @rows
    def accepts_the_reference(checker, reference, name, exercise, capsys):
        checker(reference)
        assert capsys.readouterr().out.startswith(f"\u2713 {name}")

    @rows
    def names_an_unfinished_exercise(checker, reference, name, exercise):
        expected = rf"Exercise {re.escape(exercise)} is not done yet: complete `{re.escape(name)}`"
        with pytest.raises(ExerciseError, match=expected):
            checker(stub(exercise, name))

    return accepts_the_reference, names_an_unfinished_exercise


def torch_lrs(make_scheduler: Callable[[Any, Any], Any], base_lr: float, n_steps: int) -> list[float]:
    """torch's learning rate at steps ``0 .. n_steps - 1`` (skips the test without torch).

    ``make_scheduler(torch.optim.lr_scheduler, optimizer)`` builds the schedule on an SGD over
    one zero parameter, run as the checkers run course_lib's (``lr_trajectory``).
    """
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    return lr_trajectory(optimizer, make_scheduler(torch.optim.lr_scheduler, optimizer), n_steps)
