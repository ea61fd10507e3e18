"""The canonical roster mapping: exact objects per model, stable ids, no collisions, no
secrets, references that resolve, empty states, and the time a large district takes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import polars as pl
import pytest

from rosterport.domain.production_state import conform_state
from rosterport.domain.roster import COLLECTIONS, District, columns, to_roster
from rosterport.domain.roster.objects import REF_TYPES
from rosterport.domain.schemas import get_model
from rosterport.errors import UnknownModelError
from tests.conftest import DATA, check, district, files_in
from tests.domain.roster.fixtures import (
    DISTRICT,
    FIXTURES,
    ONEROSTER_DANGLING_FILES,
    SECRETS,
    states,
)
from tests.domain.roster.generated import generated_district

Roster = dict[str, pl.DataFrame]
COLLECTION_OF_TYPE = {kind: collection for collection, kind in REF_TYPES.items()}


def roster(model: str) -> Roster:
    return to_roster(model, FIXTURES[model](), DISTRICT)


def objects(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["sourcedId"]: json.loads(row["json"]) for row in frame.iter_rows(named=True)}


def obj(result: Roster, collection: str, sourced_id: str) -> dict[str, Any]:
    return objects(result[collection])[sourced_id]


def ref(collection: str, sourced_id: str) -> dict[str, str]:
    return {
        "href": f"/{collection}/{sourced_id}",
        "sourcedId": sourced_id,
        "type": REF_TYPES[collection],
    }


def validated(model: str, files: Mapping[str, bytes]) -> dict[str, pl.DataFrame]:
    """Files through the validator, as the states a commit of them holds."""
    validation = check(files, model)
    schema = get_model(model)
    return {
        name: conform_state(schema.file(name), frame) for name, frame in validation.records.items()
    }


REAL = {
    "passport-roster": lambda: validated("passport-roster", district("with-admins")),
    "passport-identity": lambda: validated(
        "passport-identity", files_in(DATA / "passport-identity" / "valid")
    ),
    "oneroster-1.1": lambda: validated(
        "oneroster-1.1", files_in(DATA / "oneroster" / "valid-minimal")
    ),
}


# -- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(FIXTURES))
def test_every_collection_has_its_columns(model: str) -> None:
    result = roster(model)
    assert tuple(result) == COLLECTIONS
    for name, frame in result.items():
        assert frame.schema == pl.Schema(columns(name)), name


def test_the_columns_of_each_collection() -> None:
    text, texts = pl.String(), pl.List(pl.String)
    common = {"sourcedId": text, "json": text, "schools": texts}
    assert columns("orgs") == {**common, "type": text}
    assert columns("academicSessions") == {**common, "type": text, "school": text}
    assert columns("courses") == {**common, "school": text}
    assert columns("classes") == {**common, "school": text, "course": text, "terms": texts}
    assert columns("users") == {
        **common,
        "role": text,
        "email": text,
        "username": text,
        "givenName": text,
        "familyName": text,
        "identifier": text,
    }
    assert columns("enrollments") == {
        **common,
        "class": text,
        "user": text,
        "role": text,
        "school": text,
    }
    assert columns("demographics") == common


@pytest.mark.parametrize("model", sorted(FIXTURES))
@pytest.mark.parametrize("given", ["nothing", "empty frames"])
def test_empty_states_give_empty_collections(model: str, given: str) -> None:
    schema = get_model(model)
    states = (
        {}
        if given == "nothing"
        else {f.name: conform_state(f, pl.DataFrame()) for f in schema.files}
    )
    result = to_roster(model, states, DISTRICT)
    for name, frame in result.items():
        assert frame.schema == pl.Schema(columns(name)), name
        if model.startswith("passport") and name == "orgs":
            assert frame["sourcedId"].to_list() == [DISTRICT.sourced_id]  # the district org
            assert obj(result, "orgs", DISTRICT.sourced_id) == {
                "sourcedId": "district-springfield",
                "name": "Springfield Public Schools",
                "type": "district",
                "identifier": "SPS-1",
            }
        else:
            assert frame.height == 0, name


@pytest.mark.parametrize("model", ["passport-sso", "clever"])
def test_only_roster_models_map(model: str) -> None:
    with pytest.raises(UnknownModelError, match="not a roster data model"):
        to_roster(model, {}, DISTRICT)


# -- passport-roster ---------------------------------------------------------------------------


def test_passport_orgs() -> None:
    result = roster("passport-roster")
    assert obj(result, "orgs", "district-springfield") == {
        "sourcedId": "district-springfield",
        "name": "Springfield Public Schools",
        "type": "district",
        "identifier": "SPS-1",
        "children": [ref("orgs", "S1"), ref("orgs", "S2")],
    }
    assert obj(result, "orgs", "S1") == {
        "sourcedId": "S1",
        "name": "Springfield High",
        "type": "school",
        "identifier": "101",
        "parent": ref("orgs", "district-springfield"),
    }
    orgs = result["orgs"].sort("sourcedId")
    assert orgs.select("sourcedId", "type", "schools").rows() == [
        ("S1", "school", ["S1"]),
        ("S2", "school", ["S2"]),
        ("district-springfield", "district", []),
    ]


def test_passport_student_in_two_schools_is_one_user() -> None:
    result = roster("passport-roster")
    assert result["users"].row(by_predicate=pl.col("sourcedId") == "1001", named=True)["json"] == (
        '{"sourcedId":"1001","username":"arivera","userIds":[{"type":"state","identifier":'
        '"ST-1001"}],"enabledUser":"true","givenName":"Ana","familyName":"Rivera",'
        '"middleName":"Q","role":"student","identifier":"N-1001","email":'
        '"ana.rivera@example.org","orgs":[{"href":"/orgs/S1","sourcedId":"S1","type":"org"},'
        '{"href":"/orgs/S2","sourcedId":"S2","type":"org"}],"grades":["09"]}'
    )
    row = result["users"].row(by_predicate=pl.col("sourcedId") == "1001", named=True)
    assert row | {"json": None} == {
        "sourcedId": "1001",
        "json": None,
        "schools": ["S1", "S2"],
        "role": "student",
        "email": "ana.rivera@example.org",
        "username": "arivera",
        "givenName": "Ana",
        "familyName": "Rivera",
        "identifier": "N-1001",
    }


def test_passport_usernames_fall_back_to_email_then_sis_id() -> None:
    users = roster("passport-roster")["users"]
    usernames = dict(users.select("sourcedId", "username").iter_rows())
    assert usernames["1002"] == "chidi@example.org"  # no Username
    assert usernames["1003"] == "1003"  # neither Username nor e-mail
    assert usernames["teacher-87"] == "glover@example.org"
    assert usernames["teacher-88"] == "88"
    assert usernames["staff-A2"] == "vp@example.org"


def test_passport_teachers_and_administrators() -> None:
    result = roster("passport-roster")
    assert obj(result, "users", "teacher-86") == {
        "sourcedId": "teacher-86",
        "username": "hhauck",
        "userIds": [{"type": "state", "identifier": "STT-86"}],
        "enabledUser": "true",
        "givenName": "Haylie",
        "familyName": "Hauck",
        "middleName": "J",
        "role": "teacher",
        "identifier": "T-86",
        "email": "hauck@example.org",
        "orgs": [ref("orgs", "S1")],
    }
    assert obj(result, "users", "staff-A1") == {
        "sourcedId": "staff-A1",
        "username": "tkhan",
        "enabledUser": "true",
        "givenName": "Theodora",
        "familyName": "Khan",
        "role": "administrator",
        "email": "principal@example.org",
        "orgs": [ref("orgs", "S1")],
    }


def test_a_teacher_and_a_student_with_the_same_id_are_different_users() -> None:
    result = roster("passport-roster")
    student, teacher = obj(result, "users", "86"), obj(result, "users", "teacher-86")
    assert (student["role"], student["givenName"]) == ("student", "Sam")
    assert (teacher["role"], teacher["givenName"]) == ("teacher", "Haylie")
    # a student id that looks like a derived one is prefixed, never taken for the teacher's
    assert obj(result, "users", "student-teacher-5")["givenName"] == "Jo"
    assert "teacher-5" not in objects(result["users"])
    # and each enrollment names the right one
    enrollments = result["enrollments"]
    assert set(enrollments.filter(pl.col("class") == "582").select("user", "role").rows()) == {
        ("86", "student"),
        ("teacher-87", "teacher"),
        ("teacher-86", "teacher"),
    }


def test_passport_terms_courses_and_classes() -> None:
    result = roster("passport-roster")
    classes = objects(result["classes"])
    fall = classes["581"]["terms"][0]["sourcedId"]
    algebra = classes["581"]["course"]["sourcedId"]
    assert fall.startswith("term-")
    assert len(fall) == len("term-") + 20
    assert algebra.startswith("course-")
    assert classes["581"] == {
        "sourcedId": "581",
        "title": "Algebra I (Period 3)",
        "classCode": "1",
        "classType": "scheduled",
        "grades": ["09"],
        "subjects": ["Math"],
        "course": ref("courses", algebra),
        "school": ref("orgs", "S1"),
        "terms": [ref("academicSessions", fall)],
        "periods": ["3"],
    }
    assert obj(result, "academicSessions", fall) == {
        "sourcedId": fall,
        "title": "Fall",
        "startDate": "2025-08-20",
        "endDate": "2025-12-19",
        "type": "term",
        "schoolYear": "2026",
    }
    assert obj(result, "courses", algebra) == {
        "sourcedId": algebra,
        "title": "Algebra I",
        "courseCode": "MATH-1",
        "grades": ["09", "10"],  # of both its sections, in CEDS order
        "subjects": ["Math"],
        "org": ref("orgs", "S1"),
    }
    # no Name: Course_name - Section_number; same course number: same course and term
    assert classes["582"]["title"] == "Algebra I - 2"
    assert classes["582"]["course"] == classes["581"]["course"]
    assert classes["582"]["terms"] == classes["581"]["terms"]
    # no Name, no Section_number: the course name; a course by name; a term without a name
    assert classes["583"]["title"] == "Reading"
    reading = obj(result, "courses", classes["583"]["course"]["sourcedId"])
    assert (reading["title"], "courseCode" in reading) == ("Reading", False)
    term = obj(result, "academicSessions", classes["583"]["terms"][0]["sourcedId"])
    assert term["title"] == "2025-08-25 – 2026-06-10"
    # no course at all: a course of its own, titled like the class; no term: no terms
    assert classes["584"]["terms"] == []
    assert obj(result, "courses", classes["584"]["course"]["sourcedId"])["title"] == "Homeroom 5B"
    # a summer term belongs to the school year it starts in
    summer = obj(result, "academicSessions", classes["585"]["terms"][0]["sourcedId"])
    assert (summer["title"], summer["schoolYear"]) == ("Summer", "2025")
    sessions = result["academicSessions"].filter(pl.col("sourcedId") == fall)
    assert sessions.select("type", "school", "schools").row(0) == ("term", "S1", ["S1"])
    index = result["classes"].filter(pl.col("sourcedId") == "581")
    assert index.select("school", "course", "terms", "schools").row(0) == (
        "S1",
        algebra,
        [fall],
        ["S1"],
    )


def test_passport_enrollments() -> None:
    result = roster("passport-roster")
    enrollments = result["enrollments"]
    assert obj(result, "enrollments", "enrollment-3-581-teacher-86") == {
        "sourcedId": "enrollment-3-581-teacher-86",
        "user": ref("users", "teacher-86"),
        "class": ref("classes", "581"),
        "school": ref("orgs", "S1"),
        "role": "teacher",
        "primary": "true",
    }
    assert obj(result, "enrollments", "enrollment-3-581-1002") == {
        "sourcedId": "enrollment-3-581-1002",
        "user": ref("users", "1002"),
        "class": ref("classes", "581"),
        "school": ref("orgs", "S1"),
        "role": "student",
        "primary": "false",
    }
    in_581 = enrollments.filter(pl.col("class") == "581")
    primary = {
        o["user"]["sourcedId"]: o["primary"]
        for o in objects(in_581).values()
        if o["role"] == "teacher"
    }
    # Teacher_id primary, Teacher_2_id … Teacher_10_id co-teachers
    assert primary == {"teacher-86": "true", **{f"teacher-{n}": "false" for n in range(90, 99)}}
    # 1002 is listed in 581 twice (at S1 and at S2): one enrollment, at the class's school
    assert in_581.filter(pl.col("user") == "1002").select("school", "schools").rows() == [
        ("S1", ["S1"])
    ]
    # a teacher that is no user (99) and a student that is none (ghost) are not enrolled
    users = set(enrollments["user"])
    assert "teacher-99" not in users
    assert "ghost" not in users


def test_passport_demographics() -> None:
    result = roster("passport-roster")
    assert obj(result, "demographics", "1001") == {
        "sourcedId": "1001",
        "birthDate": "2010-04-05",
        "sex": "female",
        "americanIndianOrAlaskaNative": "false",
        "asian": "true",
        "blackOrAfricanAmerican": "false",
        "nativeHawaiianOrOtherPacificIslander": "false",
        "white": "false",
        "demographicRaceTwoOrMoreRaces": "false",
        "hispanicOrLatinoEthnicity": "true",
    }
    two_or_more = obj(result, "demographics", "1002")
    assert (two_or_more["sex"], two_or_more["demographicRaceTwoOrMoreRaces"]) == ("other", "true")
    assert two_or_more["hispanicOrLatinoEthnicity"] == "false"
    flags = {
        sid: [k for k, v in o.items() if v == "true"]
        for sid, o in objects(result["demographics"]).items()
    }
    assert flags["86"] == ["blackOrAfricanAmerican"]
    assert flags["1003"] == ["white"]
    assert flags["1004"] == ["nativeHawaiianOrOtherPacificIslander"]
    assert flags["student-teacher-5"] == ["americanIndianOrAlaskaNative"]
    # the demographics of a user are found under the user's id, with the user's schools
    demographics = result["demographics"].filter(pl.col("sourcedId") == "1001")
    assert demographics["schools"].to_list() == [["S1", "S2"]]


# -- passport-identity -------------------------------------------------------------------------


def test_identity_users_by_role() -> None:
    result = roster("passport-identity")
    assert obj(result, "users", "staff-1001") == {
        "sourcedId": "staff-1001",
        "metadata": {"role": "staff"},
        "username": "pjones",
        "enabledUser": "true",
        "givenName": "Pat",
        "familyName": "Jones",
        "role": "aide",
        "email": "pjones@example.org",
        "orgs": [ref("orgs", "S1")],
    }
    roles = dict(result["users"].select("sourcedId", "role").iter_rows())
    assert roles == {
        "1001": "student",
        "1003": "student",
        "1005": "student",
        "staff-47": "teacher",
        "staff-A2": "administrator",
        "staff-1001": "aide",
    }
    assert obj(result, "users", "staff-47")["orgs"] == [ref("orgs", "S1"), ref("orgs", "S2")]
    assert obj(result, "users", "1003")["grades"] == ["PK"]
    assert obj(result, "demographics", "1001") == {
        "sourcedId": "1001",
        "birthDate": "2010-04-05",
        "sex": "female",
    }
    assert set(result["demographics"]["sourcedId"]) == {"1001", "1005"}  # 1003 has none
    for name in ("academicSessions", "courses", "classes", "enrollments"):
        assert result[name].height == 0


# -- oneroster-1.1 -----------------------------------------------------------------------------


def test_oneroster_files_as_given() -> None:
    result = roster("oneroster-1.1")
    assert obj(result, "users", "usr-s") == {
        "sourcedId": "usr-s",
        "username": "sstone",
        "userIds": [
            {"type": "LDAP", "identifier": "s1"},
            {"type": "state", "identifier": "IL:99"},
        ],
        "enabledUser": "true",
        "givenName": "Sam",
        "familyName": "Stone",
        "middleName": "R",
        "role": "student",
        "identifier": "S1",
        "email": "sam@example.org",
        "sms": "555-0111",
        "agents": [ref("users", "usr-p")],
        "orgs": [ref("orgs", "sch-1")],
        "grades": ["09"],
    }
    assert obj(result, "classes", "cls-1") == {
        "sourcedId": "cls-1",
        "title": "Algebra I - P1",
        "classCode": "ALG1-1",
        "classType": "scheduled",
        "location": "Room 101",
        "grades": ["09"],
        "subjects": ["Mathematics"],
        "course": ref("courses", "crs-1"),
        "school": ref("orgs", "sch-1"),
        "terms": [ref("academicSessions", "trm-1"), ref("academicSessions", "trm-2")],
        "subjectCodes": ["MATH"],
        "periods": ["1", "2"],
    }
    assert obj(result, "courses", "crs-1") == {
        "sourcedId": "crs-1",
        "title": "Algebra I",
        "schoolYear": ref("academicSessions", "sy-25"),
        "courseCode": "ALG1",
        "grades": ["09", "10"],
        "subjects": ["Mathematics", "Algebra"],
        "org": ref("orgs", "sch-1"),
        "subjectCodes": ["MATH", "ALG"],
    }
    assert obj(result, "academicSessions", "sy-25")["children"] == [
        ref("academicSessions", "trm-1"),
        ref("academicSessions", "trm-2"),
    ]
    assert obj(result, "academicSessions", "trm-1")["parent"] == ref("academicSessions", "sy-25")
    assert obj(result, "orgs", "sch-1") == {
        "sourcedId": "sch-1",
        "name": "Fixture High",
        "type": "school",
        "identifier": "FH",
        "parent": ref("orgs", "dst-1"),
        "children": [ref("orgs", "dep-1")],
    }
    assert obj(result, "enrollments", "enr-t") == {
        "sourcedId": "enr-t",
        "user": ref("users", "usr-t"),
        "class": ref("classes", "cls-1"),
        "school": ref("orgs", "sch-1"),
        "role": "teacher",
        "primary": "true",
        "beginDate": "2024-08-15",
        "endDate": "2025-06-13",
    }
    assert obj(result, "demographics", "usr-s")["publicSchoolResidenceStatus"] == "01652"


def test_oneroster_school_scoping() -> None:
    result = roster("oneroster-1.1")
    schools = {
        name: dict(result[name].select("sourcedId", "schools").iter_rows())
        for name in ("orgs", "courses", "users", "academicSessions")
    }
    assert schools["orgs"] == {
        "dst-1": [],
        "sch-1": ["sch-1"],
        "sch-2": ["sch-2"],
        "dep-1": ["sch-1"],  # a department belongs to its school
    }
    assert schools["courses"] == {"crs-1": ["sch-1"], "crs-2": []}  # crs-2: district-wide
    assert schools["users"]["usr-t"] == ["sch-1"]  # sch-1 and its department: one school
    assert all(s == [] for s in schools["academicSessions"].values())
    assert result["courses"].filter(pl.col("sourcedId") == "crs-2")["school"].to_list() == ["dst-1"]


def test_oneroster_references_that_do_not_resolve_are_left_out() -> None:
    base = FIXTURES["oneroster-1.1"]()
    extra = states("oneroster-1.1", ONEROSTER_DANGLING_FILES)
    result = to_roster("oneroster-1.1", {**base, **extra}, DISTRICT)
    assert "cls-x" not in objects(result["classes"])
    assert obj(result, "classes", "cls-1")["terms"] == [ref("academicSessions", "trm-1")]
    student = obj(result, "users", "usr-s")
    assert student["orgs"] == [ref("orgs", "sch-1")]
    assert "agents" not in student
    # enrollments of users no longer there are left out
    assert set(result["enrollments"]["sourcedId"]) == {"enr-s"}


# -- properties of every model -----------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(FIXTURES))
def test_ids_are_stable_across_calls_and_row_order(model: str) -> None:
    first = roster(model)
    again = roster(model)
    shuffled = {
        name: frame.sample(fraction=1.0, shuffle=True, seed=7).reverse()
        for name, frame in FIXTURES[model]().items()
    }
    reordered = to_roster(model, shuffled, DISTRICT)
    for name in COLLECTIONS:
        expected = first[name].sort("sourcedId")
        assert again[name].sort("sourcedId").equals(expected), name
        assert reordered[name].sort("sourcedId").equals(expected), name


@pytest.mark.parametrize("model", sorted(FIXTURES))
def test_sourced_ids_are_unique_per_collection(model: str) -> None:
    for source in (FIXTURES[model], REAL[model]):
        for name, frame in to_roster(model, source(), DISTRICT).items():
            assert frame["sourcedId"].null_count() == 0, name
            assert frame["sourcedId"].is_unique().all(), name


@pytest.mark.parametrize("model", sorted(FIXTURES))
def test_secrets_are_never_delivered(model: str) -> None:
    for source in (FIXTURES[model], REAL[model]):
        states = source()
        secrets = set(SECRETS)
        for name, frame in states.items():
            for column in get_model(model).file(name).columns:
                if column.secret:
                    secrets |= set(frame[column.name].drop_nulls())
        assert secrets
        for name, frame in to_roster(model, states, DISTRICT).items():
            text = frame.write_ndjson()
            assert "password" not in text.lower(), name
            for secret in secrets:
                assert secret not in text, (name, secret)


def _refs(value: Any) -> Iterator[dict[str, str]]:
    if isinstance(value, dict):
        if set(value) == {"href", "sourcedId", "type"}:
            yield value
        else:
            for item in value.values():
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


@pytest.mark.parametrize("model", sorted(FIXTURES))
@pytest.mark.parametrize("data", ["fixture", "validated files"])
def test_every_reference_resolves(model: str, data: str) -> None:
    result = to_roster(model, (FIXTURES if data == "fixture" else REAL)[model](), DISTRICT)
    ids = {name: set(frame["sourcedId"]) for name, frame in result.items()}
    checked = 0
    for name, frame in result.items():
        for sourced_id, value in objects(frame).items():
            assert value["sourcedId"] == sourced_id
            assert "status" not in value
            assert "dateLastModified" not in value
            for guid_ref in _refs(value):
                target = COLLECTION_OF_TYPE[guid_ref["type"]]
                assert guid_ref["sourcedId"] in ids[target], (name, sourced_id, guid_ref)
                assert guid_ref["href"] == f"/{target}/{quote(guid_ref['sourcedId'], safe='')}"
                checked += 1
    assert checked
    # index columns name existing objects too
    schools = ids["orgs"]
    for name, frame in result.items():
        for listed in frame["schools"]:
            assert set(listed) <= schools, name
    assert set(result["demographics"]["sourcedId"]) <= ids["users"]
    enrollments = result["enrollments"]
    assert set(enrollments["class"]) <= ids["classes"]
    assert set(enrollments["user"]) <= ids["users"]
    assert set(enrollments["school"]) <= ids["orgs"]
    assert set(result["classes"]["course"]) <= ids["courses"]
    assert set(result["classes"]["terms"].explode().drop_nulls()) <= ids["academicSessions"]


def test_ids_with_odd_characters_are_percent_encoded_in_hrefs() -> None:
    files = {
        "schools.csv": 'School_id,School_name\n"S 1/ü",Süd "Schule"\n',
        "students.csv": (
            'School_id,Student_id,First_name,Last_name\n"S 1/ü",a#1?,"Zoë ""Z""","O\'Neil\\\tx"\n'
        ),
    }
    result = to_roster("passport-identity", states("passport-identity", files), DISTRICT)
    student = obj(result, "users", "a#1?")
    assert student["orgs"] == [
        {"href": "/orgs/S%201%2F%C3%BC", "sourcedId": "S 1/ü", "type": "org"}
    ]
    assert (student["givenName"], student["familyName"]) == ('Zoë "Z"', "O'Neil\\\tx")
    assert obj(result, "orgs", "S 1/ü")["name"] == 'Süd "Schule"'
    district = obj(result, "orgs", DISTRICT.sourced_id)
    assert district["children"][0]["href"] == "/orgs/S%201%2F%C3%BC"


def test_school_ids_never_collide_with_the_district() -> None:
    files = {
        "schools.csv": (
            "School_id,School_name\ndistrict-springfield,A\nschool-b,B\ndistrict-x,C\nplain,D\n"
        )
    }
    result = to_roster("passport-identity", states("passport-identity", files), DISTRICT)
    assert sorted(result["orgs"]["sourcedId"]) == [
        "district-springfield",
        "plain",
        "school-district-springfield",
        "school-district-x",
        "school-school-b",
    ]


def test_a_large_district_maps_in_seconds() -> None:
    large = generated_district(200_000)
    started = time.perf_counter()
    result = to_roster("passport-roster", large, District("district-large", "Large District"))
    elapsed = time.perf_counter() - started
    counts = {name: frame.height for name, frame in result.items()}
    print(f"\n200k-student district mapped in {elapsed:.2f} s: {counts}")
    assert elapsed < 30
    assert counts["users"] == 200_000 + large["teachers.csv"].height
    assert counts["demographics"] == 200_000
    assert counts["classes"] == large["sections.csv"].height
    teacher_enrollments = (
        large["sections.csv"].height + large["sections.csv"]["Teacher_2_id"].count()
    )
    assert counts["enrollments"] == large["enrollments.csv"].height + teacher_enrollments
