"""nbgrader's cell metadata written by ``build``, and the course directory of ``nbgrader``.

These tests need nbformat only; tests/test_nbgrader.py runs the real nbgrader.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

from course_lib.authoring import build, checker_called, make_course  # noqa: E402
from course_lib.authoring.__main__ import main  # noqa: E402
from course_lib.authoring._build import graded_solution, lesson_number, read_solution  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

EXERCISE = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
CHECK = "from course_lib.checks.start import check_f\ncheck_f(f)"


def solution(folder: Path, cells, name="03_demo.ipynb") -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def built(tmp_path, cells, name="03_demo.ipynb"):
    solution(tmp_path / "solutions", cells, name)
    build(tmp_path / "solutions", tmp_path / "lessons")
    return nbformat.read(tmp_path / "lessons" / name, as_version=4).cells


def grading(cells):
    return [c.metadata.get("nbgrader") for c in cells]


def test_exercise_is_a_solution_cell_and_check_a_locked_test_worth_one_point(tmp_path):
    cells = built(tmp_path, [new_markdown_cell("# Demo"), new_code_cell(EXERCISE), new_code_cell(CHECK),
                             new_code_cell("print(1)")])
    assert grading(cells) == [
        None,
        {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3, "solution": True, "task": False},
        {"grade": True, "grade_id": "check_f", "locked": True, "points": 1, "schema_version": 3,
         "solution": False, "task": False},
        None,
    ]


def test_points_tag_sets_the_points(tmp_path):
    check = new_code_cell(CHECK, metadata={"tags": ["raises-exception", "points-2.5"]})
    cells = built(tmp_path, [new_code_cell(EXERCISE), check])
    assert cells[1].metadata.nbgrader["points"] == 2.5
    assert cells[1].metadata.tags == ["raises-exception", "points-2.5"]  # the tag stays, as every tag does


def test_two_points_tags_are_an_error(tmp_path):
    check = new_code_cell(CHECK, metadata={"tags": ["points-2", "points-3"]})
    with pytest.raises(ValueError, match=r"03_demo.ipynb, cell 1: tags \['points-2', 'points-3'\]"):
        built(tmp_path, [new_code_cell(EXERCISE), check])


def test_grade_ids_are_names_so_inserting_a_cell_renames_nothing(tmp_path):
    method = "class Opt:\n    def step(self):\n        ### BEGIN SOLUTION\n        pass\n        ### END SOLUTION"
    first = built(tmp_path / "a", [new_code_cell(method), new_code_cell(CHECK)])
    second = built(tmp_path / "b", [new_code_cell("x = 1"), new_code_cell(method), new_code_cell(CHECK)])
    assert [m["grade_id"] for m in grading(first)] == ["Opt", "check_f"]
    assert [m and m["grade_id"] for m in grading(second)] == [None, "Opt", "check_f"]


def test_a_name_used_twice_gets_a_suffix(tmp_path):
    cells = built(tmp_path, [new_code_cell(EXERCISE), new_code_cell(CHECK), new_code_cell(EXERCISE),
                             new_code_cell(CHECK)])
    assert [m["grade_id"] for m in grading(cells)] == ["f", "check_f", "f-2", "check_f-2"]


@pytest.mark.parametrize(
    ("source", "checker"),
    [
        (CHECK, "check_f"),
        ("from course_lib.checks.start import check_f\n\ncheck_f(f)  # run me", "check_f"),
        # a call inside a def or try only shows what a check says: not graded
        ("from course_lib.checks.start import check_f\ntry:\n    check_f(g)\nexcept Exception as e:\n    print(e)", None),
        ("check_f(f)", None),  # not one of the course's checks
        ("from course_lib.checks.start import check_f", None),
    ],
)
def test_checker_called_at_top_level_only(source, checker):
    assert checker_called(source) == checker


def test_rebuild_is_byte_identical_and_metadata_is_the_only_addition(tmp_path):
    cells = [new_code_cell(EXERCISE, metadata={"tags": ["x"]}), new_code_cell(CHECK)]
    path = solution(tmp_path / "solutions", cells)
    build(tmp_path / "solutions", tmp_path / "lessons")
    first = (tmp_path / "lessons" / path.name).read_bytes()
    (tmp_path / "lessons" / path.name).unlink()
    assert build(tmp_path / "solutions", tmp_path / "lessons") == [tmp_path / "lessons" / path.name]
    assert (tmp_path / "lessons" / path.name).read_bytes() == first
    source = json.loads(path.read_text())["cells"]
    lesson = json.loads(first)["cells"]
    assert [{k: v for k, v in c["metadata"].items() if k != "nbgrader"} for c in lesson] == [
        c["metadata"] for c in source
    ]


def test_every_exercise_of_the_course_is_checked_by_the_next_cell():
    """The course's rule (CONTRIBUTING.md), on which grading one point per check relies."""
    problems, checked = [], 0
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = graded_solution(read_solution(path), lesson_number(path), str(path))
        code = [c for c in nb.cells if c.cell_type == "code"]
        kinds = [c.metadata.get("nbgrader", {}) for c in code]
        for index, meta in enumerate(kinds):
            if meta.get("solution") and not (index + 1 < len(kinds) and kinds[index + 1].get("grade")):
                problems.append(f"{path.name}: exercise {meta['grade_id']} has no check cell right after it")
        if not any(meta.get("grade") for meta in kinds) and any(meta.get("solution") for meta in kinds):
            problems.append(f"{path.name}: exercises but no graded check")
        checked += sum(bool(meta.get("grade")) for meta in kinds)
    assert problems == []
    assert checked >= 40  # the rule was really applied to the course's checks


def test_nbgrader_command_lays_out_source_config_and_data_files(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solution(solutions, [new_code_cell(EXERCISE), new_code_cell(CHECK)], "03_demo.ipynb")
    solution(solutions, [new_code_cell("print(2)")], "04_other.ipynb")
    (solutions / "03_points.csv").write_text("1,2\n")
    (solutions / "03_images").mkdir()
    (solutions / "03_images" / "a.txt").write_text("a")
    course = tmp_path / "course"
    assert main(["--solutions", str(solutions), "nbgrader", str(course), "--lesson", "03"]) == 0
    assert "nbgrader course ready" in capsys.readouterr().out
    files = sorted(str(p.relative_to(course)) for p in course.rglob("*") if p.is_file())
    assert files == ["nbgrader_config.py", "source/03_demo/03_demo.ipynb", "source/03_demo/03_images/a.txt",
                     "source/03_demo/03_points.csv"]
    source = nbformat.read(course / "source/03_demo/03_demo.ipynb", as_version=4)
    assert "### BEGIN SOLUTION" in source.cells[0].source  # nbgrader's source is the solution
    assert [m["grade_id"] for m in grading(source.cells)] == ["f", "check_f"]
    assert "release_preprocessors()" in (course / "nbgrader_config.py").read_text()


def test_nbgrader_command_keeps_an_edited_config_and_refreshes_sources(tmp_path):
    solutions = tmp_path / "solutions"
    path = solution(solutions, [new_code_cell(EXERCISE), new_code_cell(CHECK)])
    course = tmp_path / "course"
    make_course(solutions, course)
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'mine'\n")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\nprint('more')"
    nbformat.write(nb, path)
    written = make_course(solutions, course)
    assert written == [course / "source/03_demo/03_demo.ipynb"]
    assert "mine" in (course / "nbgrader_config.py").read_text()
    assert "print('more')" in (course / "source/03_demo/03_demo.ipynb").read_text()


def test_nbgrader_command_names_a_missing_lesson(tmp_path, capsys):
    solution(tmp_path / "solutions", [new_code_cell("x = 1")])
    assert main(["--solutions", str(tmp_path / "solutions"), "nbgrader", str(tmp_path / "c"), "--lesson", "07"]) == 1
    assert "no lesson 07" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_course_lib_imports_without_nbgrader(tmp_path):
    """nbgrader is the instructor extra: every public module must import without it."""
    code = (
        "import sys, importlib, pkgutil, course_lib\n"
        "sys.modules['nbgrader'] = None  # as if not installed\n"
        "for info in pkgutil.walk_packages(course_lib.__path__, 'course_lib.'):\n"
        "    if not any(part.startswith('_') for part in info.name.split('.')):\n"
        "        importlib.import_module(info.name)\n"
        "from course_lib.authoring import release_preprocessors\n"
        "try:\n"
        "    release_preprocessors()\n"
        "except ImportError:\n"
        "    print('ImportError')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (result.returncode, result.stdout) == (0, "ImportError\n"), result.stderr
