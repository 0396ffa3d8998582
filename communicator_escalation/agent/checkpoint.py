"""The conversation checkpointer: langgraph-checkpoint-postgres on the store's own database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.postgres import PostgresSaver

from ..errors import StoreUnavailable
from ..store import Store

__all__ = ["ThreadedPostgresSaver", "postgres_checkpointer"]

_SETUP_LOCK = 7_202_029  # advisory lock: two processes starting at once set the tables up one after the other


class ThreadedPostgresSaver(PostgresSaver):
    """`PostgresSaver` for sync and async runs alike: each async method runs its sync twin in a worker thread.

    langgraph's own `PostgresSaver` is sync only (`ainvoke` fails on it) and `AsyncPostgresSaver`
    is bound to one event loop (the CLI and the sync API cannot use it). The saver works on the
    store's thread-safe connection pool, so one instance serves `invoke` in any thread and
    `ainvoke`/`astream` in any event loop, without blocking the loop on the database.
    """

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """`get_tuple` in a worker thread."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,  # noqa: A002 - langgraph's parameter name
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """`list` in a worker thread (read in full, then yielded)."""
        found = await asyncio.to_thread(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in found:
            yield item

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        """`put` in a worker thread."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """`put_writes` in a worker thread."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """`delete_thread` in a worker thread."""
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`prune` in a worker thread."""
        await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Mapping[str, Any]:
        """`get_delta_channel_history` in a worker thread."""
        return await asyncio.to_thread(lambda: self.get_delta_channel_history(config=config, channels=channels))


def postgres_checkpointer(store: Store) -> ThreadedPostgresSaver:
    """A checkpointer on the store's pool (autocommit, dict rows), with its tables set up.

    Threads saved here outlive the process: another process on the same database resumes them by
    thread id. It serves sync (`invoke`) and async (`ainvoke`, `astream`) runs.
    """
    try:
        with store.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
            try:
                PostgresSaver(conn).setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    except psycopg.Error as err:
        raise StoreUnavailable("system.checkpointer", detail=err) from err
    return ThreadedPostgresSaver(store.pool)
