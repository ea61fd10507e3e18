"""The docs cover every issue code, data model, file, column and command."""

from __future__ import annotations

from pathlib import Path

import pytest

from rosterport.cli.parser import build_parser
from rosterport.domain.issues import CATALOGUE
from rosterport.domain.schemas import MODELS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ISSUES_DOC = (ROOT / "docs" / "issues.md").read_text(encoding="utf-8")
MODELS_DOC = (ROOT / "docs" / "data-models.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_issue_code_is_documented(code: str) -> None:
    assert f"`{code}`" in ISSUES_DOC
    assert f"`{code}`" in README


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_file_and_column_is_documented(model: str) -> None:
    assert f"`{model}`" in README
    for schema in MODELS[model].files:
        assert f"### {schema.name}" in MODELS_DOC
        for column in schema.columns:
            assert f"| {column.name} |" in MODELS_DOC, (schema.name, column.name)


def test_every_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    for name in commands.choices:  # type: ignore[union-attr]  # subparsers action has choices
        assert f"rosterport {name}" in README, name


def test_readme_commands_are_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 tasks.py test" in README
    assert "python3 tasks.py test" in ci
    assert "python3 tasks.py demo" in README


def test_every_setting_is_in_the_configuration_table() -> None:
    from rosterport.config import Settings

    for name in Settings.model_fields:
        assert f"`ROSTERPORT_{name.upper()}`" in README, name


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    from rosterport.config import Settings

    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in Settings.model_fields:
        assert f"`ROSTERPORT_{name.upper()}`" in table, name
