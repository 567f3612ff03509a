"""Turn the source of one solution cell into the student's version.

A solution block is the lines between nbgrader's markers::

    def mul_backward(a, b, grad):
        ### BEGIN SOLUTION
        return b * grad, a * grad
        ### END SOLUTION

and becomes one line with the block's indentation::

    def mul_backward(a, b, grad):
        raise NotImplementedError("Exercise 02.3: complete `mul_backward` where it is defined, then run the check right after it.")

This module is pure text processing (no nbformat), so it is easy to test on its own.
"""
from __future__ import annotations

import re

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"

# A line that opens a function or class; group 1 is its indentation, group 3 its name.
_DEF_OR_CLASS = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)")


class MarkerError(ValueError):
    """A solution block whose markers do not pair up, or that is not inside a def/class."""


def stub_line(indent: str, lesson: str, exercise: int, name: str) -> str:
    """The line that replaces a solution block in the student's notebook."""
    return (
        f'{indent}raise NotImplementedError("Exercise {lesson}.{exercise}: '
        f'complete `{name}` where it is defined, then run the check right after it.")'
    )


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def enclosing_name(lines: list[str], index: int) -> str | None:
    """Name of the def/class around ``lines[index]``, e.g. ``"SGD.step"`` for a method.

    Scans upward for the nearest ``def``/``class`` line that is less indented than
    ``lines[index]``; if it is a ``def`` directly inside a class, the class name is
    prefixed so that a student sees which ``step`` is meant. None at the top level.
    """
    width = len(_indent(lines[index]))
    found: list[tuple[str, str]] = []  # (kind, name), innermost first
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or len(_indent(line)) >= width:
            continue  # blank lines, comments and deeper lines say nothing about nesting
        width = len(_indent(line))
        match = _DEF_OR_CLASS.match(line)
        if match:
            found.append((match.group(2), match.group(3)))
            if len(found) == 2:
                break
        if width == 0:
            break
    if not found:
        return None
    if len(found) == 2 and found[0][0] == "def" and found[1][0] == "class":
        return f"{found[1][1]}.{found[0][1]}"
    return found[0][1]


def replace_solutions(
    source: str, lesson: str, first_exercise: int, where: str
) -> tuple[str, list[str]]:
    """Replace every solution block in ``source`` by a ``NotImplementedError`` stub.

    Args:
        source: a code cell's text.
        lesson: the two-digit lesson number, e.g. ``"02"``.
        first_exercise: the number the first block in this cell gets (1-based).
        where: notebook and cell, for error messages (``"solutions/02_autograd.ipynb, cell 7"``).

    Returns:
        The new text and the names of the exercises found, in order.

    Raises:
        MarkerError: a BEGIN without END, an END without BEGIN, nested BEGINs, a marker
            line with extra text, or a block outside any def/class.
    """
    lines = source.split("\n")
    out: list[str] = []
    names: list[str] = []
    begin_at: int | None = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        is_begin, is_end = stripped == BEGIN, stripped == END
        if not (is_begin or is_end) and ("BEGIN SOLUTION" in line or "END SOLUTION" in line):
            raise MarkerError(
                f"{where}, line {number + 1}: malformed marker {stripped!r}; "
                f"help: a marker must be alone on its line, exactly {BEGIN!r} or {END!r}."
            )
        if is_begin:
            if begin_at is not None:
                raise MarkerError(
                    f"{where}, line {number + 1}: {BEGIN!r} inside the block opened on line "
                    f"{begin_at + 1}; help: close each block with {END!r} before opening another."
                )
            begin_at = number
            name = enclosing_name(lines, number)
            if name is None:
                raise MarkerError(
                    f"{where}, line {number + 1}: the solution block is not inside a def or class; "
                    "help: put the exercise in the body of a function the student completes."
                )
            names.append(name)
            out.append(stub_line(_indent(line), lesson, first_exercise + len(names) - 1, name))
        elif is_end:
            if begin_at is None:
                raise MarkerError(
                    f"{where}, line {number + 1}: {END!r} without a matching {BEGIN!r}."
                )
            begin_at = None
        elif begin_at is None:
            out.append(line)
    if begin_at is not None:
        raise MarkerError(
            f"{where}, line {begin_at + 1}: {BEGIN!r} without a matching {END!r}; "
            "help: end the block in the same cell."
        )
    return "\n".join(out), names
