"""Verified API tokens remembered per database connection, all forgotten at any change.

Looking a token up (with its user and groups) was a round trip on every API request, a third
of a count's time. Here a connection that has verified a token remembers it, and forgets every
token the moment the database says that what a token stands for may have changed: migration
0011 has PostgreSQL send a notice on `fedcat_auth` when a token is updated (but for its last
use) or deleted, a user changed or deleted, a membership or group changed. The connection
LISTENs on that channel; psycopg hands it the notices that arrive during its queries, and
before trusting what it remembers the connection looks at its socket (no round trip): a notice
waiting there is read first (`SELECT 1`, only then). A notice reaches every listening connection
when the change commits, so a revoked token, a deactivated user or a removed membership counts
from the next request on, as without the cache, but for a request that starts within the
moment a notice takes to cross the loopback after the commit.

Used only where that holds: PostgreSQL, persistent connections (`DATABASE_CONN_MAX_AGE` > 0),
outside a transaction (in one, as in the tests' transactions, a change is not announced until
it commits). Expiry is checked on every use, against the time the token was remembered with.
"""

from __future__ import annotations

import select
from dataclasses import dataclass
from datetime import datetime

import psycopg

CHANNEL = "fedcat_auth"
MAX_TOKENS = 10_000  # per connection; past it, all are forgotten and read again


@dataclass
class Verified:
    """A token as the lookup found it: its user's column values, the user's groups."""

    user_values: tuple
    groups: tuple[str, ...]
    token_id: int
    expires_at: datetime
    last_used_at: datetime | None


class Remembered:
    """The tokens one connection has verified since its last notice."""

    def __init__(self, connection):
        self.connection = connection
        self.tokens: dict[str, Verified] = {}
        self.notices = 0
        connection.add_notify_handler(self._notice)
        connection.execute(f"LISTEN {CHANNEL}")

    def _notice(self, notice) -> None:
        if notice.channel == CHANNEL:
            self.notices += 1
            self.tokens.clear()

    def get(self, key: str) -> Verified | None:
        return self.tokens.get(key)

    def remember(self, key: str, verified: Verified, *, notices: int) -> None:
        """Keeps what a lookup found, unless a notice came since it started (`notices`: the
        count before it): the lookup may have read the token as it was before that change."""
        if self.notices != notices:
            return
        if len(self.tokens) >= MAX_TOKENS:
            self.tokens.clear()
        self.tokens[key] = verified


def remembered(wrapper) -> Remembered | None:
    """The tokens the connection `wrapper` (a Django database connection) remembers; None where
    they cannot be trusted (see the module's docstring)."""
    if (
        wrapper.vendor != "postgresql"
        or not wrapper.settings_dict.get("CONN_MAX_AGE")
        or wrapper.in_atomic_block
    ):
        return None
    try:
        wrapper.close_if_health_check_failed()
        wrapper.ensure_connection()
        connection = wrapper.connection
        if not connection.autocommit:
            return None
        state = getattr(wrapper, "_fedcat_tokens", None)
        if state is None or state.connection is not connection:
            # A new connection: what an earlier one remembered may have missed notices.
            state = wrapper._fedcat_tokens = Remembered(connection)
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN)
        if poller.poll(0):
            connection.execute("SELECT 1")  # psycopg hands the waiting notices to _notice
    except psycopg.Error:
        return None  # the lookup itself will meet the broken connection, as before
    return state
