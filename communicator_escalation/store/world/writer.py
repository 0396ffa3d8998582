"""The write side of a world load: a thread that upserts each staged section as soon as it is complete.

While the reader parses and copies the next section into staging (its own connection), this thread
writes the sections already staged on the load's transaction, in reference order (staff, customers,
contacts, tickets, communications, risk signals, save plays), so parsing in Python and writing in
PostgreSQL overlap. It starts once the world's time shift is known (its `as_of` was read, or the file
ended without one). A foreign-key error rolls back to a savepoint and is raised to the reader, which
then names the record and field.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .format import SECTIONS
from .stage import BULK_ROWS, Staging, is_empty, restore_dropped, upsert_chunk

__all__ = ["SectionWriter"]

Conn = psycopg.Connection[dict[str, Any]]
_UNKNOWN = object()


def _shift(conn: Conn, as_of: datetime | None, now: datetime) -> timedelta:
    """The world's shift: fixed at its first load (keyed by as_of), reused afterwards."""
    if as_of is None:
        return timedelta(0)
    conn.execute(
        "INSERT INTO world_clocks (as_of, shift, first_loaded_at) VALUES (%s, %s, %s) ON CONFLICT (as_of) DO NOTHING",
        (as_of, now - as_of, now),
    )
    return conn.execute("SELECT shift FROM world_clocks WHERE as_of = %s", (as_of,)).fetchone()["shift"]


class SectionWriter:
    """Upserts staged sections on `conn` from a thread of its own; `finish` waits for it."""

    def __init__(self, conn: Conn, staging: Staging, *, now: datetime) -> None:
        self.conn, self.staging, self.now = conn, staging, now
        self.shift = timedelta(0)
        self._changed = threading.Condition()
        self._chunks: dict[str, list[tuple[int, int]]] = {key: [] for key, _m, _r in SECTIONS}
        self._complete: set[str] = set()
        self._as_of: Any = _UNKNOWN
        self._finished = self._stopped = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="world-writer")
        self._future: Future[None] = self._executor.submit(self._run)

    def _tell(self, **changes: Any) -> None:
        with self._changed:
            for name, value in changes.items():
                setattr(self, name, value)
            self._changed.notify_all()

    def as_of(self, value: datetime | None) -> None:
        """The world's as_of (None: it has none); writing can start."""
        self._tell(_as_of=value)

    def staged(self, key: str, chunk: tuple[int, int], *, complete: bool) -> None:
        """Records `chunk` (a range of `ord`) of section `key` are staged; `complete`: the section ends there."""
        with self._changed:
            self._chunks[key].append(chunk)
            if complete:
                self._complete.add(key)
            self._changed.notify_all()

    def finish(self, *, stop: bool = False) -> None:
        """The file is read (`stop`: found invalid, write nothing more); wait for the writer, raise its error."""
        self._tell(_finished=True, _stopped=stop)
        try:
            self._future.result()
        finally:
            self._executor.shutdown()

    def _wait(self, ready: Any) -> bool:
        """Wait until `ready()` or the end of the file; False when the load was stopped."""
        with self._changed:
            self._changed.wait_for(lambda: ready() or self._finished)
            return not self._stopped

    def _run(self) -> None:
        if not self._wait(lambda: self._as_of is not _UNKNOWN):
            return
        as_of = None if self._as_of is _UNKNOWN else self._as_of
        self.shift = _shift(self.conn, as_of, self.now)
        with self.conn.transaction():  # a savepoint: a foreign-key error undoes the upserts only
            for key, _model, _refs in SECTIONS:
                dropped: list[tuple[str, str]] = []
                done, fresh = 0, False
                while True:
                    if not self._wait(lambda key=key, done=done: len(self._chunks[key]) > done or key in self._complete):
                        return
                    if len(self._chunks[key]) == done:
                        break  # complete (or the file ended) with every chunk written
                    lo, hi = self._chunks[key][done]
                    fresh = fresh or (done == 0 and is_empty(self.conn, key))  # later chunks: rows of this file only
                    dropped += upsert_chunk(self.conn, key, (lo, hi), staging=self.staging, shift=self.shift,
                                            bulk=done == 0 and hi - lo >= BULK_ROWS, fresh=fresh)
                    done += 1
                # A section refers only to itself and the sections before it, all written by now: its keys are
                # checked (and its statistics refreshed) at once, while the reader parses the next sections.
                restore_dropped(self.conn, dropped)
                for table in sorted({table for table, _statement in dropped}):
                    self.conn.execute(f"ANALYZE {table}")  # fresh statistics after a bulk write
