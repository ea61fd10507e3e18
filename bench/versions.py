"""Benchmark of versioned datasets: preview and commit against a previous version.

    python bench/versions.py [--students 1000000] [--change 0.01] [--database URL]
        [--shape clever|sis|state]

Uses the district of bench/run.py (generated when missing; `--shape` as in
bench/generate.py, without defects), commits it as version 1, then
makes a copy where a share of the students changed (Last_name) and the same share of
enrollments moved to another section, and times, in this one process: validation, the
preview (diff against version 1), the commit (snapshot + database transaction) and the
propagation to the read model. Prints wall times, each step's peak memory and the peak of the
process. The district and its changed copy are made in a child process, and propagation runs
in its own (like `rosterport worker`): the figures are the upload's own memory.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import SHAPES, generate  # noqa: E402 - the repo root is put on the path above


def district(students: int, data_dir: Path, shape: str = "clever") -> Path:
    folder = district_folder(data_dir, students, shape)
    if not (folder / "defects.json").exists():
        generate(folder, students, shape=shape)
    return folder


def changed_copy(source: Path, target: Path, share: float, shape: str = "clever") -> dict[str, int]:
    """The district with `share` of students renamed and of enrollments dropped, written in
    the shape's quoting and line endings."""
    spelling = SHAPES[shape]
    ending = {"lf": "\n", "crlf": "\r\n"}.get(spelling.line_endings, "\n")
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for file in source.glob("*.csv"):
        frame = pl.read_csv(file, infer_schema=False)
        every = max(1, round(1 / share))
        pick = pl.int_range(pl.len()) % every == 0
        if file.name == "students.csv":
            frame = frame.with_columns(
                pl.when(pick).then(pl.col("Last_name") + "-Changed").otherwise(pl.col("Last_name"))
            )
            counts["students updated"] = frame.height // every
        elif file.name == "enrollments.csv":
            frame = frame.filter(~pick)
            counts["enrollments removed"] = (
                pl.read_csv(file, infer_schema=False).height - frame.height
            )
        frame.write_csv(
            target / file.name,
            quote_style=spelling.quoting,  # type: ignore[arg-type]  # a polars quote style name
            line_terminator=ending,
        )
    return counts


def prepare(
    students: int, data_dir: Path, target: Path, share: float, shape: str = "clever"
) -> dict[str, int]:
    """The district (generated when missing) and its changed copy in `target`."""
    return changed_copy(district(students, data_dir, shape), target, share, shape)


def propagate_elsewhere(settings: object) -> None:
    """Run the queued jobs in a separate process (like `rosterport worker`)."""
    import subprocess

    code = (
        "from rosterport.bootstrap import build_hub, build_worker; "
        "from rosterport.config import Settings; "
        f"build_worker(build_hub(Settings(data_dir={str(settings.data_dir)!r}, "  # type: ignore[attr-defined]  # Settings
        f"database_url={settings.database_url!r}))).drain()"  # type: ignore[attr-defined]  # Settings
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def district_folder(data_dir: Path, students: int, shape: str) -> Path:
    """Where `district` keeps the district of this shape."""
    return data_dir / (str(students) if shape == "clever" else f"{shape}-clean-{students}")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PEAKS: list[float] = []  # each step's peak: resetting VmHWM resets ru_maxrss too


def reset_step_peak() -> None:
    """Restart the kernel's high-water mark of this process (VmHWM), so each step reports its
    own peak. Linux only; elsewhere the step figures are the process's peak so far."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def step_peak_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return peak_mb()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--change", type=float, default=0.01)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--database", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--shape", choices=tuple(SHAPES), default="clever")
    parser.add_argument(
        "--no-propagate", action="store_true", help="skip propagation to the read model"
    )
    options = parser.parse_args()

    from rosterport.bootstrap import build_hub
    from rosterport.config import Settings
    from rosterport.csvio.sources import read_source
    from rosterport.services import upload_commit, upload_validation, uploads
    from rosterport.services.organizations import create_org

    base = district_folder(options.data_dir, options.students, options.shape)
    work = Path(tempfile.mkdtemp(prefix="rosterport-bench-"))
    # made in a child process: reading and rewriting 500 MB of CSV is not the upload's memory
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        changed = pool.apply(
            prepare,
            (options.students, options.data_dir, work / "v2", options.change, options.shape),
        )
    settings = Settings(data_dir=work / "data", database_url=options.database)
    hub = build_hub(settings)
    org = create_org(hub, f"bench-{int(time.time())}")
    timings: dict[str, float] = {}

    def step(name: str, run: object) -> object:
        PEAKS.append(step_peak_mb())  # what ran since the last step (reading the files)
        reset_step_peak()
        start = time.perf_counter()
        result = run() if callable(run) else run
        timings[name] = time.perf_counter() - start
        PEAKS.append(step_peak_mb())
        print(
            f"{name:<28} {timings[name]:8.2f} s   step peak {PEAKS[-1]:6.0f} MB"
            f"   process peak {max(PEAKS):6.0f} MB",
            flush=True,
        )
        return result

    for label, folder in (("v1", base), ("v2", work / "v2")):
        source = read_source([folder])
        files = [f for f in source.files if f.name.endswith(".csv")]
        session = uploads.start(hub, org, "passport-roster")
        uploads.add_files(hub, org, session.id, files)
        step(
            f"{label} validate",
            lambda s=session: upload_validation.run_validation(
                hub, org, s.id, committed_by="bench", source="cli"
            ),
        )
        # only the counts are kept: holding the preview would carry version 1's change set
        # (9M added keys) into version 2's steps, which no real upload does
        counts = step(
            f"{label} preview",
            lambda s=session: upload_commit.changes(hub, org, s.id).counts(),
        )
        step(
            f"{label} commit",
            lambda s=session: upload_commit.commit(
                hub, org, s.id, committed_by="bench", source="cli", allow_deletions=True
            ),
        )
        if not options.no_propagate:
            step(f"{label} propagate", lambda: propagate_elsewhere(settings))
        students, enrollments = counts["students.csv"], counts["enrollments.csv"]  # type: ignore[index]  # step returns the counts
        print(f"  {label} changes: {students} {enrollments}")
    print(f"made: {changed}; peak memory {max([*PEAKS, peak_mb()]):.0f} MB")


if __name__ == "__main__":
    main()
