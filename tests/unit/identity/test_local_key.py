"""The local signing key is created once, privately and race-safely, and signs tokens naming the local issuer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.identity.local_key import LOCAL_ISSUER, load_or_create_local_key, local_key_id
from tests.unit.identity.local_tokens import local_token


async def test_a_local_token_names_the_local_issuer_and_a_stable_key_id(key: rsa.RSAPrivateKey) -> None:
    token = local_token(key)
    assert jwt.get_unverified_header(token)["kid"] == local_key_id(key.public_key())
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == LOCAL_ISSUER


def test_the_local_key_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "key.pem"
    created = load_or_create_local_key(path)
    assert (path.stat().st_mode & 0o777, created.key_size) == (0o600, 2048)
    loaded = load_or_create_local_key(path)
    assert loaded.private_numbers() == created.private_numbers()
    assert os.listdir(path.parent) == ["key.pem"]


def test_a_key_another_process_wrote_meanwhile_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "key.pem"
    winner = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    generate = rsa.generate_private_key

    def generate_while_another_process_writes(**kwargs: Any) -> rsa.RSAPrivateKey:
        path.write_bytes(winner)
        return generate(**kwargs)

    monkeypatch.setattr(rsa, "generate_private_key", generate_while_another_process_writes)
    key = load_or_create_local_key(path)
    assert key.private_numbers() == other_key.private_numbers()
    assert (path.read_bytes(), os.listdir(tmp_path)) == (winner, ["key.pem"])


def test_a_file_that_is_not_an_rsa_key_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("not a key")
    with pytest.raises(ValueError):
        load_or_create_local_key(path)
    assert path.read_text() == "not a key"
