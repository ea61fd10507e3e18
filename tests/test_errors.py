"""One error tree: every exception rosterport raises is a `RosterportError` (errors.py's
documented tree), or one of the few listed here with the reason it is not."""

from __future__ import annotations

import ast
import builtins
import importlib
import typing
from pathlib import Path

import asyncssh

import rosterport
from rosterport import errors
from rosterport.errors import InputError, RosterportError
from rosterport.web.errors import HttpProblem

SRC = Path(rosterport.__file__).parent

# (module, class) → why it is raised although it is not a RosterportError
ALLOWED: dict[tuple[str, str], str] = {
    ("rosterport.sftp.server", "OSError"): "asyncssh's server expects an OSError (with its errno) "
    "from listening on a port in use; `serve` prints its message",
    ("rosterport.domain.schemas.model", "KeyError"): "`DataModel.file(name)` and "
    "`FileSchema.column(name)` are lookups like a mapping's, and their callers catch KeyError",
    ("rosterport.domain.issue_type", "KeyError"): "`IssueType.shape(variant)` is a lookup like a "
    "mapping's (an unknown variant is a bug in a check)",
    ("rosterport.domain.issue_type", "TypeError"): "a check giving a message the wrong slots is a "
    "bug, told as Python tells a call with a wrong keyword argument; tests render every shape, "
    "so it never reaches a user",
}
# the web layer's own answers (see errors.py: not RosterportErrors on purpose)
ADAPTER_ERRORS = (HttpProblem,)
# asyncssh answers an SFTP client with the status code of the SFTPError kind raised
PROTOCOL_ERRORS: tuple[type[BaseException], ...] = (asyncssh.SFTPError, NotImplementedError)
# `raise sa.exc.DBAPIError.instance(...)`: SQLAlchemy's own wrapping of the driver's error
FACTORIES = {("rosterport.store.bulk", "instance")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _raised() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                found.append((_module_name(path), node.lineno, node.exc))
        del tree
    return found


def _resolve(module: object, expression: ast.expr) -> object:
    if isinstance(expression, ast.Name):
        found = getattr(module, expression.id, None)
        return found if found is not None else getattr(builtins, expression.id)
    if isinstance(expression, ast.Attribute):
        return getattr(_resolve(module, expression.value), expression.attr)
    raise AssertionError(f"cannot resolve {ast.dump(expression)}")


def test_every_raised_exception_is_in_the_tree() -> None:
    strays = []
    for name, line, exc in _raised():
        target = exc.func if isinstance(exc, ast.Call) else exc
        if isinstance(target, ast.Attribute) and (name, target.attr) in FACTORIES:
            continue
        while isinstance(target, ast.Attribute) and isinstance(target.value, ast.Call):
            target = target.value.func  # `raise ApiProblem(…).waiting(5)`: a method of it
        if isinstance(target, ast.Name) and target.id[:1].islower():
            continue  # a re-raise of a caught exception (`raise error`)
        kind = _resolve(importlib.import_module(name), target)
        if callable(kind) and not isinstance(kind, type):  # a function making the exception
            kind = typing.get_type_hints(kind)["return"]
        assert isinstance(kind, type), f"{name}:{line} raises {kind!r}, not a class"
        if issubclass(kind, (RosterportError, *ADAPTER_ERRORS, *PROTOCOL_ERRORS)):
            continue
        if (name, kind.__name__) in ALLOWED:
            continue
        strays.append(f"{name}:{line} raises {kind.__name__}")
    assert strays == [], "raise a class of rosterport.errors instead:\n" + "\n".join(strays)


def test_the_walk_sees_the_raises() -> None:
    """The walk finds the classes it judges (so a broken walk cannot pass)."""
    names = {
        (exc.func if isinstance(exc, ast.Call) else exc).id  # type: ignore[union-attr]
        for _, _, exc in _raised()
        if isinstance(exc.func if isinstance(exc, ast.Call) else exc, ast.Name)
    }
    assert {"InputError", "NotFoundError", "StateError", "HttpProblem"} <= names


def test_the_documented_tree_names_every_class_of_errors_py() -> None:
    tree_text = errors.__doc__ or ""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, RosterportError)
    ]
    assert len(classes) >= 15
    for kind in classes:
        assert kind.__name__ in tree_text, f"{kind.__name__} is missing from errors.py's tree"


def test_the_domain_raises_input_errors_not_bare_value_errors() -> None:
    for name, line, exc in _raised():
        target = exc.func if isinstance(exc, ast.Call) else exc
        if name.startswith("rosterport.domain") and isinstance(target, ast.Name):
            assert target.id != "ValueError", f"{name}:{line} raises a bare ValueError"
    assert issubclass(InputError, ValueError)  # still caught where arguments are checked
