"""`oneroster-1.1`: IMS (1EdTech) OneRoster 1.1 CSV tables, as spec/oneroster-1.1.md reads them.

Every file starts with `sourcedId`, `status`, `dateLastModified`; columns must all be present
in the standard order (HeaderRule.STRICT). The manifest and bulk/delta rules are checks of
their own (domain/checks/oneroster/).
"""

from __future__ import annotations

from rosterport.domain.formats import Format
from rosterport.domain.formats_oneroster import (
    BOOL,
    DATE_TIME,
    FLOAT,
    GRADES,
    GUID,
    GUID_LIST,
    ISO_DATE,
    LIST,
    SECRET_STRING,
    STRING,
    USER_IDS,
    YEAR,
    enum_format,
)
from rosterport.domain.issue_type import Level
from rosterport.domain.schemas.model import (
    Column,
    DataModel,
    DateOrder,
    FileSchema,
    HeaderRule,
    Reference,
)

SESSION_TYPE = enum_format("session type", ("gradingPeriod", "semester", "schoolYear", "term"))
ORG_TYPE = enum_format(
    "org type", ("department", "school", "district", "local", "state", "national")
)
CLASS_TYPE = enum_format("class type", ("homeroom", "scheduled"))
USER_ROLE = enum_format(
    "role",
    ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"),
)
ENROLLMENT_ROLE = enum_format("role", ("administrator", "proctor", "student", "teacher"))
SEX = enum_format("sex", ("male", "female"))
IMPORTANCE = enum_format("importance", ("primary", "secondary"))
SCORE_STATUS = enum_format(
    "score status",
    ("exempt", "fully graded", "not submitted", "partially graded", "submitted"),
)
STATUS = enum_format("status", ("active", "tobedeleted"))


def _c(name: str, fmt: Format, *, required: bool = False, lists: bool = False) -> Column:
    return Column(name, fmt, required=required, list_separator="," if lists else None)


def _file(name: str, entity: str, *columns: Column) -> FileSchema:
    common = (
        _c("sourcedId", GUID, required=True),
        _c("status", STATUS),
        _c("dateLastModified", DATE_TIME),
    )
    return FileSchema(
        name=name, entity=entity, key=("sourcedId",), required=False, columns=common + columns
    )


ACADEMIC_SESSIONS = _file(
    "academicSessions.csv",
    "academic session",
    _c("title", STRING, required=True),
    _c("type", SESSION_TYPE, required=True),
    _c("startDate", ISO_DATE, required=True),
    _c("endDate", ISO_DATE, required=True),
    _c("parentSourcedId", GUID),
    _c("schoolYear", YEAR, required=True),
)
CATEGORIES = _file("categories.csv", "category", _c("title", STRING, required=True))
ORGS = _file(
    "orgs.csv",
    "org",
    _c("name", STRING, required=True),
    _c("type", ORG_TYPE, required=True),
    _c("identifier", STRING),
    _c("parentSourcedId", GUID),
)
COURSES = _file(
    "courses.csv",
    "course",
    _c("schoolYearSourcedId", GUID),
    _c("title", STRING, required=True),
    _c("courseCode", STRING),
    _c("grades", GRADES),
    _c("orgSourcedId", GUID, required=True),
    _c("subjects", LIST),
    _c("subjectCodes", LIST),
)
CLASSES = _file(
    "classes.csv",
    "class",
    _c("title", STRING, required=True),
    _c("grades", GRADES),
    _c("courseSourcedId", GUID, required=True),
    _c("classCode", STRING),
    _c("classType", CLASS_TYPE, required=True),
    _c("location", STRING),
    _c("schoolSourcedId", GUID, required=True),
    _c("termSourcedIds", GUID_LIST, required=True, lists=True),
    _c("subjects", LIST),
    _c("subjectCodes", LIST),
    _c("periods", LIST),
)
RESOURCES = _file(
    "resources.csv",
    "resource",
    _c("vendorResourceId", STRING, required=True),
    _c("title", STRING),
    _c("roles", LIST),
    _c("importance", IMPORTANCE),
    _c("vendorId", STRING),
    _c("applicationId", STRING),
)
CLASS_RESOURCES = _file(
    "classResources.csv",
    "class resource",
    _c("title", STRING),
    _c("classSourcedId", GUID, required=True),
    _c("resourceSourcedId", GUID, required=True),
)
COURSE_RESOURCES = _file(
    "courseResources.csv",
    "course resource",
    _c("title", STRING),
    _c("courseSourcedId", GUID, required=True),
    _c("resourceSourcedId", GUID, required=True),
)
USERS = _file(
    "users.csv",
    "user",
    _c("enabledUser", BOOL, required=True),
    _c("orgSourcedIds", GUID_LIST, required=True, lists=True),
    _c("role", USER_ROLE, required=True),
    _c("username", STRING, required=True),
    _c("userIds", USER_IDS),
    _c("givenName", STRING, required=True),
    _c("familyName", STRING, required=True),
    _c("middleName", STRING),
    _c("identifier", STRING),
    _c("email", STRING),
    _c("sms", STRING),
    _c("phone", STRING),
    _c("agentSourcedIds", GUID_LIST, lists=True),
    _c("grades", GRADES),
    _c("password", SECRET_STRING),
)
DEMOGRAPHICS = _file(
    "demographics.csv",
    "demographic record",
    _c("birthDate", ISO_DATE),
    _c("sex", SEX),
    _c("americanIndianOrAlaskaNative", BOOL),
    _c("asian", BOOL),
    _c("blackOrAfricanAmerican", BOOL),
    _c("nativeHawaiianOrOtherPacificIslander", BOOL),
    _c("white", BOOL),
    _c("demographicRaceTwoOrMoreRaces", BOOL),
    _c("hispanicOrLatinoEthnicity", BOOL),
    _c("countryOfBirthCode", STRING),
    _c("stateOfBirthAbbreviation", STRING),
    _c("cityOfBirth", STRING),
    _c("publicSchoolResidenceStatus", STRING),
)
ENROLLMENTS = _file(
    "enrollments.csv",
    "enrollment",
    _c("classSourcedId", GUID, required=True),
    _c("schoolSourcedId", GUID, required=True),
    _c("userSourcedId", GUID, required=True),
    _c("role", ENROLLMENT_ROLE, required=True),
    _c("primary", BOOL),
    _c("beginDate", ISO_DATE),
    _c("endDate", ISO_DATE),
)
LINE_ITEMS = _file(
    "lineItems.csv",
    "line item",
    _c("title", STRING, required=True),
    _c("description", STRING),
    _c("assignDate", ISO_DATE, required=True),
    _c("dueDate", ISO_DATE, required=True),
    _c("classSourcedId", GUID, required=True),
    _c("categorySourcedId", GUID, required=True),
    _c("gradingPeriodSourcedId", GUID, required=True),
    _c("resultValueMin", FLOAT, required=True),
    _c("resultValueMax", FLOAT, required=True),
)
RESULTS = _file(
    "results.csv",
    "result",
    _c("lineItemSourcedId", GUID, required=True),
    _c("studentSourcedId", GUID, required=True),
    _c("scoreStatus", SCORE_STATUS, required=True),
    _c("score", FLOAT, required=True),
    _c("scoreDate", ISO_DATE, required=True),
    _c("comment", STRING),
)


def _ref(file: str, column: str, target: str, noun: str) -> Reference:
    return Reference(file, (column,), target, ("sourcedId",), noun=noun)


ONEROSTER_11 = DataModel(
    name="oneroster-1.1",
    title="IMS OneRoster 1.1 CSV",
    description="The 1EdTech OneRoster 1.1 CSV binding: manifest.csv plus up to 13 data files.",
    header_rule=HeaderRule.STRICT,
    # Dependency order: orgs and sessions are referenced by everything; courses before classes;
    # users before enrollments, demographics and results; resources before their links.
    files=(
        ORGS,
        ACADEMIC_SESSIONS,
        CATEGORIES,
        COURSES,
        CLASSES,
        USERS,
        DEMOGRAPHICS,
        ENROLLMENTS,
        RESOURCES,
        CLASS_RESOURCES,
        COURSE_RESOURCES,
        LINE_ITEMS,
        RESULTS,
    ),
    references=(
        _ref("orgs.csv", "parentSourcedId", "orgs.csv", "org"),
        _ref("academicSessions.csv", "parentSourcedId", "academicSessions.csv", "academic session"),
        _ref("courses.csv", "schoolYearSourcedId", "academicSessions.csv", "academic session"),
        _ref("courses.csv", "orgSourcedId", "orgs.csv", "org"),
        _ref("classes.csv", "courseSourcedId", "courses.csv", "course"),
        _ref("classes.csv", "schoolSourcedId", "orgs.csv", "org"),
        _ref("classes.csv", "termSourcedIds", "academicSessions.csv", "academic session"),
        _ref("users.csv", "orgSourcedIds", "orgs.csv", "org"),
        _ref("users.csv", "agentSourcedIds", "users.csv", "user"),
        _ref("demographics.csv", "sourcedId", "users.csv", "user"),
        _ref("enrollments.csv", "classSourcedId", "classes.csv", "class"),
        _ref("enrollments.csv", "schoolSourcedId", "orgs.csv", "org"),
        _ref("enrollments.csv", "userSourcedId", "users.csv", "user"),
        _ref("classResources.csv", "classSourcedId", "classes.csv", "class"),
        _ref("classResources.csv", "resourceSourcedId", "resources.csv", "resource"),
        _ref("courseResources.csv", "courseSourcedId", "courses.csv", "course"),
        _ref("courseResources.csv", "resourceSourcedId", "resources.csv", "resource"),
        _ref("lineItems.csv", "classSourcedId", "classes.csv", "class"),
        _ref("lineItems.csv", "categorySourcedId", "categories.csv", "category"),
        _ref("lineItems.csv", "gradingPeriodSourcedId", "academicSessions.csv", "academic session"),
        _ref("results.csv", "lineItemSourcedId", "lineItems.csv", "line item"),
        _ref("results.csv", "studentSourcedId", "users.csv", "user"),
    ),
    rules=(DateOrder("academicSessions.csv", "startDate", "endDate", fixed_level=Level.INFO),),
    trims_values=False,
    notes=("Advisory (info): class and enrollment schools should be orgs of type school.",),
)
