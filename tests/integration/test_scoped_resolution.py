"""Resolution by name for a known actor: only customers the actor may reach are matched, listed or
suggested, so a customer of another CSM team is answered exactly like one that does not exist."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from typer.testing import CliRunner

from communicator_escalation.auth.actor import ACCOUNT_CSM, Actor
from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, Turn
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.cli import app
from communicator_escalation.errors import AmbiguousCustomer, CustomerNotFound, EscalationError, NotFound
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.customers import resolve_customer
from communicator_escalation.workflow.context.gather import gather_context
from communicator_escalation.workflow.policy import Policy
from tests.support.api_worlds import api_world

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _two_team_world() -> dict[str, Any]:
    """The API world (Lucía's team: Horizonte Logística; Piotr's: Baltyk Foods) plus a second
    "Horizonte" on Piotr's team, with an open escalation, so "horizonte" is ambiguous to an executive."""
    world = api_world(NOW)
    world["customers"].append(
        {"id": "k-horizonte-t", "name": "Horizonte Transportes", "domain": "hztransportes.example", "arr": 90000,
         "tier": "mid_market", "health_score": 66, "timezone": "America/Bogota", "csm_id": "v-piotr"}
    )
    world["contacts"].append(
        {"id": "p-diego", "customer_id": "k-horizonte-t", "name": "Diego Rojas", "title": "COO",
         "email": "diego.rojas@hztransportes.example"}
    )
    world["risk_signals"].append(
        {"id": "sig-t1", "customer_id": "k-horizonte-t", "signal_type": "executive_complaint", "severity": "high",
         "source": "direct_complaint", "escalation_type": "service", "title": "Missed quarterly review",
         "detected_at": (NOW - timedelta(hours=2)).isoformat(), "status": "open",
         "reported_by_contact_id": "p-diego"}
    )
    return world


@pytest.fixture
def world(store: Store) -> dict[str, Any]:
    data = _two_team_world()
    load_world(store, data, now=NOW)
    return data


def _names_of(world: dict[str, Any], csm_id: str) -> list[str]:
    return [c["name"] for c in world["customers"] if c["csm_id"] == csm_id]


def _error(store: Store, query: str, actor_id: str | None) -> EscalationError:
    with pytest.raises(EscalationError) as caught:
        resolve_customer(store, query=query, actor_id=actor_id)
    return caught.value


@pytest.mark.parametrize("query", ["Baltyk Foods", "baltyk", "k-baltyk", "Baltik Fods", "Horizonte Transportes"])
def test_another_teams_customer_is_not_found_and_never_named(
    store: Store, world: dict[str, Any], query: str
) -> None:
    err = _error(store, query, "v-lucia")
    assert isinstance(err, CustomerNotFound) and err.code == "customer_not_found"
    team_b = _names_of(world, "v-piotr")
    assert not any(name in label for name in team_b for label in err.candidates)
    assert not any(name in str(err).replace(query, "") for name in team_b)  # only what was typed is echoed


def test_an_unreachable_customer_is_answered_like_a_missing_one(store: Store, world: dict[str, Any]) -> None:
    hidden, missing = "Baltyk Foods", "Baltyx Foodz"
    assert resolve_customer(store, query=hidden).id == "k-baltyk"  # it exists (unscoped admin view)
    with pytest.raises(CustomerNotFound):
        resolve_customer(store, query=missing)
    for actor in ("v-lucia", "v-marek", "v-tomasz", "v-ewa"):
        seen, absent = _error(store, hidden, actor), _error(store, missing, actor)
        assert type(seen) is type(absent)
        assert (str(seen).replace(hidden, missing), seen.candidates) == (str(absent), absent.candidates)


def test_a_name_ambiguous_across_teams_resolves_to_each_teams_own(store: Store, world: dict[str, Any]) -> None:
    assert resolve_customer(store, query="horizonte", actor_id="v-lucia").id == "k-horizonte"
    assert resolve_customer(store, query="horizonte", actor_id="v-marek").id == "k-horizonte"  # Lucía's manager
    assert resolve_customer(store, query="horizonte", actor_id="v-piotr").id == "k-horizonte-t"
    assert resolve_customer(store, query="horizonte", actor_id="v-zofia").id == "k-horizonte-t"  # Piotr's manager
    ctx = gather_context(store, customer="horizonte", actor=Actor.of("v-piotr"), now=NOW)
    assert (ctx.customer.id, ctx.escalation.id) == ("k-horizonte-t", "sig-t1")


def test_an_executive_and_the_unscoped_view_see_every_customer(store: Store, world: dict[str, Any]) -> None:
    for actor in ("v-olga", None):
        with pytest.raises(AmbiguousCustomer) as caught:
            resolve_customer(store, query="horizonte", actor_id=actor)
        assert caught.value.candidates == ["Horizonte Logística", "Horizonte Transportes"]
        assert resolve_customer(store, query="baltyk", actor_id=actor).id == "k-baltyk"


def test_a_signal_of_an_unreachable_customer_is_a_missing_signal(store: Store, world: dict[str, Any]) -> None:
    with pytest.raises(NotFound) as hidden:
        gather_context(store, signal_id="sig-b1", actor=Actor.of("v-lucia"), now=NOW)
    with pytest.raises(NotFound) as missing:
        gather_context(store, signal_id="sig-zz", actor=Actor.of("v-lucia"), now=NOW)
    assert str(hidden.value) == str(missing.value).replace("sig-zz", "sig-b1")
    assert gather_context(store, signal_id="sig-b1", actor=Actor.of("v-olga"), now=NOW).customer.id == "k-baltyk"


def test_an_unknown_actor_is_refused(store: Store, world: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="no staff member 'v-nobody'"):
        resolve_customer(store, query="horizonte", actor_id="v-nobody")
    with pytest.raises(NotFound, match="no staff member 'v-nobody'"):
        gather_context(store, customer="horizonte", actor=Actor.of("v-nobody"), now=NOW)


def _cli(db_url: str, *args: str) -> Any:
    env = {"ESCALATION_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}
    return CliRunner().invoke(app, ["context", *args, "--json"], env=env)


def test_cli_context_as_staff_answers_within_their_customers(db_url: str, world: dict[str, Any]) -> None:
    mine = _cli(db_url, "--customer", "horizonte", "--as", "v-piotr")
    assert mine.exit_code == 0, mine.output
    assert json.loads(mine.stdout)["customer"]["id"] == "k-horizonte-t"

    other = _cli(db_url, "--customer", "Baltyk", "--as", "v-lucia")
    assert other.exit_code == 1 and other.stdout == ""
    body = json.loads(other.stderr)
    assert body["error"]["code"] == "customer_not_found"
    assert "Baltyk Foods" not in json.dumps(body["error"]["candidates"])

    unscoped = _cli(db_url, "--customer", "horizonte")
    assert unscoped.exit_code == 1 and json.loads(unscoped.stderr)["error"]["code"] == "ambiguous_customer"


def test_the_agent_resolves_within_the_actors_customers(store: Store, world: dict[str, Any], tmp_path: Path) -> None:
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), now=NOW)
    agent = CommunicatorAgent([skill], model=OfflineChatModel(), checkpointer=postgres_checkpointer(store))

    def tool_results(turn: Turn, kind: str) -> list[dict[str, Any]]:
        return [m.data for m in turn.messages if m.role == "tool" and m.data and m.data.get("kind") == kind]

    [draft] = tool_results(agent.run_turn(message="Draft escalation response for Horizonte", actor="v-piotr"), "draft")
    assert (draft["customer"]["id"], draft["signal_id"]) == ("k-horizonte-t", "sig-t1")

    turn = agent.run_turn(message="Draft escalation response for Baltyk", actor="v-lucia")
    [error] = tool_results(turn, "error")
    assert error["error"]["code"] == "customer_not_found"
    assert "Baltyk Foods" not in json.dumps(error) and "Baltyk Foods" not in turn.reply


def test_the_scoped_query_count_is_fixed(db_url: str, world: dict[str, Any]) -> None:
    statements: list[str] = []

    class RecordingCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            statements.append(str(query))
            return super().execute(query, params, **kwargs)

    pool = ConnectionPool(
        db_url, min_size=1, max_size=2, open=True,
        kwargs={"row_factory": dict_row, "autocommit": True, "cursor_factory": RecordingCursor},
    )

    def count(recorder: Store, actor: Actor = ACCOUNT_CSM, **selector: str) -> int:
        statements.clear()
        gather_context(recorder, actor=actor, now=NOW, **selector)
        return len(statements)

    with Store(pool, db_url) as recorder:
        # the actor; by name the reach rule is part of the lookup's SQL, by signal one team query
        piotr, olga = Actor.of("v-piotr"), Actor.of("v-olga")
        for target, extra in (({"customer": "Horizonte Transportes"}, 1), ({"signal_id": "sig-t1"}, 2)):
            assert count(recorder, piotr, **target) == count(recorder, olga, **target)
            assert count(recorder, piotr, **target) == count(recorder, **target) + extra
