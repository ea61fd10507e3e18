"""The layers of docs/architecture.md, held by reading every module's imports:

- the domain does no I/O: it imports no database, web, SSH, HTTP or blob storage library, and
  nothing of rosterport outside the domain but the error tree;
- services run no SQL of their own: they import no SQLAlchemy tables (the package
  `store/tables/` nor any of its submodules) and build no queries; they compose the
  repositories of `store/`;
- services import no adapter (web, CLI, SFTP server, jobs' worker), and adapters no tables.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import rosterport

PACKAGE = Path(str(rosterport.__file__)).parent
# I/O libraries the pure core must not import
IO_LIBRARIES = {"sqlalchemy", "fastapi", "starlette", "asyncssh", "httpx", "boto3", "obstore"}
DOMAIN_MAY_IMPORT = {"rosterport.domain", "rosterport.errors"}
ADAPTERS = ("rosterport.web", "rosterport.cli", "rosterport.sftp", "rosterport.jobs.worker")
QUERY_BUILDERS = {"select", "insert", "update", "delete", "text"}
TABLES = ("rosterport.store.tables",)  # the schema package and every submodule of it


def module_name(source: Path) -> str:
    parts = source.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("rosterport", *parts))


def modules(under: str) -> list[tuple[str, ast.Module]]:
    """(name, tree) of every module of the package whose name starts with `under`."""
    found = []
    for source in sorted(PACKAGE.rglob("*.py")):
        name = module_name(source)
        if name == under or name.startswith(under + "."):
            found.append((name, ast.parse(source.read_text(encoding="utf-8"))))
    return found


def cases(under: str) -> list[Any]:
    return [pytest.param(name, tree, id=name) for name, tree in modules(under)]


def is_module(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imported(tree: ast.Module) -> set[str]:
    """The modules a tree imports (`from a.b import c`: a.b.c when that is a module of the
    package, else a.b)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                names.add(whole if is_module(whole) else node.module)
    return names


def within(name: str, prefixes: set[str] | tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(("name", "tree"), cases("rosterport.domain"))
def test_the_domain_does_no_io(name: str, tree: ast.Module) -> None:
    imports = imported(tree)
    libraries = {i.split(".")[0] for i in imports} & IO_LIBRARIES
    assert not libraries, f"{name} imports {sorted(libraries)}"
    outside = {
        i for i in imports if i.startswith("rosterport") and not within(i, DOMAIN_MAY_IMPORT)
    }
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(("name", "tree"), cases("rosterport.services"))
def test_services_run_no_sql_of_their_own(name: str, tree: ast.Module) -> None:
    tables = sorted(i for i in imported(tree) if within(i, TABLES))
    assert not tables, f"{name} imports the tables: {tables}"
    queries = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "sa"
            and node.attr in QUERY_BUILDERS
        }
    )
    assert not queries, f"{name} builds queries: sa.{', sa.'.join(queries)}"


@pytest.mark.parametrize(("name", "tree"), cases("rosterport.services"))
def test_services_import_no_adapter(name: str, tree: ast.Module) -> None:
    adapters = {i for i in imported(tree) if within(i, ADAPTERS)}
    assert not adapters, f"{name} imports adapters: {sorted(adapters)}"


@pytest.mark.parametrize("adapter", ["rosterport.web", "rosterport.cli", "rosterport.sftp"])
def test_adapters_run_no_sql(adapter: str) -> None:
    for name, tree in modules(adapter):
        tables = sorted(i for i in imported(tree) if within(i, TABLES))
        assert not tables, f"{name} imports the tables: {tables}"
