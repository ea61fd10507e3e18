"""The OneRoster query language and envelopes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rosterport.domain import oneroster_query as q
from rosterport.domain.oneroster_query import Filter, Predicate, QueryError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("role='teacher'", Filter((Predicate("role", "=", "teacher"),), None)),
        (
            "dateLastModified>'2026-11-30T00:00:00Z'",
            Filter((Predicate("dateLastModified", ">", "2026-11-30T00:00:00Z"),), None),
        ),
        (
            "role='student' AND familyName~'sch'",
            Filter((Predicate("role", "=", "student"), Predicate("familyName", "~", "sch")), "AND"),
        ),
        (
            "email!='' OR username>='m'",
            Filter((Predicate("email", "!=", ""), Predicate("username", ">=", "m")), "OR"),
        ),
        ("givenName<='b'", Filter((Predicate("givenName", "<=", "b"),), None)),
        ("metadata.x='1'", Filter((Predicate("metadata.x", "=", "1"),), None)),
        ("", None),
    ],
)
def test_filters(text: str, expected: Filter | None) -> None:
    assert q.parse_filter("users", text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "role=teacher",
        "role='a' AND email='b' AND sms='c'",
        "role='a' and email='b'",
        "nosuch='x'",
        "role=='x'",
        "dateLastModified>'yesterday'",
    ],
)
def test_bad_filters(text: str) -> None:
    with pytest.raises(QueryError) as error:
        q.parse_filter("users", text)
    assert error.value.code == "invalid_filter_field"


def test_sort_fields_and_paging() -> None:
    assert q.parse_sort("users", "familyName", "desc") == ("familyName", True)
    assert q.parse_sort("users", None, None) == (None, False)
    for sort, order in (("nosuch", None), ("familyName", "up")):
        with pytest.raises(QueryError) as error:
            q.parse_sort("users", sort, order)
        assert error.value.code == "invalid_sort_field"
    assert q.parse_fields("users", "sourcedId, email") == ("sourcedId", "email")
    with pytest.raises(QueryError) as bad:
        q.parse_fields("users", "sourcedId,password")
    assert bad.value.code == "invalid_selection_field"
    assert q.parse_paging(None, None) == (100, 0)
    assert q.parse_paging("50000", "10") == (10_000, 10)
    with pytest.raises(QueryError):
        q.parse_paging("0", None)
    with pytest.raises(QueryError):
        q.parse_paging("10", "-1")


def test_present_and_links() -> None:
    when = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)
    data = (
        '{"sourcedId": "x", "orgs": [{"href": "/orgs/s1", "sourcedId": "s1", "type": "org"}], '
        '"password": "p"}'
    )
    body = q.present("x", "active", when, data, base="https://h/ims/oneroster/v1p1")
    assert body == {
        "sourcedId": "x",
        "status": "active",
        "dateLastModified": "2026-11-28T09:00:00.123Z",
        "orgs": [
            {"href": "https://h/ims/oneroster/v1p1/orgs/s1", "sourcedId": "s1", "type": "org"}
        ],
    }
    assert q.present("x", "active", when, data, base="", fields=("status",)) == {"status": "active"}
    links = q.paging_links("https://h/u", {"filter": "a='b'"}, total=250, limit=100, offset=100)
    assert 'offset=0>; rel="first"' in links
    assert 'offset=0>; rel="prev"' in links
    assert 'offset=200>; rel="next"' in links
    assert 'offset=200>; rel="last"' in links
    assert "filter=a%3D%27b%27" in links
    info = q.status_info("unknownobject", "no")["statusInfoSet"][0]
    assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "unknownobject"
    )
