"""The internal escalation brief for the CC'd team, written when a first response is sent.

The brief says what happened (context, health, renewal), the customer's own words, the strategy
and why, who owns what, the promised timeline, and where to look (ticket, thread, email, plan).
It is internal, but record text keeps the two voices apart here too: the customer's words and record
titles appear only quoted, bounded and on one line, and text holding a contact detail or a link is
withheld (`drafting.voices.customer_words`). It is rendered once from the database (prompts/followthrough/brief.md.j2) and kept in
`escalation_briefs`; `publish_briefs` writes it as Markdown under the briefs folder
(`$ESCALATION_HOME/briefs/` by default) and, when configured, as a Google Doc (mail/docs.py).
A failed publication is recorded and tried again by the worker or `escalation sync`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ...auth.actor import FOLLOW_THROUGH
from ...config import Settings
from ...errors import EscalationError
from ...models import Draft, EscalationContext
from ...rendering import render
from ...store import Store
from ...store.responses import Conn, Row, addresses, display_names
from ...utc import utcnow
from ..context.gather import gather_context
from ..drafting.voices import customer_words, person_name
from ..policy import Policy
from ..strategy.pick import pick_strategy
from ..strategy.sla import zone

__all__ = ["BriefDocs", "compose_brief", "publish_briefs", "queue_brief"]

MAX_ATTEMPTS = 5
_TITLE_MAX = 120
logger = logging.getLogger(__name__)


class BriefDocs(Protocol):
    """Where briefs go besides the Markdown file (a Google Doc, see `mail.docs.GoogleDocsBriefs`)."""

    def publish(self, *, title: str, markdown: str, share_with: list[str]) -> tuple[str, str]:
        """Create the document; return (document id, URL)."""
        ...


def _quote(ctx: EscalationContext) -> dict[str, str] | None:
    """The customer's own words, bounded on one line: the email the response answered, else the ticket's description.

    Text with a contact detail or a link is not quoted (the brief is shared as a document).
    """
    mail, ticket = ctx.reply_to, ctx.ticket
    if mail is not None and mail.direction == "inbound" and (words := customer_words(mail.body)):
        return {"text": words, "who": person_name(mail.contact_name) or ctx.customer.name,
                "where": customer_words(mail.subject, limit=_TITLE_MAX) or mail.channel}
    if ticket is not None and (words := customer_words(ticket.description)):
        who = person_name(ticket.requester.name) if ticket.requester else None
        return {"text": words, "who": who or ctx.customer.name, "where": ticket.id}
    return None


def _titles(ctx: EscalationContext) -> dict[str, str | None]:
    """Record titles as bounded words to quote (None: withheld, it holds a contact detail or a link)."""
    prior = ctx.prior_escalations[0].title if ctx.prior_escalations else None
    return {"escalation": customer_words(ctx.escalation.title, limit=_TITLE_MAX),
            "ticket": customer_words(ctx.ticket.subject, limit=_TITLE_MAX) if ctx.ticket else None,
            "prior": customer_words(prior, limit=_TITLE_MAX)}


def _local(moment: datetime | None, tz: Any) -> str | None:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M %Z}" if moment else None


def compose_brief(store: Store, *, row: Row, policy: Policy, transport: str | None) -> tuple[str, str]:
    """(title, Markdown) of the brief of sent first response `row`, from the context at its send."""
    ctx = gather_context(store, actor=FOLLOW_THROUGH, signal_id=row["risk_signal_id"], now=row["sent_at"])
    strategy = pick_strategy(ctx, policy, now=row["created_at"])
    draft = Draft.model_validate(row["draft"])
    tz = zone(ctx.customer.timezone) if ctx.customer.timezone else zone("UTC")
    with store.connection() as conn:
        people = _people(conn, row, draft)
    view = {
        "ctx": ctx,
        "row": row,
        "draft": draft,
        "strategy": strategy,
        "quote": _quote(ctx),
        "titles": _titles(ctx),
        "people": people,
        "sent_at": _local(row["sent_at"], tz),
        "detected_at": _local(ctx.escalation.detected_at, tz),
        "transport": transport,
    }
    title = " ".join(render("followthrough/brief_title.j2", **view).split())
    return title, render("followthrough/brief.md.j2", title=title, **view).strip() + "\n"


def _people(conn: Conn, row: Row, draft: Draft) -> dict[str, Any]:
    """Who is on the email and who owns the plan's items, with names from the directory."""
    to, cc = addresses(row["to_addrs"]), addresses(row["cc_addrs"])
    known = display_names(conn, to + cc)
    owner_ids = {o for o in draft.action_owners if o}
    names = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM staff WHERE id = ANY(%s)",
                                                       (sorted(owner_ids),))}
    owners = [names.get(o or "", None) for o in draft.action_owners]
    return {
        "to": [{"email": e, "name": known.get(e.casefold(), (None,))[0]} for e in to],
        "cc": [{"email": e, "name": known.get(e.casefold(), (None,))[0]} for e in cc],
        "actions": [{"text": text, "owner": owners[i] if i < len(owners) else None}
                    for i, text in enumerate(draft.action_items)],
    }


def queue_brief(conn: Conn, *, response_id: str, title: str, markdown: str, now: datetime) -> None:
    """Keep the brief of a response for publication (once per response)."""
    conn.execute(
        "INSERT INTO escalation_briefs (response_id, title, markdown, created_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (response_id) DO NOTHING",
        (response_id, title, markdown, now),
    )


def _write_markdown(folder: Path, brief: Row) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{brief['risk_signal_id']}-{brief['response_id']}.md"
    partial = path.with_suffix(".md.partial")
    partial.write_text(brief["markdown"], encoding="utf-8")
    partial.replace(path)  # a reader never sees half a brief
    return path


def _docs(settings: Settings) -> BriefDocs | None:
    """The Google Docs publisher when `ESCALATION_BRIEF_DOCS=google` (ConfigurationError without credentials)."""
    if settings.brief_docs != "google":
        return None
    from ...mail.docs import GoogleDocsBriefs  # the Google client loads only when used

    return GoogleDocsBriefs.from_settings(settings)


def publish_briefs(store: Store, *, settings: Settings, response_ids: list[str] | None = None,
                   now: datetime | None = None) -> int:
    """Write pending (or earlier failed) briefs; return how many were written now.

    Each is written as Markdown to `settings.briefs_dir`, then, with `ESCALATION_BRIEF_DOCS=google`,
    as a Google Doc shared with the email's CCs. A failure (missing credentials included) is
    recorded on the brief, tried again later (up to MAX_ATTEMPTS) and never raised: the email is
    already sent.
    """
    docs: BriefDocs | None = None
    with store.connection() as conn:
        pending = conn.execute(
            "SELECT b.*, r.risk_signal_id, r.cc_addrs FROM escalation_briefs b"
            " JOIN escalation_responses r ON r.id = b.response_id"
            " WHERE b.status <> 'written' AND b.attempts < %s AND (%s::text[] IS NULL OR b.response_id = ANY(%s))"
            " ORDER BY b.created_at",
            (MAX_ATTEMPTS, response_ids, response_ids),
        ).fetchall()
    written = 0
    for brief in pending:
        path, doc_id, doc_url, error = brief["path"], brief["doc_id"], brief["doc_url"], None
        try:
            path = str(_write_markdown(settings.briefs_dir, brief))
            if settings.brief_docs == "google" and doc_id is None:
                docs = docs or _docs(settings)
                assert docs is not None
                doc_id, doc_url = docs.publish(title=brief["title"], markdown=brief["markdown"],
                                               share_with=addresses(brief["cc_addrs"]))
        except (OSError, EscalationError) as err:
            error = err.message if isinstance(err, EscalationError) else f"{type(err).__name__}: {err}"
            logger.warning("brief of %s not written: %s", brief["response_id"], error)
        with store.connection() as conn:
            conn.execute(
                "UPDATE escalation_briefs SET status = %s, path = %s, doc_id = %s, doc_url = %s, error = %s,"
                " attempts = attempts + 1, written_at = %s WHERE response_id = %s",
                ("failed" if error else "written", path, doc_id, doc_url, error, None if error else utcnow(now),
                 brief["response_id"]),
            )
        written += error is None
    return written
