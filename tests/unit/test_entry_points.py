"""The `communicator.skills` entry point: the package registers its skill, the host discovers it."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg_pool import ConnectionPool

from communicator_escalation.agent.host import SKILL_ENTRY_POINT_GROUP, CommunicatorAgent, Skill, discover_skills
from communicator_escalation.agent.offline.model import OfflineChatModel
from communicator_escalation.agent.runtime import AgentRuntime
from communicator_escalation.agent.skill import EscalationSkill
from communicator_escalation.agent.tools.args import ToolName
from communicator_escalation.config import Settings
from communicator_escalation.mail.outbox import OutboxMailer
from communicator_escalation.store import Store
from communicator_escalation.workflow.policy import Policy


def _runtime(tmp_path: Path) -> AgentRuntime:
    pool = ConnectionPool("dbname=unused", open=False)  # never opened: building skills touches no database
    return AgentRuntime(
        settings=Settings(home=tmp_path),
        store=Store(pool, "dbname=unused"),
        mailer=OutboxMailer(tmp_path / "outbox"),
        policy=Policy(),
        model=OfflineChatModel(),
        llm=None,
        checkpointer=PostgresSaver(pool),
        actor="u-someone",
    )


def test_the_package_registers_the_escalation_skill() -> None:
    points = {p.name: p for p in entry_points(group=SKILL_ENTRY_POINT_GROUP)}
    assert points["escalation"].value == "communicator_escalation.agent.skill:EscalationSkill"
    assert points["escalation"].load() is EscalationSkill


def test_discovery_builds_the_skill_from_the_runtime(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    skills = discover_skills(runtime)
    escalation = next(s for s in skills if isinstance(s, EscalationSkill))
    assert isinstance(escalation, Skill)
    assert escalation.store is runtime.store and escalation.policy is runtime.policy
    assert escalation.actor == "u-someone"
    assert [t.name for t in escalation.tools] == [name.value for name in ToolName]
    assert set(escalation.interrupt_on) == {ToolName.SEND_RESPONSE.value}
    assert escalation.interrupt_on[ToolName.SEND_RESPONSE.value]["allowed_decisions"] == ["approve", "edit", "reject"]


def test_the_host_without_skills_discovers_them_and_composes_the_prompt(tmp_path: Path) -> None:
    agent = CommunicatorAgent(model=OfflineChatModel(), checkpointer=InMemorySaver(), runtime=_runtime(tmp_path))
    assert {t.name for t in agent.tools} >= {name.value for name in ToolName}
    assert "## escalation:" in agent.system_prompt
    assert ToolName.SEND_RESPONSE.value in agent.system_prompt
