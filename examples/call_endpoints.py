"""Call the two PRD endpoints of a running `escalation serve` with a bearer token.

Set up once (any world file works; the demo world is shown):

    escalation load communicator_escalation/worlds/demo-world.json
    export ESCALATION_TOKEN=$(escalation token create --staff u-jordan | tail -n 1)
    escalation serve --port 8000 &

Then:

    python examples/call_endpoints.py --customer c-dataflow

It drafts the escalation response of the customer (`POST /api/customers/{id}/escalation-response`;
a draft the background worker already prepared is returned as it is) and fetches the full context of
the escalation it answers (`GET /api/risk-signals/{id}/context`). Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def call(base_url: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One JSON request; exits with the API's error message on a 4xx/5xx answer."""
    request = urllib.request.Request(
        base_url.rstrip("/") + path,
        method=method,
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        error = json.load(err).get("error", {})
        sys.exit(f"{method} {path}: HTTP {err.code} {error.get('code')}: {error.get('message')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customer", required=True, help="Customer id, e.g. c-dataflow.")
    parser.add_argument("--signal", help="A specific escalation (risk signal id); default: the most urgent open one.")
    parser.add_argument("--instructions", help="Guidance for a new draft (always drafts anew).")
    parser.add_argument("--base-url", default=os.environ.get("ESCALATION_API_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("ESCALATION_TOKEN"), help="Default: $ESCALATION_TOKEN.")
    args = parser.parse_args()
    if not args.token:
        sys.exit("no token: pass --token or set ESCALATION_TOKEN (escalation token create --staff ID)")

    body = {key: value for key, value in {"signal_id": args.signal, "instructions": args.instructions}.items() if value}
    draft = call(args.base_url, args.token, "POST", f"/api/customers/{args.customer}/escalation-response", body)
    signal_id = draft["escalation"]["risk_signal_id"]
    context = call(args.base_url, args.token, "GET", f"/api/risk-signals/{signal_id}/context")

    escalation, customer, health = context["escalation"], context["customer"], context["health"]
    reporter = context.get("reporter") or {}
    print(f"Escalation {signal_id} at {customer['name']}: {escalation['title']}")
    print(f"  severity {escalation['severity']}, open for {escalation['unresolved_for_hours']:.0f} h, "
          f"reported by {reporter.get('name', 'unknown')}")
    print(f"  ARR ${customer['arr']:,.0f}, health {health['score']} ({health['direction']})")
    print(f"Draft {draft['response_id']} ({draft['strategy']['template']} template, {draft['strategy']['tone']} tone)")
    print(f"  To: {', '.join(draft['email']['to']) or '(choose a contact)'}")
    print(f"  Subject: {draft['email']['subject']}")
    print(f"  First response due {draft['strategy']['sla']['first_response_due']} "
          f"({draft['strategy']['sla']['urgency']})")
    for cc in draft["suggested_ccs"]:
        print(f"  Suggested CC: {cc['name']} ({cc['label']}): {cc['reason']}")
    print()
    print(draft["email"]["body"])


if __name__ == "__main__":
    main()
