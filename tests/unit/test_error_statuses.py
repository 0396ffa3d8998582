"""Domain errors carry a code and no HTTP status; the API's one map turns codes into statuses."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import communicator_escalation
from communicator_escalation.api.errors import STATUS_BY_CODE, status_of
from communicator_escalation.auth.access import ApproverRequired
from communicator_escalation.auth.tokens import Unauthorized
from communicator_escalation.errors import (
    AlreadyAnswered,
    AmbiguousCustomer,
    ConfigurationError,
    ContentChanged,
    CustomerNotFound,
    EscalationError,
    InvalidRequest,
    MailError,
    NoOpenEscalation,
    NotAnEscalation,
    NotFound,
    Refused,
    SendBlocked,
    StoreUnavailable,
    WorldFileError,
)
from communicator_escalation.mail.message import HeaderInjectionError


def _every_error_class() -> set[type[EscalationError]]:
    for module in pkgutil.walk_packages(communicator_escalation.__path__, "communicator_escalation."):
        importlib.import_module(module.name)
    found: set[type[EscalationError]] = set()
    todo = [EscalationError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_no_domain_error_knows_http() -> None:
    classes = _every_error_class()
    assert len(classes) > 15
    for cls in classes:
        assert not hasattr(cls, "http_status"), cls
        assert not hasattr(cls, "headers"), cls
        assert isinstance(cls.code, str) and cls.code


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (CustomerNotFound, 404), (NoOpenEscalation, 404), (NotFound, 404), (AmbiguousCustomer, 409),
        (Refused, 409), (ContentChanged, 409), (AlreadyAnswered, 409), (InvalidRequest, 422),
        (NotAnEscalation, 422), (WorldFileError, 422), (Unauthorized, 401), (ApproverRequired, 403),
        (SendBlocked, 422), (ConfigurationError, 500), (MailError, 502), (HeaderInjectionError, 502), (StoreUnavailable, 503),
    ],
)
def test_codes_map_to_statuses_in_one_place(error: type[EscalationError], status: int) -> None:
    assert status_of(error("requests.as_given", detail="x")) == status


def test_a_code_without_an_entry_takes_its_base_class_status() -> None:
    class LateRefusal(Refused):
        code = "late_refusal"

    assert "late_refusal" not in STATUS_BY_CODE
    assert status_of(LateRefusal("requests.as_given", detail="x")) == 409
    assert status_of(type("Odd", (EscalationError,), {"code": "odd"})("requests.as_given", detail="x")) == 400
