"""The grounding check: an LLM rewrite may change wording, never facts.

Every person name, email address, phone number, money amount, ticket or invoice id, date, time and
duration in the rewrite's own voice (outside the customer's quoted words) must come from a trusted
source: the staff directory and structured fields (`TrustedFacts`) or the template draft's own voice.
A value only the customer wrote is ungrounded, and a quote must be one the template made; the rewrite must keep
the computed timeline times, every placeholder, the sender's signature facts and the salutation's
recipient; and it must not add a commitment (refund, credit, ...) or a claim about data exposure that
the template does not make. The rewrite cannot change recipients at all: its schema has no address
fields, and any address in its text must be a known one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, Field

from ...errors import error_text
from ...models import Milestone, TrustedFacts
from ...patterns import PLACEHOLDER, money_matches

__all__ = ["EmailText", "check_grounding", "find_emails", "find_ids", "find_money", "phones_in", "unknown_phones"]


class EmailText(BaseModel):
    """Subject and plain-text body of an email (also the LLM rewrite's structured output)."""

    subject: str = Field(description="Subject line, one line.")
    body: str = Field(description="Plain-text body, with the greeting and the signature.")


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"\b[A-Z][A-Z0-9]{0,9}(?:-[A-Z0-9]{1,10})*-\d{2,}\b|#\d{3,}\b")
_CLOCK_12 = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_CLOCK_24 = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_RE = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)
_DATE_MD = re.compile(rf"\b{_MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE}", re.IGNORECASE)
_DATE_ISO = re.compile(r"\b\d{4}-(\d{2})-(\d{2})")
_DAY_WORDS = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|tomorrow|yesterday"
    r"|this (?:morning|afternoon|evening)|end of (?:the )?(?:day|week))\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty-four": 24, "forty-eight": 48, "seventy-two": 72,
}
_DURATION = re.compile(
    r"\b(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")[\s-]+"
    r"(business[\s-]+days?|business[\s-]+hours?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\b",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080, "month": 43200}
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_COMMITMENT = re.compile(
    r"\b(refund\w*|reimburs\w*|credit(?:s|ed)?|compensat\w*|discount\w*|waiv\w*|free of charge|no charge"
    r"|at no cost|complimentary|guarantee\w*|money back)\b",
    re.IGNORECASE,
)
_EXPOSURE_CLAIM = re.compile(
    r"\bno (?:customer |personal |sensitive |of your )?data (?:was|has been|were|is) "
    r"(?:affected|accessed|exposed|compromised|leaked|lost)\b"
    r"|\b(?:your )?data (?:was|is|has) (?:not|never|not been) (?:affected|accessed|exposed|compromised|leaked)\b"
    r"|\bdata (?:is|remains) (?:safe|secure)\b",
    re.IGNORECASE,
)
# Words an email commonly capitalises (sentence starts, headings, sign-offs) that are not names.
_COMMON_WORDS = frozenset(
    """
    a about above across action actions actually additionally after again against ahead all already also
    although always am an and another any anything apologies apologise apologize appreciate are as assure
    assured at attention available back be because been before being below best better between both but by
    call can can't cannot certainly change clear closely committed commitment complete confirm continue
    could currently day days dear despite detail details did direct directly do does doing done don't down
    during each early either else end ensure even every everything expect fact finally first fix fixed
    following for forward from full fully further get getting given go going good got great had happen
    happened has have having he hear her here here's hi his hold hope how however i i'd i'll i'm i've if
    immediate immediately importantly impact in incident inform informed instead into is issue issues it
    it's its just keep kind kindly know last let let's like look looking make many matter may me meanwhile
    might more moreover most much must my need needed new next no not note now of off on once one only open
    or other our ours out over own part personally plan plans please point priority progress quick quickly
    rather really reach regards relevant resolve resolved resolving respond response rest right root same
    see sent should since sincere sincerely so some something soon sorry specific status step steps still
    such summary support sure take taking team than thank thanks that that's the their them then there
    there's these they they're thing things this those though through thus time timeline to today together
    tomorrow too truly two understand understanding unfortunately until up update updates upon urgent us
    very want warm warmest was way we we'll we're we've well were what what's when where whether which
    while who why will with within without work working would yes yet you you'll you're you've your yours
    """.split()
)
_SENTENCE_ENDS = ".!?:\n•*-–\"“("
# Our own teams: bringing one in ("escalating to our engineering team") is a promise only the data may make.
_TEAM = re.compile(r"\b(engineering|billing|security|legal|finance|product|development|devops|sre)\b(?=\s+(?:team|"
                   r"department|group|colleagues|specialists?|experts?|engineers?|lead|manager|owner))", re.IGNORECASE)


def find_money(text: str) -> list[str]:
    """Money amounts as written, e.g. ``$24,000`` or ``1,200 EUR``."""
    return [match.group(0).strip() for match in money_matches(text)]


def find_emails(text: str) -> list[str]:
    """Email addresses as written."""
    return _EMAIL.findall(text)


def phones_in(text: str) -> set[str]:
    """Phone numbers in `text` (email addresses ignored), as digit strings."""
    return _phones(_EMAIL.sub(" ", text))


def unknown_phones(text: str, known: list[str]) -> list[str]:
    """Phone numbers of `text` that are none of `known` (compared by their digits)."""
    digits = {re.sub(r"\D", "", k.replace("(0)", "")) for k in known}
    return sorted(p for p in phones_in(text) if not _phone_known(p, digits))


def find_ids(text: str) -> list[str]:
    """Ticket, invoice and similar ids, e.g. ``T-4821``, ``INV-2291``, ``#10452``."""
    return [match.group(0) for match in _ID.finditer(text)]


def _money_value(match: re.Match[str]) -> Decimal | None:
    number, scale = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    factor = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}.get((scale or "").lower(), 1)
    return value * factor


def _money_values(text: str) -> set[Decimal]:
    return {value for match in money_matches(text) if (value := _money_value(match)) is not None}


def _phones(text: str) -> set[str]:
    found = set()
    for match in _PHONE.finditer(text):
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw.replace("(0)", ""))
        if len(digits) >= 7 and not _ISO_DATE.match(raw.strip("( ")):
            found.add(digits)
    return found


def _phone_known(digits: str, known: set[str]) -> bool:
    return any(k.endswith(digits) or digits.endswith(k) for k in known if min(len(k), len(digits)) >= 7)


def _clock_times(text: str) -> set[int]:
    minutes = set()
    for match in _CLOCK_12.finditer(text):
        hour, minute = int(match.group(1)) % 12, int(match.group(2) or 0)
        minutes.add((hour + (12 if match.group(3).lower() == "p" else 0)) * 60 + minute)
    for match in _CLOCK_24.finditer(text):
        minutes.add(int(match.group(1)) * 60 + int(match.group(2)))
    return minutes


def _month_number(word: str) -> int:
    prefix = word.lower()[:3]
    return next(i for i, name in enumerate(_MONTHS, start=1) if name.startswith(prefix))


def _dates(text: str) -> set[str]:
    found = {f"{_month_number(m.group(1))}-{int(m.group(2))}" for m in _DATE_MD.finditer(text)}
    found |= {f"{_month_number(m.group(2))}-{int(m.group(1))}" for m in _DATE_DM.finditer(text)}
    found |= {f"{int(m.group(1))}-{int(m.group(2))}" for m in _DATE_ISO.finditer(text)}
    found |= {" ".join(m.group(0).lower().split()) for m in _DAY_WORDS.finditer(text)}
    return found


def _durations(text: str) -> set[str]:
    found = set()
    for match in _DURATION.finditer(text):
        count_text, unit = match.group(1).lower(), " ".join(match.group(2).lower().replace("-", " ").split())
        count = int(count_text) if count_text.isdigit() else _NUMBER_WORDS[count_text]
        if unit.startswith("business"):
            found.add(f"{count} {unit.rstrip('s')}")
        else:
            found.add(f"{count * _UNIT_MINUTES[unit.rstrip('s')]} min")
    return found


def _fold(word: str) -> str:
    """Case-folded, without a possessive ending or stray punctuation ("Øberg's" -> "øberg")."""
    folded = word.casefold()
    for ending in ("'s", "’s"):
        folded = folded.removesuffix(ending)
    return folded.strip("'’-")


def _vocabulary(text: str) -> set[str]:
    return {_fold(word) for word in _WORD.findall(text)}


def _capitalised_runs(text: str) -> list[tuple[list[str], bool]]:
    """Runs of capitalised words separated by single spaces, and whether each starts a sentence."""
    runs: list[tuple[list[str], bool]] = []
    previous_end = -2
    for match in _WORD.finditer(text):
        word = match.group(0)
        if not word[0].isupper() or word == "I" or word.startswith(("I'", "I’")):
            previous_end = -2
            continue
        if runs and previous_end >= 0 and text[previous_end : match.start()] == " ":
            runs[-1][0].append(word)
        else:
            prefix = text[: match.start()].rstrip(" \t")
            runs.append(([word], not prefix or prefix[-1] in _SENTENCE_ENDS))
        previous_end = match.end()
    return runs


def _unknown_names(text: str, vocabulary: set[str]) -> list[str]:
    """Capitalised words (names) that neither the sources nor everyday email English contain.

    The first word of a sentence is not judged on its own (it is capitalised anyway); the words after
    it in the same run are.
    """
    unknown = []
    for words, sentence_start in _capitalised_runs(text):
        judged = words[1:] if sentence_start else words
        folded = [_fold(w) for w in judged]
        if any(w not in vocabulary and w not in _COMMON_WORDS for w in folded):
            unknown.append(" ".join(words))
    return unknown


def _missing(required: Iterable[str], text: str) -> list[str]:
    folded = " ".join(text.casefold().split())
    return [item for item in required if " ".join(item.casefold().split()) not in folded]


def _new_values(source: str, text: str, text_wo_emails: str) -> list[str]:
    """Addresses, phones, ids, money, times, dates, durations and names in `text` that `source` lacks."""
    known_emails = {e.casefold() for e in _EMAIL.findall(source)}
    problems = [error_text("drafting.new_email", value=e) for e in _EMAIL.findall(text) if e.casefold() not in known_emails]

    known_phones = _phones(_EMAIL.sub(" ", source))
    problems += [error_text("drafting.new_phone", value=p) for p in sorted(_phones(text_wo_emails)) if not _phone_known(p, known_phones)]

    known_ids = {i.casefold() for i in find_ids(source)}
    problems += [error_text("drafting.new_id", value=i) for i in find_ids(text) if i.casefold() not in known_ids]

    known_money = _money_values(source)
    problems += [
        error_text("drafting.new_money", value=m.group(0).strip())
        for m in money_matches(text)
        if (value := _money_value(m)) is not None and value not in known_money
    ]

    known_times, known_dates, known_durations = _clock_times(source), _dates(source), _durations(source)
    problems += [error_text("drafting.new_time", minutes=t) for t in sorted(_clock_times(text) - known_times)]
    problems += [error_text("drafting.new_date", value=d) for d in sorted(_dates(text) - known_dates)]
    problems += [error_text("drafting.new_duration", value=d) for d in sorted(_durations(text) - known_durations)]

    problems += [error_text("drafting.unknown_name", value=n) for n in _unknown_names(text_wo_emails, _vocabulary(source))]
    return problems


def _new_claims(template_voice: str, text: str) -> list[str]:
    """Commitments and findings `text` states that the template's own voice does not."""
    template_commitments = {c.casefold()[:6] for c in _COMMITMENT.findall(template_voice)}
    problems = [
        error_text("drafting.new_commitment", value=c)
        for c in dict.fromkeys(m.lower() for m in _COMMITMENT.findall(text))
        if c[:6] not in template_commitments
    ]
    if not _EXPOSURE_CLAIM.search(template_voice):
        problems += [error_text("drafting.exposure_claim", value=m.group(0))
                     for m in _EXPOSURE_CLAIM.finditer(text)]
    return problems


def _dropped(template: EmailText, template_voice: str, body: str, timeline: list[Milestone],
             text_wo_emails: str) -> list[str]:
    """Timeline times, placeholders, facts and phone numbers of the template that `body` leaves out."""
    problems = [error_text("drafting.drops_time", value=due) for due in _missing([m.due_text for m in timeline], body)]
    problems += [error_text("drafting.drops_placeholder", value=p) for p in _missing(PLACEHOLDER.findall(template.body), body)]
    kept_facts = [*find_ids(template_voice), *find_money(template_voice), *_EMAIL.findall(template_voice)]
    problems += [error_text("drafting.drops_fact", value=fact) for fact in _missing(dict.fromkeys(kept_facts), body)]
    template_phones = _phones(_EMAIL.sub(" ", template.body))
    rewrite_phones = _phones(text_wo_emails)
    problems += [error_text("drafting.drops_phone", value=p) for p in sorted(template_phones)
                 if not _phone_known(p, rewrite_phones)]
    return problems


def _added_teams(rewrite_voice: str, template_voice: str) -> list[str]:
    """Our teams the rewrite brings in that the template does not (bringing one in is a promise)."""
    def teams(text: str) -> set[str]:
        return {m.group(1).lower() for m in _TEAM.finditer(text)}
    return sorted(teams(rewrite_voice) - teams(template_voice))


def check_grounding(
    *,
    rewrite: EmailText,
    template: EmailText,
    facts: TrustedFacts,
    timeline: list[Milestone],
    recipient_first_name: str | None = None,
    required: list[str] | None = None,
) -> list[str]:
    """The problems that make `rewrite` unsafe to use instead of `template`; empty when it is grounded.

    Args:
        rewrite: The LLM's subject and body.
        template: The template draft it rewrote.
        facts: The trusted facts of the context (directory, structured fields, policy).
        timeline: The computed milestones; their due texts must survive verbatim.
        recipient_first_name: The first name the template greets; the rewrite must greet the same person.
        required: Words the rewrite must keep verbatim (the customer's deadline).
    """
    from .voices import split_voices  # voices reads money amounts from here

    template_voice, template_quotes = split_voices(template.body)
    rewrite_voice, rewrite_quotes = split_voices(rewrite.body)
    source = f"{facts.model_dump_json()}\n{template.subject}\n{template_voice}"
    text = f"{rewrite.subject}\n{rewrite_voice}"
    problems: list[str] = [error_text("drafting.foreign_quote", value=q) for q in rewrite_quotes
                           if not any(q.strip(" .…") in t for t in template_quotes)]

    text_wo_emails = _EMAIL.sub(" ", text)
    problems += _new_values(source, text, text_wo_emails)
    problems += _new_claims(template_voice, text)
    problems += [error_text("drafting.adds_team", team=team) for team in _added_teams(rewrite_voice, template_voice)]
    staff_named = [n for n in facts.names if n not in facts.recipient_names and len(n.split()) > 1
                   and n in template_voice]
    problems += [error_text("drafting.drops_person", name=name) for name in _missing(staff_named, rewrite.body)]
    problems += [error_text("drafting.drops_words", value=words) for words in _missing(required or [], rewrite.body)]
    problems += _dropped(template, template_voice, rewrite.body, timeline, text_wo_emails)
    if recipient_first_name:
        first_line = next((line for line in rewrite.body.splitlines() if line.strip()), "")
        if recipient_first_name.casefold() not in first_line.casefold():
            problems.append(error_text("drafting.wrong_greeting", name=recipient_first_name))
    return problems
