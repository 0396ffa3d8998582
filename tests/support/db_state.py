"""Every row of the product's tables, to show that a refused request changed nothing in the database."""

from __future__ import annotations

from typing import Any

from communicator_escalation.store import Store

_NOT_PRODUCT_STATE = ("schema_migrations", "checkpoint%")  # the schema's version; LangGraph's conversation state


def database_state(store: Store) -> dict[str, list[Any]]:
    """Table name -> all its rows, in a stable order."""
    with store.connection() as conn:
        tables = [
            row["table_name"] for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " AND table_type = 'BASE TABLE' AND NOT table_name LIKE ANY(%s) ORDER BY table_name",
                (list(_NOT_PRODUCT_STATE),),
            )
        ]
        return {table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
