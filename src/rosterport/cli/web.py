"""`rosterport serve` (web UI, REST API, SFTP server, embedded worker) and `rosterport admin`."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

from rosterport import logs
from rosterport.bootstrap import build_hub
from rosterport.cli.datasets import settings_from
from rosterport.cli.validation import EXIT_VALID, demo_path
from rosterport.config import Settings
from rosterport.errors import NotFoundError
from rosterport.services import accounts, password_resets
from rosterport.services.hub import Hub
from rosterport.services.organizations import create_org, get_org

DEMO_ORG = "demo-district"
DEMO_ADMIN = "admin@demo-district.example"


def admin_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    hub = build_hub(settings)
    if args.admin_command == "reset-password":
        return _reset_password(hub, settings, args.email)
    org = get_org(hub, args.org) if args.org else None
    password = args.password or accounts.generate_password()
    account = accounts.create_account(hub, args.email, password, platform=args.platform, org=org)
    role = "platform administrator" if account.is_platform else f"administrator of {org.slug}"  # type: ignore[union-attr]  # create_account refuses a non-platform account without an org
    print(f"created {account.email}, {role}")
    if not args.password:
        print(f"password (shown only now): {password}")
    return EXIT_VALID


def _reset_password(hub: Hub, settings: Settings, email: str) -> int:
    """Print a reset's one-time code and link for the operator to hand over."""
    issued = password_resets.issue_reset(hub, email)
    base = (settings.public_url or "").rstrip("/")
    until = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    print(f"password reset for {issued.email} (works once, until {until}):")
    code = password_resets.shown_code(issued.code)
    print(
        f"  code: {code}   (enter it with the e-mail address at {base}{password_resets.RESET_PATH})"
    )
    print(f"  or the link: {base}{issued.path}")
    print("an earlier reset of this account no longer works; give these to its owner only")
    return EXIT_VALID


def _demo_files(data_dir: Path) -> Path:
    """A copy of the bundled demo district in the data dir, for the first upload."""
    target = data_dir / "demo-district"
    target.mkdir(parents=True, exist_ok=True)
    for source in demo_path().glob("*.csv"):
        if not target.joinpath(source.name).exists():
            shutil.copyfile(source, target / source.name)
    return target.resolve()


def _demo(hub: Hub, data_dir: Path) -> None:
    """First start with --demo: a demo organization and a platform administrator whose
    password is printed once."""
    if accounts.any_account(hub):
        print(
            "Sign in with an existing account (its password was printed when it was created; "
            "add another with `rosterport admin create --email E --platform`).",
            file=sys.stderr,
        )
        return
    try:
        org = get_org(hub, DEMO_ORG)
    except NotFoundError:
        org = create_org(hub, DEMO_ORG, "Demo District")
    password = accounts.generate_password()
    accounts.create_account(hub, DEMO_ADMIN, password, platform=True)
    files = _demo_files(data_dir)
    print(
        "\n".join(
            [
                "",
                "  rosterport is ready. Sign in as",
                f"    e-mail:   {DEMO_ADMIN}",
                f"    password: {password}   (shown only now)",
                f"  then open {org.name} › CSV Upload and add the files of the demo district:",
                f"    {files}",
                "  (real sample data with one real error to fix: a date of birth of 02/29/2005)",
                "",
            ]
        ),
        flush=True,
    )


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - the web stack loads only for `serve`

    from rosterport.web.app import create_app  # noqa: PLC0415 - same

    base = settings_from(args)
    given = {k: getattr(args, k) for k in ("host", "port", "sftp_port")}
    settings = base.model_copy(update={k: v for k, v in given.items() if v is not None})
    hub = build_hub(settings)
    if args.demo:
        _demo(hub, settings.data_dir)
    on_start = on_stop = None
    if settings.sftp_port and importlib.util.find_spec("rosterport.sftp.runtime") is not None:
        from rosterport.sftp.runtime import SftpRuntime  # noqa: PLC0415 - optional part

        runtime = SftpRuntime(hub, settings, host=settings.host, port=settings.sftp_port)
        on_start, on_stop = runtime.start, runtime.stop
    app = create_app(
        hub, settings, worker=settings.embedded_worker, on_start=on_start, on_stop=on_stop
    )
    url = settings.public_url or f"http://{settings.host}:{settings.port}"
    sftp = f"  ·  SFTP on port {settings.sftp_port}" if on_start is not None else ""
    print(f"rosterport: admin UI at {url}/  ·  API docs at {url}/api/docs{sftp}", flush=True)
    # proxy headers are not uvicorn's to apply (by default it trusts X-Forwarded-For from
    # 127.0.0.1): the app uses them only from ROSTERPORT_TRUSTED_PROXIES (web/auth.py)
    # every line through rosterport's handler, in ROSTERPORT_LOG_FORMAT (uvicorn's too)
    logs.configure(settings.log_format)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,
        proxy_headers=False,
    )
    return EXIT_VALID
