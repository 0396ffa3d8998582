"""Load your own world file and draft an escalation response from Python, without any agent.

    python examples/draft_from_python.py                                  # the bundled Helvetia world
    python examples/draft_from_python.py my-world.json "Customer name"

It uses the configured database (ESCALATION_DATABASE_URL, or the embedded one under ESCALATION_HOME)
and policy; the draft is stored in state `drafted`, ready for `escalation send RESPONSE_ID`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from communicator_escalation import (
    ACCOUNT_CSM,
    Settings,
    Store,
    gather_context,
    load_policy,
    load_world,
    open_or_create_draft,
    pick_strategy,
    suggest_ccs,
)

HERE = Path(__file__).resolve().parent


def main(world_file: Path, customer: str) -> None:
    settings = Settings()
    policy = load_policy(settings.policy_file)
    with Store.from_settings(settings) as store:
        report = load_world(store, world_file)
        print(f"loaded {report.source}: {report.counts}")

        ctx = gather_context(store, actor=ACCOUNT_CSM, customer=customer)  # Step 1
        strategy = pick_strategy(ctx, policy)  # Step 2
        print(f"escalation {ctx.escalation.id}: {strategy.escalation_type.type}, {ctx.escalation.severity},"
              f" SLA {strategy.sla.urgency} ({strategy.sla.minutes_to_first_response_due} min to first response)")
        for cc in suggest_ccs(ctx, strategy):
            print(f"suggested CC: {cc.label} {cc.name} - {cc.reason}")

        # Steps 1-3 as the account's CSM, stored as `drafted` (a staff member would be Actor.of("their-id"));
        # a draft the escalation already has is opened as it stands (new=True would draft again)
        draft = open_or_create_draft(store, actor=ACCOUNT_CSM, customer=customer, policy=policy).draft
        print(f"response {draft.response_id} to {', '.join(draft.email.to) or '(choose a contact)'}")
        print(f"Subject: {draft.email.subject}\n\n{draft.email.body}")
        for note in draft.review_notes:
            print(f"note: {note}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]) if args else HERE / "worlds" / "helvetia-world.json", args[1] if len(args) > 1 else "Helvetia")
