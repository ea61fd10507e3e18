"""Every module that raises issues declares the codes it raises (`EMITS`, the frictionless
habit), and the declarations and the catalogue are equal both ways: every catalogued code is
raised by a declared emitter, a module declares exactly the catalogue codes its code names,
and no other module of the package names a code it would raise undeclared."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import rosterport
from rosterport.csvio import problems
from rosterport.domain import issues
from rosterport.domain.checks import date_order, files, headers, keys, references, sso, values
from rosterport.domain.checks.oneroster import headers as oneroster_headers
from rosterport.domain.checks.oneroster import manifest, package, records
from rosterport.domain.issue_type import IssueType
from rosterport.domain.issues import CATALOGUE

EMITTERS: tuple[ModuleType, ...] = (
    files,
    headers,
    keys,
    references,
    date_order,
    sso,
    values,
    oneroster_headers,
    manifest,
    package,
    records,
    problems,
)
# modules that name issue types without raising them, and why
READERS = {
    "rosterport.domain.issues": "the catalogue itself",
    "rosterport.domain.checks.issueframe": "the issue frame's code column lists every code",
    "rosterport.domain.policy": "levels per code",
    "rosterport.domain.reference_cascade": "a filtering reference's level decides a removal",
    "rosterport.domain.shifted_values": "keeps malformed rows aside when it masks values",
    "rosterport.reports.text_report": "lists no values for malformed rows",
}
BY_NAME = {name: t.code for name, t in vars(issues).items() if isinstance(t, IssueType)}


def named_codes(source: Path) -> set[str]:
    """The catalogue codes a module's code names (an issue type's constant, or a code as
    text), leaving out its `EMITS` declaration (imports name no `ast.Name`)."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    declaration: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "EMITS" for t in targets):
                declaration |= {id(n) for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in declaration:
            continue
        if isinstance(node, ast.Name) and node.id in BY_NAME:
            found.add(BY_NAME[node.id])
        elif isinstance(node, ast.Constant) and node.value in CATALOGUE:
            found.add(str(node.value))
    return found


def test_every_catalogued_code_is_raised_by_a_declared_emitter() -> None:
    declared: set[str] = set().union(*(m.EMITS for m in EMITTERS))
    assert declared == set(CATALOGUE), (
        f"declared, not catalogued: {sorted(declared - set(CATALOGUE))}; "
        f"catalogued, raised by no one: {sorted(set(CATALOGUE) - declared)}"
    )


@pytest.mark.parametrize("module", EMITTERS, ids=lambda m: m.__name__)
def test_a_module_declares_exactly_the_codes_it_names(module: ModuleType) -> None:
    assert set(module.EMITS) == named_codes(Path(str(module.__file__)))


def test_no_other_module_names_an_issue_code() -> None:
    root = Path(str(rosterport.__file__)).parent
    emitters = {Path(str(m.__file__)) for m in EMITTERS}
    undeclared = {}
    for source in sorted(root.rglob("*.py")):
        name = ".".join(("rosterport", *source.relative_to(root).with_suffix("").parts))
        if source in emitters or name in READERS:
            continue
        named = named_codes(source)
        if named:
            undeclared[name] = sorted(named)
    assert not undeclared, f"name issue codes but declare no EMITS: {undeclared}"
