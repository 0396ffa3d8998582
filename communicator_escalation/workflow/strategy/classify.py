"""Escalation type: the signal's own type, or one inferred from the words of the complaint."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ...models import EscalationContext, EscalationType, TypeDecision
from ...patterns import MONEY, money_matches
from ..policy import TypingPolicy
from ._phrases import phrase

__all__ = ["escalation_texts", "infer_escalation_type", "type_evidence_hits"]

# Weight of one matched word per type; ties go to the earlier type in _PRECEDENCE.
_WEIGHTS: dict[EscalationType, int] = {"security": 3, "outage": 2, "billing": 1, "service": 1, "technical": 1}
_PRECEDENCE: tuple[EscalationType, ...] = ("security", "outage", "billing", "service", "technical")


@lru_cache(maxsize=256)
def _pattern(word: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in word.split())
    suffix = "(?:s|es|ed|d|ing)?" if len(word) > 3 else "s?"
    return re.compile(rf"(?<![\w$€£.,]){body}{suffix}(?!\w)", re.IGNORECASE)


def escalation_texts(ctx: EscalationContext) -> list[str]:
    """The texts that say what the escalation is about: signal, ticket, and the email replied to."""
    candidates = [ctx.escalation.title, ctx.escalation.description]
    if ctx.ticket is not None:
        candidates += [ctx.ticket.subject, ctx.ticket.description]
    if ctx.reply_to is not None:
        candidates += [ctx.reply_to.subject, ctx.reply_to.body]
    return [text for text in candidates if text]


def type_evidence_hits(texts: Sequence[str], *, typing: TypingPolicy | None = None) -> dict[EscalationType, list[str]]:
    """Per type, the distinct words (as written, lower-cased) found in `texts`; money amounts count as billing."""
    vocabulary = (typing or TypingPolicy()).keywords
    joined = "\n".join(texts)
    hits: dict[EscalationType, list[str]] = {kind: [] for kind in _PRECEDENCE}
    for kind in _PRECEDENCE:
        for word in vocabulary.get(kind, []):
            match = _pattern(word).search(joined)
            if match and match.group(0).lower() not in hits[kind]:
                hits[kind].append(match.group(0).lower())
    for amount in (m.group(0).strip() for m in money_matches(joined)):
        if amount not in hits["billing"]:
            hits["billing"].append(amount)
    return hits


def infer_escalation_type(
    *,
    texts: Sequence[str],
    given: EscalationType | None = None,
    default: EscalationType = "technical",
    typing: TypingPolicy | None = None,
) -> TypeDecision:
    """The escalation type: `given` when the signal has one, else inferred from `texts`.

    Each matched word scores its type (security 3, outage 2, others 1). Billing beats technical
    when the complaint is about money: a money amount, two or more billing words, or at least as
    many billing words as technical ones. Ties go to security, outage, billing, service, technical.
    With no word matched, `default` is used and `evidence` is empty.
    """
    if given is not None:
        return TypeDecision(type=given, inferred=False, evidence=[phrase("review_note", note="type_given")])
    hits = type_evidence_hits(texts, typing=typing)
    scores = {kind: _WEIGHTS[kind] * len(words) for kind, words in hits.items()}
    billing, technical = hits["billing"], hits["technical"]
    about_money = any(MONEY.fullmatch(word) for word in billing) or len(billing) >= 2 or len(billing) >= len(technical)
    if billing and about_money:
        scores["technical"] = 0
        scores["billing"] = max(scores["billing"], 1)
    best = max(_PRECEDENCE, key=lambda kind: (scores[kind], -_PRECEDENCE.index(kind)))
    if scores[best] == 0:
        return TypeDecision(type=default, inferred=True, evidence=[])
    return TypeDecision(type=best, inferred=True, evidence=hits[best])
