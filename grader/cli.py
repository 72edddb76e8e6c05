"""The `grade` command. Each command parses, calls one library function, renders, exits."""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path
from typing import Any, Callable, get_args

import click

from grader.course import Chapter, Course, find_course
from grader.errors import BadInput, ExitCode, GraderError, NotGraded, SandboxError
from grader.grading import DEFAULT_SEED
from grader.batch import find_entries, run_batch
from grader.export import FORMATS, HIDDEN_FEEDBACK, export, need_roster
from grader.gradebook import Gradebook
from grader.judges import reference_problem
from grader.locate import Work, only, work_to_grade
from grader.models import Stack, SubmissionResult
from grader.sandbox.devices import DEVICES
from grader.render import Progress, batch_table, shown_name, submission_text
from grader.notebook import write_notebook
from grader.pictures import preload
from grader.platforms.classroom import WORKFLOW_PATH, grade_work
from grader.platforms.classroom import report as classroom_report, workflow as classroom_workflow
from grader.platforms.gradescope import AutograderConfig, Visibility, write_autograder
from grader.platforms.lms import MISSING, Missing, match_roster, read_roster, with_roster, write_strays
from grader.recorded import make_recording, other_stack_note, recorded_stack, write_recording
from grader.release import hidden_worth, write_release
from grader.student_copy import chapter_notebook
from grader.session import Session
from grader.submission import read_submission
from grader.terminal import echo_check, spinner, watching
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
        except (click.ClickException, click.exceptions.Abort):
            raise  # click's own: it prints them
        except Exception as exc:  # a bug of ours: still one line, and a code that says whose
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            click.echo(f"Error: the grader failed ({type(exc).__name__}{': ' + first if first else ''}); "
                       "this is tf-grader's error, not the submission's", err=True)
            sys.exit(int(ExitCode.NOT_GRADED))

    return wrapper


class ChapterFirst(click.Group):
    """`grade chapter1 ...` is short for `grade check chapter1 ...`."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: ANN201
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return args[0], self.commands["check"], args  # named so: `grade chapter1 --help`
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
weaker_option = click.option(
    "--allow-weaker-sandbox", is_flag=True,
    help="Grade even where the sandbox cannot keep every promise (no bubblewrap and no Landlock, "
    "say): without it, a machine that lacks them is refused, naming what it lacks. Each result "
    "lists what was not kept.",
)  # fmt: skip
install_from_option = click.option(
    "--install-from", metavar="URL", default="",
    help="Where students download the course (a .zip's URL, or a git repository's): the notebooks' "
    "first cell downloads it from there and installs the grader where the course is not yet "
    "(Colab, a JupyterHub).",
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
      grade release OUT/ --classroom chapter1   ... with a GitHub Classroom workflow
      grade batch chapter1 submissions/   grade a class into a gradebook
      grade gradescope chapter1           write a Gradescope autograder zip

    Exit codes: 0 the run completed (whatever the score), 1 validation failed,
    2 bad input (no such chapter, unreadable submission), 3 the sandbox could not start,
    4 the grader could not grade everything (its reference, its own error, a lost worker, a
    starved machine; not the submission's fault: run the same command again),
    130 interrupted (Ctrl-C; a batch keeps every row it graded).
    """


class ChapterCommand(click.Command):
    """`grade chapter1 --help` reads `grade chapter1 [OPTIONS]`, as the student typed it."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [p for p in pieces if p != "CHAPTER"] if ctx.info_name != "check" else pieces


@main.command("check", cls=ChapterCommand)
@click.argument("chapter")
@click.option("--submission", type=click.Path(path_type=Path), default=None,
              help="A .py file, a Jupyter notebook (.ipynb) or a folder holding the chapter's module "
              "(not a link to one: links are refused). "
              "Default: exercises/CHAPTER/ (its .py, or its notebook when that holds your edits; "
              "a notebook of that name in this folder counts too).")
@click.option("--only", "only_checks", metavar="CHECK", multiple=True,
              help="Grade only this check (repeat for several); the score is out of their points.")
@click.option("--watch", is_flag=True, help="Grade again each time the file is saved (Ctrl-C stops).")
@click.option("--verbose", "-v", is_flag=True, help="Show every protection the sandbox used.")
@click.option("--json", "as_json", is_flag=True, help="Print the result model as JSON.")
@click.option("--pictures", type=click.Path(file_okay=False, path_type=Path),
              default=Path("grade-pictures"), show_default=True,
              help="Folder for feedback pictures (e.g. your Grad-CAM heatmap beside the "
              "reference's), written as CHAPTER/CHECK.png and named in the output.")
@seed_option
@device_option
@course_option
@_one_line_errors
def check_cmd(chapter: str, submission: Path | None, only_checks: tuple[str, ...], watch: bool, verbose: bool,
              as_json: bool, pictures: Path, seed: int, device: str, course: Path | None) -> None:  # fmt: skip
    """Grade one chapter: your exercises/CHAPTER/, or --submission PATH (a link is refused:
    give the file or folder it points to). In the instructor's copy hidden checks run too, and
    their feedback is shown in full."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    graded = only(chap, list(only_checks))
    if any(c.picture for c in graded.checks):  # drawn after grading: imported meanwhile
        threading.Thread(target=preload, daemon=True).start()
    with spinner("starting the sandbox", enabled=not as_json):  # TensorFlow's import: seconds
        session = Session(the_course, seed=seed, device=device, cached=True)
    with session:
        if note := other_stack_note(chap, Stack.of(session.worker.info)):
            click.echo(f"note: {note}", err=True)
        for _ in watching(lambda: _what_to_grade(chap, submission)) if watch else [None]:
            try:
                work = _what_to_grade(chap, submission)
                work_read = read_submission(work.path, chap.module_file)
                with spinner(f"grading {chap.name}", enabled=not as_json):
                    result = session.grade(graded, work_read, pictures=pictures / chap.name)
            except BadInput as exc:  # half-saved while watching: say so, and wait for the next save
                if not watch:
                    raise
                click.echo(f"Error: {exc}", err=True)
                continue
            if as_json or result.status != "error":
                echo_check(the_course, graded, work, work_read, result, as_json=as_json, verbose=verbose)
            if result.retryable:
                if not watch:
                    raise NotGraded(_not_graded(result))
                click.echo(f"Error: {_not_graded(result)}", err=True)


def _what_to_grade(chap: Chapter, submission: Path | None) -> Work:
    return Work(submission) if submission is not None else work_to_grade(chap, Path.cwd())


def _not_graded(result: SubmissionResult) -> str:
    """One line for a result the grader or the machine decided in part."""
    why = next((m for m in result.messages if "the same command grades it again" in m), None)
    if why is None:  # a reference that could not be observed: its reason is on the check
        why = next((f"{c.name}: {c.feedback[0]}" for c in result.checks if c.status == "error" and c.feedback), "")
    word = "could not grade this submission" if result.status == "error" else "graded this submission only in part"
    return f"the grader {word} ({why}); not the submission's fault: run the same command again"


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
@click.option("--regrade", is_flag=True, help="Grade every entry again. The old rows stay until each is "
              "replaced, so an interrupted --regrade loses nothing; the same command (with or "
              "without --regrade) finishes the pass.")
@click.option("--hidden-feedback", type=click.Choice(HIDDEN_FEEDBACK), default="summary", show_default=True,
              help="What students see of hidden checks in the feedback files, Gradescope results and "
              "report: summary (name, points, pass or fail), inputs (also the inputs of the cases "
              "that failed) or full (also expected values, pictures and printed output). The "
              "gradebook keeps everything.")
@click.option("--export", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Also write gradebook.csv, results.jsonl, gradescope/STUDENT/results.json, or "
              "canvas.csv / moodle.csv for the LMS's grade import (with --roster; repeat the option "
              "for several).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Grade on a Dask cluster instead of local workers: its scheduler's address, "
              "e.g. tcp://host:8786. Its workers need tf-grader[dask] installed, bubblewrap, and "
              "the course at the same path as here; --jobs is then ignored.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of the class: id (yours, the gradebook's key), name, email, section, and "
              "the ids the LMS knows: canvas_id (Canvas user id, the only one canvas.csv's ID "
              "column gets), sis_user_id, sis_login_id (Canvas' SIS User/Login ID); Moodle's "
              "username, idnumber or email (moodle.csv uses the first every student has). "
              "Entries are matched to students by id, by Canvas or Moodle download names, or by "
              "--roster-column; students without an entry get a `missing` row, entries without "
              "a student are listed in OUT/unmatched.txt and not graded.")
@click.option("--roster-column", metavar="COLUMN", default=None,
              help="Also match entry names against this roster column (e.g. github).")
@click.option("--assignment", metavar="NAME", default=None,
              help="The assignment's name in Canvas or Moodle (--export canvas/moodle). "
              "Default: CHAPTER and its title.")
@click.option("--missing", "missing_row", type=click.Choice(MISSING), default="zero", show_default=True,
              help="canvas.csv and moodle.csv for a roster student without a submission: zero (a 0, "
              "which replaces a grade already in the LMS) or omit (no row: the LMS keeps its grade; "
              "a blank cell would remove it in both).")
@weaker_option
@seed_option
@device_option
@course_option
@_one_line_errors
def batch_cmd(chapter: str, submissions: Path, jobs: int, out: Path | None, gradebook: Path | None,
              regrade: bool, hidden_feedback: str, formats: tuple[str, ...], scheduler: str | None,
              roster: Path | None, roster_column: str | None, assignment: str | None, missing_row: Missing,
              allow_weaker_sandbox: bool, seed: int, device: str, course: Path | None) -> None:  # fmt: skip
    """Grade a folder of submissions: one entry per student (a folder, .py, .ipynb or .zip,
    named by the student id, or matched to a --roster; links are refused). Each row is saved
    as it is graded, so a run that is stopped and started again grades only what is missing,
    and rows the grader could not decide (exit 4) are graded again by the same command."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    entries = find_entries(submissions)
    out = out or Path(f"grades-{chap.name}")
    class_list = read_roster(roster) if roster is not None else None
    need_roster(formats, class_list)  # before grading, not after
    if class_list is not None:
        matched = match_roster(entries, class_list, chap.spec.module, roster_column)
        entries = matched.entries
        out.mkdir(parents=True, exist_ok=True)
        write_strays(matched.strays, out / "unmatched.txt")
        if matched.strays:
            names = ", ".join(s.path.name for s in matched.strays[:5]) + (", ..." if len(matched.strays) > 5 else "")
            click.echo(f"{len(matched.strays)} entries not graded (no roster student, or another file of one): "
                       f"{shown_name(names)}; listed in {out / 'unmatched.txt'}", err=True)  # fmt: skip
    students = {e.student for e in entries}
    out.mkdir(parents=True, exist_ok=True)
    book_path = gradebook or out / "gradebook.sqlite"
    book = Gradebook(book_path)
    try:
        if regrade and not book.start_regrade(chap.name, students):
            click.echo(f"{chap.name}: finishing the --regrade pass that was stopped", err=True)
        missing = len(students - book.graded(chap.name))
        where = f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs} workers"
        click.echo(f"{chap.name}: {len(entries)} submissions, {missing} to grade, {where}", err=True)
        if missing and scheduler:
            try:
                from grader.distributed import run_batch_on_dask  # Dask is an optional extra
            except ImportError as exc:
                raise GraderError(f"--scheduler needs Dask ({exc}): pip install 'tf-grader[dask]'") from exc
            run_batch_on_dask(scheduler, the_course.root, chap, entries, book, seed=seed, device=device,
                              allow_weaker_sandbox=allow_weaker_sandbox, on_result=Progress(missing).update)  # fmt: skip
        elif missing:
            with Session(the_course, seed=seed, jobs=min(jobs, missing), device=device,
                         allow_weaker_sandbox=allow_weaker_sandbox) as session:
                progress = Progress(missing)
                run_batch(session, chap, entries, book, on_result=progress.update,
                          pictures=out / "pictures", pictures_of_hidden=hidden_feedback == "full")
        results = {s: r for s, r in book.results(chap.name).items() if s in students}
        again = sorted(students & book.retrying(chap.name))
    except (KeyboardInterrupt, SandboxError) as exc:  # stopped part-way: say what is kept
        kept = len(students & book.graded(chap.name))
        saved = f"{kept} of {len(entries)} graded and saved in {book_path}; the same command grades the rest"
        raise type(exc)(f"{exc}; {saved}" if str(exc) else saved) from None
    finally:
        book.close()
    if class_list is not None:
        results = with_roster(results, class_list, chap, seed)
    click.echo(batch_table(results))
    for path in export(results, chap, out, formats, hidden_feedback,  # type: ignore[arg-type]
                       roster=class_list, assignment=assignment, missing=missing_row):
        click.echo(f"wrote {path}")
    if again:
        raise NotGraded(f"{len(again)} of {len(entries)} rows were decided in part by the grader or the "
                        f"machine, not the submission (status error, or a note saying so); the same "
                        f"command grades them again")


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
    it should (under a --seed other than the default, it need only lose points), and every
    recording still judges as the reference does here. It first names the stack (Python,
    TensorFlow, Keras, NumPy) it runs on and the recordings'. Exit 1 if any fails."""
    the_course = _course(course)
    chosen = [the_course.chapter(n) for n in chapters] or list(the_course.chapters.values())

    def show(v: Verdict) -> None:
        if not as_json:
            mark = click.style("ok  ", fg="green") if v.ok else click.style("FAIL", fg="red")
            line = f"{mark} {v.chapter} {v.case}: {v.score:g}/{v.max_score:g}"
            click.echo(line + (f"  {v.problem}" if v.problem else ""))

    with Session(the_course, seed=seed, jobs=jobs, cached=True) as session:
        for line in _stacks(Stack.of(session.worker.info), chosen):
            click.echo(line, err=as_json)
        verdicts = validate(session, chosen, on_verdict=show)
    if as_json:
        click.echo(verdicts_json(verdicts))
    failed = [v for v in verdicts if not v.ok]
    if not as_json:
        click.echo(f"{len(verdicts) - len(failed)} of {len(verdicts)} validations passed")
    sys.exit(ExitCode.FAILED if failed else ExitCode.OK)


def _stacks(running: Stack, chapters: list[Chapter]) -> list[str]:
    """What `grade validate` says first: the stack it runs on, and the stack(s) that made the
    recordings it checks (the course holds here when every verdict is ok)."""
    made: dict[Stack, list[str]] = {}
    for chap in chapters:
        if (stack := recorded_stack(chap)) is not None:
            made.setdefault(stack, []).append(chap.name)
    lines = [f"running on {running}"]
    for stack, names in made.items():
        which = "recordings" if len(names) == len(chapters) else f"recordings of {', '.join(names)}"
        differing = ", ".join(Stack.NAMES[f] for f in running.differing(stack))
        lines.append(f"{which} made on {stack}" + (f" (other {differing})" if differing else " (the same)"))
    return lines


@main.command("notebook")
@click.argument("chapter")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the notebook. Default: ./MODULE.ipynb (e.g. fundamentals.ipynb).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@install_from_option
@course_option
@_one_line_errors
def notebook_cmd(chapter: str, output: Path | None, force: bool, install_from: str, course: Path | None) -> None:
    """Write the chapter's exercise as a Jupyter notebook: the task text in markdown, the stubs
    in code cells, made from exercises/CHAPTER/MODULE.py, and a check cell after each task
    (`notebook_check("CHAPTER")` grades the notebook from inside it). `grade CHAPTER` grades it
    too, from this folder or exercises/CHAPTER/."""
    chap = _course(course).chapter(chapter)
    output = output or Path(chap.notebook_file)
    if output.exists() and not force:
        raise GraderError(f"{output} exists; pass --force to overwrite it")
    write_notebook(chapter_notebook(chap, install_from), output)
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
            observed = session.reference(chap)
            broken = {n: why for n, o in observed.items() if (why := reference_problem(o))}
            if broken:
                name, why = next(iter(broken.items()))
                raise NotGraded(f"{chap.name}: the reference of {name} could not be observed ({why}); nothing recorded")
            recording = make_recording(chap, session.seed, observed, Stack.of(session.worker.info))
            path = write_recording(chap, recording)
            click.echo(f"recorded {len(recording.observations)} public checks of {chap.name} "
                       f"(seed {recording.seed}) in {path}")


@main.command("gradescope")
@click.argument("chapter")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write the zip. Default: ./autograder-CHAPTER.zip.")
@click.option("--hidden-visibility", type=click.Choice(get_args(Visibility)), default="after_published",
              show_default=True, help="When students see the hidden checks' results on Gradescope.")
@click.option("--stdout-visibility", type=click.Choice(get_args(Visibility)), default="hidden",
              show_default=True, help="When students see the autograder's log (the full report, "
              "hidden checks' feedback included).")
@click.option("--no-student-output", is_flag=True,
              help="Do not show students what their own code printed.")
@weaker_option
@seed_option
@course_option
@_one_line_errors
def gradescope_cmd(chapter: str, output: Path | None, hidden_visibility: str, stdout_visibility: str,
                   no_student_output: bool, allow_weaker_sandbox: bool, seed: int,
                   course: Path | None) -> None:  # fmt: skip
    """Instructor: write a Gradescope autograder zip for CHAPTER (Programming Assignment >
    Configure Autograder > Zip file upload). It holds the engine, the chapter, its solutions and
    hidden checks (Gradescope never shows the zip to students), setup.sh and run_autograder;
    each submission (.py, .ipynb or a folder) is graded in Gradescope's container."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    output = output or Path(f"autograder-{chap.name}.zip")
    config = AutograderConfig(chapter=chap.name, seed=seed, hidden_visibility=hidden_visibility,
                              stdout_visibility=stdout_visibility, show_output=not no_student_output,
                              allow_weaker_sandbox=allow_weaker_sandbox)  # fmt: skip
    names = write_autograder(the_course, chap, output, config)
    click.echo(f"wrote {output} ({len(names)} files): upload it as the assignment's autograder")


@main.command("classroom")
@click.argument("chapter")
@weaker_option
@course_option
@_one_line_errors
def classroom_cmd(chapter: str, allow_weaker_sandbox: bool, course: Path | None) -> None:
    """GitHub Classroom's grading step (see `release --classroom`): grade what `grade CHAPTER`
    grades from here (the notebook or the module), write the points per check to the step's
    `result` output for the autograding reporter, and end with `Points X/Y`. Missing or
    unreadable work scores 0 with the reason and exits 0, so Classroom still gets a grade; the
    grader's own failure exits 3 or 4 and writes no points."""
    the_course = _course(course)
    chap = the_course.chapter(chapter)
    graded = grade_work(the_course, chap, Path.cwd(), allow_weaker_sandbox=allow_weaker_sandbox)
    if graded.submission is None:
        click.echo(submission_text(graded.result, title=chap.spec.title, hidden_points=hidden_worth(chap),
                                   hidden_exist=chap.hidden_checks_file is not None))  # fmt: skip
    else:
        echo_check(the_course, chap, graded.work, graded.submission, graded.result, as_json=False, verbose=False)
    if graded.result.retryable:
        raise NotGraded(_not_graded(graded.result))
    click.echo(classroom_report(graded.result))


@main.command("release")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--classroom", "classroom", metavar="CHAPTER", multiple=True,
              help="Also write .github/workflows/classroom.yml, which grades CHAPTER on every push "
              "and reports the points to GitHub Classroom (repeat for several chapters).")
@install_from_option
@course_option
@_one_line_errors
def release_cmd(out: Path, classroom: tuple[str, ...], install_from: str, course: Path | None) -> None:
    """Write the course as students receive it into OUT (absent or empty): exercises/ with the
    public checks and their recorded observations, each chapter's notebook, the engine, README;
    no solutions/, no hidden checks. Stops if a recording is stale or a file would contain
    solution text."""
    the_course = _course(course)
    chosen = [the_course.chapter(name) for name in classroom]
    extra = {WORKFLOW_PATH: classroom_workflow(chosen)} if chosen else None
    written = write_release(the_course, out, extra, install_from=install_from)
    click.echo(f"wrote {len(written)} files to {out}")


if __name__ == "__main__":
    main(prog_name="grade")  # `python -m grader.cli chapter1 --help` reads as `grade chapter1`
