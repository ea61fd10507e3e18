"""Benchmark runner: rosterport validate against a bare polars parse of the same district.

    python bench/run.py [--students 100000 1000000] [--shapes clever sis state]
        [--hostile dob references garbage] [--data-dir bench/data] [--repeat 1]
        [--frictionless] [--seed 1] [--enrollments-per-student 8] [--timeout 1800]
        [--results bench/results.json]

For each scale, one district per shape (`--shapes`: generate.py's SHAPES, the same people as
different exporters spell them, each with its own defect rate) and one per hostile variant
(`--hostile`, on the clever shape: every DOB refused, every reference broken, a file of
junk). Each is generated once into DATA_DIR/<name>-<N>/ (the clever shape: DATA_DIR/<N>/, as
bench/versions.py expects) and reused while its defects.json matches the arguments and
generate.py's digest. Then every step runs in a fresh subprocess, timed from spawn to exit;
its peak memory is the child's own ru_maxrss, read with os.wait4:

  raw-parse       polars.read_csv(path, infer_schema=False) of every CSV, nothing else
  validate        python -m rosterport validate DIR --model passport-roster --format json
                  -o /dev/null
  hostile districts also time:
  validate-warn   the same with --level invalid-format=warn (dob: every student filtered,
                  every enrollment in cascade)
  validate-csv    --format csv -o /dev/null
  validate-text   the default text report, to /dev/null
  upload-dry-run  rosterport upload DIR --dry-run --format json (with the levels of
                  validate-warn for dob) into an organization of a fresh data dir
  upload-dry-run-v2  the same into an organization whose version 1 is the clean district
                  of that scale (committed before, untimed)
  frictionless    (--frictionless, 100k scale only, when importable) frictionless.validate of
                  students.csv and enrollments.csv: the row-by-row baseline

A step that fails is reported with the tail of its stderr and the run goes on. The table and
bench/results.json give wall seconds (best of --repeat), rows/s, the ratio to the raw parse
and the peak RSS; the exit status is 1 when a step failed. This script imports nothing
beyond the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GENERATOR = BENCH / "generate.py"
FRICTIONLESS_SCALE = 100_000
FRICTIONLESS_FILES = ("students.csv", "enrollments.csv")
MODEL = ("--model", "passport-roster")
VALIDATE_OPTIONS = (*MODEL, "--format", "json", "-o", os.devnull)
SHAPES = ("clever", "sis", "state")  # generate.py's SHAPES
SHAPE_DEFECTS = {"clever": 0.0, "sis": 0.001, "state": 0.001}  # as generate.py's Shape.defects
HOSTILE = ("dob", "references", "garbage")
WARN_LEVELS = {"dob": ("--level", "invalid-format=warn")}  # what validate-warn changes
STDERR_TAIL = 1500  # characters of a failing step's stderr to show

RAW_PARSE = """
import sys
from pathlib import Path

import polars as pl

rows = 0
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    rows += pl.read_csv(path, infer_schema=False).height
print(rows)
"""

# frictionless refuses absolute paths as unsafe: it runs inside the district with bare names
FRICTIONLESS = """
import sys

from frictionless import validate

rows = 0
for name in sys.argv[1:]:
    report = validate(name)
    task = report.tasks[0]
    print(name, "valid" if report.valid else "invalid", task.stats)
    if "rows" not in task.stats:
        sys.exit(f"{name} was not validated: {report.flatten(['type', 'message'])[:3]}")
    rows += task.stats["rows"]
print(rows)
"""


@dataclass
class Run:
    """One subprocess: how long it took, its peak memory, how it ended."""

    wall: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the child


@dataclass(frozen=True)
class District:
    """One generated district: a shape, or a hostile variant of the clever shape."""

    shape: str
    hostile: str = "none"

    @property
    def label(self) -> str:
        return self.shape if self.hostile == "none" else f"hostile-{self.hostile}"

    @property
    def defects(self) -> float:
        return SHAPE_DEFECTS[self.shape] if self.hostile == "none" else 0.0

    def folder(self, data_dir: Path, scale: int) -> Path:
        if self.shape == "clever" and self.hostile == "none":
            return data_dir / str(scale)
        return data_dir / f"{self.label}-{scale}"


@dataclass
class Result:
    """One step at one scale, as printed in the table and written to results.json."""

    scale: int
    district: str
    step: str
    wall_seconds: float
    rows: int
    rows_per_second: float
    peak_rss_mb: float
    returncode: int
    counted_rows: int | None = None  # what the step printed, for the raw parse: rows read
    ratio_to_raw_parse: float | None = None
    cpu_seconds: float = 0.0  # user + system time (the best of --repeat): less noisy on a
    cpu_ratio_to_raw_parse: float | None = None  # shared machine than the wall time
    walls: list[float] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Step:
    """A step to time: its command, the folder it runs in, and how many rows it reads."""

    name: str
    command: list[str]
    cwd: Path
    rows: int
    setup: list[str] | None = None  # run (untimed) before each measurement
    discard_output: bool = False  # stdout to /dev/null (a report of millions of issues)


def measure(
    command: Sequence[str], timeout: float, cwd: Path = REPO, *, discard_output: bool = False
) -> Run:
    """Run a command in a fresh process; wall time from spawn to exit, peak RSS from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        stdout = subprocess.DEVNULL if discard_output else out
        process = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=err)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            peak_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            cpu=usage.ru_utime + usage.ru_stime,
        )


def best_of(step: Step, repeat: int, timeout: float) -> tuple[Run, list[float]]:
    """Run a step `repeat` times: the fastest run, the largest peak RSS, and every wall time."""
    runs = []
    for _ in range(repeat):
        if step.setup is not None:
            subprocess.run(step.setup, cwd=step.cwd, check=True, stdout=subprocess.DEVNULL)
        runs.append(measure(step.command, timeout, step.cwd, discard_output=step.discard_output))
    walls = [run.wall for run in runs]
    best = min(runs, key=lambda run: run.wall)
    best.peak_mb = max(run.peak_mb for run in runs)
    best.cpu = min(run.cpu for run in runs)
    failed = [run for run in runs if run.returncode not in (0, 1)]
    return (failed[0] if failed else best), walls


# --- the district -------------------------------------------------------------------------------


SHAPE_LINE_ENDINGS = {"clever": "lf", "sis": "crlf", "state": "lf"}  # as generate.py


def wanted(district: District, students: int, seed: int, per_student: int) -> dict[str, Any]:
    """The generator arguments a cached district must have been made with."""
    return {
        "students": students,
        "enrollments_per_student": per_student,
        "seed": seed,
        "defects": district.defects,
        "line_endings": SHAPE_LINE_ENDINGS[district.shape],
        "shape": district.shape,
        "hostile": district.hostile,
        "source": hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16],  # as generate.py
    }


def cached_summary(district: Path, arguments: dict[str, Any]) -> dict[str, Any] | None:
    """The district's defects.json when it is complete and made with these arguments."""
    marker = district / "defects.json"
    if not marker.exists():
        return None
    summary: dict[str, Any] = json.loads(marker.read_text())
    return summary if summary.get("generator") == arguments else None


def ensure_district(district: Path, arguments: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Generate the district unless a matching one is cached; return its summary."""
    summary = cached_summary(district, arguments)
    if summary is not None:
        print(f"using cached district {district}", flush=True)
        return summary
    print(f"generating {arguments['students']:,} students into {district} …", flush=True)
    command = [
        sys.executable,
        str(GENERATOR),
        str(district),
        "--students",
        str(arguments["students"]),
        "--enrollments-per-student",
        str(arguments["enrollments_per_student"]),
        "--seed",
        str(arguments["seed"]),
        "--defects",
        str(arguments["defects"]),
        "--shape",
        arguments["shape"],
        "--hostile",
        arguments["hostile"],
    ]
    run = measure(command, timeout)
    if run.returncode != 0:
        raise SystemExit(f"generate.py failed:\n{run.stderr[-STDERR_TAIL:]}")
    print(run.stdout.rstrip(), flush=True)
    summary = cached_summary(district, arguments)
    if summary is None:
        raise SystemExit(f"generate.py wrote no matching {district / 'defects.json'}")
    return summary


# --- the steps ----------------------------------------------------------------------------------


# (untimed) a fresh data dir with the organization "bench"; with a district as argv[2], that
# district committed as its version 1 (validated and committed through the services, its
# propagation not run)
UPLOAD_SETUP = """
import shutil, sys
from pathlib import Path

from rosterport.bootstrap import build_hub
from rosterport.config import Settings
from rosterport.csvio.sources import read_source
from rosterport.services import upload_commit, upload_validation, uploads
from rosterport.services.organizations import create_org

data = Path(sys.argv[1])
shutil.rmtree(data, ignore_errors=True)
hub = build_hub(Settings(data_dir=data))
org = create_org(hub, "bench")
if len(sys.argv) > 2:
    files = [f for f in read_source([Path(sys.argv[2])]).files if f.name.endswith(".csv")]
    session = uploads.start(hub, org, "passport-roster")
    uploads.add_files(hub, org, session.id, files)
    upload_validation.run_validation(hub, org, session.id, committed_by="bench", source="cli")
    upload_commit.commit(
        hub, org, session.id, committed_by="bench", source="cli", allow_deletions=True
    )
"""


def upload_steps(
    folder: Path, data_dir: Path, scale: int, levels: Sequence[str], rows: int
) -> list[Step]:
    """`rosterport upload --dry-run` of the district: into an empty organization, and into
    one whose production is the clean district of the same scale (version 1)."""
    python = sys.executable
    work = data_dir / "upload-work"
    upload = [python, "-m", "rosterport", "upload", str(folder), "--org", "bench", "--dry-run"]
    upload += [*MODEL, "--format", "json", "--data-dir", str(work), *levels]
    clean = data_dir / str(scale)  # the clever district of this scale (made before it)
    setup = [python, "-c", UPLOAD_SETUP, str(work)]
    return [
        Step("upload-dry-run", upload, REPO, rows, setup, discard_output=True),
        Step("upload-dry-run-v2", upload, REPO, rows, [*setup, str(clean)], discard_output=True),
    ]


def steps(
    district: District, folder: Path, scale: int, summary: dict[str, Any], frictionless: bool
) -> list[Step]:
    """Every step to time on this district."""
    python = sys.executable
    all_rows = sum(summary["rows"].values())
    validate = [python, "-m", "rosterport", "validate", str(folder), *MODEL]
    data_dir = folder.parent
    planned = [
        Step("raw-parse", [python, "-c", RAW_PARSE, str(folder)], REPO, all_rows),
        Step("validate", [*validate, "--format", "json", "-o", os.devnull], REPO, all_rows),
    ]
    if district.hostile != "none":
        levels = WARN_LEVELS.get(district.hostile, ())
        if levels:
            warn = [*validate, *levels, "--format", "json", "-o", os.devnull]
            planned.append(Step("validate-warn", warn, REPO, all_rows))
        csv = [*validate, *levels, "--format", "csv", "-o", os.devnull]
        planned.append(Step("validate-csv", csv, REPO, all_rows))
        text = [*validate, *levels, "-o", os.devnull]
        planned.append(Step("validate-text", text, REPO, all_rows))
        planned.extend(upload_steps(folder, data_dir, scale, levels, all_rows))
    if frictionless and scale == FRICTIONLESS_SCALE and district.label == "clever":
        if importlib.util.find_spec("frictionless") is None:
            print("frictionless is not importable: skipping the row-by-row baseline")
        else:
            rows = sum(summary["rows"][name] for name in FRICTIONLESS_FILES)
            command = [python, "-c", FRICTIONLESS, *FRICTIONLESS_FILES]
            planned.append(Step("frictionless", command, folder, rows))
    return planned


def run_step(step: Step, scale: int, district: str, options: argparse.Namespace) -> Result:
    """Time one step; on failure print the tail of its stderr and carry on (validate's exit
    status 1, "not valid", is a success here)."""
    print(f"  {step.name} …", flush=True)
    run, walls = best_of(step, options.repeat, options.timeout)
    if run.returncode == 1 and step.name.startswith(("validate", "upload")):
        run.returncode = 0
    if run.returncode != 0:
        tail = indent(run.stderr[-STDERR_TAIL:])
        print(f"  {step.name} failed with exit status {run.returncode}; stderr ends with:\n{tail}")
    return Result(
        scale=scale,
        district=district,
        step=step.name,
        wall_seconds=round(run.wall, 3),
        rows=step.rows,
        rows_per_second=round(step.rows / run.wall) if run.wall > 0 else 0,
        peak_rss_mb=round(run.peak_mb, 1),
        returncode=run.returncode,
        counted_rows=last_integer(run.stdout),
        walls=[round(wall, 3) for wall in walls],
        cpu_seconds=round(run.cpu, 3),
    )


def last_integer(text: str) -> int | None:
    """The integer on the last line of a step's output, if that line is one."""
    lines = text.strip().splitlines()
    return int(lines[-1]) if lines and lines[-1].strip().isdigit() else None


def indent(text: str) -> str:
    """Text indented by four spaces, for quoting a subprocess's output."""
    return "\n".join("    " + line for line in text.rstrip().splitlines())


def add_notes(results: list[Result]) -> None:
    """Ratios to the raw parse of the same district (for steps that succeeded), and what
    the figures cover."""
    raw = next(r for r in results if r.step == "raw-parse")
    for result in results:
        notes = []
        if result.step == "frictionless":
            notes.append("students+enrollments only")
        if result.returncode == 0 and result.counted_rows not in (None, result.rows):
            notes.append(f"read {result.counted_rows:,} rows, not {result.rows:,}")
        result.note = "; ".join(notes)
        if raw.returncode == 0 and result.returncode == 0 and raw.wall_seconds > 0:
            result.ratio_to_raw_parse = round(result.wall_seconds / raw.wall_seconds, 2)
        if raw.returncode == 0 and result.returncode == 0 and raw.cpu_seconds > 0:
            result.cpu_ratio_to_raw_parse = round(result.cpu_seconds / raw.cpu_seconds, 2)


def districts(options: argparse.Namespace) -> list[District]:
    """The shapes, then the hostile variants, asked for."""
    return [District(shape) for shape in options.shapes] + [
        District("clever", hostile) for hostile in options.hostile
    ]


def bench_district(district: District, scale: int, options: argparse.Namespace) -> list[Result]:
    """Generate (or reuse) one district at one scale and time every step on it."""
    folder = district.folder(options.data_dir, scale)
    arguments = wanted(district, scale, options.seed, options.enrollments_per_student)
    print(f"{district.label} at {scale:,} students:", flush=True)
    summary = ensure_district(folder, arguments, options.timeout)
    if district.hostile != "none":  # upload-dry-run-v2 commits the clean district first
        clean = District("clever")
        clean_arguments = wanted(clean, scale, options.seed, options.enrollments_per_student)
        ensure_district(clean.folder(options.data_dir, scale), clean_arguments, options.timeout)
    planned = steps(district, folder, scale, summary, options.frictionless)
    results = [run_step(step, scale, district.label, options) for step in planned]
    add_notes(results)
    return results


def worst_validate(results: Sequence[Result]) -> dict[str, Any]:
    """Per scale, the highest ratio of `validate` to the raw parse across shapes (hostile
    districts are reported on their own: they are not "any data")."""
    worst: dict[str, Any] = {}
    for result in results:
        if result.step != "validate" or result.ratio_to_raw_parse is None:
            continue
        if result.district.startswith("hostile-"):
            continue
        known = worst.get(str(result.scale))
        if known is None or result.ratio_to_raw_parse > known["ratio"]:
            worst[str(result.scale)] = {
                "district": result.district,
                "ratio": result.ratio_to_raw_parse,
                "cpu_ratio": result.cpu_ratio_to_raw_parse,
                "peak_rss_mb": result.peak_rss_mb,
            }
    return worst


# --- reporting ----------------------------------------------------------------------------------

HEADER = (
    "scale", "district", "step", "wall s", "rows/s", "× raw", "cpu s", "cpu × raw", "peak RSS MB",
    "status",
)  # fmt: skip
RIGHT_ALIGNED = {0, 3, 4, 5, 6, 7, 8}


def table_row(result: Result) -> tuple[str, ...]:
    """One result as the cells of the printed table."""
    ratio = result.ratio_to_raw_parse
    cpu_ratio = result.cpu_ratio_to_raw_parse
    status = "ok" if result.returncode == 0 else f"FAILED (exit status {result.returncode})"
    return (
        f"{result.scale:,}",
        result.district,
        result.step,
        f"{result.wall_seconds:.2f}",
        f"{result.rows_per_second:,.0f}" if result.returncode == 0 else "",
        "" if ratio is None else f"{ratio:.2f}",
        f"{result.cpu_seconds:.2f}",
        "" if cpu_ratio is None else f"{cpu_ratio:.2f}",
        f"{result.peak_rss_mb:,.0f}",
        "; ".join(filter(None, [status, result.note])),
    )


def table(results: Sequence[Result]) -> str:
    """The results as an aligned text table."""
    cells = [HEADER, *(table_row(result) for result in results)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = []
    for row in cells:
        padded = [
            cell.rjust(width) if i in RIGHT_ALIGNED else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "polars": package_version("polars"),
        "rosterport": package_version("rosterport"),
    }


def package_version(name: str) -> str | None:
    """An installed distribution's version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def write_results(path: Path, results: Sequence[Result], options: argparse.Namespace) -> None:
    """Write every result with the machine and the arguments as JSON."""
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "arguments": {
            "students": options.students,
            "shapes": options.shapes,
            "hostile": options.hostile,
            "repeat": options.repeat,
            "seed": options.seed,
            "enrollments_per_student": options.enrollments_per_student,
            "frictionless": options.frictionless,
        },
        "targets": {"validate_to_raw_parse": 4.0, "peak_rss_mb_at_1m_students": 2560},
        "worst_validate_across_shapes": worst_validate(results),
        "results": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Time rosterport validate against a raw parse.")
    parser.add_argument("--students", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--shapes", nargs="*", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--hostile", nargs="*", choices=HOSTILE, default=[])
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the best is kept")
    parser.add_argument("--frictionless", action="store_true", help="add the row-by-row baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--enrollments-per-student", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a step dies")
    parser.add_argument("--results", type=Path, default=BENCH / "results.json")
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    options.data_dir = options.data_dir.resolve()
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark every scale, print the table and write the results file."""
    options = parse_args(argv)
    results: list[Result] = []
    for scale in options.students:
        for district in districts(options):
            results.extend(bench_district(district, scale, options))
            write_results(options.results, results, options)  # keep what was measured so far
    print()
    print(table(results))
    for scale, worst in worst_validate(results).items():
        print(
            f"\nworst validate across shapes at {int(scale):,} students: {worst['ratio']:.2f}× "
            f"the raw parse ({worst['district']}; cpu {worst['cpu_ratio']}×), "
            f"{worst['peak_rss_mb']:,.0f} MB"
        )
    print(f"\nresults written to {options.results}")
    return 0 if all(result.returncode == 0 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
