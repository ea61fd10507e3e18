"""The issue catalogue: every issue type with its stable code, title, description and level.

Codes are kebab-case and never renamed: reports, APIs and settings refer to them. Record
issues have a configurable level (per organization, per run); file issues have a fixed one.

Each type (`domain/issue_type.py`) holds the shapes of its messages: `template`, and named
`variants` where one code has several situations (a reference to a record that is missing, or
that validation removed).
Checks render messages from these (`text`, `expr`) and give only the slots — the column, the
value, the fix — so the wording lives here, once (frictionless-py's habit). A slot written
`{value}` or `{n}` may be given as issueframe's placeholders, so that one template serves
millions of issues.
"""

from __future__ import annotations

from rosterport.domain.issue_type import IssueType, Level
from rosterport.errors import InputError

REQUIRED_ATTRIBUTE = IssueType(
    code="required-attribute",
    title="Required attribute",
    description="A value that the data model requires is empty (or only spaces).",
    template="{column} is required but empty; fill it in",
    level=Level.ERROR,
    record=True,
    variants=(
        ("requirement", "{column} is empty; {requirement}"),
        ("either", "{column} and {other} are both empty; fill in one to name the account"),
        ("delta", "{column} is required in a delta file ({manifest} marks {file} delta); {fix}"),
        ("deletion", "{column} is required but empty; it names the record to delete: fill it in"),
    ),
)
INVALID_FORMAT = IssueType(
    code="invalid-format",
    title="Invalid Format",
    description="A value is present but does not follow the format of its column.",
    template="{column} '{value}' is not {expected}; expected {accepted}{hint}",
    level=Level.ERROR,
    record=True,
    variants=(
        (
            "order",
            "{column} {value} is before {earlier} {earlier_value}; it must be on or after it",
        ),
        (
            "bulk",
            "{column} '{value}' must be empty: {manifest} marks {file} bulk (the file is the "
            "complete set); leave status and dateLastModified empty, or mark the file delta",
        ),
        (
            "counts",
            "{column} '{value}' has {count} codes but {other} '{other_value}' has {other_count} "
            "subjects; give one code per subject, in the same order (or leave {column} empty)",
        ),
    ),
)
UNIQUENESS_VIOLATION = IssueType(
    code="uniqueness-violation",
    title="Uniqueness violation",
    description="Two records of one file have the same key.",
    template="{key} '{value}' appears again: the same {entity} is on row {n}; keep one row per "
    "{entity}",
    level=Level.ERROR,
    record=True,
    variants=(
        (
            "credential",
            "this account already has credentials for application '{value}' on row {n}; keep one",
        ),
        (
            "primary",
            "class '{value}' already has a primary teacher on row {n}; at most one teacher per "
            "class should have primary true: set primary to false on the others",
        ),
    ),
)
REFERENCE_NOT_FOUND = IssueType(
    code="reference-not-found",
    title="Reference not found",
    description="A value refers to a record of another file that is not there (or was removed).",
    template="{column} '{value}' is not {noun} in {target}; add it to {target} or correct the "
    "value",
    level=Level.WARN,
    record=True,
    variants=(
        (
            "removed",
            "{column} '{value}' names {noun} that was removed from {target} (row {n} has "
            "issues); fix that row and {fix}",
        ),
        (
            "application",
            "{column} '{value}' is not an application activated for this organization; "
            "activate it in the Application Gallery or correct the value",
        ),
        (
            "no-account",
            "no account with {column} '{value}'{scope}; load the person's roster first or "
            "correct the value",
        ),
        (
            "accounts",
            "{column} '{value}'{scope} matches {n} accounts; add School_id or use User_id to "
            "name one",
        ),
        (
            "not-a-school",
            "{column} '{value}' is an org of type {type} in orgs.csv, not a school; {noun} "
            "should name its school: point it to an org of type school (or correct that org's "
            "type)",
        ),
    ),
)
MALFORMED_ROW = IssueType(
    code="malformed-row",
    title="Malformed row",
    description="A row has more or fewer fields than the header row.",
    template="row has {n} fields but the header has {width}; a value with a comma must be in "
    'double quotes ("Smith, Jr."), and every row needs one field per column',
    level=Level.ERROR,
    record=True,
)
UNREADABLE_FILE = IssueType(
    code="unreadable-file",
    title="Unreadable file",
    description="The file is not UTF-8 CSV: another encoding (UTF-16 too), a spreadsheet, "
    "broken quoting, or a header row of more columns than the limit.",
    template="{file} cannot be read: {reason}; {fix}",
    level=Level.ERROR,
    record=False,
    blocking=True,
)
MISSING_FILE = IssueType(
    code="missing-file",
    title="Missing file",
    description="A file the data model requires is not in the upload.",
    template="{file} is required for {model} but was not uploaded; add it (or switch the upload "
    "mode to Incremental to send only changes)",
    level=Level.ERROR,
    record=False,
    blocking=True,
    variants=(
        ("one-of", "{model} needs at least one of {files}; add one"),
        (
            "manifest",
            "{file} is marked {mode} in {manifest} ({property},{mode}) but was not uploaded; add "
            "it, or mark it absent ({property},absent) if it has nothing to send",
        ),
    ),
)
MISSING_COLUMN = IssueType(
    code="missing-column",
    title="Missing column",
    description="A column the data model requires is not in the header row.",
    template="required column {column} is missing from the header row of {file}{hint}; add it",
    level=Level.ERROR,
    record=False,
    blocking=True,
    variants=(("oneroster", "column {column} is missing from the header row of {file}; {fix}"),),
)
DUPLICATE_COLUMN = IssueType(
    code="duplicate-column",
    title="Duplicate column",
    description="Two header cells name the same column.",
    template="column {column} appears more than once in the header row of {file} (columns "
    "{positions}); keep one of them",
    level=Level.ERROR,
    record=False,
    blocking=True,
)
EMPTY_FILE = IssueType(
    code="empty-file",
    title="Empty file",
    description="The file has no header row, or a header row and no records.",
    template="{file} has a header row but no records; add the records or leave the file out",
    level=Level.ERROR,
    record=False,
    blocking=True,
    variants=(
        ("blank", "{file} is empty: it has no header row and no records"),
        ("no-header", "{file} has no header row: row 1 is blank; put the column names in row 1"),
        (
            "oneroster",
            "{file} has no records; if it has nothing to send, leave it out and mark it absent "
            "in {manifest} ({property},absent) instead",
        ),
    ),
)
MANIFEST_INVALID = IssueType(
    code="manifest-invalid",
    title="Invalid manifest",
    description="The OneRoster manifest.csv is missing, or a required property is wrong.",
    template="{file} is missing; a OneRoster 1.1 upload needs it: {fix}",
    level=Level.ERROR,
    record=False,
    blocking=True,
    variants=(
        (
            "version-1.0",
            "no manifest: this looks like OneRoster 1.0 (its seven files without manifest.csv); "
            "export OneRoster 1.1 from your SIS, or convert the files and {fix}",
        ),
        ("unreadable", "{problem}; OneRoster 1.1 needs a readable manifest.csv"),
        ("empty", "{file} has no properties; it needs {how}"),
        (
            "header",
            "the header row of {file} is {header}; it must be propertyName,value, with one "
            "property per row below it",
        ),
        (
            "fields",
            "this row of {file} has {fields} fields; each row is propertyName,value (put a value "
            "with a comma in double quotes)",
        ),
        (
            "again",
            "property {property} appears again (first on row {n}); keep one row per property",
        ),
        ("value", "{property} is {shown} in {file}; expected {accepted}{hint}"),
        ("missing", "required property {property} is missing from {file}{hint}; {fix}"),
    ),
)
WRONG_VERSION = IssueType(
    code="wrong-version",
    title="Wrong version",
    description="The files follow another version of the standard than the data model.",
    template="{evidence}: this looks like OneRoster 1.2; {fix}",
    level=Level.ERROR,
    record=False,
    blocking=True,
)
UNEXPECTED_FILE = IssueType(
    code="unexpected-file",
    title="Unexpected file",
    description="A file that the data model does not define; it is ignored.",
    template="{file} is not a file of {model}{reason}; it is ignored{hint}",
    level=Level.INFO,
    record=False,
    variants=(
        (
            "second",
            "{file} is a second {name}: {first} is read and this one is ignored; upload only one "
            "of them",
        ),
        ("oneroster", "{file} is not a OneRoster 1.1 file; it is ignored{hint}"),
        (
            "second-manifest",
            "{file} is a second manifest; it is ignored (the upload has {manifest})",
        ),
        ("cased-twice", "{file} is ignored: {name} is in the upload too; keep one of them"),
        (
            "absent",
            "{file} is marked absent in {manifest} ({property},absent), so it is ignored; to load "
            "it, mark it bulk (the complete set) or delta (changes)",
        ),
    ),
)
UNKNOWN_COLUMN = IssueType(
    code="unknown-column",
    title="Unknown column",
    description="A header names a column the data model does not define; it is ignored.",
    template="column {column} is not a column of {file}; it is ignored{hint}",
    level=Level.INFO,
    record=False,
    variants=(
        (
            "oneroster",
            "column {column} is not a OneRoster 1.1 column of {file}{hint}; it is ignored; {fix}",
        ),
        (
            "more",
            "{count} more columns of {file} are not {what} (the first: {first}); they are "
            "ignored{fix}",
        ),
    ),
)
HEADER_ORDER = IssueType(
    code="header-order",
    title="Columns out of order",
    description="OneRoster: the standard columns are all there but not in the standard order; "
    "they are read by name.",
    template="the columns of {file} are not in the standard order (column {position} is {found} "
    "where the standard has {expected}); they are read by name; put them in the standard order: "
    "{order}",
    level=Level.INFO,
    record=False,
)
HEADER_CASE = IssueType(
    code="header-case",
    title="Column name case",
    description="OneRoster: a header names a standard column in another case (Sourcedid); it is "
    "read as that column.",
    template="column {found} of {file} is read as {column}; OneRoster column names are "
    "case-sensitive: rename it {column}",
    level=Level.INFO,
    record=False,
    variants=(
        (
            "manifest",
            "the header row of {file} is read as propertyName,value; OneRoster names are "
            "case-sensitive: write it propertyName,value",
        ),
    ),
)
FILE_NAME_CASE = IssueType(
    code="file-name-case",
    title="File name case",
    description="OneRoster: a file is named in another case than the standard (Users.csv); it is "
    "read as that file.",
    template="{found} is read as {file}; OneRoster file names are case-sensitive: rename it {file}",
    level=Level.INFO,
    record=False,
)
MANIFEST_PROPERTY = IssueType(
    code="manifest-property",
    title="Unknown manifest property",
    description="OneRoster: manifest.csv has a property that OneRoster 1.1 does not define; it "
    "is ignored.",
    template="{property} is not a OneRoster 1.1 manifest property; it is ignored{hint}",
    level=Level.INFO,
    record=False,
)

CATALOGUE: dict[str, IssueType] = {
    issue.code: issue
    for issue in (
        REQUIRED_ATTRIBUTE,
        INVALID_FORMAT,
        UNIQUENESS_VIOLATION,
        REFERENCE_NOT_FOUND,
        MALFORMED_ROW,
        UNREADABLE_FILE,
        MISSING_FILE,
        MISSING_COLUMN,
        DUPLICATE_COLUMN,
        EMPTY_FILE,
        MANIFEST_INVALID,
        WRONG_VERSION,
        UNEXPECTED_FILE,
        UNKNOWN_COLUMN,
        HEADER_ORDER,
        HEADER_CASE,
        FILE_NAME_CASE,
        MANIFEST_PROPERTY,
    )
}

RECORD_ISSUES: tuple[str, ...] = tuple(code for code, t in CATALOGUE.items() if t.record)


def issue_type(code: str) -> IssueType:
    """The issue type for a code; InputError naming the known codes otherwise."""
    try:
        return CATALOGUE[code]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise InputError(f"unknown issue code {code!r}; known codes: {known}") from None
