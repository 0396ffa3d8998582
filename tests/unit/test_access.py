"""The access rule: who reaches a customer, who may decide its approvals (pure, no database)."""

from __future__ import annotations

import pytest

from communicator_escalation.auth.access import CustomerTeam, may_approve, may_reach
from communicator_escalation.models import StaffMember

TEAM = CustomerTeam(customer_id="k-1", csm_id="s-csm", csm_manager_id="s-mgr", account_executive_id="s-ae",
                    support_lead_id="s-lead", executive_sponsor_id="s-sponsor")
APPROVERS = ("csm_manager", "executive")


def staff(staff_id: str, role: str) -> StaffMember:
    return StaffMember(id=staff_id, name=staff_id.title(), email=f"{staff_id}@vendor.example", role=role)


@pytest.mark.parametrize(
    ("member", "reaches", "approves"),
    [
        (staff("s-csm", "csm"), True, False),
        (staff("s-mgr", "csm_manager"), True, True),
        (staff("s-ae", "account_executive"), True, False),
        (staff("s-lead", "support_lead"), True, False),
        (staff("s-sponsor", "security_officer"), True, False),
        (staff("s-exec", "executive"), True, True),
        (staff("s-other-mgr", "csm_manager"), False, False),
        (staff("s-other-csm", "csm"), False, False),
        (staff("s-eng", "support_engineer"), False, False),
    ],
)
def test_rule(member: StaffMember, reaches: bool, approves: bool) -> None:
    assert may_reach(member, TEAM) is reaches
    assert may_approve(member, TEAM, approver_roles=APPROVERS) is approves


def test_the_csms_manager_approves_whatever_the_policy_roles() -> None:
    manager = staff("s-mgr", "support_lead")
    assert may_approve(manager, TEAM, approver_roles=("executive",))
    assert not may_approve(staff("s-lead", "support_lead"), TEAM, approver_roles=("executive",))


def test_a_team_without_optional_members_reaches_only_csm_and_executives() -> None:
    bare = CustomerTeam(customer_id="k-2", csm_id="s-csm")
    assert bare.member_ids() == {"s-csm"}
    assert not may_reach(staff("s-mgr", "csm_manager"), bare)
    assert may_reach(staff("s-exec", "executive"), bare)
