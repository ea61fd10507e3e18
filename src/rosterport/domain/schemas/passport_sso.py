"""`passport-sso`: application credentials for password-vault single sign-on.

The account and application look-ups need the organization's production data; they are
checks of their own (domain/checks/sso.py), not declarative references.
"""

from __future__ import annotations

from rosterport.domain.formats import ID, SECRET, TEXT
from rosterport.domain.schemas.model import Column, DataModel, FileSchema

APP_CREDENTIALS = FileSchema(
    name="app_credentials.csv",
    entity="credential",
    key=(),  # (Application_id, the resolved account): checked by domain/checks/sso.py
    identity=("School_id", "User_id", "Username", "Application_id"),
    description="One row per account and application. User_id or Username identifies the account.",
    columns=(
        Column("School_id", ID, description="Limits the account look-up to one school"),
        Column("User_id", ID, description="The person's SIS id; wins over Username"),
        Column("Username", TEXT),
        Column("Application_id", ID, required=True),
        Column("Application_username", TEXT, required=True),
        Column("Application_password", SECRET, required=True),
    ),
)

PASSPORT_SSO = DataModel(
    name="passport-sso",
    title="Passport SSO Credentials",
    description="Pre-populated application credentials for accounts that already exist.",
    files=(APP_CREDENTIALS,),
)
