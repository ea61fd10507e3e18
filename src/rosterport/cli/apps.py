"""`rosterport apps`: OneRoster API applications of an organization (create, list, revoke)
and their webhook endpoints (`apps webhook add|list|remove`).

`create` prints the client id and the client secret once (`--format json`:
`{"client_id", "client_secret"}`); only a digest of the secret is kept. `webhook add` prints
the endpoint's signing secret once (`--format json`: the endpoint with `secret`)."""

from __future__ import annotations

import argparse
import json

from rosterport.bootstrap import build_hub
from rosterport.cli.datasets import settings_from
from rosterport.services import api_apps, webhook_endpoints
from rosterport.services.hub import Hub
from rosterport.services.organizations import Organization, get_org


def apps_command(args: argparse.Namespace) -> int:
    hub = build_hub(settings_from(args))
    org = get_org(hub, args.org)
    if args.apps_command == "webhook":
        return _webhook(hub, org, args)
    if args.apps_command == "create":
        made, secret = api_apps.create(
            hub, org, args.name, scopes=args.scope or (), schools=args.school or None
        )
        if args.format == "json":
            print(json.dumps({"client_id": made.client_id, "client_secret": secret}))
        else:
            print(f"client id:     {made.client_id}")
            print(f"client secret: {secret}   (shown once: keep it now)")
            print(f"scopes:        {' '.join(made.scopes)}")
        return 0
    if args.apps_command == "revoke":
        api_apps.revoke(hub, org, args.client_id)
        print(f"revoked {args.client_id}")
        return 0
    listed = api_apps.list_apps(hub, org)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "client_id": a.client_id,
                        "name": a.name,
                        "scopes": list(a.scopes),
                        "schools": None if a.schools is None else list(a.schools),
                        "created_at": a.created_at.isoformat(),
                        "last_used_at": a.last_used_at and a.last_used_at.isoformat(),
                        "revoked_at": a.revoked_at and a.revoked_at.isoformat(),
                    }
                    for a in listed
                ]
            )
        )
        return 0
    for a in listed:
        state = "revoked" if a.revoked_at else "active"
        used = a.last_used_at.isoformat() if a.last_used_at else "never"
        print(f"{a.client_id}  {a.name}  {state}  last used {used}  {' '.join(a.scopes)}")
    return 0


def _webhook(hub: Hub, org: Organization, args: argparse.Namespace) -> int:
    if args.webhook_command == "add":
        made, secret = webhook_endpoints.add(hub, org, args.app, args.url, args.types)
        if args.format == "json":
            print(json.dumps({**made.to_json(), "secret": secret}))
        else:
            print(f"endpoint: {made.id}  {made.url}")
            print(f"types:    {' '.join(made.types) if made.types else 'every version'}")
            print(f"secret:   {secret}   (shown once: keep it now)")
        return 0
    if args.webhook_command == "remove":
        webhook_endpoints.remove(hub, org, args.app, args.endpoint_id)
        print(f"removed endpoint {args.endpoint_id}")
        return 0
    listed = webhook_endpoints.list_endpoints(hub, org, args.app)
    if args.format == "json":
        print(json.dumps([e.to_json() for e in listed]))
        return 0
    for e in listed:
        state = f"disabled ({e.disabled_reason})" if e.disabled_at else "active"
        types = ",".join(e.types) if e.types else "every version"
        print(f"{e.id}  {e.url}  {state}  {types}")
    return 0
