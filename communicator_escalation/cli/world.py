"""CLI commands: loading world files."""

from __future__ import annotations

from pathlib import Path

import typer

from ..store.world import load_world
from ._app import app, call, print_json


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="An escalation-world/1 JSON file."),
    as_json: bool = typer.Option(False, "--json", help="Print the load report as JSON."),
) -> None:
    """Load (upsert) a world file; all of it or nothing."""
    report = call(lambda store: load_world(store, file), as_json=as_json)
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.counts.items() if n)
    typer.echo(f"Loaded {report.source}: {counts or 'no records'}.")
