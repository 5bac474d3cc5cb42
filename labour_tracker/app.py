"""The Faust application: settings, Kafka, tables, agents and the web server wired in one place."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import faust

from labour_tracker.settings import Settings, load_settings


class LabourTrackerApp(faust.App):
    """A Faust app whose worker web server also serves the REST API."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        self._serving_api: list[Any] = []
        self.topics_declared = asyncio.Event()  # commands wait for it: an undeclared topic would be mis-created
        super().__init__(
            settings.app_id,
            broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
            store=settings.store,
            datadir=str(settings.data_dir),
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication_factor,
            broker_session_timeout=settings.kafka_session_timeout,
            broker_heartbeat_interval=settings.kafka_session_timeout / 4,
            web_bind=settings.web_host,
            web_host=settings.web_host,
            web_port=settings.web_port,
            reply_create_topic=True,
            # Shutdown would wait forever on reply-topic messages Faust never acks; uncommitted commands are
            # redelivered after a restart and every handler is idempotent, so there is nothing to wait for.
            stream_wait_empty=False,
            # A topic declared after the consumer first joined (a fresh deployment) is noticed, and assigned, at
            # its next metadata refresh: every 5 s rather than aiokafka's 5 min, or its agent would idle that long.
            consumer_metadata_max_age_ms=5000,
            web_application_options={"client_max_size": settings.max_body_bytes},
            autodiscover=["labour_tracker.agents", "labour_tracker.tables", "labour_tracker.mirror.service"],
            origin="labour_tracker",
            **options,
        )

    async def on_started(self) -> None:
        from labour_tracker.agents.topics import declare_topics

        # Faust filters in its handler; at the logger, aiokafka would build a record for every message sent.
        logging.getLogger().setLevel(self.settings.log_level)
        # Faust's consumer runs in a thread: a shorter switch interval makes each hand-over between it and
        # the event loop cost far less than the default 5 ms, which dominated command latency.
        sys.setswitchinterval(0.0005)
        await super().on_started()
        await declare_topics()
        self.topics_declared.set()

    def on_webserver_init(self, web: Any) -> None:
        from labour_tracker.http.server import mount

        # Faust initialises a worker's web server more than once; a second API would open its own pools, unused.
        if web.web_app not in self._serving_api:
            mount(web.web_app, self.settings, self)
            self._serving_api.append(web.web_app)


app = LabourTrackerApp(load_settings())
