"""The `rosterport` command line's grammar: every command, its arguments and their help.

`cli/__init__.py` maps each command to the function that runs it; this module only parses.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rosterport import __version__
from rosterport.cli.validation import EXIT_UNUSABLE
from rosterport.domain.schemas import MODELS
from rosterport.services.file_validation import AUTO


class _Parser(argparse.ArgumentParser):
    """argparse that prints a one-line reason and exits with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]  # argparse's returns NoReturn
        self.exit(EXIT_UNUSABLE, f"rosterport: {message} (see rosterport --help)\n")


def _levels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--level",
        action="append",
        default=[],
        metavar="CODE=LEVEL",
        help="level of a record issue type, e.g. reference-not-found=error (repeatable)",
    )


@dataclass(frozen=True, slots=True)
class Parents:
    """The argument groups commands share: the data dir, the organization, the format."""

    data: argparse.ArgumentParser
    org: argparse.ArgumentParser
    fmt: argparse.ArgumentParser

    @classmethod
    def made(cls) -> Parents:
        data = _Parser(add_help=False)
        data.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="data dir (default $ROSTERPORT_DATA_DIR or ./rosterport-data)",
        )
        org = _Parser(add_help=False)
        org.add_argument("--org", required=True, metavar="SLUG", help="the organization")
        fmt = _Parser(add_help=False)
        fmt.add_argument("--format", choices=["text", "json"], default="text")
        return cls(data, org, fmt)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rosterport", description="Roster data hub for school districts.")
    parser.add_argument("--version", action="version", version=f"rosterport {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = Parents.made()
    _offline_commands(commands)
    for commands_of in (
        _data_commands,
        _server_commands,
        _sftp_commands,
        _apps_commands,
        _directory_commands,
        _scim_commands,
    ):
        commands_of(commands, p)
    return parser


def _scim_commands(commands: Any, p: Parents) -> None:
    scim = commands.add_parser("scim", help="SCIM 2.0 provisioning of applications")
    sub = scim.add_subparsers(dest="scim_command", required=True, parser_class=_Parser)
    add = sub.add_parser(
        "add", parents=[p.data, p.org, p.fmt], help="a SCIM application to provision"
    )
    add.add_argument("--name", default="", help="a name for people (default: the URL's host)")
    add.add_argument("--url", required=True, help="the application's SCIM base URL")
    add.add_argument(
        "--token-file", required=True, type=Path, metavar="FILE", help="file of the bearer token"
    )
    add.add_argument(
        "--role",
        action="append",
        choices=["student", "teacher", "administrator", "aide"],
        help="only this role (repeatable; default every role)",
    )
    add.add_argument(
        "--school", action="append", metavar="ID", help="only this school (repeatable)"
    )
    add.add_argument("--groups", action="store_true", help="also one group per class (not yet)")
    sub.add_parser(
        "list", parents=[p.data, p.org, p.fmt], help="the organization's SCIM applications"
    )
    for name, text in (("run", "push now"), ("remove", "forget the application")):
        one = sub.add_parser(name, parents=[p.data, p.org, p.fmt], help=text)
        one.add_argument("app_id", type=int, metavar="ID")


def _directory_commands(commands: Any, p: Parents) -> None:
    accounts = commands.add_parser("accounts", help="the accounts directory of an organization")
    sub = accounts.add_subparsers(dest="accounts_command", required=True, parser_class=_Parser)
    listing = sub.add_parser(
        "list", parents=[p.data, p.org, p.fmt], help="accounts (json: one object a line)"
    )
    listing.add_argument("--state", choices=["active", "suspended", "deleted"])
    listing.add_argument("--role", choices=["student", "teacher", "administrator", "aide"])
    listing.add_argument("--school", metavar="ID", help="a school's sourcedId or SIS id")
    listing.add_argument("--search", metavar="TEXT", help="part of a name, an id or an e-mail")
    vault = commands.add_parser("vault", help="password-vault applications of an organization")
    vsub = vault.add_subparsers(dest="vault_command", required=True, parser_class=_Parser)
    add = vsub.add_parser("add", parents=[p.data, p.org], help="add a password-vault application")
    add.add_argument("--id", required=True, help="the Application_id app_credentials.csv uses")
    add.add_argument("--name", required=True)
    add.add_argument("--launch-url", default=None)
    vsub.add_parser("list", parents=[p.data, p.org, p.fmt], help="the organization's vault apps")
    remove = vsub.add_parser(
        "remove", parents=[p.data, p.org], help="remove an app and its credentials"
    )
    remove.add_argument("--id", required=True)


def _apps_commands(commands: Any, p: Parents) -> None:
    apps = commands.add_parser("apps", help="OneRoster API applications (OAuth 2.0 clients)")
    sub = apps.add_subparsers(dest="apps_command", required=True, parser_class=_Parser)
    create = sub.add_parser(
        "create",
        parents=[p.data, p.org, p.fmt],
        help="register an application; prints its secret once",
    )
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="roster-core.readonly (default), roster.readonly or roster-demographics.readonly "
        "(or the full scope URL; repeatable)",
    )
    create.add_argument(
        "--school", action="append", metavar="ID", help="only this school's data (repeatable)"
    )
    sub.add_parser("list", parents=[p.data, p.org, p.fmt], help="the organization's applications")
    revoke = sub.add_parser("revoke", parents=[p.data, p.org], help="revoke an application")
    revoke.add_argument("client_id", metavar="CLIENT_ID")
    webhook = sub.add_parser("webhook", help="an application's webhook endpoints")
    hooks = webhook.add_subparsers(dest="webhook_command", required=True, parser_class=_Parser)
    app = _Parser(add_help=False)
    app.add_argument("--app", required=True, metavar="CLIENT_ID", help="the application")
    add = hooks.add_parser(
        "add", parents=[p.data, p.org, app, p.fmt], help="add an endpoint; prints its secret once"
    )
    add.add_argument("--url", required=True, help="where deliveries are POSTed")
    add.add_argument(
        "--types",
        action="append",
        metavar="TYPES",
        help="event types it wants, comma-separated (users.updated,roster.loaded; "
        "repeatable); default: every committed version",
    )
    hooks.add_parser(
        "list", parents=[p.data, p.org, app, p.fmt], help="the application's endpoints"
    )
    remove = hooks.add_parser("remove", parents=[p.data, p.org, app], help="remove an endpoint")
    remove.add_argument("endpoint_id", type=int, metavar="ENDPOINT_ID")


def _offline_commands(commands: Any) -> None:
    validate = commands.add_parser(
        "validate", help="validate a folder, a zip or CSV files offline (same rules as uploads)"
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.add_argument(
        "--model",
        default=AUTO,
        choices=[AUTO, *MODELS],
        help="data model (default auto: detected from file names and the manifest)",
    )
    _levels(validate)
    validate.add_argument("--format", choices=["text", "json", "csv"], default="text")
    validate.add_argument("-o", "--output", type=Path, help="write the report here")
    validate.add_argument("--demo", action="store_true", help="validate the bundled demo district")

    templates = commands.add_parser("templates", help="write a ZIP of header-only CSV templates")
    templates.add_argument("--model", required=True, choices=list(MODELS))
    templates.add_argument("-o", "--output", type=Path, required=True)


def _data_commands(commands: Any, p: Parents) -> None:
    org_cmd = commands.add_parser("org", help="organizations")
    org_sub = org_cmd.add_subparsers(dest="org_command", required=True, parser_class=_Parser)
    create = org_sub.add_parser("create", parents=[p.data], help="create an organization")
    create.add_argument("slug", metavar="SLUG")
    create.add_argument("--name")

    upload = commands.add_parser(
        "upload", parents=[p.data, p.org, p.fmt], help="validate, preview and commit an upload"
    )
    upload.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    upload.add_argument("--model", required=True, choices=list(MODELS))
    upload.add_argument("--mode", choices=["full", "incremental"])
    _levels(upload)
    upload.add_argument("--dry-run", action="store_true", help="validate and preview only")
    upload.add_argument(
        "--allow-deletions", action="store_true", help="confirm removals past the safeguards"
    )

    history = commands.add_parser("history", parents=[p.data, p.org, p.fmt], help="version history")
    history.add_argument("--model", choices=list(MODELS))

    download = commands.add_parser(
        "download", parents=[p.data, p.org], help="a version's original files or error report"
    )
    download.add_argument("version", type=int, metavar="VERSION")
    what = download.add_mutually_exclusive_group(required=True)
    what.add_argument("--originals", action="store_true", help="the uploaded files, as a ZIP")
    what.add_argument("--report", action="store_true", help="the error report, as CSV")
    download.add_argument("-o", "--output", type=Path, required=True)

    restore = commands.add_parser(
        "restore", parents=[p.data, p.org, p.fmt], help="a new version equal to an earlier one"
    )
    restore.add_argument("version", type=int, metavar="VERSION")
    restore.add_argument("--dry-run", action="store_true")
    restore.add_argument("--allow-deletions", action="store_true")

    compare = commands.add_parser(
        "diff", parents=[p.data, p.org, p.fmt], help="compare two versions"
    )
    compare.add_argument("first", type=int, metavar="V1")
    compare.add_argument("second", type=int, metavar="V2")

    for name, text in (("approve", "commit a held version"), ("discard", "drop a held version")):
        held = commands.add_parser(name, parents=[p.data, p.org], help=text)
        held.add_argument("version", type=int, metavar="VERSION")

    commands.add_parser("worker", parents=[p.data], help="run background jobs until stopped")
    jobs = commands.add_parser("jobs", parents=[p.data], help="list background jobs, or retry one")
    jobs.add_argument("--state", choices=["queued", "running", "done", "failed"])
    jobs.add_argument("--retry", type=int, metavar="JOB", help="queue a failed job again")
    db = commands.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_sub.add_parser("upgrade", parents=[p.data], help="migrate the database to this version")


def _server_commands(commands: Any, p: Parents) -> None:
    serve = commands.add_parser(
        "serve",
        parents=[p.data],
        help="run the admin web UI, the REST API, the SFTP server and the embedded worker",
    )
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="web port (default 8000)")
    serve.add_argument(
        "--sftp-port", type=int, default=None, help="hosted SFTP server port (default 2222; 0: off)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="create a demo organization and admin on first start"
    )
    admin = commands.add_parser("admin", help="accounts of the admin UI")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, parser_class=_Parser)
    create = admin_sub.add_parser("create", parents=[p.data], help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="default: generated and printed once")
    create.add_argument(
        "--platform", action="store_true", help="a platform administrator (all organizations)"
    )
    create.add_argument("--org", metavar="SLUG", help="the organization an administrator manages")
    reset = admin_sub.add_parser(
        "reset-password",
        parents=[p.data],
        help="a one-time code and link to reset an account's forgotten password",
    )
    reset.add_argument("--email", required=True)


def _sftp_commands(commands: Any, p: Parents) -> None:
    sftp = commands.add_parser(
        "sftp", help="SFTP: hosted accounts, connection tests and exports to applications"
    )
    sftp_sub = sftp.add_subparsers(dest="sftp_command", required=True, parser_class=_Parser)
    add_user = sftp_sub.add_parser(
        "add-user", parents=[p.data], help="an account on the hosted SFTP server"
    )
    add_user.add_argument("--org", required=True, metavar="SLUG")
    add_user.add_argument("--username", required=True)
    secret = add_user.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password")
    secret.add_argument("--public-key", type=Path, metavar="FILE")
    add_user.add_argument("--model", choices=list(MODELS), help="data model of the drops")
    test = sftp_sub.add_parser("test", help="test a connection to an SFTP server, step by step")
    _server_arguments(test, path="folder to list (default: the login folder)")
    _sftp_export_commands(sftp_sub, p)


def _server_arguments(parser: argparse.ArgumentParser, *, path: str) -> None:
    """A custom SFTP server and how to sign in to it (`path`: the help of its folder)."""
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--username", required=True)
    cred = parser.add_mutually_exclusive_group(required=True)
    cred.add_argument("--password")
    cred.add_argument("--key", type=Path, metavar="FILE", help="private key file")
    parser.add_argument("--path", default="", help=path)


def _sftp_export_commands(sftp_sub: Any, p: Parents) -> None:
    export = sftp_sub.add_parser(
        "export", help="SFTP export: deliver the roster as OneRoster 1.1 CSV to a server"
    )
    sub = export.add_subparsers(dest="export_command", required=True, parser_class=_Parser)
    add = sub.add_parser(
        "add", parents=[p.data, p.org, p.fmt], help="an application's server to deliver to"
    )
    _server_arguments(add, path="folder on the server (default: the login folder)")
    add.add_argument("--name", default="", help="a name for people (default: user@host)")
    add.add_argument("--delta", action="store_true", help="bulk first, then deltas")
    add.add_argument("--zip", action="store_true", help="one oneroster.zip instead of loose files")
    add.add_argument(
        "--files", choices=["full", "users-orgs"], default="full", help="which files (default full)"
    )
    add.add_argument(
        "--school", action="append", metavar="ID", help="only this school (repeatable)"
    )
    add.add_argument(
        "--schedule",
        default="version",
        metavar="version|HH:MM",
        help="after each version in production (default), or a time of day",
    )
    add.add_argument("--time-zone", default="UTC", help="of a time-of-day schedule (IANA name)")
    sub.add_parser("list", parents=[p.data, p.org, p.fmt], help="the organization's exports")
    for name, text in (
        ("run", "one delivery now"),
        ("test", "test the connection, step by step"),
    ):
        one = sub.add_parser(name, parents=[p.data, p.org, p.fmt], help=text)
        one.add_argument("export_id", type=int, metavar="ID")
