"""What an upload would change, in people's words: the preview of a new state against
production (`Preview`), what a commit keeps of it (`Verified`), the safeguards it breaches
(`Breach`) and the records removed along with others (`Cascade`).

Pure data: `services/snapshot_states.py` computes a preview from two snapshots;
`services/versions.py` commits (or holds) what it verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rosterport.domain.changes import ChangeSet, KnockOn
from rosterport.domain.schemas import DataModel

REMOVED, FILTERED = "removed", "filtered"  # what a safeguard counts


def plural(noun: str, count: int) -> str:
    """`noun` for `count` of them: student → students, class → classes."""
    if count == 1:
        return noun
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in set("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


@dataclass(frozen=True, slots=True)
class Breach:
    """A safeguard: a file would remove more than its threshold of production records."""

    file: str
    removed: int
    in_production: int
    threshold: float
    noun: str = "record"  # what the file's records are (student, enrollment)
    kind: str = REMOVED  # REMOVED: of production's records; FILTERED: of the file's, by Warn

    def sentence(self) -> str:
        """The command line's words (with the flag that confirms)."""
        share = self.removed / self.in_production
        if self.kind == FILTERED:
            return (
                f"{self.file}: validation filtered out {self.removed:,} of "
                f"{self.in_production:,} records ({share:.0%}, more than the "
                f"{self.threshold:.0%} allowed unattended); approve the version if that is right"
            )
        return (
            f"{self.file}: this upload removes {self.removed:,} of {self.in_production:,} "
            f"records in production ({share:.0%}, more than the {self.threshold:.0%} allowed); "
            "confirm the removals (--allow-deletions) or check the file is complete"
        )

    def reason(self) -> str:
        """The reason alone, in people's words: "this upload removes 201 of 1,005 students
        (20%, more than the 10% allowed)"."""
        return held_reason([self])

    def share(self) -> str:
        """ "201 of 1,005 students (20%, more than the 10% allowed)" """
        share = self.removed / self.in_production
        return (
            f"{self.removed:,} of {self.in_production:,} "
            f"{plural(self.noun, self.in_production)} ({share:.0%}, more than the "
            f"{self.threshold:.0%} allowed)"
        )

    def to_json(self) -> list[Any]:
        return [self.file, self.removed, self.in_production, self.threshold, self.noun, self.kind]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Breach:
        noun = str(data[4]) if len(data) > 4 else "record"  # sessions saved before nouns
        kind = str(data[5]) if len(data) > 5 else REMOVED
        return cls(str(data[0]), int(data[1]), int(data[2]), float(data[3]), noun, kind)


def held_reason(breaches: Sequence[Breach]) -> str:
    """Why an upload is held, in one clause: "this upload removes 201 of 1,005 students
    (20%, more than the 10% allowed) and 402 of 2,010 enrollments (…)"."""
    removed = [b.share() for b in breaches if b.kind == REMOVED]
    filtered = [b.share() for b in breaches if b.kind == FILTERED]
    parts = [f"this upload removes {' and '.join(removed)}"] if removed else []
    if filtered:
        parts.append(f"validation filtered out {' and '.join(filtered)}")
    return "; ".join(parts) or "a safeguard stopped this upload"


@dataclass(frozen=True, slots=True)
class Cascade:
    """Removed records of one file take the records of another that point to them along:
    the counts, and one sentence per removed record for whoever wants the detail."""

    target: str
    noun: str
    removed: int  # records of `target` removed
    dependent: str
    dependent_noun: str
    dependents: int  # records of `dependent` removed with them
    detail: tuple[str, ...] = ()

    def sentence(self) -> str:
        """ "201 students removed, with their 1,430 enrollments" """
        return (
            f"{self.removed:,} {plural(self.noun, self.removed)} removed, with their "
            f"{self.dependents:,} {plural(self.dependent_noun, self.dependents)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.target,
            "noun": self.noun,
            "removed": self.removed,
            "dependent": self.dependent,
            "dependent_noun": self.dependent_noun,
            "dependents": self.dependents,
            "sentence": self.sentence(),
            "detail": list(self.detail),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cascade:
        return cls(
            str(data["file"]),
            str(data["noun"]),
            int(data["removed"]),
            str(data["dependent"]),
            str(data["dependent_noun"]),
            int(data["dependents"]),
            tuple(str(d) for d in data.get("detail", ())),
        )


@dataclass(frozen=True, slots=True)
class Preview:
    """The changes an upload would make, against the version it was computed from."""

    model: DataModel
    base_version: int | None
    snapshot: str  # where the new state is: a session's staged snapshot, or a version's
    changes: ChangeSet
    breaches: tuple[Breach, ...]
    kept: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        return self.changes.counts()

    def verified(self) -> Verified:
        return Verified(
            self.snapshot,
            self.base_version,
            self.counts(),
            self.breaches,
            tuple(self.sentences()),
            self.cascades(),
            {f: n for f, n in self.kept.items() if n},
        )

    def cascades(self) -> tuple[Cascade, ...]:
        """The knock-on effects, counted per pair of files (with each record's sentence)."""
        pairs: dict[tuple[str, str], list[KnockOn]] = {}
        for effect in self.changes.knock_on:
            pairs.setdefault((effect.target, effect.dependent), []).append(effect)
        out = []
        for (target, dependent), effects in pairs.items():
            noun = self.model.file(target).entity
            dependent_noun = self.model.file(dependent).entity
            out.append(
                Cascade(
                    target,
                    noun,
                    self.changes.files[target].removed.height,
                    dependent,
                    dependent_noun,
                    sum(e.count for e in effects),
                    tuple(e.sentence(noun, dependent_noun) for e in effects),
                )
            )
        return tuple(out)

    def sentences(self) -> list[str]:
        """Knock-on effects and filtered records kept, in words."""
        out = []
        for effect in self.changes.knock_on:
            out.append(
                effect.sentence(
                    self.model.file(effect.target).entity,
                    self.model.file(effect.dependent).entity,
                )
            )
        for file, count in self.kept.items():
            if count:
                out.append(
                    f"{file}: {count:,} record(s) removed by validation stay in production "
                    "as they were"
                )
        return out


@dataclass(frozen=True, slots=True)
class Verified:
    """What a commit needs of a preview, small enough to keep in the session: the new
    state's snapshot, the version it was compared with, change counts and safeguards."""

    snapshot: str
    base_version: int | None
    change_counts: dict[str, dict[str, int]]
    breaches: tuple[Breach, ...] = ()
    notes: tuple[str, ...] = ()  # the command line's sentences (one per knock-on effect)
    grouped: tuple[Cascade, ...] = ()
    kept: dict[str, int] = field(default_factory=dict)

    def cascades(self) -> tuple[Cascade, ...]:
        return self.grouped

    def counts(self) -> dict[str, dict[str, int]]:
        return self.change_counts

    def sentences(self) -> list[str]:
        return list(self.notes)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "base_version": self.base_version,
            "counts": self.change_counts,
            "breaches": [b.to_json() for b in self.breaches],
            "notes": list(self.notes),
            "cascades": [c.to_json() for c in self.grouped],
            "kept": dict(self.kept),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verified:
        return cls(
            data["snapshot"],
            data["base_version"],
            data["counts"],
            tuple(Breach.from_json(b) for b in data["breaches"]),
            tuple(data["notes"]),
            tuple(Cascade.from_json(c) for c in data.get("cascades", ())),
            {str(f): int(n) for f, n in data.get("kept", {}).items()},
        )
