"""Drop and re-create the fuzz database (a fresh database every run). Usage: reset_db.py DATABASE_URL"""
from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"reset_db: need a postgres://…/<name> URL, not {url!r}")
    if name in ("postgres", "template0", "template1"):
        raise SystemExit(f"reset_db: refusing to drop {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"reset_db: {name} dropped and created")


if __name__ == "__main__":
    main(sys.argv[1])
