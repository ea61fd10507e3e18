"""`rosterport sftp export add|list|run|test`: SFTP export to an application's server."""

from __future__ import annotations

import argparse
import asyncio

from rosterport.cli.datasets import _hub
from rosterport.cli.present import done, run_job_now, show
from rosterport.cli.sftp import _read
from rosterport.cli.validation import EXIT_INVALID, EXIT_VALID
from rosterport.remote import Credentials
from rosterport.services import sftp_export as sx
from rosterport.services import sftp_export_targets as targets
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, get_org


def export_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    org = get_org(hub, args.org)
    commands = {"add": _add, "list": _list, "run": _run, "test": _test}
    return commands[args.export_command](hub, org, args)


def _line(e: targets.Export) -> str:
    s = e.settings
    how = f"{'bulk then delta' if s.delta else 'bulk'}, {s.files}, {'zip' if s.zipped else 'loose'}"
    when = (
        "after each version"
        if s.schedule == targets.AFTER_VERSION
        else f"{s.schedule} {s.time_zone}"
    )
    last = f"version {e.last_version_id}" if e.last_version_id else "nothing yet"
    where = f"{e.username}@{e.host}:{e.port}/{s.path}"
    return f"{e.id}  {e.name}  {where}  {how}  {when}  delivered: {last}"


def _add(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    credentials = Credentials(
        password=args.password,
        private_key=_read(args.key, "private key") if args.key else None,
    )
    settings = targets.ExportSettings(
        path=args.path,
        schools=tuple(args.school or ()),
        files=args.files,
        delta=args.delta,
        schedule=args.schedule,
        time_zone=args.time_zone,
        zipped=args.zip,
    )
    made = targets.add_export(
        hub,
        org,
        host=args.host,
        port=args.port,
        username=args.username,
        credentials=credentials,
        name=args.name,
        settings=settings,
    )
    show(made.to_json(), args, f"created SFTP export {_line(made)}")
    return EXIT_VALID


def _list(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    listed = targets.list_exports(hub, org)
    show([e.to_json() for e in listed], args, "\n".join(_line(e) for e in listed))
    return EXIT_VALID


def _run(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    """Queue one delivery and run it in this process (other due exports run too)."""
    export = targets.get_export(hub, org, args.export_id)
    job_id = sx.run_now(hub, export)
    job = run_job_now(hub, job_id, sx.EXPORT, lambda job: sx.deliver(hub, job))
    latest = targets.runs(hub, export, limit=1)
    ok = done(job)
    if ok and latest:
        run = latest[0]
        text = f"delivered version {run['version']} ({run['kind']}) to {export.host}: " + ", ".join(
            f"{f['name']} {f['size']:,} bytes" for f in run["files"]
        )
    elif ok:
        text = "nothing to deliver: the organization has no roster in production yet"
    else:
        error = latest[0]["error"] if latest else job["last_error"]
        text = f"delivery failed: {error}; the worker retries it with back-off"
    show({"ok": ok, "job": job_id, "run": latest[0] if latest else None}, args, text)
    return EXIT_VALID if ok else EXIT_INVALID


def _test(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    export = targets.get_export(hub, org, args.export_id)
    report = asyncio.run(targets.test_connection(hub, export))
    lines = [f"{'ok' if s.ok else 'FAILED':<7} {s.name:<16} {s.message}" for s in report.steps]
    show(report.to_json(), args, "\n".join(lines))
    return EXIT_VALID if report.ok else EXIT_INVALID
