"""A version's statuses (docs/lifecycle.md, "Propagation and statuses"):

    an upload with errors → Validation Errors (kept in the history, never current)
    a safeguard stops it  → Held → Pending propagation (approved) | Discarded
    committed             → Pending propagation → Successfully in production
                                                | Propagation failed (→ Pending, retried)

Pure data: `services/versions.py` moves a version from one to the next,
`services/propagation.py` settles a pending one.
"""

from __future__ import annotations

VALIDATION_ERRORS = "Validation Errors"
PENDING = "Pending propagation"
IN_PRODUCTION = "Successfully in production"
PROPAGATION_FAILED = "Propagation failed"
HELD = "Held"
DISCARDED = "Discarded"
