"""CC suggestions: every rule, reasons, labels, never the sender, one entry per person, missing roles."""

from __future__ import annotations

import pytest

from communicator_escalation.models import CcSuggestion, EscalationContext
from communicator_escalation.workflow.policy import Policy, RelationshipPolicy
from communicator_escalation.workflow.strategy.ccs import missing_cc_notes, suggest_ccs
from communicator_escalation.workflow.strategy.pick import pick_strategy
from tests.unit.builders import context, prior, staff, team

POLICY = Policy()


def ccs_for(ctx: EscalationContext, policy: Policy = POLICY, **kwargs: str) -> dict[str, CcSuggestion]:
    """Suggestions keyed by label."""
    return {cc.label: cc for cc in suggest_ccs(ctx, pick_strategy(ctx, policy), policy=policy, **kwargs)}


def labels(**fields) -> list[str]:
    return list(ccs_for(context(**fields)))


def test_manager_for_high_and_critical_not_medium() -> None:
    assert "Your manager" in labels(severity="high", escalation_type="service")
    assert "Your manager" in labels(severity="critical", escalation_type="service")
    assert "Your manager" not in labels(severity="medium", escalation_type="service")
    assert "Your manager" not in labels(severity="low", escalation_type="service")


def test_manager_and_sponsor_for_a_repeat_escalation() -> None:
    cc = ccs_for(context(severity="low", escalation_type="service", prior_escalations=[prior(days_ago=10)]))
    assert set(cc) == {"Your manager", "Executive Sponsor"}
    assert "Repeat escalation" in cc["Your manager"].reason
    assert cc["Your manager"].staff_id == "s-kwame"


def test_support_lead_for_technical_and_outage_only() -> None:
    assert "Support Lead" in labels(severity="medium", escalation_type="technical")
    assert "Support Lead" in labels(severity="medium", escalation_type="outage")
    for kind in ("billing", "service", "security"):
        assert "Support Lead" not in labels(severity="medium", escalation_type=kind)


def test_account_executive_for_billing_arr_and_renewal() -> None:
    assert "Account Executive" in labels(severity="low", escalation_type="billing")
    assert "Account Executive" not in labels(severity="low", escalation_type="service")
    rich = ccs_for(context(severity="low", escalation_type="service", customer_fields={"arr": 250_000}))
    assert "ARR of $250,000" in rich["Account Executive"].reason
    just_below = {"arr": 249_999}
    assert "Account Executive" not in labels(severity="low", escalation_type="service", customer_fields=just_below)
    assert "Account Executive" in labels(severity="low", escalation_type="service", renewal_in_days=120)
    assert "Account Executive" in labels(severity="low", escalation_type="service", renewal_in_days=0)
    assert "Account Executive" not in labels(severity="low", escalation_type="service", renewal_in_days=121)
    assert "Account Executive" not in labels(severity="low", escalation_type="service", renewal_in_days=-3)
    assert "Account Executive" not in labels(severity="low", escalation_type="service", renewal_in_days=None)


def test_all_account_executive_reasons_are_given() -> None:
    cc = ccs_for(context(severity="low", escalation_type="billing", renewal_in_days=30, customer_fields={"arr": 9e5}))
    reason = cc["Account Executive"].reason
    assert reason.count("; ") == 2 and "Renewal in 30 days" in reason and "Billing issue" in reason


def test_executive_sponsor_for_critical() -> None:
    cc = ccs_for(context(severity="critical", escalation_type="service"))
    assert cc["Executive Sponsor"].staff_id == "s-amara"
    assert cc["Executive Sponsor"].role == "executive"
    assert "Executive Sponsor" not in labels(severity="high", escalation_type="service")


def test_engineering_manager_for_outages_and_critical_technical() -> None:
    assert "Engineering Manager" in labels(severity="low", escalation_type="outage")
    assert "Engineering Manager" in labels(severity="critical", escalation_type="technical")
    assert "Engineering Manager" not in labels(severity="high", escalation_type="technical")
    assert "Engineering Manager" not in labels(severity="critical", escalation_type="service")


def test_security_officer_and_billing_specialist() -> None:
    security = ccs_for(context(severity="medium", escalation_type="security"))
    assert set(security) == {"Security Officer"}
    assert security["Security Officer"].reason.startswith("Security concern")
    billing = ccs_for(context(severity="medium", escalation_type="billing"))
    assert set(billing) == {"Account Executive", "Billing Specialist"}


def test_order_and_every_suggestion_is_explained() -> None:
    ctx = context(severity="critical", escalation_type="outage", customer_fields={"arr": 400_000})
    cc = suggest_ccs(ctx, pick_strategy(ctx, POLICY))
    assert [c.label for c in cc] == [
        "Your manager", "Support Lead", "Account Executive", "Executive Sponsor", "Engineering Manager"
    ]
    assert all(c.reason and c.email.endswith("@fjordlys.example") for c in cc)


def test_never_the_sender() -> None:
    csm = staff("s-ingrid", "Ingrid Solberg", "csm", manager_id="s-kwame")
    as_lead = context(severity="medium", escalation_type="technical", account_team=team(csm=csm, support_lead=csm))
    assert ccs_for(as_lead) == {}
    other_sender = ccs_for(context(severity="high", escalation_type="technical"), sender_id="s-hiro")
    assert "Support Lead" not in other_sender and "Your manager" in other_sender
    same_mailbox = staff("s-ingrid-2", "Ingrid Solberg", "support_lead", email="ingrid@fjordlys.example")
    assert ccs_for(context(severity="medium", account_team=team(support_lead=same_mailbox))) == {}


def test_one_suggestion_per_person_with_merged_reasons() -> None:
    boss = staff("s-kwame", "Kwame Mensah", "csm_manager")
    shared = team(csm_manager=boss, executive_sponsor=boss)
    ctx = context(severity="critical", escalation_type="service", account_team=shared)
    cc = suggest_ccs(ctx, pick_strategy(ctx, POLICY))
    assert [c.staff_id for c in cc].count("s-kwame") == 1
    merged = next(c for c in cc if c.staff_id == "s-kwame")
    assert merged.label == "Your manager"
    assert "Critical-severity escalation" in merged.reason and "executive sponsor visibility" in merged.reason


def test_missing_roles_are_notes_not_suggestions() -> None:
    ctx = context(severity="critical", escalation_type="security", account_team=team(without=("security_officer",)))
    strategy = pick_strategy(ctx, POLICY)
    assert "Security Officer" not in {c.label for c in suggest_ccs(ctx, strategy)}
    notes = missing_cc_notes(ctx, strategy)
    assert [n.text for n in notes] == [
        "No security officer in the directory for this account, so nobody is suggested for: "
        "Security concern: the security officer leads the investigation"
    ]
    assert all(n in strategy.review_notes for n in notes)


@pytest.mark.parametrize("threshold", [50_000, 1_000_000])
def test_thresholds_come_from_the_policy(threshold: float) -> None:
    policy = Policy(relationship=RelationshipPolicy(strategic_arr=threshold))
    cc = ccs_for(context(severity="low", escalation_type="service"), policy)
    assert ("Account Executive" in cc) is (threshold <= 80_000)
