"""Hostile input at the API's door: every malformed request is a 4xx with the JSON error body, never a 500.

Lone UTF-16 surrogates in JSON, NUL in path and query ids, control characters and line separators in
strings, unknown JSON fields and oversized bodies, each sent as an attacker would (raw bytes where JSON
libraries would refuse to encode them), and the response is checked unchanged afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from communicator_escalation.api.app import create_app
from communicator_escalation.auth.tokens import create_token
from communicator_escalation.config import Settings
from communicator_escalation.store import Store
from tests.support.api_worlds import load_api_world


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    load_api_world(store)
    settings = Settings(home=tmp_path / "home", database_url=store.url, max_request_bytes=64 * 1024)
    with TestClient(create_app(store, settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def lucia(store: Store) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(store, staff_id='v-lucia').token}"}


@pytest.fixture
def response_id(client: TestClient, lucia: dict[str, str]) -> str:
    created = client.post("/api/customers/k-horizonte/escalation-response", headers=lucia)
    assert created.status_code == 201, created.text
    return str(created.json()["response_id"])


def _error(answer: object, status: int) -> dict[str, object]:
    """The JSON error body of `answer`, which must have `status`."""
    assert answer.status_code == status, (answer.status_code, answer.text)  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] and error["message"]
    return error  # type: ignore[no-any-return]


def _raw(client: TestClient, method: str, url: str, headers: dict[str, str], body: bytes) -> object:
    return client.request(method, url, headers={**headers, "Content-Type": "application/json"}, content=body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", b'{"subject": "\\ud800"}'),
        ("PATCH", "", b'{"body": "Hello \\udfff there"}'),
        ("PATCH", "", b'{"replace": {"old": "a", "new": "\\ud800"}}'),
        ("POST", "/ccs", b'{"add": ["\\ud800"]}'),
        ("POST", "/send", b'{"urgent": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_in_json_is_422(client: TestClient, lucia: dict[str, str], response_id: str,
                                         method: str, path: str, body: bytes) -> None:
    url = f"/api/escalation-responses/{response_id}{path}"
    _error(_raw(client, method, url, lucia, body), 422)
    assert client.get(f"/api/escalation-responses/{response_id}", headers=lucia).json()["response"]["status"] == "drafted"


def test_a_lone_surrogate_in_chat_and_draft_bodies_is_422(client: TestClient, lucia: dict[str, str]) -> None:
    _error(_raw(client, "POST", "/api/chat", lucia, b'{"message": "Draft for \\ud800"}'), 422)
    _error(_raw(client, "POST", "/api/customers/k-horizonte/escalation-response", lucia,
                b'{"instructions": "\\udc00", "new": true}'), 422)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/approvals?status=%00"),
        ("GET", "/api/escalation-responses/x%00"),
        ("GET", "/api/risk-signals/x%00/context"),
        ("POST", "/api/customers/x%00/escalation-response"),
        ("POST", "/api/approvals/x%00/approve"),
        ("POST", "/api/approvals/x%00/reject"),
        ("PATCH", "/api/escalation-responses/x%00"),
        ("POST", "/api/escalation-responses/x%00/send"),
        ("GET", "/api/escalation-responses/" + "r" * 300),
        ("GET", "/api/risk-signals/a%0Ab/context"),
        ("GET", "/api/approvals?status=bogus"),
    ],
)
def test_malformed_ids_in_path_and_query_are_422_before_any_sql(client: TestClient, lucia: dict[str, str],
                                                                 method: str, url: str) -> None:
    body = {"subject": "x"} if method == "PATCH" else None
    _error(client.request(method, url, headers=lucia, json=body), 422)


def test_a_customer_name_with_a_nul_or_escape_is_422(client: TestClient, lucia: dict[str, str]) -> None:
    _error(client.post("/api/customers/Horizonte%1B%5B2J/escalation-response", headers=lucia), 422)
    named = client.post("/api/customers/Horizonte%20Log%C3%ADstica/escalation-response", headers=lucia)
    assert named.status_code == 201, named.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ccs", {"cc": ["support lead"], "add": ["support lead"]}),
        ("", {"subject": "New subject", "bcc": "x@evil.example"}),
        ("", {"replace": {"old": "a", "new": "b", "everywhere": True}}),
        ("/send", {"urgent": True, "to": "x@evil.example"}),
    ],
)
def test_unknown_json_fields_are_422_and_change_nothing(client: TestClient, lucia: dict[str, str], response_id: str,
                                                        path: str, body: dict[str, object]) -> None:
    url = f"/api/escalation-responses/{response_id}"
    before = client.get(url, headers=lucia).json()
    method = "PATCH" if not path else "POST"
    error = _error(client.request(method, url + path, headers=lucia, json=body), 422)
    assert "extra" in str(error["message"]).lower() or "not permitted" in str(error["message"]).lower()
    assert client.get(url, headers=lucia).json() == before


def test_unknown_fields_in_a_chat_decision_are_422(client: TestClient, lucia: dict[str, str]) -> None:
    _error(client.post("/api/chat", headers=lucia, json={"decision": {"type": "approve", "to": "x@evil.example"}}), 422)
    _error(client.post("/api/chat", headers=lucia,
                       json={"decision": {"type": "edit", "args": {"response_id": "r\x00", "x": ["\x1b]0;t\x07"]}}}), 422)


@pytest.mark.parametrize(
    "subject",
    ["a\u2028Bcc: x@evil.example", "a\u2029b", "a\x0bb", "a\x0cb", "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=", "a\x1b[2Jb",
     "a\x00b", "x" * 999],
)
def test_a_subject_the_send_path_refuses_is_422_at_edit_time(client: TestClient, lucia: dict[str, str],
                                                              response_id: str, subject: str) -> None:
    url = f"/api/escalation-responses/{response_id}"
    before = client.get(url, headers=lucia).json()["response"]["subject"]
    _error(client.patch(url, headers=lucia, json={"subject": subject}), 422)
    assert client.get(url, headers=lucia).json()["response"]["subject"] == before


def test_control_characters_in_a_body_are_422_but_line_breaks_and_tabs_are_text(
    client: TestClient, lucia: dict[str, str], response_id: str
) -> None:
    url = f"/api/escalation-responses/{response_id}"
    _error(client.patch(url, headers=lucia, json={"body": "Hello\x1b]0;owned\x07 there"}), 422)
    _error(client.patch(url, headers=lucia, json={"body": "Hello\x00"}), 422)
    fine = client.patch(url, headers=lucia, json={"body": "Hello Carmen,\r\n\n\tthe export is fixed.\n"})
    assert fine.status_code == 200, fine.text


def test_a_body_over_the_limit_is_413_from_its_declared_length(client: TestClient, lucia: dict[str, str],
                                                               response_id: str) -> None:
    url = f"/api/escalation-responses/{response_id}"
    before = client.get(url, headers=lucia).json()
    error = _error(client.patch(url, headers=lucia, json={"body": "x" * (70 * 1024)}), 413)
    assert error["code"] == "request_too_large"
    assert client.get(url, headers=lucia).json() == before


def test_a_streamed_body_over_the_limit_is_413_without_a_declared_length(client: TestClient, lucia: dict[str, str],
                                                                          response_id: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"body": "'
        for _ in range(40):
            yield b"y" * 4096
        yield b'"}'

    url = f"/api/escalation-responses/{response_id}"
    before = client.get(url, headers=lucia).json()
    answer = client.patch(url, headers={**lucia, "Content-Type": "application/json"}, content=chunks())
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert _error(answer, 413)["code"] == "request_too_large"
    assert client.get(url, headers=lucia).json() == before


def test_a_body_that_is_not_utf8_json_is_422(client: TestClient, lucia: dict[str, str], response_id: str) -> None:
    url = f"/api/escalation-responses/{response_id}"
    _error(_raw(client, "PATCH", url, lucia, b'{"subject": "\xff\xfe"}'), 422)
    _error(_raw(client, "PATCH", url, lucia, b'{"subject": '), 422)

