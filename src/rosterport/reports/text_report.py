"""A text summary for people: per file status and counts, then issues grouped by
(file, column, code) with counts, first rows and sample values."""

from __future__ import annotations

from rosterport.domain.issues import CATALOGUE
from rosterport.domain.report import Report


def report_text(report: Report, notes: tuple[str, ...] = (), *, rows: int = 5) -> str:
    lines: list[str] = []
    lines.extend(f"note: {n}" for n in (*notes, *report.notes))
    verdict = "VALID" if report.valid else "NOT VALID: fix the errors below and upload again"
    summary = report.summary()
    lines.append(
        f"{report.model}: {verdict} "
        f"({summary['error']} errors, {summary['warn']} warnings, {summary['info']} notices)"
    )
    lines.append("")
    if report.files:
        width = max(len(f.name) for f in report.files)
        for f in report.files:
            lines.append(
                f"  {f.name:<{width}}  {f.status.label:<22}  {f.rows:>9,} rows  "
                f"{f.accepted:>9,} accepted  {f.filtered:>7,} filtered"
                + (f"  {f.rejected:,} rejected" if f.rejected else "")
            )
        lines.append("")
    groups = report.groups(samples=rows)
    for group in groups.iter_rows(named=True):
        title = CATALOGUE[group["code"]].title
        where = group["file"] or "upload"
        if group["column"]:
            where += f" › {group['column']}"
        lines.append(f"[{group['level'].upper()}] {where}: {title} ({group['count']:,})")
        lines.append(f"    {group['message']}")
        if group["rows"]:
            more = " …" if group["count"] > len(group["rows"]) else ""
            lines.append("    rows: " + ", ".join(str(r) for r in group["rows"]) + more)
        if group["values"] and group["code"] not in {"malformed-row"}:
            shown = ", ".join(repr(v) for v in group["values"])
            lines.append(f"    values: {shown}")
    if not groups.height:
        lines.append("No issues.")
    return "\n".join(lines) + "\n"
