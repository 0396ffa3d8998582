"""The phrasing suite: realistic CSM requests over two worlds, each with the action the CSM meant.

Every row runs on the offline model and on ChatOpenAI against the loopback OpenAI server (the LLM's
tool calls for the row are scripted, as an LLM would make them; the product does the rest), in each
of the agent's turn modes. Expected signals, customers and lists are read from the world files.
The first rows are issue 16's table. Row ids say what is being tried.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from communicator_escalation.agent.checkpoint import postgres_checkpointer
from communicator_escalation.agent.host import CommunicatorAgent, Turn
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.models import SEVERITY_RANK
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.policy import Policy
from tests.conftest import DEMO_WORLD, fresh_database
from tests.support.openai_server import OpenAIServer
from tests.support.phrasing_world import ACTOR, phrasing_world
from tests.support.scripted_llm import ScriptedLLM, Step
from tests.support.turn_modes import TurnDriver

World = dict[str, Any]
Check = Callable[[Turn, World], None]
GATHER, DRAFT, LIST = "gather_escalation_context", "draft_escalation_response", "list_open_escalations"


# --- what the CSM meant ------------------------------------------------------------------------------


def _open(world: World, *, severities: tuple[str, ...] = (), reachable: bool = True) -> list[dict[str, Any]]:
    hidden = {c["id"] for c in world["customers"] if reachable and c["csm_id"] != world["_actor"]} if world["_actor"] else set()
    return [
        s for s in world["risk_signals"]
        if s["status"] == "open" and s["signal_type"] != "health_score_drop" and s["customer_id"] not in hidden
        and (not severities or s["severity"] in severities)
    ]


def _most_urgent(world: World, customer: str) -> str:
    mine = [s for s in _open(world, reachable=False) if s["customer_id"] == customer]
    return max(mine, key=lambda s: (SEVERITY_RANK[s["severity"]], s["detected_at"]))["id"]


def _name(world: World, customer: str) -> str:
    return next(c["name"] for c in world["customers"] if c["id"] == customer)


def _data(turn: Turn, kind: str) -> list[dict[str, Any]]:
    return [m.data for m in turn.messages if m.role == "tool" and m.data and m.data.get("kind") == kind]


def _calls(turn: Turn, name: str) -> list[dict[str, Any]]:
    return [c["args"] for m in turn.messages for c in m.tool_calls if c["name"] == name]


def drafted(customer: str | None = None, *, signal: str | None = None, wish: str | None = None) -> Check:
    """A draft for the customer's most urgent open escalation (or the signal); the wish reached the draft tool."""

    def check(turn: Turn, world: World) -> None:
        drafts = _data(turn, "draft")
        assert drafts, f"no draft: {turn.reply}"
        assert drafts[-1]["signal_id"] == (signal or _most_urgent(world, customer or ""))
        if wish is not None:
            assert wish in (_calls(turn, DRAFT)[-1].get("instructions") or "").lower()

    return check


def asked(*customers: str) -> Check:
    """Nothing drafted; the answer asks which one, naming the candidates."""

    def check(turn: Turn, world: World) -> None:
        assert not _data(turn, "draft"), turn.reply
        for customer in customers:
            assert _name(world, customer) in turn.reply, turn.reply

    return check


def refused(code: str) -> Check:
    """Nothing drafted; a tool said why (customer_not_found, no_open_escalation, ...)."""

    def check(turn: Turn, world: World) -> None:
        assert not _data(turn, "draft"), turn.reply
        assert any(e["error"]["code"] == code for e in _data(turn, "error")), turn.reply

    return check


def listed(scope: str = "all", *, severities: tuple[str, ...] = (), limit: int | None = None) -> Check:
    """The open escalations in scope, most urgent first; the reply names the first."""

    def check(turn: Turn, world: World) -> None:
        (args,) = _calls(turn, LIST)
        assert args.get("scope", "all") == scope and sorted(args.get("severity") or []) == sorted(severities)
        (result,) = _data(turn, "open_escalations")
        expected = {s["id"] for s in _open(world, severities=severities)}
        assert result["total"] == len(expected)
        assert {e["signal_id"] for e in result["escalations"]} <= expected
        assert len(result["escalations"]) == min(limit or len(expected), len(expected))
        first = result["escalations"][0]
        assert first["customer"] in turn.reply and first["signal_id"] in turn.reply

    return check


def helped() -> Check:
    """A short answer on what it can do, with an example from the actor's own open escalations."""

    def check(turn: Turn, world: World) -> None:
        (result,) = _data(turn, "open_escalations")
        assert result["escalations"][0]["customer"] in turn.reply
        assert not _data(turn, "draft")

    return check


def called(tool: str, **args: Any) -> Check:
    """The tool ran on the thread's draft with these arguments and did not fail."""

    def check(turn: Turn, world: World) -> None:
        calls = _calls(turn, tool)
        assert calls, f"{tool} not called: {turn.reply}"
        assert {k: calls[-1].get(k) for k in args} == args
        assert not _data(turn, "error"), turn.reply

    return check


def review(*, urgent: bool) -> Check:
    """The send waits for the CSM's review of the exact email."""

    def check(turn: Turn, world: World) -> None:
        (request,) = turn.pending_review
        assert request.tool == "send_escalation_response" and request.args["urgent"] is urgent

    return check


def held() -> Check:
    def check(turn: Turn, world: World) -> None:
        assert not [c for m in turn.messages for c in m.tool_calls] and not turn.pending_review

    return check


def both(*checks: Check) -> Check:
    def check(turn: Turn, world: World) -> None:
        for each in checks:
            each(turn, world)

    return check


# --- the rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    world: str
    say: str
    expect: Check
    llm: list[Step]
    before: tuple[str, ...] = field(default=())


def _draft_of(**target: Any) -> list[Step]:
    return [[(GATHER, target), (DRAFT, target)]]


def _on_draft(tool: str, **args: Any) -> list[Step]:
    return [[(tool, {"response_id": "$draft", **args})]]


# The setup asks for a wish, so each row gets a draft of its own (a plain request reopens the newest draft).
DATAFLOW = ("Draft escalation response for DataFlow, keep it brief",)
MUELLER = ("Draft escalation response for Müller & Söhne, keep it brief",)
SETUP: dict[str, list[Step]] = {
    DATAFLOW[0]: [[(GATHER, {"customer": "DataFlow"}), (DRAFT, {"customer": "DataFlow", "instructions": "keep it brief"})]],
    MUELLER[0]: [[(GATHER, {"customer": "Müller & Söhne"}), (DRAFT, {"customer": "Müller & Söhne", "instructions": "keep it brief"})]],
}

ROWS: dict[str, Row] = {
    # issue 16's table
    "help-me-reply": Row("demo", "Can you help me reply to the DataFlow escalation?", drafted("c-dataflow"), _draft_of(customer="DataFlow")),
    "typo": Row("demo", "draft a reply for dataflwo", drafted("c-dataflow"), _draft_of(customer="dataflwo")),
    "contact-at-customer": Row("demo", "I need to respond to Michael at DataFlow", drafted("c-dataflow"), _draft_of(customer="Michael at DataFlow")),
    "softer-tone": Row("demo", "Draft escalation response for DataFlow in a softer tone", drafted("c-dataflow", wish="softer tone"),
                       [[(GATHER, {"customer": "DataFlow"}), (DRAFT, {"customer": "DataFlow", "instructions": "a softer tone"})]]),
    "signal-id": Row("demo", "Escalation response for rs-1003", drafted(signal="rs-1003"), _draft_of(signal_id="rs-1003")),
    "write-about-invoice": Row("demo", "Help me write to Northwind about their invoice issue", drafted("c-northwind"), _draft_of(customer="Northwind")),
    "what-is-open": Row("demo", "What escalations are open right now?", listed(), [[(LIST, {})]]),
    "who-first": Row("demo", "Which of my customers need a response first?", listed("mine", limit=3), [[(LIST, {"scope": "mine", "limit": 3})]]),
    # more draft requests
    "prd-phrase": Row("demo", "Draft escalation response for DataFlow", drafted("c-dataflow"), _draft_of(customer="DataFlow")),
    "prd-respond": Row("demo", "Respond to Northwind escalation", drafted("c-northwind"), _draft_of(customer="Northwind")),
    "contact-only": Row("demo", "reply to Rachel Kim", drafted("c-dataflow"), _draft_of(customer="Rachel Kim")),
    "contact-typo": Row("demo", "write to Micheal Torres pls", drafted("c-dataflow"), _draft_of(request="write to Micheal Torres")),
    "shouting": Row("demo", "DATAFLOW - need a response asap", drafted("c-dataflow"), _draft_of(customer="DATAFLOW")),
    "legal-form": Row("demo", "write an email to northwind health inc", drafted("c-northwind"), _draft_of(customer="northwind health inc")),
    "polite": Row("demo", "could you please prepare a reply to DataFlow Inc.? thanks!", drafted("c-dataflow"), _draft_of(customer="DataFlow Inc.")),
    "id-upper-wish": Row("demo", "respond to RS-1001, keep it short", drafted(signal="rs-1001", wish="keep it short"),
                         [[(GATHER, {"signal_id": "RS-1001"}), (DRAFT, {"signal_id": "rs-1001", "instructions": "keep it short"})]]),
    "mention-credit": Row("demo", "Draft a reply to DataFlow and mention the credit we discussed", drafted("c-dataflow", wish="mention the credit"),
                          [[(GATHER, {"customer": "DataFlow"}), (DRAFT, {"customer": "DataFlow", "instructions": "mention the credit we discussed"})]]),
    "name-first": Row("demo", "Brightpath: can you draft something for them", drafted("c-brightpath"), _draft_of(customer="Brightpath")),
    "possessive": Row("demo", "Respond to Northwind Health's escalation", drafted("c-northwind"), _draft_of(customer="Northwind Health")),
    "two-customers": Row("demo", "Draft a reply for DataFlow and Northwind", asked("c-dataflow", "c-northwind"),
                         [[(GATHER, {"request": "Draft a reply for DataFlow and Northwind"})]]),
    "unknown-customer": Row("demo", "draft a reply to Zork Industries", refused("customer_not_found"), [[(GATHER, {"customer": "Zork Industries"})]]),
    "nothing-open": Row("demo", "answer the quillon escalation", refused("no_open_escalation"), [[(GATHER, {"customer": "quillon"})]]),
    # triage
    "whats-next": Row("demo", "what's next?", listed(limit=3), [[(LIST, {"limit": 3})]]),
    "my-open": Row("demo", "show me my open escalations", listed("mine"), [[(LIST, {"scope": "mine"})]]),
    "critical-only": Row("demo", "any critical escalations open?", listed(severities=("critical",)), [[(LIST, {"severity": ["critical"]})]]),
    "top-two": Row("demo", "list the top two escalations", listed(limit=2), [[(LIST, {"limit": 2})]]),
    "team": Row("demo", "hi, what's the status of the escalations for my team?", listed("team"), [[(LIST, {"scope": "team"})]]),
    "hello": Row("demo", "hello", helped(), [[(LIST, {"limit": 3})]]),
    "what-can-you-do": Row("demo", "what can you do?", helped(), [[(LIST, {"limit": 3})]]),
    # on a draft
    "show": Row("demo", "show me the draft", called("show_escalation_draft"), _on_draft("show_escalation_draft"), DATAFLOW),
    "subject": Row("demo", "change the subject to Update on your API integration",
                   called("edit_escalation_draft", subject="Update on your API integration"),
                   _on_draft("edit_escalation_draft", subject="Update on your API integration"), DATAFLOW),
    "recipient": Row("demo", "change the recipient to Rachel Kim", called("edit_escalation_draft", to="Rachel Kim"),
                     _on_draft("edit_escalation_draft", to="Rachel Kim"), DATAFLOW),
    "shorter": Row("demo", "make it shorter", called(DRAFT, instructions="make it shorter"),
                   [[(DRAFT, {"signal_id": "$signal", "instructions": "make it shorter"})]], DATAFLOW),
    "cc-manager": Row("demo", "add my manager to cc", called("add_escalation_ccs", who=["my manager"]),
                      _on_draft("add_escalation_ccs", who=["my manager"]), DATAFLOW),
    "cc-roles": Row("demo", "cc the support lead and the account executive",
                    called("add_escalation_ccs", who=["support lead", "account executive"]),
                    _on_draft("add_escalation_ccs", who=["support lead", "account executive"]), DATAFLOW),
    "ccs-then-send": Row("demo", "add the suggested ccs and send it urgently", both(called("add_escalation_ccs", who=[]), review(urgent=True)),
                         [[("add_escalation_ccs", {"response_id": "$draft", "who": []})],
                          [("send_escalation_response", {"response_id": "$draft", "urgent": True})]], DATAFLOW),
    "send-urgently": Row("demo", "Send Urgently", review(urgent=True), _on_draft("send_escalation_response", urgent=True), DATAFLOW),
    "ok-send": Row("demo", "ok send it", review(urgent=False), _on_draft("send_escalation_response", urgent=False), DATAFLOW),
    "cancel": Row("demo", "please discard the draft", called("cancel_escalation_response"), _on_draft("cancel_escalation_response"), DATAFLOW),
    "why-tone": Row("demo", "why this tone?", called("pick_response_strategy"), [[("pick_response_strategy", {"signal_id": "$signal"})]], DATAFLOW),
    "why-ccs": Row("demo", "why these CCs?", called("suggest_escalation_ccs"), _on_draft("suggest_escalation_ccs"), DATAFLOW),
    "sla-due": Row("demo", "when is the SLA due?", called("pick_response_strategy"), [[("pick_response_strategy", {"signal_id": "$signal"})]], DATAFLOW),
    "hold": Row("demo", "don't send it yet", held(), [], DATAFLOW),
    "draft-and-cc": Row("demo", "draft a reply to DataFlow and cc my manager", both(drafted("c-dataflow"), called("add_escalation_ccs", who=["my manager"])),
                        [*_draft_of(customer="DataFlow"), [("add_escalation_ccs", {"response_id": "$draft", "who": ["my manager"]})]]),
    "wish-after-but": Row("demo", "draft something for rs-1004 but make it warmer", drafted(signal="rs-1004", wish="warmer"),
                          [[(GATHER, {"signal_id": "rs-1004"}), (DRAFT, {"signal_id": "rs-1004", "instructions": "make it warmer"})]]),
    "contact-last-name": Row("demo", "respond to Torres", drafted("c-dataflow"), _draft_of(customer="Torres")),
    "add-then-remove": Row("demo", "cc the support lead and the account executive, then remove the account executive",
                           both(called("add_escalation_ccs", who=["support lead", "account executive"]),
                                called("remove_escalation_ccs", who=["account executive"])),
                           [[("add_escalation_ccs", {"response_id": "$draft", "who": ["support lead", "account executive"]})],
                            [("remove_escalation_ccs", {"response_id": "$draft", "who": ["account executive"]})]], DATAFLOW),
    "send-named": Row("demo", "Send the Northwind response urgently", both(drafted("c-northwind"), review(urgent=True)),
                      [*_draft_of(customer="Northwind"), [("send_escalation_response", {"response_id": "$draft", "urgent": True})]]),
    # another vendor: legal forms, accents, CJK, look-alikes, reach
    "umlaut-spelled-out": Row("fjordlys", "draft a reply for mueller und soehne", drafted("k-mueller"), _draft_of(customer="mueller und soehne")),
    "full-legal-name": Row("fjordlys", "respond to Müller & Söhne GmbH", drafted("k-mueller"), _draft_of(customer="Müller & Söhne GmbH")),
    "their-id-lower": Row("fjordlys", "escalation response for esc-2031", drafted(signal="ESC-2031"), _draft_of(signal_id="ESC-2031")),
    "eszett-contact": Row("fjordlys", "reply to Jürgen Weiss", drafted("k-mueller"), _draft_of(customer="Jürgen Weiss")),
    "look-alike": Row("fjordlys", "draft a reply for Nordlicht", asked("k-ne", "k-ns"), [[(GATHER, {"customer": "Nordlicht"})]]),
    "look-alike-exact": Row("fjordlys", "draft a reply for Nordlicht Solar", drafted("k-ns"), _draft_of(customer="Nordlicht Solar")),
    "cjk": Row("fjordlys", "write to サクラ", drafted("k-sakura"), _draft_of(customer="サクラ")),
    "slash-id-wish": Row("fjordlys", "answer INC/88/4 in a warmer tone", drafted(signal="INC/88/4", wish="warmer tone"),
                         [[(GATHER, {"signal_id": "INC/88/4"}), (DRAFT, {"signal_id": "INC/88/4", "instructions": "a warmer tone"})]]),
    "accents-dropped": Row("fjordlys", "reply to Zoe Lefevre", drafted("k-lumiere"), _draft_of(customer="Zoe Lefevre")),
    "prefix-no-legal-form": Row("fjordlys", "respond to sao paulo logistica", drafted("k-sp"), _draft_of(customer="sao paulo logistica")),
    "not-reachable": Row("fjordlys", "draft a reply for Acme", refused("customer_not_found"), [[(GATHER, {"customer": "Acme"})]]),
    "not-reachable-id": Row("fjordlys", "respond to ACME-1", refused("customer_not_found"), [[(GATHER, {"request": "respond to ACME-1"})]]),
    "whats-open-fj": Row("fjordlys", "what's open?", listed(), [[(LIST, {})]]),
    "who-first-fj": Row("fjordlys", "which customer needs me first?", listed(limit=3), [[(LIST, {"limit": 3})]]),
    "wish-after-comma": Row("fjordlys", "Draft escalation response for Société Lumière, mention the weekend support line",
                            drafted("k-lumiere", wish="weekend support line"),
                            [[(GATHER, {"customer": "Société Lumière"}),
                              (DRAFT, {"customer": "Société Lumière", "instructions": "mention the weekend support line"})]]),
    "draft-and-cc-fj": Row("fjordlys", "reply to societe lumiere and cc my manager", both(drafted("k-lumiere"), called("add_escalation_ccs", who=["my manager"])),
                           [*_draft_of(customer="societe lumiere"), [("add_escalation_ccs", {"response_id": "$draft", "who": ["my manager"]})]]),
    "slang": Row("fjordlys", "could u draft smth for nordlicht energie pls", drafted("k-ne"), _draft_of(customer="nordlicht energie")),
    "send-named-fj": Row("fjordlys", "Send the Müller response urgently", review(urgent=True),
                         _on_draft("send_escalation_response", urgent=True), MUELLER),
    "cc-billing": Row("fjordlys", "loop in the billing specialist", called("add_escalation_ccs", who=["billing specialist"]),
                      _on_draft("add_escalation_ccs", who=["billing specialist"]), MUELLER),
    "recipient-fj": Row("fjordlys", "address it to Petra Lang instead", called("edit_escalation_draft", to="Petra Lang"),
                        _on_draft("edit_escalation_draft", to="Petra Lang"), MUELLER),
    "draft-first-listed": Row("fjordlys", "draft the first one", drafted(signal="ESC-2031"),
                              _draft_of(signal_id="ESC-2031"), ("what's most urgent?",)),
}
SETUP["what's most urgent?"] = [[(LIST, {"limit": 3})]]


# --- running them ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worlds(pg_admin_url: str) -> Iterator[dict[str, tuple[Store, World, str | None]]]:
    """Both worlds, loaded once for the module, each in its own database."""
    sources = (("demo", json.loads(DEMO_WORLD.read_text()), None), ("fjordlys", phrasing_world(), ACTOR))
    with ExitStack() as stack:
        opened: dict[str, tuple[Store, World, str | None]] = {}
        for name, data, actor in sources:
            store = stack.enter_context(Store.open(stack.enter_context(fresh_database(pg_admin_url)), max_size=4))
            load_world(store, data)
            opened[name] = (store, {**data, "_actor": actor}, actor)
        yield opened


def _run(agent: TurnDriver, row: Row, actor: str | None) -> Turn:
    thread = None
    for message in row.before:
        thread = agent.run_turn(thread, message=message, actor=actor).thread_id
    return agent.run_turn(thread, message=row.say, actor=actor)


@pytest.fixture(scope="module")
def offline_agents(
    worlds: dict[str, tuple[Store, World, str | None]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CommunicatorAgent]:
    """One offline agent per world (every row starts a thread of its own)."""
    outbox = tmp_path_factory.mktemp("outbox")
    return {
        name: CommunicatorAgent(
            [EscalationSkill(store, OutboxMailer(outbox), Policy())],
            model=OfflineChatModel(),
            checkpointer=postgres_checkpointer(store),
        )
        for name, (store, _, _) in worlds.items()
    }


@pytest.mark.parametrize("key", list(ROWS))
def test_offline_model_does_what_the_csm_meant(
    key: str,
    worlds: dict[str, tuple[Store, World, str | None]],
    offline_agents: dict[str, CommunicatorAgent],
    drive: Callable[[CommunicatorAgent], TurnDriver],
) -> None:
    row = ROWS[key]
    _, world, actor = worlds[row.world]
    row.expect(_run(drive(offline_agents[row.world]), row, actor), world)


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAIServer]:
    """The loopback OpenAI server, answering every row's message with its scripted calls."""
    scripts = {**SETUP, **{row.say: row.llm for row in ROWS.values()}}
    with OpenAIServer() as server:
        server.reply(*([ScriptedLLM(scripts)] * 10_000))
        yield server


@pytest.fixture
def chatopenai(openai_server: OpenAIServer) -> Iterator[BaseChatModel]:
    """ChatOpenAI on the loopback server, with HTTP clients of this test's own (an async client serves one event loop)."""
    tls = ssl.create_default_context()  # plain HTTP here; a ready context spares the clients loading CA files
    with httpx.Client(verify=tls) as sync_client:
        async_client = httpx.AsyncClient(verify=tls)
        yield ChatOpenAI(
            model="gpt-4o-mini", api_key="sk-test", base_url=openai_server.base_url, max_retries=0,
            http_client=sync_client, http_async_client=async_client,
        )


@pytest.mark.parametrize("key", list(ROWS))
def test_chatopenai_does_what_the_csm_meant(    key: str,
    worlds: dict[str, tuple[Store, World, str | None]],
    chatopenai: BaseChatModel,
    tmp_path: Path,
    drive: Callable[[CommunicatorAgent], TurnDriver],
) -> None:
    row = ROWS[key]
    store, world, actor = worlds[row.world]
    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), llm=chatopenai)
    agent = drive(CommunicatorAgent([skill], model=chatopenai, checkpointer=postgres_checkpointer(store)))
    row.expect(_run(agent, row, actor), world)


def test_the_softer_tone_reaches_the_rewrite_as_the_csms_guidance(
    worlds: dict[str, tuple[Store, World, str | None]],
    offline_agents: dict[str, CommunicatorAgent],
    openai_server: OpenAIServer,
    chatopenai: BaseChatModel,
    tmp_path: Path,
    drive: Callable[[CommunicatorAgent], TurnDriver],
) -> None:
    row = ROWS["softer-tone"]
    store, world, actor = worlds[row.world]
    offline = _run(drive(offline_agents[row.world]), row, actor)
    (note,) = [n for n in _data(offline, "draft")[-1]["review_notes"] if "softer tone" in n["text"]]
    assert note["code"] == "instructions_not_applied" and note["kind"] == "advisory"
    assert "no LLM is configured" in note["text"]  # template drafts: the guidance is passed on as a note to act on

    skill = EscalationSkill(store, OutboxMailer(tmp_path / "outbox"), Policy(), llm=chatopenai)
    before = len(openai_server.requests)
    _run(drive(CommunicatorAgent([skill], model=chatopenai, checkpointer=postgres_checkpointer(store))), row, actor)
    rewrites = [r for r in openai_server.requests[before:] if "response_format" in r.body]
    assert rewrites and "<csm_guidance>\na softer tone\n</csm_guidance>" in rewrites[-1].text
