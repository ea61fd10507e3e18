"""Matching names people type against the names a data model defines ("did you mean").

Names come from uploads, so the work is bounded whatever their length: a name longer than
`SUGGEST_MAX_LENGTH` characters gets no suggestion (no column name is that long), the edit
distance runs only between names whose lengths are close enough to be within reach, and
`clipped` shortens a name before a message echoes it.
"""

from __future__ import annotations

from collections.abc import Iterable

SUGGEST_MAX_LENGTH = 64  # longer names get no "did you mean" and are clipped when echoed
_MAX_DISTANCE = 2


def folded(name: str) -> str:
    """Case-insensitive, trimmed form used to match header and file names."""
    return name.strip().lower()


def _squashed(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in "_ -")


def distance(a: str, b: str) -> int:
    """Levenshtein edit distance (a plain dynamic programme: callers keep names short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate when it is within edit distance 2 or equal ignoring `_`/spaces;
    None for a name longer than `SUGGEST_MAX_LENGTH`."""
    if len(name) > SUGGEST_MAX_LENGTH:
        return None
    squashed, typed = _squashed(name), folded(name)
    best: tuple[int, str] | None = None
    for candidate in candidates:
        if _squashed(candidate) == squashed:
            return candidate
        known = folded(candidate)
        if abs(len(known) - len(typed)) > _MAX_DISTANCE:  # the distance is at least that
            continue
        d = distance(typed, known)
        if d <= _MAX_DISTANCE and (best is None or d < best[0]):
            best = (d, candidate)
    return best[1] if best else None


def clipped(text: str, limit: int = SUGGEST_MAX_LENGTH) -> str:
    """`text` cut to `limit` characters for a message, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def with_article(noun: str) -> str:
    """ "a student", "an org", "an academic session"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
