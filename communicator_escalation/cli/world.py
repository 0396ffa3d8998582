"""CLI commands: loading world files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress as RichProgress

from ..rendering import phrases
from ..store.world.loader import Progress, load_world
from ..store.world.synthetic import write_world
from ._app import app, call, print_json
from .options import AsJson

_BAR_BYTES = 8 << 20  # files smaller than this load in a moment


@contextmanager
def _progress_bar(file: Path, *, quiet: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr for a file of several megabytes read from a terminal, else nothing."""
    if quiet or not sys.stderr.isatty() or not file.is_file() or file.stat().st_size < _BAR_BYTES:
        yield None
        return
    with RichProgress(*RichProgress.get_default_columns(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Reading", total=file.stat().st_size)

        def told(phase: str, done: int, total: int) -> None:
            if phase == "reading":
                bar.update(task, completed=done)
            else:
                bar.update(task, description="Writing", completed=None, total=None)

        yield told


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="An escalation-world/1 JSON file.")],
    as_json: AsJson = False,
) -> None:
    """Load (upsert) a world file; all of it or nothing (a progress bar on a terminal for large files)."""
    with _progress_bar(file, quiet=as_json) as progress:
        report = call(lambda store: load_world(store, file, progress=progress), as_json=as_json)
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    typer.echo(phrases("cli/messages.j2").loaded(report))


@app.command("generate-world")
def generate_world(
    customers: Annotated[int, typer.Option("--customers", min=1, help="Number of customers (41 records each).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and size give the same file.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
) -> None:
    """Write a synthetic escalation-world/1 file (for benchmarks and scale tests)."""
    if out is None:
        write_world(sys.stdout, customers=customers, seed=seed)
        return
    with out.open("w", encoding="utf-8") as handle:
        count = write_world(handle, customers=customers, seed=seed)
    typer.echo(phrases("cli/messages.j2").wrote(out, customers, count), err=True)
