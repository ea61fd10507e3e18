"""`--model auto`: which data model an upload follows, from its file names."""

from __future__ import annotations

from collections.abc import Iterable

from rosterport.domain.names import folded

ONEROSTER_FILES = {
    "academicsessions.csv",
    "categories.csv",
    "classes.csv",
    "classresources.csv",
    "courses.csv",
    "courseresources.csv",
    "demographics.csv",
    "lineitems.csv",
    "orgs.csv",
    "resources.csv",
    "results.csv",
    "users.csv",
}


def detect_model(names: Iterable[str]) -> tuple[str | None, str]:
    """The model name (None when nothing fits) and a sentence saying why."""
    present = {folded(n) for n in names}
    if "manifest.csv" in present:
        return "oneroster-1.1", "manifest.csv is present (OneRoster)"
    if "app_credentials.csv" in present:
        return "passport-sso", "app_credentials.csv is present"
    if present & {"sections.csv", "enrollments.csv", "teachers.csv", "admins.csv"}:
        return "passport-roster", "sections, enrollments or teachers files are present"
    if present & ONEROSTER_FILES:
        return "oneroster-1.1", "OneRoster file names (orgs.csv, users.csv, …) are present"
    if "staff.csv" in present or (present & {"schools.csv", "students.csv"}):
        return "passport-identity", "schools/students/staff files without sections are present"
    return None, "no file name matches a data model"
