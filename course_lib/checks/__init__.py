"""Exercise checks: each lesson's checkers (``course_lib.checks.autograd``, ...) compare a student's function
with the reference and name the likely mistake, with the one pattern of ``_core.py`` (``run_cases``)."""
from ._core import (ATOL, RTOL, ExerciseError, allclose, assert_close, call_student, compare, describe_difference, fail,
                    first_match, format_value, report_success, run_cases)

__all__ = ["ATOL", "RTOL", "ExerciseError", "allclose", "assert_close", "call_student", "compare",
           "describe_difference", "fail", "first_match", "format_value", "report_success", "run_cases"]
