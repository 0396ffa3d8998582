"""The Typer app and what every command shares: settings, store, error reporting, safe terminal output.

Arguments are checked before any command runs: one that is not valid UTF-8 is refused with one line
(`check_arguments`). Output is escaped in one place: while a command runs, stdout and stderr pass
through `terminal_safe`, which shows every character a terminal would act on (ESC and the other C0
and C1 controls, so no ANSI/OSC sequence from data reaches the terminal), or that hides or reorders
text (bidi controls, zero-width characters, line separators, lone surrogates), as a visible `\\uXXXX`
escape (valid inside JSON strings, so `--json` output stays JSON). Rich views print on `console()`,
which escapes the text it renders the same way and reads no markup or emoji codes in data.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TextIO, TypeVar

import click
import psycopg
import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text
from typer.core import TyperGroup

from ..config import Settings
from ..errors import EscalationError, StoreUnavailable
from ..safe_text import INVISIBLE
from ..store import Store


T = TypeVar("T")

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff" + "".join(sorted(INVISIBLE)) + "]|\r(?!\n)"
)


def terminal_safe(text: str) -> str:
    """`text` with control, bidi, zero-width and separator characters and lone surrogates shown as `\\uXXXX`."""
    return _UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


class _EscapingStream(io.TextIOBase):
    """A text stream writing `terminal_safe(text)` to the one it wraps.

    It reports itself as no terminal, so libraries writing to it (uvicorn's logs, click) add no colour
    codes of their own, which it would otherwise show as escapes. `buffer` is the wrapped binary stream,
    for protocols that speak bytes on stdout (MCP over stdio).
    """

    def __init__(self, wrapped: TextIO) -> None:
        super().__init__()
        self.wrapped = wrapped

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.wrapped.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.wrapped.errors

    @property
    def buffer(self) -> Any:
        return self.wrapped.buffer

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def write(self, text: str) -> int:
        self.wrapped.write(terminal_safe(text))
        return len(text)

    def flush(self) -> None:
        self.wrapped.flush()


@contextmanager
def escaped_output() -> Iterator[None]:
    """Route stdout and stderr through `terminal_safe` until the block ends."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingStream(sys.stdout), _EscapingStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class _EscapingConsole(Console):
    """A Rich console that escapes text with `terminal_safe` before it is laid out (every `Text` and
    string it renders, nested ones included), and any other segment's text as it is written."""

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        if isinstance(renderable, str):
            renderable = self.render_str(renderable)
        if isinstance(renderable, Text) and _UNSAFE.search(renderable.plain):
            renderable = Text.assemble(
                *((terminal_safe(piece.text), piece.style) for piece in renderable.render(self, end="")),
                justify=renderable.justify, overflow=renderable.overflow, no_wrap=renderable.no_wrap,
                end=renderable.end, tab_size=renderable.tab_size,
            )
        for segment in super().render(renderable, options):
            yield segment if segment.control else Segment(terminal_safe(segment.text), segment.style)


def console(**options: Any) -> Console:
    """The Rich console human views print on: the real stdout (with colour on a terminal), data escaped.

    Markup, emoji codes and highlighting are off, so text from data is shown as written.
    """
    stream = sys.stdout.wrapped if isinstance(sys.stdout, _EscapingStream) else sys.stdout
    return _EscapingConsole(file=stream, markup=False, emoji=False, highlight=False, **options)


def check_arguments(arguments: Sequence[str]) -> None:
    """Exit with one line on stderr (status 2) when an argument is not valid UTF-8.

    Python keeps the bytes of such an argument as lone surrogates; nothing past this point could use it.
    """
    for position, argument in enumerate(arguments, start=1):
        if any("\udc80" <= char <= "\udcff" for char in argument):
            shown = os.fsencode(argument).decode("utf-8", "backslashreplace")
            sys.stderr.write(terminal_safe(f"error: argument {position} ({shown}) is not valid UTF-8 text\n"))
            raise typer.Exit(2)


class _CheckedArguments(TyperGroup):
    """The command group, refusing arguments that are not UTF-8 before any of them is parsed."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        check_arguments(args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_CheckedArguments,
    name="escalation",
    help="Escalation response skill: load worlds, gather context, draft, review and send.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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
def _root(ctx: typer.Context) -> None:
    """Escalation response skill for Customer Success Managers."""
    ctx.with_resource(escaped_output())
