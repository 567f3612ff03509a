"""What every exercise check is built from: compare, explain, fail short.

A lesson's checker runs the student's function next to the reference from ``course_lib``
and either prints one line or raises an :class:`ExerciseError` that says what came back,
what was expected, on which input, and the likely mistake. In Jupyter the error shows as
that short message only, not as a traceback through the library.

Example (a checker in ``course_lib/checks/autograd.py``)::

    from ._core import allclose, run_cases

    def _reference(a, b, grad):
        return b * grad, a * grad

    def _diagnose(inputs, got, expected):
        a, b, grad = inputs["a"], inputs["b"], inputs["grad"]
        if allclose(got[0], a * grad):
            return "the gradient of a*b with respect to a should be b*grad; yours looks like a*grad."
        return None

    def check_mul_backward(mul_backward):
        \"\"\"Check the student's ``mul_backward(a, b, grad) -> (grad_a, grad_b)``.\"\"\"
        run_cases("mul_backward", mul_backward, _reference, {
            "scalars": (2.0, 3.0, 1.0),
            "vectors": (np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, 0.5])),
        }, diagnose=_diagnose)

which prints ``✓ mul_backward: 2 cases match the reference.`` or raises, e.g.::

    ExerciseError: mul_backward gives a wrong answer on case "vectors" (2 of 2).
      inputs:      a = [1. 2.], b = [3. 4.], grad = [1.  0.5]
      your result: element 0: at index (0,) yours is 1, expected 3
      likely mistake: the gradient of a*b with respect to a should be b*grad; yours looks like a*grad.
"""
from __future__ import annotations

import copy
import inspect
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor

RTOL = 1e-5  # float32 results computed in a different order agree to about 1e-6
ATOL = 1e-6
_STUB = re.compile(r"Exercise (\d+\.\d+): complete `([^`]+)`")


class ExerciseError(Exception):
    """A student's answer differs from the reference; the message explains how.

    In IPython/Jupyter only the message is shown (``_render_traceback_``), in red, so
    the student reads the explanation instead of a traceback through ``course_lib``.
    """

    def _render_traceback_(self) -> list[str]:
        """The lines IPython prints instead of a traceback."""
        lines = str(self).splitlines() or [""]
        return [f"\x1b[1;31mExerciseError\x1b[0m: {lines[0]}", *lines[1:]]


def call_student(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, turning an unfinished exercise into a friendly message.

    Raises:
        ExerciseError: ``fn`` still raises the ``NotImplementedError`` stub, e.g.
            "Exercise 02.3 is not done yet: complete `mul_backward` above, then run this
            cell again."
    """
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as error:
        match = _STUB.search(str(error))
        if match:
            exercise, name = match.groups()
            message = (
                f"Exercise {exercise} is not done yet: complete `{name}` above, then run this cell again."
            )
        else:
            name = getattr(fn, "__qualname__", repr(fn))
            message = f"`{name}` is not done yet: complete it above, then run this cell again."
    raise ExerciseError(message) from None  # outside ``except``: no chained library traceback


# ---------------------------------------------------------------- comparing values
def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.number, np.bool_))


def _as_array(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _is_container(expected: Any) -> bool:
    """Compare element by element (tuples, dicts, lists of arrays) instead of as one array."""
    if isinstance(expected, (tuple, Mapping)):
        return True
    return isinstance(expected, list) and not all(_is_number(x) for x in expected)


def format_value(x: Any, precision: int = 4) -> str:
    """A short, rounded, one-line text for a number, array, Tensor, tuple or None."""
    if x is None or isinstance(x, (str, bool)):
        return repr(x)
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{k!r}: {format_value(v, precision)}" for k, v in x.items()) + "}"
    if _is_container(x):
        inner = ", ".join(format_value(v, precision) for v in x)
        if isinstance(x, tuple):
            return f"({inner},)" if len(x) == 1 else f"({inner})"  # (3,) is a tuple, (3) is not
        return f"[{inner}]"
    try:
        array = _as_array(x)
    except Exception:  # an object we cannot show as numbers: its repr says enough
        return repr(x)
    if array.dtype == object:
        return repr(x)
    if array.ndim == 0:
        if array.dtype.kind != "f":
            return str(array.item())
        text = f"{array.item():.{precision}g}"
        return text if any(c in text for c in ".ein") else text + ".0"  # 2.0, not 2
    # A Tensor reads like torch's repr (commas); a numpy array like numpy's (spaces).
    separator = ", " if isinstance(x, Tensor) else " "
    text = np.array2string(array, precision=precision, threshold=20, edgeitems=3, separator=separator)
    text = re.sub(r"\s+([,\]])", r"\1", " ".join(text.split()))  # no alignment padding
    return f"tensor({text})" if isinstance(x, Tensor) else text


def _kind(x: Any) -> str:
    if isinstance(x, Tensor):
        return "a course_lib Tensor"
    if isinstance(x, np.ndarray):
        return "a numpy array"
    return f"a {type(x).__name__}"


def describe_difference(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """How ``got`` differs from ``expected``, in one sentence; None when they match.

    Numbers, arrays and Tensors match when shapes agree and
    ``|got - expected| <= atol + rtol * |expected|`` elementwise (NaN matches NaN).
    Tuples, lists of arrays and dicts are compared element by element. A Tensor is
    expected where the reference returns one, and an integer Tensor where it returns one.
    """
    if expected is None:
        return None if got is None else f"your result is {format_value(got)}, expected None"
    if got is None:
        return "your function returned None; did you forget `return`?"
    if _is_container(expected):
        return _describe_container(got, expected, rtol, atol)
    if isinstance(expected, Tensor) and not isinstance(got, Tensor):
        return f"your result is {_kind(got)}, expected a course_lib Tensor"
    try:
        g, e = _as_array(got), _as_array(expected)
    except Exception:
        return f"your result is {_kind(got)}, expected {_kind(expected)}"
    if g.shape != e.shape:
        return f"your result has shape {g.shape}, expected {e.shape}"
    if isinstance(got, Tensor) and (g.dtype.kind == "f") != (e.dtype.kind == "f"):
        # Float vs integer matters in torch (class labels, indices); float32 vs float64 does not here.
        return f"your result has dtype {got.dtype}, expected {expected.dtype}"
    if g.dtype.kind not in "biuf" or e.dtype.kind not in "biuf":
        # Strings, objects: no tolerance, plain equality.
        if np.array_equal(g, e):
            return None
        return f"your result is {format_value(got)}, expected {format_value(expected)}"
    return _describe_numbers(g, e, rtol, atol)


def _describe_container(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """Element by element: the first element (or key) that differs."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping) or set(got) != set(expected):
            keys = sorted(got) if isinstance(got, Mapping) else None
            return f"your result has keys {keys}, expected {sorted(expected)}"
        pairs = [(repr(k), got[k], expected[k]) for k in expected]
    else:
        if not isinstance(got, (tuple, list)):
            return f"your result is {_kind(got)}, expected a {type(expected).__name__} of {len(expected)} values"
        if len(got) != len(expected):
            noun = "value" if len(got) == 1 else "values"
            return f"your result has {len(got)} {noun}, expected {len(expected)}"
        pairs = [(str(i), g, e) for i, (g, e) in enumerate(zip(got, expected))]
    for label, g, e in pairs:
        problem = describe_difference(g, e, rtol, atol)
        if problem:
            return f"element {label}: {problem}"
    return None


def _distinct_texts(got: Any, expected: Any) -> tuple[str, str]:
    """Both values with just enough digits to tell them apart (0.4 vs 0.4 says nothing)."""
    for precision in (4, 8, 12, 17):
        texts = format_value(got, precision), format_value(expected, precision)
        if texts[0] != texts[1]:
            break
    return texts


def _describe_numbers(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str | None:
    """Arrays of the same shape: the first element outside the tolerance, and how many."""
    if e.dtype.kind in "biu" and g.dtype.kind in "biu":
        wrong = g != e
    else:
        g64, e64 = g.astype(np.float64), e.astype(np.float64)
        with np.errstate(invalid="ignore"):
            close = np.abs(g64 - e64) <= atol + rtol * np.abs(e64)
        wrong = ~(close | (np.isnan(g64) & np.isnan(e64)))
    if not wrong.any():
        return None
    if e.ndim == 0:
        yours, expected = _distinct_texts(g, e)
        return f"yours is {yours}, expected {expected}"
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    yours, expected = _distinct_texts(g[index], e[index])
    return (
        f"at index {index} yours is {yours}, expected {expected}"
        f" ({int(wrong.sum())} of {e.size} elements differ)"
    )


def allclose(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when ``got`` matches ``expected`` (same rules as :func:`describe_difference`).

    Handy inside a ``diagnose`` function: ``if allclose(got, a * grad): return "..."``.
    Never raises: values that cannot be compared are simply not close.
    """
    try:
        return describe_difference(got, expected, rtol, atol) is None
    except Exception:
        return False


def assert_close(
    got: Any,
    expected: Any,
    what: str = "your result",
    inputs: str | None = None,
    hint: str | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Raise :class:`ExerciseError` unless ``got`` matches ``expected``.

    Args:
        got: the student's value.
        expected: the reference value.
        what: what is being compared, e.g. ``"the momentum buffer after step 2"``.
        inputs: a description of the input, shown in the message.
        hint: the likely mistake, shown in the message.
    """
    problem = describe_difference(got, expected, rtol, atol)
    if problem is not None:
        raise ExerciseError(_message(f"{what} is wrong.", inputs, got, expected, problem, hint)) from None


def _message(headline, inputs, got, expected, problem, hint) -> str:
    lines = [headline]
    if inputs:
        lines.append(f"  inputs:      {inputs}")
    lines.append(f"  your result: {format_value(got)}")
    lines.append(f"  expected:    {format_value(expected)}")
    lines.append(f"  difference:  {problem}")
    if hint:
        lines.append(f"  likely mistake: {hint}")
    return "\n".join(lines)


# ---------------------------------------------------------------- running cases
def _named_inputs(reference_fn: Callable, args: tuple) -> dict[str, Any]:
    """``{parameter name: value}`` for positional ``args`` of ``reference_fn``."""
    try:
        names = list(inspect.signature(reference_fn).parameters)
    except (TypeError, ValueError):
        names = []
    return {names[i] if i < len(names) else f"arg{i}": value for i, value in enumerate(args)}


def run_cases(
    name: str,
    student_fn: Callable,
    reference_fn: Callable,
    cases: Sequence[tuple] | Mapping[str, tuple],
    diagnose: Callable[[dict, Any, Any], str | None] | None = None,
    observe: Callable[[tuple, Any], Any] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Run ``student_fn`` and ``reference_fn`` on every case; print one line or raise.

    Each function gets its own deep copy of the arguments, so a function that changes its
    inputs in place cannot disturb the other one.

    Args:
        name: the exercise's function name, used in the messages.
        student_fn: the student's function.
        reference_fn: the reference (usually from ``course_lib``), same signature.
        cases: argument tuples, or ``{label: argument tuple}`` to name each case (a list
            is read as a tuple of arguments: pass one list argument as ``(values,)``).
        diagnose: ``diagnose(inputs, got, expected) -> str | None`` maps a wrong answer to
            the likely mistake; ``inputs`` is ``{parameter name: value}`` (names from the
            reference's signature).
        observe: ``observe(args, returned) -> value to compare``; default: the returned
            value. For an in-place function use e.g. ``observe=lambda args, _: args[0]``.
        rtol, atol: tolerances, as in ``numpy.allclose``.

    Raises:
        ExerciseError: the exercise is not done yet, or a case gives a wrong answer.
    """
    labelled = list(cases.items()) if isinstance(cases, Mapping) else [(None, c) for c in cases]
    for number, (label, args) in enumerate(labelled, start=1):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        expected_args = copy.deepcopy(args)
        expected = reference_fn(*expected_args)
        student_args = copy.deepcopy(args)
        try:
            got = call_student(student_fn, *student_args)
        except ExerciseError:
            raise
        except Exception as error:  # the student's own bug: keep their traceback, say which case
            error.add_note(f"(while checking {name} on case {number}: {_describe_inputs(reference_fn, args)})")
            raise
        if observe is not None:
            got, expected = observe(student_args, got), observe(expected_args, expected)
        problem = describe_difference(got, expected, rtol, atol)
        if problem is None:
            continue
        hint = None
        if diagnose is not None:
            try:
                hint = diagnose(_named_inputs(reference_fn, copy.deepcopy(args)), got, expected)
            except Exception:  # a diagnosis is only a guess: never hide the main message
                hint = None
        case = f'case "{label}" ({number} of {len(labelled)})' if label else f"case {number} of {len(labelled)}"
        headline = f"{name} gives a wrong answer on {case}."
        raise ExerciseError(
            _message(headline, _describe_inputs(reference_fn, args), got, expected, problem, hint)
        ) from None
    report_success(name, len(labelled))


def _describe_inputs(reference_fn: Callable, args: tuple) -> str:
    return ", ".join(f"{k} = {format_value(v)}" for k, v in _named_inputs(reference_fn, args).items())


def report_success(name: str, count: int, what: str = "cases") -> None:
    """Print the one success line: ``✓ mul_backward: 5 cases match the reference.``"""
    noun = what if count != 1 else what.rstrip("s")
    print(f"\u2713 {name}: {count} {noun} match{'es' if count == 1 else ''} the reference.")
