"""Matching names people type against the names a data model defines ("did you mean")."""

from __future__ import annotations

from collections.abc import Iterable


def folded(name: str) -> str:
    """Case-insensitive, trimmed form used to match header and file names."""
    return name.strip().lower()


def _squashed(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in "_ -")


def distance(a: str, b: str) -> int:
    """Levenshtein edit distance (names are short: a plain dynamic programme is enough)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate when it is within edit distance 2 or equal ignoring `_`/spaces."""
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if _squashed(candidate) == _squashed(name):
            return candidate
        d = distance(folded(name), folded(candidate))
        if d <= 2 and (best is None or d < best[0]):
            best = (d, candidate)
    return best[1] if best else None


def with_article(noun: str) -> str:
    """ "a student", "an org", "an academic session"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
