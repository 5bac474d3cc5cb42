"""Keys and a local verifier the identity tests share; each test module generates its own keys."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.identity.local_key import LocalVerifier
from tests.unit.identity.local_tokens import AUDIENCE


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(key: rsa.RSAPrivateKey) -> LocalVerifier:
    return LocalVerifier(key.public_key(), AUDIENCE)
