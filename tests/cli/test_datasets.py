"""`rosterport org|upload|history|download|restore|diff|approve|discard` end to end, on
both databases, in-process (`main([...])`)."""

from __future__ import annotations

import gc
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from rosterport.cli import main
from rosterport.domain.report import Report
from rosterport.services import upload_commit
from tests.conftest import district


@pytest.fixture
def data_dir(
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    monkeypatch.setenv("ROSTERPORT_DATABASE_URL", db_url)
    folder = tmp_path / "data"
    assert (
        main(["org", "create", "lincoln", "--name", "Lincoln USD", "--data-dir", str(folder)]) == 0
    )
    assert capsys.readouterr().out == "created organization lincoln (Lincoln USD)\n"
    return folder


def folder_of(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    target = tmp_path / name
    target.mkdir()
    for file, data in files.items():
        (target / file).write_bytes(data)
    return target


def run(
    capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str | Path
) -> tuple[int, str, str]:
    code = main([*map(str, argv), "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def upload(
    capsys: pytest.CaptureFixture[str], data_dir: Path, path: Path, *extra: str
) -> tuple[int, dict]:
    code, out, err = run(
        capsys,
        data_dir,
        "upload",
        path,
        "--org",
        "lincoln",
        "--model",
        "passport-roster",
        "--format",
        "json",
        *extra,
    )
    assert out, err
    return code, json.loads(out)


def test_upload_history_download_diff_restore(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    first = folder_of(tmp_path, "v1", district())
    code, result = upload(capsys, data_dir, first)
    assert code == 0
    assert result["status"] == "Successfully in production"
    assert result["changes"]["students.csv"] == {"added": 5, "updated": 0, "removed": 0}
    assert result["report"]["valid"] is True

    files = district()
    files["students.csv"] = files["students.csv"].replace(b",Schmeler,J,", b",Renamed,J,")
    code, dry = upload(capsys, data_dir, folder_of(tmp_path, "v2", files), "--dry-run")
    assert (code, dry["version"], dry["status"]) == (0, None, "dry run")
    assert dry["changes"]["students.csv"]["updated"] == 1
    code, second = upload(capsys, data_dir, tmp_path / "v2")
    assert code == 0

    code, out, _ = run(capsys, data_dir, "history", "--org", "lincoln", "--format", "json")
    rows = json.loads(out)
    assert [r["version"] for r in rows] == [second["version"], result["version"]]
    assert set(rows[0]) == {
        "version",
        "created_at",
        "committed_by",
        "model",
        "mode",
        "status",
        "changes",
        "restored_from",
    }
    assert rows[0]["committed_by"].startswith("cli")

    archive = tmp_path / "v1.zip"
    code, _, _ = run(
        capsys,
        data_dir,
        "download",
        str(result["version"]),
        "--org",
        "lincoln",
        "--originals",
        "-o",
        archive,
    )
    assert code == 0
    assert sorted(zipfile.ZipFile(archive).namelist()) == sorted(district())

    code, out, _ = run(
        capsys,
        data_dir,
        "diff",
        str(result["version"]),
        str(second["version"]),
        "--org",
        "lincoln",
        "--format",
        "json",
    )
    assert json.loads(out)["changes"]["students.csv"] == {"added": 0, "updated": 1, "removed": 0}

    code, out, _ = run(
        capsys, data_dir, "restore", str(result["version"]), "--org", "lincoln", "--format", "json"
    )
    restored = json.loads(out)
    assert code == 0
    assert restored["status"] == "Successfully in production"
    assert restored["changes"]["students.csv"]["updated"] == 1


def test_validation_errors_exit_1_and_are_in_the_history(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    files = district()
    files["students.csv"] = files["students.csv"].replace(b"11/1/98", b"13/45/2010")
    code, result = upload(capsys, data_dir, folder_of(tmp_path, "bad", files))
    assert code == 1
    assert result["status"] == "Validation Errors"
    assert result["report"]["valid"] is False
    report = tmp_path / "errors.csv"
    assert (
        run(
            capsys,
            data_dir,
            "download",
            str(result["version"]),
            "--org",
            "lincoln",
            "--report",
            "-o",
            report,
        )[0]
        == 0
    )
    assert "13/45/2010" in report.read_text(encoding="utf-8-sig")


def test_a_held_upload_exits_3_then_approve(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    files = district()
    upload(capsys, data_dir, folder_of(tmp_path, "v1", files))
    fewer = dict(files)
    fewer["students.csv"] = b"\n".join(files["students.csv"].split(b"\n")[:3]) + b"\n"
    fewer["enrollments.csv"] = b"School_id,Student_id,Section_id\n"
    fewer["enrollments.csv"] += (
        b"\n".join(
            line for line in files["enrollments.csv"].split(b"\n")[1:] if b"738733110" in line
        )
        + b"\n"
    )
    code, held = upload(capsys, data_dir, folder_of(tmp_path, "v2", fewer))
    assert (code, held["status"]) == (3, "Held")
    assert any("more than the 10% allowed" in note for note in held["notes"])
    code, out, _ = run(capsys, data_dir, "approve", str(held["version"]), "--org", "lincoln")
    assert code == 0
    assert "Successfully in production" in out


def test_unknown_organization_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, _, err = run(capsys, data_dir, "history", "--org", "nope")
    assert code == 2
    assert (
        err.strip()
        == "rosterport: no organization 'nope'; create it with `rosterport org create nope`"
    )


@pytest.mark.parametrize("output", ["json", "text"])
def test_a_dry_run_lets_the_report_go_before_it_previews(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output: str,
) -> None:
    """The report of millions of issues and the preview never sit in memory together: when
    the preview is computed, no Report object is alive (the JSON answer's report was
    written already; the text answer of a valid upload shows none). The answer is the same."""
    alive: list[int] = []
    real = upload_commit.changes

    def spying(*args: Any, **kwargs: Any) -> Any:
        gc.collect()
        alive.append(sum(isinstance(o, Report) for o in gc.get_objects()))
        return real(*args, **kwargs)

    monkeypatch.setattr(upload_commit, "changes", spying)
    folder = folder_of(tmp_path, "v1", district("student-bad-dob"))
    argv = ["upload", folder, "--org", "lincoln", "--model", "passport-roster", "--dry-run"]
    argv += ["--level", "invalid-format=warn", "--format", output]
    code, out, _ = run(capsys, data_dir, *argv)
    assert code == 0
    assert alive == [0]
    if output == "json":
        answer = json.loads(out)
        assert list(answer) == ["version", "status", "report", "changes", "notes"]
        assert answer["report"]["summary"] == {"error": 0, "warn": 4, "info": 0}
        assert answer["changes"]["students.csv"] == {"added": 3, "updated": 0, "removed": 0}
    else:
        assert out.splitlines()[0] == "dry run"
        assert "  students.csv" in out
