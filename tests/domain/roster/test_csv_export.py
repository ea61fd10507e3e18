"""The canonical roster as OneRoster 1.1 CSV: headers, values, bulk and delta, secrets, and
the round trip (what is written validates as oneroster-1.1 and maps back to the same
objects) for every roster model's fixture district."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from rosterport.domain.policy import Policy
from rosterport.domain.roster import COLLECTIONS, to_roster
from rosterport.domain.roster import csv_export as cx
from rosterport.domain.schemas import get_model
from rosterport.services.file_validation import validate_paths
from tests.domain.roster.fixtures import DISTRICT, FIXTURES, SECRETS

WHEN = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)


def stored(frame: pl.DataFrame, status: str = "active") -> pl.DataFrame:
    """A to_roster frame as the roster store holds it."""
    return frame.select("sourcedId", "json").with_columns(
        pl.lit(status).alias("status"), pl.lit(WHEN).alias("dateLastModified")
    )


def export(roster: dict[str, pl.DataFrame], folder: Path, kind: str = cx.BULK) -> Path:
    written: dict[str, str] = {}
    left: pl.Series | None = None
    for collection in COLLECTIONS:
        out = cx.rows(collection, stored(roster[collection]), kind=kind, classes_left_out=left)
        if collection == "classes":
            left = out.left_out
        if out.frame.height:
            out.frame.write_csv(folder / cx.file_name(collection))
            written[cx.file_name(collection)] = kind
    cx.manifest(written).write_csv(folder / cx.MANIFEST)
    return folder


def objects(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {s: json.loads(j) for s, j in frame.select("sourcedId", "json").iter_rows()}


@pytest.mark.parametrize("model", sorted(FIXTURES))
def test_a_bulk_export_validates_and_maps_back_to_the_same_roster(
    model: str, tmp_path: Path
) -> None:
    roster = to_roster(model, FIXTURES[model](), DISTRICT)
    folder = export(roster, tmp_path)
    result = validate_paths([folder], "oneroster-1.1", Policy(today=date(2026, 11, 28)))
    assert result.validation.report.summary() == {"error": 0, "warn": 0, "info": 0}
    back = to_roster("oneroster-1.1", result.validation.records, DISTRICT)
    classes = objects(roster["classes"])
    without_term = {s for s, o in classes.items() if not o["terms"]}
    for collection in COLLECTIONS:
        want = objects(roster[collection])
        if collection == "classes":
            want = {s: o for s, o in want.items() if s not in without_term}
        if collection == "enrollments":
            want = {s: o for s, o in want.items() if o["class"]["sourcedId"] not in without_term}  # type: ignore[index]  # a GUIDRef dict
        for found in want.values():
            found.pop("metadata", None)  # oneroster-1.1 input does not map metadata.* back
            if found.get("sex") == "other":
                found.pop("sex")  # not in OneRoster 1.1's vocabulary: written empty
        assert objects(back[collection]) == want, collection


def test_headers_are_the_standards_in_order_and_secrets_are_never_written(
    tmp_path: Path,
) -> None:
    for model in FIXTURES:
        (tmp_path / model).mkdir()
        folder = export(to_roster(model, FIXTURES[model](), DISTRICT), tmp_path / model)
        model_files = {
            f.name: [c.name for c in f.columns] for f in get_model("oneroster-1.1").files
        }
        for path in folder.iterdir():
            text = path.read_text()
            assert not any(secret in text for secret in SECRETS)
            if path.name == cx.MANIFEST:
                continue
            columns = text.splitlines()[0].split(",")
            standard = model_files[path.name]
            assert columns[: len(standard)] == standard
            assert all(c.startswith("metadata.") for c in columns[len(standard) :])
            if path.name == "users.csv":
                users = pl.read_csv(path, infer_schema=False)
                assert users.get_column("password").null_count() == users.height


def test_values_lists_references_and_user_ids(tmp_path: Path) -> None:
    folder = export(to_roster("oneroster-1.1", FIXTURES["oneroster-1.1"](), DISTRICT), tmp_path)
    users = pl.read_csv(folder / "users.csv", infer_schema=False)
    assert users.get_column("status").null_count() == users.height  # bulk: empty
    assert users.get_column("dateLastModified").null_count() == users.height
    text = (folder / "users.csv").read_text()
    several = users.filter(pl.col("orgSourcedIds").str.contains(","))
    assert several.height  # a GUIDRef list, comma-separated in one quoted cell
    assert f'"{several.get_column("orgSourcedIds")[0]}"' in text
    ids = users.get_column("userIds").drop_nulls()
    assert ids.len()
    assert ids.str.contains(r"^\{[^:{}]+:[^{}]+\}(,\{[^:{}]+:[^{}]+\})*$").all()


def test_identity_staff_metadata_is_a_metadata_column(tmp_path: Path) -> None:
    folder = export(
        to_roster("passport-identity", FIXTURES["passport-identity"](), DISTRICT), tmp_path
    )
    users = pl.read_csv(folder / "users.csv", infer_schema=False)
    staff = users.filter(pl.col("metadata.role") == "staff")
    assert staff.height
    assert set(staff.get_column("role")) == {"aide"}


def test_delta_rows_carry_status_and_date_tombstones_included() -> None:
    roster = to_roster("passport-roster", FIXTURES["passport-roster"](), DISTRICT)
    users = stored(roster["users"])
    gone = users.head(1).with_columns(pl.lit("tobedeleted").alias("status"))
    mixed = pl.concat([gone, users.slice(1, 2)])
    delta = cx.rows("users", mixed, kind=cx.DELTA).frame
    assert delta.get_column("status").to_list() == ["tobedeleted", "active", "active"]
    assert set(delta.get_column("dateLastModified")) == {"2026-11-28T09:00:00.123Z"}
    bulk = cx.rows("users", mixed, kind=cx.BULK).frame
    assert bulk.height == 2  # a bulk set is the live objects only
    assert gone.get_column("sourcedId")[0] not in bulk.get_column("sourcedId").to_list()


def test_manifest_lists_every_file_and_marks_missing_ones_absent() -> None:
    manifest = cx.manifest({"users.csv": "delta", "orgs.csv": "delta"})
    props = dict(manifest.iter_rows())
    assert props["manifest.version"] == "1.0"
    assert props["oneroster.version"] == "1.1"
    assert props["file.users"] == props["file.orgs"] == "delta"
    files = [k for k in props if k.startswith("file.")]
    assert len(files) == 13
    assert props["file.enrollments"] == props["file.results"] == "absent"
    text = io.StringIO()
    manifest.write_csv(text)
    assert text.getvalue().startswith("propertyName,value\n")


def test_the_manifest_is_renamed_last() -> None:
    assert cx.write_order(["manifest.csv", "users.csv", "orgs.csv"]) == [
        "orgs.csv",
        "users.csv",
        "manifest.csv",
    ]


def test_values_with_quotes_backslashes_and_other_scripts_are_written_as_they_are() -> None:
    from rosterport.domain.roster.objects import build

    tricky = 'Jo "JJ" O\'Neil \\ é, 李\t'
    frame = build(
        "users",
        pl.DataFrame(
            {
                "sourcedId": ["u1", "u2"],
                "username": [tricky, "plain"],
                "givenName": [tricky, "Ann"],
                "familyName": ["Lee", 'role":"x'],
                "role": ["student", "aide"],
                "identifier": ["id:1", None],
                "enabledUser": ["true", "false"],
                "orgs": [["S1", "S/2"], ["S1"]],
                "grades": [["09", "10"], []],
                "userIds": [[{"type": "state", "identifier": 'a:"b"'}], []],
                "metadata": [None, {"role": "staff"}],
            }
        ),
    )
    out = cx.rows("users", stored(frame), kind=cx.BULK).frame
    first, second = out.to_dicts()
    assert first["username"] == first["givenName"] == tricky
    assert first["identifier"] == "id:1"
    assert first["orgSourcedIds"] == "S1,S/2"
    assert first["grades"] == "09,10"
    assert first["userIds"] == '{state:a:"b"}'
    assert first["role"] == "student"
    assert first["metadata.role"] is None
    assert second["familyName"] == 'role":"x'
    assert (second["role"], second["metadata.role"]) == ("aide", "staff")
    assert second["identifier"] is None
    assert second["grades"] is None
    text = io.StringIO()
    out.write_csv(text)
    back = pl.read_csv(io.StringIO(text.getvalue()), infer_schema=False)
    assert back.get_column("givenName").to_list() == [tricky, "Ann"]
