"""The course taught with the real nbgrader: release, autograde and feedback, for one early
and one late lesson (docs/teaching.md).

For each lesson: ``python -m course_lib.authoring nbgrader`` lays out a course directory,
``nbgrader generate_assignment`` must release exactly ``lessons/``'s code cells, and
``nbgrader autograde`` grades three submissions: the solution notebook (full points), the
released notebook unchanged (0 points), and every exercise done right but one (exactly that
check's points lost); ``nbgrader generate_feedback`` must show the student the check's
explanation of the mistake.

nbgrader is optional (``pip install -e ".[instructor]"``): without it these tests skip,
unless ``COURSE_REQUIRE_NBGRADER=1`` (set by ``.ci/run``), which turns the skip into an error.
The commands run in a temporary course directory with a temporary HOME, so grading can
only use the submission folder and the installed course_lib.
"""
from __future__ import annotations

import copy
import html
import importlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import course_lib
from course_lib.checks import ExerciseError

if os.environ.get("COURSE_REQUIRE_NBGRADER") == "1":
    import nbgrader  # noqa: F401 (CI must run these tests: a missing nbgrader is an error)
else:
    pytest.importorskip("nbgrader")
from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ("solution", "untouched", "one_wrong")

# lesson -> (exercise done wrong, its wrong cell, checker module, checker)
WRONG = {
    "02_autograd": (
        "mul_backward",
        "def mul_backward(a, b, grad):\n    return a * grad, b * grad\n",
        "course_lib.checks.autograd",
        "check_mul_backward",
    ),
    "11_optimizers_are_chains": (
        "add_decayed_weights",
        "def add_decayed_weights(weight_decay):\n"
        "    def init(params):\n"
        "        return ch.EmptyState()\n\n"
        "    def update(updates, state, params=None):\n"
        "        return [u - weight_decay * p for u, p in zip(updates, params)], state\n\n"
        "    return ch.GradientTransformation(init, update)\n",
        "course_lib.checks.chains",
        "check_add_decayed_weights",
    ),
}
LESSONS = list(WRONG)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def nbgrader_meta(cell: dict) -> dict:
    return cell["metadata"].get("nbgrader", {})


def one_wrong(released: dict, source: dict, lesson: str) -> dict:
    """The released notebook with every exercise done as in the solution, but one done wrong."""
    name, wrong_source, _, _ = WRONG[lesson]
    answers = {cell["id"]: cell["source"] for cell in source["cells"]}
    nb = copy.deepcopy(released)
    done = []
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("solution"):
            grade_id = nbgrader_meta(cell)["grade_id"]
            cell["source"] = wrong_source if grade_id == name else answers[cell["id"]]
            done.append(grade_id)
    assert name in done, f"{lesson} has no exercise {name}: {done}"
    return nb


class Course:
    """A temporary nbgrader course directory and the nbgrader commands run in it."""

    def __init__(self, folder: Path):
        self.dir = folder / "course"
        home = folder / "home"
        home.mkdir()
        self.env = dict(os.environ)
        self.env.update(
            HOME=str(home),  # no instructor's ~/.jupyter or ~/.nbgrader config
            JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
            # the course_lib under test, the one an instructor would have installed
            PYTHONPATH=str(Path(course_lib.__file__).resolve().parents[1]),
            PYTHONHASHSEED="0",
        )
        self.env.pop("MPLBACKEND", None)
        self.log: list[tuple[str, int, float]] = []

    def run(self, *argv: str) -> None:
        """Run a command in the course directory; it must exit 0 and log no error."""
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", *argv], cwd=self.dir, env=self.env,
                                capture_output=True, text=True, timeout=600)
        self.log.append((" ".join(argv), result.returncode, time.perf_counter() - start))
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        # traitlets only *logs* a broken nbgrader_config.py and goes on with nbgrader's defaults
        assert "| ERROR]" not in output, output

    def nbgrader(self, *args: str) -> None:
        self.run("nbgrader", *args, "--log-level=WARN")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Lay out, release, submit three times, autograde and give feedback, for both lessons."""
    course = Course(tmp_path_factory.mktemp("nbgrader"))
    course.dir.mkdir()
    course.run("course_lib.authoring", "--solutions", str(ROOT / "solutions"), "nbgrader", ".",
               *(arg for lesson in LESSONS for arg in ("--lesson", lesson)))
    for lesson in LESSONS:
        course.nbgrader("generate_assignment", lesson)
        source = read(course.dir / "source" / lesson / f"{lesson}.ipynb")
        released = read(course.dir / "release" / lesson / f"{lesson}.ipynb")
        submissions = {"solution": source, "untouched": released, "one_wrong": one_wrong(released, source, lesson)}
        for student, nb in submissions.items():
            write(course.dir / "submitted" / student / lesson / f"{lesson}.ipynb", nb)
        course.nbgrader("autograde", lesson)
        course.nbgrader("generate_feedback", lesson)
    yield course
    # shown with `pytest -s`: what docs/teaching.md and the closing note quote
    width = max(len(command) for command, _, _ in course.log)
    print("\n" + "\n".join(f"{c:<{width}}  exit {rc}  {t:5.1f} s" for c, rc, t in course.log))
    for lesson in LESSONS:
        scores = {s: sum(grades(course, lesson, s).values()) for s in STUDENTS}
        print(lesson, "points:", ", ".join(f"{s} {v:g}/{sum(points(course, lesson).values()):g}"
                                           for s, v in scores.items()))


def grades(course: Course, lesson: str, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course.dir / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(lesson, lesson, student)
        return {grade.name: grade.score for grade in notebook.grades}


def points(course: Course, lesson: str) -> dict[str, float]:
    """Each check's points, from the metadata of nbgrader's source notebook."""
    source = read(course.dir / "source" / lesson / f"{lesson}.ipynb")
    return {m["grade_id"]: m["points"] for m in map(nbgrader_meta, source["cells"]) if m.get("grade")}


def code_cells(nb: dict) -> list[tuple]:
    return [
        (cell["id"], cell["source"], cell["outputs"], cell["execution_count"], cell["metadata"].get("tags"))
        for cell in nb["cells"] if cell["cell_type"] == "code"
    ]


@pytest.mark.parametrize("lesson", LESSONS)
def test_release_has_the_code_cells_of_lessons(course, lesson):
    released = read(course.dir / "release" / lesson / f"{lesson}.ipynb")
    lesson_nb = read(ROOT / "lessons" / f"{lesson}.ipynb")
    assert code_cells(released) == code_cells(lesson_nb)  # sources, outputs, ids and tags
    assert [c["source"] for c in released["cells"]] == [c["source"] for c in lesson_nb["cells"]]


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_gets_full_points(course, lesson):
    expected = points(course, lesson)
    assert len(expected) >= 4
    assert grades(course, lesson, "solution") == expected


@pytest.mark.parametrize("lesson", LESSONS)
def test_unchanged_release_gets_zero(course, lesson):
    assert grades(course, lesson, "untouched") == {check: 0 for check in points(course, lesson)}


@pytest.mark.parametrize("lesson", LESSONS)
def test_one_wrong_exercise_loses_exactly_its_checks_points(course, lesson):
    checker = WRONG[lesson][3]
    expected = dict(points(course, lesson), **{checker: 0})
    assert grades(course, lesson, "one_wrong") == expected


def feedback_text(course: Course, lesson: str, student: str) -> str:
    page = (course.dir / "feedback" / student / lesson / f"{lesson}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_the_checks_explanation(course, lesson):
    _, wrong_source, module, checker = WRONG[lesson]
    namespace = {"ch": importlib.import_module("course_lib.optim.chain")}
    exec(wrong_source, namespace)
    with pytest.raises(ExerciseError) as error:
        getattr(importlib.import_module(module), checker)(namespace[WRONG[lesson][0]])
    explanation = str(error.value)
    assert "likely mistake" in explanation or "expected" in explanation
    text = feedback_text(course, lesson, "one_wrong")
    for line in explanation.splitlines():
        assert line in text
    assert "ExerciseError" not in feedback_text(course, lesson, "solution")


def test_every_command_succeeded(course):
    assert [rc for _, rc, _ in course.log] == [0] * (1 + 3 * len(LESSONS))


def test_course_directory_holds_nothing_of_the_instructors_machine(course):
    """Released and source notebooks carry no path of the machine that made them."""
    for path in [*course.dir.glob("source/*/*.ipynb"), *course.dir.glob("release/*/*.ipynb")]:
        text = path.read_text(encoding="utf-8")
        assert str(ROOT) not in text and str(course.dir) not in text, path
