"""The SFTP app's setup steps in the admin UI and the API:

    Delivery Config → Schools Mapping → Attributes Mapping → Data Requirements → Finish

An integration made in the admin UI starts disabled (`configured` False): deliveries are
refused by the SFTP server until Finish Configuration enables it. Accounts made with
`rosterport sftp add-user` are usable at once, with no mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from rosterport.csvio.reader import read_table
from rosterport.domain.inputs import FileProblem
from rosterport.domain.mappings import CREATE, School, auto_map, school_file, schools_in
from rosterport.domain.policy import Requirement
from rosterport.domain.schemas import get_model
from rosterport.errors import InputError
from rosterport.remote import ConnectionReport, Credentials, Server, confirmed_host_key
from rosterport.services import versions as v
from rosterport.services.hosted_accounts import add_hosted_account
from rosterport.services.hub import Hub
from rosterport.services.integrations import (
    PULL,
    Integration,
    IntegrationSettings,
    add_pull,
    integration_by_id,
    pin_host_key,
    pull_credentials,
    update_integration,
)
from rosterport.services.organizations import Organization
from rosterport.services.snapshot_states import snapshot_of, state_of


@dataclass(frozen=True, slots=True)
class SchoolRow:
    """One line of the Schools Mapping: a source school and where it goes."""

    source: School
    target: str  # an existing school's id, or CREATE


def existing_schools(hub: Hub, org: Organization, model_name: str) -> list[School]:
    """The schools of the organization in production: this data model's, then those
    committed through its other data models (a district that loaded OneRoster files first
    maps its Passport feed to the same schools), each identifier once."""
    v.dataset(hub, org, model_name)  # the model must be enabled for the organization
    found: dict[str, School] = {}
    for name in (model_name, *(m for m in org.settings.models if m != model_name)):
        for school in _schools_of(hub, org, name):
            found.setdefault(school.id, school)
    return sorted(found.values(), key=lambda s: (s.name.lower(), s.id))


def _schools_of(hub: Hub, org: Organization, model_name: str) -> list[School]:
    """The schools in production of one data model of the organization (none yet: [])."""
    model = get_model(model_name)
    found = school_file(model)
    current = v.current_version(hub, org, model_name)
    if found is None or current is None:
        return []
    file, key, title = found
    state = state_of(hub, model, snapshot_of(hub, current), file)
    if state.is_empty() or key not in state.columns:
        return []
    names = state.get_column(title) if title in state.columns else [""] * state.height
    return [School(str(i), str(n or "")) for i, n in zip(state.get_column(key), names, strict=True)]


def load_source_schools(
    hub: Hub, org: Organization, integration: Integration, name: str, data: bytes
) -> Integration:
    """Read the source system's school file (orgs.csv or schools.csv) and map each school
    automatically: by identifier, then by name; the others are created."""
    model = get_model(integration.model)
    found = school_file(model)
    if found is None:
        raise InputError(f"{model.title} has no schools to map")
    table = read_table(name, data)
    if isinstance(table, FileProblem):
        raise InputError(f"{name}: {table.message}")
    sources = schools_in(table, model)
    if not sources:
        raise InputError(
            f"{name} lists no schools: upload the source system's {found[0]} with a "
            f"{found[1]} column"
        )
    mapping = auto_map(sources, existing_schools(hub, org, integration.model))
    settings = replace(
        integration.settings,
        schools=mapping,
        source_schools={s.id: s.name for s in sources},
    )
    return update_integration(hub, integration, settings=settings)


def school_rows(integration: Integration) -> list[SchoolRow]:
    s = integration.settings
    return [
        SchoolRow(School(source, s.source_schools.get(source, "")), target)
        for source, target in s.schools.items()
    ]


def save_schools(
    hub: Hub, org: Organization, integration: Integration, mapping: Mapping[str, str]
) -> Integration:
    """Save the Schools Mapping: each source school to an existing school or CREATE."""
    known = {s.id for s in existing_schools(hub, org, integration.model)}
    for source, target in mapping.items():
        if target != CREATE and target not in known:
            raise InputError(
                f"school {target!r} (for source school {source!r}) is not a school of "
                f"{org.name}; choose one from the list or 'Create new school'"
            )
    settings = replace(integration.settings, schools=dict(mapping))
    return update_integration(hub, integration, settings=settings)


def attribute_files(integration: Integration) -> dict[str, list[str]]:
    """The model's files and their attributes (what Attributes Mapping shows)."""
    model = get_model(integration.model)
    return {f.name: [c.name for c in f.columns] for f in model.files}


def save_attributes(
    hub: Hub, integration: Integration, columns: Mapping[str, Mapping[str, str]]
) -> Integration:
    """Save the Attributes Mapping: per file, source column → attribute of the model.
    Entries that map a column to itself are dropped."""
    files = attribute_files(integration)
    cleaned: dict[str, dict[str, str]] = {}
    for file, renames in columns.items():
        if file not in files:
            raise InputError(f"{file} is not a file of {integration.model}")
        for source, attribute in renames.items():
            if attribute not in files[file]:
                raise InputError(f"{attribute!r} is not an attribute of {file}")
            if source.strip() and source.strip().lower() != attribute.lower():
                cleaned.setdefault(file, {})[source.strip()] = attribute
    settings = replace(integration.settings, columns=cleaned)
    return update_integration(hub, integration, settings=settings)


def optional_attributes(integration: Integration) -> dict[str, list[str]]:
    """Per file, the attributes the standard leaves optional (Data Requirements)."""
    model = get_model(integration.model)
    return {
        f.name: [c.name for c in f.columns if not c.required and not c.secret] for f in model.files
    }


def save_requirements(
    hub: Hub, integration: Integration, requirements: Mapping[str, str]
) -> Integration:
    """Save Data Requirements: "file/column" → report | skip (anything else: none)."""
    options = optional_attributes(integration)
    parsed: dict[str, Requirement] = {}
    for key, value in requirements.items():
        if not value or value == "none":
            continue
        file, _, column = key.partition("/")
        if column not in options.get(file, []):
            raise InputError(f"{key} is not an optional attribute of {integration.model}")
        try:
            parsed[key] = Requirement(value)
        except ValueError:
            raise InputError(
                f"requirement {value!r} for {key} is unknown; choose none, report or skip"
            ) from None
    settings = replace(integration.settings, requirements=parsed)
    return update_integration(hub, integration, settings=settings)


def create_hosted(
    hub: Hub,
    org: Organization,
    *,
    login: str,
    password: str | None,
    public_keys: str | None,
    model: str,
    settings: IntegrationSettings,
) -> Integration:
    """Delivery Config of the hosted server → a new account, disabled until Finish."""
    made = add_hosted_account(
        hub,
        org,
        login=login,
        password=password,
        public_keys=public_keys,
        model=model,
        settings=settings,
    )
    return update_integration(hub, made, enabled=False)


def create_pull(
    hub: Hub,
    org: Organization,
    *,
    host: str,
    port: int,
    username: str,
    credentials: Credentials,
    model: str,
    settings: IntegrationSettings,
) -> Integration:
    """Delivery Config of a custom server → a new pull, disabled until Finish."""
    made = add_pull(
        hub,
        org,
        name=f"{username}@{host}",
        host=host,
        username=username,
        credentials=credentials,
        port=port,
        model=model,
        settings=settings,
    )
    return update_integration(hub, made, enabled=False)


def finish(hub: Hub, integration: Integration) -> Integration:
    """Finish Configuration: the integration is enabled and takes deliveries."""
    settings = replace(integration.settings, configured=True)
    return update_integration(hub, integration, settings=settings, enabled=True)


async def test_connection(hub: Hub, integration: Integration) -> ConnectionReport:
    """Test Connection for a saved pull: its stored credentials, against its pinned key."""
    refusal = "Test Connection is for a custom server; the hosted server is ours"
    return await hub.remote_servers().check_connection(_server(hub, integration, refusal))


async def trust_host_key(hub: Hub, integration: Integration, fingerprint: str) -> Integration:
    """Pin the server's host key after a person compared its fingerprint (first use, or a
    key the district changed on purpose). The server is asked again: its key must still
    have the fingerprint that was confirmed."""
    server = _server(hub, integration, "only a custom server's host key can be trusted")
    unpinned = replace(server, pinned=None)  # the key is what is checked
    report = await hub.remote_servers().check_connection(unpinned)
    pin_host_key(hub, integration, confirmed_host_key(report, fingerprint))
    return integration_by_id(hub, integration.id)


def _server(hub: Hub, integration: Integration, refusal: str) -> Server:
    """A pull's server as pulls reach it (its folder, its pinned host key); `refusal` is
    the InputError for an integration that is no pull from a custom server."""
    if integration.kind != PULL or integration.host is None or integration.username is None:
        raise InputError(refusal)
    return Server(
        integration.host,
        integration.port or 22,
        integration.username,
        pull_credentials(hub, integration),
        integration.host_key,
        integration.settings.path,
    )
