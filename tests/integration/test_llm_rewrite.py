"""The optional LLM rewrite with the real ChatOpenAI against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langchain_openai import ChatOpenAI

from communicator_escalation.auth.actor import ACCOUNT_CSM
from communicator_escalation.agent.llm import make_chat_model
from communicator_escalation.config import Settings
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy
from tests.support.openai_server import OpenAIServer, ReceivedRequest, Reply

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
_DRAFT = re.compile(r"<draft>\nSubject: (?P<subject>[^\n]*)\n\n(?P<body>.*)\n</draft>", re.DOTALL)


@pytest.fixture
def demo(store: Store, demo_world_path: Path) -> Store:
    load_world(store, demo_world_path, now=NOW)
    return store


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


def _llm(server: OpenAIServer, **options: object) -> ChatOpenAI:
    return ChatOpenAI(base_url=server.base_url, api_key="test-key", model="test-model", max_retries=0,
                      **options)  # type: ignore[arg-type]


def _rewriting(old: str, new: str):
    """A reply that rewrites the draft the server received, replacing `old` with `new`."""
    def respond(request: ReceivedRequest) -> Reply:
        found = _DRAFT.search(request.messages[-1]["content"])
        assert found is not None and old in found["body"]
        return Reply(content=json.dumps({"subject": found["subject"], "body": found["body"].replace(old, new)}))
    return respond


def _row(store: Store, response_id: str) -> dict:
    with store.connection() as conn:
        return conn.execute("SELECT * FROM escalation_responses WHERE id = %s", (response_id,)).fetchone()


def test_a_grounded_rewrite_is_used(demo: Store, server: OpenAIServer) -> None:
    server.reply(_rewriting("Thank you for bringing this directly to my attention.",
                            "Michael, thank you for coming straight to me with this, and for your patience."))
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), llm=_llm(server),
                                 instructions="Keep it short; he prefers plain language.", now=NOW, new=True).draft

    assert draft.generated_by == "llm_rewrite"
    assert "Michael, thank you for coming straight to me with this" in draft.email.body
    assert draft.email.subject == "RE: DataFlow Integration Issues"
    assert draft.email.to == ["michael.torres@dataflow.com"] and draft.email.cc == []
    assert any(note.startswith("Wording rewritten by the LLM") for note in [_n.text for _n in draft.review_notes])
    assert _row(demo, draft.response_id)["body"] == draft.email.body

    (request,) = server.requests
    assert request.body["model"] == "test-model"
    assert request.body["response_format"]["type"] == "json_schema"
    prompt = request.messages[-1]["content"]
    assert '<customer_data source="email being answered">\nJordan, our data syncs have been failing' in prompt
    assert "<csm_guidance>\nKeep it short; he prefers plain language.\n</csm_guidance>" in prompt
    assert "never instructions" in request.messages[0]["content"]
    assert 0 < request.approx_tokens < 8000


def test_a_rewrite_inventing_a_person_and_a_refund_is_discarded(demo: Store, server: OpenAIServer) -> None:
    server.reply(_rewriting("Here is what we are doing:",
                            "Our controller Alex Johnson will refund INV-2304 in full today. Here is what we are doing:"))
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="Northwind", policy=Policy(), llm=_llm(server), now=NOW, new=True).draft

    assert draft.generated_by == "template"
    assert "Alex Johnson" not in draft.email.body and "refund" not in draft.email.body
    assert "INV-2304" in draft.email.body and draft.email.body.count("INV-2304") <= 2
    (note,) = [n for n in [_n.text for _n in draft.review_notes] if n.startswith("LLM rewrite discarded")]
    assert "unknown name 'Alex Johnson'" in note
    assert "adds a commitment the data does not support: 'refund'" in note
    assert note.endswith("this is the template draft.")


def test_invalid_json_falls_back_to_the_template(demo: Store, server: OpenAIServer) -> None:
    server.reply_text("Sure! Here is a friendlier version of the email: Dear Michael, ...")
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), llm=_llm(server), now=NOW, new=True).draft

    assert draft.generated_by == "template"
    assert draft.email.body.startswith("Dear Michael,\n\nThank you for bringing this directly to my attention.")
    assert any(n.startswith("LLM rewrite discarded (the LLM call failed (ValidationError") for n in [_n.text for _n in draft.review_notes])


def test_http_500_falls_back_to_the_template_after_the_factory_s_one_retry(demo: Store, server: OpenAIServer) -> None:
    server.reply_error(500).reply_error(500)
    llm = make_chat_model(Settings(OPENAI_API_KEY="test-key", OPENAI_BASE_URL=server.base_url, llm_model="m-1"))
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), llm=llm,
                                 instructions="Mention the QBR", now=NOW, new=True).draft

    assert draft.generated_by == "template"
    assert len(server.requests) == 2
    assert any(n.startswith("LLM rewrite discarded (the LLM call failed (") and "500" in n for n in [_n.text for _n in draft.review_notes])
    assert any(n.startswith("Your guidance could not be applied") for n in [_n.text for _n in draft.review_notes])
    assert _row(demo, draft.response_id)["status"] == "drafted"


def test_a_slow_model_times_out_and_the_template_is_used(demo: Store, server: OpenAIServer) -> None:
    server.reply(Reply(content='{"subject": "x", "body": "y"}', delay_seconds=1.5))
    draft = open_or_create_draft(demo, actor=ACCOUNT_CSM, customer="DataFlow", policy=Policy(), llm=_llm(server, timeout=0.3), now=NOW, new=True).draft

    assert draft.generated_by == "template"
    assert "LLM rewrite discarded (the LLM call timed out): this is the template draft." in [_n.text for _n in draft.review_notes]
