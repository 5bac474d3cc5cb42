"""Bearer tokens for the workers under test: signed with a stack's local key, which its workers trust, or another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from labour_tracker.identity.claims import OPERATOR_ROLE
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key

AUDIENCE = "labour-tracker"  # what a worker expects unless told otherwise


def bearer_token(
    key: rsa.RSAPrivateKey | Path,
    *,
    sub: str,
    given_name: str,
    family_name: str,
    audience: str = AUDIENCE,
    **claims: Any,
) -> str:
    """A token for `sub` signed by `key`: a private key, or the file a stack keeps its signing key in. `claims` are
    `issue_local_token`'s others (email, phone_number, lifetime, now)."""
    signer = key if isinstance(key, rsa.RSAPrivateKey) else load_or_create_local_key(key)
    return issue_local_token(
        signer, audience=audience, sub=sub, given_name=given_name, family_name=family_name, **claims
    )


def authorization(token: str) -> dict[str, str]:
    """The header that presents `token`."""
    return {"Authorization": f"Bearer {token}"}


def operator_authorization(key: rsa.RSAPrivateKey | Path) -> dict[str, str]:
    """The header of an operator's token signed by `key`: it opens a worker's introspection pages."""
    return authorization(bearer_token(key, sub="op-1", given_name="Olu", family_name="Ops", roles=[OPERATOR_ROLE]))
