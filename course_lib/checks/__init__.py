"""Exercise checks: compare a student's function with the reference and explain the difference.

Each lesson's checkers live in a module of this package (``course_lib.checks.autograd``, ...), built from
the pattern in ``_core.py``: cases, a reference, and a table of likely mistakes (``run_cases``).
"""
from ._core import (ATOL, RTOL, ExerciseError, allclose, assert_close, call_student, compare, describe_difference, fail,
                    first_match, format_value, report_success, run_cases)

__all__ = ["ATOL", "RTOL", "ExerciseError", "allclose", "assert_close", "call_student", "compare",
           "describe_difference", "fail", "first_match", "format_value", "report_success", "run_cases"]
