"""Personalization from the account's history, on the demo world's history and on a world built here."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.gather import gather_context
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy
from communicator_escalation.workflow.strategy.ccs import suggest_ccs
from communicator_escalation.workflow.strategy.pick import pick_strategy


def _as_of(path: Path) -> datetime:
    return datetime.fromisoformat(json.loads(path.read_text())["as_of"])


def test_sponsor_joined_late_twice_makes_the_tone_executive_and_suggests_the_sponsor(
    store: Store, demo_world_path: Path
) -> None:
    as_of = _as_of(demo_world_path)
    load_world(store, demo_world_path, now=as_of)
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer="Brightpath", now=as_of)
    resolved = [p for p in ctx.history if p.status == "resolved"][:2]
    assert all(p.sponsor_joined_at and not p.sponsor_on_first_response for p in resolved)  # the history says so

    strategy = pick_strategy(ctx, Policy(), now=as_of)
    sponsor = ctx.team.executive_sponsor
    assert strategy.tone.name == "executive"
    assert any("resolved only after the executive sponsor" in r and sponsor.name in r for r in strategy.tone.reasons)
    [cc] = [c for c in suggest_ccs(ctx, strategy) if c.staff_id == sponsor.id]
    assert "resolved only after the executive sponsor joined" in cc.reason

    draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer="Brightpath", policy=Policy(), now=as_of, new=True).draft
    assert draft.strategy.reasons == strategy.tone.reasons  # shown on the card


def test_a_tone_that_failed_gives_way_to_one_that_de_escalated(store: Store, demo_world_path: Path) -> None:
    as_of = _as_of(demo_world_path)
    load_world(store, demo_world_path, now=as_of)
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer="Northwind", now=as_of)
    judged = [p for p in ctx.history if p.de_escalated is not None]
    failed = {p.tone for p in judged if not p.de_escalated}
    worked = {p.tone for p in judged if p.de_escalated}

    strategy = pick_strategy(ctx, Policy(), now=as_of)

    assert strategy.tone.name in worked - failed and failed - worked  # a tone that only failed was replaced
    reason = next(r for r in strategy.tone.reasons if r.startswith(f"tone {strategy.tone.name}:"))
    assert f"{strategy.tone.name} responses de-escalated" in reason
    assert any(ctx.reporter.name in r and "earlier escalation" in r for r in strategy.tone.reasons)


def test_no_history_changes_nothing(store: Store, demo_world_path: Path) -> None:
    world = json.loads(demo_world_path.read_text())
    for key in ("responses",):
        world.pop(key)
    world["risk_signals"] = [s for s in world["risk_signals"] if not s["id"].startswith("rs-h")]
    world["communications"] = [c for c in world["communications"] if not c["id"].startswith("m-h")]
    as_of = _as_of(demo_world_path)
    load_world(store, world, now=as_of)
    ctx = gather_context(store, actor=ACCOUNT_CSM, customer="Northwind", now=as_of)
    strategy = pick_strategy(ctx, Policy(), now=as_of)
    assert not any("de-escalated" in r or "earlier escalation" in r for r in strategy.tone.reasons)
