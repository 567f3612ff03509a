"""Exercise checks: compare a student's function with the reference and explain the difference.

Each lesson's checkers live in a module of this package (``course_lib.checks.autograd``,
``course_lib.checks.optimizers``, ...) and are built from the helpers re-exported here
(see ``course_lib/checks/_core.py`` for a complete example)::

    from course_lib.checks import run_cases
    run_cases("mul_backward", mul_backward, reference, cases, diagnose=diagnose)
    # ✓ mul_backward: 5 cases match the reference.
"""
from ._core import (
    ATOL,
    RTOL,
    ExerciseError,
    allclose,
    assert_close,
    call_student,
    describe_difference,
    format_value,
    report_success,
    run_cases,
)

__all__ = [
    "ATOL",
    "RTOL",
    "ExerciseError",
    "allclose",
    "assert_close",
    "call_student",
    "describe_difference",
    "format_value",
    "report_success",
    "run_cases",
]
