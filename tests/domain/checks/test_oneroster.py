"""OneRoster 1.1 rules: manifest, versions, strict headers, bulk/delta, advisory checks.

Each case is a folder of tiny CSVs under tests/data/oneroster/, named after its defect.
Assertions compare the flattened issues `(file, row, column, code)`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl

from rosterport.csvio.reader import read_table
from rosterport.csvio.sources import read_source
from rosterport.domain.checks.files import PackagePlan
from rosterport.domain.checks.issueframe import empty
from rosterport.domain.checks.oneroster import OneRosterRules
from rosterport.domain.policy import Policy, Production
from rosterport.domain.schemas.oneroster import CLASSES, ONEROSTER_11, ORGS
from rosterport.domain.validator import Validation, validate
from rosterport.services.file_validation import validate_paths, validate_source
from tests.conftest import TODAY

DATA = Path(__file__).resolve().parents[2] / "data" / "oneroster"
Issue = tuple[str, int | None, str | None, str]
POLICY = Policy(today=TODAY)


def run(case: str, production: Production | None = None) -> Validation:
    """Validate one fixture folder (offline unless `production` is given)."""
    if production is None:
        return validate_paths([DATA / case], "oneroster-1.1", POLICY).validation
    source = read_source([DATA / case])
    return validate_source(source, "oneroster-1.1", POLICY, production).validation


def issues(validation: Validation) -> list[Issue]:
    return [
        (i["file"], i["row"], i["column"], i["code"]) for i in validation.report.to_dict()["issues"]
    ]


def levels(validation: Validation) -> list[tuple[Issue, str]]:
    return [
        ((i["file"], i["row"], i["column"], i["code"]), i["level"])
        for i in validation.report.to_dict()["issues"]
    ]


def messages(validation: Validation) -> list[str]:
    return [i["message"] for i in validation.report.to_dict()["issues"]]


def files(validation: Validation) -> list[tuple[str, str, int, int]]:
    return [
        (f["name"], f["status"], f["accepted"], f["filtered"])
        for f in validation.report.to_dict()["files"]
    ]


def keys(**frames: list[str]) -> dict[str, pl.DataFrame]:
    """Production keys: file stem → committed sourcedIds."""
    return {f"{stem}.csv": pl.DataFrame({"sourcedId": ids}) for stem, ids in frames.items()}


def ids(validation: Validation, file: str) -> list[Any]:
    return validation.records[file].get_column("sourcedId").to_list()


# -- the package ----------------------------------------------------------------------------


def test_valid_minimal_package_has_no_issues() -> None:
    validation = run("valid-minimal")
    assert validation.valid
    assert issues(validation) == []
    assert validation.modes["users.csv"] == "bulk"
    assert validation.modes["lineItems.csv"] == "absent"


def test_no_manifest_with_the_seven_1_0_files_gets_the_1_0_hint() -> None:
    validation = run("no-manifest-1.0")
    assert issues(validation) == [
        ("classes.csv", None, "grades", "missing-column"),
        ("classes.csv", None, "termSourcedIds", "missing-column"),
        ("courses.csv", None, "schoolYearSourcedId", "missing-column"),
        ("courses.csv", None, "grades", "missing-column"),
        ("demographics.csv", None, "sourcedId", "missing-column"),
        ("users.csv", None, "userIds", "missing-column"),
        ("users.csv", None, "agentSourcedIds", "missing-column"),
        ("users.csv", None, "grades", "missing-column"),
        ("manifest.csv", None, None, "manifest-invalid"),
    ]
    assert messages(validation)[-1].startswith("no manifest: this looks like OneRoster 1.0")
    assert "this is a OneRoster 1.0 column; 1.1 calls it termSourcedIds" in messages(validation)[1]
    assert "the header has userSourcedId" in messages(validation)[4]


def test_no_manifest_without_the_1_0_files_has_no_1_0_hint() -> None:
    validation = run("no-manifest")
    assert issues(validation) == [("manifest.csv", None, None, "manifest-invalid")]
    assert "1.0" not in messages(validation)[0].replace("manifest.version,1.0", "")
    assert files(validation) == [("orgs.csv", "validated", 2, 0)]  # still checked


def test_manifest_properties_missing_invalid_repeated_and_unknown() -> None:
    validation = run("manifest-invalid-properties")
    assert levels(validation) == [
        (("manifest.csv", None, "file.courses", "manifest-invalid"), "error"),
        (("manifest.csv", 2, "manifest.version", "manifest-invalid"), "error"),
        (("manifest.csv", 12, "file.orgs", "manifest-invalid"), "error"),
        (("manifest.csv", 16, "fiel.courses", "manifest-property"), "info"),
        (("manifest.csv", 17, "file.users", "manifest-invalid"), "error"),
        (("manifest.csv", 18, "source.vendor", "manifest-property"), "info"),
        (("manifest.csv", 19, "file.roles", "manifest-property"), "info"),
    ]
    found = messages(validation)
    assert "(is fiel.courses meant to be file.courses?)" in found[0]
    assert "write it in lower case: bulk" in found[2]
    assert "first on row 15" in found[4]
    # file.orgs has no valid mode, so orgs.csv is checked without bulk/delta rules
    assert "orgs.csv" not in validation.modes


def test_manifest_header_must_be_property_name_value() -> None:
    tables = [read_table("manifest.csv", b"name,value\nmanifest.version,1.0\n")]
    validation = validate(ONEROSTER_11, tables, POLICY)
    assert issues(validation) == [("manifest.csv", None, None, "manifest-invalid")]


def test_manifest_header_in_another_case_is_read_with_a_notice() -> None:
    lines = ["PropertyName,Value", "manifest.version,1.0", "oneroster.version,1.1"]
    lines += [f"file.{s.name.removesuffix('.csv')},absent" for s in ONEROSTER_11.files]
    validation = validate(
        ONEROSTER_11, [read_table("manifest.csv", "\n".join(lines).encode())], POLICY
    )
    assert issues(validation) == [("manifest.csv", None, None, "header-case")]
    assert validation.valid


def test_files_follow_the_manifest_and_names_are_case_sensitive() -> None:
    validation = run("manifest-file-modes")
    assert levels(validation) == [
        (("Orgs.csv", None, None, "file-name-case"), "info"),
        (("enrolments.csv", None, None, "unexpected-file"), "info"),
        (("sections.csv", None, None, "unexpected-file"), "info"),
        (("courses.csv", None, None, "unexpected-file"), "info"),
        (("users.csv", None, None, "missing-file"), "error"),
    ]
    assert files(validation) == [("Orgs.csv", "validated", 2, 0)]  # courses.csv is ignored
    assert "did you mean enrollments.csv?" in messages(validation)[1]
    assert "marked absent in manifest.csv (file.courses,absent)" in messages(validation)[3]


def test_a_file_in_two_cases_keeps_the_exact_name() -> None:
    orgs = (DATA / "valid-minimal" / "orgs.csv").read_bytes()
    manifest = (DATA / "bulk-with-status" / "manifest.csv").read_bytes()
    tables = [
        read_table("manifest.csv", manifest),
        read_table("ORGS.csv", orgs),
        read_table("orgs.csv", orgs),
    ]
    validation = validate(ONEROSTER_11, tables, POLICY)
    assert issues(validation) == [("ORGS.csv", None, None, "unexpected-file")]
    assert files(validation) == [("orgs.csv", "validated", 2, 0)]


def test_header_only_file_says_mark_it_absent() -> None:
    validation = run("empty-file-header-only")
    assert issues(validation) == [("academicSessions.csv", None, None, "empty-file")]
    assert (
        "mark it absent in manifest.csv (file.academicSessions,absent)" in messages(validation)[0]
    )


# -- OneRoster 1.2 --------------------------------------------------------------------------


def test_version_1_2_in_the_manifest_is_refused() -> None:
    validation = run("version-1.2-manifest")
    assert issues(validation) == [("manifest.csv", None, "oneroster.version", "wrong-version")]
    assert "this looks like OneRoster 1.2" in messages(validation)[0]
    assert files(validation) == []  # nothing else is checked
    assert validation.records == {}


def test_a_1_2_file_is_refused() -> None:
    validation = run("version-1.2-roles-file")
    assert issues(validation) == [("roles.csv", None, None, "wrong-version")]
    assert not validation.valid


def test_1_2_users_columns_are_refused() -> None:
    validation = run("version-1.2-users-columns")
    assert issues(validation) == [("users.csv", None, "userMasterIdentifier", "wrong-version")]
    assert "primaryOrgSourcedId" in messages(validation)[0]
    assert "pronouns" in messages(validation)[0]


# -- headers --------------------------------------------------------------------------------


def test_missing_standard_column_with_1_0_and_did_you_mean_hints() -> None:
    validation = run("missing-standard-column")
    assert issues(validation) == [
        ("classes.csv", None, "location", "missing-column"),
        ("classes.csv", None, "termSourcedIds", "missing-column"),
        ("classes.csv", None, "periods", "missing-column"),
    ]
    location, terms, periods = messages(validation)
    assert location.endswith("add it after classType")
    assert "this is a OneRoster 1.0 column; 1.1 calls it termSourcedIds" in terms
    assert "the header has perods: did you mean periods?" in periods
    assert files(validation)[1] == ("classes.csv", "failed", 0, 0)


def test_columns_reordered_are_read_by_name_with_notices() -> None:
    validation = run("columns-reordered")
    assert levels(validation) == [
        (("orgs.csv", None, "name", "header-case"), "info"),
        (("orgs.csv", None, None, "header-order"), "info"),
        (("orgs.csv", None, "metadata.region", "unknown-column"), "info"),
        (("orgs.csv", None, "notes", "unknown-column"), "info"),
    ]  # metadata.code, at the end, is fine
    assert validation.valid
    records = validation.records["orgs.csv"]
    assert records.select("sourcedId", "name", "type").rows() == [
        ("dst-1", "Fixture District", "district"),
        ("sch-1", "Fixture High", "school"),
    ]
    assert "rename it metadata.notes" in messages(validation)[3]
    assert "move it after parentSourcedId" in messages(validation)[2]


def test_duplicate_columns_block_the_file() -> None:
    header = ("sourcedId", "SourcedId", *ORGS.column_names[1:])
    mapped = OneRosterRules().header(ORGS, header, "orgs.csv")
    assert mapped.blocked
    assert mapped.issues.select("column", "code").rows() == [("sourcedId", "duplicate-column")]


def test_standard_header_maps_every_column_in_place() -> None:
    mapped = OneRosterRules().header(CLASSES, (*CLASSES.column_names, "metadata.x"), "classes.csv")
    assert mapped.issues.height == 0
    assert mapped.positions == {name: i for i, name in enumerate(CLASSES.column_names)}


def test_a_hostile_header_is_bounded_by_the_strict_rule_too() -> None:
    # 100,000 misplaced extra columns (near misses of every name) and a 5 MB cell: the first
    # 50 are reported one by one, the rest in one issue, every cell clipped.
    extras = [f"{ORGS.column_names[i % 3]}{i}" for i in range(100_000)]
    header = ("x" * 5_000_000, *extras, *ORGS.column_names[1:])
    started = time.monotonic()
    mapped = OneRosterRules().header(ORGS, header, "orgs.csv")
    assert time.monotonic() - started < 5
    found = mapped.issues.select("column", "code").rows()
    assert found[0] == ("sourcedId", "missing-column")
    assert "the header has sourcedId0: did you mean sourcedId?" in mapped.issues["message"][0]
    assert found[1] == ("x" * 64 + "… (5,000,000 characters)", "unknown-column")
    assert len(found) == 1 + 50 + 1
    assert found[-1] == (None, "unknown-column")
    assert mapped.issues["message"][-1].startswith(
        "99,950 more columns of orgs.csv are not OneRoster 1.1 columns of orgs.csv (the first: "
    )
    assert all(len(message) < 1_000 for message in mapped.issues["message"])


# -- bulk and delta -------------------------------------------------------------------------


def test_bulk_rows_leave_status_and_date_last_modified_empty() -> None:
    validation = run("bulk-with-status")
    assert issues(validation) == [
        ("orgs.csv", 2, "status", "invalid-format"),
        ("orgs.csv", 2, "dateLastModified", "invalid-format"),
        ("orgs.csv", 4, "status", "invalid-format"),  # 'inactive' is no status at all…
        ("orgs.csv", 4, "status", "invalid-format"),  # …and must be empty in bulk anyway
    ]
    assert "must be empty: manifest.csv marks orgs.csv bulk" in messages(validation)[0]


def test_delta_rows_need_status_and_date_and_deletions_need_only_the_key() -> None:
    validation = run("delta-tobedeleted")
    # offline, references to delta files cannot be resolved (production is unknown): a note
    assert issues(validation) == [
        ("enrollments.csv", 5, "status", "required-attribute"),
        ("enrollments.csv", 5, "dateLastModified", "required-attribute"),
        ("enrollments.csv", 6, "sourcedId", "required-attribute"),
    ]
    # the bare deletion of cls-2 is accepted and kept for the diff; so is enr-2, which deletes
    # an enrollment of the deleted class
    assert ids(validation, "classes.csv") == ["cls-1", "cls-2"]
    assert ids(validation, "enrollments.csv") == ["enr-1", "enr-2", "enr-3", "enr-4", None]
    assert validation.modes["classes.csv"] == "delta"
    assert any(
        "enrollments.csv classSourcedId was not checked against classes.csv" in note
        for note in validation.report.notes
    )


def test_delta_references_resolve_against_production_but_not_to_deleted_records() -> None:
    production = Production(
        keys={
            **keys(
                academicSessions=["trm-1"],
                courses=["crs-1"],
                users=["usr-s", "usr-t"],
                classes=["cls-1", "cls-2", "cls-3"],
            ),
            "orgs.csv": pl.DataFrame({"sourcedId": ["sch-1"], "type": ["school"]}),
        }
    )
    validation = run("delta-tobedeleted", production)
    # cls-2 is still in production, but this upload deletes it: enr-3 cannot point to it
    assert issues(validation) == [
        ("enrollments.csv", 4, "classSourcedId", "reference-not-found"),
        ("enrollments.csv", 5, "status", "required-attribute"),
        ("enrollments.csv", 5, "dateLastModified", "required-attribute"),
        ("enrollments.csv", 6, "sourcedId", "required-attribute"),
    ]
    assert validation.report.notes == ()  # every reference could be checked


def test_absent_files_resolve_against_production() -> None:
    committed = Production(
        keys=keys(courses=["crs-1"], academicSessions=["trm-1"], users=["usr-s"])
    )
    validation = run("school-not-a-school", committed)
    assert issues(validation) == [
        ("classes.csv", 2, "schoolSourcedId", "reference-not-found"),  # advisory: a district
        ("enrollments.csv", 2, "schoolSourcedId", "reference-not-found"),  # advisory: a district
        ("enrollments.csv", 3, "userSourcedId", "reference-not-found"),  # usr-t: not committed
    ]
    assert levels(validation)[2][1] == "warn"
    assert ids(validation, "enrollments.csv") == ["enr-1"]


def test_bulk_files_do_not_resolve_against_production() -> None:
    committed = Production(keys=keys(orgs=["sch-9"]))
    validation = run("unknown-org-reference", committed)
    # orgs.csv is bulk: the complete set, so the committed sch-9 is going away
    assert issues(validation)[0] == ("classes.csv", 3, "schoolSourcedId", "reference-not-found")


def test_uses_production_follows_the_manifest_modes() -> None:
    modes = {"orgs.csv": "bulk", "users.csv": "delta", "courses.csv": "absent"}
    plan = PackagePlan({}, modes, empty())
    rules = OneRosterRules()
    assert not rules.uses_production("orgs.csv", plan, POLICY)
    assert rules.uses_production("users.csv", plan, POLICY)
    assert rules.uses_production("courses.csv", plan, POLICY)
    assert not rules.uses_production("classes.csv", plan, POLICY)  # the manifest did not say


def test_not_required_only_exempts_deletions_in_delta_files() -> None:
    rules = OneRosterRules()
    values = pl.DataFrame({"status": ["active", "tobedeleted", None]})
    assert rules.not_required(ORGS, values, "bulk") is None
    exempt = rules.not_required(ORGS, values, "delta")
    assert exempt is not None
    assert values.select(exempt).to_series().to_list() == [False, True, False]


# -- references and cascades ----------------------------------------------------------------


def test_unknown_org_reference_filters_the_class_and_cascades_to_its_enrollments() -> None:
    validation = run("unknown-org-reference")
    assert levels(validation) == [
        (("classes.csv", 3, "schoolSourcedId", "reference-not-found"), "warn"),
        (("enrollments.csv", 3, "classSourcedId", "reference-not-found"), "warn"),
    ]
    assert ids(validation, "classes.csv") == ["cls-1"]
    assert ids(validation, "enrollments.csv") == ["enr-1"]
    assert "was removed from classes.csv (row 3 has issues)" in messages(validation)[1]


def test_guid_list_unknown_term_is_removed_and_an_emptied_class_cascades() -> None:
    validation = run("guid-list-unknown-term")
    assert issues(validation) == [
        ("classes.csv", 2, "termSourcedIds", "reference-not-found"),
        ("classes.csv", 3, "termSourcedIds", "reference-not-found"),
        ("enrollments.csv", 3, "classSourcedId", "reference-not-found"),
    ]
    classes = validation.records["classes.csv"]
    assert classes.select("sourcedId", "termSourcedIds").rows() == [("cls-1", "trm-1")]
    assert ids(validation, "enrollments.csv") == ["enr-1"]
    assert files(validation)[1] == ("classes.csv", "validated", 1, 1)


# -- advisory checks ------------------------------------------------------------------------


def test_schools_should_be_orgs_of_type_school() -> None:
    validation = run("school-not-a-school")
    assert levels(validation) == [
        (("classes.csv", 2, "schoolSourcedId", "reference-not-found"), "info"),
        (("enrollments.csv", 2, "schoolSourcedId", "reference-not-found"), "info"),
    ]
    assert validation.valid
    assert "an org of type district in orgs.csv, not a school" in messages(validation)[0]


def test_at_most_one_primary_teacher_per_class() -> None:
    validation = run("two-primary-teachers")
    assert levels(validation) == [
        (("enrollments.csv", 5, "primary", "uniqueness-violation"), "info"),
    ]
    assert "already has a primary teacher on row 2" in messages(validation)[0]
    assert ids(validation, "enrollments.csv") == ["enr-1", "enr-2", "enr-3", "enr-4"]


def test_subject_codes_pair_with_subjects() -> None:
    validation = run("subject-codes-length")
    assert levels(validation) == [
        (("classes.csv", 2, "subjectCodes", "invalid-format"), "error"),
    ]
    assert "has 2 codes but subjects 'Science, Physics, Biology' has 3" in messages(validation)[0]


def test_a_record_deleted_in_its_own_file_is_no_target() -> None:
    manifest = (DATA / "bulk-with-status" / "manifest.csv").read_bytes()
    orgs = (
        b"sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
        b"dst-1,tobedeleted,2024-09-01T08:00:00Z,,,,\n"
        b"sch-1,active,2024-09-01T08:00:00Z,Fixture High,school,FH,dst-1\n"
    )
    tables = [
        read_table("manifest.csv", manifest.replace(b"file.orgs,bulk", b"file.orgs,delta")),
        read_table("orgs.csv", orgs),
    ]
    validation = validate(ONEROSTER_11, tables, POLICY, Production(keys=keys(orgs=["dst-1"])))
    assert issues(validation) == [("orgs.csv", 3, "parentSourcedId", "reference-not-found")]


def test_a_header_only_manifest_is_invalid() -> None:
    tables = [read_table("manifest.csv", b"propertyName,value\n")]
    validation = validate(ONEROSTER_11, tables, POLICY)
    assert issues(validation) == [("manifest.csv", None, None, "manifest-invalid")]
    assert messages(validation)[0].startswith("manifest.csv has no properties; it needs the header")


def test_a_report_only_validation_still_looks_up_the_type_of_orgs() -> None:
    """`keep_records=False` (offline `validate`) keeps of orgs.csv what later files read:
    its keys and `type`, which classes and enrollments look up (OneRosterRules.later_columns)."""
    whole = run("school-not-a-school")
    lean = validate_paths(
        [DATA / "school-not-a-school"], "oneroster-1.1", POLICY, keep_records=False
    )
    assert lean.validation.report.flatten() == whole.report.flatten()
    assert messages(lean.validation) == messages(whole)
    assert "name" not in lean.validation.records["orgs.csv"].columns
    assert {"sourcedId", "type"} <= set(lean.validation.records["orgs.csv"].columns)
