"""Reports of 10⁵ issues and more: streamed, within a memory bound, one line per issue.

`rosterport validate` runs in a child process, once on a district whose every DOB is
refused (10⁵ invalid-format errors) and once on the same district with valid DOBs; its peak
memory is the child's own ru_maxrss (os.wait4). The report's issues must cost a few hundred
bytes each at most, whatever the format: the JSON and CSV reports are written a batch at a
time, never held whole as text or as Python objects.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPORT

STUDENTS = 100_000
# what the issues may add to the peak over the same validation without them (measured: 6-8
# MB; before the reports were streamed, 228 MB for JSON and 54 MB for CSV)
ISSUE_BUDGET_MB = 30


def district(folder: Path, dob: str) -> Path:
    """The valid fixture district with 10⁵ more students (without enrollments), their DOB
    `dob`."""
    folder.mkdir()
    for path in (PASSPORT / "valid-district").glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    valid = (folder / "students.csv").read_text().rstrip("\n")
    width = valid.splitlines()[0].count(",") + 1
    dob_at = [c.lower() for c in valid.splitlines()[0].split(",")].index("dob")
    rows = []
    for n in range(STUDENTS):
        cells = [""] * width
        cells[:3] = ["02M800", f"9{n:08d}", str(n)]
        cells[4], cells[6], cells[dob_at] = f"Doe{n}", "Jane", dob
        rows.append(",".join(cells))
    (folder / "students.csv").write_text(valid + "\n" + "\n".join(rows) + "\n")
    return folder


def validate(folder: Path, out: Path, *options: str) -> tuple[int, float]:
    """Exit status and peak memory (MB) of `rosterport validate` in a child process."""
    command = [sys.executable, "-m", "rosterport", "validate", str(folder), "--model"]
    command += ["passport-roster", *options, "-o", str(out)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert child.stderr is not None
    child.stderr.close()
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def districts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("volume")
    return district(base / "clean", "05/17/2010"), district(base / "refused", "2010.05.17")


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_report_of_100k_issues_is_streamed_within_a_memory_bound(
    districts: tuple[Path, Path], tmp_path: Path, fmt: str
) -> None:
    clean, refused = districts
    code, baseline = validate(clean, tmp_path / f"clean.{fmt}", "--format", fmt)
    assert code == 0
    code, peak = validate(refused, tmp_path / f"refused.{fmt}", "--format", fmt)
    assert code == 1
    assert peak - baseline < ISSUE_BUDGET_MB, (baseline, peak)
    data = (tmp_path / f"refused.{fmt}").read_bytes()
    if fmt == "json":
        report = json.loads(data)
        issues = report["issues"]
        assert report["summary"] == {"error": STUDENTS, "warn": 0, "info": 0}
        # one issue a line, in reading order
        assert data.count(b'\n    {"file":"students.csv"') == STUDENTS
    else:
        issues = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(issues) == STUDENTS
    assert [int(i["row"]) for i in issues[:3]] == [7, 8, 9]
    assert issues[-1]["message"] == (
        "DOB '2010.05.17' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD"
    )


def test_the_text_report_of_100k_issues_shows_groups(
    districts: tuple[Path, Path], tmp_path: Path
) -> None:
    _, refused = districts
    code, _ = validate(refused, tmp_path / "report.txt")
    assert code == 1
    text = (tmp_path / "report.txt").read_text()
    assert "[ERROR] students.csv › DOB: Invalid Format (100,000)" in text
    assert "    rows: 7, 8, 9, 10, 11 …" in text
    assert len(text.splitlines()) < 30  # groups, not every issue
