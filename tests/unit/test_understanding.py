"""The offline model's English (prompts/chat/understanding.toml): loaded once, compiled, its named groups checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from communicator_escalation.agent.offline.phrases import Commands, Guidance, commands, guidance, ordinal_words


def _as_written(model: Commands | Guidance) -> dict[str, Any]:
    """The model's patterns back as the file writes them (text, or several patterns as lists)."""
    return {name: [[p.pattern] for p in value] if isinstance(value, tuple) else value.pattern
            for name, value in model}


def test_the_packaged_file_loads_once_with_every_pattern_compiled() -> None:
    assert commands() is commands() and guidance() is guidance()
    for model, flags in ((commands(), re.IGNORECASE | re.DOTALL), (guidance(), re.IGNORECASE)):
        for name, value in model:
            for pattern in value if isinstance(value, tuple) else (value,):
                assert pattern.flags & flags == flags, name
                assert "{{" not in pattern.pattern, f"{name}: a fragment was not put in place"
    assert ordinal_words()["second"] == 2 and ordinal_words()["last"] == -1


def test_pieces_are_joined_and_several_patterns_kept_in_order() -> None:
    written = _as_written(commands()) | {"send": ["^(?:send", "|ship)\\b"], "subject": [["^a(?P<v>.)"], ["^b", "(?P<v>.)"]]}
    loaded = Commands.model_validate(written)
    assert loaded.send.pattern == "^(?:send|ship)\\b" and loaded.send.match("SHIP it")
    assert [p.pattern for p in loaded.subject] == ["^a(?P<v>.)", "^b(?P<v>.)"]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"subject": [["^subject is (?P<value>.+)$"]]}, "missing_named_groups"),  # the code reads match["v"]
        ({"ordinal": r"\bthe (?P<word>first|second)\b"}, "missing_named_groups"),
        ({"send": "^(?:send|ship"}, "missing )"),
        ({"shout": "^HEY"}, "extra_forbidden"),
    ],
)
def test_a_broken_command_table_is_refused(change: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Commands.model_validate(_as_written(commands()) | change)
    assert complaint in str(raised.value)


def test_a_missing_entry_is_refused() -> None:
    written = _as_written(guidance())
    del written["asks"]
    with pytest.raises(ValidationError, match="asks"):
        Guidance.model_validate(written)
