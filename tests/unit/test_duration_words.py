"""One wording for spans of time on every CSM surface (duration_words.py, the `duration` Jinja filter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from communicator_escalation.duration_words import duration_text
from communicator_escalation.models import SlaSummary
from communicator_escalation.rendering import phrases, render

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "unit", "text"),
    [
        (0, "minutes", "0 minutes"),
        (0.4, "minutes", "0 minutes"),
        (0.5, "minutes", "1 minute"),
        (45, "minutes", "45 minutes"),
        (60, "minutes", "1 hour"),
        (61, "minutes", "1 hour 1 minute"),
        (270, "minutes", "4 hours 30 minutes"),
        (1439, "minutes", "23 hours 59 minutes"),
        (1440, "minutes", "1 day"),
        (1469, "minutes", "1 day"),  # from a day on, rounded to the hour
        (1470, "minutes", "1 day 1 hour"),
        (0.02, "hours", "1 minute"),
        (5.5, "hours", "5 hours 30 minutes"),
        (47.6, "hours", "2 days"),
        (121, "hours", "5 days 1 hour"),
        (24_000, "hours", "1,000 days"),
        (89, "seconds", "1 minute"),
        (7_260, "seconds", "2 hours 1 minute"),
        (-30, "minutes", "0 minutes"),  # overdue times are passed as their absolute value
    ],
)
def test_duration_text(amount: float, unit: str, text: str) -> None:
    assert duration_text(amount, unit) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [7, 135, 3_000])
def test_cli_chat_and_review_notes_word_a_span_alike(minutes: int) -> None:
    words = duration_text(minutes)
    assert phrases("cli/draft.j2").sla_state(minutes) == f"first response due in {words}"
    assert phrases("cli/draft.j2").sla_state(-minutes) == f"first response {words} late"
    late = SlaSummary(first_response_due=NOW, urgency="breached", minutes_to_first_response_due=-minutes)
    assert phrases("chat/_macros.j2").sla_line(late) == f"First response is overdue by {words} (SLA breached)."
    early = SlaSummary(first_response_due=NOW, urgency="on_track", minutes_to_first_response_due=minutes)
    assert phrases("chat/_macros.j2").sla_line(early) == f"First response due in {words}."
    note = render("drafting/review_notes.j2", code="sla", late=minutes, early=0)
    assert note.startswith(f"SLA: the first response is {words} late;")
    assert phrases("delivery/outcome.j2").response_time(minutes) == f"Response time logged: {words} from escalation."
