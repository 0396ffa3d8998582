"""The PRD flow on ChatOpenAI, against a loopback OpenAI-compatible server that answers with tool calls.

The server's "model" reads each request the way an LLM would (the user's words, the tool results
in the conversation) and answers with tool calls or text; the drafting rewrite (structured output)
returns the template draft it was given. Everything else is the product path: settings with
OPENAI_API_KEY and OPENAI_BASE_URL, `open_runtime`, ChatOpenAI for the agent and for drafting.
The model calls and prompt size of the DataFlow draft turn are counted from the requests the
server received and printed for the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from communicator_escalation.agent.host import CommunicatorAgent
from communicator_escalation.agent.runtime import open_runtime
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.config import Settings
from communicator_escalation.store.world.loader import load_world
from tests.support.openai_server import OpenAIServer, ReceivedRequest, Reply
from tests.support.turn_modes import TurnDriver, TurnMode

_DRAFT_BLOCK = re.compile(r"<draft>\nSubject: (?P<subject>[^\n]*)\n\n(?P<body>.*?)\n</draft>", re.S)


def _tool_results(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool results after the last user message, parsed."""
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [json.loads(m["content"][m["content"].find("{") :]) for m in messages[last_user:] if m["role"] == "tool"]


def _latest(messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    results = [json.loads(m["content"][m["content"].find("{") :]) for m in messages if m["role"] == "tool"]
    return next(r for r in reversed(results) if r.get("kind") == kind)


def model(request: ReceivedRequest) -> Reply:
    """A scripted LLM: answers by reading the request, as the real one would."""
    if "response_format" in request.body:  # the drafting rewrite: keep the template's words
        found = _DRAFT_BLOCK.search(request.text)
        assert found is not None, "rewrite prompt without a <draft> block"
        return Reply(content=json.dumps({"subject": found["subject"], "body": found["body"]}))
    messages = request.messages
    last = messages[-1]
    if last["role"] == "user":
        said = last["content"]
        if wanted := re.match(r"Draft escalation response for (.+)", said):
            target = {"customer": wanted[1]}
            return Reply(tool_calls=[("gather_escalation_context", target), ("draft_escalation_response", target)])
        if said == "Send Urgently":
            response_id = _latest(messages, "draft")["response_id"]
            return Reply(tool_calls=[("send_escalation_response", {"response_id": response_id, "urgent": True})])
        return Reply(content="I can draft, review and send escalation responses.")
    results = {r["kind"]: r for r in _tool_results(messages)}
    if "send" in results:
        sent = results["send"]
        return Reply(
            content=(
                f"Escalation response submitted for expedited approval. Approved by {sent['approval']['decided_by']}. "
                f"Escalation response sent to {sent['customer']['name']}. "
                f"Response time logged: {sent['response_minutes']} minutes from escalation."
            )
        )
    if "draft" in results:
        ctx, draft = results["context"]["details"], results["draft"]
        return Reply(
            content=(
                f"{ctx['severity']} {ctx['escalation_type']} escalation from {ctx['reporter']['title']} "
                f"{ctx['reporter']['name']}. Draft {draft['response_id']}: {draft['subject']}. "
                f"Suggested CCs: {', '.join(c['label'] for c in draft['suggested_ccs'])}. "
                "[Edit] [Add CCs] [Send Urgently]"
            )
        )
    return Reply(content="Something went wrong: " + json.dumps(list(results.values())))


def test_prd_flow_on_chatopenai_sends_once(
    db_url: str,
    demo_world_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Any,
    drive: Callable[[CommunicatorAgent], TurnDriver],
    turn_mode: TurnMode,
) -> None:
    with OpenAIServer() as server:
        server.reply(*([model] * 20))
        settings = Settings(
            home=tmp_path,
            database_url=db_url,
            openai_api_key="sk-test",
            openai_base_url=server.base_url,
            mail_transport="outbox",
            policy_file=None,
        )
        with open_runtime(settings) as runtime:
            load_world(runtime.store, demo_world_path)
            agent = drive(CommunicatorAgent.from_runtime(runtime))

            drafted = agent.run_turn(message="Draft escalation response for DataFlow")
            draft_requests = list(server.requests)
            calls = [c["name"] for m in drafted.messages for c in m.tool_calls]
            assert calls == ["gather_escalation_context", "draft_escalation_response"]
            draft = next(m.data for m in drafted.messages if m.data and m.data.get("kind") == "draft")
            assert draft["subject"] in drafted.reply and "[Send Urgently]" in drafted.reply

            agent_calls = [r for r in draft_requests if "tools" in r.body]
            rewrite_calls = [r for r in draft_requests if "response_format" in r.body]
            assert len(agent_calls) == 1 and len(rewrite_calls) == 1  # the card is rendered from the stored draft
            assert [bool(r.body.get("stream")) for r in agent_calls] == [turn_mode == "astream"]
            assert draft["body"] in drafted.reply  # shown as stored, not re-typed by the model
            tools = {t["function"]["name"]: t["function"]["parameters"] for t in agent_calls[0].body["tools"]}
            assert set(tools) == {name.value for name in ToolName}
            assert set(tools["send_escalation_response"]["properties"]) == {"response_id", "urgent"}
            assert agent_calls[0].messages[0]["role"] == "system"

            review = agent.run_turn(drafted.thread_id, message="Send Urgently")
            assert review.pending_review[0].args == {"response_id": draft["response_id"], "urgent": True}
            assert not list((tmp_path / "outbox").glob("**/*.eml"))

            sent = agent.run_turn(drafted.thread_id, message="approve")
            with runtime.store.connection() as conn:
                row = conn.execute(
                    "SELECT s.response_sent_at, s.detected_at, s.response_email_id FROM risk_signals s"
                    " JOIN escalation_responses r ON r.risk_signal_id = s.id WHERE r.id = %s",
                    (draft["response_id"],),
                ).fetchone()
            minutes = int((row["response_sent_at"] - row["detected_at"]).total_seconds() // 60)
            assert row["response_email_id"]
            assert f"Response time logged: {minutes} minutes" in sent.reply
            assert len(list((tmp_path / "outbox").glob("**/*.eml"))) == 1

    characters = sum(len(json.dumps(r.body)) for r in draft_requests)
    tokens = sum(r.approx_tokens for r in draft_requests)
    breakdown = [(("agent" if "tools" in r.body else "rewrite"), r.approx_tokens) for r in draft_requests]
    assert tokens <= 3_500, breakdown  # issue 12: a lean LLM turn
    record_property("draft_turn_model_calls", len(draft_requests))
    record_property("draft_turn_prompt_tokens_approx", tokens)
    with capsys.disabled():
        print(
            f"\n[ChatOpenAI, {turn_mode}] DataFlow draft turn: {len(draft_requests)} model calls "
            f"({len(agent_calls)} agent, {len(rewrite_calls)} rewrite), prompt {characters} characters "
            f"~ {tokens} tokens (4 chars/token); per call: {breakdown}"
        )
