"""What every exercise check is built from: cases, a reference, a table of likely mistakes (wrong
functions), run by :func:`run_cases` (stateful exercises: :func:`compare`, :func:`require`). A message::

    mul_backward gives a wrong answer on case "scalars" (1 of 2).
      inputs:         a = 2.0, b = 3.0, grad = 1.0
      your result:    (2.0, 3.0)
      expected:       (3.0, 2.0)
      difference:     element 0: yours is 2.0, expected 3.0
      likely mistake: the gradient of a*b with respect to a is b*grad; yours looks like a*grad.

from a checker that is a few lines of data::

    MUL_MISTAKES = [
        ("the gradient of a*b with respect to a is b*grad; yours looks like a*grad.",
         lambda a, b, grad: (a * grad, b * grad)),
    ]

    def check_mul_backward(mul_backward):
        run_cases("mul_backward", mul_backward, lambda a, b, grad: (b * grad, a * grad), {
            "scalars": (2.0, 3.0, 1.0),
            "vectors": (np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, 0.5])),
        }, mistakes=MUL_MISTAKES)

which prints ``✓ mul_backward: 2 cases match the reference.`` When the student's code raises, the
message quotes their own line and the hint; Jupyter shows no traceback through ``course_lib``.
"""
from __future__ import annotations

import copy
import inspect
import os
import re
import sysconfig
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

from ..tensor import Tensor

RTOL = 1e-5  # float32 results computed in a different order agree to about 1e-6
ATOL = 1e-6
EXACT = {"rtol": 1e-9, "atol": 1e-12}  # float64 throughout: only rounding may differ
_STUB = re.compile(r"Exercise (\d+\.\d+): complete `([^`]+)`")
# Frames that are never the student's: course_lib itself, the standard library, installed packages (numpy).
_NOT_STUDENT = tuple({os.path.dirname(os.path.dirname(os.path.abspath(__file__))), *(
    os.path.abspath(sysconfig.get_path(key)) for key in ("stdlib", "platstdlib", "purelib", "platlib"))})
_NOTHING = object()
_SHOWN = 6  # entries of a dict, tuple or list of arrays that a message shows

# Crashes that mean the same thing in every exercise: (exception type, words in it, hint).
COMMON_CRASHES = [
    (RuntimeError, "ambiguous", "`p in a_list` (and `==`) compare tensors element by element; "
                                "compare the objects themselves with `is`, or their id(p)."),
    (RuntimeError, "in-place operation", "update the parameters inside `with torch.no_grad():`, "
                                         "so that the update itself is not recorded in the graph."),
]


class ExerciseError(Exception):
    """A student's answer differs from the reference; in Jupyter only this message shows, in red."""

    def _render_traceback_(self) -> list[str]:
        """The lines IPython prints instead of a traceback through ``course_lib``."""
        lines = str(self).splitlines() or [""]
        return [f"\x1b[1;31mExerciseError\x1b[0m: {lines[0]}", *lines[1:]]


def fail(headline: str, inputs: str | None = None, got: Any = _NOTHING, expected: Any = _NOTHING,
         hint: str | None = None, difference: str | None = None, code: str | None = None,
         cause: BaseException | None = None) -> NoReturn:
    """Raise the one message format: what differs, then the student's line that raised (``code``),
    the inputs, the student's result, the expected one, the difference and the likely mistake."""
    got, expected = (None if v is _NOTHING else format_value(v) for v in (got, expected))
    rows = zip(["your code", "inputs", "your result", "expected", "difference", "likely mistake"],
               [code, inputs, got, expected, difference, hint])
    lines = [headline] + [f"  {label + ':':<16}{text}" for label, text in rows if text is not None]
    raise ExerciseError("\n".join(lines)) from cause


def _your_line(error: BaseException) -> str | None:
    """``line N, in fn: code`` of the innermost frame outside course_lib and installed code (the student's)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not os.path.abspath(frame.filename).startswith(_NOT_STUDENT):
            code = (frame.line or "").strip()
            return f"line {frame.lineno}, in {frame.name}" + (f": {code}" if code else "")
    return None


def call_student(fn: Callable, *args: Any, where: str | None = None, inputs: str | None = None,
                 crashes: Sequence = (), expect: tuple[type[BaseException], ...] = (), **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, with an unfinished exercise or a crash (in ``where``, on ``inputs``) turned
    into a short message; ``crashes`` are ``(exception type, words, hint)`` rows (before :data:`COMMON_CRASHES`);
    exceptions of the ``expect`` types are an answer, raised unchanged."""
    name = getattr(fn, "__qualname__", repr(fn))
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as error:
        match = _STUB.search(str(error))
        todo = (f"Exercise {match[1]} is not done yet: complete `{match[2]}`" if match
                else f"`{name}` is not done yet: complete it")
    except (ExerciseError, *expect):
        raise
    except Exception as error:  # the student's own bug: their line and the hint, not our frames
        hint = next((h for kind, words, h in [*crashes, *COMMON_CRASHES]
                     if isinstance(error, kind) and words in str(error)), None)
        fail(f"{where or name} raised {type(error).__name__}: {error}", inputs, hint=hint, code=_your_line(error),
             cause=error)
    raise ExerciseError(f"{todo} above, then run this cell again.") from None  # outside except: no chained traceback


def _as_array(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _is_container(expected: Any) -> bool:
    """Compare element by element (tuples, dicts, lists of arrays) instead of as one array."""
    return isinstance(expected, (tuple, Mapping)) or isinstance(expected, list) and not all(
        isinstance(x, (int, float, np.number, np.bool_)) for x in expected)


def format_value(x: Any, precision: int = 4) -> str:
    """A short, rounded, one-line text for a number, array, Tensor, tuple or None."""
    if x is None or isinstance(x, (str, bool)):
        return repr(x)
    if isinstance(x, Mapping):  # a whole checkpoint would fill the screen: its first entries say enough
        items = [f"{k!r}: {format_value(v, precision)}" for k, v in list(x.items())[:_SHOWN]]
        return "{" + ", ".join(items + ["..."] * (len(x) > _SHOWN)) + "}"
    if _is_container(x):
        inner = ", ".join([format_value(v, precision) for v in list(x)[:_SHOWN]] + ["..."] * (len(x) > _SHOWN))
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
    if x is None:
        return "None"
    name = ("course_lib Tensor" if isinstance(x, Tensor) else
            "numpy array" if isinstance(x, np.ndarray) else type(x).__name__)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def describe_difference(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """How ``got`` differs from ``expected``, in one sentence; None when they match: same shapes and
    ``|got - expected| <= atol + rtol * |expected|`` elementwise (NaN matches NaN); tuples, lists of
    arrays and dicts element by element; a Tensor (an integer one) where the reference returns one."""
    if expected is None:
        return None if got is None else f"your result is {format_value(got)}, expected None"
    if got is None:
        return "your function returned None; did you forget `return`?"
    if isinstance(got, str) or isinstance(expected, str):  # e.g. "raises RuntimeError": no tolerance
        return None if got == expected else f"your result is {format_value(got)}, expected {format_value(expected)}"
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
    if g.dtype.kind in "biuf" and e.dtype.kind in "biuf":
        return _describe_numbers(g, e, rtol, atol)
    return None if np.array_equal(g, e) else f"your result is {format_value(got)}, expected {format_value(expected)}"


def _describe_container(got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """Element by element: the first element (or key) that differs."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"your result is {_kind(got)}, expected a dict with keys {sorted(expected)}"
        if set(got) != set(expected):
            return f"your result has keys {sorted(got)}, expected {sorted(expected)}"
        pairs = [(repr(k), got[k], expected[k]) for k in expected]
    else:
        if not isinstance(got, (tuple, list)):
            return f"your result is {_kind(got)}, expected a {type(expected).__name__} of {len(expected)} values"
        if len(got) != len(expected):
            return f"your result has {len(got)} value{'' if len(got) == 1 else 's'}, expected {len(expected)}"
        pairs = [(str(i), g, e) for i, (g, e) in enumerate(zip(got, expected))]
    for label, g, e in pairs:  # "your function returned None" would blame the whole result
        problem = f"yours is None, expected {_kind(e)}" if g is None and e is not None else describe_difference(
            g, e, rtol, atol)
        if problem:
            return f"element {label}: {problem}"
    return None


def _describe_numbers(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str | None:
    """Arrays of one shape: the first element outside the tolerance, and how many."""
    if e.dtype.kind in "biu" and g.dtype.kind in "biu":
        wrong = g != e
    else:
        g64, e64 = g.astype(np.float64), e.astype(np.float64)
        with np.errstate(invalid="ignore"):
            close = (g64 == e64) | (np.abs(g64 - e64) <= atol + rtol * np.abs(e64))
        wrong = ~(close | (np.isnan(g64) & np.isnan(e64)))
    if not wrong.any():
        return None
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    for precision in (4, 8, 12, 17):  # enough digits to tell them apart: "0.4, expected 0.4" says nothing
        yours, expected = format_value(g[index], precision), format_value(e[index], precision)
        if yours != expected:
            break
    if e.ndim == 0:
        return f"yours is {yours}, expected {expected}"
    return f"at index {index} yours is {yours}, expected {expected} ({int(wrong.sum())} of {e.size} elements differ)"


def allclose(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when ``got`` matches ``expected`` (as in :func:`describe_difference`); never raises."""
    try:
        return describe_difference(got, expected, rtol, atol) is None
    except Exception:
        return False


def first_match(got: Any, mistakes: Sequence[tuple[str, Any]], rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """The hint of the first likely mistake whose value ``got`` equals (a value None: skipped; a
    callable: a predicate ``value(got) -> bool``), else a hint for nan/inf, else None."""
    for hint, wrong in mistakes:
        if wrong is not None and (wrong(got) if callable(wrong) else allclose(got, wrong, rtol, atol)):
            return hint
    if any(not_finite(g) for g in (got if _is_container(got) else [got])):
        return "your result holds nan or inf: look for a division by zero or the square root of a negative number."
    return None


def compare(got: Any, expected: Any, what: str = "your result", inputs: str | None = None, hint: str | None = None,
            mistakes: Sequence[tuple[str, Any]] = (), rtol: float = RTOL, atol: float = ATOL) -> None:
    """The stateful sibling of :func:`run_cases`: one value of a run (``what``, e.g. "the buffer after
    step 2", with the step's ``inputs``) against the reference; raises "{what} is wrong." (a ``what``
    ending in "." is the whole first line) with ``hint`` or the first of ``mistakes`` that ``got`` equals."""
    problem = describe_difference(got, expected, rtol, atol)
    if problem is not None:
        fail(what if what.endswith(".") else f"{what} is wrong.", inputs, got, expected,
             hint or first_match(got, mistakes, rtol, atol), problem)


assert_close = compare  # the earlier name, kept for lessons that call it


def require(checks: Sequence[tuple[Any, str, str]], inputs: str | None = None) -> None:
    """Stateful checks as data: ``(is_wrong, first line, likely mistake)`` rows; the first wrong one
    fails. ``is_wrong`` may be a function, called only when the rows above it passed."""
    for wrong, headline, hint in checks:
        if wrong() if callable(wrong) else wrong:
            fail(headline, inputs, hint=hint)


def not_finite(got: Any) -> bool:
    """A likely-mistake predicate: ``got`` holds inf or nan (e.g. a division by zero)."""
    try:
        array = _as_array(got)  # None or an object array is not "nan": it holds no numbers at all
        return array.dtype.kind in "fc" and not np.all(np.isfinite(array))
    except (TypeError, ValueError, AttributeError):
        return False


def rounded_normal(rng: np.random.Generator, shape: tuple[int, ...] = (3,)) -> np.ndarray:
    """Case data: standard normal numbers rounded to 3 decimals, so that messages show them exactly."""
    return np.round(rng.normal(size=shape), 3)


def identical(a: Any, b: Any) -> bool:
    """Exact equality (no tolerance; NaN equals NaN) of nested values, arrays and Tensors: the purity checks."""
    return allclose(a, b, rtol=0.0, atol=0.0)


def run_cases(name: str, student_fn: Callable, reference_fn: Callable, cases: Sequence[tuple] | Mapping[str, tuple],
              mistakes: Sequence[tuple[Any, Callable]] = (),
              diagnose: Callable[[dict, Any, Any], str | None] | None = None,
              observe: Callable[[tuple, Any], Any] | None = None, pure: str | None = None, crashes: Sequence = (),
              rtol: float = RTOL, atol: float = ATOL, what: str = "cases") -> None:
    """Run the student's function and the reference on each case (argument tuples; a dict names them), each
    on its own copy; print one line or raise. ``mistakes``: ``(hint, wrong_fn)`` rows, ``wrong_fn`` with the
    reference's signature (it may return None: does not apply; a hint may be ``hint(*args) -> str``); then
    ``diagnose({parameter: value}, got, expected) -> hint``. ``observe(args, returned)``: the value compared;
    ``pure``: the hint when the arguments change; ``crashes``: see :func:`call_student`; ``what``: the noun."""
    labelled = list(cases.items()) if isinstance(cases, Mapping) else [(None, c) for c in cases]
    names = list(inspect.signature(reference_fn).parameters)
    for number, (label, args) in enumerate(labelled, start=1):
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        case = f'case "{label}" ({number} of {len(labelled)})' if label else f"case {number} of {len(labelled)}"
        named = {names[i] if i < len(names) else f"arg{i}": value for i, value in enumerate(args)}
        inputs = ", ".join(f"{k} = {format_value(v)}" for k, v in named.items())
        expected_args, student_args = copy.deepcopy(args), copy.deepcopy(args)
        expected = reference_fn(*expected_args)
        got = call_student(student_fn, *student_args, where=f"{name} on {case}", inputs=inputs, crashes=crashes)
        if pure and not identical(student_args, args):
            changed = [k for k, new, old in zip(named, student_args, args) if not identical(new, old)]
            fail(f"{name} changed its arguments in place on {case}: {', '.join(changed)}.", inputs, hint=pure)
        if observe is not None:
            got, expected = observe(student_args, got), observe(expected_args, expected)
        problem = describe_difference(got, expected, rtol, atol)
        if problem is None:
            continue
        hint = first_match(got, [(h, _try(wrong, args, observe)) for h, wrong in mistakes], rtol, atol)
        if callable(hint):  # a hint that quotes the case: hint(*args) -> str
            hint = hint(*copy.deepcopy(args))
        if hint is None and diagnose is not None:
            try:
                hint = diagnose(copy.deepcopy(named), got, expected)
            except Exception:  # a diagnosis is only a guess: never hide the main message
                hint = None
        fail(f"{name} gives a wrong answer on {case}.", inputs, got, expected, hint, problem)
    report_success(name, len(labelled), what)


def _try(wrong: Callable, args: tuple, observe: Callable | None) -> Any:
    """A likely mistake's answer on a copy of ``args`` (None when it does not apply)."""
    args = copy.deepcopy(args)
    try:
        with np.errstate(all="ignore"):
            value = wrong(*args)
    except Exception:  # the wrong formula may not even be defined here
        return None
    return observe(args, value) if observe is not None and value is not None else value


def report_success(name: str, count: int, what: str = "cases") -> None:
    """Print the one success line: ``✓ mul_backward: 5 cases match the reference.``"""
    noun = what if count != 1 else what.rstrip("s")
    print(f"\u2713 {name}: {count} {noun} match{'es' if count == 1 else ''} the reference.")
