"""What an issue type is: its level (`Level`) and its description and message shapes
(`IssueType`), rendered into messages with the slots a check gives (`text` for fixed words,
`expr` for a message per row). The catalogue of every type is `domain/issues.py`."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from rosterport.errors import InputError


class Level(StrEnum):
    """How an issue affects an upload (see spec/validation.md, "Levels")."""

    ERROR = "error"  # blocks the whole upload
    WARN = "warn"  # removes the offending record (and what references it)
    INFO = "info"  # reported only; the record is kept as provided

    @classmethod
    def parse(cls, text: str) -> Level:
        """A level from its name, case-insensitively ("Error", "warn", "INFO")."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(level.value for level in cls)
            raise InputError(f"unknown level {text!r}; expected one of {names}") from None


@dataclass(frozen=True, slots=True)
class IssueType:
    """One kind of issue. `record` issues concern rows, the others whole files or columns."""

    code: str
    title: str
    description: str
    template: str
    level: Level
    record: bool
    blocking: bool = False
    variants: tuple[tuple[str, str], ...] = ()  # (name, shape): other shapes of the message

    def shape(self, variant: str | None = None) -> str:
        """The message shape: `template`, or the named variant."""
        if variant is None:
            return self.template
        for name, shape in self.variants:
            if name == variant:
                return shape
        raise KeyError(f"{self.code} has no message variant {variant!r}")

    def slots(self, variant: str | None = None) -> frozenset[str]:
        """The slot names of a shape."""
        return frozenset(name for _, name in self._pieces(variant) if name)

    def text(self, variant: str | None = None, /, **slots: str) -> str:
        """The message with every slot filled with fixed words."""
        return "".join(
            literal + (slots[name] if name else "")
            for literal, name in self._checked(variant, slots)
        )

    def expr(self, variant: str | None = None, /, **slots: str | pl.Expr) -> pl.Expr:
        """The message per row: slots given as expressions (a row's value) or fixed words."""
        parts: list[pl.Expr] = []
        for literal, name in self._checked(variant, slots):
            if literal:
                parts.append(pl.lit(literal, dtype=pl.String))
            if name:
                slot = slots[name]
                parts.append(pl.lit(slot, dtype=pl.String) if isinstance(slot, str) else slot)
        return pl.concat_str(parts)

    def _checked(
        self, variant: str | None, given: Mapping[str, object]
    ) -> list[tuple[str, str | None]]:
        """(literal, slot) pairs of a shape, once the given slots are exactly its slots (a
        check that names a slot wrongly is a bug, told at once, not a message with a hole)."""
        pieces = self._pieces(variant)
        wanted = {name for _, name in pieces if name}
        if set(given) != wanted:
            raise TypeError(
                f"{self.code} message {variant or 'template'} takes {sorted(wanted)}, "
                f"given {sorted(given)}"
            )
        return pieces

    def _pieces(self, variant: str | None) -> list[tuple[str, str | None]]:
        """A shape as (literal text, slot name or None) pairs, in order."""
        parsed = string.Formatter().parse(self.shape(variant))
        return [(literal, name or None) for literal, name, _, _ in parsed]
