"""Use the escalation skill's tools in your own LangChain agent.

`EscalationSkill(...).tools` are ordinary LangChain tools, so any `create_agent` can use them. Keep
the send tool behind human review with the skill's own `interrupt_on`, and give the agent a
checkpointer so the review can pause the run:

    escalation load communicator_escalation/worlds/demo-world.json
    python examples/own_agent.py --customer DataFlow            # draft only
    python examples/own_agent.py --customer DataFlow --send     # ... then Send Urgently and approve

It uses the configured database, transport and model (OPENAI_API_KEY selects ChatOpenAI; without
it the offline model drives the tools), and an in-memory checkpointer of its own.
"""

from __future__ import annotations

import argparse
import uuid

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from communicator_escalation.agent.runtime import open_runtime
from communicator_escalation.agent.skill import EscalationSkill


def last_text(state: dict) -> str:
    """The agent's last message."""
    return str(state["messages"][-1].content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customer", default="DataFlow", help="Customer to draft for (name or id).")
    parser.add_argument("--send", action="store_true", help="Then send urgently and approve the review.")
    args = parser.parse_args()

    with open_runtime() as runtime:
        skill = EscalationSkill(runtime.store, runtime.mailer, runtime.policy, llm=runtime.llm)
        agent = create_agent(
            runtime.model,
            skill.tools,
            system_prompt=skill.system_prompt,
            middleware=[HumanInTheLoopMiddleware(interrupt_on=skill.interrupt_on)],
            checkpointer=InMemorySaver(),
        )
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}

        state = agent.invoke(
            {"messages": [{"role": "user", "content": f"Draft escalation response for {args.customer}"}]}, config
        )
        print(last_text(state))
        if not args.send:
            return

        state = agent.invoke({"messages": [{"role": "user", "content": "Send Urgently"}]}, config)
        for pending in agent.get_state(config).interrupts:
            for action in pending.value["action_requests"]:
                print("\n--- review ---\n" + action["description"] + "\n--------------")
        state = agent.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
        print(last_text(state))


if __name__ == "__main__":
    main()
