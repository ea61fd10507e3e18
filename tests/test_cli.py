"""The command line, end to end: `rosterport.cli.main([...])` in-process, and real processes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rosterport.cli import main
from rosterport.domain.schemas import get_model
from tests.conftest import PASSPORT, district

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Run:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def upload(tmp_path: Path, *overlays: str, without: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir(parents=True)
    for name, data in district(*overlays, without=without).items():
        (folder / name).write_bytes(data)
    return folder


def assert_unusable(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2
    assert out == ""
    assert err.startswith("rosterport: ")
    assert err.count("\n") == 1  # one line
    assert "Traceback" not in err
    assert fragment in err


# -- exit status and formats -------------------------------------------------------------------


def test_valid_upload_exits_0_with_a_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", PASSPORT / "valid-district")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "note: data model passport-roster chosen because sections, enrollments or teachers "
        "files are present"
    )
    assert lines[1] == "passport-roster: VALID (0 errors, 0 warnings, 0 notices)"
    assert lines[-1] == "No issues."


def test_invalid_upload_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", upload(tmp_path, "student-bad-dob"))
    assert code == 1
    assert "NOT VALID" in out
    assert "[ERROR] students.csv › DOB: Invalid Format (2)" in out


def test_warnings_alone_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", upload(tmp_path, "enrollment-unknown-student"))
    assert code == 0
    assert "[WARN] enrollments.csv › Student_id: Reference not found (1)" in out


def test_json_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", "--format", "json", upload(tmp_path, "student-bad-dob"))
    assert code == 1
    payload = json.loads(out)
    assert payload["model"] == "passport-roster"
    assert payload["valid"] is False
    assert payload["summary"] == {"error": 2, "warn": 0, "info": 0}
    assert [(i["file"], i["row"], i["column"], i["code"]) for i in payload["issues"]] == [
        ("students.csv", 3, "DOB", "invalid-format"),
        ("students.csv", 5, "DOB", "invalid-format"),
    ]
    assert payload["notes"][0].startswith("data model passport-roster chosen because")


def test_csv_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", "--format", "csv", upload(tmp_path, "student-bad-dob"))
    assert code == 1
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["file", "row", "column", "value", "code", "level", "message"]
    assert [r[:5] for r in rows[1:]] == [
        ["students.csv", "3", "DOB", "13/45/2010", "invalid-format"],
        ["students.csv", "5", "DOB", "02/29/2005", "invalid-format"],
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, err = run(
        capsys, "validate", "--format", fmt, "-o", target, upload(tmp_path, "student-bad-dob")
    )
    assert code == 1
    assert out == ""
    written = target.read_text(encoding="utf-8")
    assert "13/45/2010" in written
    chosen = "data model passport-roster chosen because"
    if fmt == "text":
        assert chosen in written
    else:
        assert chosen in err  # not mixed into a machine-readable file


def test_csv_on_stdout_still_says_which_model_was_chosen(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "validate", "--format", "csv", PASSPORT / "valid-district")
    assert code == 0
    assert "data model passport-roster chosen because" in err


def test_model_named_explicitly_is_not_announced(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "validate", "--model", "passport-roster", PASSPORT / "valid-district"
    )
    assert code == 0
    assert "chosen because" not in out


def test_auto_detects_the_identity_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "schools.csv").write_bytes(b"School_id,School_name\nS1,One\n")
    (tmp_path / "staff.csv").write_bytes(
        b"School_id,Staff_id,First_name,Last_name,Email,Role\nS1,T1,Ann,Lee,a@x.org,teacher\n"
    )
    code, out, _ = run(capsys, "validate", "--format", "json", tmp_path)
    assert code == 0
    payload = json.loads(out)
    assert payload["model"] == "passport-identity"
    assert payload["notes"][0].startswith("data model passport-identity chosen because")


def test_level_option_changes_the_outcome(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = upload(tmp_path, "student-bad-dob")
    code, out, _ = run(
        capsys, "validate", "--format", "json", "--level", "invalid-format=Warn", folder
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["valid"] is True
    assert payload["summary"] == {"error": 0, "warn": 4, "info": 0}
    code, out, _ = run(
        capsys, "validate", "--format", "json", "--level", "reference-not-found=error",
        "--level", "invalid-format=info", upload(tmp_path / "again", "enrollment-unknown-student"),
    )  # fmt: skip
    assert code == 1
    assert json.loads(out)["summary"] == {"error": 1, "warn": 0, "info": 0}


def test_zip_upload(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    archive = tmp_path / "district.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, data in district().items():
            bundle.writestr(f"export/{name}", data)
        bundle.writestr("__MACOSX/export/._students.csv", b"\0")
    code, out, _ = run(capsys, "validate", archive)
    assert code == 0
    assert "note: district.zip: read the files inside the folder export/" in out
    assert "passport-roster: VALID" in out


def test_unreadable_file_is_an_invalid_upload_not_unusable_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "validate", upload(tmp_path, "not-utf8"))
    assert code == 1
    assert "[ERROR] students.csv: Unreadable file (1)" in out


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--demo", "--format", "json")
    payload = json.loads(out)
    assert code == (0 if payload["valid"] else 1)
    assert payload["model"] == "passport-roster"
    assert sorted(f["name"] for f in payload["files"]) == [
        "enrollments.csv",
        "schools.csv",
        "sections.csv",
        "students.csv",
        "teachers.csv",
    ]


# -- unusable input: exit 2, one line, no traceback ---------------------------------------------


def test_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_unusable(*run(capsys, "validate", tmp_path / "nowhere"), "does not exist")


def test_no_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert_unusable(*run(capsys, "validate"), "give a folder, a .zip or CSV files")


def test_model_cannot_be_detected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert_unusable(*run(capsys, "validate", tmp_path), "name it with --model")


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        ("bogus", "must look like CODE=LEVEL"),
        ("missing-file=info", "fixed"),
        ("invalid-format=loud", "unknown level 'loud'"),
        ("no-such-code=warn", "unknown issue code 'no-such-code'"),
    ],
)
def test_bad_level_option(capsys: pytest.CaptureFixture[str], option: str, fragment: str) -> None:
    result = run(capsys, "validate", "--level", option, PASSPORT / "valid-district")
    assert_unusable(*result, fragment)


def test_unknown_model_and_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_model:
        main(["validate", "--model", "passport-everything", str(PASSPORT / "valid-district")])
    _, err = capsys.readouterr()
    assert exit_model.value.code == 2
    assert err.count("\n") == 1
    assert "invalid choice: 'passport-everything'" in err
    with pytest.raises(SystemExit) as exit_format:
        main(["validate", "--format", "xlsx", str(PASSPORT / "valid-district")])
    assert exit_format.value.code == 2
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err


def test_not_a_zip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = tmp_path / "district.zip"
    fake.write_bytes(b"School_id\nS1\n")
    assert_unusable(*run(capsys, "validate", fake), "not a valid zip archive")


def test_zip_escaping_its_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("../../students.csv"), b"x")
    assert_unusable(*run(capsys, "validate", archive), "points outside the archive")


def test_damaged_zip_entry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    archive = tmp_path / "district.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        bundle.writestr("schools.csv", b"School_id,School_name\nS1,One\n")
    data = bytearray(archive.read_bytes())
    data[data.index(b"School_id")] ^= 0x20
    archive.write_bytes(bytes(data))
    assert_unusable(*run(capsys, "validate", archive), "cannot be unpacked")


def test_zip_bomb_of_small_entries(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    archive = tmp_path / "district.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for i in range(8):
            bundle.writestr(f"file{i}.csv", bytes(1024**2))
    assert_unusable(*run(capsys, "validate", archive), "this looks like a zip bomb and is refused")


def test_zip_with_a_duplicate_entry_name_printed_without_control_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    archive = tmp_path / "district.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("students\x1b[2J.csv", b"a\n1\n")
        bundle.writestr("STUDENTS\x1b[2J.csv", b"a\n2\n")
    code, out, err = run(capsys, "validate", archive)
    assert_unusable(code, out, err, "has two entries named STUDENTS\\x1b[2J.csv (students")
    assert "\x1b" not in err


def test_json_report_of_a_latin_1_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = upload(tmp_path)
    teachers = (folder / "teachers.csv").read_bytes().replace(b"zieWaex5coe", b"TopS\xe9cretPW-111")
    (folder / "teachers.csv").write_bytes(teachers)
    for fmt in ("json", "csv", "text"):
        code, out, _ = run(capsys, "validate", folder, "--format", fmt)
        assert code == 1
        assert "row 2, column 11 (K)" in out
        assert "cretPW" not in out
        assert "TopS" not in out


def test_report_cannot_be_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "report.json"
    result = run(capsys, "validate", "-o", target, PASSPORT / "valid-district")
    assert_unusable(*result, "report.json")


# -- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["passport-roster", "passport-identity", "passport-sso"])
def test_templates(capsys: pytest.CaptureFixture[str], tmp_path: Path, model: str) -> None:
    target = tmp_path / "templates.zip"
    code, out, _ = run(capsys, "templates", "--model", model, "-o", target)
    assert code == 0
    assert out == f"wrote templates for {model} to {target}\n"
    schema = get_model(model)
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [*(f.name for f in schema.files), "README.txt"]
        for spec in schema.files:
            data = archive.read(spec.name).decode("utf-8")
            assert data == ",".join(spec.column_names) + "\r\n"
        assert model in archive.read("README.txt").decode("utf-8")


def test_templates_need_a_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["templates", "-o", str(tmp_path / "t.zip")])
    assert exited.value.code == 2
    assert "--model" in capsys.readouterr().err


# -- real processes ---------------------------------------------------------------------------


def python_m(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rosterport", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_m_rosterport_validates(tmp_path: Path) -> None:
    done = python_m("validate", "--format", "json", upload(tmp_path, "student-unknown-school"))
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["valid"] is True
    assert [(i["file"], i["row"], i["code"]) for i in payload["issues"]] == [
        ("enrollments.csv", 4, "reference-not-found"),
        ("students.csv", 3, "reference-not-found"),
    ]


def test_python_m_rosterport_unusable_input_has_no_traceback(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("students.csv", b"0" * (4 * 1024**2))
    done = python_m("validate", bomb)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("rosterport: bomb.zip: entry students.csv expands ")
    assert "zip bomb" in done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_a_command_that_loads_the_sftp_stack_writes_nothing_to_stderr(tmp_path: Path) -> None:
    # `org create` loads the services and asyncssh with them: a library's warning at import
    # (asyncssh naming cryptography's deprecated DSA classes) must not reach the user
    done = python_m("org", "create", "springfield", "--data-dir", tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created organization springfield")
    assert done.stderr == ""
