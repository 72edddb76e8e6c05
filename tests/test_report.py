"""The batch report an instructor reads, rendered by a real headless browser (Chromium): it
draws, every student is listed and linked to a feedback file that exists, and it carries the
average points and the most common wrong answers per check. The screenshot is kept under
test-artifacts/ (ignored by git) for a person to look at."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from grader.batch import find_entries, run_batch
from grader.export import export
from grader.gradebook import Gradebook
from grader.platforms.lms import Student, with_roster
from grader.render import file_stem

from conftest import ROOT

pytestmark = pytest.mark.slow  # the HTML report in headless Chromium

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STUB = ROOT / "exercises/chapter1/fundamentals.py"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install -y chromium (.ci/setup does, as root)")


@pytest.fixture(scope="module")
def report(tmp_path_factory, session, course) -> tuple[Path, dict]:
    """A small class graded for real (two share a mistake, one wrote nothing, one is odd-named,
    one is on the roster without a submission), exported with its report."""
    base = tmp_path_factory.mktemp("report")
    subs = base / "subs"
    subs.mkdir()
    shutil.copy(SOLUTION, subs / "ada.py")
    for name in ("bob", "cy"):
        (subs / f"{name}.py").write_text(SOLUTION.read_text().replace(*NO_BIAS))
    shutil.copy(STUB, subs / "dee.py")
    shutil.copy(SOLUTION, subs / "e & f <x>.py")  # a name that needs escaping in HTML and in a URL
    chapter = course.chapter("chapter1")
    book = Gradebook(base / "gradebook.sqlite")
    run_batch(session, chapter, find_entries(subs), book)
    roster = [Student(id=s) for s in ("ada", "bob", "cy", "dee", "e & f <x>", "gus")]
    results = with_roster(book.results("chapter1"), roster, chapter, session.seed)
    book.close()
    export(results, chapter, base / "out", ())
    return base / "out" / "report.html", results


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href"]


def chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def png_pixels(data: bytes) -> np.ndarray:
    """The RGB(A) pixels of a non-interlaced 8-bit PNG (what Chromium writes), filters undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * channels + 1)
    out = np.zeros((height, width * channels), dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        up = out[y - 1] if y else np.zeros_like(line)
        if kind in (0, 2):
            out[y] = (line + (up if kind == 2 else 0)) % 256
        else:
            row = np.zeros_like(line)
            for x in range(len(line)):  # Sub, Average, Paeth depend on the pixel to the left
                left = row[x - channels] if x >= channels else 0
                corner = up[x - channels] if x >= channels else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up[x]) // 2
                else:
                    p = left + up[x] - corner
                    pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else up[x] if pb <= pc else corner
                row[x] = (line[x] + pred) % 256
            out[y] = row
    return out.reshape(height, width, channels)[..., :3]


def test_the_report_lists_every_student_with_points_per_check_and_common_mistakes(report) -> None:
    path, results = report
    page = path.read_text()
    assert page.count('<svg role="img" aria-label="score histogram"') == 1
    assert "[0, 2)" in page and "[18, 20]" in page, "bins labelled with their ranges"
    assert "score (points)" in page and "submissions</text>" in page
    # the shared mistake is grouped and counted: bob and cy
    assert "<b>2×</b> <code>dense_params(3, 32, use_bias=True): expected 128, got 96</code>" in page
    assert "gus" in page and ">missing<" in page, "the roster student without a submission"
    assert "no submission" not in page.split("<h2>Students</h2>")[0], "absence is not a wrong answer"
    assert "e &amp; f &lt;x&gt;" in page and "<x>" not in page
    assert 'href="http' not in page and "<script" not in page and "<link" not in page, "self-contained"
    for line in page.splitlines():
        if line.startswith("<tr><td>dense_params</td>"):
            average = sum(r.checks[0].score for r in results.values()) / len(results)
            assert f"<td>{average:.2f}</td>" in line


@needs_browser
def test_the_report_renders_in_a_browser_and_its_links_resolve(report) -> None:
    path, results = report
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    run = chromium("--window-size=1200,2400", f"--screenshot={shot}", path.as_uri())
    assert shot.is_file(), run.stderr
    pixels = png_pixels(shot.read_bytes())
    ink = (pixels < 200).any(axis=2)
    green = (pixels[..., 1] > pixels[..., 0] + 30) & (pixels[..., 1] > pixels[..., 2] + 30)
    assert ink.mean() > 0.01, "text and lines drawn, not a blank page"
    assert green.sum() > 500, "the histogram's bars and the passed cells are drawn"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20

    dom = chromium("--dump-dom", path.as_uri())
    assert dom.returncode == 0 and "<h2>Students</h2>" in dom.stdout, dom.stderr
    links = Links()
    links.feed(dom.stdout)
    feedback = [h for h in links.hrefs if h.startswith("feedback/")]
    assert {unquote(h)[len("feedback/"):-len(".txt")] for h in feedback} == {file_stem(s) for s in results}
    assert "e &amp; f &lt;x&gt;" in dom.stdout  # the name itself is shown, escaped
    for href in feedback:
        target = path.parent / unquote(href)
        assert target.is_file(), href
        assert target.read_text().startswith("chapter1"), "a student's feedback file"
