"""`rosterport sftp`: hosted accounts and connection tests.

    rosterport sftp add-user --org SLUG --username U (--password P | --public-key FILE)
    rosterport sftp test --host H [--port P] --username U (--password P | --key FILE) [--path P]
    rosterport sftp export add --org SLUG --host H [--port P] --username U
        (--password P | --key FILE) [--path P] [--delta] [--zip] [--files full|users-orgs]
        [--school ID]... [--schedule version|HH:MM] [--time-zone TZ] [--format json]
    rosterport sftp export list --org SLUG [--format json]
    rosterport sftp export run --org SLUG ID       one delivery now (exit 1 if it failed)
    rosterport sftp export test --org SLUG ID      Test Connection (exit 1 if a step failed)

`test` exits 0 when every step passed and 1 when one failed (the steps say which and why).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rosterport.cli.datasets import _hub, settings_from
from rosterport.cli.validation import EXIT_INVALID, EXIT_VALID
from rosterport.errors import InputError
from rosterport.remote import Credentials, Server
from rosterport.services.hosted_accounts import add_hosted_account
from rosterport.services.integrations import DEFAULT_MODEL
from rosterport.services.organizations import get_org
from rosterport.sftp.client import check_connection


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; give the {what} file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file; give the {what} file") from None


def add_user_command(args: argparse.Namespace) -> int:
    hub = _hub(args)
    org = get_org(hub, args.org)
    keys = _read(args.public_key, "public key (.pub)") if args.public_key else None
    integration = add_hosted_account(
        hub,
        org,
        login=args.username,
        password=args.password,
        public_keys=keys,
        model=args.model or DEFAULT_MODEL,
    )
    port = settings_from(args).sftp_port
    how = "password" if args.password else "public key"
    print(
        f"created SFTP account {integration.login} for {org.slug} ({integration.model}, "
        f"{how}).\n"
        f"  connect:  sftp -P {port} {integration.login}@<this server>\n"
        "  drop the CSV files (or one ZIP) at the top of the folder; results appear in results/"
    )
    return EXIT_VALID


def test_command(args: argparse.Namespace) -> int:
    if args.port is not None and not 0 < args.port < 65536:
        raise InputError(f"port {args.port} is not a TCP port; the SFTP default is 22")
    credentials = Credentials(
        password=args.password,
        private_key=_read(args.key, "private key") if args.key else None,
    )
    server = Server(args.host, args.port, args.username, credentials, path=args.path)
    report = asyncio.run(check_connection(server))
    for step in report.steps:
        print(f"{'ok' if step.ok else 'FAILED':<7} {step.name:<16} {step.message}")
    if report.ok and report.entries:
        print(f"        entries: {', '.join(report.entries[:20])}")
    return EXIT_VALID if report.ok else EXIT_INVALID


def sftp_command(args: argparse.Namespace) -> int:
    commands = {"add-user": add_user_command, "test": test_command, "export": export_command}
    return commands[args.sftp_command](args)


def export_command(args: argparse.Namespace) -> int:
    from rosterport.cli import sftp_export  # noqa: PLC0415 - only `sftp export` needs it

    return sftp_export.export_command(args)
