"""Web sign-in on a real database: one-time links, sessions that expire or end, the shared signing key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from communicator_escalation.auth.tokens import Unauthorized, create_token, revoke_token
from communicator_escalation.auth.web_sessions import (
    end_session,
    issue_sign_in_link,
    session_owner,
    sign_in_with_access_token,
    sign_in_with_link,
    signing_key,
)
from communicator_escalation.errors import NotFound
from communicator_escalation.store import Store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_link_signs_in_once_and_only_before_it_expires(store: Store, demo_world: dict[str, Any]) -> None:
    staff_id = demo_world["staff"][0]["id"]
    link = issue_sign_in_link(store, staff_id=staff_id, minutes=10, now=NOW)
    session = sign_in_with_link(store, code=link.code, hours=1, now=NOW + timedelta(minutes=9))
    assert session.staff_id == staff_id
    assert session_owner(store, token=session.token, now=NOW + timedelta(minutes=30)).staff.id == staff_id
    with pytest.raises(Unauthorized):
        sign_in_with_link(store, code=link.code, hours=1, now=NOW + timedelta(minutes=9))

    late = issue_sign_in_link(store, staff_id=staff_id, minutes=10, now=NOW)
    with pytest.raises(Unauthorized):
        sign_in_with_link(store, code=late.code, hours=1, now=NOW + timedelta(minutes=10, seconds=1))
    with store.connection() as conn:
        stored = [r["code_hash"] for r in conn.execute("SELECT code_hash FROM web_sign_in_links").fetchall()]
    assert link.code not in stored and late.code not in stored


def test_no_link_for_someone_not_in_the_directory(store: Store, demo_world: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        issue_sign_in_link(store, staff_id="u-nobody-here", minutes=10)
    with store.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM web_sign_in_links").fetchone()["n"] == 0


def test_sessions_end_by_expiry_sign_out_and_a_revoked_token_signs_nobody_in(
        store: Store, demo_world: dict[str, Any]) -> None:
    staff_id = demo_world["staff"][0]["id"]
    issued = create_token(store, staff_id=staff_id)
    session = sign_in_with_access_token(store, token=f"  {issued.token} ", hours=2, now=NOW)
    with pytest.raises(Unauthorized):
        session_owner(store, token=session.token, now=NOW + timedelta(hours=2))
    live = sign_in_with_access_token(store, token=issued.token, hours=2, now=NOW)
    end_session(store, token=live.token, now=NOW + timedelta(minutes=5))
    end_session(store, token=live.token, now=NOW + timedelta(minutes=6))
    with pytest.raises(Unauthorized):
        session_owner(store, token=live.token, now=NOW + timedelta(minutes=7))
    revoke_token(store, token_or_id=issued.id)
    with pytest.raises(Unauthorized):
        sign_in_with_access_token(store, token=issued.token, hours=2)


def test_every_process_signs_cookies_with_the_same_key(store: Store, db_url: str) -> None:
    first = signing_key(store)
    with Store.open(db_url, max_size=1) as other:
        assert signing_key(other) == first
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM web_signing_key").fetchone() == (1,)
