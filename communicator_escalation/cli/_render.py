"""Rich building blocks shared by the CLI's human views."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green"}


def facts_grid(rows: list[tuple[str, Text | str]]) -> Table:
    """A two-column label/value grid; plain strings become Text so data is never read as Rich markup."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(Text(label), value if isinstance(value, Text) else Text(value))
    return grid
