"""Personal events sealed on their topic, so that erasing an aggregate makes every copy of them unreadable.

The data of an event that says who someone is or how their labour goes is encrypted (AES-256-GCM) under a key of
its aggregate's own, kept in the aggregate's table record and nowhere else. Erasing the aggregate deletes the
record, and with it the key (crypto-shredding): a consumer that reads the topic from its start, a copy in a
backup, a mirror rebuilt later, none of them can open those events again. Ids, types, versions and times stay in
clear, so the topic keeps its order and its contract without the key.
"""

from __future__ import annotations

import base64
import os
import secrets

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from labour_tracker.messages.envelopes import EventEnvelope

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random, and a key seals at most thousands of events


class Unopenable(Exception):
    """A sealed event whose key is gone (its aggregate erased) or is not the one it was sealed with."""


def new_key() -> str:
    """A fresh data key, as its record keeps it (base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def seal(envelope: EventEnvelope, key: str) -> EventEnvelope:
    """The envelope with its data encrypted into `sealed`; bound to its aggregate, id and type, so a sealed data
    moved to another envelope does not open."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(key)).encrypt(nonce, orjson.dumps(envelope.data), _bound_to(envelope))
    return envelope.model_copy(update={"data": {}, "sealed": base64.urlsafe_b64encode(nonce + sealed).decode()})


def opened(envelope: EventEnvelope, key: str | None) -> EventEnvelope:
    """The envelope with its data in clear; one that was never sealed as it is."""
    if envelope.sealed is None:
        return envelope
    if key is None:
        raise Unopenable(f"{envelope.type} {envelope.id} is sealed and its aggregate has no key: erased")
    try:
        raw = base64.urlsafe_b64decode(envelope.sealed)
        data = AESGCM(_key(key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(envelope))
    except (InvalidTag, ValueError):
        raise Unopenable(f"{envelope.type} {envelope.id} was not sealed with its aggregate's key") from None
    return envelope.model_copy(update={"data": orjson.loads(data), "sealed": None})


def _key(key: str) -> bytes:
    return base64.urlsafe_b64decode(key)


def _bound_to(envelope: EventEnvelope) -> bytes:
    return f"{envelope.aggregate_id}\x00{envelope.id}\x00{envelope.type}".encode()
