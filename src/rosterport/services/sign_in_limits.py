"""Failed-sign-in limits kept in the `login_failures` table, taken before a password is checked.

An attempt first takes a place in the table (`take_place`, committed at once), then counts
the places taken for the same user name or from the same client address within
`RATE_WINDOW` (15 minutes), its own included. More than `limit`: the attempt is refused
without the password being checked, and gives its place back. Otherwise the password is
checked; a right one gives the place back (`give_back`), a wrong one leaves it as a recorded
failure. Because each place is committed before anyone counts, concurrent attempts cannot
all slip under the limit: the k-th attempt to commit counts at least k places, on SQLite and
PostgreSQL alike, so at most `limit` passwords are ever checked and failed in one window.

The web sign-in (`services/accounts.py`) keys the same table by e-mail address and client
address; the hosted SFTP server (`hosted_accounts.sign_in_hosted`) writes both keys with an
`sftp:` prefix, so the two doors have separate budgets (an integrator's misconfigured
password does not lock a district's administrators out of the web UI, nor the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass

from rosterport.services.accounts import RATE_WINDOW
from rosterport.services.hub import Hub
from rosterport.store import login_attempts

_WHO, _ADDRESS = 320, 64  # the widths of the columns `email` and `address`


@dataclass(frozen=True, slots=True)
class Place:
    """An attempt's place in the table: `id` None when the attempt was refused."""

    id: int | None
    taken: int  # places taken in the window for this user name or address, this one included

    @property
    def refused(self) -> bool:
        return self.id is None


def take_place(hub: Hub, who: str, address: str, *, limit: int) -> Place:
    """Record an attempt before its password is checked; refused past `limit` (module doc)."""
    now = hub.clock()
    since = now - RATE_WINDOW
    who, address = who[:_WHO], address[:_ADDRESS]
    with hub.engine.begin() as conn:  # committed before counting: that is what makes it atomic
        place = login_attempts.take(conn, who, address, now=now, since=since)
    with hub.engine.connect() as conn:
        taken = login_attempts.count_since(conn, who, address, since=since)
    if taken > limit:
        give_back(hub, Place(place, taken))
        return Place(None, taken)
    return Place(place, taken)


def give_back(hub: Hub, place: Place) -> None:
    """Remove an attempt's place: it was refused, or its password was right."""
    if place.id is not None:
        with hub.engine.begin() as conn:
            login_attempts.remove(conn, place.id)
