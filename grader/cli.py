"""The `grade` command. Each command parses, calls one library function, renders, exits."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from grader.course import Course, find_course
from grader.errors import ExitCode, GraderError, SandboxError
from grader.grading import DEFAULT_SEED
from grader.batch import find_entries, run_batch
from grader.export import FORMATS, export
from grader.gradebook import Gradebook
from grader.sandbox.devices import DEVICES
from grader.render import Progress, batch_table, submission_text
from grader.notebook import exercise_notebook, write_notebook
from grader.recorded import make_recording, write_recording
from grader.release import write_release
from grader.session import Session
from grader.submission import read_submission
from grader.validate import Verdict, validate, verdicts_json


def _one_line_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A user error is one line on stderr and a fixed exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GraderError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt as exc:  # Ctrl-C: one line saying what was kept, no traceback
            click.echo(f"\ninterrupted{f': {exc}' if str(exc) else ''}", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper


class ChapterFirst(click.Group):
    """`grade chapter1 ...` is short for `grade check chapter1 ...`."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: ANN201
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "check", self.commands["check"], args
        return super().resolve_command(ctx, args)


course_option = click.option(
    "--course", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Course folder (holding exercises/). Default: $TF_GRADER_COURSE, else the nearest "
    "folder up from here that holds exercises/.",
)  # fmt: skip
device_option = click.option(
    "--device", type=click.Choice(DEVICES), default="auto", show_default=True,
    help="Where submissions run: auto uses a GPU when TensorFlow sees one; gpu fails "
    "clearly where there is none. The device is recorded in every result.",
)  # fmt: skip
seed_option = click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True,
    help="Seed of the inputs the checks try; the same seed gives the same score.",
)  # fmt: skip


def _course(path: Path | None) -> Course:
    if path is None:
        return find_course()
    if not (path / "exercises").is_dir():
        raise GraderError(f"{path} holds no exercises/ folder")
    return Course(path.resolve())


@click.group(cls=ChapterFirst, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tf-grader")
def main() -> None:
    """Grade TensorFlow/Keras exercises.

    \b
      grade chapter1                      grade your exercises/chapter1/
      grade chapter1 --submission f.py    grade a file or folder elsewhere
      grade list                          chapters and their checks
      grade validate                      references score full marks, stubs zero
      grade notebook chapter1             write the exercise as a Jupyter notebook
      grade record chapter1               record reference observations (instructor)
      grade release OUT/                  write the student's copy of the course
      grade batch chapter1 submissions/   grade a class into a gradebook

    Exit codes: 0 the run completed (whatever the score), 1 validation failed,
    2 bad input (no such chapter, unreadable submission), 3 the sandbox could not start,
    130 interrupted (Ctrl-C; a batch keeps every row it graded).
    """


@main.command("check")
@click.argument("chapter")
@click.option("--submission", type=click.Path(path_type=Path), default=None,
              help="A .py file, a Jupyter notebook (.ipynb) or a folder holding the chapter's module. "
              "Default: exercises/CHAPTER/.")
@click.option("--json", "as_json", is_flag=True, help="Print the result model as JSON.")
@click.option("--pictures", type=click.Path(file_okay=False, path_type=Path),
              default=Path("grade-pictures"), show_default=True,
              help="Folder for feedback pictures (e.g. your Grad-CAM heatmap beside the "
              "reference's), written as CHAPTER/CHECK.png and named in the output.")
@seed_option
@device_option
@course_option
@_one_line_errors
def check_cmd(chapter: str, submission: Path | None, as_json: bool, pictures: Path, seed: int,
              device: str, course: Path | None) -> None:  # fmt: skip
    """Grade one chapter: your exercises/CHAPTER/, or --submission PATH."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    path = submission if submission is not None else chap.exercise_dir
    work = read_submission(path, chap.module_file)
    with Session(the_course, seed=seed, device=device) as session:
        result = session.grade(chap, work, pictures=pictures / chap.name)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(submission_text(result, title=chap.spec.title,
                                   hidden_exist=chap.hidden_checks_file is not None))


@main.command("batch")
@click.argument("chapter")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Warm workers grading side by side (each imports TensorFlow once).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the gradebook, exports, feedback files and report. "
              "Default: ./grades-CHAPTER.")
@click.option("--gradebook", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite gradebook to write into and resume from. Default: OUT/gradebook.sqlite.")
@click.option("--regrade", is_flag=True, help="Forget this chapter's rows and grade everything again.")
@click.option("--export", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Also write gradebook.csv, results.jsonl or gradescope/STUDENT/results.json "
              "(repeat the option for several).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Grade on a Dask cluster instead of local workers: its scheduler's address, "
              "e.g. tcp://host:8786. Its workers need tf-grader[dask] installed, bubblewrap, and "
              "the course at the same path as here; --jobs is then ignored.")
@seed_option
@device_option
@course_option
@_one_line_errors
def batch_cmd(chapter: str, submissions: Path, jobs: int, out: Path | None, gradebook: Path | None,
              regrade: bool, formats: tuple[str, ...], scheduler: str | None, seed: int, device: str,
              course: Path | None) -> None:  # fmt: skip
    """Grade a folder of submissions: one entry per student (a folder, .py, .ipynb or .zip,
    named by the student id). Each row is saved as it is graded, so a run that is stopped and
    started again grades only what is missing."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    entries = find_entries(submissions)
    students = {e.student for e in entries}
    out = out or Path(f"grades-{chap.name}")
    out.mkdir(parents=True, exist_ok=True)
    book_path = gradebook or out / "gradebook.sqlite"
    book = Gradebook(book_path)
    try:
        if regrade:
            book.forget(chap.name)
        missing = len(students - book.graded(chap.name))
        where = f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs} workers"
        click.echo(f"{chap.name}: {len(entries)} submissions, {missing} to grade, {where}", err=True)
        if missing and scheduler:
            try:
                from grader.distributed import run_batch_on_dask  # Dask is an optional extra
            except ImportError as exc:
                raise GraderError(f"--scheduler needs Dask ({exc}): pip install 'tf-grader[dask]'") from exc
            run_batch_on_dask(scheduler, the_course.root, chap, entries, book, seed=seed,
                              device=device, on_result=Progress(missing).update)  # fmt: skip
        elif missing:
            with Session(the_course, seed=seed, jobs=min(jobs, missing), device=device) as session:
                progress = Progress(missing)
                run_batch(session, chap, entries, book, on_result=progress.update,
                          pictures=out / "feedback")
        results = {s: r for s, r in book.results(chap.name).items() if s in students}
    except (KeyboardInterrupt, SandboxError) as exc:  # stopped part-way: say what is kept
        kept = len(students & book.graded(chap.name))
        saved = f"{kept} of {len(entries)} graded and saved in {book_path}; the same command grades the rest"
        raise type(exc)(f"{exc}; {saved}" if str(exc) else saved) from None
    finally:
        book.close()
    click.echo(batch_table(results))
    for path in export(results, chap, out, formats):
        click.echo(f"wrote {path}")


@main.command("list")
@course_option
@_one_line_errors
def list_cmd(course: Path | None) -> None:
    """List the chapters and their checks."""
    the_course = _course(course)
    for chap in the_course.chapters.values():
        points = sum(c.points for c in chap.checks)
        click.echo(click.style(f"{chap.name}  {chap.spec.title}  ({points:g} points)", bold=True))
        for c in chap.checks:
            tag = " hidden" if c.hidden else ""
            click.echo(f"  {c.name:<24} {c.points:>4g}{tag:<7}  {c.description}")


@main.command("validate")
@click.argument("chapters", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Warm workers grading side by side (each imports TensorFlow once, ~500 MB).")
@seed_option
@course_option
@_one_line_errors
def validate_cmd(chapters: tuple[str, ...], as_json: bool, jobs: int, seed: int, course: Path | None) -> None:
    """Check the course: every reference solution and every alternative (a correct solution in
    another style) scores full marks, every stub zero, and every planted mistake loses the points
    it should (under a --seed other than the default, it need only lose points). Exit 1 if any
    does not."""
    the_course = _course(course)
    chosen = [the_course.chapter(n) for n in chapters] or list(the_course.chapters.values())

    def show(v: Verdict) -> None:
        if not as_json:
            mark = click.style("ok  ", fg="green") if v.ok else click.style("FAIL", fg="red")
            line = f"{mark} {v.chapter} {v.case}: {v.score:g}/{v.max_score:g}"
            click.echo(line + (f"  {v.problem}" if v.problem else ""))

    with Session(the_course, seed=seed, jobs=jobs) as session:
        verdicts = validate(session, chosen, on_verdict=show)
    if as_json:
        click.echo(verdicts_json(verdicts))
    failed = [v for v in verdicts if not v.ok]
    if not as_json:
        click.echo(f"{len(verdicts) - len(failed)} of {len(verdicts)} validations passed")
    sys.exit(ExitCode.FAILED if failed else ExitCode.OK)


@main.command("notebook")
@click.argument("chapter")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the notebook. Default: ./MODULE.ipynb (e.g. fundamentals.ipynb).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@course_option
@_one_line_errors
def notebook_cmd(chapter: str, output: Path | None, force: bool, course: Path | None) -> None:
    """Write the chapter's exercise as a Jupyter notebook: the task text in markdown, the stubs
    in code cells, made from exercises/CHAPTER/MODULE.py. Grade it with
    `grade CHAPTER --submission MODULE.ipynb`."""
    chap = _course(course).chapter(chapter)
    output = output or Path(f"{chap.spec.module}.ipynb")
    if output.exists() and not force:
        raise GraderError(f"{output} exists; pass --force to overwrite it")
    stub = (chap.exercise_dir / chap.module_file).read_text(encoding="utf-8")
    write_notebook(exercise_notebook(stub, title=f"{chap.name} · {chap.spec.title}"), output)
    click.echo(f"wrote {output}")


@main.command("record")
@click.argument("chapters", nargs=-1)
@course_option
@_one_line_errors
def record_cmd(chapters: tuple[str, ...], course: Path | None) -> None:
    """Instructor: observe the reference (solutions/CHAPTER/) on the public checks and write
    exercises/CHAPTER/expected.json, which a copy without solutions/ is judged against. Run it
    after changing a reference solution or public checks; `grade validate` fails until you do."""
    the_course = _course(course)
    chosen = [the_course.chapter(n) for n in chapters] or list(the_course.chapters.values())
    for chap in chosen:
        if chap.solution_dir is None:
            raise GraderError(f"{chap.name}: recording needs solutions/{chap.name}/")
    with Session(the_course, seed=DEFAULT_SEED) as session:
        for chap in chosen:
            recording = make_recording(chap, session.seed, session.reference(chap))
            path = write_recording(chap, recording)
            click.echo(f"recorded {len(recording.observations)} public checks of {chap.name} "
                       f"(seed {recording.seed}) in {path}")


@main.command("release")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@course_option
@_one_line_errors
def release_cmd(out: Path, course: Path | None) -> None:
    """Write the course as students receive it into OUT (absent or empty): exercises/ with the
    public checks and their recorded observations, the engine, README; no solutions/, no hidden
    checks. Stops if a recording is stale or a file would contain solution text."""
    written = write_release(_course(course), out)
    click.echo(f"wrote {len(written)} files to {out}")


if __name__ == "__main__":
    main()
