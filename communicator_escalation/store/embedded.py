"""The embedded PostgreSQL server used when no database URL is configured."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import StoreUnavailable

EMBEDDED_DATABASE = "escalation"


def _pgserver():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        import pgserver  # heavy import kept local: only the embedded path needs it
    return pgserver


def stop_embedded_server(pgdata: Path) -> None:
    """Stop the embedded server of `pgdata` (throw-away homes, test sessions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = _pgserver().get_server(pgdata, cleanup_mode="stop")
    server.cleanup_mode = "stop"  # get_server returns the cached handle, whatever mode it was made with
    server.cleanup()


def embedded_server_uri(pgdata: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the pgserver cluster in `pgdata` and return a URI for `database`.

    The server is left running for later processes; pgserver reuses it by its pid file.
    """
    import psycopg

    pgserver = _pgserver()
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(pgdata, cleanup_mode=None)
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
    except Exception as err:  # pgserver raises plain exceptions with the server log in them
        raise StoreUnavailable("system.embedded", path=pgdata, detail=err) from err
    return server.get_uri(database)
