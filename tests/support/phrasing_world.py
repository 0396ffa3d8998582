"""A second world for the chat phrasing suite: another vendor, legal forms, non-English names, look-alikes.

Fjordlys Analytics (Oslo) serves German, French, Japanese, Brazilian and Norwegian customers. The
acting CSM, Sigrid Bakke, reaches all but one of them (Acme Corp is another CSM's). Two customers
share the word "Nordlicht", so that word alone is ambiguous; signal ids follow the vendor's own
schemes (ESC-2031, INC/88/4, sak-7), none like the demo's. `as_of` makes every escalation live.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

AS_OF = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
ACTOR = "fj-sigrid"


def _at(**delta: float) -> str:
    return (AS_OF - timedelta(**delta)).isoformat()


def _staff() -> list[dict[str, Any]]:
    rows = [
        ("fj-sigrid", "Sigrid Bakke", "csm", "fj-lars"), ("fj-lars", "Lars Øverland", "csm_manager", "fj-ingrid"),
        ("fj-ingrid", "Ingrid Dahl", "executive", None), ("fj-mads", "Mads Holm", "support_lead", None),
        ("fj-nora", "Nora Lie", "account_executive", None), ("fj-ole", "Ole Strand", "billing_specialist", None),
        ("fj-tor", "Tor Berg", "engineering_manager", None), ("fj-eva", "Eva Moe", "csm", "fj-lars"),
        ("fj-kari", "Kari Vik", "security_officer", None),
    ]
    return [
        {"id": i, "name": n, "email": f"{i[3:]}@fjordlys.example", "role": r, **({"manager_id": m} if m else {})}
        for i, n, r, m in rows
    ]


def _customer(ident: str, name: str, domain: str, tz: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident, "name": name, "domain": domain, "arr": extra.pop("arr", 90000), "tier": "enterprise",
        "health_score": 64, "timezone": tz, "csm_id": extra.pop("csm_id", ACTOR), "account_executive_id": "fj-nora",
        "support_lead_id": "fj-mads", **extra,
    }


def _customers() -> list[dict[str, Any]]:
    return [
        _customer("k-mueller", "Müller & Söhne GmbH", "mueller-soehne.de", "Europe/Berlin", country="DE"),
        _customer("k-ne", "Nordlicht Energie AG", "nordlicht-energie.de", "Europe/Berlin"),
        _customer("k-ns", "Nordlicht Solar GmbH", "nordlicht-solar.de", "Europe/Berlin"),
        _customer("k-sakura", "株式会社サクラ", "sakura.example.jp", "Asia/Tokyo", arr=250000),
        _customer("k-lumiere", "Société Lumière SA", "lumiere.example.fr", "Europe/Paris"),
        _customer("k-sp", "São Paulo Logística Ltda.", "splog.example.br", "America/Sao_Paulo"),
        _customer("k-acme", "Acme Corp", "acme.example", "America/New_York", csm_id="fj-eva"),
    ]


def _contacts() -> list[dict[str, Any]]:
    rows = [
        ("p-juergen", "k-mueller", "Jürgen Weiß", "CFO", "executive"),
        ("p-petra", "k-mueller", "Petra Lang", "IT-Leiterin", "technical"),
        ("p-hanna", "k-ne", "Hanna Krause", "Head of Operations", "executive"),
        ("p-felix", "k-ns", "Felix Braun", "CTO", "executive"),
        ("p-tanaka", "k-sakura", "Hanako Tanaka", "Director", "executive"),
        ("p-zoe", "k-lumiere", "Zoë Lefèvre", "Directrice financière", "billing"),
        ("p-joao", "k-sp", "João Silva", "Gerente de TI", "technical"),
        ("p-bob", "k-acme", "Bob Stone", "VP Ops", "executive"),
    ]
    return [
        {"id": i, "customer_id": c, "name": n, "title": t, "role": r, "email": f"{i[2:]}@{c[2:]}.example"}
        for i, c, n, t, r in rows
    ]


def _signal(ident: str, customer: str, reporter: str, severity: str, kind: str, title: str, hours: float,
            signal_type: str = "ticket_escalated", **extra: Any) -> dict[str, Any]:
    return {
        "id": ident, "customer_id": customer, "reported_by_contact_id": reporter, "severity": severity,
        "escalation_type": kind, "title": title, "detected_at": _at(hours=hours), "signal_type": signal_type,
        "source": "support_ticket", "status": "open", **extra,
    }


def _signals() -> list[dict[str, Any]]:
    return [
        _signal("ESC-2031", "k-mueller", "p-juergen", "critical", "billing", "Rechnungen doppelt belastet", 3),
        _signal("NE-1", "k-ne", "p-hanna", "high", "outage", "Portal ausgefallen", 1.5, "critical_issue"),
        _signal("NS-2", "k-ns", "p-felix", "medium", "technical", "API-Zeitüberschreitungen", 20),
        _signal("sak-7", "k-sakura", "p-tanaka", "high", "technical", "ログインできない", 0.5),
        _signal("INC/88/4", "k-lumiere", "p-zoe", "high", "billing", "Facture en double", 5, "executive_complaint"),
        _signal("SPL-0099", "k-sp", "p-joao", "low", "service", "Relatórios atrasados", 30),
        _signal("ACME-1", "k-acme", "p-bob", "critical", "outage", "Everything is down", 1),
    ]


def phrasing_world() -> dict[str, Any]:
    """The world document (format escalation-world/1)."""
    return {
        "format": "escalation-world/1",
        "as_of": AS_OF.isoformat(),
        "vendor": {"name": "Fjordlys Analytics AS", "email_domain": "fjordlys.example"},
        "staff": _staff(),
        "customers": _customers(),
        "contacts": _contacts(),
        "risk_signals": _signals(),
    }
