"""The package's public names are explicit and importable."""

from __future__ import annotations

import communicator_escalation


def test_public_api_is_the_listed_names() -> None:
    assert sorted(communicator_escalation.__all__) == [
        "ACCOUNT_CSM", "Actor", "AmbiguousCustomer", "CcSuggestion", "CommunicatorAgent", "CustomerNotFound", "Draft",
        "EscalationContext", "EscalationError", "EscalationSkill", "NoOpenEscalation", "NotFound",
        "OfflineChatModel", "Policy", "Refused", "Settings", "Store", "Strategy", "WorldFileError",
        "add_cc", "approve_send", "change_recipient", "draft_email", "edit_response",
        "gather_context", "load_policy", "load_world", "make_mailer", "open_or_create_draft", "pick_strategy", "reconcile",
        "reject_send", "remove_cc", "resolve_customer", "send_response", "submit_for_approval", "suggest_ccs",
    ]
    for name in communicator_escalation.__all__:
        assert getattr(communicator_escalation, name) is not None


def test_settings_repr_never_shows_secrets(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("ESCALATION_DATABASE_URL", "postgresql://u:hunter2@db.internal/x")
    settings = communicator_escalation.Settings()
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "sk-very-secret-value" not in shown and "hunter2" not in shown
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-very-secret-value"
