"""`rosterport accounts list` (the accounts directory) and `rosterport vault apps`
(password-vault applications). Nothing here prints a credential: accounts show which
applications have credentials set and since when."""

from __future__ import annotations

import argparse
import json

from rosterport.bootstrap import build_hub
from rosterport.cli.datasets import settings_from
from rosterport.domain.directory import unlisted
from rosterport.services import directory, vault
from rosterport.services.organizations import get_org
from rosterport.store.directory.queries import Selection

PAGE = 10_000


def accounts_command(args: argparse.Namespace) -> int:
    hub = build_hub(settings_from(args))
    org = get_org(hub, args.org)
    selection = Selection(
        org.id, state=args.state, role=args.role, school=args.school, text=args.search
    )
    offset = 0
    while True:
        _, page = directory.accounts_page(hub, selection, offset=offset, limit=PAGE)
        sets = vault.credentials_set(hub, [a.id for a in page])
        for a in page:
            apps = {s.app_key: s.set_at.date().isoformat() for s in sets.get(a.id, [])}
            if args.format == "json":  # one JSON object a line: any size streams
                print(
                    json.dumps(
                        {
                            "id": a.id,
                            "sourcedId": a.sourced_id,
                            "role": a.role,
                            "givenName": a.given_name,
                            "familyName": a.family_name,
                            "email": a.email,
                            "username": a.username,
                            "schools": unlisted(a.schools),
                            "state": a.state,
                            "credentials_set": apps,
                        }
                    )
                )
            else:
                name = " ".join(p for p in (a.given_name, a.family_name) if p)
                creds = ", ".join(f"{k} set on {d}" for k, d in apps.items())
                print(
                    f"{a.sourced_id}\t{a.state}\t{a.role or ''}\t{name}\t{a.email or ''}\t"
                    f"{','.join(unlisted(a.schools))}\t{creds}"
                )
        if len(page) < PAGE:
            return 0
        offset += PAGE


def vault_command(args: argparse.Namespace) -> int:
    hub = build_hub(settings_from(args))
    org = get_org(hub, args.org)
    if args.vault_command == "add":
        made = vault.create_app(hub, org, args.id, args.name, args.launch_url)
        print(f"added {made.key} ({made.name})")
        return 0
    if args.vault_command == "remove":
        vault.remove_app(hub, org, args.id)
        print(f"removed {args.id} and its credentials")
        return 0
    listed = vault.list_apps(hub, org)
    if args.format == "json":
        print(
            json.dumps([{"id": a.key, "name": a.name, "launch_url": a.launch_url} for a in listed])
        )
    else:
        for a in listed:
            print(f"{a.key}\t{a.name}\t{a.launch_url or ''}")
    return 0
