"""Messages are rendered from the catalogue: each issue type holds its message shapes
(`template` and named `variants`), checks give only the slots, and a slot given wrongly is
a bug told at once. The catalogue and the emitters agree both ways: every shape is rendered
by some check, and every issue of the fixtures reads as one of its type's shapes."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import polars as pl
import pytest

from rosterport.domain.issue_type import IssueType
from rosterport.domain.issues import CATALOGUE, INVALID_FORMAT, REFERENCE_NOT_FOUND
from rosterport.domain.policy import Policy
from rosterport.domain.report import Report
from rosterport.services.file_validation import validate_paths
from tests.conftest import DATA, TODAY, check, district
from tests.domain.checks.test_declared_issues import BY_NAME, EMITTERS

TYPES = list(CATALOGUE.values())


def shapes(issue: IssueType) -> list[str | None]:
    return [None, *(name for name, _ in issue.variants)]


def pattern(shape: str) -> re.Pattern[str]:
    """A shape as a regular expression: its words as they are, any text in each slot."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(shape):
        out.append(re.escape(literal))
        if name:
            out.append("(.*)")
    return re.compile("".join(out), re.DOTALL)


@pytest.mark.parametrize("issue", list(CATALOGUE.values()), ids=lambda t: t.code)
def test_every_shape_has_plain_named_slots(issue: IssueType) -> None:
    for variant in shapes(issue):
        parts = list(string.Formatter().parse(issue.shape(variant)))
        assert all(spec in ("", None) and conversion is None for _, _, spec, conversion in parts)
        assert all(name is None or name.isidentifier() for _, name, _, _ in parts)


def test_a_slot_named_wrongly_is_refused_not_left_as_a_hole() -> None:
    with pytest.raises(TypeError, match="takes"):
        INVALID_FORMAT.text(column="DOB", value="x", expected="a date", accepted="M/D/YYYY")
    with pytest.raises(TypeError, match="given"):
        REFERENCE_NOT_FOUND.expr("removed", column="Student_id")
    with pytest.raises(KeyError):
        REFERENCE_NOT_FOUND.shape("no-such-variant")


def test_text_and_expr_render_alike() -> None:
    slots = {"column": "Student_id", "value": "42", "noun": "a student", "target": "students.csv"}
    as_text = REFERENCE_NOT_FOUND.text(**slots)
    frame = pl.DataFrame({"v": ["42"]})
    as_expr = frame.select(REFERENCE_NOT_FOUND.expr(**{**slots, "value": pl.col("v")})).item()
    assert as_text == as_expr
    assert as_text == (
        "Student_id '42' is not a student in students.csv; add it to students.csv or correct "
        "the value"
    )


def rendered_shapes() -> set[tuple[str, str | None]]:
    """(code, variant) of every `TYPE.text(…)` / `TYPE.expr(…)` call in the emitters."""
    found: set[tuple[str, str | None]] = set()
    for module in EMITTERS:
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if node.func.attr not in {"text", "expr"} or not isinstance(owner, ast.Name):
                continue
            if owner.id not in BY_NAME:
                continue
            first = node.args[0] if node.args else None
            variant = first.value if isinstance(first, ast.Constant) else None
            found.add((BY_NAME[owner.id], variant))
    return found


def test_every_message_shape_is_rendered_by_a_check() -> None:
    wanted = {(t.code, v) for t in TYPES for v in shapes(t)}
    used = rendered_shapes()
    assert wanted - used == set(), "catalogued shapes no check renders"
    assert used - wanted == set(), "rendered shapes the catalogue does not hold"


def fixture_reports() -> list[Report]:
    policy = Policy(today=TODAY)
    reports = [check(district(d.name)).report for d in sorted((DATA / "passport").iterdir())]
    reports += [
        validate_paths([case], "oneroster-1.1", policy).validation.report
        for case in sorted((DATA / "oneroster").iterdir())
    ]
    return reports


def test_every_issue_of_the_fixtures_reads_as_a_catalogued_shape() -> None:
    patterns = {t.code: [pattern(t.shape(v)) for v in shapes(t)] for t in TYPES}
    seen: set[str] = set()
    for report in fixture_reports():
        for issue in report.sorted_issues().iter_rows(named=True):
            seen.add(issue["code"])
            message = issue["message"]
            assert any(p.fullmatch(message) for p in patterns[issue["code"]]), message
    assert seen == set(CATALOGUE)  # the fixtures raise every type
