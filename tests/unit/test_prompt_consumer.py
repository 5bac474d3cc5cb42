"""The worker's Kafka consumer asks the broker to hold a fetch briefly, not Faust's 1.5 s."""

from __future__ import annotations

from labour_tracker.app import FETCH_MAX_WAIT_MS, app


async def test_the_worker_consumer_fetches_with_a_short_wait() -> None:
    thread = app.consumer._thread  # type: ignore[attr-defined]
    consumer = thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS < 100
    finally:
        await consumer.stop()
