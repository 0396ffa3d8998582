"""Step 1 gathering: selection, every context field, cut-offs, and a fixed number of indexed queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.errors import (
    AmbiguousCustomer,
    InvalidRequest,
    NoOpenEscalation,
    NotAnEscalation,
    NotFound,
)
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from tests.support.step1_worlds import NOW, nordlicht_world


def _as_of(path: Path) -> datetime:
    return datetime.fromisoformat(json.loads(path.read_text())["as_of"])


@pytest.fixture
def demo(store: Store, demo_world_path: Path) -> tuple[Store, datetime]:
    as_of = _as_of(demo_world_path)
    load_world(store, demo_world_path, now=as_of)  # loaded as written: no shift
    return store, as_of


@pytest.fixture
def nordlicht(store: Store) -> Store:
    load_world(store, nordlicht_world(), now=NOW)
    return store


# --- the demo world ------------------------------------------------------------------------------

def test_dataflow_context(demo: tuple[Store, datetime], demo_world_path: Path) -> None:
    store, as_of = demo
    world = json.loads(demo_world_path.read_text())
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer="dataflow", now=as_of)

    assert ctx.gathered_at == as_of
    assert ctx.vendor.name == world["vendor"]["name"]
    assert (ctx.customer.name, ctx.customer.arr, ctx.customer.tier) == ("DataFlow Inc.", 340000, "enterprise")
    assert (ctx.health.score, ctx.health.direction) == (62, "declining")
    assert ctx.health.change < 0 and ctx.health.history[0].score > 62
    assert ctx.escalation.id == "rs-1001" and ctx.escalation.severity == "high"
    assert ctx.reporter is not None and (ctx.reporter.name, ctx.reporter.title) == ("Michael Torres", "CTO")
    assert ctx.reporter.email == "michael.torres@dataflow.com"

    assert ctx.ticket is not None and ctx.ticket.id == "T-4821"
    assert {"engineering_escalated", "workaround_identified"} <= {e.kind for e in ctx.ticket.events}
    assert [e.at for e in ctx.ticket.events] == sorted(e.at for e in ctx.ticket.events)
    assert ctx.ticket.requester is not None and ctx.ticket.requester.name == "Rachel Kim"
    assert ctx.ticket.assignee is not None and ctx.ticket.assignee.role == "support_engineer"
    assert ctx.escalation.unresolved_since == ctx.ticket.opened_at
    assert 71 <= ctx.escalation.unresolved_for_hours <= 73  # "about 3 days"

    mail = next(c for c in world["communications"] if c["id"] == "m-dataflow-1")
    assert ctx.reply_to is not None
    assert (ctx.reply_to.message_id, ctx.reply_to.thread_id) == (mail["message_id"], mail["thread_id"])
    assert ctx.reply_to.contact_name == "Michael Torres"
    moments = [c.at for c in ctx.recent_communications]
    assert moments == sorted(moments, reverse=True)
    assert [s.signal_type for s in ctx.related_signals] == ["health_score_drop"]
    escalations = {"ticket_escalated", "executive_complaint", "critical_issue"}
    earlier = sorted((s for s in world["risk_signals"] if s["customer_id"] == ctx.customer.id and s["id"] != "rs-1001"
                      and s["signal_type"] in escalations), key=lambda s: s["detected_at"], reverse=True)
    assert ctx.other_open_escalations == []
    assert [p.id for p in ctx.prior_escalations] == [s["id"] for s in earlier]  # the world's history, newest first
    assert [h.id for h in ctx.history] == [s["id"] for s in earlier]

    staff = {s["id"]: s for s in world["staff"]}
    team = ctx.team
    assert team.csm is not None and team.csm.id == "u-jordan"
    assert team.csm_manager is not None and team.csm_manager.id == staff["u-jordan"]["manager_id"]
    customer = next(c for c in world["customers"] if c["id"] == "c-dataflow")
    for role in ("account_executive", "support_lead", "executive_sponsor"):
        assert getattr(team, role).id == customer[f"{role}_id"]
    for role in ("engineering_manager", "security_officer", "billing_specialist"):
        assert getattr(team, role).role == role
    assert {c.id for c in ctx.contacts} == {c["id"] for c in world["contacts"] if c["customer_id"] == "c-dataflow"}


def test_brightpath_picks_the_critical_one_and_lists_the_other(demo: tuple[Store, datetime]) -> None:
    store, as_of = demo
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer="Brightpath", now=as_of)
    assert ctx.escalation.id == "rs-1003" and ctx.escalation.severity == "critical"
    assert [s.id for s in ctx.other_open_escalations] == ["rs-1004"]
    assert ctx.ticket is None and ctx.escalation.unresolved_since == ctx.escalation.detected_at
    assert ctx.reply_to is None  # the signal points at a meeting, not an email
    assert [p.id for p in ctx.save_plays] == ["sp-77"] and ctx.save_plays[0].owner is not None


def test_explicit_signal_overrides_the_choice(demo: tuple[Store, datetime]) -> None:
    store, as_of = demo
    ctx = gather_context(store, actor=ACCOUNT_CSM, signal_id="rs-1004", now=as_of)
    assert ctx.escalation.id == "rs-1004"
    assert [s.id for s in ctx.other_open_escalations] == ["rs-1003"]
    assert ctx.ticket is not None and ctx.ticket.id == "T-4790"


def test_quillon_has_no_open_escalation(demo: tuple[Store, datetime], demo_world_path: Path) -> None:
    store, as_of = demo
    with pytest.raises(NoOpenEscalation) as info:
        gather_context(store, actor=ACCOUNT_CSM, customer="quillon labs", now=as_of)
    assert info.value.code == "no_open_escalation"
    world = json.loads(demo_world_path.read_text())
    last = max((s for s in world["risk_signals"] if s["customer_id"] == "c-quillon"), key=lambda s: s["detected_at"])
    assert "Quillon Labs" in info.value.message and last["id"] in info.value.message


def test_resolved_escalation_by_id_is_allowed(demo: tuple[Store, datetime]) -> None:
    store, as_of = demo
    ctx = gather_context(store, actor=ACCOUNT_CSM, signal_id="rs-0800", now=as_of)
    assert ctx.escalation.status == "resolved" and ctx.customer.id == "c-quillon"


def test_unknown_and_non_escalation_ids(demo: tuple[Store, datetime]) -> None:
    store, as_of = demo
    with pytest.raises(NotFound) as missing:
        gather_context(store, actor=ACCOUNT_CSM, signal_id="rs-9999", now=as_of)
    assert missing.value.code == "not_found" and "rs-9999" in missing.value.message
    with pytest.raises(NotAnEscalation) as wrong:
        gather_context(store, actor=ACCOUNT_CSM, signal_id="rs-0950", now=as_of)
    assert "health_score_drop" in wrong.value.message
    assert wrong.value.candidates == ["rs-1001"]


@pytest.mark.parametrize("kwargs", [{}, {"customer": "dataflow", "signal_id": "rs-1001"}])
def test_exactly_one_selector(demo: tuple[Store, datetime], kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        gather_context(demo[0], actor=ACCOUNT_CSM, **kwargs)


# --- a world written for these tests -------------------------------------------------------------

def test_selection_severity_then_recency(nordlicht: Store) -> None:
    ctx = gather_context(nordlicht, actor=ACCOUNT_CSM, customer="Müller", now=NOW)
    assert ctx.escalation.id == "e-main"  # high and newer beats high and older; newest-but-low loses
    assert [s.id for s in ctx.other_open_escalations] == ["e-older", "e-low"]


def test_every_part_of_the_context(nordlicht: Store) -> None:
    ctx = gather_context(nordlicht, actor=ACCOUNT_CSM, customer="müller söhne", now=NOW)
    assert ctx.vendor.name == "Nordlicht Software GmbH"
    cust = ctx.customer
    assert (cust.arr, cust.timezone, cust.country) == (125000.5, "Europe/Berlin", "DE")
    assert cust.days_to_renewal == 22 and cust.tenure_months == 25
    health = ctx.health
    assert (health.score, health.direction, health.change, health.window_days) == (71, "improving", 16, 120)
    assert [p.score for p in ctx.health.history] == [55, 60, 71]

    assert ctx.reporter is not None and ctx.reporter.name == "Jürgen Röß"
    assert ctx.ticket is not None and [e.kind for e in ctx.ticket.events] == ["opened", "engineering_escalated"]
    assert ctx.ticket.assignee is not None and ctx.ticket.assignee.name == "Emil Brandt"
    assert ctx.escalation.unresolved_since == NOW - timedelta(days=5)
    assert ctx.escalation.unresolved_for_hours == 120
    assert ctx.reply_to is not None and ctx.reply_to.message_id == "<m1@mueller-soehne.de>"
    assert [c.id for c in ctx.recent_communications] == ["mail-1"]  # the 100- and 120-day-old ones are out

    assert [s.id for s in ctx.related_signals] == ["r-usage"]
    prior = {p.id: p for p in ctx.prior_escalations}
    assert list(prior) == ["e-older", "e-prev", "e-noresp"]  # newest first; 400 days ago is out
    assert prior["e-prev"].response_minutes == 95 and prior["e-noresp"].response_minutes is None
    assert [(p.id, p.owner.name if p.owner else None, p.actions) for p in ctx.save_plays] == [
        ("sp-a", "Anna Schäfer", ["Wöchentlicher Status-Call"])
    ]
    team = ctx.team
    assert team.csm_manager is not None and team.csm_manager.id == "s-bernd"
    assert team.engineering_manager is not None and team.engineering_manager.id == "s-eng-1"  # first by id
    assert team.security_officer is not None and team.billing_specialist is None
    assert {c.id for c in ctx.contacts} == {"c-jr", "c-ip"}


def test_reply_to_older_than_the_recent_window(nordlicht: Store) -> None:
    ctx = gather_context(nordlicht, actor=ACCOUNT_CSM, signal_id="e-older", now=NOW)
    assert ctx.reply_to is not None and ctx.reply_to.id == "mail-old"
    assert all(c.id != "mail-old" for c in ctx.recent_communications)
    assert ctx.escalation.unresolved_since == ctx.escalation.detected_at
    assert ctx.escalation.unresolved_for_hours == 30
    assert "e-main" in [s.id for s in ctx.other_open_escalations]


def test_unicode_customer_without_ticket_or_email(nordlicht: Store) -> None:
    ctx = gather_context(nordlicht, actor=ACCOUNT_CSM, customer="さくら", now=NOW)
    assert ctx.escalation.id == "e-sakura" and ctx.reporter is not None and ctx.reporter.name == "山田 太郎"
    assert ctx.ticket is None and ctx.reply_to is None  # the signal points at a call
    assert (ctx.health.direction, ctx.health.change) == ("stable", -1)
    assert ctx.customer.days_to_renewal is None and ctx.customer.tenure_months is None
    assert ctx.team.account_executive is None and ctx.team.csm is not None


def test_escalations_older_than_a_year_do_not_count(nordlicht: Store) -> None:
    with pytest.raises(NoOpenEscalation) as info:
        gather_context(nordlicht, actor=ACCOUNT_CSM, customer="Stille Wasser", now=NOW)
    assert info.value.message == "Stille Wasser AG has no open escalation"


def test_resolution_errors_pass_through(nordlicht: Store) -> None:
    with pytest.raises(AmbiguousCustomer):
        gather_context(nordlicht, actor=ACCOUNT_CSM, customer="acme", now=NOW)


# --- fixed number of queries, each an index lookup ----------------------------------------------

@pytest.fixture
def recording_store(db_url: str) -> Iterator[tuple[Store, list[tuple[str, Any]]]]:
    """A Store whose connections record every statement their cursors execute."""
    statements: list[tuple[str, Any]] = []

    class RecordingCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            statements.append((str(query), params))
            return super().execute(query, params, **kwargs)

    pool = ConnectionPool(
        db_url, min_size=1, max_size=2, open=True,
        kwargs={"row_factory": dict_row, "autocommit": True, "cursor_factory": RecordingCursor},
    )
    with Store(pool, db_url) as store:
        yield store, statements


def _count(store: Store, log: list[tuple[str, Any]], **selector: str) -> int:
    log.clear()
    gather_context(store, actor=ACCOUNT_CSM, now=NOW, **selector)
    return len(log)


def test_query_count_does_not_grow_with_history(
    store: Store, recording_store: tuple[Store, list[tuple[str, Any]]]
) -> None:
    recorder, log = recording_store
    load_world(store, nordlicht_world(history=0), now=NOW)
    small = (_count(recorder, log, signal_id="e-main"), _count(recorder, log, customer="müller"))
    load_world(store, nordlicht_world(history=300), now=NOW)
    big_ctx = gather_context(store, actor=ACCOUNT_CSM, signal_id="e-main", now=NOW)
    assert len(big_ctx.prior_escalations) > 100  # the history really is bigger
    big = (_count(recorder, log, signal_id="e-main"), _count(recorder, log, customer="müller"))
    assert small == big
    assert max(big) <= 11  # ten for Step 1, one for how earlier escalations were answered


def test_every_query_is_an_index_lookup(store: Store, recording_store: tuple[Store, list[tuple[str, Any]]]) -> None:
    recorder, log = recording_store
    load_world(store, nordlicht_world(history=50), now=NOW)
    log.clear()
    gather_context(recorder, actor=ACCOUNT_CSM, signal_id="e-main", now=NOW)
    selects = [(q, p) for q, p in log if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(log) - 1  # all but the SET TRANSACTION line
    with store.connection() as conn, conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")  # a query that cannot use an index still seq-scans
        for query, params in selects:
            plan = json.dumps(conn.execute(f"EXPLAIN (FORMAT JSON) {query}", params).fetchone())
            assert "Seq Scan" not in plan, query
