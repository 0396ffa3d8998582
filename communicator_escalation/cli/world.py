"""CLI commands: loading world files."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..store.synthetic import write_world
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


@app.command("generate-world")
def generate_world(
    customers: int = typer.Option(..., "--customers", min=1, help="Number of customers (41 records each)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed and size give the same file."),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
) -> None:
    """Write a synthetic escalation-world/1 file (for benchmarks and scale tests)."""
    if out is None:
        write_world(sys.stdout, customers=customers, seed=seed)
        return
    with out.open("w", encoding="utf-8") as handle:
        count = write_world(handle, customers=customers, seed=seed)
    typer.echo(f"Wrote {out}: {customers} customers, {count} records.", err=True)
