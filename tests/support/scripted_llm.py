"""A scripted LLM for the loopback OpenAI server: the tool calls an LLM would make for each CSM message.

`ScriptedLLM(scripts)` answers a chat request by its last user message: it makes that message's
scripted tool calls step by step (each step is one model reply with one or more calls; `$draft` and
`$signal` in arguments are filled from the newest draft or context result in the conversation, as an
LLM reads ids from the results), then answers in text that reports what the tool results say (an
error's message and candidates, the customers and signal ids listed or drafted), as an LLM would
relay them. The drafting rewrite (structured output) returns the template draft it was given, plus
the guidance it was given, so a test can see that the CSM's wishes reached the rewrite.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.openai_server import ReceivedRequest, Reply

Step = list[tuple[str, dict[str, Any]]]

_DRAFT_BLOCK = re.compile(r"<draft>\nSubject: (?P<subject>[^\n]*)\n\n(?P<body>.*?)\n</draft>", re.S)


def _results(messages: list[dict[str, Any]], since: int = 0) -> list[dict[str, Any]]:
    found = []
    for message in messages[since:]:
        if message["role"] == "tool" and "{" in message["content"]:
            found.append(json.loads(message["content"][message["content"].find("{") :]))
    return found


def _fill(args: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    results = _results(messages)
    drafts = [r for r in results if r.get("kind") == "draft"]
    signals = [r["signal_id"] for r in results if r.get("kind") in ("context", "draft")]
    values = {"$draft": drafts[-1]["response_id"] if drafts else None, "$signal": signals[-1] if signals else None}
    return {k: values.get(v, v) if isinstance(v, str) else v for k, v in args.items()}


def _relay(result: dict[str, Any]) -> str:
    kind = result.get("kind")
    if kind == "error":
        labels = [c["label"] for c in result["error"].get("candidates", [])]
        return result["error"]["message"] + (f" Options: {', '.join(labels)}." if labels else "")
    if kind == "open_escalations":
        return "Open: " + "; ".join(f"{e['customer']} {e['signal_id']}" for e in result["escalations"])
    if kind in ("draft", "context"):
        return f"{kind} {result['signal_id']} for {result['customer']['name']}"
    return f"{kind} done"


class ScriptedLLM:
    """A callable reply for `OpenAIServer.reply`: scripted tool calls per CSM message, then a relaying answer."""

    def __init__(self, scripts: dict[str, list[Step]]) -> None:
        self.scripts = scripts

    def __call__(self, request: ReceivedRequest) -> Reply:
        if "response_format" in request.body:
            found = _DRAFT_BLOCK.search(request.text)
            assert found is not None, "rewrite prompt without a <draft> block"
            return Reply(content=json.dumps({"subject": found["subject"], "body": found["body"]}))
        messages = request.messages
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        steps = self.scripts[messages[last_user]["content"]]
        done = sum(1 for m in messages[last_user:] if m["role"] == "assistant" and m.get("tool_calls"))
        results = _results(messages, last_user)
        if done < len(steps) and not any(r.get("kind") == "error" for r in results):
            return Reply(tool_calls=[(name, _fill(args, messages)) for name, args in steps[done]])
        return Reply(content=" ".join(_relay(r) for r in results) or "I can draft, review and send escalation responses.")
