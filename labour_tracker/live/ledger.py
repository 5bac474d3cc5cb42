"""The nonces of redeemed stream tickets, in the mirror's PostgreSQL schema: every worker reaches it, so a ticket
opens one stream once whichever worker it is shown to. Rows go once their ticket has expired."""

from __future__ import annotations

import time
from datetime import datetime

import asyncpg

from labour_tracker.mirror.schema import check_schema_name

SWEEP_EVERY = 60.0  # seconds between deletions of expired nonces, per worker


class NonceLedger:
    def __init__(self, schema: str) -> None:
        self.schema = check_schema_name(schema)
        self.swept_at = 0.0

    async def redeem(self, connection: asyncpg.Connection, nonce: str, expires: datetime) -> bool:
        """Record the nonce as used; False when it already was."""
        status = await connection.execute(
            f"INSERT INTO {self.schema}.live_ticket_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            nonce,
            expires,
        )
        if time.monotonic() - self.swept_at > SWEEP_EVERY:
            self.swept_at = time.monotonic()
            await connection.execute(f"DELETE FROM {self.schema}.live_ticket_nonces WHERE expires_at < now()")
        return bool(status == "INSERT 0 1")
