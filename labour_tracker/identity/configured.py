"""The token verifier the settings call for: the issuer's JWKS when one is configured, else the local key."""

from __future__ import annotations

import logging

from labour_tracker.identity.jwks import JwksVerifier
from labour_tracker.identity.local_key import LocalVerifier, load_or_create_local_key
from labour_tracker.identity.tokens import TokenVerifier
from labour_tracker.settings import Settings

__all__ = ["verifier_from_settings"]

logger = logging.getLogger(__name__)


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    """The issuer's JWKS when an issuer is configured (local tokens are then refused), else the local key."""
    if settings.oidc_issuer:
        return JwksVerifier(
            settings.oidc_issuer, settings.oidc_audience, jwks_url=settings.oidc_jwks_url, clients=settings.clients
        )
    logger.warning(
        "no OIDC issuer configured: trusting tokens signed by %s (local use only)", settings.local_signing_key
    )
    key = load_or_create_local_key(settings.local_signing_key)
    return LocalVerifier(key.public_key(), settings.oidc_audience, clients=settings.clients)
