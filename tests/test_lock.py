"""The pinned grading environment: requirements.lock (what grading installs everywhere) agrees
with pyproject.toml and with CI's .ci/requirements-test.lock, pins every package exactly, with
hashes, and is what this test run itself runs on."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.markers import Marker
from packaging.requirements import Requirement

from conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(path) -> dict[str, tuple[str, str, int]]:
    """name -> (version, marker, hashes) of every requirement in a uv/pip-compile lock."""
    found: dict[str, tuple[str, str, int]] = {}
    name = None
    for line in path.read_text().splitlines():
        if m := PIN.match(line):
            name = m.group(1).lower().replace("_", "-")
            assert name not in found or found[name][1], f"{name} pinned twice without markers"
            found[name] = (m.group(2), (m.group(3) or "").strip(), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, marker, hashes = found[name]
            found[name] = (version, marker, hashes + 1)
        elif line.strip() and not line.lstrip().startswith("#"):
            raise AssertionError(f"{path.name}: a line that is neither a pin nor a hash: {line!r}")
    return found


def test_every_package_is_pinned_exactly_with_hashes() -> None:
    for lock in (ROOT / "requirements.lock", ROOT / ".ci/requirements-test.lock"):
        found = pins(lock)
        assert len(found) > 30, lock
        assert all(hashes >= 1 for _, _, hashes in found.values()), [n for n, p in found.items() if not p[2]]


def test_the_lock_satisfies_pyproject_and_ci_installs_the_same_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, ci = pins(ROOT / "requirements.lock"), pins(ROOT / ".ci/requirements-test.lock")
    for text in project["dependencies"]:
        wanted = Requirement(text)
        version = runtime[wanted.name.lower()][0]
        assert wanted.specifier.contains(version, prereleases=True), (text, version)
    for extra in project["optional-dependencies"].values():
        for text in extra:
            wanted = Requirement(text)
            assert wanted.specifier.contains(ci[wanted.name.lower()][0], prereleases=True), text
    assert {n: v for n, (v, _, _) in runtime.items()} == {n: ci[n][0] for n in runtime}, "one set of versions"


def test_this_run_uses_the_locked_versions() -> None:
    """.ci/setup installs the lock: the suite judges the course on the versions students get."""
    for name, (version, marker, _) in pins(ROOT / ".ci/requirements-test.lock").items():
        if marker and not Marker(marker).evaluate():  # not for this platform or Python
            continue
        if name in ("tensorflow", "keras", "numpy", "pydantic", "click", "nbformat"):
            assert metadata.version(name) == version, (name, metadata.version(name), version)


def test_every_recording_was_made_on_the_locked_versions() -> None:
    """What students install is what the recordings they are judged against were made on."""
    import json

    locked = pins(ROOT / "requirements.lock")
    for path in sorted(ROOT.glob("exercises/chapter*/expected.json")):
        stack = json.loads(path.read_text())["stack"]
        for name in ("tensorflow", "keras", "numpy"):
            assert stack[name] == locked[name][0], (path, name, stack[name], locked[name][0])
