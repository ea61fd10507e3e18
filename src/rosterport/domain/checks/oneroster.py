"""OneRoster 1.1 package rules (manifest, strict headers, bulk/delta). Being written."""

from __future__ import annotations

from rosterport.domain.checks.model_rules import ModelRules


class OneRosterRules(ModelRules):
    """Placeholder until the OneRoster checks land."""
