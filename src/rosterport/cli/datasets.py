"""Commands on the local data dir: organizations, uploads, history, restore, jobs."""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import Any, BinaryIO

from rosterport import logs
from rosterport.bootstrap import build_hub, build_worker, settle
from rosterport.cli.validation import (
    EXIT_HELD,
    EXIT_INVALID,
    EXIT_VALID,
    output_stream,
    parse_levels,
)
from rosterport.config import Settings
from rosterport.csvio.sources import read_source
from rosterport.domain.changes import ChangeSet
from rosterport.domain.policy import Mode
from rosterport.domain.preview import Preview, Verified
from rosterport.domain.report import Report
from rosterport.domain.version_status import DISCARDED, HELD, PENDING, VALIDATION_ERRORS
from rosterport.reports.json_report import json_value as _json_value
from rosterport.reports.json_report import report_writer, write_object
from rosterport.reports.text_report import report_text
from rosterport.services import history, upload_commit, upload_validation, uploads
from rosterport.services import versions as v
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, create_org, get_org
from rosterport.store import jobs as queue
from rosterport.store.engine import upgrade


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "data_dir", None) is not None:
        settings = settings.model_copy(update={"data_dir": args.data_dir})
    return settings


def _hub(args: argparse.Namespace) -> Hub:
    return build_hub(settings_from(args))


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def _counts_text(counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    return [
        f"  {name:<22} {c['added']:>9,} added  {c['updated']:>9,} updated  "
        f"{c['removed']:>9,} removed"
        for name, c in counts.items()
        if any(c.values())
    ]


def org_command(args: argparse.Namespace) -> int:
    org = create_org(_hub(args), args.slug, args.name)
    print(f"created organization {org.slug} ({org.name})")
    return EXIT_VALID


def upload_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    org = get_org(hub, args.org)
    source = read_source(args.paths)
    session = uploads.start(hub, org, args.model, mode=Mode(args.mode) if args.mode else None)
    uploads.add_files(hub, org, session.id, source.files)
    session, report = upload_validation.run_validation(
        hub, org, session.id, levels=parse_levels(args.level), committed_by=_who(), source="cli"
    )
    if not report.valid:
        version = session.data.get("version")
        _upload_output(args, version, status=VALIDATION_ERRORS, report=report, counts={}, notes=[])
        return EXIT_INVALID
    if args.dry_run:
        held = [report]
        del report  # from here `held` alone holds it: see _dry_run_output
        _dry_run_output(args, hub, org, session.id, held)
        return EXIT_VALID
    version, status, result = upload_commit.commit(
        hub,
        org,
        session.id,
        committed_by=_who(),
        source="cli",
        allow_deletions=args.allow_deletions,
    )
    if status == PENDING:
        status = settle(hub, version)
    _upload_output(
        args, version, status=status, report=report, counts=result.counts(), notes=_notes(result)
    )
    return EXIT_HELD if status == HELD else EXIT_VALID


def _notes(result: Preview | Verified) -> list[str]:
    return [*result.sentences(), *(b.sentence() for b in result.breaches)]


def _dry_run_output(
    args: argparse.Namespace, hub: Hub, org: Organization, session_id: str, held: list[Report]
) -> None:
    """A dry run's answer. The report (millions of issues, held by `held` alone) is written
    and let go before the preview is computed, so the two never sit in memory together: the
    answer's keys come in that order anyway (report, then changes and notes)."""
    computed: list[Preview] = []

    def changes() -> Preview:
        if not computed:
            held.clear()  # the report was written (JSON) or is not shown (a valid upload)
            computed.append(upload_commit.changes(hub, org, session_id))
            uploads.reset(hub, org, session_id)
        return computed[0]

    if args.format != "json":
        preview = changes()
        print(_summary("dry run", preview.counts(), _notes(preview), valid=True))
        return

    def report(out: BinaryIO, level: int) -> None:
        report_writer(held[0])(out, level)

    def changed(out: BinaryIO, level: int) -> None:
        out.write(_json_value(changes().counts(), level))

    def notes(out: BinaryIO, level: int) -> None:
        out.write(_json_value(_notes(changes()), level))

    sys.stdout.flush()
    items = [("version", None), ("status", "dry run"), ("report", report)]
    write_object(sys.stdout.buffer, [*items, ("changes", changed), ("notes", notes)])
    sys.stdout.buffer.flush()


def _upload_output(
    args: argparse.Namespace,
    version: int | None,
    *,
    status: str,
    report: Report,
    counts: Mapping[str, Mapping[str, int]],
    notes: list[str],
) -> None:
    if args.format == "json":  # the report's issues streamed in batches
        sys.stdout.flush()
        items = [
            ("version", version),
            ("status", status),
            ("report", report_writer(report)),
            ("changes", counts),
            ("notes", notes),
        ]
        write_object(sys.stdout.buffer, items)
        sys.stdout.buffer.flush()
        return
    if not report.valid:
        sys.stdout.write(report_text(report))
    heading = f"version {version}: {status}" if version is not None else status
    print(_summary(heading, counts, notes, valid=report.valid))


def _summary(
    heading: str, counts: Mapping[str, Mapping[str, int]], notes: list[str], *, valid: bool
) -> str:
    """The text answer of an upload: its outcome, the changes per file, the notes."""
    lines = [heading, *(_counts_text(counts) or (["  no changes"] if valid else []))]
    return "\n".join([*lines, *(f"  {n}" for n in notes)])


def history_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    rows = history.history(hub, get_org(hub, args.org), args.model)
    if args.format == "json":
        _print_json([r.to_dict() for r in rows])
        return EXIT_VALID
    if not rows:
        print("no versions yet")
    for r in rows:
        total = {
            k: sum(c.get(k, 0) for c in r.changes.values()) for k in ("added", "updated", "removed")
        }
        print(
            f"{r.version:>6}  {r.created_at}  {r.committed_by:<20} {r.model:<17} {r.mode:<11} "
            f"{r.status:<27} +{total['added']:,} ~{total['updated']:,} -{total['removed']:,}"
        )
    return EXIT_VALID


def download_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    what = "originals" if args.originals else "report"
    org = get_org(hub, args.org)
    with output_stream(args.output) as out:  # -o is required: a file, written as it comes
        if args.originals:
            history.write_originals(hub, org, args.version, out)
        else:
            for chunk in history.report_download(hub, org, args.version):
                out.write(chunk)
    print(f"wrote the {what} of version {args.version} to {args.output}")
    return EXIT_VALID


def restore_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    org = get_org(hub, args.org)
    version, status, result = history.restore(
        hub,
        org,
        args.version,
        committed_by=_who(),
        source="cli",
        dry_run=args.dry_run,
        allow_deletions=args.allow_deletions,
    )
    if version is not None and status == PENDING:
        status = settle(hub, version)
    if args.format == "json":
        _print_json(
            {"version": version, "status": status, "report": None, "changes": result.counts()}
        )
    else:
        head = f"version {version}: {status}" if version is not None else status
        print(
            "\n".join(
                [f"{head} (restoring version {args.version})", *_counts_text(result.counts())]
            )
        )
    return EXIT_HELD if status == HELD else EXIT_VALID


def diff_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    changes: ChangeSet = history.compare(hub, get_org(hub, args.org), args.first, args.second)
    if args.format == "json":
        _print_json(
            {
                "from": args.first,
                "to": args.second,
                "changes": changes.counts(),
                "detail": {
                    name: f.detail().head(1000).to_dicts() for name, f in changes.files.items()
                },
            }
        )
        return EXIT_VALID
    print(f"from version {args.first} to version {args.second}:")
    print("\n".join(_counts_text(changes.counts()) or ["  no changes"]))
    return EXIT_VALID


def approve_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    version = v.approve(hub, get_org(hub, args.org), args.version)
    print(f"version {version}: {settle(hub, version)}")
    return EXIT_VALID


def discard_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    v.discard(hub, get_org(hub, args.org), args.version)
    print(f"version {args.version}: {DISCARDED}")
    return EXIT_VALID


def worker_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logs.configure(settings_from(args).log_format)
    print("worker running; stop with Ctrl-C", file=sys.stderr)
    build_worker(hub).run(stop)
    return EXIT_VALID


def jobs_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    if args.retry is not None:
        queue.retry(hub.engine, args.retry, now=hub.clock())
        print(f"job {args.retry} queued again; a worker (or the next upload) runs it")
        return EXIT_VALID
    for job in queue.list_jobs(hub.engine, state=args.state):
        error = f"  {job['last_error']}" if job["last_error"] else ""
        print(
            f"{job['id']:>6}  {job['kind']:<10} {job['state']:<8} attempts {job['attempts']}/"
            f"{job['max_attempts']}  {json.dumps(job['payload'])}{error}"
        )
    return EXIT_VALID


def db_command(args: argparse.Namespace) -> int:
    hub = build_hub(settings_from(args), migrate=False)
    upgrade(hub.engine)
    print("database is up to date")
    return EXIT_VALID
