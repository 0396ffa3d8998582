"""PostgreSQL access: a connection pool, transactions, migrations at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ..config import Settings
from ..errors import StoreUnavailable
from .embedded import embedded_server_uri
from .migrate import migrate

__all__ = ["Store", "database_url"]


def database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started on demand)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_server_uri(settings.pgdata_dir)


class Store:
    """A pool of connections to one migrated database."""

    def __init__(self, pool: ConnectionPool, url: str) -> None:
        self.pool = pool
        self.url = url

    @classmethod
    def open(cls, url: str, *, max_size: int = 8, timeout: float = 30.0) -> Store:
        """Connect to `url`, apply pending migrations, and return the store.

        Args:
            url: PostgreSQL URL.
            max_size: Most connections in the pool.
            timeout: Seconds a request waits for a free connection before `PoolTimeout`.
        """
        try:  # fail fast and quietly when the server is down, before the pool starts retrying
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as err:
            detail = " ".join(str(err).split()) or err.__class__.__name__
            raise StoreUnavailable(f"database unavailable: {detail}") from err
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=False,
            name="escalation",
        )
        try:
            pool.open(wait=True, timeout=15)
            with pool.connection() as conn:
                migrate(conn)
        except (psycopg.Error, TimeoutError) as err:
            pool.close()
            raise StoreUnavailable(f"database unavailable: {err}") from err
        return cls(pool, url)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Open the configured database (embedded when no URL is set) with `settings.pool_size` connections,
        waiting at most `settings.pool_timeout_seconds` for a free one."""
        return cls.open(database_url(settings), max_size=settings.pool_size, timeout=settings.pool_timeout_seconds)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled autocommit connection with dict rows."""
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled connection inside one transaction: committed on success, rolled back on error."""
        with self.pool.connection() as conn, conn.transaction():
            yield conn

    def connection_limit(self) -> int:
        """Connections the server accepts from ordinary roles: max_connections less the superuser reserve."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int AS usable"
            ).fetchone()
        return int(row["usable"]) if row else 0

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
