"""Service-account key files for the fake Gmail's token endpoint (`tests.support.gmail_server`)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def private_key_pem() -> str:
    """An RSA key (PKCS#8 PEM) to sign the service account's JWT; generated once per test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def write_service_account(path: Path, *, token_uri: str, client_email: str) -> Path:
    """Write a service-account key file whose tokens come from `token_uri`; return `path`."""
    project_id = client_email.partition("@")[2].partition(".")[0]
    path.write_text(json.dumps({
        "type": "service_account", "project_id": project_id, "private_key_id": "key-1",
        "private_key": private_key_pem(), "client_email": client_email, "client_id": "1234567890",
        "token_uri": token_uri,
    }))
    return path
