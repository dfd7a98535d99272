"""Read replica routing (optional: only when settings define the ``replica`` database).

Reads go to the replica only where a request opted in (``replica_reads()``: the API's list and
search handlers), only outside a transaction, and only until that request writes anything. Everything else stays on the primary: writes,
reads inside ``atomic`` (locks, read-your-writes), authentication, and every read a request makes
before or after its list. A replica may lag by a moment; a list is allowed to, a spend is not.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("orbit_replica_reads", default=False)


@contextmanager
def replica_reads():
    """Reads inside this block may be served by the replica (if one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


def _read_on_replica(hints) -> bool:
    instance = hints.get("instance")
    return instance is not None and instance._state.db == REPLICA_DB_ALIAS


class ReplicaRouter:
    """None means "no opinion": Django then uses the default alias, or the alias an instance was
    read from. Rows read on the replica are pointed back at the primary for their writes and
    their relations outside a replica block."""

    def db_for_read(self, model, **hints) -> str | None:
        if (_replica_reads.get() and replica_configured()
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS if _read_on_replica(hints) else None

    def db_for_write(self, model, **hints) -> str | None:
        # A request that writes reads its own writes: the rest of it reads the primary.
        if _replica_reads.get():
            _replica_reads.set(False)
        return DEFAULT_DB_ALIAS if _read_on_replica(hints) else None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        aliases = {obj1._state.db, obj2._state.db}
        return True if aliases <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS} else None  # one database, two connections

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db == REPLICA_DB_ALIAS else None
