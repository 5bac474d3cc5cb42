"""What the API's live views share on a worker: the hub the feed fills, the ticket signer, the nonce ledger."""

from __future__ import annotations

from dataclasses import dataclass

from labour_tracker.live.hub import LiveHub
from labour_tracker.live.ledger import NonceLedger
from labour_tracker.live.tickets import TicketSigner
from labour_tracker.settings import Settings


@dataclass(frozen=True)
class Live:
    hub: LiveHub
    signer: TicketSigner
    ledger: NonceLedger

    @classmethod
    def of(cls, settings: Settings, hub: LiveHub | None = None) -> Live:
        return cls(
            hub or hub_of(settings),
            TicketSigner(settings.subscription_token_secret.encode()),
            NonceLedger(settings.mirror_schema),
        )


def hub_of(settings: Settings) -> LiveHub:
    return LiveHub(streams_per_user=settings.live_streams_per_user, streams_per_worker=settings.live_streams_per_worker)
