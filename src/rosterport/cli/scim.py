"""`rosterport scim add|list|run|remove`: SCIM 2.0 provisioning of an application."""

from __future__ import annotations

import argparse
from pathlib import Path

from rosterport.cli.datasets import _hub
from rosterport.cli.present import done, run_job_now, show
from rosterport.cli.validation import EXIT_INVALID, EXIT_VALID
from rosterport.errors import InputError
from rosterport.services import scim, scim_push
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, get_org


def scim_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    org = get_org(hub, args.org)
    commands = {"add": _add, "list": _list, "run": _run, "remove": _remove}
    return commands[args.scim_command](hub, org, args)


def _line(app: scim.ScimApp) -> str:
    s = app.settings
    roles = ", ".join(s.roles) or "every role"
    schools = ", ".join(s.schools) or "every school"
    last = f"version {app.last_version_id}" if app.last_version_id else "nothing yet"
    return f"{app.id}  {app.name}  {app.base_url}  {roles}; {schools}  pushed: {last}"


def _token(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{path}: the token file could not be read") from None


def _add(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    settings = scim.ScimSettings(
        roles=tuple(args.role or ()), schools=tuple(args.school or ()), groups=args.groups
    )
    made = scim.add_app(
        hub,
        org,
        name=args.name,
        base_url=args.url,
        token=_token(args.token_file),
        settings=settings,
    )
    show(made.to_json(), args, f"created SCIM application {_line(made)}")
    return EXIT_VALID


def _list(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    listed = scim.list_apps(hub, org)
    show([a.to_json() for a in listed], args, "\n".join(_line(a) for a in listed))
    return EXIT_VALID


def _run(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    """Queue one push and run it in this process (other due pushes run too)."""
    app = scim.get_app(hub, org, args.app_id)
    job_id = scim.run_now(hub, app)
    job = run_job_now(hub, job_id, scim.PUSH, lambda job: scim_push.push(hub, job))
    ok = done(job)
    after = scim.app_by_id(hub, app.id)
    counts = dict(after.last_counts)
    if ok:
        text = "pushed: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    else:
        text = f"push failed: {job['last_error']}; the worker retries it with back-off"
    show({"ok": ok, "job": job_id, "counts": counts}, args, text)
    return EXIT_VALID if ok else EXIT_INVALID


def _remove(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    app = scim.get_app(hub, org, args.app_id)
    scim.remove_app(hub, app)
    show({"removed": app.id}, args, f"removed SCIM application {app.id} ({app.name})")
    return EXIT_VALID
