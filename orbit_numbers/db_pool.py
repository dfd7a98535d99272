"""The web workers' pool health check, without a round trip per request.

psycopg_pool's own check (what Django installs for ``CONN_HEALTH_CHECKS`` on a pooled database) sends an
empty query on every checkout: one more round trip to PostgreSQL per request, a quarter of the wall time
of a cheap API request under load (bench/RESULTS.md). A connection the server dropped — terminated,
restarted, timed out — first tells the client: the backend sends its FATAL message and closes the
socket, so an idle connection whose socket has something to read is suspect. Only then is the real
check run; a dead one is discarded and the pool hands out another, as before.
"""
from __future__ import annotations

import select

from psycopg import Connection
from psycopg_pool import ConnectionPool


def check_idle_connection(conn: Connection) -> None:
    """Raise if ``conn`` is unusable (the pool then replaces it); a round trip only when in doubt."""
    if conn.closed or conn.broken:
        raise ConnectionError("connection closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:  # nothing is expected on an idle connection: a termination notice, EOF, or a notice
        ConnectionPool.check_connection(conn)
