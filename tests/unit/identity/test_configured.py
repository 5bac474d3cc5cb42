"""The settings choose the verifier: the issuer's JWKS when an issuer is configured, else the local key."""

from __future__ import annotations

from pathlib import Path

from labour_tracker.identity.configured import verifier_from_settings
from labour_tracker.identity.jwks import JwksVerifier
from labour_tracker.identity.local_key import LocalVerifier, load_or_create_local_key
from labour_tracker.settings import Settings
from tests.unit.identity.local_tokens import AUDIENCE, local_token


async def test_without_issuer_the_settings_give_a_local_verifier_with_a_new_key(tmp_path: Path) -> None:
    settings = Settings(oidc_issuer=None, local_signing_key=tmp_path / "key.pem")
    verifier = verifier_from_settings(settings)
    key = load_or_create_local_key(settings.local_signing_key)
    assert isinstance(verifier, LocalVerifier)
    assert (await verifier.verify(local_token(key))).id == "u-1"


async def test_with_an_issuer_the_settings_give_a_jwks_verifier_for_it(tmp_path: Path) -> None:
    settings = Settings(
        oidc_issuer="https://idp.example/realms/lt",
        local_signing_key=tmp_path / "key.pem",
        subscription_token_secret="a-secret-of-our-own-" + "x" * 16,
    )
    verifier = verifier_from_settings(settings)
    assert isinstance(verifier, JwksVerifier)
    assert (verifier.issuer, verifier.audience, verifier.algorithms) == (settings.oidc_issuer, AUDIENCE, ("RS256",))
    assert verifier.clients == {"labour-tracker", "labour-tracker-web"}
    assert not settings.local_signing_key.exists()
    await verifier.close()
