"""Schema fuzzing: schemathesis drives every operation of the API's OpenAPI document in-process.

On the demo world, with a real bearer token (Elena Ruiz, the CSM manager: she reaches DataFlow and
decides approvals), a drafted response and a pending approval, schemathesis generates valid and
invalid requests (a bounded number per operation, derandomized so every run sends the same ones).
Some cases are pointed at the world's real ids, so valid bodies reach real rows. Every answer must
be documented: no 5xx, a documented status, content type, headers and body schema; invalid input is
never accepted, and a request without the token is a 401.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from communicator_escalation.api.app import create_app
from communicator_escalation.auth.actor import Actor
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.mail.factory import make_transport
from communicator_escalation.store import Store
from communicator_escalation.workflow.delivery.send_with_approval import send_with_approval
from communicator_escalation.workflow.drafting.open import open_or_create_draft
from communicator_escalation.workflow.policy import Policy

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]

# The document alone (building the app opens no database); each test serves it over its own world.
schema = schemathesis.openapi.from_dict(create_app(settings=Settings(home=Path("unused"))).openapi())


@dataclass
class Target:
    """The app under test, the real ids cases are pointed at, and the bearer header."""

    app: FastAPI
    ids: dict[str, str]
    auth: dict[str, str]


@pytest.fixture
def target(store: Store, demo_world: dict[str, Any], tmp_path: Path) -> Target:
    """The API over the demo world, with a drafted response and a pending approval to aim at."""
    config = Settings(home=tmp_path / "home", database_url=store.url)
    policy = Policy()
    jordan = Actor.of("u-jordan")
    drafted = open_or_create_draft(store, actor=jordan, customer="DataFlow", policy=policy).draft
    waiting = open_or_create_draft(store, actor=jordan, customer="Northwind", policy=policy).draft
    pending = send_with_approval(store, actor=jordan, response_id=str(waiting.response_id),
                                 transport=make_transport(config), policy=policy, settings=config)
    assert pending.approval is not None
    ids = {"customer_id": "c-dataflow", "signal_id": drafted.escalation.risk_signal_id,
           "response_id": str(drafted.response_id), "approval_id": pending.approval.id}
    auth = {"Authorization": f"Bearer {create_token(store, staff_id='u-elena').token}"}
    return Target(app=create_app(store, config), ids=ids, auth=auth)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any, target: Target) -> None:
    if case.path_parameters and zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 2:
        case.path_parameters = {name: target.ids.get(name, value) for name, value in case.path_parameters.items()}
    # An undeclared query parameter whose value is None or an empty list never reaches the server (the URL
    # has no room for it), yet the case counts as invalid: give it a value, so the server must refuse it.
    declared = {parameter.name for parameter in case.operation.query}
    for name, value in list((case.query or {}).items()):
        if name not in declared and value in (None, []):
            case.query[name] = "x"
    # In-process (ASGI) for the case and for the checks' own requests (ignored_auth sends it without the token).
    case.operation.app = case.operation.schema.app = target.app
    case.call_and_validate(base_url="http://testserver", headers=target.auth, checks=CHECKS)


def test_every_route_documents_its_errors() -> None:
    """401, 403, 404, 413 and 422 with the JSON error body on every route, 503 with Retry-After."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        responses = operation.definition.raw["responses"]
        for status in ("401", "403", "404", "413", "422", "503"):
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorBody"}, (operation.label, status)
        assert "Retry-After" in responses["503"]["headers"]
