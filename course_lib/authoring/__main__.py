"""Command line: ``python -m course_lib.authoring build|check|execute|nbgrader``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build, check, execute_notebook, make_course
from ._stubs import MarkerError


def main(argv: list[str] | None = None) -> int:
    """Run one authoring command; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.authoring",
        description="Generate and check the student notebooks (lessons/) from solutions/.",
    )
    parser.add_argument("--solutions", default="solutions", help="folder of solution notebooks")
    parser.add_argument("--lessons", default="lessons", help="folder of student notebooks")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="regenerate lessons/ from solutions/")
    commands.add_parser("check", help="exit 1 if lessons/ differs from what build would write")
    run = commands.add_parser("execute", help="re-execute notebooks in place and save outputs")
    run.add_argument("files", nargs="+", type=Path, help="notebooks to execute")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    grader = commands.add_parser(
        "nbgrader", help="lay out an nbgrader course directory (source/ and nbgrader_config.py)"
    )
    grader.add_argument("course_dir", type=Path, help="the nbgrader course directory")
    grader.add_argument("--lesson", action="append", dest="lesson_names", metavar="NN",
                        help="only this lesson (number or name); repeat for more")
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            changed = build(args.solutions, args.lessons)
            for path in changed:
                print(f"{'wrote' if path.exists() else 'deleted'} {path}")
            print(f"lessons up to date ({len(changed)} file(s) changed)")
        elif args.command == "check":
            problems = check(args.solutions, args.lessons)
            for problem in problems:
                print(problem)
            if problems:
                print("lessons/ is out of sync; help: run `python -m course_lib.authoring build`.")
                return 1
            print("lessons/ is in sync with solutions/")
        elif args.command == "nbgrader":
            written = make_course(args.solutions, args.course_dir, args.lesson_names)
            for path in written:
                print(f"wrote {path}")
            print(
                f"nbgrader course ready in {args.course_dir}; help: cd there and run "
                "`nbgrader generate_assignment NN_name` (see docs/teaching.md)."
            )
        else:
            from nbclient.exceptions import CellExecutionError  # dev dependency

            for path in args.files:
                print(f"executing {path} ...", flush=True)
                try:
                    execute_notebook(path, timeout=args.timeout)
                except CellExecutionError as error:
                    print(f"error: {path} was not saved: a cell raised\n{error}", file=sys.stderr)
                    return 1
            print("done; help: run `python -m course_lib.authoring build` to refresh lessons/.")
    except (MarkerError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
