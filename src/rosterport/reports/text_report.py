"""A text summary for people: per file status and counts, then issues grouped by
(file, column, code) with counts, first rows and sample values: a few dozen lines whether
the upload has ten issues or ten million (the JSON and CSV reports list every one).

The summary is printed on terminals, and every name, message and value in it may come from
an upload, so each is shown through `printable`: control characters (C0 but tab, DEL, C1,
which also ends every escape sequence at its ESC) and the invisible bidirectional and
line-separator marks appear as escapes (`\\x1b`, `\\u202e`), and long texts are clipped. The
JSON and CSV reports keep the exact text (JSON escapes control characters itself).
"""

from __future__ import annotations

import re

from rosterport.domain.issues import CATALOGUE
from rosterport.domain.report import Report

_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
NAME_LIMIT = 200  # characters of a file or column name shown
TEXT_LIMIT = 1000  # characters of a message or note shown
VALUE_LIMIT = 200  # characters of a sample value shown


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` safe to print on a terminal, cut to `limit` characters (before escaping)."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit:,} more characters)"
    return _UNPRINTABLE.sub(_escape, text)


def report_text(report: Report, notes: tuple[str, ...] = (), *, rows: int = 5) -> str:
    lines: list[str] = []
    lines.extend(f"note: {printable(n)}" for n in (*notes, *report.notes))
    verdict = "VALID" if report.valid else "NOT VALID: fix the errors below and upload again"
    summary = report.summary()
    lines.append(
        f"{printable(report.model, NAME_LIMIT)}: {verdict} "
        f"({summary['error']} errors, {summary['warn']} warnings, {summary['info']} notices)"
    )
    lines.append("")
    if report.files:
        names = [printable(f.name, NAME_LIMIT) for f in report.files]
        width = max(len(n) for n in names)
        for name, f in zip(names, report.files, strict=True):
            lines.append(
                f"  {name:<{width}}  {f.status.label:<22}  {f.rows:>9,} rows  "
                f"{f.accepted:>9,} accepted  {f.filtered:>7,} filtered"
                + (f"  {f.rejected:,} rejected" if f.rejected else "")
            )
        lines.append("")
    groups = report.groups(samples=rows)
    for group in groups.iter_rows(named=True):
        title = CATALOGUE[group["code"]].title
        where = printable(group["file"], NAME_LIMIT) if group["file"] else "upload"
        if group["column"]:
            where += f" › {printable(group['column'], NAME_LIMIT)}"
        lines.append(f"[{group['level'].upper()}] {where}: {title} ({group['count']:,})")
        lines.append(f"    {printable(group['message'])}")
        if group["rows"]:
            more = " …" if group["count"] > len(group["rows"]) else ""
            lines.append("    rows: " + ", ".join(str(r) for r in group["rows"]) + more)
        if group["values"] and group["code"] not in {"malformed-row"}:
            shown = ", ".join(printable(repr(v), VALUE_LIMIT) for v in group["values"])
            lines.append(f"    values: {shown}")
    if not groups.height:
        lines.append("No issues.")
    elif ((groups["rows"].list.len() == rows) & (groups["count"] > rows)).any():
        lines.append("")
        lines.append(
            f"Only the first {rows} rows of each group are listed here; every issue is in the "
            "JSON and CSV reports."
        )
    return "\n".join(lines) + "\n"
