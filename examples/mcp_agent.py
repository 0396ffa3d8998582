"""Use the escalation tools over MCP in a foreign LangChain agent (langchain-mcp-adapters).

The MCP client starts `escalation mcp` over stdio, loads its tools as LangChain tools and gives them
to a plain `create_agent`, which knows nothing of this package's host:

    escalation load communicator_escalation/worlds/demo-world.json
    python examples/mcp_agent.py --customer DataFlow            # draft only
    python examples/mcp_agent.py --customer DataFlow --send     # ... then Send Urgently

Over MCP the send tool only requests approval (expedited per policy) and reports the state; a person
sends the reviewed email (`escalation send RESP_ID`). The model is ChatOpenAI with OPENAI_API_KEY,
else the offline model; the server inherits this environment (database, home, transport).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from langchain.agents import create_agent
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

from communicator_escalation.agent.llm import make_chat_model
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.config import Settings


def last_text(state: dict) -> str:
    """The agent's last message."""
    return str(state["messages"][-1].text)


async def run(customer: str, send: bool) -> None:
    """Draft for `customer` with the MCP tools, then (with `send`) ask for the urgent send."""
    client = MultiServerMCPClient(
        {
            "escalation": {
                "transport": "stdio",
                "command": str(Path(sys.executable).with_name("escalation")),
                "args": ["mcp"],
                "env": dict(os.environ),
            }
        }
    )
    async with client.session("escalation") as session:  # one server process for the whole conversation
        tools = await load_mcp_tools(session)
        print("tools:", ", ".join(sorted(t.name for t in tools)))
        agent = create_agent(make_chat_model(Settings()) or OfflineChatModel(), tools)
        asked = {"role": "user", "content": f"Draft escalation response for {customer}"}
        state = await agent.ainvoke({"messages": [asked]})
        print(last_text(state))
        if send:
            state = await agent.ainvoke({"messages": [*state["messages"], {"role": "user", "content": "Send Urgently"}]})
            print(last_text(state))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customer", default="DataFlow", help="Customer to draft for (name or id).")
    parser.add_argument("--send", action="store_true", help="Then ask for the urgent send (approval only).")
    args = parser.parse_args()
    asyncio.run(run(args.customer, args.send))


if __name__ == "__main__":
    main()
