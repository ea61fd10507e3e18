"""The schema catalogue: every data model rosterport knows, by name."""

from __future__ import annotations

from rosterport.domain.schemas.model import Column, DataModel, FileSchema, HeaderRule, Reference
from rosterport.domain.schemas.oneroster import ONEROSTER_11
from rosterport.domain.schemas.passport_identity import PASSPORT_IDENTITY
from rosterport.domain.schemas.passport_roster import PASSPORT_ROSTER
from rosterport.domain.schemas.passport_sso import PASSPORT_SSO
from rosterport.errors import UnknownModelError

MODELS: dict[str, DataModel] = {
    model.name: model for model in (PASSPORT_ROSTER, PASSPORT_IDENTITY, PASSPORT_SSO, ONEROSTER_11)
}


def get_model(name: str) -> DataModel:
    """The data model called `name`; UnknownModelError naming the known ones otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        raise UnknownModelError(f"unknown data model {name!r}; choose one of: {known}") from None


__all__ = [
    "MODELS",
    "Column",
    "DataModel",
    "FileSchema",
    "HeaderRule",
    "Reference",
    "get_model",
]
