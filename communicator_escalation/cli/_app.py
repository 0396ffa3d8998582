"""The Typer app and what every command shares: settings, store, error reporting."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import psycopg
import typer

from ..config import Settings
from ..errors import EscalationError, StoreUnavailable
from ..store import Store

app = typer.Typer(
    name="escalation",
    help="Escalation response skill: load worlds, gather context, draft, review and send.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

T = TypeVar("T")


def fail(err: EscalationError, *, as_json: bool) -> NoReturn:
    """Report an expected failure (one line, or the JSON error body) on stderr and exit 1."""
    if as_json:
        typer.echo(json.dumps(err.to_dict()), err=True)
    else:
        hint = f" (did you mean: {', '.join(map(str, err.candidates))})" if err.candidates else ""
        typer.echo(f"error: {err.message}{hint}", err=True)
    raise typer.Exit(1)


@contextmanager
def guarded(*, as_json: bool = False) -> Iterator[None]:
    """Turn expected failures and database errors into a clean message and exit code."""
    try:
        yield
    except EscalationError as err:
        fail(err, as_json=as_json)
    except psycopg.Error as err:
        fail(StoreUnavailable(f"database error: {err.__class__.__name__}: {str(err).strip()}"), as_json=as_json)


@contextmanager
def opened_store(settings: Settings | None = None) -> Iterator[Store]:
    """The configured store, closed afterwards."""
    with Store.from_settings(settings or Settings()) as store:
        yield store


def print_json(payload: Any) -> None:
    """Write JSON to stdout (datetimes as ISO-8601)."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def call(fn: Callable[[Store], T], *, as_json: bool = False) -> T:
    """Run `fn` on the configured store with errors reported cleanly."""
    with guarded(as_json=as_json), opened_store() as store:
        return fn(store)
    raise AssertionError("unreachable")  # guarded() exits on error


@app.callback()
def _root() -> None:
    """Escalation response skill for Customer Success Managers."""
