"""The upload tool's API, end to end in-process: start, add files (streamed and multipart),
validate, verify changes, page the detail, commit, follow the status, history, downloads."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from tests.conftest import DATA
from tests.web.conftest import Site

VALID = DATA / "passport" / "valid-district"
BAD_DOB = DATA / "passport" / "student-bad-dob" / "students.csv"


def start(site: Site, headers: dict[str, str], model: str = "passport-roster") -> str:
    answer = site.client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": model}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["state"] == "adding"
    assert not body["ready"]
    return str(body["id"])


def put_folder(site: Site, headers: dict[str, str], session: str, folder: Path) -> dict:
    body: dict = {}
    for path in sorted(folder.glob("*.csv")):
        answer = site.client.put(
            f"/api/v1/orgs/springfield/uploads/{session}/files/{path.name}",
            content=path.read_bytes(),
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
    return body


def settle(site: Site, headers: dict[str, str], version: int) -> str:
    """Wait for the embedded worker to propagate `version`; its final status."""
    deadline = time.monotonic() + 30
    while True:
        status = site.client.get(
            f"/api/v1/orgs/springfield/versions/{version}", headers=headers
        ).json()["status"]
        if status != "Pending propagation" or time.monotonic() > deadline:
            return str(status)
        time.sleep(0.1)


def upload_bad_dob(site: Site, headers: dict[str, str]) -> tuple[str, dict]:
    """The valid district with its students.csv replaced by BAD_DOB, validated: the
    session's id and the validation's answer."""
    session = start(site, headers)
    for path in sorted(VALID.glob("*.csv")):
        data = BAD_DOB.read_bytes() if path.name == "students.csv" else path.read_bytes()
        site.client.put(
            f"/api/v1/orgs/springfield/uploads/{session}/files/{path.name}",
            content=data,
            headers=headers,
        )
    validated = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/validate", headers=headers
    ).json()
    return session, validated


def upload_valid(
    site: Site, headers: dict[str, str], folder: Path = VALID, *, allow_deletions: bool = False
) -> int:
    session = start(site, headers)
    assert put_folder(site, headers, session, folder)["ready"]
    validated = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/validate", headers=headers
    ).json()
    assert validated["report"]["valid"], validated
    committed = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/commit",
        json={"allow_deletions": allow_deletions},
        headers=headers,
    )
    assert committed.status_code == 200, committed.text
    assert committed.json()["status"] == "Pending propagation", committed.json()
    return int(committed.json()["version"])


def test_a_valid_district_goes_through_the_four_steps_into_production(site: Site) -> None:
    headers = site.token()
    session = start(site, headers)
    body = put_folder(site, headers, session, VALID)
    assert body["ready"]
    assert sorted(body["files"]) == sorted(p.name for p in VALID.glob("*.csv"))

    validated = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/validate", headers=headers
    ).json()
    assert validated["state"] == "validated"
    report = validated["report"]
    assert report["valid"]
    assert {f["status"] for f in report["files"]} == {"validated"}

    changes = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/changes", headers=headers
    ).json()
    students = changes["changes"]["students.csv"]
    rows = len(VALID.joinpath("students.csv").read_text().strip().splitlines()) - 1
    assert students == {"added": rows, "updated": 0, "removed": 0}
    assert changes["safeguards"] == []

    page = site.client.get(
        f"/api/v1/orgs/springfield/uploads/{session}/changes/students.csv",
        params={"change": "added", "limit": 2, "offset": 1},
        headers=headers,
    ).json()
    assert page["total"] == rows
    assert len(page["rows"]) == 2
    assert {r["change"] for r in page["rows"]} == {"added"}

    committed = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/commit", headers=headers
    ).json()
    version = committed["version"]
    assert committed["changes"]["students.csv"]["added"] == rows
    assert settle(site, headers, version) == "Successfully in production"

    history = site.client.get("/api/v1/orgs/springfield/versions", headers=headers).json()
    assert history[0]["version"] == version
    assert history[0]["committed_by"] == "admin@springfield.example"

    originals = site.client.get(
        f"/api/v1/orgs/springfield/versions/{version}/originals", headers=headers
    )
    assert originals.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(originals.content)).namelist()
    assert sorted(names) == sorted(p.name for p in VALID.glob("*.csv"))


def test_a_failed_file_has_a_grouped_breakdown_and_a_recorded_attempt(site: Site) -> None:
    headers = site.token()
    session, body = upload_bad_dob(site, headers)
    assert body["state"] == "failed"
    report = body["report"]
    assert not report["valid"]
    statuses = {f["name"]: f["status"] for f in report["files"]}
    assert statuses["students.csv"] == "failed"
    group = next(g for g in report["groups"] if g["file"] == "students.csv")
    assert group["column"] == "DOB"
    assert group["code"] == "invalid-format"
    assert group["count"] >= 1
    assert group["rows"]
    version = body["version"]
    listed = site.client.get(f"/api/v1/orgs/springfield/versions/{version}", headers=headers)
    assert listed.json()["status"] == "Validation Errors"
    csv = site.client.get(f"/api/v1/orgs/springfield/versions/{version}/report", headers=headers)
    assert csv.status_code == 200
    assert "students.csv" in csv.text

    # reset, then the good files pass
    reset = site.client.post(f"/api/v1/orgs/springfield/uploads/{session}/reset", headers=headers)
    assert reset.json()["state"] == "reset"
    assert upload_valid(site, headers) > version


def test_files_can_come_as_a_multipart_zip(site: Site, tmp_path: Path) -> None:
    headers = site.token()
    session = start(site, headers)
    archive = tmp_path / "district.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in VALID.glob("*.csv"):
            out.write(path, path.name)
    answer = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/files",
        files={"files": ("district.zip", archive.read_bytes(), "application/zip")},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["ready"]


def test_removing_too_much_is_held_until_approved(site: Site, tmp_path: Path) -> None:
    headers = site.token()
    first = upload_valid(site, headers)
    assert settle(site, headers, first) == "Successfully in production"
    smaller = tmp_path / "smaller"
    smaller.mkdir()
    for path in VALID.glob("*.csv"):
        lines = path.read_text().splitlines(keepends=True)
        if path.name == "enrollments.csv":
            lines = lines[: max(2, len(lines) // 2)]
        smaller.joinpath(path.name).write_text("".join(lines))
    session = start(site, headers)
    put_folder(site, headers, session, smaller)
    site.client.post(f"/api/v1/orgs/springfield/uploads/{session}/validate", headers=headers)
    changes = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/changes", headers=headers
    ).json()
    assert [s["file"] for s in changes["safeguards"]] == ["enrollments.csv"]
    held = site.client.post(
        f"/api/v1/orgs/springfield/uploads/{session}/commit", json={}, headers=headers
    ).json()
    assert held["status"] == "Held"
    approved = site.client.post(
        f"/api/v1/orgs/springfield/versions/{held['version']}/approve", headers=headers
    )
    assert approved.status_code == 200, approved.text
    assert settle(site, headers, held["version"]) == "Successfully in production"


def test_restore_and_compare(site: Site, tmp_path: Path) -> None:
    headers = site.token()
    first = upload_valid(site, headers)
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in VALID.glob("*.csv"):
        changed.joinpath(path.name).write_bytes(path.read_bytes())
    students = changed / "students.csv"
    lines = students.read_text().splitlines(keepends=True)
    students.write_text("".join(lines[:-1]))  # one student fewer
    second = upload_valid(site, headers, changed, allow_deletions=True)
    settle(site, headers, second)
    compared = site.client.get(
        "/api/v1/orgs/springfield/compare",
        params={"first": first, "second": second},
        headers=headers,
    ).json()
    assert compared["changes"]["students.csv"]["removed"] == 1
    restored = site.client.post(
        f"/api/v1/orgs/springfield/versions/{first}/restore",
        json={"allow_deletions": True},
        headers=headers,
    ).json()
    assert restored["changes"]["students.csv"]["added"] == 1, restored
    assert settle(site, headers, restored["version"]) == "Successfully in production"


def test_settings_round_trip_and_refuse_bad_values(site: Site) -> None:
    headers = site.token()
    put = site.client.put(
        "/api/v1/orgs/springfield/settings",
        json={
            "mode": "incremental",
            "levels": {"reference-not-found": "error"},
            "default_threshold": 0.2,
            "thresholds": {"students.csv": 0.05},
            "models": ["passport-roster"],
        },
        headers=headers,
    )
    assert put.status_code == 200, put.text
    got = site.client.get("/api/v1/orgs/springfield/settings", headers=headers).json()
    assert got["mode"] == "incremental"
    level = next(i for i in got["issue_levels"] if i["code"] == "reference-not-found")
    assert level["level"] == "error"
    bad = site.client.put(
        "/api/v1/orgs/springfield/settings",
        json={"mode": "sometimes", "models": ["passport-roster"]},
        headers=headers,
    )
    assert bad.status_code == 400
    assert "full or incremental" in bad.json()["error"]["message"]
    disabled = site.client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": "oneroster-1.1"}, headers=headers
    )
    assert disabled.status_code == 400
    assert "not enabled" in disabled.json()["error"]["message"]


def test_too_large_uploads_are_refused_and_not_kept(site: Site) -> None:
    headers = site.token()
    session = start(site, headers)
    site.client.app.state.settings = site.settings.model_copy(update={"max_upload_mb": 1})  # type: ignore[attr-defined]
    answer = site.client.put(
        f"/api/v1/orgs/springfield/uploads/{session}/files/students.csv",
        content=b"x" * (1024 * 1024 + 1),
        headers=headers,
    )
    assert answer.status_code == 413
    assert "larger than 1 MB" in answer.json()["error"]["message"]
    assert not list((site.settings.data_dir / "incoming").glob("*"))


def test_templates_zip(site: Site) -> None:
    answer = site.client.get("/api/v1/templates/passport-roster", headers=site.token())
    assert answer.status_code == 200
    assert "students.csv" in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()


def many_bad_dobs(count: int) -> bytes:
    """students.csv of the valid district plus `count` students whose DOB is refused."""
    valid = (VALID / "students.csv").read_bytes().decode()
    lines = [
        f"02M800,9{n:08d},{n},,Doe{n},,Jane,female,31.12.2010,9,A,N,N,11433,,,,,,,"
        for n in range(count)
    ]
    return (valid.rstrip("\n") + "\n" + "\n".join(lines) + "\n").encode()


def test_every_issue_of_an_upload_is_paged_and_filtered(site: Site) -> None:
    headers = site.token()
    session = start(site, headers)
    put_folder(site, headers, session, VALID)
    site.client.put(
        f"/api/v1/orgs/springfield/uploads/{session}/files/students.csv",
        content=many_bad_dobs(2_500),
        headers=headers,
    )
    base = f"/api/v1/orgs/springfield/uploads/{session}"
    body = site.client.post(f"{base}/validate", headers=headers).json()
    report = body["report"]
    assert report["issues"] == 2_500
    (group,) = [g for g in report["groups"] if g["column"] == "DOB"]
    assert group["count"] == 2_500
    assert len(group["rows"]) == 25  # the breakdown shows the first rows; the API pages the rest

    first = site.client.get(f"{base}/issues", params={"limit": 1000}, headers=headers).json()
    assert first["total"] == 2_500
    assert len(first["issues"]) == 1000
    assert first["issues"][0] == {
        "file": "students.csv",
        "row": 7,
        "column": "DOB",
        "value": "31.12.2010",
        "code": "invalid-format",
        "level": "error",
        "message": "DOB '31.12.2010' is not a date; expected MM/DD/YYYY, M/D/YY or YYYY-MM-DD "
        "(use / between month, day and year)",
    }
    last = site.client.get(
        f"{base}/issues", params={"offset": 2_000, "limit": 1000}, headers=headers
    ).json()
    assert [i["row"] for i in last["issues"]] == list(range(2_007, 2_507))
    capped = site.client.get(f"{base}/issues", params={"limit": 50_000}, headers=headers).json()
    assert len(capped["issues"]) == 1000  # at most 1,000 a page
    none = site.client.get(
        f"{base}/issues", params={"file": "students.csv", "code": "malformed-row"}, headers=headers
    ).json()
    assert none == {"total": 0, "offset": 0, "issues": []}
    dob = site.client.get(
        f"{base}/issues",
        params={"file": "students.csv", "column": "DOB", "level": "error", "offset": 2_499},
        headers=headers,
    ).json()
    assert dob["total"] == 2_500
    assert [i["row"] for i in dob["issues"]] == [2_506]

    # the attempt's report downloads as CSV made from the stored issue file, streamed
    csv = site.client.get(
        f"/api/v1/orgs/springfield/versions/{body['version']}/report", headers=headers
    )
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "file,row,column,value,code,level,message"
    assert len(lines) == 2_501
    paged = site.client.get(
        f"/api/v1/orgs/springfield/versions/{body['version']}/issues",
        params={"limit": 3},
        headers=headers,
    ).json()
    assert paged["total"] == 2_500
    assert [i["row"] for i in paged["issues"]] == [7, 8, 9]


def test_issues_of_an_upload_not_validated_yet_are_not_found(site: Site) -> None:
    headers = site.token()
    session = start(site, headers)
    answer = site.client.get(f"/api/v1/orgs/springfield/uploads/{session}/issues", headers=headers)
    assert answer.status_code == 404
    assert "validate it first" in answer.json()["error"]["message"]
