"""``course_lib.authoring``: lessons/ generated from solutions/, on small fixture notebooks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from course_lib.authoring import MarkerError, build, check, execute_notebook, replace_solutions  # noqa: E402
from course_lib.authoring.__main__ import main  # noqa: E402

MUL = '''def mul_backward(a, b, grad):
    """Gradients of a * b."""
    ### BEGIN SOLUTION
    return b * grad, a * grad
    ### END SOLUTION'''

METHOD = '''class SGD:
    def step(self):
        for p in self.params:
            ### BEGIN SOLUTION
            p -= self.lr * p.grad
            ### END SOLUTION
        return None'''


def stub(number: str, name: str, indent: str = "    ") -> str:
    return f'{indent}raise NotImplementedError("Exercise {number}: complete `{name}` where it is defined, then run the check right after it.")'


def executed(source: str, text: str, count: int, tags=()):
    cell = new_code_cell(source, execution_count=count, metadata={"tags": list(tags)} if tags else {})
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    return cell


def without_nbgrader(metadata):
    return {key: value for key, value in metadata.items() if key != "nbgrader"}


def write_solution(folder, name="02_autograd.ipynb", cells=None):
    """A small solution notebook: markdown, setup, two exercises, their checks."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells if cells is not None else [
        new_markdown_cell("# Autograd\nThe markers `### BEGIN SOLUTION` are explained here."),
        executed("x = 3\nprint(x)", "3\n", 1),
        executed(MUL + "\nprint('defined')", "defined\n", 2),
        executed("print(mul_backward(2, 3, 1))", "(3, 2)\n", 3, tags=["raises-exception"]),
        executed("print('answer: 42')", "answer: 42\n", 4, tags=["hide-output"]),
        executed("print('instructor note')", "note\n", 5, tags=["solution-only"]),
        executed(METHOD, "", 6),
        executed("print('after')", "after\n", 7),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


@pytest.fixture
def course(tmp_path):
    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    write_solution(solutions)
    return solutions, lessons


def read_lesson(lessons, name="02_autograd.ipynb"):
    return nbformat.read(lessons / name, as_version=4)


def test_build_replaces_solution_blocks_with_numbered_stubs(course):
    solutions, lessons = course
    build(solutions, lessons)
    cells = read_lesson(lessons).cells
    assert cells[2].source == (
        'def mul_backward(a, b, grad):\n    """Gradients of a * b."""\n'
        + stub("02.1", "mul_backward")
        + "\nprint('defined')"
    )
    # the second exercise is a method, nested one level deeper: indentation follows the block
    assert cells[5].source.splitlines()[3] == stub("02.2", "SGD.step", indent=" " * 12)
    assert "p -= self.lr" not in cells[5].source
    assert cells[5].source.endswith("        return None")


def test_build_keeps_markdown_and_other_cells_identical(course):
    solutions, lessons = course
    build(solutions, lessons)
    source = nbformat.read(solutions / "02_autograd.ipynb", as_version=4)
    lesson = read_lesson(lessons)
    kept = [c for c in source.cells if "solution-only" not in c.metadata.get("tags", [])]
    assert [c.id for c in lesson.cells] == [c.id for c in kept]
    # the only metadata build adds is nbgrader's, on the two exercise cells (tests/test_grading.py)
    assert [i for i, c in enumerate(lesson.cells) if "nbgrader" in c.metadata] == [2, 5]
    assert [without_nbgrader(c.metadata) for c in lesson.cells] == [c.metadata for c in kept]
    assert lesson.cells[0] == kept[0]  # markdown mentioning the marker is left alone
    assert lesson.cells[1] == kept[1] and lesson.cells[6] == kept[6]  # outputs and counts kept
    assert lesson.metadata == source.metadata


def test_build_clears_outputs_that_give_answers_away(course):
    solutions, lessons = course
    build(solutions, lessons)
    cells = read_lesson(lessons).cells
    for index in (2, 3, 4, 5):  # solution blocks, raises-exception, hide-output
        assert cells[index].outputs == [] and cells[index].execution_count is None, index
    assert cells[1].outputs[0].text == "3\n" and cells[1].execution_count == 1


def test_build_drops_solution_only_cells(course):
    solutions, lessons = course
    build(solutions, lessons)
    sources = [c.source for c in read_lesson(lessons).cells]
    assert len(sources) == 7
    assert "print('instructor note')" not in sources


def test_rebuild_of_unchanged_source_is_byte_identical(course):
    solutions, lessons = course
    assert len(build(solutions, lessons)) == 1
    first = (lessons / "02_autograd.ipynb").read_bytes()
    assert first.endswith(b"}\n")
    assert build(solutions, lessons) == []  # nothing to write
    assert (lessons / "02_autograd.ipynb").read_bytes() == first
    (lessons / "02_autograd.ipynb").unlink()
    build(solutions, lessons)
    assert (lessons / "02_autograd.ipynb").read_bytes() == first


def test_check_passes_after_build(course):
    solutions, lessons = course
    build(solutions, lessons)
    assert check(solutions, lessons) == []
    assert main(["--solutions", str(solutions), "--lessons", str(lessons), "check"]) == 0


def test_check_fails_when_a_solution_line_is_deleted_without_rebuilding(course, capsys):
    solutions, lessons = course
    build(solutions, lessons)
    path = solutions / "02_autograd.ipynb"
    nb = nbformat.read(path, as_version=4)
    lines = nb.cells[2].source.splitlines()
    assert lines.pop(1) == '    """Gradients of a * b."""'  # the instructor deletes a line, forgets to rebuild
    nb.cells[2].source = "\n".join(lines)
    nbformat.write(nb, path)
    assert check(solutions, lessons) == [f"stale: {lessons / '02_autograd.ipynb'}"]
    assert main(["--solutions", str(solutions), "--lessons", str(lessons), "check"]) == 1
    assert "stale" in capsys.readouterr().out


def test_check_ignores_edits_inside_a_solution_block(course):
    solutions, lessons = course
    build(solutions, lessons)
    path = solutions / "02_autograd.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("return b * grad, a * grad", "return grad * b, grad * a")
    nbformat.write(nb, path)
    assert check(solutions, lessons) == []  # the student never sees the block, so nothing is stale


def test_check_lists_missing_and_extra_lessons(course):
    solutions, lessons = course
    build(solutions, lessons)
    write_solution(solutions, "03_descent.ipynb")
    (lessons / "99_old.ipynb").write_text("{}")
    assert check(solutions, lessons) == [
        f"missing: {lessons / '03_descent.ipynb'}",
        f"extra: {lessons / '99_old.ipynb'}",
    ]
    build(solutions, lessons)  # build writes the missing one and deletes the extra one
    assert check(solutions, lessons) == []
    assert not (lessons / "99_old.ipynb").exists()


def test_exercises_are_numbered_by_lesson_and_order_across_cells(tmp_path):
    cells = [new_code_cell(f"def f{i}():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION") for i in range(3)]
    build(write_solution(tmp_path / "s", "11_chains.ipynb", cells).parent, tmp_path / "l")
    sources = [c.source for c in read_lesson(tmp_path / "l", "11_chains.ipynb").cells]
    assert sources == [f"def f{i}():\n" + stub(f"11.{i + 1}", f"f{i}") for i in range(3)]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    pass", "without a matching '### END SOLUTION'"),
        ("def f():\n    pass\n    ### END SOLUTION", "without a matching '### BEGIN SOLUTION'"),
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION", "inside the block"),
        ("def f():\n    ### BEGIN SOLUTION here\n    ### END SOLUTION", "malformed marker"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "not inside a def or class"),
    ],
)
def test_marker_mismatch_names_notebook_and_cell(tmp_path, source, words):
    cells = [new_markdown_cell("intro"), new_code_cell(source)]
    solutions = write_solution(tmp_path / "solutions", "04_opt.ipynb", cells).parent
    with pytest.raises(MarkerError, match="04_opt.ipynb, cell 1") as info:
        build(solutions, tmp_path / "lessons")
    assert words in str(info.value)
    assert not (tmp_path / "lessons").exists()  # nothing is written when a source is broken


def test_solution_file_must_be_named_with_a_lesson_number(tmp_path):
    write_solution(tmp_path / "solutions", "autograd.ipynb")
    with pytest.raises(ValueError, match="NN_name.ipynb"):
        build(tmp_path / "solutions", tmp_path / "lessons")


def test_cells_without_ids_are_refused_because_nbformat_would_invent_random_ones(tmp_path):
    path = write_solution(tmp_path / "solutions")
    raw = json.loads(path.read_text())
    del raw["cells"][1]["id"]
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=r"02_autograd.ipynb, cell 1: the cell has no id"):
        build(tmp_path / "solutions", tmp_path / "lessons")


def test_old_notebooks_without_any_ids_build_byte_identically(tmp_path):
    path = write_solution(tmp_path / "solutions")
    raw = json.loads(path.read_text())
    raw["nbformat_minor"] = 4
    for cell in raw["cells"]:
        del cell["id"]
    path.write_text(json.dumps(raw))
    build(tmp_path / "solutions", tmp_path / "lessons")
    first = (tmp_path / "lessons" / "02_autograd.ipynb").read_bytes()
    (tmp_path / "lessons" / "02_autograd.ipynb").unlink()
    build(tmp_path / "solutions", tmp_path / "lessons")
    assert (tmp_path / "lessons" / "02_autograd.ipynb").read_bytes() == first
    assert check(tmp_path / "solutions", tmp_path / "lessons") == []


def test_replace_solutions_keeps_lines_outside_blocks():
    source = "def f(x):\n    y = 2\n    ### BEGIN SOLUTION\n    return x * y\n    ### END SOLUTION\n# done"
    text, names = replace_solutions(source, "05", 4, "nb, cell 0")
    assert names == ["f"]
    assert text == "def f(x):\n    y = 2\n" + stub("05.4", "f") + "\n# done"


def test_stub_raises_not_implemented_when_the_lesson_runs(course):
    solutions, lessons = course
    build(solutions, lessons)
    namespace: dict = {}
    exec(read_lesson(lessons).cells[2].source, namespace)  # the definition itself runs
    with pytest.raises(NotImplementedError, match=r"Exercise 02\.1: complete `mul_backward`"):
        namespace["mul_backward"](1, 2, 3)


def test_import_course_lib_and_authoring_does_not_need_nbformat():
    code = "import sys, course_lib, course_lib.authoring; print('nbformat' in sys.modules, 'nbclient' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_execute_saves_outputs_without_timing_in_the_notebook_folder(tmp_path):
    pytest.importorskip("nbclient")
    (tmp_path / "marker.txt").write_text("found")
    cells = [new_code_cell("print(open('marker.txt').read())"), new_code_cell("print(sorted({3, 1, 2}))")]
    path = write_solution(tmp_path, "00_start.ipynb", cells)
    execute_notebook(path)
    first = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    assert [c.outputs[0].text for c in nb.cells] == ["found\n", "[1, 2, 3]\n"]
    assert [c.execution_count for c in nb.cells] == [1, 2]
    assert all("execution" not in c.metadata for c in nb.cells)
    execute_notebook(path)
    assert path.read_bytes() == first  # deterministic: a second run saves the same bytes


def test_coalesce_streams_merges_consecutive_prints():
    from course_lib.authoring._execute import _coalesce_streams

    cell = new_code_cell("print('a', end=''); print('b')")
    cell.outputs = [
        new_output("stream", name="stdout", text="a"),
        new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="warning\n"),
        new_output("stream", name="stdout", text="c\n"),
    ]
    nb = new_notebook(cells=[cell, new_markdown_cell("text")])
    _coalesce_streams(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [
        ("stdout", "ab\n"), ("stderr", "warning\n"), ("stdout", "c\n"),
    ]
