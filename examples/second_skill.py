"""Register a second skill with CommunicatorAgent, beside the escalation skill.

A skill is any object with `name`, `description`, `system_prompt`, `tools` and `interrupt_on`.
Pass your skills to `CommunicatorAgent([...])`, or publish them from your own package through the
`communicator.skills` entry-point group with a `from_runtime(runtime)` classmethod, exactly as this
package registers its escalation skill:

    [project.entry-points."communicator.skills"]
    follow_ups = "my_package.skills:FollowUpSkill"

The host builds ONE agent over all tools, puts every tool named in any skill's `interrupt_on` behind
the CSM's review, and checkpoints the conversation in PostgreSQL. Run it on a loaded world:

    escalation load communicator_escalation/worlds/demo-world.json
    python examples/second_skill.py
"""

from __future__ import annotations

from langchain.agents.middleware import InterruptOnConfig
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from communicator_escalation.agent.host import CommunicatorAgent
from communicator_escalation.agent.runtime import AgentRuntime, open_runtime
from communicator_escalation.agent.skill import EscalationSkill


class FollowUpArgs(BaseModel):
    """Schedule a follow-up reminder for the CSM."""

    customer: str = Field(description="Customer the follow-up is about.")
    when: str = Field(description="When to follow up, e.g. 'tomorrow 9am'.")
    note: str = Field(description="What to follow up on.")


class FollowUpSkill:
    """A second skill: follow-up reminders, kept in memory (a real one would use a calendar)."""

    name = "follow_ups"
    description = "Schedules follow-up reminders for the CSM."
    system_prompt = "When the CSM asks to be reminded or to follow up later, call schedule_follow_up."

    def __init__(self) -> None:
        self.scheduled: list[FollowUpArgs] = []

    @classmethod
    def from_runtime(cls, runtime: AgentRuntime) -> FollowUpSkill:
        """Entry-point hook: build the skill from the host's runtime (this one needs nothing from it)."""
        return cls()

    def _schedule(self, customer: str, when: str, note: str) -> str:
        self.scheduled.append(FollowUpArgs(customer=customer, when=when, note=note))
        return f'{{"ok": true, "scheduled": {len(self.scheduled)}}}'

    @property
    def tools(self) -> list[BaseTool]:
        return [
            StructuredTool.from_function(
                self._schedule, name="schedule_follow_up", description=FollowUpArgs.__doc__, args_schema=FollowUpArgs
            )
        ]

    @property
    def interrupt_on(self) -> dict[str, InterruptOnConfig]:
        return {}  # reminders need no review


def main() -> None:
    with open_runtime() as runtime:
        agent = CommunicatorAgent(
            [EscalationSkill.from_runtime(runtime), FollowUpSkill()],
            model=runtime.model,
            checkpointer=runtime.checkpointer,
        )
        print("skills:", ", ".join(skill.name for skill in agent.skills))
        print("tools:", ", ".join(tool.name for tool in agent.tools))
        turn = agent.run_turn(message="Draft escalation response for DataFlow")
        print(turn.reply)
        print(f"thread: {turn.thread_id} (continue it with: escalation chat --thread {turn.thread_id})")


if __name__ == "__main__":
    main()
